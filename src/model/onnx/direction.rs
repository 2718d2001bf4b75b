//! The direction graph: x [batch, T, 13] -> Transpose -> GRU -> last state -> Dropout-free Linear
//! -> Softmax -> probs [batch, 3]. Weights are given in PyTorch's layout and reordered here.

use tract_onnx::pb::ModelProto;

use super::{Attr, GraphBuilder, f32_tensor};
use crate::error::{Error, Result};
use crate::model::manifest::TensorSpec;

/// A one-layer GRU classifier with PyTorch-layout weights (gate blocks r, z, n).
#[derive(Debug, Clone)]
pub struct GruClassifier {
    pub input_size: usize,
    pub hidden: usize,
    pub classes: usize,
    /// `weight_ih_l0` [3H, I].
    pub weight_ih: Vec<f32>,
    /// `weight_hh_l0` [3H, H].
    pub weight_hh: Vec<f32>,
    /// `bias_ih_l0` [3H].
    pub bias_ih: Vec<f32>,
    /// `bias_hh_l0` [3H].
    pub bias_hh: Vec<f32>,
    /// Linear weight [C, H].
    pub fc_weight: Vec<f32>,
    /// Linear bias [C].
    pub fc_bias: Vec<f32>,
}

/// PyTorch packs GRU gates as (r, z, n), ONNX as (z, r, h): swap the first two blocks.
fn rzn_to_zrh(src: &[f32]) -> Vec<f32> {
    let block = src.len() / 3;
    [&src[block..2 * block], &src[..block], &src[2 * block..]].concat()
}

impl GruClassifier {
    /// Deterministic pseudo-random weights (uniform in +-1/sqrt(H), PyTorch's init range), for
    /// tests and benches that need a real model of a given size.
    pub fn seeded(input_size: usize, hidden: usize, classes: usize, seed: u64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let k = 1.0 / (hidden as f32).sqrt();
        let mut v = |n: usize| (0..n).map(|_| rng.random_range(-k..k)).collect::<Vec<f32>>();
        GruClassifier {
            input_size,
            hidden,
            classes,
            weight_ih: v(3 * hidden * input_size),
            weight_hh: v(3 * hidden * hidden),
            bias_ih: v(3 * hidden),
            bias_hh: v(3 * hidden),
            fc_weight: v(classes * hidden),
            fc_bias: v(classes),
        }
    }

    fn check(&self) -> Result<()> {
        let (h, i, c) = (self.hidden, self.input_size, self.classes);
        for (name, got, want) in [
            ("weight_ih", self.weight_ih.len(), 3 * h * i),
            ("weight_hh", self.weight_hh.len(), 3 * h * h),
            ("bias_ih", self.bias_ih.len(), 3 * h),
            ("bias_hh", self.bias_hh.len(), 3 * h),
            ("fc_weight", self.fc_weight.len(), c * h),
            ("fc_bias", self.fc_bias.len(), c),
        ] {
            if got != want {
                return Err(Error::shape(format!("GRU {name}: {got} values, expected {want}")));
            }
        }
        Ok(())
    }

    /// The ONNX model with the given contract inputs/outputs (names x and probs).
    pub fn to_onnx(&self, inputs: &[TensorSpec], outputs: &[TensorSpec], metadata: &[(String, String)]) -> Result<ModelProto> {
        self.check()?;
        let (i, h, c) = (self.input_size, self.hidden, self.classes);
        let mut b = rzn_to_zrh(&self.bias_ih);
        b.extend(rzn_to_zrh(&self.bias_hh));
        let mut g = GraphBuilder::new();
        g.f32("gru_W", &[1, 3 * h, i], &rzn_to_zrh(&self.weight_ih))
            .f32("gru_R", &[1, 3 * h, h], &rzn_to_zrh(&self.weight_hh))
            .f32("gru_B", &[1, 6 * h], &b)
            .f32("fc_W", &[c, h], &self.fc_weight)
            .f32("fc_B", &[c], &self.fc_bias)
            .i64("idx0", &[1], &[0])
            .i64("one", &[1], &[1])
            .i64("hidden", &[1], &[h as i64]);
        // ONNX Runtime's CPU GRU rejects layout=1: go time-major.
        g.node("Transpose", &["x"], &["x_tm"], vec![Attr::Ints("perm", &[1, 0, 2])]);
        // initial_h = zeros [1, batch, H] sized from the input at run time: without it, tract
        // panics optimising a GRU with a symbolic batch (toolchain.md).
        g.node("Shape", &["x"], &["x_shape"], vec![])
            .node("Gather", &["x_shape", "idx0"], &["batch"], vec![Attr::Int("axis", 0)])
            .node("Concat", &["one", "batch", "hidden"], &["h0_shape"], vec![Attr::Int("axis", 0)])
            .node("ConstantOfShape", &["h0_shape"], &["h0"], vec![Attr::Tensor("value", f32_tensor("", &[1], &[0.0]))]);
        g.node(
            "GRU",
            &["x_tm", "gru_W", "gru_R", "gru_B", "", "h0"],
            &["", "y_h"],
            vec![Attr::Int("hidden_size", h as i64), Attr::Int("layout", 0), Attr::Int("linear_before_reset", 1)],
        )
        .node("Squeeze", &["y_h", "idx0"], &["h_last"], vec![])
        .node("Gemm", &["h_last", "fc_W", "fc_B"], &["logits"], vec![Attr::Int("transB", 1)])
        .node("Softmax", &["logits"], &["probs"], vec![Attr::Int("axis", -1)]);
        Ok(g.finish("trendcast_direction", inputs, outputs, metadata))
    }

    /// The reference forward pass in f64 (PyTorch semantics), for parity tests.
    pub fn reference(&self, x: &[f32], steps: usize) -> Vec<f64> {
        let (i, h) = (self.input_size, self.hidden);
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let mut state = vec![0f64; h];
        for t in 0..steps {
            let xt = &x[t * i..(t + 1) * i];
            let xv: Vec<f64> = xt.iter().map(|&v| v as f64).collect();
            let mut next = vec![0f64; h];
            for k in 0..h {
                let r = sig(gate_row(&self.weight_ih, &self.bias_ih, &xv, k) + gate_row(&self.weight_hh, &self.bias_hh, &state, k));
                let z = sig(gate_row(&self.weight_ih, &self.bias_ih, &xv, h + k) + gate_row(&self.weight_hh, &self.bias_hh, &state, h + k));
                let n = (gate_row(&self.weight_ih, &self.bias_ih, &xv, 2 * h + k)
                    + r * gate_row(&self.weight_hh, &self.bias_hh, &state, 2 * h + k))
                .tanh();
                next[k] = (1.0 - z) * n + z * state[k];
            }
            state = next;
        }
        let logits: Vec<f64> = (0..self.classes).map(|c| gate_row(&self.fc_weight, &self.fc_bias, &state, c)).collect();
        let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }
}

/// b[row] + w[row, :] . v
fn gate_row(w: &[f32], b: &[f32], v: &[f64], row: usize) -> f64 {
    b[row] as f64 + w[row * v.len()..(row + 1) * v.len()].iter().zip(v).map(|(a, b)| *a as f64 * b).sum::<f64>()
}
