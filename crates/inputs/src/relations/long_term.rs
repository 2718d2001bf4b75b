//! The long-term relation matrix A_L: static, binary, symmetric, with self loops; and its exact
//! co-membership form A_L = M M^T - E, which multiplies a matrix in 2 N G instead of N^2 steps.

use super::NodeSet;

/// A_L as an N x N row-major matrix: 1 between two stocks of the same sub-industry, a stock and its
/// sub-industry, two sub-industries of the same sector, a sub-industry and its sector, and any two
/// sectors; 0 elsewhere (a stock and a sector included). Not normalised, as in the code.
pub fn long_term_matrix(nodes: &NodeSet) -> Vec<f32> {
    let mut a = Vec::new();
    long_term_matrix_into(nodes, &mut a);
    a
}

/// As [`long_term_matrix`], into `a`'s buffer (the ranking call reuses it).
pub fn long_term_matrix_into(nodes: &NodeSet, a: &mut Vec<f32>) {
    let n = nodes.n_nodes();
    a.clear();
    a.resize(n * n, 0.0);
    let mut link = |i: usize, j: usize| {
        a[i * n + j] = 1.0;
        a[j * n + i] = 1.0;
    };
    for i in 0..nodes.n_stocks {
        for j in 0..=i {
            if nodes.stock_sub[i] == nodes.stock_sub[j] {
                link(i, j);
            }
        }
        link(i, nodes.stock_sub[i]);
    }
    let first_sub = nodes.n_stocks;
    for (a_idx, &sec_a) in nodes.sub_sector.iter().enumerate() {
        for (b_idx, &sec_b) in nodes.sub_sector.iter().enumerate().take(a_idx + 1) {
            if sec_a == sec_b {
                link(first_sub + a_idx, first_sub + b_idx);
            }
        }
        link(first_sub + a_idx, sec_a);
    }
    let first_sec = first_sub + nodes.sub_industries.len();
    for i in first_sec..n {
        for j in first_sec..=i {
            link(i, j);
        }
    }
}

/// A_L as co-memberships: A_L = M M^T - diag(`repeated`), with M the N x G 0/1 membership matrix
/// of G = sub-industries + sectors + 1 groups: each sub-industry's group holds its stocks and
/// itself, each sector's group its sub-industries and itself, and one group all sectors. Two
/// nodes share a group exactly where A_L links them; an industry node is in two groups (its own
/// and its parent's, or the sectors' group), hence `repeated` = 1 on the industry nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct LongTermFactors {
    pub n_nodes: usize,
    pub n_groups: usize,
    /// [n_nodes, n_groups], row-major.
    pub memberships: Vec<f32>,
    /// [n_nodes]: 1 on industry nodes, 0 on stocks.
    pub repeated: Vec<f32>,
}

impl LongTermFactors {
    pub fn new(nodes: &NodeSet) -> LongTermFactors {
        let n = nodes.n_nodes();
        let (n_subs, first_sub) = (nodes.sub_industries.len(), nodes.n_stocks);
        let first_sec = first_sub + n_subs;
        let g = n_subs + nodes.sectors.len() + 1;
        let mut m = vec![0f32; n * g];
        // Groups: sub-industry u (column u), sector c (column n_subs + c), all sectors (last).
        for k in 0..nodes.n_stocks {
            m[k * g + (nodes.stock_sub[k] - first_sub)] = 1.0;
        }
        for (u, &sec) in nodes.sub_sector.iter().enumerate() {
            let node = first_sub + u;
            m[node * g + u] = 1.0;
            m[node * g + n_subs + (sec - first_sec)] = 1.0;
        }
        for c in 0..nodes.sectors.len() {
            let node = first_sec + c;
            m[node * g + n_subs + c] = 1.0;
            m[node * g + g - 1] = 1.0;
        }
        let repeated = (0..n).map(|i| if i < nodes.n_stocks { 0.0 } else { 1.0 }).collect();
        LongTermFactors { n_nodes: n, n_groups: g, memberships: m, repeated }
    }

    /// The inverse square roots of A_L's row sums (its degrees), 0 for a node without links: the
    /// scale of `normalize_relation`, so that D^-1/2 A_L D^-1/2 = S (M M^T - E) S.
    pub fn inverse_sqrt_degrees(&self) -> Vec<f64> {
        let g = self.n_groups;
        let group_sizes: Vec<f64> = (0..g).map(|j| (0..self.n_nodes).map(|i| self.memberships[i * g + j] as f64).sum()).collect();
        (0..self.n_nodes)
            .map(|i| {
                let row = &self.memberships[i * g..(i + 1) * g];
                let deg = row.iter().zip(&group_sizes).map(|(&m, &size)| m as f64 * size).sum::<f64>() - self.repeated[i] as f64;
                if deg > 0.0 { 1.0 / deg.sqrt() } else { 0.0 }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::Panel;
    use crate::bars::synthetic::{SyntheticSpec, generate};
    use crate::relations::normalize_relation;

    /// M M^T - E is A_L entry for entry, and its degrees are those `normalize_relation` uses.
    #[test]
    fn co_memberships_give_a_l_exactly() {
        let u = generate(&SyntheticSpec { sectors: 3, sub_industries_per_sector: 4, ..Default::default() });
        let panel = Panel::from_series(&u.series);
        let nodes = NodeSet::new(&panel.tickers, &u.industries).unwrap();
        let a = long_term_matrix(&nodes);
        let f = LongTermFactors::new(&nodes);
        let (n, g) = (f.n_nodes, f.n_groups);
        assert_eq!(g, 12 + 3 + 1);
        for i in 0..n {
            for j in 0..n {
                let shared: f32 = (0..g).map(|k| f.memberships[i * g + k] * f.memberships[j * g + k]).sum();
                let want = a[i * n + j];
                let got = shared - if i == j { f.repeated[i] } else { 0.0 };
                assert_eq!(got, want, "({i}, {j})");
            }
        }
        let mut normalized = a.clone();
        normalize_relation(&mut normalized, n);
        let s = f.inverse_sqrt_degrees();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(normalized[i * n + j], (a[i * n + j] as f64 * s[i] * s[j]) as f32);
            }
        }
    }
}
