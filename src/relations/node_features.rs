//! Node features: per stock the five raw values of the day (close, open, high, low, volume); per
//! industry node the mean over its member stocks that trade that day. Then, per day and feature
//! across all nodes, clip to mean +- k std and z-score.

use super::NodeSet;
use crate::bars::Panel;

pub const N_NODE_FEATURES: usize = 5;

/// Raw features of every node on panel day `d`, row-major [N, 5]; NaN where a node has no value
/// (a stock not trading, an industry with no member trading).
pub fn node_features_at(panel: &Panel, nodes: &NodeSet, members: &[Vec<usize>], d: usize, out: &mut [f32]) {
    let nd = panel.n_days();
    let cols = [&panel.close, &panel.open, &panel.high, &panel.low, &panel.volume];
    for k in 0..nodes.n_stocks {
        let i = k * nd + d;
        for (f, col) in cols.iter().enumerate() {
            out[k * N_NODE_FEATURES + f] = if panel.present[i] { col[i] as f32 } else { f32::NAN };
        }
    }
    for (m, stocks) in members.iter().enumerate() {
        let node = nodes.n_stocks + m;
        let mut sum = [0f64; N_NODE_FEATURES];
        let mut count = 0usize;
        for &k in stocks {
            let i = k * nd + d;
            if panel.present[i] {
                count += 1;
                for (f, col) in cols.iter().enumerate() {
                    sum[f] += col[i];
                }
            }
        }
        for f in 0..N_NODE_FEATURES {
            out[node * N_NODE_FEATURES + f] = if count > 0 { (sum[f] / count as f64) as f32 } else { f32::NAN };
        }
    }
}

/// Clips each feature of one day to mean +- `clip_std` (population) std across the nodes with a
/// value, then z-scores with the clipped values' mean and std. Missing values become 0 (the mean).
pub fn normalize_day(x: &mut [f32], n_nodes: usize, clip_std: f64) {
    for f in 0..N_NODE_FEATURES {
        let col = |x: &[f32]| -> (f64, f64) {
            let (mut s, mut s2, mut c) = (0f64, 0f64, 0f64);
            for i in 0..n_nodes {
                let v = x[i * N_NODE_FEATURES + f] as f64;
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
            let v = &mut x[i * N_NODE_FEATURES + f];
            if v.is_finite() {
                *v = (*v as f64).clamp(lo, hi) as f32;
            }
        }
        let (m, sd) = col(x);
        for i in 0..n_nodes {
            let v = &mut x[i * N_NODE_FEATURES + f];
            *v = if v.is_finite() && sd > 0.0 { ((*v as f64 - m) / sd) as f32 } else { 0.0 };
        }
    }
}
