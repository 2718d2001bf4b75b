//! The direction graph: x [batch, T, 13] -> Transpose -> RNN | LSTM | GRU -> last state ->
//! Linear -> Softmax -> probs [batch, 3]. Several members make a seed ensemble whose output is the
//! mean of the members' probabilities. Weights are given in PyTorch's layout and reordered here.

use serde::{Deserialize, Serialize};
use tract_onnx::pb::ModelProto;

use super::{Attr, GraphBuilder, f32_tensor, initializers};
use trendcast::error::{Error, Result};
use trendcast::model::manifest::TensorSpec;

/// The recurrent cell of a direction classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// Elman RNN with tanh.
    Rnn,
    Lstm,
    #[default]
    Gru,
}

impl Cell {
    /// Gate blocks stacked in the weight matrices.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cell::Rnn => "rnn",
            Cell::Lstm => "lstm",
            Cell::Gru => "gru",
        }
    }

    /// PyTorch's gate blocks in ONNX's order: GRU (r, z, n) -> (z, r, h); LSTM (i, f, g, o) ->
    /// (i, o, f, c).
    fn onnx_order(self, src: &[f32]) -> Vec<f32> {
        let b = src.len() / self.gates();
        let blk = |k: usize| &src[k * b..(k + 1) * b];
        match self {
            Cell::Rnn => src.to_vec(),
            Cell::Gru => [blk(1), blk(0), blk(2)].concat(),
            Cell::Lstm => [blk(0), blk(3), blk(1), blk(2)].concat(),
        }
    }

    /// The inverse of `onnx_order`.
    fn torch_order(self, src: &[f32]) -> Vec<f32> {
        let b = src.len() / self.gates();
        let blk = |k: usize| &src[k * b..(k + 1) * b];
        match self {
            Cell::Rnn => src.to_vec(),
            Cell::Gru => [blk(1), blk(0), blk(2)].concat(),
            Cell::Lstm => [blk(0), blk(2), blk(3), blk(1)].concat(),
        }
    }
}

/// A one-layer recurrent classifier with PyTorch-layout weights.
#[derive(Debug, Clone)]
pub struct RecurrentClassifier {
    pub cell: Cell,
    pub input_size: usize,
    pub hidden: usize,
    pub classes: usize,
    /// `weight_ih_l0` [G*H, I], G = `cell.gates()`.
    pub weight_ih: Vec<f32>,
    /// `weight_hh_l0` [G*H, H].
    pub weight_hh: Vec<f32>,
    /// `bias_ih_l0` [G*H].
    pub bias_ih: Vec<f32>,
    /// `bias_hh_l0` [G*H].
    pub bias_hh: Vec<f32>,
    /// Linear weight [C, H].
    pub fc_weight: Vec<f32>,
    /// Linear bias [C].
    pub fc_bias: Vec<f32>,
}

impl RecurrentClassifier {
    /// Deterministic pseudo-random weights (uniform in +-1/sqrt(H), PyTorch's init range), for
    /// tests and benches that need a real model of a given size.
    pub fn seeded(cell: Cell, input_size: usize, hidden: usize, classes: usize, seed: u64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let k = 1.0 / (hidden as f32).sqrt();
        let mut v = |n: usize| (0..n).map(|_| rng.random_range(-k..k)).collect::<Vec<f32>>();
        let g = cell.gates();
        RecurrentClassifier {
            cell,
            input_size,
            hidden,
            classes,
            weight_ih: v(g * hidden * input_size),
            weight_hh: v(g * hidden * hidden),
            bias_ih: v(g * hidden),
            bias_hh: v(g * hidden),
            fc_weight: v(classes * hidden),
            fc_bias: v(classes),
        }
    }

    /// Trainable parameters.
    pub fn n_params(&self) -> usize {
        self.weight_ih.len() + self.weight_hh.len() + self.bias_ih.len() + self.bias_hh.len() + self.fc_weight.len() + self.fc_bias.len()
    }

    fn check(&self) -> Result<()> {
        let (h, i, c, g) = (self.hidden, self.input_size, self.classes, self.cell.gates());
        for (name, got, want) in [
            ("weight_ih", self.weight_ih.len(), g * h * i),
            ("weight_hh", self.weight_hh.len(), g * h * h),
            ("bias_ih", self.bias_ih.len(), g * h),
            ("bias_hh", self.bias_hh.len(), g * h),
            ("fc_weight", self.fc_weight.len(), c * h),
            ("fc_bias", self.fc_bias.len(), c),
        ] {
            if got != want {
                return Err(Error::shape(format!("{} {name}: {got} values, expected {want}", self.cell.name())));
            }
        }
        Ok(())
    }

    /// Adds this member's nodes reading the time-major input `x_tm`; its probabilities are
    /// `{p}probs`. Every name is prefixed with `p` so that members can share a graph.
    fn add_to(&self, g: &mut GraphBuilder, p: &str) -> Result<()> {
        self.check()?;
        let (i, h, c, cell) = (self.input_size, self.hidden, self.classes, self.cell);
        let gh = cell.gates() * h;
        let mut b = cell.onnx_order(&self.bias_ih);
        b.extend(cell.onnx_order(&self.bias_hh));
        let n = |s: &str| format!("{p}{s}");
        g.f32(&n("W"), &[1, gh, i], &cell.onnx_order(&self.weight_ih))
            .f32(&n("R"), &[1, gh, h], &cell.onnx_order(&self.weight_hh))
            .f32(&n("B"), &[1, 2 * gh], &b)
            .f32(&n("fc_W"), &[c, h], &self.fc_weight)
            .f32(&n("fc_B"), &[c], &self.fc_bias)
            .i64(&n("hidden"), &[1], &[h as i64]);
        // Initial states = zeros [1, batch, H] sized from the input at run time: without them,
        // tract panics optimising a recurrent op with a symbolic batch (toolchain.md).
        g.node("Concat", &["one", "batch", &n("hidden")], &[&n("h0_shape")], vec![Attr::Int("axis", 0)]).node(
            "ConstantOfShape",
            &[&n("h0_shape")],
            &[&n("h0")],
            vec![Attr::Tensor("value", f32_tensor("", &[1], &[0.0]))],
        );
        let (w, r, bb, h0, y_h) = (n("W"), n("R"), n("B"), n("h0"), n("y_h"));
        let size = Attr::Int("hidden_size", h as i64);
        match cell {
            Cell::Gru => g.node(
                "GRU",
                &["x_tm", &w, &r, &bb, "", &h0],
                &["", &y_h],
                vec![size, Attr::Int("layout", 0), Attr::Int("linear_before_reset", 1)],
            ),
            Cell::Lstm => g.node("LSTM", &["x_tm", &w, &r, &bb, "", &h0, &h0], &["", &y_h], vec![size, Attr::Int("layout", 0)]),
            Cell::Rnn => g.node("RNN", &["x_tm", &w, &r, &bb, "", &h0], &["", &y_h], vec![size, Attr::Int("layout", 0)]),
        };
        g.node("Squeeze", &[&y_h, "idx0"], &[&n("h_last")], vec![])
            .node("Gemm", &[&n("h_last"), &n("fc_W"), &n("fc_B")], &[&n("logits")], vec![Attr::Int("transB", 1)])
            .node("Softmax", &[&n("logits")], &[&n("probs")], vec![Attr::Int("axis", -1)]);
        Ok(())
    }

    /// The reference forward pass in f64 (PyTorch semantics): class probabilities of one window
    /// [steps, input_size], for parity tests.
    pub fn reference(&self, x: &[f32], steps: usize) -> Vec<f64> {
        let (i, h) = (self.input_size, self.hidden);
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let mut state = vec![0f64; h];
        let mut cell_state = vec![0f64; h];
        for t in 0..steps {
            let xv: Vec<f64> = x[t * i..(t + 1) * i].iter().map(|&v| v as f64).collect();
            let gi = |row: usize| gate_row(&self.weight_ih, &self.bias_ih, &xv, row);
            let gh = |row: usize| gate_row(&self.weight_hh, &self.bias_hh, &state, row);
            let next: Vec<f64> = (0..h)
                .map(|k| match self.cell {
                    Cell::Rnn => (gi(k) + gh(k)).tanh(),
                    Cell::Gru => {
                        let r = sig(gi(k) + gh(k));
                        let z = sig(gi(h + k) + gh(h + k));
                        let n = (gi(2 * h + k) + r * gh(2 * h + k)).tanh();
                        (1.0 - z) * n + z * state[k]
                    }
                    Cell::Lstm => {
                        let (ig, fg) = (sig(gi(k) + gh(k)), sig(gi(h + k) + gh(h + k)));
                        let (gg, og) = ((gi(2 * h + k) + gh(2 * h + k)).tanh(), sig(gi(3 * h + k) + gh(3 * h + k)));
                        cell_state[k] = fg * cell_state[k] + ig * gg;
                        og * cell_state[k].tanh()
                    }
                })
                .collect();
            state = next;
        }
        let logits: Vec<f64> = (0..self.classes).map(|c| gate_row(&self.fc_weight, &self.fc_bias, &state, c)).collect();
        let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    }
}

/// The direction model: one classifier, or a seed ensemble averaging its members' probabilities.
#[derive(Debug, Clone)]
pub struct DirectionNet {
    pub members: Vec<RecurrentClassifier>,
}

impl From<RecurrentClassifier> for DirectionNet {
    fn from(m: RecurrentClassifier) -> Self {
        DirectionNet { members: vec![m] }
    }
}

impl DirectionNet {
    /// Reads the members back from a graph this writer produced (to build an ensemble from
    /// trained bundles); any other graph is an error.
    pub fn from_onnx(proto: &ModelProto) -> Result<DirectionNet> {
        let graph = proto.graph.as_ref().ok_or_else(|| Error::model("ONNX model without a graph"))?;
        let init = initializers(proto)?;
        let get = |name: &str| init.get(name).cloned().ok_or_else(|| Error::model(format!("direction graph: no initializer {name}")));
        let mut members = Vec::new();
        for node in &graph.node {
            let cell = match node.op_type.as_str() {
                "RNN" => Cell::Rnn,
                "LSTM" => Cell::Lstm,
                "GRU" => Cell::Gru,
                _ => continue,
            };
            // Follow the last state to its head: recurrent -> Squeeze -> Gemm(h, fc_W, fc_B).
            let input = |k: usize| node.input.get(k).map(String::as_str).unwrap_or("");
            let consumer = |op: &str, of: &str| graph.node.iter().find(|n| n.op_type == op && n.input.first().is_some_and(|i| i == of));
            let y_h = node.output.get(1).map(String::as_str).unwrap_or("");
            let gemm = consumer("Squeeze", y_h)
                .and_then(|sq| consumer("Gemm", &sq.output[0]))
                .filter(|g| g.input.len() == 3)
                .ok_or_else(|| Error::model(format!("direction graph: no Squeeze -> Gemm head after the {} node", cell.name())))?;
            let (w, r, b) = (get(input(1))?, get(input(2))?, get(input(3))?);
            let (fc_weight, fc_bias) = (get(&gemm.input[1])?, get(&gemm.input[2])?);
            let classes = fc_bias.len();
            let hidden = fc_weight.len() / classes.max(1);
            let gh = cell.gates() * hidden;
            if gh == 0 || b.len() != 2 * gh || r.len() != gh * hidden || w.len() % gh != 0 {
                return Err(Error::model(format!("direction graph: inconsistent {} sizes", cell.name())));
            }
            let m = RecurrentClassifier {
                cell,
                input_size: w.len() / gh,
                hidden,
                classes,
                weight_ih: cell.torch_order(&w),
                weight_hh: cell.torch_order(&r),
                bias_ih: cell.torch_order(&b[..gh]),
                bias_hh: cell.torch_order(&b[gh..]),
                fc_weight,
                fc_bias,
            };
            m.check()?;
            members.push(m);
        }
        if members.is_empty() {
            return Err(Error::model("not a direction graph: no RNN, LSTM or GRU node"));
        }
        Ok(DirectionNet { members })
    }

    /// What the manifest records of the architecture (informational: the graph is what runs).
    pub fn describe(&self) -> serde_json::Value {
        let m = &self.members[0];
        serde_json::json!({
            "cell": m.cell, "hidden": m.hidden, "members": self.members.len(),
            "parameters": self.members.iter().map(RecurrentClassifier::n_params).sum::<usize>(),
        })
    }

    /// The ONNX model with the given contract inputs/outputs (names x and probs).
    pub fn to_onnx(&self, inputs: &[TensorSpec], outputs: &[TensorSpec], metadata: &[(String, String)]) -> Result<ModelProto> {
        let Some(first) = self.members.first() else {
            return Err(Error::shape("a direction model needs at least one member"));
        };
        if let Some(m) = self.members.iter().find(|m| (m.input_size, m.classes) != (first.input_size, first.classes)) {
            return Err(Error::shape(format!(
                "ensemble members disagree: {} inputs / {} classes vs {} / {}",
                m.input_size, m.classes, first.input_size, first.classes
            )));
        }
        let mut g = GraphBuilder::new();
        g.i64("idx0", &[1], &[0]).i64("one", &[1], &[1]);
        // ONNX Runtime's CPU recurrent ops reject layout=1: go time-major.
        g.node("Transpose", &["x"], &["x_tm"], vec![Attr::Ints("perm", &[1, 0, 2])]).node("Shape", &["x"], &["x_shape"], vec![]).node(
            "Gather",
            &["x_shape", "idx0"],
            &["batch"],
            vec![Attr::Int("axis", 0)],
        );
        if self.members.len() == 1 {
            first.add_to(&mut g, "")?;
            return Ok(g.finish("trendcast_direction", inputs, outputs, metadata));
        }
        let mut names = Vec::new();
        for (k, m) in self.members.iter().enumerate() {
            m.add_to(&mut g, &format!("m{k}_"))?;
            names.push(format!("m{k}_probs"));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        g.f32("inv_members", &[1], &[1.0 / self.members.len() as f32]).node("Sum", &refs, &["probs_sum"], vec![]).node(
            "Mul",
            &["probs_sum", "inv_members"],
            &["probs"],
            vec![],
        );
        Ok(g.finish("trendcast_direction", inputs, outputs, metadata))
    }

    /// The reference forward pass in f64: mean of the members' probabilities.
    pub fn reference(&self, x: &[f32], steps: usize) -> Vec<f64> {
        let mut out = vec![0f64; self.members[0].classes];
        for m in &self.members {
            for (o, p) in out.iter_mut().zip(m.reference(x, steps)) {
                *o += p / self.members.len() as f64;
            }
        }
        out
    }
}

/// b[row] + w[row, :] . v
fn gate_row(w: &[f32], b: &[f32], v: &[f64], row: usize) -> f64 {
    b[row] as f64 + w[row * v.len()..(row + 1) * v.len()].iter().zip(v).map(|(a, b)| *a as f64 * b).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writing a net and reading it back gives the same weights, for every cell and an ensemble.
    #[test]
    fn graphs_read_back_into_the_same_weights() {
        let specs = trendcast::model::manifest::direction_io(30, 13);
        let nets: Vec<DirectionNet> = vec![
            RecurrentClassifier::seeded(Cell::Rnn, 13, 8, 3, 1).into(),
            RecurrentClassifier::seeded(Cell::Lstm, 13, 8, 3, 2).into(),
            DirectionNet {
                members: vec![RecurrentClassifier::seeded(Cell::Gru, 13, 8, 3, 3), RecurrentClassifier::seeded(Cell::Gru, 13, 8, 3, 4)],
            },
        ];
        for net in nets {
            let proto = net.to_onnx(&specs.0, &specs.1, &[]).unwrap();
            let back = DirectionNet::from_onnx(&proto).unwrap();
            assert_eq!(back.members.len(), net.members.len());
            for (a, b) in net.members.iter().zip(&back.members) {
                assert_eq!((a.cell, a.input_size, a.hidden, a.classes), (b.cell, b.input_size, b.hidden, b.classes));
                assert_eq!((&a.weight_ih, &a.weight_hh, &a.bias_ih, &a.bias_hh), (&b.weight_ih, &b.weight_hh, &b.bias_ih, &b.bias_hh));
                assert_eq!((&a.fc_weight, &a.fc_bias), (&b.fc_weight, &b.fc_bias));
            }
        }
        let probe = crate::onnx::RankingProbe { weights: vec![0.5; 5], bias: 0.1 };
        assert!(DirectionNet::from_onnx(&probe.to_onnx(15, &[]).window).is_err());
    }
}
