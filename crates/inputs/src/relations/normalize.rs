//! Symmetric degree normalisation of a relation matrix, D^-1/2 A D^-1/2 (Kipf and Welling's GCN).
//! Without it a GCN layer sums over every neighbour: hundreds for the short-term matrix of an S&P
//! 500 day, which drives its tanh into saturation. Optional (`RelationSpec::normalize_relations`);
//! the authors' code does not normalise.

/// Normalises the row-major `n` x `n` matrix `a` in place: a_ij / sqrt(deg_i deg_j), deg the row
/// sums (in f64); a node without neighbours keeps an all-zero row and column.
/// The reference for the short-term matrices, which `ShortTermRelations` normalises in its pass.
pub fn normalize_relation(a: &mut [f32], n: usize) {
    debug_assert_eq!(a.len(), n * n);
    let scale: Vec<f64> = a
        .chunks_exact(n)
        .map(|row| {
            let deg = lane_sum(row);
            if deg > 0.0 { 1.0 / deg.sqrt() } else { 0.0 }
        })
        .collect();
    for (i, row) in a.chunks_exact_mut(n).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (*v as f64 * scale[i] * scale[j]) as f32;
        }
    }
}

/// The sum of `v` in f64 over eight interleaved partial sums: a single running sum is a chain of
/// dependent additions that runs at one element per add latency.
#[inline(always)]
pub(super) fn lane_sum(v: &[f32]) -> f64 {
    let mut acc = [0f64; 8];
    let chunks = v.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&x| x as f64).sum();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x as f64;
        }
    }
    acc.iter().sum::<f64>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_a_regular_graph_sum_to_one_and_isolated_nodes_stay_zero() {
        // Nodes 0..3 all linked (self loops included), node 3 isolated.
        let n = 4;
        let mut a = vec![0f32; n * n];
        for i in 0..3 {
            for j in 0..3 {
                a[i * n + j] = 1.0;
            }
        }
        normalize_relation(&mut a, n);
        for i in 0..3 {
            let row: f32 = a[i * n..i * n + n].iter().sum();
            assert!((row - 1.0).abs() < 1e-6, "row {i} sums to {row}");
            assert!((a[i * n + i] - 1.0 / 3.0).abs() < 1e-6);
        }
        assert!(a[3 * n..].iter().all(|&v| v == 0.0) && (0..n).all(|i| a[i * n + 3] == 0.0));
        // Irregular degrees: a_01 = 1 / sqrt(deg_0 deg_1).
        let mut b = vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        normalize_relation(&mut b, 3);
        assert!((b[1] - 1.0 / (2f32 * 3.0).sqrt()).abs() < 1e-6);
        assert!((b[5] - b[7]).abs() < 1e-7, "stays symmetric");
    }
}
