//! Short-term relations A_S[t]: over the `lookback` trading days ending at t, the cosine similarity
//! of every pair of nodes' overnight-return vectors (missing = 0), mapped to [0, 1] by (cos + 1) / 2,
//! entries below `cut` set to 0. The Gram matrix of the window is updated incrementally from one day
//! to the next (add the new day's outer product, subtract the oldest's) instead of recomputing.

use super::NodeSet;
use crate::bars::Panel;

/// Overnight return open_t / close_{t-1} - 1 of every node on day `d` (0 where undefined). An
/// industry node uses the members trading on both days: their mean open over their mean close.
pub fn overnight_returns(panel: &Panel, nodes: &NodeSet, members: &[Vec<usize>], d: usize, out: &mut [f64]) {
    let nd = panel.n_days();
    let both = |k: usize| d > 0 && panel.present[k * nd + d] && panel.present[k * nd + d - 1];
    for (k, o) in out.iter_mut().enumerate().take(nodes.n_stocks) {
        *o = if both(k) { panel.open[k * nd + d] / panel.close[k * nd + d - 1] - 1.0 } else { 0.0 };
    }
    for (m, stocks) in members.iter().enumerate() {
        let (mut open, mut close, mut c) = (0f64, 0f64, 0usize);
        for &k in stocks.iter().filter(|&&k| both(k)) {
            open += panel.open[k * nd + d];
            close += panel.close[k * nd + d - 1];
            c += 1;
        }
        out[nodes.n_stocks + m] = if c > 0 { open / close - 1.0 } else { 0.0 };
    }
}

/// The Gram matrix of a sliding window of overnight-return vectors, and the relation matrix of it.
#[derive(Debug, Clone)]
pub struct ShortTermRelations {
    n: usize,
    gram: Vec<f64>,
}

impl ShortTermRelations {
    pub fn new(n_nodes: usize) -> Self {
        ShortTermRelations { n: n_nodes, gram: vec![0.0; n_nodes * n_nodes] }
    }

    /// gram += sign * r r^T (upper triangle; the matrix is symmetric).
    fn rank_one(&mut self, r: &[f64], sign: f64) {
        let n = self.n;
        for i in 0..n {
            let ri = sign * r[i];
            if ri == 0.0 {
                continue;
            }
            let row = &mut self.gram[i * n + i..(i + 1) * n];
            for (g, rj) in row.iter_mut().zip(&r[i..]) {
                *g += ri * rj;
            }
        }
    }

    /// Adds a day to the window.
    pub fn add(&mut self, r: &[f64]) {
        self.rank_one(r, 1.0);
    }

    /// Removes a day that was added before.
    pub fn remove(&mut self, r: &[f64]) {
        self.rank_one(r, -1.0);
    }

    /// The relation matrix of the current window into `out` (N x N, row-major).
    pub fn matrix(&self, cut: f64, out: &mut [f32]) {
        let n = self.n;
        for i in 0..n {
            for j in i..n {
                let (gii, gjj) = (self.gram[i * n + i], self.gram[j * n + j]);
                // A node with no return in the window relates to nothing (cos is undefined).
                let v = if gii > 0.0 && gjj > 0.0 {
                    let cos = (self.gram[i * n + j] / (gii.sqrt() * gjj.sqrt())).clamp(-1.0, 1.0);
                    let s = (cos + 1.0) / 2.0;
                    if s < cut { 0.0 } else { s as f32 }
                } else {
                    0.0
                };
                out[i * n + j] = v;
                out[j * n + i] = v;
            }
        }
    }
}

/// The relation matrix of one window computed directly from the return vectors (`days` x N,
/// row-major), pair by pair: the reference the incremental path is tested against.
pub fn short_term_direct(returns: &[f64], days: usize, n: usize, cut: f64) -> Vec<f32> {
    let col = |j: usize| (0..days).map(move |t| returns[t * n + j]);
    let norm: Vec<f64> = (0..n).map(|j| col(j).map(|v| v * v).sum::<f64>().sqrt()).collect();
    let mut out = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            if norm[i] > 0.0 && norm[j] > 0.0 {
                let dot: f64 = col(i).zip(col(j)).map(|(a, b)| a * b).sum();
                let s = ((dot / (norm[i] * norm[j])).clamp(-1.0, 1.0) + 1.0) / 2.0;
                out[i * n + j] = if s < cut { 0.0 } else { s as f32 };
            }
        }
    }
    out
}
