//! Short-term relations A_S[t]: over the `lookback` trading days ending at t, the cosine similarity
//! of every pair of nodes' overnight-return vectors (missing = 0), mapped to [0, 1] by (cos + 1) / 2,
//! entries below `cut` set to 0. The Gram matrix of the window is updated incrementally from one day
//! to the next (add the new day's outer product, subtract the oldest's) instead of recomputing.

use super::NodeSet;
use super::normalize::lane_sum;
#[cfg(doc)]
use super::normalize_relation;
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

/// How a window's cosines become relation values: entries of (cos + 1) / 2 below `cut` become 0;
/// with `normalize`, the matrix is then degree-normalised as by [`normalize_relation`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelationMap {
    pub cut: f64,
    pub normalize: bool,
}

/// The Gram matrix of a sliding window of overnight-return vectors, and the relation matrix of it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ShortTermRelations {
    n: usize,
    gram: Vec<f64>,
    /// Scratch of one pass, kept so that a pass allocates nothing: the window's inverse norms and
    /// the relation matrix's degrees.
    inv_norms: Vec<f64>,
    degrees: Vec<f64>,
    /// Per node, the days of the window with a nonzero return. A node whose days all left the
    /// window has an undefined cosine, whatever rounding its Gram entries kept from the additions
    /// and removals; its row and column are then reset to exact zeros, as a fresh window has them.
    support: Vec<u32>,
}

impl ShortTermRelations {
    pub fn new(n_nodes: usize) -> Self {
        let mut r = ShortTermRelations::default();
        r.reset(n_nodes);
        r
    }

    /// Whether the buffers have the sizes of `n_nodes` nodes (a decoded state could hold anything).
    pub fn is_consistent(&self, n_nodes: usize) -> bool {
        self.n == n_nodes
            && self.gram.len() == n_nodes * n_nodes
            && self.inv_norms.len() == n_nodes
            && self.degrees.len() == n_nodes
            && self.support.len() == n_nodes
    }

    /// An empty window of `n_nodes` nodes, reusing the buffers.
    pub fn reset(&mut self, n_nodes: usize) {
        self.n = n_nodes;
        self.gram.clear();
        self.gram.resize(n_nodes * n_nodes, 0.0);
        self.inv_norms.resize(n_nodes, 0.0);
        self.degrees.resize(n_nodes, 0.0);
        self.support.clear();
        self.support.resize(n_nodes, 0);
    }

    /// gram += sign_k * r_k r_k^T for each (r_k, sign_k) in order, upper triangle only (the matrix
    /// is symmetric), and with `map` the new window's relation matrix, in one pass. Row by row: each
    /// row stays in L1 while the days stream past and is mapped right after, instead of one pass
    /// over the whole matrix per day and more for the map and the normalisation. Every Gram entry
    /// sees the same operations in the same order as a day-at-a-time update, so the Gram matrix and
    /// the unnormalised map are the same bit for bit; normalised entries agree with
    /// [`normalize_relation`] to rounding (its degrees are summed in another order).
    fn pass(&mut self, from: Option<&ShortTermRelations>, days: &[(&[f64], f64)], map: Option<(RelationMap, &mut [f32])>) {
        // The same code compiled for wider vectors where the CPU has them (the library is built
        // for baseline x86-64, whose SSE2 does two f64 at a time). No FMA: the results are the
        // same bit for bit on every path.
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F, checked above.
                return unsafe { self.pass_avx512(from, days, map) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked above.
                return unsafe { self.pass_avx2(from, days, map) };
            }
        }
        self.pass_any(from, days, map)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn pass_avx512(&mut self, from: Option<&ShortTermRelations>, days: &[(&[f64], f64)], map: Option<(RelationMap, &mut [f32])>) {
        self.pass_any(from, days, map)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn pass_avx2(&mut self, from: Option<&ShortTermRelations>, days: &[(&[f64], f64)], map: Option<(RelationMap, &mut [f32])>) {
        self.pass_any(from, days, map)
    }

    /// With `from`, the pass starts from that window's Gram matrix and counts (each row copied in
    /// just before it is updated, while it is in cache) and leaves `from` as it was.
    #[inline(always)]
    fn pass_any(&mut self, from: Option<&ShortTermRelations>, days: &[(&[f64], f64)], map: Option<(RelationMap, &mut [f32])>) {
        if let Some(f) = from {
            self.n = f.n;
            self.gram.resize(f.gram.len(), 0.0);
            self.inv_norms.resize(f.n, 0.0);
            self.degrees.resize(f.n, 0.0);
            self.support.clone_from(&f.support);
        }
        let n = self.n;
        let source = from.map(|f| &f.gram[..]);
        // Row i's map needs the norms of the rows below it, which this pass has not updated yet:
        // the new diagonal first, by the row update's own operations.
        let mut emptied = false;
        for (j, (inv, support)) in self.inv_norms.iter_mut().zip(&mut self.support).enumerate() {
            let mut g = source.map_or(self.gram[j * n + j], |s| s[j * n + j]);
            for &(r, sign) in days {
                let rj = sign * r[j];
                if rj != 0.0 {
                    g += rj * r[j];
                    // Counts only move with nonzero returns, so a removal always meets its addition.
                    *support = if sign > 0.0 { *support + 1 } else { support.saturating_sub(1) };
                    emptied |= *support == 0;
                }
            }
            // 1 / norm, 0 for a node without returns in the window: the map multiplies.
            *inv = if *support > 0 && g > 0.0 { 1.0 / g.sqrt() } else { 0.0 };
        }
        let mut map = map;
        self.degrees.fill(0.0);
        for (i, row) in self.gram.chunks_exact_mut(n).enumerate() {
            let row = &mut row[i..];
            if let Some(s) = source {
                row.copy_from_slice(&s[i * n + i..(i + 1) * n]);
            }
            for &(r, sign) in days {
                let ri = sign * r[i];
                if ri == 0.0 {
                    continue;
                }
                for (g, rj) in row.iter_mut().zip(&r[i..]) {
                    *g += ri * rj;
                }
            }
            if let Some((m, out)) = map.as_mut() {
                let out = &mut out[i * n + i..(i + 1) * n];
                map_row(row, self.inv_norms[i], &self.inv_norms[i..], m.cut, out);
                if m.normalize {
                    // Degrees are row sums; the matrix is symmetric, so row i's sum is its column
                    // in the upper triangle (each row adds its part to the nodes on and right of
                    // the diagonal: vector adds) plus its own entries right of the diagonal.
                    for (d, &v) in self.degrees[i..].iter_mut().zip(out.iter()) {
                        *d += v as f64;
                    }
                    self.degrees[i] += lane_sum(&out[1..]);
                }
            }
        }
        if emptied {
            self.clear_empty_nodes();
        }
        if let Some((m, out)) = map {
            if m.normalize {
                // Each degree becomes its node's scale, 1 / sqrt(degree).
                for d in self.degrees.iter_mut() {
                    *d = if *d > 0.0 { 1.0 / d.sqrt() } else { 0.0 };
                }
            }
            mirror(out, n, m.normalize.then_some(&self.degrees[..]));
        }
    }

    /// Exact zeros in the Gram rows and columns (upper triangle) of the nodes without a nonzero
    /// return in the window.
    fn clear_empty_nodes(&mut self) {
        let n = self.n;
        for j in (0..n).filter(|&j| self.support[j] == 0) {
            for i in 0..=j {
                self.gram[i * n + j] = 0.0;
            }
            self.gram[j * n + j..(j + 1) * n].fill(0.0);
        }
    }

    /// Adds a day to the window.
    pub fn add(&mut self, r: &[f64]) {
        self.pass(None, &[(r, 1.0)], None);
    }

    /// Removes a day that was added before.
    pub fn remove(&mut self, r: &[f64]) {
        self.pass(None, &[(r, -1.0)], None);
    }

    /// Adds the days of `returns` (row-major, one row of N per day) in order, in one pass.
    pub fn add_days(&mut self, returns: &[f64]) {
        self.add_days_into(returns, None);
    }

    /// As [`Self::add_days`], and with `map` writes the new window's relation matrix in the same pass.
    pub fn add_days_into(&mut self, returns: &[f64], map: Option<(RelationMap, &mut [f32])>) {
        let days: Vec<(&[f64], f64)> = returns.chunks_exact(self.n).map(|r| (r, 1.0)).collect();
        self.pass(None, &days, map);
    }

    /// Moves the window one day: adds `newest`, then removes `oldest`, in one pass.
    pub fn slide(&mut self, newest: &[f64], oldest: &[f64]) {
        self.slide_into(newest, oldest, None);
    }

    /// As [`Self::slide`], and with `map` writes the new window's relation matrix in the same pass.
    pub fn slide_into(&mut self, newest: &[f64], oldest: &[f64], map: Option<(RelationMap, &mut [f32])>) {
        self.pass(None, &[(newest, 1.0), (oldest, -1.0)], map);
    }

    /// Becomes `from`'s window moved one day (as [`Self::slide_into`] on a copy of `from`, bit for
    /// bit), leaving `from` as it was: a caller that may have to undo the day keeps `from`.
    pub fn slide_from(&mut self, from: &ShortTermRelations, newest: &[f64], oldest: &[f64], map: Option<(RelationMap, &mut [f32])>) {
        self.pass(Some(from), &[(newest, 1.0), (oldest, -1.0)], map);
    }

    /// The (not normalised) relation matrix of the current window into `out` (N x N, row-major).
    pub fn matrix(&mut self, cut: f64, out: &mut [f32]) {
        self.pass(None, &[], Some((RelationMap { cut, normalize: false }, out)));
    }
}

/// One row's upper part of the relation matrix: `gram` and `out` start at the diagonal, `inv_norms`
/// at the row's own inverse norm.
#[inline(always)]
fn map_row(gram: &[f64], inv_i: f64, inv_norms: &[f64], cut: f64, out: &mut [f32]) {
    // Branch-free, so that the compiler vectorises it: both sides are computed and one is
    // selected (an undefined cosine is never selected).
    for ((o, &g), &inv_j) in out.iter_mut().zip(gram).zip(inv_norms) {
        let s = ((g * inv_i * inv_j).clamp(-1.0, 1.0) + 1.0) * 0.5;
        // A node with no return in the window relates to nothing (cos is undefined).
        let keep = (inv_i > 0.0) & (inv_j > 0.0) & (s >= cut);
        *o = if keep { s as f32 } else { 0.0 };
    }
}

/// With `scale` (1 / sqrt(degree) per node), normalises the upper triangle as
/// [`normalize_relation`] does (a_ij * s_i * s_j in f64); then fills the lower triangle from it.
/// Tile by tile: each upper tile is scaled while it is read for its mirror tile (a column-order
/// write per entry is what made this slow).
#[inline(always)]
fn mirror(out: &mut [f32], n: usize, scale: Option<&[f64]>) {
    const TILE: usize = 32;
    for bi in (0..n).step_by(TILE) {
        let cols = bi..(bi + TILE).min(n);
        for bj in (0..bi + 1).step_by(TILE) {
            let rows = bj..(bj + TILE).min(n);
            // The upper tile (rows bj.., columns bi.., column >= row) is read by this mirror tile only.
            if let Some(s) = scale {
                for r in rows.clone() {
                    let from = cols.start.max(r);
                    if from < cols.end {
                        for (v, sc) in out[r * n + from..r * n + cols.end].iter_mut().zip(&s[from..cols.end]) {
                            *v = (*v as f64 * s[r] * sc) as f32;
                        }
                    }
                }
            }
            for i in cols.clone() {
                let end = rows.end.min(i);
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

#[cfg(feature = "test-support")]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The pass compiled for this CPU's widest vectors gives the baseline build's bits.
    #[test]
    fn every_compiled_pass_gives_the_same_bits() {
        let (n, days) = (75, 64);
        let mut state = 7u64;
        let returns: Vec<f64> = (0..days * n)
            .map(|k| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if k % 13 == 0 { 0.0 } else { ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04 }
            })
            .collect();
        let day = |d: usize| &returns[d * n..(d + 1) * n];
        for normalize in [false, true] {
            let map = RelationMap { cut: 0.5, normalize };
            let (mut wide, mut base) = (ShortTermRelations::new(n), ShortTermRelations::new(n));
            let (mut a, mut b) = (vec![0f32; n * n], vec![0f32; n * n]);
            let first: Vec<(&[f64], f64)> = (0..61).map(|d| (day(d), 1.0)).collect();
            wide.pass(None, &first, Some((map, &mut a)));
            base.pass_any(None, &first, Some((map, &mut b)));
            // A third window slides from a copy of `wide` into its own buffers (`slide_from`): the
            // same bits, and `wide` is left as it was.
            let mut next = ShortTermRelations::default();
            let mut c = vec![0f32; n * n];
            for d in 61..days {
                assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "normalize {normalize}, day {d}");
                assert!(wide.gram.iter().zip(&base.gram).all(|(x, y)| x.to_bits() == y.to_bits()));
                let kept = wide.gram.clone();
                next.slide_from(&wide, day(d), day(d - 61), Some((map, &mut c)));
                assert_eq!(wide.gram, kept, "slide_from changed its source");
                let step = [(day(d), 1.0), (day(d - 61), -1.0)];
                wide.pass(None, &step, Some((map, &mut a)));
                base.pass_any(None, &step, Some((map, &mut b)));
                assert!(a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()), "slide_from, day {d}");
                let upper =
                    |g: &ShortTermRelations| (0..n).flat_map(move |i| (i..n).map(move |j| g.gram[i * n + j].to_bits())).collect::<Vec<_>>();
                assert_eq!(upper(&next), upper(&wide), "slide_from's Gram matrix, day {d}");
            }
            assert!(a.iter().any(|&v| v > 0.0));
        }
    }
}
