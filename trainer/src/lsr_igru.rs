//! LSR-IGRU in libtorch, op for op the graph of `trendcast_export::onnx::LsrIgru` (see that module
//! for the model), with a leading batch-of-days dimension. The parameters are created from the
//! core's layout (same names, same [in, out] shapes), so exporting is a copy.

use std::collections::HashMap;

use anyhow::{Context, Result};
use tch::nn::{self, Init};
use tch::{Device, Kind, Tensor};
use trendcast::relations::LongTermFactors;
use trendcast_export::onnx::{EncoderKind, GAT_LEAKY_SLOPE, GAT_MASKED_LOGIT, LsrIgru, LsrIgruSpec, RecurrentCell, aggregate_first};

/// A relation matrix as an encoder multiplies by it.
pub enum Relation {
    /// [N, N] or [B, T, N, N].
    Dense(Tensor),
    /// The long-term matrix as co-memberships (`relations::LongTermFactors`), optionally
    /// degree-normalised: S (M M^T - E) S h = s * (M (M^T (s * h))) - s^2 e * h, 2 N G products per
    /// column instead of N^2.
    Factored { m: Tensor, mt: Tensor, s: Tensor, self_term: Tensor },
}

impl Relation {
    /// The factored A_L of `f` on `device`, normalised as `normalize_relation` does when asked.
    pub fn factored(f: &LongTermFactors, normalize: bool, device: Device) -> Relation {
        let (n, g) = (f.n_nodes as i64, f.n_groups as i64);
        let s: Vec<f32> = if normalize { f.inverse_sqrt_degrees().iter().map(|&v| v as f32).collect() } else { vec![1.0; f.n_nodes] };
        let self_term: Vec<f32> = s.iter().zip(&f.repeated).map(|(s, e)| s * s * e).collect();
        let m = Tensor::from_slice(&f.memberships).view([n, g]).to_device(device);
        Relation::Factored {
            mt: m.transpose(0, 1).contiguous(),
            m,
            s: Tensor::from_slice(&s).view([n, 1]).to_device(device),
            self_term: Tensor::from_slice(&self_term).view([n, 1]).to_device(device),
        }
    }

    /// A h for h [.., N, F].
    fn times(&self, h: &Tensor) -> Tensor {
        match self {
            Relation::Dense(a) => a.matmul(h),
            Relation::Factored { m, mt, s, self_term } => {
                // [.., N, F] -> [N, .. x F]: two plain matrix products instead of a batch of small
                // ones (a 2-D left operand is broadcast, not folded, by matmul).
                let dims = h.size();
                let n = dims[dims.len() - 2];
                let wide = (h * s).movedim(-2, 0);
                let folded = wide.reshape([n, -1]);
                let product = m.matmul(&mt.matmul(&folded)).reshape(wide.size()).movedim(0, -2);
                product * s - h * self_term
            }
        }
    }
}

/// The relation encodings of a run of days, [B, D, N, E] for each encoder the model uses.
pub struct Encoded {
    pub long: Option<Tensor>,
    pub short: Option<Tensor>,
}

pub struct Net {
    pub vs: nn::VarStore,
    pub spec: LsrIgruSpec,
    p: HashMap<String, Tensor>,
}

impl Net {
    /// Fresh parameters: Glorot-uniform matrices and attention vectors (Keras's default), zero
    /// biases but the LSTM's forget gate's, 1 (Keras's `unit_forget_bias`).
    pub fn new(spec: LsrIgruSpec, device: Device) -> Result<Net> {
        spec.check()?;
        let vs = nn::VarStore::new(device);
        let mut p = HashMap::new();
        for (name, shape) in spec.layout() {
            let (parent, leaf) = name.rsplit_once('.').expect("layout names are dotted");
            let path = parent.split('.').fold(vs.root(), |path, part| path / part);
            let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            let init = if leaf == "b_f" {
                Init::Const(1.0)
            } else if leaf.starts_with('b') {
                Init::Const(0.0)
            } else {
                let (fan_in, fan_out) = if shape.len() == 2 { (shape[0], shape[1]) } else { (shape[0], 1) };
                let k = (6.0 / (fan_in + fan_out) as f64).sqrt();
                Init::Uniform { lo: -k, up: k }
            };
            let var = path.var(leaf, &dims, init);
            p.insert(name, var);
        }
        Ok(Net { vs, spec, p })
    }

    fn get(&self, name: &str) -> &Tensor {
        self.p.get(name).unwrap_or_else(|| panic!("no parameter {name}"))
    }

    fn dense(&self, name: &str, x: &Tensor) -> Tensor {
        x.matmul(self.get(&format!("{name}.w"))) + self.get(&format!("{name}.b"))
    }

    /// [B, T, N, F] -> [B, T, N, E]; `adj` is [N, N] or [B, T, N, N] (dense for a GAT, whose
    /// attention needs every entry).
    fn encoder(&self, prefix: &str, x: &Tensor, adj: &Relation) -> Tensor {
        let mask = (self.spec.encoder == EncoderKind::Gat).then(|| {
            let Relation::Dense(adj) = adj else { panic!("a GAT encoder reads a dense relation matrix") };
            let n = adj.size()[adj.dim() - 1];
            (adj + Tensor::eye(n, (Kind::Float, adj.device()))).gt(0.0).logical_not()
        });
        let mut h = x.shallow_clone();
        for l in 0..self.spec.encoder_sizes.len() {
            let name = format!("{prefix}.{l}");
            let w = self.get(&format!("{name}.w"));
            let b = self.get(&format!("{name}.b"));
            // M (H W) or (M H) W in the ONNX graph's association order.
            let first = aggregate_first(w.size()[0] as usize, w.size()[1] as usize);
            h = match &mask {
                None => {
                    let agg = if first { adj.times(&h).matmul(w) } else { adj.times(&h.matmul(w)) };
                    (agg + b).tanh()
                }
                Some(masked) => {
                    let hw = h.matmul(w);
                    let s_self = hw.matmul(&self.get(&format!("{name}.att_self")).unsqueeze(1));
                    let s_neigh = hw.matmul(&self.get(&format!("{name}.att_neigh")).unsqueeze(1)).transpose(-1, -2);
                    let e = s_self + s_neigh;
                    // LeakyReLU with slope < 1 is max(e, slope * e).
                    let e = e.maximum(&(&e * GAT_LEAKY_SLOPE as f64));
                    let att = e.masked_fill(masked, GAT_MASKED_LOGIT as f64).softmax(-1, Kind::Float);
                    let agg = if first { att.matmul(&h).matmul(w) } else { att.matmul(&hw) };
                    (agg + b).elu()
                }
            };
        }
        h
    }

    /// Scores [B, N] of windows given as nodes [B, T, N, F], long_rel [N, N], short_rel
    /// [B, T, N, N]: each window computed on its own, as the serving graph does.
    pub fn forward(&self, x: &Tensor, long: &Relation, short: &Tensor) -> Tensor {
        let (b, t) = (x.size()[0], x.size()[1]);
        let one = |i: i64| self.forward_block(&x.narrow(0, i, 1), long, &short.narrow(0, i, 1), t as usize);
        if b == 1 { one(0) } else { Tensor::cat(&(0..b).map(one).collect::<Vec<_>>(), 0) }
    }

    /// The relation encodings of days given as nodes [B, D, N, F], long_rel [N, N], short_rel
    /// [B, D, N, N]. A day's encodings depend on that day's inputs only, not on the window that
    /// holds the day, so consecutive windows can share them.
    pub fn encode(&self, x: &Tensor, long: &Relation, short: &Tensor) -> Encoded {
        Encoded {
            long: self.spec.use_long.then(|| self.encoder("long", x, long)),
            short: self.spec.use_short.then(|| self.encoder("short", x, &Relation::Dense(short.shallow_clone()))),
        }
    }

    /// Scores [D - window + 1, N] of every window of `window` consecutive days inside a block of D
    /// days given as nodes [1, D, N, F], long_rel [N, N], short_rel [1, D, N, N]; window b holds
    /// days b..b + window. Everything that depends on one day only is computed once per day: its
    /// encodings and the recurrent layers' input terms of that day's node features and
    /// encodings. Equal, window for window, to the serving graph on each window (which multiplies
    /// [inputs, state] by one matrix: the same products, summed in another order).
    pub fn forward_block(&self, x: &Tensor, long: &Relation, short: &Tensor, window: usize) -> Tensor {
        let spec = &self.spec;
        let (days, n) = (x.size()[1], x.size()[2]);
        let windows = days - window as i64 + 1;
        assert!(x.size()[0] == 1 && windows >= 1, "a block of {days} days holds no window of {window}");
        let enc = self.encode(x, long, short);
        // Each layer reads [below, encodings] (below: the node features for the first layer, the
        // layer underneath otherwise); the per-day part of each gate's input term, [D, N, H]:
        // x_d W_x + g_d W_g + b for the first layer, g_d W_g + b for the others.
        let rel: Vec<Tensor> = [&enc.long, &enc.short].into_iter().flatten().map(|g| g.get(0)).collect();
        let per_day = |l: usize, below_width: i64| -> Vec<Tensor> {
            let layer = format!("{}.{l}", spec.cell.name());
            let inputs: Vec<Tensor> = if l == 0 {
                spec.use_nodes.then(|| x.get(0)).into_iter().chain(rel.iter().map(Tensor::shallow_clone)).collect()
            } else {
                rel.iter().map(Tensor::shallow_clone).collect()
            };
            spec.cell
                .gates()
                .iter()
                .map(|g| {
                    let b = self.get(&format!("{layer}.b_{g}"));
                    let (w_in, _) = self.gate_weights(&layer, g);
                    // The rows of this day's inputs: all for the first layer, past the layer
                    // underneath's for the others.
                    let w_day = w_in.narrow(0, below_width, w_in.size()[0] - below_width);
                    match inputs.len() {
                        0 => b.view([1, 1, -1]).expand([days, n, b.size()[0]], false),
                        1 => inputs[0].matmul(&w_day) + b,
                        _ => Tensor::cat(&inputs, -1).matmul(&w_day) + b,
                    }
                })
                .collect()
        };
        let widths: Vec<i64> = spec.gru_sizes.iter().map(|&u| u as i64).collect();
        let pre_days: Vec<Vec<Tensor>> = (0..widths.len()).map(|l| per_day(l, if l == 0 { 0 } else { widths[l - 1] })).collect();
        let mut h: Vec<Tensor> = widths.iter().map(|&u| Tensor::zeros([windows, n, u], (Kind::Float, x.device()))).collect();
        let mut c: Vec<Tensor> = h.iter().map(Tensor::zeros_like).collect();
        for s in 0..window as i64 {
            for l in 0..h.len() {
                let layer = format!("{}.{l}", spec.cell.name());
                // Step s of window b reads day b + s: the days s..s + windows, a view.
                let pre: Vec<Tensor> = spec
                    .cell
                    .gates()
                    .iter()
                    .zip(&pre_days[l])
                    .map(|(g, p)| {
                        let p = p.narrow(0, s, windows);
                        if l == 0 { p } else { p + h[l - 1].matmul(&self.gate_weights(&layer, g).0.narrow(0, 0, widths[l - 1])) }
                    })
                    .collect();
                match spec.cell {
                    RecurrentCell::Gru => h[l] = self.gru_step(&layer, &pre, &h[l]),
                    RecurrentCell::Lstm => (h[l], c[l]) = self.lstm_step(&layer, &pre, &h[l], &c[l]),
                }
            }
        }
        let mut v = h.pop().expect("checked: at least one GRU layer");
        for k in 0..3 {
            v = self.dense(&format!("head.{k}"), &v).sigmoid();
        }
        v.squeeze_dim(-1)
    }

    /// A gate's weights [in + hidden, hidden] split into the input's rows and the state's.
    fn gate_weights(&self, layer: &str, gate: &str) -> (Tensor, Tensor) {
        let w = self.get(&format!("{layer}.w_{gate}"));
        let (rows, hidden) = (w.size()[0], w.size()[1]);
        (w.narrow(0, 0, rows - hidden), w.narrow(0, rows - hidden, hidden))
    }

    /// One GRU step from the gates' input terms (u, r, c) and the state h.
    fn gru_step(&self, layer: &str, pre: &[Tensor], h: &Tensor) -> Tensor {
        let state = |g: &str, h: &Tensor| h.matmul(&self.gate_weights(layer, g).1);
        let u = (&pre[0] + state("u", h)).sigmoid();
        let r = (&pre[1] + state("r", h)).sigmoid();
        let c = (&pre[2] + state("c", &(&r * h))).tanh();
        &u * h + (1.0 - &u) * c
    }

    /// One LSTM step from the gates' input terms (i, f, o, c) and the states h, c.
    fn lstm_step(&self, layer: &str, pre: &[Tensor], h: &Tensor, c: &Tensor) -> (Tensor, Tensor) {
        let gate = |k: usize, g: &str| &pre[k] + h.matmul(&self.gate_weights(layer, g).1);
        let (i, f, o, g) = (gate(0, "i").sigmoid(), gate(1, "f").sigmoid(), gate(2, "o").sigmoid(), gate(3, "c").tanh());
        let c = f * c + i * g;
        (o * c.tanh(), c)
    }

    /// The weights as the ONNX writer takes them.
    pub fn export(&self) -> Result<LsrIgru> {
        let mut missing = None;
        let m = LsrIgru::from_fn(self.spec.clone(), |name, _| match self.p.get(name) {
            Some(t) => Vec::<f32>::try_from(t.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1)).expect("float tensor"),
            None => {
                missing = Some(name.to_string());
                Vec::new()
            }
        });
        if let Some(name) = missing {
            anyhow::bail!("no parameter {name}");
        }
        m.context("exporting LSR-IGRU weights")
    }

    /// A copy of every parameter, sorted by name (the best epoch's snapshot).
    pub fn snapshot(&self) -> Vec<(String, Tensor)> {
        let mut vars: Vec<(String, Tensor)> = self.vs.variables().into_iter().map(|(k, t)| (k, t.copy())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// Restores the weights a run saved (`Tensor::save_multi` of a [`Net::snapshot`]); fails when
    /// the file holds other parameters or other shapes than this net's.
    pub fn load(&self, path: &std::path::Path) -> Result<()> {
        let saved = Tensor::load_multi(path).with_context(|| format!("reading the weights {}", path.display()))?;
        let vars = self.vs.variables();
        let same = saved.len() == vars.len() && saved.iter().all(|(k, t)| vars.get(k).is_some_and(|v| v.size() == t.size()));
        if !same {
            anyhow::bail!("{}: not the weights of this model ({} parameters against {})", path.display(), saved.len(), vars.len());
        }
        self.restore(&saved);
        Ok(())
    }

    pub fn restore(&self, snapshot: &[(String, Tensor)]) {
        let _guard = tch::no_grad_guard();
        let mut vars = self.vs.variables();
        for (k, t) in snapshot {
            vars.get_mut(k).expect("same variables").copy_(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The libtorch model and the core's f64 reference compute the same function from the same
    /// weights (both variants, an ablation, a wider node input), so the export is a copy.
    #[test]
    fn tch_forward_equals_the_core_reference() {
        let _rng = crate::torch_rng_lock();
        tch::manual_seed(3);
        let (t, n) = (4usize, 9usize);
        let long: Vec<f32> = (0..n * n).map(|i| if (i / n) / 3 == (i % n) / 3 { 1.0 } else { 0.0 }).collect();
        let short: Vec<f32> = (0..t * n * n).map(|i| if i % 3 == 0 { 0.0 } else { 0.5 + (i % 7) as f32 / 14.0 }).collect();
        for spec in [
            LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], ..LsrIgruSpec::paper() },
            LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], ..LsrIgruSpec::code() },
            LsrIgruSpec { encoder_sizes: vec![6], gru_sizes: vec![4], use_nodes: false, use_long: false, ..LsrIgruSpec::paper() },
            LsrIgruSpec { gru_sizes: vec![5, 3], use_long: false, use_short: false, cell: RecurrentCell::Lstm, ..LsrIgruSpec::paper() },
            LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5], cell: RecurrentCell::Lstm, ..LsrIgruSpec::code() },
            // Nine values per node (the industry ratios).
            LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], node_width: 9, ..LsrIgruSpec::paper() },
        ] {
            let f = spec.node_width;
            let x: Vec<f32> = (0..t * n * f).map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0).collect();
            let net = Net::new(spec, Device::Cpu).unwrap();
            let xs = Tensor::from_slice(&x).view([1, t as i64, n as i64, f as i64]);
            let ls = Tensor::from_slice(&long).view([n as i64, n as i64]);
            let ss = Tensor::from_slice(&short).view([1, t as i64, n as i64, n as i64]);
            let got = Vec::<f32>::try_from(net.forward(&xs, &Relation::Dense(ls), &ss).flatten(0, -1)).unwrap();
            let want = net.export().unwrap().reference(&x, &long, &short, t, n);
            for (g, w) in got.iter().zip(&want) {
                assert!((*g as f64 - w).abs() < 1e-5, "{:?}: {g} vs {w}", net.spec.encoder);
            }
        }
    }
}
