//! libFuzzer's entry for the `c_research` target; what it feeds and what must hold: `run/c_research.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

mod common;
#[path = "run/c_research.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|input: target::Input| target::run(input));
