//! The LSR-IGRU ranking graph (shared/specs/lsr-igru.md), written with basic ONNX ops over the
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
use crate::error::{Error, Result};
use crate::model::manifest::TensorSpec;
use crate::relations::N_NODE_FEATURES;

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

    /// The ONNX model with the ranking contract's inputs and output.
    pub fn to_onnx(&self, inputs: &[TensorSpec], outputs: &[TensorSpec], metadata: &[(String, String)]) -> Result<ModelProto> {
        let mut w = Writer::for_contract(inputs)?;
        let scores = w.member(self)?;
        w.g.node("Squeeze", &[&scores, "axis_last"], &[outputs[0].name.as_str()], vec![]);
        Ok(w.g.finish("trendcast_lsr_igru", inputs, outputs, metadata))
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
    pub fn to_onnx(&self, inputs: &[TensorSpec], outputs: &[TensorSpec], metadata: &[(String, String)]) -> Result<ModelProto> {
        if self.members.is_empty() {
            return Err(Error::argument("an ensemble needs at least one member"));
        }
        let mut w = Writer::for_contract(inputs)?;
        let mut z = Vec::new();
        for (k, m) in self.members.iter().enumerate() {
            w.prefix = format!("m{k}/");
            let scores = w.member(m)?;
            z.push(w.zscore(&scores));
        }
        let sum = z.iter().skip(1).fold(z[0].clone(), |acc, x| w.op("Add", &[&acc, x], vec![]));
        let k = format!("members{}", self.members.len());
        w.g.f32(&k, &[], &[self.members.len() as f32]);
        let mean = w.op("Div", &[&sum, &k], vec![]);
        w.g.node("Squeeze", &[&mean, "axis_last"], &[outputs[0].name.as_str()], vec![]);
        Ok(w.g.finish("trendcast_lsr_igru_ensemble", inputs, outputs, metadata))
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

/// What `LsrIgru::visit_mut` calls for each parameter: (name, shape, values).
type ParamVisitor<'a> = dyn FnMut(&str, &[usize], &mut Vec<f32>) + 'a;

/// Names graph values and adds the LSR-IGRU's building blocks.
#[derive(Default)]
struct Writer {
    g: GraphBuilder,
    next: usize,
    /// The window: steps of the recurrent layers.
    window: usize,
    /// Prepended to parameter names: one member's of an ensemble ("m0/"), empty for one model.
    prefix: String,
}

impl Writer {
    /// A graph for the ranking contract `inputs` (the window is the first dimension of `nodes`),
    /// with the constants every member shares.
    fn for_contract(inputs: &[TensorSpec]) -> Result<Writer> {
        let window = match inputs.first().and_then(|s| s.shape.first()) {
            Some(crate::model::manifest::Dim::Fixed(t)) if *t > 0 => *t as usize,
            _ => {
                return Err(Error::shape("LSR-IGRU needs the contract's fixed window as the first dimension of `nodes`"));
            }
        };
        let mut w = Writer { window, ..Default::default() };
        w.g.i64("axis_last", &[1], &[-1]).i64("idx1", &[1], &[1]);
        w.g.f32("zero", &[], &[0.0]).f32("one", &[], &[1.0]).f32("masked_logit", &[], &[GAT_MASKED_LOGIT]);
        for s in 0..window {
            w.g.i64(&format!("step{s}"), &[], &[s as i64]);
        }
        Ok(w)
    }

    /// One model's node scores [N, 1] from the graph inputs.
    fn member(&mut self, model: &LsrIgru) -> Result<String> {
        model.check()?;
        let spec = &model.spec;
        let g_long = (spec.use_long).then(|| self.encoder("long", &model.long, spec, "long_rel"));
        let g_short = (spec.use_short).then(|| self.encoder("short", &model.short, spec, "short_rel"));

        // Recurrent states (and LSTM cells) start at zeros [N, H], N read from the input at run time.
        let n = self.op("Shape", &["nodes"], vec![]);
        let n = self.op("Gather", &[&n, "idx1"], vec![Attr::Int("axis", 0)]);
        let gru: Vec<Vec<(String, String)>> =
            model.gru.iter().enumerate().map(|(l, layer)| self.recurrent_params(spec, l, layer)).collect();
        let mut h: Vec<String> = Vec::new();
        for (l, &units) in spec.gru_sizes.iter().enumerate() {
            let units_name = format!("{}{}.{l}.units", self.prefix, spec.cell.name());
            self.g.i64(&units_name, &[1], &[units as i64]);
            let shape = self.op("Concat", &[&n, &units_name], vec![Attr::Int("axis", 0)]);
            h.push(self.op("ConstantOfShape", &[&shape], vec![Attr::Tensor("value", f32_tensor("", &[1], &[0.0]))]));
        }
        // The LSTM's cell states, zeros like h.
        let mut c: Vec<String> = if spec.cell == RecurrentCell::Lstm { h.clone() } else { Vec::new() };
        for s in 0..self.window {
            let idx = format!("step{s}");
            let take = |w: &mut Writer, t: &str| w.op("Gather", &[t, &idx], vec![Attr::Int("axis", 0)]);
            let x_s = spec.use_nodes.then(|| take(self, "nodes"));
            let rel_s: Vec<String> = [&g_long, &g_short].into_iter().flatten().map(|t| take(self, t)).collect();
            for (l, params) in gru.iter().enumerate() {
                let below = if l == 0 { x_s.clone() } else { Some(h[l - 1].clone()) };
                let parts: Vec<&str> = below.iter().chain(&rel_s).map(String::as_str).collect();
                let inp = if parts.len() == 1 { parts[0].to_string() } else { self.op("Concat", &parts, vec![Attr::Int("axis", 1)]) };
                match spec.cell {
                    RecurrentCell::Gru => h[l] = self.gru_cell(params, &inp, &h[l]),
                    RecurrentCell::Lstm => (h[l], c[l]) = self.lstm_cell(params, &inp, &h[l], &c[l]),
                }
            }
        }
        let mut x = h.pop().expect("at least one GRU layer");
        let hidden = *spec.gru_sizes.last().expect("checked");
        for (k, (d, (i, o))) in model.head.iter().zip([(hidden, hidden), (hidden, spec.head_hidden), (spec.head_hidden, 1)]).enumerate() {
            let wn = self.param(format!("head.{k}.w"), &[i, o], &d.w);
            let bn = self.param(format!("head.{k}.b"), &[o], &d.b);
            let z = self.affine(&x, &wn, &bn);
            x = self.op("Sigmoid", &[&z], vec![]);
        }
        Ok(x)
    }

    /// `scores` [N, 1] z-scored over the nodes: (s - mean) / population std.
    fn zscore(&mut self, scores: &str) -> String {
        let reduce = |w: &mut Writer, x: &str| w.op("ReduceMean", &[x], vec![Attr::Ints("axes", &[0]), Attr::Int("keepdims", 1)]);
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
            self.op("Greater", &[&a, "zero"], vec![])
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
                    let e = self.op("Where", &[mask, &e, "masked_logit"], vec![]);
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

    /// Adds recurrent layer `l`'s gate weights [I + H, H] and biases [H]; returns their names in
    /// gate order.
    fn recurrent_params(&mut self, spec: &LsrIgruSpec, l: usize, layer: &RecurrentLayer) -> Vec<(String, String)> {
        let (i, units, cell) = (spec.gru_input(l), spec.gru_sizes[l], spec.cell.name());
        let gates = spec.cell.gates().iter().zip(&layer.gates);
        gates
            .map(|(g, d)| {
                let w = self.param(format!("{cell}.{l}.w_{g}"), &[i + units, units], &d.w);
                (w, self.param(format!("{cell}.{l}.b_{g}"), &[units], &d.b))
            })
            .collect()
    }

    /// One improved-GRU step of a layer; returns the new state [N, H].
    fn gru_cell(&mut self, params: &[(String, String)], inp: &str, h: &str) -> String {
        let [(wu, bu), (wr, br), (wc, bc)] = params else { unreachable!("a GRU layer has three gates") };
        let xh = self.op("Concat", &[inp, h], vec![Attr::Int("axis", 1)]);
        let u = self.affine(&xh, wu, bu);
        let u = self.op("Sigmoid", &[&u], vec![]);
        let r = self.affine(&xh, wr, br);
        let r = self.op("Sigmoid", &[&r], vec![]);
        let rh = self.op("Mul", &[&r, h], vec![]);
        let xrh = self.op("Concat", &[inp, &rh], vec![Attr::Int("axis", 1)]);
        let c = self.affine(&xrh, wc, bc);
        let c = self.op("Tanh", &[&c], vec![]);
        let uh = self.op("Mul", &[&u, h], vec![]);
        let one_minus_u = self.op("Sub", &["one", &u], vec![]);
        let uc = self.op("Mul", &[&one_minus_u, &c], vec![]);
        self.op("Add", &[&uh, &uc], vec![])
    }

    /// One LSTM step of a layer; returns the new state and cell [N, H].
    fn lstm_cell(&mut self, params: &[(String, String)], inp: &str, h: &str, c: &str) -> (String, String) {
        let [(wi, bi), (wf, bf), (wo, bo), (wc, bc)] = params else { unreachable!("an LSTM layer has four gates") };
        let xh = self.op("Concat", &[inp, h], vec![Attr::Int("axis", 1)]);
        let mut gate = |w: &str, b: &str, f: &str| {
            let z = self.affine(&xh, w, b);
            self.op(f, &[&z], vec![])
        };
        let (i, f, o, g) = (gate(wi, bi, "Sigmoid"), gate(wf, bf, "Sigmoid"), gate(wo, bo, "Sigmoid"), gate(wc, bc, "Tanh"));
        let fc = self.op("Mul", &[&f, c], vec![]);
        let ig = self.op("Mul", &[&i, &g], vec![]);
        let c = self.op("Add", &[&fc, &ig], vec![]);
        let tc = self.op("Tanh", &[&c], vec![]);
        (self.op("Mul", &[&o, &tc], vec![]), c)
    }
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
