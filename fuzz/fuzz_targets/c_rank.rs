//! libFuzzer's entry for the `c_rank` target; what it feeds and what must hold: `run/c_rank.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

mod common;
#[path = "run/c_rank.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|input: target::Input| target::run(input));
