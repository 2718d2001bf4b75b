//! The long-term relation matrix A_L: static, binary, symmetric, with self loops.

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
