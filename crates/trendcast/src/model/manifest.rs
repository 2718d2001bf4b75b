//! The manifest: a model's contract, stored as `manifest.json` beside its ONNX file. Loading checks
//! every field this library must honour and refuses a bundle with an error that says what differs.

use serde::{Deserialize, Serialize};

use crate::contract::WindowAlignment;
use crate::contract::labels::{Direction, DirectionLabel, RankTarget};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::features::{FEATURE_NAMES, MARKET_FEATURE_NAMES};
pub use crate::relations::RelationSpec;

/// The manifest format this library reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What a model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Down / flat / up probabilities per stock.
    Direction,
    /// One score per stock of a universe; higher is better.
    Ranking,
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Direction => "direction",
            ModelKind::Ranking => "ranking",
        }
    }
}

/// One tensor dimension: a fixed size or a symbol bound at run time (`batch`, `nodes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    Fixed(u64),
    Symbol(String),
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Symbol(s) => f.write_str(s),
        }
    }
}

/// A named float32 tensor of the ONNX graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<Dim>,
}

impl TensorSpec {
    pub fn new(name: &str, shape: &[Dim]) -> Self {
        TensorSpec { name: name.into(), shape: shape.to_vec() }
    }
}

impl std::fmt::Display for TensorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims: Vec<String> = self.shape.iter().map(Dim::to_string).collect();
        write!(f, "{}[{}]", self.name, dims.join(", "))
    }
}

/// Standardisation fitted on the training split: input = (feature - mean) / std.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// An inclusive range of label dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

impl From<(Date, Date)> for DateRange {
    fn from((from, to): (Date, Date)) -> Self {
        DateRange { from, to }
    }
}

/// What the model was trained to predict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LabelSpec {
    Direction(DirectionLabel),
    Rank { target: RankTarget },
}

/// A ranking model's second graph: it encodes days one at a time (or a batch of days at once),
/// so that a universe that advances a day encodes only that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderGraph {
    pub onnx_file: String,
    pub onnx_sha256: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
}

/// The contract of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub name: String,
    pub kind: ModelKind,
    /// Version of the trendcast library that wrote the bundle.
    pub library_version: String,
    pub onnx_file: String,
    pub onnx_sha256: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// A ranking model's per-day encoder graph (its main graph, `onnx_file`, is then the window
    /// graph); none for a direction model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<EncoderGraph>,
    /// Input features in order: the 13 direction features (then the market features, for a model
    /// trained with them), or the ranking model's node features.
    pub features: Vec<String>,
    /// Trading days in a window.
    pub window: usize,
    pub alignment: WindowAlignment,
    pub scaler: Option<Scaler>,
    pub label: LabelSpec,
    /// Output classes in order (direction models); empty for ranking.
    pub classes: Vec<String>,
    pub relations: Option<RelationSpec>,
    pub train: DateRange,
    pub validation: DateRange,
    /// Anything else the writer wants to keep (training settings, metrics); not interpreted.
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The features of a direction model, in input order: the 13, then the market features if it reads them.
pub fn direction_features(market: bool) -> Vec<String> {
    let market = if market { &MARKET_FEATURE_NAMES[..] } else { &[] };
    FEATURE_NAMES.iter().chain(market).map(|s| s.to_string()).collect()
}

/// The input and output tensors a direction model must have (`width` values per window row).
pub fn direction_io(window: usize, width: usize) -> (Vec<TensorSpec>, Vec<TensorSpec>) {
    let b = Dim::Symbol("batch".into());
    (
        vec![TensorSpec::new("x", &[b.clone(), Dim::Fixed(window as u64), Dim::Fixed(width as u64)])],
        vec![TensorSpec::new("probs", &[b, Dim::Fixed(3)])],
    )
}

/// A ranking model's encoder graph: node features [days, N, F] (F = `node_width`), the long-term relation matrix
/// [N, N] and the short-term matrices [days, N, N] of any number of days -> each day's encodings
/// [days, M, N, E] (M members of an ensemble, E values per node and member). A day's encodings
/// depend on that day's inputs only.
pub fn ranking_encoder_io(node_width: usize, members: usize, width: usize) -> (Vec<TensorSpec>, Vec<TensorSpec>) {
    let (days, n) = (Dim::Symbol("days".into()), Dim::Symbol("nodes".into()));
    (
        vec![
            TensorSpec::new("nodes", &[days.clone(), n.clone(), Dim::Fixed(node_width as u64)]),
            TensorSpec::new("long_rel", &[n.clone(), n.clone()]),
            TensorSpec::new("short_rel", &[days.clone(), n.clone(), n.clone()]),
        ],
        vec![TensorSpec::new("encodings", &[days, Dim::Fixed(members as u64), n, Dim::Fixed(width as u64)])],
    )
}

/// How a ranking model's window graph takes the encodings of its window's T days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowInputs {
    /// One input, `encodings` [T, M, N, E]: the LSR-IGRU bundles written before the pieces (still
    /// served) and the ranking probe.
    Stacked,
    /// Each day's encodings cut along E into pieces of these widths, in order: T x K inputs
    /// `encodings.dS.pK` [M, N, w_K]. A graph that reads a day's parts apart (a recurrent layer's
    /// gate terms) then takes each as its own input, bound where the caller holds it, instead of
    /// cutting a stacked input, which copies (ONNX Runtime's Gather and Slice do).
    Pieces(Vec<usize>),
}

impl WindowInputs {
    /// The window graph's input of day `day`'s piece `piece` (`Pieces`).
    pub fn piece_name(day: usize, piece: usize) -> String {
        format!("encodings.d{day}.p{piece}")
    }

    /// The widths a day's encodings are cut into (`[E]` when stacked).
    pub fn widths(&self, width: usize) -> Vec<usize> {
        match self {
            WindowInputs::Stacked => vec![width],
            WindowInputs::Pieces(w) => w.clone(),
        }
    }
}

/// A ranking model's window graph: the encodings of the window's T days (stacked, or each day's
/// cut into pieces, see [`WindowInputs`]) -> a score per node [N].
pub fn ranking_io(window: usize, members: usize, width: usize, form: &WindowInputs) -> (Vec<TensorSpec>, Vec<TensorSpec>) {
    let n = Dim::Symbol("nodes".into());
    let (t, m) = (Dim::Fixed(window as u64), Dim::Fixed(members as u64));
    let inputs = match form {
        WindowInputs::Stacked => vec![TensorSpec::new("encodings", &[t, m, n.clone(), Dim::Fixed(width as u64)])],
        WindowInputs::Pieces(widths) => (0..window)
            .flat_map(|d| {
                let (m, n) = (m.clone(), n.clone());
                widths
                    .iter()
                    .enumerate()
                    .map(move |(k, &w)| TensorSpec::new(&WindowInputs::piece_name(d, k), &[m.clone(), n.clone(), Dim::Fixed(w as u64)]))
            })
            .collect(),
    };
    (inputs, vec![TensorSpec::new("scores", &[n])])
}

/// What a ranking manifest without an encoder graph was written as, and what to do about it.
pub const SINGLE_GRAPH_RANKING: &str = "a single-graph ranking bundle (written before the encoder / window split): \
     rewrite it with `trendcast upgrade-bundle OLD_DIR NEW_DIR`";

/// The longest window a bundle may declare (about 40 years of trading days), and the most encoding
/// values per node a ranking model may declare: buffers of those sizes are made before a model
/// runs, at open for its probe run, so a bundle cannot ask for memory no real model needs.
pub const MAX_WINDOW: usize = 10_000;
pub const MAX_ENCODING: usize = 1 << 16;

fn mismatch<T: std::fmt::Debug>(what: &str, got: T, want: T) -> Error {
    Error::contract(format!("{what}: the bundle has {got:?}, this library needs {want:?}"))
}

/// (major, minor, patch) of a `x.y.z` version string.
fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

impl Manifest {
    /// Checks that this library can honour the contract. The ONNX file itself is checked against
    /// the manifest by `Bundle::load`.
    pub fn check(&self) -> Result<()> {
        if self.format != FORMAT_VERSION {
            return Err(mismatch("manifest format", self.format, FORMAT_VERSION));
        }
        let ours = semver(crate::VERSION).expect("our version is x.y.z");
        let theirs = semver(&self.library_version)
            .ok_or_else(|| Error::contract(format!("library_version {:?} is not x.y.z", self.library_version)))?;
        // Before 1.0 a minor release may break compatibility (Cargo's rule); a newer writer may use
        // contract features this library does not know.
        let compatible = if ours.0 == 0 { theirs.0 == 0 && theirs.1 == ours.1 } else { theirs.0 == ours.0 };
        if !compatible || theirs > ours {
            return Err(Error::contract(format!(
                "written by trendcast {}, which this library ({}) cannot read",
                self.library_version,
                crate::VERSION
            )));
        }
        if self.window == 0 || self.window > MAX_WINDOW {
            return Err(Error::contract(format!("window {}: expected 1 to {MAX_WINDOW} days", self.window)));
        }
        let (inputs, outputs) = match self.kind {
            ModelKind::Direction => {
                if self.features != direction_features(false) && self.features != direction_features(true) {
                    return Err(Error::contract(format!(
                        "features: the bundle has {:?}, this library computes {:?}, optionally followed by {:?}",
                        self.features, FEATURE_NAMES, MARKET_FEATURE_NAMES
                    )));
                }
                if self.classes != Direction::NAMES {
                    return Err(mismatch("classes", &self.classes[..], &Direction::NAMES.map(String::from)[..]));
                }
                if !matches!(self.label, LabelSpec::Direction(_)) {
                    return Err(Error::contract("a direction model needs a direction label"));
                }
                direction_io(self.window, self.features.len())
            }
            ModelKind::Ranking => {
                if !matches!(self.label, LabelSpec::Rank { .. }) {
                    return Err(Error::contract("a ranking model needs a rank label"));
                }
                let Some(rel) = self.relations else {
                    return Err(Error::contract("a ranking model needs its relation settings"));
                };
                let names = rel.node_features.names();
                if self.features != names {
                    return Err(mismatch("features", &self.features[..], &names.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]));
                }
                if rel.short_lookback < 2 || !(0.0..=1.0).contains(&rel.short_cut) || rel.clip_std.is_nan() || rel.clip_std <= 0.0 {
                    return Err(Error::contract(format!("relation settings out of range: {rel:?}")));
                }
                let Some(enc) = &self.encoder else {
                    return Err(Error::contract(SINGLE_GRAPH_RANKING));
                };
                let (members, width) = self.encoding_shape().ok_or_else(|| {
                    Error::contract(format!("the encoder's outputs are {}, it needs encodings[days, M, nodes, E]", list(&enc.outputs)))
                })?;
                if members.saturating_mul(width) > MAX_ENCODING {
                    return Err(Error::contract(format!(
                        "encodings of {members} x {width} values per node: expected at most {MAX_ENCODING}"
                    )));
                }
                let (e_in, e_out) = ranking_encoder_io(rel.node_features.width(), members, width);
                if enc.inputs != e_in || enc.outputs != e_out {
                    return Err(Error::contract(format!(
                        "the encoder graph's inputs are {} and outputs {}, a ranking encoder needs {} and {}",
                        list(&enc.inputs),
                        list(&enc.outputs),
                        list(&e_in),
                        list(&e_out)
                    )));
                }
                if enc.onnx_file.is_empty() || enc.onnx_file == self.onnx_file {
                    return Err(Error::contract(format!("the encoder's onnx_file {:?} must name its own file", enc.onnx_file)));
                }
                let form = self.window_inputs().unwrap_or(WindowInputs::Stacked);
                let cut: usize = form.widths(width).iter().sum();
                if cut != width {
                    return Err(Error::contract(format!(
                        "the window graph cuts a day's encodings into pieces {:?} wide, {cut} values in all; the encoder gives {width}",
                        form.widths(width)
                    )));
                }
                ranking_io(self.window, members, width, &form)
            }
        };
        if self.kind == ModelKind::Direction && self.encoder.is_some() {
            return Err(Error::contract("a direction model has one graph: no encoder"));
        }
        if self.inputs != inputs {
            return Err(Error::contract(format!(
                "inputs are {}, a {} model needs {}",
                list(&self.inputs),
                self.kind.name(),
                list(&inputs)
            )));
        }
        if self.outputs != outputs {
            return Err(Error::contract(format!(
                "outputs are {}, a {} model needs {}",
                list(&self.outputs),
                self.kind.name(),
                list(&outputs)
            )));
        }
        if let Some(s) = &self.scaler {
            let n = self.features.len();
            if s.mean.len() != n || s.std.len() != n {
                return Err(Error::contract(format!("scaler has {} means and {} stds for {n} features", s.mean.len(), s.std.len())));
            }
            if s.mean.iter().any(|m| !m.is_finite()) || s.std.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(Error::contract("scaler means must be finite and stds finite and positive"));
            }
        }
        Ok(())
    }

    /// A ranking model's (members, values per node and member) of a day's encodings, as its encoder
    /// declares them: encodings[days, M, nodes, E] with M and E at least 1.
    pub fn encoding_shape(&self) -> Option<(usize, usize)> {
        let out = self.encoder.as_ref()?.outputs.first()?;
        match &out.shape[..] {
            [Dim::Symbol(_), Dim::Fixed(m), Dim::Symbol(_), Dim::Fixed(e)] if *m > 0 && *e > 0 => Some((*m as usize, *e as usize)),
            _ => None,
        }
    }

    /// How a ranking model's window graph, as declared, takes the encodings: `Pieces` when its
    /// first inputs are day 0's pieces (the contract check then holds every input to that cut).
    pub fn window_inputs(&self) -> Option<WindowInputs> {
        if self.kind != ModelKind::Ranking {
            return None;
        }
        let widths: Vec<usize> = (0..)
            .map_while(|k| {
                let spec = self.inputs.get(k).filter(|s| s.name == WindowInputs::piece_name(0, k))?;
                match spec.shape[..] {
                    [_, _, Dim::Fixed(w)] if w > 0 => Some(w as usize),
                    _ => None,
                }
            })
            .collect();
        Some(if widths.is_empty() { WindowInputs::Stacked } else { WindowInputs::Pieces(widths) })
    }

    /// One window row as the model reads it, into `out`: each value scaled by the scaler when the
    /// model has one, as f32 (the direction call and the live universe both build rows so).
    pub fn scale_row<'a>(&self, values: impl Iterator<Item = &'a f64>, out: &mut [f32]) {
        match &self.scaler {
            Some(s) => out.iter_mut().zip(values).enumerate().for_each(|(j, (o, v))| *o = ((v - s.mean[j]) / s.std[j]) as f32),
            None => out.iter_mut().zip(values).for_each(|(o, v)| *o = *v as f32),
        }
    }

    /// Whether a direction model reads the market features after the 13 (it then needs a
    /// [`Market`](crate::features::Market) with every call).
    pub fn reads_market(&self) -> bool {
        self.kind == ModelKind::Direction && self.features.len() > FEATURE_NAMES.len()
    }
}

fn list(specs: &[TensorSpec]) -> String {
    specs.iter().map(TensorSpec::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn direction_manifest() -> Manifest {
        let (inputs, outputs) = direction_io(30, 13);
        let d = |s| Date::parse(s).unwrap();
        Manifest {
            format: FORMAT_VERSION,
            name: "t".into(),
            kind: ModelKind::Direction,
            library_version: crate::VERSION.into(),
            onnx_file: "model.onnx".into(),
            onnx_sha256: String::new(),
            inputs,
            outputs,
            encoder: None,
            features: FEATURE_NAMES.map(String::from).to_vec(),
            window: 30,
            alignment: WindowAlignment::EndsAtT,
            scaler: None,
            label: LabelSpec::Direction(DirectionLabel::default()),
            classes: Direction::NAMES.map(String::from).to_vec(),
            relations: None,
            train: DateRange { from: d("2010-01-01"), to: d("2018-12-31") },
            validation: DateRange { from: d("2019-01-01"), to: d("2021-12-31") },
            extra: Default::default(),
        }
    }

    #[test]
    fn refuses_what_it_cannot_honour_and_says_what_differs() {
        let m = direction_manifest();
        m.check().unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);

        let mut bad = m.clone();
        bad.features.swap(0, 1);
        assert!(bad.check().unwrap_err().to_string().contains("features"));
        let mut market = m.clone();
        market.features = direction_features(true);
        assert!(market.check().unwrap_err().to_string().contains("x[batch, 30, 15]"), "the input must widen with the features");
        (market.inputs, _) = direction_io(30, 15);
        market.check().unwrap();
        assert!(market.reads_market() && !m.reads_market());
        market.features.pop();
        assert!(market.check().unwrap_err().to_string().contains("optionally followed by"));
        let mut bad = m.clone();
        bad.classes.reverse();
        assert!(bad.check().unwrap_err().to_string().contains("classes"));
        let mut bad = m.clone();
        bad.inputs[0].shape[1] = Dim::Fixed(20);
        assert!(bad.check().unwrap_err().to_string().contains("inputs are x[batch, 20, 13]"));
        let mut bad = m.clone();
        bad.library_version = "9.0.0".into();
        assert!(bad.check().unwrap_err().to_string().contains("cannot read"));
        let mut bad = m.clone();
        bad.scaler = Some(Scaler { mean: vec![0.0; 13], std: vec![0.0; 13] });
        assert!(bad.check().unwrap_err().to_string().contains("positive"));
        let mut bad = m.clone();
        bad.kind = ModelKind::Ranking;
        assert!(matches!(bad.check().unwrap_err(), Error::Contract { .. }));
    }
}
