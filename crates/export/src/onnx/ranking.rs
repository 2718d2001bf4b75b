//! A small ranking-shaped graph with the ranking contract's inputs and output, for tests and
//! benches of the ranking call path:
//! scores = sigmoid(mean_t(long_rel . short_rel[t] . nodes[t]) . w + b).

use super::{Attr, GraphBuilder, RankingGraphs};
use trendcast::model::manifest::{WindowInputs, ranking_encoder_io, ranking_io};

/// Weights of the probe: one per node feature, and a bias.
#[derive(Debug, Clone)]
pub struct RankingProbe {
    pub weights: Vec<f32>,
    pub bias: f32,
}

impl RankingProbe {
    /// The probe's two graphs: the encoder gives each day long_rel . short_rel[t] . nodes[t]
    /// [days, 1, N, F]; the window graph averages the window's days and applies the weights.
    pub fn to_onnx(&self, window: usize, metadata: &[(String, String)]) -> RankingGraphs {
        let f = self.weights.len();
        let mut g = GraphBuilder::new();
        g.i64("axis1", &[1], &[1]);
        g.node("MatMul", &["short_rel", "nodes"], &["mixed"], vec![]).node("MatMul", &["long_rel", "mixed"], &["grouped"], vec![]).node(
            "Unsqueeze",
            &["grouped", "axis1"],
            &["encodings"],
            vec![],
        );
        let (inputs, outputs) = ranking_encoder_io(f, 1, f);
        let encoder = g.finish("trendcast_ranking_probe_encoder", &inputs, &outputs, metadata);

        let mut g = GraphBuilder::new();
        g.f32("w", &[f, 1], &self.weights).f32("b", &[1], &[self.bias]).i64("axes02", &[2], &[0, 2]);
        g.node("ReduceMean", &["encodings"], &["pooled"], vec![Attr::Ints("axes", &[0]), Attr::Int("keepdims", 0)])
            .node("MatMul", &["pooled", "w"], &["weighted"], vec![])
            .node("Add", &["weighted", "b"], &["logit"], vec![])
            .node("Sigmoid", &["logit"], &["score_col"], vec![])
            .node("Squeeze", &["score_col", "axes02"], &["scores"], vec![]);
        let (inputs, outputs) = ranking_io(window, 1, f, &WindowInputs::Stacked);
        let window = g.finish("trendcast_ranking_probe", &inputs, &outputs, metadata);
        RankingGraphs { encoder, window, node_width: f, members: 1, width: f, inputs: WindowInputs::Stacked }
    }

    /// The same computation in f64, for parity tests. Shapes: nodes [T, N, F], long [N, N],
    /// short [T, N, N].
    pub fn reference(&self, nodes: &[f32], long: &[f32], short: &[f32], t: usize, n: usize) -> Vec<f64> {
        let f = self.weights.len();
        let mut pooled = vec![0f64; n * f];
        for s in 0..t {
            for i in 0..n {
                for j in 0..n {
                    let a = short[s * n * n + i * n + j] as f64;
                    for k in 0..f {
                        pooled[i * f + k] += a * nodes[s * n * f + j * f + k] as f64 / t as f64;
                    }
                }
            }
        }
        (0..n)
            .map(|i| {
                let z: f64 = (0..n)
                    .map(|j| long[i * n + j] as f64 * (0..f).map(|k| pooled[j * f + k] * self.weights[k] as f64).sum::<f64>())
                    .sum::<f64>()
                    + self.bias as f64;
                1.0 / (1.0 + (-z).exp())
            })
            .collect()
    }
}
