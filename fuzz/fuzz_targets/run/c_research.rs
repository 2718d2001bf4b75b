//! The research entry points through the C ABI: `trendcast_features` on one arbitrary stock (raw
//! values, or plausible bars of any length) and `trendcast_backtest` on arbitrary stocks, decision
//! days (any integers, or runs of the bars' own trading days), scores, portfolio size, cost and
//! swap limit. Each answers a named status, never TRENDCAST_STATUS_PANIC; a failed call leaves its
//! outputs as they were; a successful backtest reports one record per decision day, in order, and
//! a features call 13 values per bar.

use crate::common::{Stock, last_error, plausible};
use arbitrary::Arbitrary;
use trendcast::ffi::{
    TRENDCAST_N_FEATURES, trendcast_backtest, trendcast_backtest_day, trendcast_backtest_metrics, trendcast_features, trendcast_status,
};

#[derive(Debug, Arbitrary)]
pub enum Days {
    /// Any integers.
    Raw(Vec<i32>),
    /// A run of the bars' trading days: from the `start`-th, `len` of them.
    Run { start: u8, len: u8 },
}

#[derive(Debug, Arbitrary)]
pub struct Input {
    one: Stock,
    one_plausible: Option<(u8, Vec<u8>)>,
    raw: Vec<Stock>,
    plausible: Vec<(u8, u8, Vec<u8>)>,
    days: Days,
    scores: Vec<f32>,
    top_k: u8,
    cost_bps: f64,
    max_swaps: u8,
}

pub fn run(input: Input) {
    // Features of one stock.
    let one = match &input.one_plausible {
        Some((n, moves)) => plausible(*n as usize, 0, moves),
        None => input.one,
    };
    let bars = one.c_bars();
    let mut out = vec![7.0f64; bars.len * TRENDCAST_N_FEATURES];
    let status = trendcast_features(&bars, out.as_mut_ptr(), out.len());
    assert_ne!(status, trendcast_status::Panic, "{}", last_error());
    if status != trendcast_status::Ok {
        assert!(out.iter().all(|&v| v == 7.0), "a failed features call wrote its output");
    }

    // A backtest of arbitrary scores.
    let mut stocks: Vec<Stock> = input.plausible.iter().map(|(n, end, moves)| plausible(5 + *n as usize % 60, *end, moves)).collect();
    stocks.extend(input.raw);
    let bars: Vec<_> = stocks.iter().map(Stock::c_bars).collect();
    let days: Vec<i32> = match input.days {
        Days::Raw(d) => d,
        Days::Run { start, len } => {
            let mut calendar: Vec<i32> = stocks.iter().flat_map(|s| s.c_bars_dates()).collect();
            calendar.sort_unstable();
            calendar.dedup();
            calendar.into_iter().skip(start as usize).take(len as usize).collect()
        }
    };
    let need = days.len() * bars.len();
    let scores: Vec<f32> = (0..need).map(|i| input.scores.get(i % input.scores.len().max(1)).copied().unwrap_or(f32::NAN)).collect();
    let mut metrics = trendcast_backtest_metrics { days: 12345, ..Default::default() };
    let mut records = vec![trendcast_backtest_day { date: -1, ..Default::default() }; days.len()];
    let status = trendcast_backtest(
        bars.as_ptr(),
        bars.len(),
        days.as_ptr(),
        days.len(),
        scores.as_ptr(),
        input.top_k as usize,
        input.cost_bps,
        input.max_swaps as usize,
        &mut metrics,
        records.as_mut_ptr(),
        records.len(),
    );
    assert_ne!(status, trendcast_status::Panic, "{}", last_error());
    if status == trendcast_status::Ok {
        assert_eq!(metrics.days, days.len());
        assert!(records.iter().zip(&days).all(|(r, &d)| r.date == d), "one record per decision day, in order");
    } else {
        assert_eq!(metrics.days, 12345, "a failed backtest wrote its metrics");
        assert!(records.iter().all(|r| r.date == -1), "a failed backtest wrote its records");
    }
}
