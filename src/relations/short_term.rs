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

    /// gram += sign_k * r_k r_k^T for each (r_k, sign_k) in order, upper triangle only (the matrix
    /// is symmetric). Row by row: each row stays in L1 while the days stream past, instead of one
    /// pass over the whole matrix per day; every entry sees the same operations in the same order
    /// as one pass per day, so the result is the same bit for bit.
    fn update(&mut self, days: &[(&[f64], f64)]) {
        let n = self.n;
        for (i, row) in self.gram.chunks_exact_mut(n).enumerate() {
            let row = &mut row[i..];
            for &(r, sign) in days {
                let ri = sign * r[i];
                if ri == 0.0 {
                    continue;
                }
                for (g, rj) in row.iter_mut().zip(&r[i..]) {
                    *g += ri * rj;
                }
            }
        }
    }

    /// Adds a day to the window.
    pub fn add(&mut self, r: &[f64]) {
        self.update(&[(r, 1.0)]);
    }

    /// Removes a day that was added before.
    pub fn remove(&mut self, r: &[f64]) {
        self.update(&[(r, -1.0)]);
    }

    /// Adds the days of `returns` (row-major, one row of N per day) in order, in one pass.
    pub fn add_days(&mut self, returns: &[f64]) {
        let days: Vec<(&[f64], f64)> = returns.chunks_exact(self.n).map(|r| (r, 1.0)).collect();
        self.update(&days);
    }

    /// Moves the window one day: adds `newest`, then removes `oldest`, in one pass.
    pub fn slide(&mut self, newest: &[f64], oldest: &[f64]) {
        self.update(&[(newest, 1.0), (oldest, -1.0)]);
    }

    /// The relation matrix of the current window into `out` (N x N, row-major): the upper triangle
    /// row by row, then mirrored tile by tile (a column-order write per entry is what made this
    /// slow).
    pub fn matrix(&self, cut: f64, out: &mut [f32]) {
        let n = self.n;
        let norms: Vec<f64> = (0..n).map(|i| self.gram[i * n + i].sqrt()).collect();
        for i in 0..n {
            let (gram, out) = (&self.gram[i * n + i..(i + 1) * n], &mut out[i * n + i..(i + 1) * n]);
            let ni = norms[i];
            // Branch-free, so that the compiler vectorises it: both sides are computed and one is
            // selected (an undefined cosine is never selected).
            for ((o, &g), &nj) in out.iter_mut().zip(gram).zip(&norms[i..]) {
                let s = ((g / (ni * nj)).clamp(-1.0, 1.0) + 1.0) / 2.0;
                // A node with no return in the window relates to nothing (cos is undefined).
                let keep = (ni > 0.0) & (nj > 0.0) & (s >= cut);
                *o = if keep { s as f32 } else { 0.0 };
            }
        }
        const TILE: usize = 32;
        for bi in (0..n).step_by(TILE) {
            for bj in (0..bi + 1).step_by(TILE) {
                for i in bi..(bi + TILE).min(n) {
                    let end = (bj + TILE).min(i);
                    if end <= bj {
                        continue;
                    }
                    // Row i's lower entries bj..end are column i's entries in rows bj..end above it.
                    let (above, row) = out.split_at_mut(i * n);
                    let column = above[bj * n + i..].iter().step_by(n);
                    for (o, v) in row[bj..end].iter_mut().zip(column) {
                        *o = *v;
                    }
                }
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
