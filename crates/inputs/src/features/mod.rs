//! The 13 direction features of `docs/specs/direction.md`, one definition used two ways:
//! [`compute`] over a whole series (training, backfills) and [`FeatureState`] one bar at a time
//! (a live system's daily update, O(1) per bar). Both call the same row kernel on the same trailing
//! values in the same order, so they agree bit for bit; a test holds them to it.
//!
//! A feature of day t reads bars up to and including t only. [`Market`] holds the optional market
//! features, which read the whole universe's bars.

mod incremental;
mod market;

pub use incremental::{FeatureState, compute_into};
pub use market::{MARKET_FEATURE_NAMES, Market, MarketRow, N_MARKET_FEATURES};

use crate::bars::BarSeries;

pub const N_FEATURES: usize = 13;

/// Feature names in model-input order (the order of every row).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "daily_return",
    "log_return",
    "open_close_return",
    "high_low_range",
    "volume_change",
    "ma_5_ratio",
    "ma_10_ratio",
    "ma_20_ratio",
    "volatility_5",
    "volatility_10",
    "volatility_20",
    "momentum_5",
    "momentum_10",
];

/// Index of the first bar whose 13 features are all defined: volatility_20 needs 20 daily returns,
/// hence 21 closes.
pub const WARMUP_BARS: usize = 20;

/// Closes the kernel looks back over (ma_20 needs 20, momentum_10 needs 11, returns need 21).
pub(crate) const CLOSE_LOOKBACK: usize = WARMUP_BARS + 1;
/// Daily returns the kernel looks back over (volatility_20).
pub(crate) const RETURN_LOOKBACK: usize = 20;

/// One day's 13 features.
pub type FeatureRow = [f64; N_FEATURES];

/// Whether every feature in the row is a finite number (the original drops other rows).
pub fn is_complete(row: &FeatureRow) -> bool {
    row.iter().all(|v| v.is_finite())
}

/// The features of a row that are not finite, as "name = value" ("volume_change = inf"), for
/// messages.
pub fn not_finite(row: &FeatureRow) -> String {
    FEATURE_NAMES.iter().zip(row).filter(|(_, v)| !v.is_finite()).map(|(n, v)| format!("{n} = {v}")).collect::<Vec<_>>().join(", ")
}

/// The inputs of one day's row: trailing values ending at day t, oldest first.
pub(crate) struct RowInputs<'a> {
    /// Up to [`CLOSE_LOOKBACK`] closes ending with close_t.
    pub closes: &'a [f64],
    /// The defined daily returns ending with the return of day t (up to [`RETURN_LOOKBACK`]).
    pub returns: &'a [f64],
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub volume: f64,
    /// Volume of the previous bar (NaN on the first bar).
    pub prev_volume: f64,
}

/// The row kernel: the one place where the formulas live. Features that need more history than
/// given are NaN.
pub(crate) fn row(x: &RowInputs<'_>) -> FeatureRow {
    let n = x.closes.len();
    let close = x.closes[n - 1];
    let back = |k: usize| if n > k { x.closes[n - 1 - k] } else { f64::NAN };
    let ma_ratio = |k: usize| {
        if n >= k { close / mean(&x.closes[n - k..]) - 1.0 } else { f64::NAN }
    };
    let volatility = |k: usize| {
        let m = x.returns.len();
        if m >= k { sample_std(&x.returns[m - k..]) } else { f64::NAN }
    };
    let prev_close = back(1);
    [
        close / prev_close - 1.0,
        (close / prev_close).ln(),
        close / x.open - 1.0,
        x.high / x.low - 1.0,
        x.volume / x.prev_volume - 1.0,
        ma_ratio(5),
        ma_ratio(10),
        ma_ratio(20),
        volatility(5),
        volatility(10),
        volatility(20),
        close / back(5) - 1.0,
        close / back(10) - 1.0,
    ]
}

/// Arithmetic mean, summed oldest first.
fn mean(w: &[f64]) -> f64 {
    w.iter().sum::<f64>() / w.len() as f64
}

/// Sample standard deviation (ddof = 1), two-pass for accuracy.
pub(crate) fn sample_std(w: &[f64]) -> f64 {
    let m = mean(w);
    let ss: f64 = w.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (w.len() - 1) as f64).sqrt()
}

/// The features of every bar of a series (rows before [`WARMUP_BARS`] hold NaN where undefined).
pub fn compute(s: &BarSeries) -> Vec<FeatureRow> {
    let n = s.len();
    // returns[i] is the daily return of bar i + 1.
    let returns: Vec<f64> = s.close.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    (0..n)
        .map(|t| {
            let r_end = t; // returns of bars 1..=t are returns[0..t]
            row(&RowInputs {
                closes: &s.close[(t + 1).saturating_sub(CLOSE_LOOKBACK)..=t],
                returns: &returns[r_end.saturating_sub(RETURN_LOOKBACK)..r_end],
                open: s.open[t],
                high: s.high[t],
                low: s.low[t],
                volume: s.volume[t],
                prev_volume: if t > 0 { s.volume[t - 1] } else { f64::NAN },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    /// Features of a hand-made series, checked against the spec's formulas written out longhand.
    #[test]
    fn matches_the_spec_formulas() {
        let n = 30;
        let close: Vec<f64> = (0..n).map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64).collect();
        let open: Vec<f64> = close.iter().map(|c| c * 0.995).collect();
        let high: Vec<f64> = close.iter().map(|c| c * 1.02).collect();
        let low: Vec<f64> = close.iter().map(|c| c * 0.97).collect();
        let volume: Vec<f64> = (0..n).map(|i| 1000.0 + 37.0 * i as f64).collect();
        let dates = crate::bars::synthetic::business_days(Date::parse("2021-03-01").unwrap(), n);
        let s = BarSeries::new("X", dates, open.clone(), high.clone(), low.clone(), close.clone(), volume.clone()).unwrap();
        let f = compute(&s);
        let t = 25;
        let ret = |i: usize| close[i] / close[i - 1] - 1.0;
        let std = |k: usize| {
            let r: Vec<f64> = (t + 1 - k..=t).map(ret).collect();
            let m = r.iter().sum::<f64>() / k as f64;
            (r.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt()
        };
        let ma = |k: usize| close[t] / (close[t + 1 - k..=t].iter().sum::<f64>() / k as f64) - 1.0;
        let expect = [
            ret(t),
            (close[t] / close[t - 1]).ln(),
            close[t] / open[t] - 1.0,
            high[t] / low[t] - 1.0,
            volume[t] / volume[t - 1] - 1.0,
            ma(5),
            ma(10),
            ma(20),
            std(5),
            std(10),
            std(20),
            close[t] / close[t - 5] - 1.0,
            close[t] / close[t - 10] - 1.0,
        ];
        for (k, (got, want)) in f[t].iter().zip(expect).enumerate() {
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{}: {got} vs {want}", FEATURE_NAMES[k]);
        }
        // Warm-up: row 19 lacks volatility_20, row 20 is the first complete one.
        assert!(f[19][10].is_nan() && !is_complete(&f[19]));
        assert!(is_complete(&f[WARMUP_BARS]));
        assert!(f[0][0].is_nan() && f[0][2].is_finite());
    }

    #[test]
    fn zero_previous_volume_gives_a_non_finite_volume_change() {
        let dates = crate::bars::synthetic::business_days(Date::parse("2021-03-01").unwrap(), 3);
        let s = BarSeries::new("X", dates, vec![1.0; 3], vec![1.0; 3], vec![1.0; 3], vec![1.0; 3], vec![5.0, 0.0, 3.0]).unwrap();
        let f = compute(&s);
        assert_eq!(f[1][4], -1.0);
        assert!(f[2][4].is_infinite());
    }
}
