//! Node features: per stock a few values of the day, per industry node the mean over its member
//! stocks that have them; then, per day and feature across all nodes, clip to mean +- k std and
//! z-score. The choices of values: the authors' raw prices and volume (close, open, high, low,
//! volume); scale-free ratios of the day whose day-to-day changes survive the cross-sectional
//! z-score (a stock's price *level* barely moves relative to the others from one day to the next);
//! scale-free returns over several short horizons (the day split at the open, 5 and 20 days),
//! where the short-term reversal and momentum effects live; or the ratios with the stock's
//! sub-industry and sector mean returns over 1 and 5 days, since on this data most of the 1-day
//! reversal's edge sits at the industry level (models/lsr-igru/REPORT.md, the signal table).

use serde::{Deserialize, Serialize};

use super::NodeSet;
use crate::bars::Panel;

/// The node-feature width of the first three kinds, and of every model exported before the width
/// was recorded per kind.
pub const N_NODE_FEATURES: usize = 5;
/// The widest kind's width: the size of the per-stock scratch rows.
pub const MAX_NODE_FEATURES: usize = 9;

/// Which values describe a stock on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeFeatures {
    /// close, open, high, low, volume (the authors' code).
    #[default]
    Prices,
    /// close_t / close_t-1 - 1, open_t / close_t-1 - 1, high_t / close_t - 1, low_t / close_t - 1,
    /// ln(volume_t / mean volume of the last 20 days up to t); the previous day must have a bar.
    Ratios,
    /// open_t / close_t-1 - 1 (overnight), close_t / open_t - 1 (intraday), the 5- and 20-day
    /// returns close_t / close_t-5 - 1 and close_t / close_t-20 - 1 (universe days back; that day
    /// must have a bar), and the `Ratios` volume ratio. The 1-day return is the first two
    /// compounded.
    ShortHorizon,
    /// The five `Ratios`, then the mean 1-day and 5-day return (close_t / close_t-1 - 1 and
    /// close_t / close_t-5 - 1) of the stock's sub-industry, then of its sector: the mean over the
    /// industry's stocks that trade on t and have that return, the stock itself included.
    RatiosIndustry,
}

impl NodeFeatures {
    /// The values' names, in model-input order (a ranking manifest's `features`).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            NodeFeatures::Prices => &["close", "open", "high", "low", "volume"],
            NodeFeatures::Ratios => &["close_return", "open_gap", "high_to_close", "low_to_close", "log_volume_ratio_20"],
            NodeFeatures::ShortHorizon => &["overnight_return", "intraday_return", "return_5", "return_20", "log_volume_ratio_20"],
            NodeFeatures::RatiosIndustry => &[
                "close_return",
                "open_gap",
                "high_to_close",
                "low_to_close",
                "log_volume_ratio_20",
                "sub_industry_return_1",
                "sub_industry_return_5",
                "sector_return_1",
                "sector_return_5",
            ],
        }
    }

    /// Values per node: the width of the model's `nodes` input.
    pub fn width(self) -> usize {
        self.names().len()
    }
}

/// A stock's values on a day; the first `width()` are used.
type Row = [f64; MAX_NODE_FEATURES];

/// Days of volume the `Ratios` volume feature averages over.
const VOLUME_DAYS: usize = 20;

/// The values of stock `k` on panel day `d` (NaN where undefined; the industry returns of
/// `RatiosIndustry` are filled in by [`node_features_at`]). Reads days up to `d`.
fn stock_values(panel: &Panel, k: usize, d: usize, kind: NodeFeatures) -> Row {
    let mut row = [f64::NAN; MAX_NODE_FEATURES];
    let nd = panel.n_days();
    let i = k * nd + d;
    if !panel.present[i] {
        return row;
    }
    // The close `back` universe days before d, if the stock had a bar then.
    let close_back = |back: usize| if d >= back && panel.present[i - back] { panel.close[i - back] } else { f64::NAN };
    let volume_ratio = || {
        let from = d.saturating_sub(VOLUME_DAYS - 1);
        let (mut sum, mut count) = (0f64, 0f64);
        for j in k * nd + from..=i {
            if panel.present[j] {
                sum += panel.volume[j];
                count += 1.0;
            }
        }
        let volume = (panel.volume[i] / (sum / count)).ln();
        if volume.is_finite() { volume } else { f64::NAN }
    };
    let ratios = || {
        let prev_close = close_back(1);
        [
            panel.close[i] / prev_close - 1.0,
            panel.open[i] / prev_close - 1.0,
            panel.high[i] / panel.close[i] - 1.0,
            panel.low[i] / panel.close[i] - 1.0,
            volume_ratio(),
        ]
    };
    let values = match kind {
        NodeFeatures::Prices => [panel.close[i], panel.open[i], panel.high[i], panel.low[i], panel.volume[i]],
        NodeFeatures::Ratios | NodeFeatures::RatiosIndustry => ratios(),
        NodeFeatures::ShortHorizon => [
            panel.open[i] / close_back(1) - 1.0,
            panel.close[i] / panel.open[i] - 1.0,
            panel.close[i] / close_back(5) - 1.0,
            panel.close[i] / close_back(20) - 1.0,
            volume_ratio(),
        ],
    };
    row[..N_NODE_FEATURES].copy_from_slice(&values);
    if kind == NodeFeatures::RatiosIndustry {
        // The stock's own 1- and 5-day returns, which its industries average; replaced by those
        // averages once every stock's are known.
        row[N_NODE_FEATURES] = values[0];
        row[N_NODE_FEATURES + 1] = panel.close[i] / close_back(5) - 1.0;
    }
    row
}

/// The mean of `value` over the stocks `members` where it is finite (NaN if none is).
fn finite_mean(members: &[usize], value: impl Fn(usize) -> f64) -> f64 {
    let (mut sum, mut count) = (0f64, 0usize);
    for &k in members {
        let v = value(k);
        if v.is_finite() {
            sum += v;
            count += 1;
        }
    }
    if count > 0 { sum / count as f64 } else { f64::NAN }
}

/// Features of every node on panel day `d`, row-major [N, kind.width()], before normalisation; NaN
/// where a node has no value (a stock not trading, an industry with no member that has the value).
pub fn node_features_at(panel: &Panel, nodes: &NodeSet, members: &[Vec<usize>], d: usize, kind: NodeFeatures, out: &mut [f32]) {
    let width = kind.width();
    SCRATCH.with_borrow_mut(|Scratch { stocks, industry_returns }| {
        // Each stock's values once, in f64: the industry means below average these, not the f32 rows.
        stocks.clear();
        stocks.extend((0..nodes.n_stocks).map(|k| stock_values(panel, k, d, kind)));
        if kind == NodeFeatures::RatiosIndustry {
            let (r1, r5) = (N_NODE_FEATURES, N_NODE_FEATURES + 1);
            industry_returns.clear();
            industry_returns.extend(members.iter().map(|m| [finite_mean(m, |k| stocks[k][r1]), finite_mean(m, |k| stocks[k][r5])]));
            for (k, row) in stocks.iter_mut().enumerate() {
                if !panel.present[k * panel.n_days() + d] {
                    continue; // not trading on d: no values at all
                }
                let sub = industry_returns[nodes.stock_sub[k] - nodes.n_stocks];
                let sector = industry_returns[nodes.stock_sector[k] - nodes.n_stocks];
                row[r1..r1 + 4].copy_from_slice(&[sub[0], sub[1], sector[0], sector[1]]);
            }
        }
        for (k, values) in stocks.iter().enumerate() {
            for (f, v) in values[..width].iter().enumerate() {
                out[k * width + f] = *v as f32;
            }
        }
        for (m, member_stocks) in members.iter().enumerate() {
            let node = nodes.n_stocks + m;
            for f in 0..width {
                out[node * width + f] = finite_mean(member_stocks, |k| stocks[k][f]) as f32;
            }
        }
    })
}

/// The buffers of the last call on this thread, which the next call reuses (a live universe
/// computes a day's node features on every push).
#[derive(Default)]
struct Scratch {
    stocks: Vec<Row>,
    /// Per industry node, its mean 1- and 5-day return (`RatiosIndustry`).
    industry_returns: Vec<[f64; 2]>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Clips each of the `width` features of one day to mean +- `clip_std` (population) std across the
/// nodes with a value, then z-scores with the clipped values' mean and std. Missing values become
/// 0 (the mean).
pub fn normalize_day(x: &mut [f32], n_nodes: usize, width: usize, clip_std: f64) {
    for f in 0..width {
        let col = |x: &[f32]| -> (f64, f64) {
            let (mut s, mut s2, mut c) = (0f64, 0f64, 0f64);
            for i in 0..n_nodes {
                let v = x[i * width + f] as f64;
                if v.is_finite() {
                    s += v;
                    s2 += v * v;
                    c += 1.0;
                }
            }
            if c == 0.0 {
                return (0.0, 0.0);
            }
            let m = s / c;
            (m, (s2 / c - m * m).max(0.0).sqrt())
        };
        let (m, sd) = col(x);
        let (lo, hi) = (m - clip_std * sd, m + clip_std * sd);
        for i in 0..n_nodes {
            let v = &mut x[i * width + f];
            if v.is_finite() {
                *v = (*v as f64).clamp(lo, hi) as f32;
            }
        }
        let (m, sd) = col(x);
        for i in 0..n_nodes {
            let v = &mut x[i * width + f];
            *v = if v.is_finite() && sd > 0.0 { ((*v as f64 - m) / sd) as f32 } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::synthetic::{SyntheticSpec, generate};

    /// A 60-day synthetic universe and its node set.
    struct Fixture {
        u: crate::bars::Universe,
        panel: Panel,
        nodes: NodeSet,
        members: Vec<Vec<usize>>,
    }

    impl Fixture {
        fn new() -> Fixture {
            let u = generate(&SyntheticSpec { days: 60, ..Default::default() });
            let panel = Panel::from_series(&u.series);
            let nodes = NodeSet::new(&panel.tickers, &u.industries).unwrap();
            let members = nodes.members();
            Fixture { u, panel, nodes, members }
        }

        /// Every node's features of `kind` on panel day `d`, [N, width].
        fn features(&self, d: usize, kind: NodeFeatures) -> Vec<f32> {
            let mut out = vec![0f32; self.nodes.n_nodes() * kind.width()];
            node_features_at(&self.panel, &self.nodes, &self.members, d, kind, &mut out);
            out
        }

        /// Stock 0's series, the index of its bar on panel day `d`, and its mean volume over the 20
        /// bars up to that one.
        fn stock0(&self, d: usize) -> (&crate::bars::BarSeries, usize, f64) {
            let s = &self.u.series[0];
            let i = s.dates.iter().position(|&x| x == self.panel.calendar[d]).unwrap();
            (s, i, s.volume[i - 19..=i].iter().sum::<f64>() / 20.0)
        }
    }

    /// Stock 0's row of `out` against the values written out longhand.
    fn assert_row(out: &[f32], want: &[f64], names: &[&str]) {
        for (f, w) in want.iter().enumerate() {
            assert!((out[f] as f64 - w).abs() < 1e-6 * w.abs().max(1.0), "{}: {} vs {w}", names[f], out[f]);
        }
    }

    /// The ratio features of a stock, checked against its own series written out longhand; an
    /// industry node holds its members' mean.
    #[test]
    fn ratio_features_follow_their_formulas() {
        let x = Fixture::new();
        let out = x.features(40, NodeFeatures::Ratios);
        let (s, i, mean_volume) = x.stock0(40);
        let want = [
            s.close[i] / s.close[i - 1] - 1.0,
            s.open[i] / s.close[i - 1] - 1.0,
            s.high[i] / s.close[i] - 1.0,
            s.low[i] / s.close[i] - 1.0,
            (s.volume[i] / mean_volume).ln(),
        ];
        assert_row(&out, &want, NodeFeatures::Ratios.names());
        // The first industry node: the mean of its members' rows.
        let (m, stocks) = (0, &x.members[0]);
        for f in 0..N_NODE_FEATURES {
            let mean = stocks.iter().map(|&k| out[k * N_NODE_FEATURES + f] as f64).sum::<f64>() / stocks.len() as f64;
            let got = out[(x.nodes.n_stocks + m) * N_NODE_FEATURES + f] as f64;
            assert!((got - mean).abs() < 1e-6, "industry feature {f}: {got} vs {mean}");
        }
        // Day 0 has no previous close: the return features are undefined there.
        let out = x.features(0, NodeFeatures::Ratios);
        assert!(out[0].is_nan() && out[1].is_nan() && out[2].is_finite());
    }

    /// The short-horizon features likewise, and each horizon undefined until its day has a bar.
    #[test]
    fn short_horizon_features_follow_their_formulas() {
        let x = Fixture::new();
        let out = x.features(40, NodeFeatures::ShortHorizon);
        let (s, i, mean_volume) = x.stock0(40);
        let want = [
            s.open[i] / s.close[i - 1] - 1.0,
            s.close[i] / s.open[i] - 1.0,
            s.close[i] / s.close[i - 5] - 1.0,
            s.close[i] / s.close[i - 20] - 1.0,
            (s.volume[i] / mean_volume).ln(),
        ];
        assert_row(&out, &want, NodeFeatures::ShortHorizon.names());
        // Overnight needs day d-1, the 5- and 20-day returns days d-5 and d-20.
        for (d, defined) in [(0, [false, true, false, false]), (4, [true, true, false, false]), (19, [true, true, true, false])] {
            let out = x.features(d, NodeFeatures::ShortHorizon);
            assert_eq!(out[..4].iter().map(|v| v.is_finite()).collect::<Vec<_>>(), defined, "day {d}");
        }
    }

    /// The industry ratios: the five ratios, then the stock's sub-industry and sector mean 1- and
    /// 5-day returns written out longhand from the members' series; a sub-industry node carries
    /// its own returns, and a stock that does not trade has no values at all.
    #[test]
    fn industry_ratio_features_follow_their_formulas() {
        let u = generate(&SyntheticSpec { days: 60, late_listing_every: 5, ..Default::default() });
        let panel = Panel::from_series(&u.series);
        let nodes = NodeSet::new(&panel.tickers, &u.industries).unwrap();
        let members = nodes.members();
        let kind = NodeFeatures::RatiosIndustry;
        let (n, w, d) = (nodes.n_nodes(), kind.width(), 8);
        let mut out = vec![0f32; n * w];
        node_features_at(&panel, &nodes, &members, d, kind, &mut out);
        let mut ratios = vec![0f32; n * N_NODE_FEATURES];
        node_features_at(&panel, &nodes, &members, d, NodeFeatures::Ratios, &mut ratios);
        // The mean `back`-day return on panel day d of the stocks of an industry node.
        let mean_return = |node: usize, back: usize| {
            let r: Vec<f64> = members[node - nodes.n_stocks]
                .iter()
                .filter_map(|&k| {
                    let s = &u.series[k];
                    let i = s.dates.iter().position(|&x| x == panel.calendar[d])?;
                    let j = s.dates.iter().position(|&x| x == panel.calendar[d - back])?;
                    Some(s.close[i] / s.close[j] - 1.0)
                })
                .collect();
            r.iter().sum::<f64>() / r.len() as f64
        };
        let mut absent = 0;
        for k in 0..nodes.n_stocks {
            let row = &out[k * w..(k + 1) * w];
            if !u.series[k].dates.contains(&panel.calendar[d]) {
                assert!(row.iter().all(|v| v.is_nan()), "stock {k} does not trade on day {d}: {row:?}");
                absent += 1;
                continue;
            }
            assert_eq!(
                &row[..N_NODE_FEATURES].iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..],
                &ratios[k * N_NODE_FEATURES..(k + 1) * N_NODE_FEATURES].iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..]
            );
            let (sub, sector) = (nodes.stock_sub[k], nodes.stock_sector[k]);
            let want = [mean_return(sub, 1), mean_return(sub, 5), mean_return(sector, 1), mean_return(sector, 5)];
            assert_row(&row[N_NODE_FEATURES..], &want, &kind.names()[N_NODE_FEATURES..]);
            // The sub-industry node's own industry columns are its mean returns.
            let node_row = &out[sub * w..(sub + 1) * w];
            assert_row(&node_row[N_NODE_FEATURES..N_NODE_FEATURES + 2], &want[..2], &kind.names()[N_NODE_FEATURES..]);
        }
        assert!(absent > 0 && absent < nodes.n_stocks, "the fixture has {absent} stocks not trading on day {d}");
    }
}
