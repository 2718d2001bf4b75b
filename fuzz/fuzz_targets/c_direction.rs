//! libFuzzer's entry for the `c_direction` target; what it feeds and what must hold: `run/c_direction.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

mod common;
#[path = "run/c_direction.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|input: target::Input| target::run(input));
