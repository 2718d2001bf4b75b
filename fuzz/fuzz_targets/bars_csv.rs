//! libFuzzer's entry for the `bars_csv` target; what it feeds and what must hold: `run/bars_csv.rs`, which
//! `tests/fuzz_corpora.rs` also runs on the committed seeds.
#![no_main]

#[path = "run/bars_csv.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| target::run(data));
