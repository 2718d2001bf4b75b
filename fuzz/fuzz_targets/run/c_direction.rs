//! `trendcast_direction` through the C ABI with arbitrary stocks (raw values, and plausible bars of
//! any length around the model's 50-bar minimum) and output lengths: a named status, never
//! TRENDCAST_STATUS_PANIC; on success, probabilities that are finite and sum to 1.

use std::sync::OnceLock;

use crate::common::{Handle, Stock, last_error, open_on_tract, plausible, write_gru};
use arbitrary::Arbitrary;
use trendcast::ffi::{trendcast_direction, trendcast_status};

/// A small GRU bundle (window 30, 13 features), opened on tract once.
fn model() -> &'static Handle {
    static MODEL: OnceLock<(tempfile::TempDir, Handle)> = OnceLock::new();
    &MODEL.get_or_init(|| open_on_tract(|dir| write_gru(dir, 30))).1
}

#[derive(Debug, Arbitrary)]
pub struct Input {
    raw: Vec<Stock>,
    plausible: Vec<(u8, u8, Vec<u8>)>,
    out_len_delta: i8,
}

pub fn run(input: Input) {
    let mut stocks: Vec<Stock> = input.plausible.iter().map(|(n, end, moves)| plausible(30 + *n as usize % 60, *end, moves)).collect();
    stocks.extend(input.raw);
    let bars: Vec<_> = stocks.iter().map(Stock::c_bars).collect();
    let n = bars.len();
    let out_len = (3 * n as isize + input.out_len_delta as isize).max(0) as usize;
    let mut out = vec![f32::NAN; out_len.max(1)];
    let status = trendcast_direction(model().0, bars.as_ptr(), n, out.as_mut_ptr(), out_len);
    assert_ne!(status, trendcast_status::Panic, "{}", last_error());
    if status == trendcast_status::Ok {
        for p in out[..3 * n].chunks_exact(3) {
            assert!(p.iter().all(|v| v.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
        }
    }
}
