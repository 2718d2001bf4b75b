//! Writing the graphs: names graph values and adds the LSR-IGRU's building blocks.

use super::*;

/// What `LsrIgru::visit_mut` calls for each parameter: (name, shape, values).
pub(super) type ParamVisitor<'a> = dyn FnMut(&str, &[usize], &mut Vec<f32>) + 'a;

/// Names graph values and adds the LSR-IGRU's building blocks.
#[derive(Default)]
pub(super) struct Writer {
    pub(super) g: GraphBuilder,
    pub(super) next: usize,
    /// Names of the constants added so far (`ints`, `scalar`).
    pub(super) consts: std::collections::HashSet<String>,
    /// Prepended to parameter names: one member's of an ensemble ("m0/"), empty for one model.
    pub(super) prefix: String,
}

impl Writer {
    /// A float scalar constant, added once (a graph holds only the constants it uses); returns
    /// its name.
    pub(super) fn scalar(&mut self, name: &str, value: f32) -> String {
        if self.consts.insert(name.to_string()) {
            self.g.f32(name, &[], &[value]);
        }
        name.to_string()
    }

    /// An int64 constant [len] with these values, added once; returns its name.
    pub(super) fn ints(&mut self, v: &[i64]) -> String {
        let name = format!("i64[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        if self.consts.insert(name.clone()) {
            self.g.i64(&name, &[v.len()], v);
        }
        name
    }

    /// One member's encodings of each day [B, N, E]: its relation encoders, then each recurrent
    /// layer's input terms of the day (the day's part of every gate, bias included).
    pub(super) fn member_encodings(&mut self, model: &LsrIgru) -> Result<String> {
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
    pub(super) fn window_scores(&mut self, weights: &WindowWeights, window: usize) -> String {
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
    pub(super) fn zscore(&mut self, scores: &str) -> String {
        let reduce = |w: &mut Writer, x: &str| w.op("ReduceMean", &[x], vec![Attr::Ints("axes", &[1]), Attr::Int("keepdims", 1)]);
        let mean = reduce(self, scores);
        let centred = self.op("Sub", &[scores, &mean], vec![]);
        let square = self.op("Mul", &[&centred, &centred], vec![]);
        let var = reduce(self, &square);
        let sd = self.op("Sqrt", &[&var], vec![]);
        self.op("Div", &[&centred, &sd], vec![])
    }

    /// Adds a node with one fresh output and returns the output's name.
    pub(super) fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<Attr<'_>>) -> String {
        let out = format!("v{}", self.next);
        self.next += 1;
        self.g.node(op, inputs, &[&out], attrs);
        out
    }

    /// A float constant, named with the member's prefix; returns its name.
    pub(super) fn param(&mut self, name: String, dims: &[usize], data: &[f32]) -> String {
        let name = format!("{}{name}", self.prefix);
        self.g.f32(&name, dims, data);
        name
    }

    /// x [.., in] W [in, out] + b, with W and b already added.
    pub(super) fn affine(&mut self, x: &str, w: &str, b: &str) -> String {
        let xw = self.op("MatMul", &[x, w], vec![]);
        self.op("Add", &[&xw, b], vec![])
    }

    /// The encoder over all steps: [T, N, F] -> [T, N, E]. `adj` is [N, N] or [T, N, N].
    pub(super) fn encoder(&mut self, prefix: &str, layers: &[GraphLayer], spec: &LsrIgruSpec, adj: &str) -> String {
        let mask = (spec.encoder == EncoderKind::Gat).then(|| {
            // (A + I) > 0: neighbours and the node itself (A >= 0).
            let eye = self.op("EyeLike", &["long_rel"], vec![]);
            let a = self.op("Add", &[adj, &eye], vec![]);
            let zero = self.scalar("zero", 0.0);
            self.op("Greater", &[&a, &zero], vec![])
        });
        let mut h = "nodes".to_string();
        let mut width = spec.node_width;
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
pub(super) fn gate_columns(layer: &RecurrentLayer, units: usize, rows: std::ops::Range<usize>) -> (Vec<f32>, Vec<f32>) {
    gate_columns_of(&layer.gates, units, rows)
}

pub(super) fn gate_columns_of(gates: &[Dense], units: usize, rows: std::ops::Range<usize>) -> (Vec<f32>, Vec<f32>) {
    let mut w = Vec::with_capacity(rows.len() * gates.len() * units);
    for r in rows {
        for d in gates {
            w.extend_from_slice(&d.w[r * units..(r + 1) * units]);
        }
    }
    (w, gates.iter().flat_map(|d| d.b.iter().copied()).collect())
}
