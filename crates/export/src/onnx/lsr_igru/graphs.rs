//! The two graphs a ranking bundle holds (the encoder and the window graph), and the window
//! graph's weights per gate, stacked over the members.

use super::*;

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
    /// Values per node of the encoder's node features.
    pub node_width: usize,
    /// Members M and values per node and member E of a day's encodings.
    pub members: usize,
    pub width: usize,
    /// How the window graph takes them.
    pub inputs: WindowInputs,
}

impl RankingGraphs {
    /// The graphs of `members` (one model, or an ensemble's members, which must share one
    /// architecture); `zscore`: combine the members' scores by the ensemble rule.
    pub(super) fn write(members: &[LsrIgru], zscore: bool, window: usize, metadata: &[(String, String)]) -> Result<RankingGraphs> {
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
        let (inputs, outputs) = ranking_encoder_io(first.spec.node_width, m, width);
        let encoder = w.g.finish("trendcast_lsr_igru_encoder", &inputs, &outputs, metadata);

        let window = Self::window_graph(&WindowWeights::of_members(members), zscore, window, metadata)?;
        Ok(RankingGraphs {
            encoder,
            window,
            node_width: first.spec.node_width,
            members: m,
            width,
            inputs: WindowInputs::Pieces(first.spec.day_pieces()),
        })
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
