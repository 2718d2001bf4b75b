//! libFuzzer's entry for the `bundle` target; what it feeds and what must hold: `run/bundle.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

#[path = "run/bundle.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|input: (String, Vec<u8>)| target::run(input));
