//! The LSR-IGRU ranking graph (docs/specs/lsr-igru.md), written with basic ONNX ops over the
//! ranking contract: nodes [T, N, 5], long_rel [N, N], short_rel [T, N, N] -> scores [N].
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
        if self.encoder_sizes.iter().chain(&self.gru_sizes).any(|&s| s == 0) || self.head_hidden == 0 {
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
        let base = if l == 0 { if self.use_nodes { N_NODE_FEATURES } else { 0 } } else { self.gru_sizes[l - 1] };
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
            let mut width = N_NODE_FEATURES;
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

    /// The same computation in f64, for parity tests. Shapes: nodes [T, N, 5], long [N, N],
    /// short [T, N, N]; returns a score per node.
    pub fn reference(&self, nodes: &[f32], long: &[f32], short: &[f32], t: usize, n: usize) -> Vec<f64> {
        let spec = &self.spec;
        let f = N_NODE_FEATURES;
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

/// A ranking model's two graphs (see `manifest::ranking_encoder_io` and `manifest::ranking_io`).
/// The encoder takes a batch of days and gives each day's encodings: per member, the relation
/// encoders' outputs carried through each recurrent layer's input weights (the day's part of every
/// gate). The window graph runs the recurrent cells over the window's T days on those terms, adding
/// only what depends on the state, then the head. Encoding a day once serves every window that
/// holds it.
#[derive(Debug, Clone)]
pub struct RankingGraphs {
    pub encoder: ModelProto,
    pub window: ModelProto,
    /// Members M and values per node and member E of a day's encodings.
    pub members: usize,
    pub width: usize,
    /// How the window graph takes them.
    pub inputs: WindowInputs,
}

impl RankingGraphs {
    /// The graphs of `members` (one model, or an ensemble's members, which must share one
    /// architecture); `zscore`: combine the members' scores by the ensemble rule.
    fn write(members: &[LsrIgru], zscore: bool, window: usize, metadata: &[(String, String)]) -> Result<RankingGraphs> {
        let Some(first) = members.first() else {
            return Err(Error::argument("an ensemble needs at least one member"));
        };
        if let Some(other) = members.iter().find(|m| m.spec != first.spec) {
            return Err(Error::argument(format!(
                "the members of an ensemble must share one architecture: {:?} and {:?}",
                first.spec, other.spec
            )));
        }
        let (m, width) = (members.len(), first.spec.encoding_width());

        let mut w = Writer::default();
        let mut per_member = Vec::new();
        for (k, model) in members.iter().enumerate() {
            w.prefix = if m > 1 { format!("m{k}/") } else { String::new() };
            let enc = w.member_encodings(model)?;
            per_member.push(enc);
        }
        let axis1 = w.ints(&[1]);
        if m == 1 {
            w.g.node("Unsqueeze", &[&per_member[0], &axis1], &["encodings"], vec![]);
        } else {
            let parts: Vec<String> = per_member.iter().map(|e| w.op("Unsqueeze", &[e, &axis1], vec![])).collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            w.g.node("Concat", &parts, &["encodings"], vec![Attr::Int("axis", 1)]);
        }
        let (inputs, outputs) = ranking_encoder_io(m, width);
        let encoder = w.g.finish("trendcast_lsr_igru_encoder", &inputs, &outputs, metadata);

        let window = Self::window_graph(&WindowWeights::of_members(members), zscore, window, metadata)?;
        Ok(RankingGraphs { encoder, window, members: m, width, inputs: WindowInputs::Pieces(first.spec.day_pieces()) })
    }

    /// The window graph of `weights` (see [`WindowWeights`]), each day's encodings taken in
    /// pieces; `zscore` as for [`write`](Self::write).
    pub fn window_graph(weights: &WindowWeights, zscore: bool, window: usize, metadata: &[(String, String)]) -> Result<ModelProto> {
        if window == 0 {
            return Err(Error::shape("LSR-IGRU needs a window of at least one day"));
        }
        let m = weights.members;
        let mut w = Writer::default();
        let scores = w.window_scores(weights, window);
        if zscore {
            let z = w.zscore(&scores);
            let mean = w.op("ReduceMean", &[&z], vec![Attr::Ints("axes", &[0]), Attr::Int("keepdims", 0)]);
            let last = w.ints(&[-1]);
            w.g.node("Squeeze", &[&mean, &last], &["scores"], vec![]);
        } else if m == 1 {
            let axes = w.ints(&[0, 2]);
            w.g.node("Squeeze", &[&scores, &axes], &["scores"], vec![]);
        } else {
            return Err(Error::argument("several members are combined by the ensemble rule"));
        }
        let form = WindowInputs::Pieces(weights.spec.day_pieces());
        let (inputs, outputs) = ranking_io(window, m, weights.spec.encoding_width(), &form);
        Ok(w.g.finish("trendcast_lsr_igru_window", &inputs, &outputs, metadata))
    }
}

/// What the window graph multiplies at each step, the members' matrices stacked on a first axis:
/// per recurrent layer and gate, the rows that multiply the layer below's state (l > 0) [M, H_below,
/// H], those that multiply the layer's own state [M, H, H] and, for a layer without day terms,
/// the bias [M, 1, H]; the head's dense layers [M, in, out] and [M, 1, out]. (The day terms are
/// the window graph's inputs.)
#[derive(Debug, Clone, PartialEq)]
pub struct WindowWeights {
    pub spec: LsrIgruSpec,
    pub members: usize,
    pub layers: Vec<WindowLayer>,
    pub head: Vec<(Vec<f32>, Vec<f32>)>,
}

/// One recurrent layer's part of [`WindowWeights`], one entry per gate (`below` and `bias` empty
/// where the layer has none).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowLayer {
    pub below: Vec<Vec<f32>>,
    pub state: Vec<Vec<f32>>,
    pub bias: Vec<Vec<f32>>,
}

impl WindowWeights {
    /// The window weights of `members`, which share one architecture.
    pub fn of_members(members: &[LsrIgru]) -> WindowWeights {
        let spec = members[0].spec.clone();
        let stack = |f: &dyn Fn(&LsrIgru) -> Vec<f32>| members.iter().flat_map(f).collect::<Vec<f32>>();
        let layers = (0..spec.gru_sizes.len())
            .map(|l| {
                let (units, input) = (spec.gru_sizes[l], spec.gru_input(l));
                let per_gate = |rows: std::ops::Range<usize>| -> Vec<Vec<f32>> {
                    (0..spec.cell.gates().len())
                        .map(|g| stack(&|mm| gate_columns_of(&mm.gru[l].gates[g..=g], units, rows.clone()).0))
                        .collect()
                };
                WindowLayer {
                    below: if l > 0 { per_gate(0..spec.gru_sizes[l - 1]) } else { Vec::new() },
                    state: per_gate(input..input + units),
                    bias: if spec.day_rows(l).is_some() {
                        Vec::new()
                    } else {
                        (0..spec.cell.gates().len()).map(|g| stack(&|mm| mm.gru[l].gates[g].b.clone())).collect()
                    },
                }
            })
            .collect();
        let head = (0..3).map(|k| (stack(&|mm| mm.head[k].w.clone()), stack(&|mm| mm.head[k].b.clone()))).collect();
        WindowWeights { spec, members: members.len(), layers, head }
    }

    /// The window weights read back from a window graph that takes its encodings stacked (the
    /// form written before the pieces), whose initializers hold each layer's gates side by side:
    /// `{cell}.{l}.w_below` [M, H_below, G x H], the GRU's `gru.{l}.w_state_ur` [M, H, 2H] and
    /// `gru.{l}.w_state_c` [M, H, H] or the LSTM's `lstm.{l}.w_state` [M, H, 4H],
    /// `{cell}.{l}.b_window` [M, 1, G x H], `head.{k}.w` / `.b`.
    pub fn from_stacked_window(spec: LsrIgruSpec, members: usize, proto: &ModelProto) -> Result<WindowWeights> {
        spec.check()?;
        let init = crate::onnx::initializers(proto)?;
        let get = |name: String, len: usize| -> Result<&Vec<f32>> {
            init.get(name.as_str())
                .filter(|v| v.len() == len)
                .ok_or_else(|| Error::model(format!("LSR-IGRU window graph: no initializer {name} of {len} values")))
        };
        // Columns `cols` of a stacked [M, rows, width] tensor: [M, rows, cols.len()].
        let columns = |v: &[f32], rows: usize, width: usize, cols: std::ops::Range<usize>| -> Vec<f32> {
            v.chunks_exact(width).take(members * rows).flat_map(|row| row[cols.clone()].iter().copied()).collect()
        };
        let (cell, g) = (spec.cell.name(), spec.cell.gates().len());
        let mut layers = Vec::new();
        for (l, &h) in spec.gru_sizes.iter().enumerate() {
            let gate_cols = |k: usize| k * h..(k + 1) * h;
            let below = if l > 0 {
                let hb = spec.gru_sizes[l - 1];
                let v = get(format!("{cell}.{l}.w_below"), members * hb * g * h)?;
                (0..g).map(|k| columns(v, hb, g * h, gate_cols(k))).collect()
            } else {
                Vec::new()
            };
            let state = match spec.cell {
                RecurrentCell::Gru => {
                    let ur = get(format!("gru.{l}.w_state_ur"), members * h * 2 * h)?;
                    let c = get(format!("gru.{l}.w_state_c"), members * h * h)?;
                    vec![columns(ur, h, 2 * h, gate_cols(0)), columns(ur, h, 2 * h, gate_cols(1)), c.clone()]
                }
                RecurrentCell::Lstm => {
                    let v = get(format!("lstm.{l}.w_state"), members * h * g * h)?;
                    (0..g).map(|k| columns(v, h, g * h, gate_cols(k))).collect()
                }
            };
            let bias = if spec.day_rows(l).is_some() {
                Vec::new()
            } else {
                let v = get(format!("{cell}.{l}.b_window"), members * g * h)?;
                (0..g).map(|k| columns(v, 1, g * h, gate_cols(k))).collect()
            };
            layers.push(WindowLayer { below, state, bias });
        }
        let hidden = *spec.gru_sizes.last().expect("checked");
        let head = [(hidden, hidden), (hidden, spec.head_hidden), (spec.head_hidden, 1)]
            .into_iter()
            .enumerate()
            .map(|(k, (i, o))| Ok((get(format!("head.{k}.w"), members * i * o)?.clone(), get(format!("head.{k}.b"), members * o)?.clone())))
            .collect::<Result<_>>()?;
        Ok(WindowWeights { spec, members, layers, head })
    }
}

/// What `LsrIgru::visit_mut` calls for each parameter: (name, shape, values).
type ParamVisitor<'a> = dyn FnMut(&str, &[usize], &mut Vec<f32>) + 'a;

/// Names graph values and adds the LSR-IGRU's building blocks.
#[derive(Default)]
struct Writer {
    g: GraphBuilder,
    next: usize,
    /// Names of the constants added so far (`ints`, `scalar`).
    consts: std::collections::HashSet<String>,
    /// Prepended to parameter names: one member's of an ensemble ("m0/"), empty for one model.
    prefix: String,
}

impl Writer {
    /// A float scalar constant, added once (a graph holds only the constants it uses); returns
    /// its name.
    fn scalar(&mut self, name: &str, value: f32) -> String {
        if self.consts.insert(name.to_string()) {
            self.g.f32(name, &[], &[value]);
        }
        name.to_string()
    }

    /// An int64 constant [len] with these values, added once; returns its name.
    fn ints(&mut self, v: &[i64]) -> String {
        let name = format!("i64[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        if self.consts.insert(name.clone()) {
            self.g.i64(&name, &[v.len()], v);
        }
        name
    }

    /// One member's encodings of each day [B, N, E]: its relation encoders, then each recurrent
    /// layer's input terms of the day (the day's part of every gate, bias included).
    fn member_encodings(&mut self, model: &LsrIgru) -> Result<String> {
        model.check()?;
        let spec = &model.spec;
        let g_long = (spec.use_long).then(|| self.encoder("long", &model.long, spec, "long_rel"));
        let g_short = (spec.use_short).then(|| self.encoder("short", &model.short, spec, "short_rel"));
        let rel: Vec<String> = [g_long, g_short].into_iter().flatten().collect();
        let mut terms = Vec::new();
        for (l, layer) in model.gru.iter().enumerate() {
            let Some(rows) = spec.day_rows(l) else { continue };
            let parts: Vec<&str> =
                (l == 0 && spec.use_nodes).then_some("nodes").into_iter().chain(rel.iter().map(String::as_str)).collect();
            let inp = if parts.len() == 1 { parts[0].to_string() } else { self.op("Concat", &parts, vec![Attr::Int("axis", -1)]) };
            let units = spec.gru_sizes[l];
            let (w, b) = gate_columns(layer, units, rows);
            let wn = self.param(format!("{}.{l}.w_day", spec.cell.name()), &[w.len() / b.len(), b.len()], &w);
            let bn = self.param(format!("{}.{l}.b_day", spec.cell.name()), &[b.len()], &b);
            terms.push(self.affine(&inp, &wn, &bn));
        }
        let parts: Vec<&str> = terms.iter().map(String::as_str).collect();
        Ok(if parts.len() == 1 { parts[0].to_string() } else { self.op("Concat", &parts, vec![Attr::Int("axis", -1)]) })
    }

    /// The window graph's part: every member's node scores [M, N, 1] from the window's day terms,
    /// each day's cut into its pieces (a layer's terms of one gate, [M, N, H]: inputs
    /// `WindowInputs::piece_name`), the members run as one batch (their weights stacked on a
    /// first axis). Every gate is its own product, so nothing is cut inside the graph.
    fn window_scores(&mut self, weights: &WindowWeights, window: usize) -> String {
        let spec = &weights.spec;
        let cell = spec.cell.name();
        let gates = spec.cell.gates();
        let m = weights.members;
        let mut names = Vec::new();
        for (l, layer) in weights.layers.iter().enumerate() {
            let units = spec.gru_sizes[l];
            let add = |w: &mut Writer, what: &str, rows: usize, per_gate: &[Vec<f32>]| -> Vec<String> {
                per_gate
                    .iter()
                    .zip(gates)
                    .map(|(v, g)| {
                        let name = format!("{cell}.{l}.{what}.{g}");
                        w.g.f32(&name, &[m, rows, units], v);
                        name
                    })
                    .collect()
            };
            let below = if l > 0 { add(self, "w_below", spec.gru_sizes[l - 1], &layer.below) } else { Vec::new() };
            let state = add(self, "w_state", units, &layer.state);
            let bias = add(self, "b_window", 1, &layer.bias);
            names.push((below, state, bias));
        }
        // States (and LSTM cells) start at zeros [M, N, H], M and N read from the first input.
        let first = WindowInputs::piece_name(0, 0);
        let shape = self.op("Shape", &[&first], vec![]);
        let mn = self.ints(&[0, 1]);
        let mn = self.op("Gather", &[&shape, &mn], vec![Attr::Int("axis", 0)]);
        let mut h: Vec<String> = Vec::new();
        for &units in &spec.gru_sizes {
            let u = self.ints(&[units as i64]);
            let shape = self.op("Concat", &[&mn, &u], vec![Attr::Int("axis", 0)]);
            h.push(self.op("ConstantOfShape", &[&shape], vec![Attr::Tensor("value", f32_tensor("", &[1], &[0.0]))]));
        }
        let mut c: Vec<String> = if spec.cell == RecurrentCell::Lstm { h.clone() } else { Vec::new() };
        for s in 0..window {
            let mut piece = 0;
            for (l, (below, state, bias)) in names.iter().enumerate() {
                let day = spec.day_rows(l).is_some();
                // Each gate's terms that do not depend on the layer's own state.
                let mut pre = Vec::new();
                for g in 0..gates.len() {
                    let mut terms = Vec::new();
                    if day {
                        terms.push(WindowInputs::piece_name(s, piece));
                        piece += 1;
                    }
                    if let Some(w) = below.get(g) {
                        terms.push(self.op("MatMul", &[&h[l - 1], w], vec![]));
                    }
                    terms.extend(bias.get(g).cloned());
                    let first = terms.remove(0);
                    pre.push(terms.into_iter().fold(first, |acc, t| self.op("Add", &[&acc, &t], vec![])));
                }
                let gate = |w: &mut Writer, g: usize, x: &str, f: &str| {
                    let xw = w.op("MatMul", &[x, &state[g]], vec![]);
                    let z = w.op("Add", &[&pre[g], &xw], vec![]);
                    w.op(f, &[&z], vec![])
                };
                match spec.cell {
                    RecurrentCell::Gru => {
                        let hl = h[l].clone();
                        let u = gate(self, 0, &hl, "Sigmoid");
                        let r = gate(self, 1, &hl, "Sigmoid");
                        let rh = self.op("Mul", &[&r, &hl], vec![]);
                        let cand = gate(self, 2, &rh, "Tanh");
                        // u * h + (1 - u) * c, as c + u * (h - c): one node fewer.
                        let diff = self.op("Sub", &[&hl, &cand], vec![]);
                        let ud = self.op("Mul", &[&u, &diff], vec![]);
                        h[l] = self.op("Add", &[&cand, &ud], vec![]);
                    }
                    RecurrentCell::Lstm => {
                        let hl = h[l].clone();
                        let (i, f, o, g) = (
                            gate(self, 0, &hl, "Sigmoid"),
                            gate(self, 1, &hl, "Sigmoid"),
                            gate(self, 2, &hl, "Sigmoid"),
                            gate(self, 3, &hl, "Tanh"),
                        );
                        let fc = self.op("Mul", &[&f, &c[l]], vec![]);
                        let ig = self.op("Mul", &[&i, &g], vec![]);
                        c[l] = self.op("Add", &[&fc, &ig], vec![]);
                        let tc = self.op("Tanh", &[&c[l]], vec![]);
                        h[l] = self.op("Mul", &[&o, &tc], vec![]);
                    }
                }
            }
        }
        let mut x = h.pop().expect("at least one GRU layer");
        let hidden = *spec.gru_sizes.last().expect("checked");
        for (k, ((w, b), (i, o))) in
            weights.head.iter().zip([(hidden, hidden), (hidden, spec.head_hidden), (spec.head_hidden, 1)]).enumerate()
        {
            let (wn, bn) = (format!("head.{k}.w"), format!("head.{k}.b"));
            self.g.f32(&wn, &[m, i, o], w).f32(&bn, &[m, 1, o], b);
            let z = self.affine(&x, &wn, &bn);
            x = self.op("Sigmoid", &[&z], vec![]);
        }
        x
    }

    /// `scores` [M, N, 1] z-scored over the nodes (axis 1): (s - mean) / population std.
    fn zscore(&mut self, scores: &str) -> String {
        let reduce = |w: &mut Writer, x: &str| w.op("ReduceMean", &[x], vec![Attr::Ints("axes", &[1]), Attr::Int("keepdims", 1)]);
        let mean = reduce(self, scores);
        let centred = self.op("Sub", &[scores, &mean], vec![]);
        let square = self.op("Mul", &[&centred, &centred], vec![]);
        let var = reduce(self, &square);
        let sd = self.op("Sqrt", &[&var], vec![]);
        self.op("Div", &[&centred, &sd], vec![])
    }

    /// Adds a node with one fresh output and returns the output's name.
    fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<Attr<'_>>) -> String {
        let out = format!("v{}", self.next);
        self.next += 1;
        self.g.node(op, inputs, &[&out], attrs);
        out
    }

    /// A float constant, named with the member's prefix; returns its name.
    fn param(&mut self, name: String, dims: &[usize], data: &[f32]) -> String {
        let name = format!("{}{name}", self.prefix);
        self.g.f32(&name, dims, data);
        name
    }

    /// x [.., in] W [in, out] + b, with W and b already added.
    fn affine(&mut self, x: &str, w: &str, b: &str) -> String {
        let xw = self.op("MatMul", &[x, w], vec![]);
        self.op("Add", &[&xw, b], vec![])
    }

    /// The encoder over all steps: [T, N, 5] -> [T, N, E]. `adj` is [N, N] or [T, N, N].
    fn encoder(&mut self, prefix: &str, layers: &[GraphLayer], spec: &LsrIgruSpec, adj: &str) -> String {
        let mask = (spec.encoder == EncoderKind::Gat).then(|| {
            // (A + I) > 0: neighbours and the node itself (A >= 0).
            let eye = self.op("EyeLike", &["long_rel"], vec![]);
            let a = self.op("Add", &[adj, &eye], vec![]);
            let zero = self.scalar("zero", 0.0);
            self.op("Greater", &[&a, &zero], vec![])
        });
        let mut h = "nodes".to_string();
        let mut width = N_NODE_FEATURES;
        for (l, layer) in layers.iter().enumerate() {
            let out = spec.encoder_sizes[l];
            let name = format!("{prefix}.{l}");
            let wn = self.param(format!("{name}.w"), &[width, out], &layer.w);
            let bn = self.param(format!("{name}.b"), &[out], &layer.b);
            let first = aggregate_first(width, out);
            h = match &mask {
                None => {
                    let agg = if first {
                        let ah = self.op("MatMul", &[adj, &h], vec![]);
                        self.op("MatMul", &[&ah, &wn], vec![])
                    } else {
                        let hw = self.op("MatMul", &[&h, &wn], vec![]);
                        self.op("MatMul", &[adj, &hw], vec![])
                    };
                    let z = self.op("Add", &[&agg, &bn], vec![]);
                    self.op("Tanh", &[&z], vec![])
                }
                Some(mask) => {
                    let hw = self.op("MatMul", &[&h, &wn], vec![]);
                    let sn = self.param(format!("{name}.att_self"), &[out, 1], &layer.att_self);
                    let nn = self.param(format!("{name}.att_neigh"), &[out, 1], &layer.att_neigh);
                    let s_self = self.op("MatMul", &[&hw, &sn], vec![]); // [T, N, 1]
                    let s_neigh = self.op("MatMul", &[&hw, &nn], vec![]);
                    let s_neigh = self.op("Transpose", &[&s_neigh], vec![Attr::Ints("perm", &[0, 2, 1])]); // [T, 1, N]
                    let e = self.op("Add", &[&s_self, &s_neigh], vec![]);
                    let e = self.op("LeakyRelu", &[&e], vec![Attr::Float("alpha", GAT_LEAKY_SLOPE)]);
                    let masked = self.scalar("masked_logit", GAT_MASKED_LOGIT);
                    let e = self.op("Where", &[mask, &e, &masked], vec![]);
                    let att = self.op("Softmax", &[&e], vec![Attr::Int("axis", -1)]);
                    let agg = if first {
                        let ah = self.op("MatMul", &[&att, &h], vec![]);
                        self.op("MatMul", &[&ah, &wn], vec![])
                    } else {
                        self.op("MatMul", &[&att, &hw], vec![])
                    };
                    let z = self.op("Add", &[&agg, &bn], vec![]);
                    self.op("Elu", &[&z], vec![Attr::Float("alpha", 1.0)])
                }
            };
            width = out;
        }
        h
    }
}

/// Gate `g`'s rows `rows` of a recurrent layer's weights, the gates side by side: [rows, G x H]
/// (row-major), and the gates' biases side by side [G x H].
fn gate_columns(layer: &RecurrentLayer, units: usize, rows: std::ops::Range<usize>) -> (Vec<f32>, Vec<f32>) {
    gate_columns_of(&layer.gates, units, rows)
}

fn gate_columns_of(gates: &[Dense], units: usize, rows: std::ops::Range<usize>) -> (Vec<f32>, Vec<f32>) {
    let mut w = Vec::with_capacity(rows.len() * gates.len() * units);
    for r in rows {
        for d in gates {
            w.extend_from_slice(&d.w[r * units..(r + 1) * units]);
        }
    }
    (w, gates.iter().flat_map(|d| d.b.iter().copied()).collect())
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// x [n, i] W [i, o] + b, in f64.
fn ref_dense(d: &Dense, x: &[f64], i: usize, o: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0f64; n * o];
    for r in 0..n {
        for c in 0..o {
            out[r * o + c] = d.b[c] as f64 + (0..i).map(|k| x[r * i + k] * d.w[k * o + c] as f64).sum::<f64>();
        }
    }
    out
}

/// Row-wise concatenation of [n, w_k] blocks.
fn concat_cols(parts: &[(&[f64], usize)], n: usize) -> Vec<f64> {
    let width: usize = parts.iter().map(|p| p.1).sum();
    let mut out = Vec::with_capacity(n * width);
    for r in 0..n {
        for (p, w) in parts {
            out.extend_from_slice(&p[r * w..(r + 1) * w]);
        }
    }
    out
}

/// One step's encoder in f64: x [n, 5], adj [n, n] -> [n, E].
fn ref_encoder(spec: &LsrIgruSpec, layers: &[GraphLayer], adj: &[f32], x: &[f64], n: usize) -> Vec<f64> {
    let mut h = x.to_vec();
    let mut width = N_NODE_FEATURES;
    for (l, layer) in layers.iter().enumerate() {
        let out = spec.encoder_sizes[l];
        let zero_bias = Dense { w: layer.w.clone(), b: vec![0.0; out] };
        let hw = ref_dense(&zero_bias, &h, width, out, n);
        let mut next = vec![0f64; n * out];
        for i in 0..n {
            // Weights of node i's neighbours j.
            let weights: Vec<f64> = match spec.encoder {
                EncoderKind::Gcn => (0..n).map(|j| adj[i * n + j] as f64).collect(),
                EncoderKind::Gat => {
                    let score = |j: usize, a: &[f32]| (0..out).map(|c| hw[j * out + c] * a[c] as f64).sum::<f64>();
                    let s_i = score(i, &layer.att_self);
                    let e: Vec<Option<f64>> = (0..n)
                        .map(|j| {
                            (adj[i * n + j] > 0.0 || i == j).then(|| {
                                let v = s_i + score(j, &layer.att_neigh);
                                if v < 0.0 { GAT_LEAKY_SLOPE as f64 * v } else { v }
                            })
                        })
                        .collect();
                    let m = e.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
                    let ex: Vec<f64> = e.iter().map(|v| v.map_or(0.0, |v| (v - m).exp())).collect();
                    let sum: f64 = ex.iter().sum();
                    ex.iter().map(|v| v / sum).collect()
                }
            };
            for c in 0..out {
                let z = layer.b[c] as f64 + (0..n).map(|j| weights[j] * hw[j * out + c]).sum::<f64>();
                next[i * out + c] = match spec.encoder {
                    EncoderKind::Gcn => z.tanh(),
                    EncoderKind::Gat => {
                        if z > 0.0 {
                            z
                        } else {
                            z.exp() - 1.0
                        }
                    }
                };
            }
        }
        h = next;
        width = out;
    }
    h
}

/// One improved-GRU step in f64: inp [n, i], h [n, u] -> [n, u].
fn ref_gru_cell(layer: &RecurrentLayer, inp: &[f64], i: usize, h: &[f64], u: usize, n: usize) -> Vec<f64> {
    let [wu, wr, wc] = &layer.gates[..] else { unreachable!("checked: a GRU layer has three gates") };
    let xh = concat_cols(&[(inp, i), (h, u)], n);
    let upd: Vec<f64> = ref_dense(wu, &xh, i + u, u, n).into_iter().map(sigmoid).collect();
    let reset: Vec<f64> = ref_dense(wr, &xh, i + u, u, n).into_iter().map(sigmoid).collect();
    let rh: Vec<f64> = reset.iter().zip(h).map(|(r, h)| r * h).collect();
    let cand: Vec<f64> = ref_dense(wc, &concat_cols(&[(inp, i), (&rh, u)], n), i + u, u, n).into_iter().map(f64::tanh).collect();
    (0..n * u).map(|k| upd[k] * h[k] + (1.0 - upd[k]) * cand[k]).collect()
}

/// One LSTM step in f64: inp [n, i], h and c [n, u] -> the new (h, c).
fn ref_lstm_cell(layer: &RecurrentLayer, inp: &[f64], i: usize, h: &[f64], c: &[f64], u: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let [wi, wf, wo, wc] = &layer.gates[..] else { unreachable!("checked: an LSTM layer has four gates") };
    let xh = concat_cols(&[(inp, i), (h, u)], n);
    let gate = |d: &Dense, f: fn(f64) -> f64| -> Vec<f64> { ref_dense(d, &xh, i + u, u, n).into_iter().map(f).collect() };
    let (ig, fg, og, g) = (gate(wi, sigmoid), gate(wf, sigmoid), gate(wo, sigmoid), gate(wc, f64::tanh));
    let c: Vec<f64> = (0..n * u).map(|k| fg[k] * c[k] + ig[k] * g[k]).collect();
    let h = (0..n * u).map(|k| og[k] * c[k].tanh()).collect();
    (h, c)
}
