//! The LSR-IGRU ranking graph (docs/specs/lsr-igru.md), written with basic ONNX ops over the
//! ranking contract: nodes [T, N, F], long_rel [N, N], short_rel [T, N, N] -> scores [N].
//!
//! 1. Two relation encoders, one on A_L and one on A_S[s], each run on every step's node features
//!    at once (the encoder of step s sees only step s, so the T steps are a batch dimension):
//!    - GCN (the authors' code): H' = tanh(A (H W) + b), A not normalised;
//!    - GAT (the paper): one head, e_ij = LeakyReLU_0.2(a_self . Wh_i + a_neigh . Wh_j) over the
//!      j with A_ij > 0 or j = i (a self loop, so that a node without relations, e.g. not listed
//!      yet, attends to itself instead of to everyone), softmax over j,
//!      H' = ELU(sum_j alpha_ij Wh_j + b). A's values only mask; attention supplies the weights.
//! 2. The improved GRU, unrolled over the T steps. Layer 1's input at step s is the concatenation
//!    of the enabled parts among x_s, g_long_s, g_short_s; a later layer's input is the previous
//!    layer's hidden state plus the enabled relation parts (relations enter every layer):
//!    u = sigmoid([in, h] W_u + b_u), r = sigmoid([in, h] W_r + b_r),
//!    c = tanh([in, r * h] W_c + b_c), h = u * h + (1 - u) * c, h starting at 0.
//!    The LSTM variant (the paper's LSTM baseline, `cell = "lstm"`) takes the same inputs:
//!    i, f, o = sigmoid([in, h] W_{i,f,o} + b_{i,f,o}), g = tanh([in, h] W_c + b_c),
//!    c = f * c + i * g, h = o * tanh(c), h and c starting at 0.
//! 3. Head on the last state: dense(H, sigmoid) -> dense(10, sigmoid) -> dense(1, sigmoid).
//!
//! Dense weights are [in, out] (x W + b, Keras's layout); the trainer's parameters have the same
//! names and shapes, so exporting is a copy.

use serde::{Deserialize, Serialize};
use tract_onnx::pb::ModelProto;

use super::{Attr, GraphBuilder, f32_tensor};
use trendcast::error::{Error, Result};
use trendcast::model::manifest::{WindowInputs, ranking_encoder_io, ranking_io};
use trendcast::relations::N_NODE_FEATURES;

mod ensemble;
mod graphs;
mod reference;
mod writer;

pub use ensemble::{LsrIgruEnsemble, combine_zscores, mean_and_spread, zscore_tolerance};
pub use graphs::{RankingGraphs, WindowLayer, WindowWeights};
use reference::*;
use writer::*;

/// Which relation encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncoderKind {
    /// tanh(A (H W) + b), two layers (the authors' code).
    Gcn,
    /// One-head graph attention with ELU, two layers (the paper).
    Gat,
}

/// Whether an encoder layer multiplies by the [N, N] matrix before the weights, A (H W) = (A H) W:
/// the cheaper order, N^2 x min(in, out) multiply-adds (the first layer reads 5 features). The
/// trainer uses the same order, so that both compute the same floats.
pub fn aggregate_first(in_width: usize, out_width: usize) -> bool {
    in_width < out_width
}

/// The recurrent cell of every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrentCell {
    /// The improved GRU (the model).
    #[default]
    Gru,
    /// An LSTM over the same inputs (the paper's LSTM baseline).
    Lstm,
}

impl RecurrentCell {
    /// The gates, in the order of `RecurrentLayer::gates`; the candidate "c" comes last.
    pub fn gates(self) -> &'static [&'static str] {
        match self {
            RecurrentCell::Gru => &["u", "r", "c"],
            RecurrentCell::Lstm => &["i", "f", "o", "c"],
        }
    }

    /// Prefix of the recurrent parameters' names.
    pub fn name(self) -> &'static str {
        match self {
            RecurrentCell::Gru => "gru",
            RecurrentCell::Lstm => "lstm",
        }
    }
}

/// Slope of the GAT's LeakyReLU (the GAT paper's value).
pub const GAT_LEAKY_SLOPE: f32 = 0.2;
/// Logit given to masked attention entries: exp underflows to exactly 0 in f32 and f64.
pub const GAT_MASKED_LOGIT: f32 = -1e9;

/// The architecture: variant, sizes and ablation switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LsrIgruSpec {
    pub encoder: EncoderKind,
    /// Units of each encoder layer (paper: 30, 15; code: 120, 30).
    pub encoder_sizes: Vec<usize>,
    /// Hidden units of each GRU layer (paper: 15, 10; code: 30, 10).
    pub gru_sizes: Vec<usize>,
    /// Units of the head's middle dense layer (10).
    pub head_hidden: usize,
    /// Ablation part I: the node features enter the first GRU layer.
    pub use_nodes: bool,
    /// Ablation part II: the long-term relation encoder.
    pub use_long: bool,
    /// Ablation part III: the short-term relation encoder.
    pub use_short: bool,
    /// The recurrent cell (GRU unless a baseline asks for an LSTM).
    pub cell: RecurrentCell,
    /// Values per node of the node features (`NodeFeatures::width` of the relation settings; the
    /// trainer sets it from them). Written only when it is not the original 5, so that the specs
    /// of earlier runs read and compare as before.
    #[serde(skip_serializing_if = "is_original_node_width")]
    pub node_width: usize,
}

fn is_original_node_width(width: &usize) -> bool {
    *width == N_NODE_FEATURES
}

impl Default for LsrIgruSpec {
    fn default() -> Self {
        Self::paper()
    }
}

impl LsrIgruSpec {
    /// The paper's model: GAT (30, 15), GRU (15, 10), all parts.
    pub fn paper() -> Self {
        LsrIgruSpec {
            encoder: EncoderKind::Gat,
            encoder_sizes: vec![30, 15],
            gru_sizes: vec![15, 10],
            head_hidden: 10,
            use_nodes: true,
            use_long: true,
            use_short: true,
            cell: RecurrentCell::Gru,
            node_width: N_NODE_FEATURES,
        }
    }

    /// The authors' S&P 500 code: GCN (120, 30), GRU (30, 10), all parts.
    pub fn code() -> Self {
        LsrIgruSpec { encoder: EncoderKind::Gcn, encoder_sizes: vec![120, 30], gru_sizes: vec![30, 10], ..Self::paper() }
    }

    pub fn check(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::shape(format!("LSR-IGRU: {what} ({self:?})")));
        if !(self.use_nodes || self.use_long || self.use_short) {
            return bad("at least one of use_nodes, use_long, use_short must be on");
        }
        if (self.use_long || self.use_short) && self.encoder_sizes.is_empty() {
            return bad("the relation encoders need at least one layer");
        }
        if self.gru_sizes.is_empty() {
            return bad("the GRU needs at least one layer");
        }
        if self.encoder_sizes.iter().chain(&self.gru_sizes).any(|&s| s == 0) || self.head_hidden == 0 || self.node_width == 0 {
            return bad("every layer needs at least one unit");
        }
        Ok(())
    }

    /// Width of each relation representation (the last encoder layer's units).
    fn relation_width(&self) -> usize {
        self.encoder_sizes.last().copied().unwrap_or(0)
    }

    /// The input rows of recurrent layer `l`'s gate weights that a day's encoding carries: all of
    /// layer 0's (x_s and the relations), a later layer's relation rows (after the layer below's
    /// state); none for a later layer without relation inputs.
    pub fn day_rows(&self, l: usize) -> Option<std::ops::Range<usize>> {
        match l {
            0 => Some(0..self.gru_input(0)),
            _ if self.use_long || self.use_short => Some(self.gru_sizes[l - 1]..self.gru_input(l)),
            _ => None,
        }
    }

    /// The pieces a day's encoding is cut into for the window graph, their widths in order: each
    /// layer's day terms (of the layers that have them), one gate's H values per piece.
    pub fn day_pieces(&self) -> Vec<usize> {
        let gates = self.cell.gates().len();
        (0..self.gru_sizes.len())
            .filter(|&l| self.day_rows(l).is_some())
            .flat_map(|l| std::iter::repeat_n(self.gru_sizes[l], gates))
            .collect()
    }

    /// Values per node of one day's encoding: each layer's day terms, G x H per layer that has them.
    pub fn encoding_width(&self) -> usize {
        let gates = self.cell.gates().len();
        (0..self.gru_sizes.len()).filter(|&l| self.day_rows(l).is_some()).map(|l| gates * self.gru_sizes[l]).sum()
    }

    /// Input width of GRU layer `l`: x_s (first layer, if used) or the layer below's state, plus the
    /// enabled relation representations.
    pub fn gru_input(&self, l: usize) -> usize {
        let base = if l == 0 { if self.use_nodes { self.node_width } else { 0 } } else { self.gru_sizes[l - 1] };
        base + self.relation_width() * (usize::from(self.use_long) + usize::from(self.use_short))
    }

    /// Every parameter's name and shape, in a fixed order: the layout the trainer mirrors.
    pub fn layout(&self) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::new();
        LsrIgru::skeleton(self.clone()).visit_mut(&mut |name, shape, _| out.push((name.to_string(), shape.to_vec())));
        out
    }
}

/// One encoder layer. `w` [in, out], `b` [out]; GAT only: `att_self` and `att_neigh` [out] (the
/// attention vectors a1 and a2), empty for GCN.
#[derive(Debug, Clone, Default)]
pub struct GraphLayer {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    pub att_self: Vec<f32>,
    pub att_neigh: Vec<f32>,
}

/// One recurrent layer with input width I and H units: one dense [I + H, H] (rows: the input
/// first, then the state) and bias [H] per gate of its cell, in `RecurrentCell::gates` order.
#[derive(Debug, Clone, Default)]
pub struct RecurrentLayer {
    pub gates: Vec<Dense>,
}

/// A dense layer: `w` [in, out], `b` [out].
#[derive(Debug, Clone, Default)]
pub struct Dense {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// The weights. `long` / `short` are empty when that part is switched off; `head` has 3 layers
/// (H -> H, H -> head_hidden, head_hidden -> 1).
#[derive(Debug, Clone)]
pub struct LsrIgru {
    pub spec: LsrIgruSpec,
    pub long: Vec<GraphLayer>,
    pub short: Vec<GraphLayer>,
    pub gru: Vec<RecurrentLayer>,
    pub head: Vec<Dense>,
}

impl LsrIgru {
    /// The layer structure with empty tensors.
    fn skeleton(spec: LsrIgruSpec) -> Self {
        let enc = |on: bool| {
            if on { vec![GraphLayer::default(); spec.encoder_sizes.len()] } else { Vec::new() }
        };
        LsrIgru {
            long: enc(spec.use_long),
            short: enc(spec.use_short),
            gru: vec![RecurrentLayer { gates: vec![Dense::default(); spec.cell.gates().len()] }; spec.gru_sizes.len()],
            head: vec![Dense::default(); 3],
            spec,
        }
    }

    /// Calls `f(name, shape, tensor)` for every parameter, in layout order. The one place that
    /// names the parameters and gives their shapes.
    fn visit_mut(&mut self, f: &mut ParamVisitor<'_>) {
        let spec = &self.spec;
        let gat = spec.encoder == EncoderKind::Gat;
        for (prefix, layers) in [("long", &mut self.long), ("short", &mut self.short)] {
            let mut width = spec.node_width;
            for (l, layer) in layers.iter_mut().enumerate() {
                let out = spec.encoder_sizes[l];
                f(&format!("{prefix}.{l}.w"), &[width, out], &mut layer.w);
                f(&format!("{prefix}.{l}.b"), &[out], &mut layer.b);
                if gat {
                    f(&format!("{prefix}.{l}.att_self"), &[out], &mut layer.att_self);
                    f(&format!("{prefix}.{l}.att_neigh"), &[out], &mut layer.att_neigh);
                }
                width = out;
            }
        }
        for (l, layer) in self.gru.iter_mut().enumerate() {
            let (i, h, cell) = (spec.gru_input(l), spec.gru_sizes[l], spec.cell.name());
            for (gate, d) in spec.cell.gates().iter().zip(&mut layer.gates) {
                f(&format!("{cell}.{l}.w_{gate}"), &[i + h, h], &mut d.w);
                f(&format!("{cell}.{l}.b_{gate}"), &[h], &mut d.b);
            }
        }
        let h = *spec.gru_sizes.last().expect("checked: at least one GRU layer");
        for (k, (d, (i, o))) in self.head.iter_mut().zip([(h, h), (h, spec.head_hidden), (spec.head_hidden, 1)]).enumerate() {
            f(&format!("head.{k}.w"), &[i, o], &mut d.w);
            f(&format!("head.{k}.b"), &[o], &mut d.b);
        }
    }

    /// A model whose every parameter is `init(name, shape)` (row-major, product(shape) values).
    pub fn from_fn(spec: LsrIgruSpec, mut init: impl FnMut(&str, &[usize]) -> Vec<f32>) -> Result<Self> {
        spec.check()?;
        let mut m = Self::skeleton(spec);
        m.visit_mut(&mut |name, shape, t| *t = init(name, shape));
        m.check()?;
        Ok(m)
    }

    /// The model whose parameters are the float initializers `prefix + name` of `proto` (a graph
    /// this module wrote: the single-graph form of earlier bundles names them so).
    pub fn from_initializers(spec: LsrIgruSpec, proto: &ModelProto, prefix: &str) -> Result<Self> {
        let init = crate::onnx::initializers(proto)?;
        if let Some((name, shape)) = spec
            .layout()
            .into_iter()
            .find(|(name, shape)| init.get(format!("{prefix}{name}").as_str()).is_none_or(|v| v.len() != shape.iter().product::<usize>()))
        {
            return Err(Error::model(format!("LSR-IGRU graph: no initializer {prefix}{name} of shape {shape:?}")));
        }
        Self::from_fn(spec, |name, _| init[format!("{prefix}{name}").as_str()].clone())
    }

    /// Deterministic pseudo-random weights (Glorot-uniform matrices, biases uniform in +-0.1 so that
    /// they are exercised), for tests and benches.
    pub fn seeded(spec: LsrIgruSpec, seed: u64) -> Result<Self> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Self::from_fn(spec, |name, shape| {
            let is_bias = name.rsplit('.').next().is_some_and(|last| last.starts_with('b'));
            let k = if is_bias {
                0.1
            } else {
                // Attention vectors [out] are [out, 1] matrices.
                let (fan_in, fan_out) = if shape.len() == 2 { (shape[0], shape[1]) } else { (shape[0], 1) };
                (6.0 / (fan_in + fan_out) as f32).sqrt()
            };
            (0..shape.iter().product::<usize>()).map(|_| rng.random_range(-k..k)).collect()
        })
    }

    /// Number of weights.
    pub fn n_params(&self) -> usize {
        self.spec.layout().iter().map(|(_, s)| s.iter().product::<usize>()).sum()
    }

    /// Checks the spec and every tensor's length against the layout.
    pub fn check(&self) -> Result<()> {
        self.spec.check()?;
        let skeleton = Self::skeleton(self.spec.clone());
        let gates = |m: &Self| m.gru.iter().map(|l| l.gates.len()).collect::<Vec<_>>();
        if (self.long.len(), self.short.len(), self.gru.len(), self.head.len(), gates(self))
            != (skeleton.long.len(), skeleton.short.len(), skeleton.gru.len(), skeleton.head.len(), gates(&skeleton))
        {
            return Err(Error::shape("LSR-IGRU: layer counts differ from the spec"));
        }
        let mut bad = None;
        self.clone().visit_mut(&mut |name, shape, t| {
            let want: usize = shape.iter().product();
            if t.len() != want && bad.is_none() {
                bad = Some(format!("LSR-IGRU {name}: {} values, expected {want} ({shape:?})", t.len()));
            }
        });
        bad.map_or(Ok(()), |w| Err(Error::shape(w)))
    }

    /// The model's two graphs (encoder and window) for a window of `window` days.
    pub fn to_onnx(&self, window: usize, metadata: &[(String, String)]) -> Result<RankingGraphs> {
        RankingGraphs::write(std::slice::from_ref(self), false, window, metadata)
    }

    /// The same computation in f64, for parity tests. Shapes: nodes [T, N, F], long [N, N],
    /// short [T, N, N]; returns a score per node.
    pub fn reference(&self, nodes: &[f32], long: &[f32], short: &[f32], t: usize, n: usize) -> Vec<f64> {
        let spec = &self.spec;
        let f = spec.node_width;
        let x: Vec<f64> = nodes.iter().map(|&v| v as f64).collect();
        let step_x = |s: usize| &x[s * n * f..(s + 1) * n * f];
        // Per step: [n, E].
        let g_long: Option<Vec<Vec<f64>>> =
            spec.use_long.then(|| (0..t).map(|s| ref_encoder(spec, &self.long, long, step_x(s), n)).collect());
        let g_short: Option<Vec<Vec<f64>>> = spec
            .use_short
            .then(|| (0..t).map(|s| ref_encoder(spec, &self.short, &short[s * n * n..(s + 1) * n * n], step_x(s), n)).collect());
        let mut h: Vec<Vec<f64>> = spec.gru_sizes.iter().map(|&u| vec![0.0; n * u]).collect();
        let mut c = h.clone();
        for s in 0..t {
            for (l, layer) in self.gru.iter().enumerate() {
                let mut parts: Vec<(&[f64], usize)> = Vec::new();
                if l == 0 {
                    if spec.use_nodes {
                        parts.push((step_x(s), f));
                    }
                } else {
                    parts.push((&h[l - 1], spec.gru_sizes[l - 1]));
                }
                for g in [&g_long, &g_short].into_iter().flatten() {
                    parts.push((&g[s], spec.relation_width()));
                }
                let inp = concat_cols(&parts, n);
                let (i, u) = (spec.gru_input(l), spec.gru_sizes[l]);
                match spec.cell {
                    RecurrentCell::Gru => h[l] = ref_gru_cell(layer, &inp, i, &h[l], u, n),
                    RecurrentCell::Lstm => (h[l], c[l]) = ref_lstm_cell(layer, &inp, i, &h[l], &c[l], u, n),
                }
            }
        }
        let hidden = *spec.gru_sizes.last().expect("checked");
        let mut v = h.pop().expect("checked");
        for (d, (i, o)) in self.head.iter().zip([(hidden, hidden), (hidden, spec.head_hidden), (spec.head_hidden, 1)]) {
            v = ref_dense(d, &v, i, o, n).into_iter().map(sigmoid).collect();
        }
        v
    }
}
