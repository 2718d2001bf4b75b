//! libFuzzer's entry for the `c_universe` target; what it feeds and what must hold: `run/c_universe.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

mod common;
#[path = "run/c_universe.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|days: Vec<target::Day>| target::run(days));
