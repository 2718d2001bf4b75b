//! A seed ensemble of LSR-IGRU models: the members' node scores z-scored per day and averaged.

use super::*;

/// A seed ensemble of LSR-IGRU models in one graph: each member's node scores z-scored over the
/// nodes (their scales differ from seed to seed), averaged. The members read the same inputs.
#[derive(Debug, Clone)]
pub struct LsrIgruEnsemble {
    pub members: Vec<LsrIgru>,
}

impl LsrIgruEnsemble {
    /// The ensemble's two graphs: every member's encodings side by side, the members' recurrent
    /// cells run as one batch over the members, their scores z-scored and averaged.
    pub fn to_onnx(&self, window: usize, metadata: &[(String, String)]) -> Result<RankingGraphs> {
        RankingGraphs::write(&self.members, true, window, metadata)
    }

    /// The same computation in f64, for parity tests (shapes as [`LsrIgru::reference`]).
    pub fn reference(&self, nodes: &[f32], long: &[f32], short: &[f32], t: usize, n: usize) -> Vec<f64> {
        let members: Vec<Vec<f64>> = self.members.iter().map(|m| m.reference(nodes, long, short, t, n)).collect();
        combine_zscores(&members)
    }
}

/// A score vector's mean and population standard deviation over its finite entries (NaN when it
/// has none): the spread an ensemble divides a member's scores by.
pub fn mean_and_spread(v: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    (mean, (finite.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt())
}

/// The largest difference an ensemble's combined scores may show when each member's own scores
/// may differ by `member_tolerance`: carried through each member's division by its spread
/// (`member_spreads`, the population std of its node scores), i.e. member_tolerance x mean(1 /
/// spread).
pub fn zscore_tolerance(member_tolerance: f64, member_spreads: &[f64]) -> f64 {
    member_tolerance * member_spreads.iter().map(|s| 1.0 / s).sum::<f64>() / member_spreads.len() as f64
}

/// The ensemble's rule, as its graph computes it: each member's scores z-scored over the nodes,
/// then averaged. An entry without a value (NaN) stays without one.
pub fn combine_zscores(members: &[Vec<f64>]) -> Vec<f64> {
    let mut sum = vec![0f64; members.first().map_or(0, Vec::len)];
    for m in members {
        let (mean, sd) = mean_and_spread(m);
        for (acc, v) in sum.iter_mut().zip(m) {
            *acc += (v - mean) / sd;
        }
    }
    sum.into_iter().map(|v| v / members.len() as f64).collect()
}
