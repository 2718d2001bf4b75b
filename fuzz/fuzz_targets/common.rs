#![allow(dead_code)] // each target uses a part of these helpers
//! Shared by the C entry point targets: arbitrary stocks as the C ABI's bar sets.

use arbitrary::Arbitrary;
use trendcast::ffi::{trendcast_bars, trendcast_model, trendcast_model_open, trendcast_open_options_default, trendcast_status};

/// A model handle shared by libFuzzer's calls (the C ABI allows calls from many threads).
pub struct Handle(pub *mut trendcast_model);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

/// The message of this thread's last failed C call.
pub fn last_error() -> String {
    // SAFETY: the library's NUL-terminated string, valid until its next call on this thread.
    unsafe { std::ffi::CStr::from_ptr(trendcast::ffi::trendcast_last_error()) }.to_string_lossy().into_owned()
}

/// A bundle that `write` puts into a temp folder, opened on tract through the C ABI.
pub fn open_on_tract(write: impl FnOnce(&std::path::Path)) -> (tempfile::TempDir, Handle) {
    let dir = tempfile::tempdir().expect("a temp dir");
    write(dir.path());
    let path = std::ffi::CString::new(dir.path().to_str().expect("utf-8")).expect("no NUL");
    let mut opts = trendcast_open_options_default();
    opts.backend = 2; // tract
    let mut h = std::ptr::null_mut();
    assert_eq!(trendcast_model_open(path.as_ptr(), &opts, &mut h), trendcast_status::Ok);
    (dir, Handle(h))
}

/// The small GRU the direction targets answer with (13 features, 8 units), as a bundle of window
/// `window` in `dir`.
pub fn write_gru(dir: &std::path::Path, window: usize) {
    write_direction(dir, trendcast_export::onnx::Cell::Gru, 8, 1, trendcast_export::export::DirectionExport::new("fuzz", window));
}

/// A seeded recurrent direction model (`cell`, `hidden` units, weights from `seed`) under the
/// contract `e` (window, alignment, scaler), as a bundle in `dir`.
pub fn write_direction(
    dir: &std::path::Path,
    cell: trendcast_export::onnx::Cell,
    hidden: usize,
    seed: u64,
    e: trendcast_export::export::DirectionExport,
) {
    use trendcast_export::onnx::{DirectionNet, RecurrentClassifier};
    let net: DirectionNet = RecurrentClassifier::seeded(cell, 13, hidden, 3, seed).into();
    trendcast_export::export::write_direction(dir, &net, &e).expect("written");
}

/// The ranking probe the ranking targets answer with, as a bundle of window `window` and relation
/// settings `relations` in `dir`.
pub fn write_probe(dir: &std::path::Path, window: usize, relations: trendcast::relations::RelationSpec) {
    let probe = trendcast_export::onnx::RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    let e = trendcast_export::export::DirectionExport::new("fuzz", window);
    trendcast_export::export::write_ranking_probe(dir, &probe, &e, relations).expect("written");
}

/// A small LSR-IGRU (GAT encoder 6, 4; GRU 5, 3; seeded weights), whose window graph takes each
/// day's encodings in pieces (the probe's takes them stacked), as a bundle of window `window` and
/// relation settings `relations` in `dir`.
pub fn write_lsr_igru(dir: &std::path::Path, window: usize, relations: trendcast::relations::RelationSpec) {
    use trendcast_export::onnx::{LsrIgru, LsrIgruSpec};
    let spec = LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], head_hidden: 4, ..LsrIgruSpec::paper() };
    let e = trendcast_export::export::RankingExport { window, relations, ..trendcast_export::export::RankingExport::new("fuzz") };
    trendcast_export::export::write_ranking(dir, &LsrIgru::seeded(spec, 7).expect("a valid spec"), &e).expect("written");
}

/// One stock's bars: any values, any dates, any length (the columns share one length, as the
/// C struct has one `len`; the arrays' own lengths are the fuzzer's).
#[derive(Debug, Arbitrary)]
pub struct Stock {
    pub dates: Vec<i32>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Stock {
    /// The dates the C view covers (its first `len`).
    pub fn c_bars_dates(&self) -> Vec<i32> {
        self.dates[..self.c_bars().len].to_vec()
    }

    /// The C view: `len` is the shortest column's, so that every pointer is valid for `len` values.
    pub fn c_bars(&self) -> trendcast_bars {
        let len = [self.dates.len(), self.open.len(), self.high.len(), self.low.len(), self.close.len(), self.volume.len()]
            .into_iter()
            .min()
            .unwrap_or(0);
        trendcast_bars {
            dates: self.dates.as_ptr(),
            open: self.open.as_ptr(),
            high: self.high.as_ptr(),
            low: self.low.as_ptr(),
            close: self.close.as_ptr(),
            volume: self.volume.as_ptr(),
            len,
        }
    }
}

/// Plausible bars (so that calls get past validation and reach the features and the model): `n`
/// weekdays ending on the last weekday up to `end_offset % 8` days after 2020-06-01, whose prices
/// follow `moves`, open and close inside [low, high].
pub fn plausible(n: usize, end_offset: u8, moves: &[u8]) -> Stock {
    let mut s = Stock { dates: vec![], open: vec![], high: vec![], low: vec![], close: vec![], volume: vec![] };
    let mut day = trendcast::Date::parse("2020-06-01").expect("a date").days_since_epoch() + end_offset as i32 % 8;
    let mut dates = Vec::with_capacity(n);
    while dates.len() < n {
        let d = trendcast::Date::from_days_since_epoch(day);
        if !d.is_weekend() {
            dates.push(d.yyyymmdd());
        }
        day -= 1;
    }
    dates.reverse();
    let mut price = 50.0;
    for (i, date) in dates.into_iter().enumerate() {
        let m = moves.get(i % moves.len().max(1)).copied().unwrap_or(128) as f64;
        price *= 1.0 + (m - 128.0) / 2560.0;
        let close = price * (1.0 + (m - 128.0) / 5120.0);
        s.dates.push(date);
        s.open.push(price);
        s.high.push(price.max(close) * 1.01);
        s.low.push(price.min(close) * 0.99);
        s.close.push(close);
        s.volume.push(1e5 + m * 100.0);
    }
    s
}
