//! `trendcast_direction` through the C ABI, on one of three seeded models, with arbitrary stocks
//! (raw values, and plausible bars of any length around the models' minimums) and output lengths:
//! a named status, never TRENDCAST_STATUS_PANIC; on success, probabilities that are finite and sum
//! to 1.

use std::sync::OnceLock;

use crate::common::{Handle, Stock, last_error, open_on_tract, plausible, write_direction, write_gru};
use arbitrary::Arbitrary;
use trendcast::contract::WindowAlignment;
use trendcast::model::manifest::Scaler;
use trendcast_export::export::DirectionExport;
use trendcast_export::onnx::Cell;

use trendcast::ffi::{trendcast_direction, trendcast_status};

/// The models, opened on tract once: a GRU (window 30, no scaler, 50 bars); an LSTM of the
/// original's one-day-gap windows with a scaler (window 8, 29 bars); an Elman RNN (window 45, 65
/// bars). Their windows, alignments and scalers take different paths through the window cut.
fn models() -> &'static [(tempfile::TempDir, Handle); 3] {
    static MODELS: OnceLock<[(tempfile::TempDir, Handle); 3]> = OnceLock::new();
    MODELS.get_or_init(|| {
        let scaler = Scaler { mean: (0..13).map(|j| 0.01 * j as f64).collect(), std: (0..13).map(|j| 0.5 + 0.1 * j as f64).collect() };
        let gap = DirectionExport { alignment: WindowAlignment::EndsBeforeT, scaler: Some(scaler), ..DirectionExport::new("fuzz-gap", 8) };
        [
            open_on_tract(|dir| write_gru(dir, 30)),
            open_on_tract(|dir| write_direction(dir, Cell::Lstm, 16, 2, gap)),
            open_on_tract(|dir| write_direction(dir, Cell::Rnn, 4, 3, DirectionExport::new("fuzz-rnn", 45))),
        ]
    })
}

#[derive(Debug, Arbitrary)]
pub struct Input {
    raw: Vec<Stock>,
    plausible: Vec<(u8, u8, Vec<u8>)>,
    out_len_delta: i8,
    model: u8,
}

pub fn run(input: Input) {
    let model = &models()[input.model as usize % 3].1;
    let mut stocks: Vec<Stock> = input.plausible.iter().map(|(n, end, moves)| plausible(20 + *n as usize % 60, *end, moves)).collect();
    stocks.extend(input.raw);
    let bars: Vec<_> = stocks.iter().map(Stock::c_bars).collect();
    let n = bars.len();
    let out_len = (3 * n as isize + input.out_len_delta as isize).max(0) as usize;
    let mut out = vec![f32::NAN; out_len.max(1)];
    let status = trendcast_direction(model.0, bars.as_ptr(), n, out.as_mut_ptr(), out_len);
    assert_ne!(status, trendcast_status::Panic, "{}", last_error());
    if status == trendcast_status::Ok {
        for p in out[..3 * n].chunks_exact(3) {
            assert!(p.iter().all(|v| v.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
        }
    }
}
