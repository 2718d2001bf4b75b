//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod models;
pub mod native;

use proptest::prelude::*;
use trendcast::Date;
use trendcast::bars::{Bar, BarSeries};

/// The shared S&P 500 data set, or None (with the reason printed) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("TRENDCAST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sp500"));
    if dir.join("industries.csv").exists() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: shared data not found at {} (set TRENDCAST_DATA to its directory)", dir.display());
        None
    }
}

/// Builds a valid series from per-day (log-return, overnight share, wick, wick, volume) draws.
pub fn series_from(draws: &[(f64, f64, f64, f64, f64)]) -> BarSeries {
    let dates = trendcast::bars::synthetic::business_days(Date::parse("2015-01-02").unwrap(), draws.len());
    let mut s = BarSeries::empty("P");
    let mut prev = 50.0;
    for (i, &(r, on, w1, w2, v)) in draws.iter().enumerate() {
        let open = prev * (on * r).exp();
        let close = prev * r.exp();
        let high = open.max(close) * (1.0 + w1);
        let low = open.min(close) * (1.0 - w2);
        s.push(Bar { date: dates[i], open, high, low, close, volume: v }).unwrap();
        prev = close;
    }
    s
}

/// A strategy for one day's draws; volume is sometimes 0, as in real data.
pub fn day() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
    (-0.08..0.08f64, 0.0..1.0f64, 0.0..0.03f64, 0.0..0.03f64, prop_oneof![9 => 1.0..1e7f64, 1 => Just(0.0)])
}

/// Whether two f64 are the same bits (NaN included).
pub fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}
