//! Models: a bundle (ONNX + manifest, the contract) loaded on a backend. The calls that compute a
//! model's inputs from raw bars live in `crate::predict`.

pub mod backend;
pub mod bundle;
pub mod manifest;
pub mod onnx;

use std::path::Path;

pub use backend::{BackendKind, Device, OpenOptions, TensorIn};
pub use bundle::Bundle;
pub use manifest::{Manifest, ModelKind};

use crate::error::{Error, Result};
use backend::Engine;

/// How far from 1 a direction model's three probabilities may sum (float rounding of a softmax,
/// or of an ensemble's mean of softmaxes, is about 1e-7).
pub const PROBABILITY_SUM_TOLERANCE: f32 = 1e-3;

/// A loaded, checked model. `&Model` may be used from many threads at once.
pub struct Model {
    manifest: Manifest,
    /// The main graph: a direction model, or a ranking model's window graph.
    engine: Box<dyn Engine>,
    /// A ranking model's encoder graph, on the same backend.
    encoder: Option<Box<dyn Engine>>,
    /// Why the model does not run where it was asked to (ort unavailable, CUDA unavailable).
    fallback: Option<String>,
    /// A ranking model's cut of a day's encodings into the window graph's pieces (their widths);
    /// empty when the window graph takes the encodings stacked.
    window_pieces: Vec<usize>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.manifest.name)
            .field("kind", &self.manifest.kind)
            .field("backend", &self.backend())
            .field("execution_provider", &self.execution_provider())
            .finish()
    }
}

impl Model {
    /// Loads and checks the bundle in `dir`, then opens it on the backend `opts` asks for.
    pub fn open(dir: impl AsRef<Path>, opts: &OpenOptions) -> Result<Model> {
        Self::from_bundle(Bundle::load(dir.as_ref())?, opts)
    }

    /// Opens an already loaded bundle.
    pub fn from_bundle(bundle: Bundle, opts: &OpenOptions) -> Result<Model> {
        let mut fallback = None;
        let output = bundle.manifest.outputs[0].name.clone();
        let lib = backend::ort::library_path(opts.ort_library.as_deref());
        let ort = |bytes: &[u8], output: &str, fallback: &mut Option<String>| -> Result<Box<dyn Engine>> {
            Ok(Box::new(backend::ort::OrtEngine::new(&lib, bytes, output, opts.device, fallback)?))
        };
        let tract =
            |proto: &tract_onnx::pb::ModelProto| -> Result<Box<dyn Engine>> { Ok(Box::new(backend::tract::TractEngine::new(proto)?)) };
        let engine: Box<dyn Engine> = match opts.backend {
            BackendKind::Ort => ort(&bundle.onnx_bytes, &output, &mut fallback)?,
            BackendKind::Tract => tract(&bundle.onnx)?,
            BackendKind::Auto => match ort(&bundle.onnx_bytes, &output, &mut fallback) {
                Ok(e) => e,
                Err(e) => {
                    fallback = Some(format!("ONNX Runtime unavailable, using tract: {e}"));
                    tract(&bundle.onnx)?
                }
            },
        };
        // The encoder runs where the main graph runs.
        let encoder = match (&bundle.encoder, &bundle.manifest.encoder) {
            (Some(g), Some(spec)) => Some(match engine.backend() {
                BackendKind::Tract => tract(&g.onnx)?,
                _ => ort(&g.bytes, &spec.outputs[0].name, &mut None)?,
            }),
            _ => None,
        };
        if opts.device != Device::Cpu && engine.backend() == BackendKind::Tract && fallback.is_none() {
            fallback = Some("tract runs on the CPU only".into());
        }
        let window_pieces = match bundle.manifest.window_inputs() {
            Some(manifest::WindowInputs::Pieces(widths)) => widths,
            _ => Vec::new(),
        };
        let model = Model { manifest: bundle.manifest, engine, encoder, fallback, window_pieces };
        model.probe().map_err(|e| match e {
            Error::Model { what } => Error::Model { what: format!("on a made-up input at open, {what}") },
            other => other,
        })?;
        Ok(model)
    }

    /// Runs the model once on a made-up input of its contract's shapes, so that a bundle whose
    /// outputs are not sound (see [`check_outputs`](Self::check_outputs)), NaN weights for one, is
    /// refused when opened instead of answering later. The input is what the calls could give: a
    /// direction window of zeros (the scaler's mean row); for a ranking model, four nodes with
    /// distinct features and banded relations (every node its own neighbour), the same day over
    /// the whole window.
    fn probe(&self) -> Result<()> {
        let m = &self.manifest;
        match m.kind {
            ModelKind::Direction => {
                let input = vec![0f32; m.window * m.features.len()];
                let mut out = [0f32; 3];
                self.run(&[TensorIn { shape: &[1, m.window, m.features.len()], data: &input }], &mut out)
            }
            ModelKind::Ranking => {
                let n = 4;
                let nodes: Vec<f32> = (0..n * self.node_width()).map(|i| (i as f32 * 0.7).sin()).collect();
                let band: Vec<f32> = (0..n * n)
                    .map(|i| match (i / n).abs_diff(i % n) {
                        0 => 1.0,
                        1 => 0.5,
                        _ => 0.0,
                    })
                    .collect();
                let mut day = Vec::new();
                self.encode_days(n, &nodes, &band, &band, &mut day)?;
                self.check_outputs("the encoder of ", &day)?;
                let mut scores = vec![0f32; n];
                self.score_days(|_| &day[..], n, &mut scores)
            }
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn kind(&self) -> ModelKind {
        self.manifest.kind
    }

    /// The backend actually in use (`Ort` or `Tract`, never `Auto`).
    pub fn backend(&self) -> BackendKind {
        self.engine.backend()
    }

    /// The execution provider running the graph (`CPUExecutionProvider`, `CUDAExecutionProvider`,
    /// or `tract-cpu`).
    pub fn execution_provider(&self) -> &str {
        self.engine.execution_provider()
    }

    /// Why the model is not running where it was asked to, if it is not.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// The widths a ranking model's window graph cuts each day's encodings into (empty: stacked).
    pub fn window_pieces(&self) -> &[usize] {
        &self.window_pieces
    }

    /// The bare backend call: inputs in contract order, the one output into `out`. The direction and
    /// ranking calls build the inputs from raw bars and call this.
    pub fn run(&self, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
        check_inputs(inputs, &self.manifest.inputs)?;
        self.engine.run(inputs, out)?;
        self.check_outputs("", out)
    }

    /// Refuses outputs a sound model cannot give: a value that is not finite (NaN weights, a
    /// diverged training), or direction probabilities that do not sum to 1 (within
    /// [`PROBABILITY_SUM_TOLERANCE`]). One scan of the output; nothing allocated unless it fails.
    fn check_outputs(&self, graph: &str, out: &[f32]) -> Result<()> {
        if let Some(i) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::model(format!(
                "{graph}the model {:?} gave {} (value {i} of its {} outputs): a sound model's outputs are finite, so its weights or graph are broken (a diverged training?)",
                self.manifest.name,
                out[i],
                out.len()
            )));
        }
        if graph.is_empty() && self.manifest.kind == ModelKind::Direction {
            let mut sums = out.chunks_exact(3).map(|p| p[0] + p[1] + p[2]).enumerate();
            if let Some((row, sum)) = sums.find(|(_, s)| (s - 1.0).abs() > PROBABILITY_SUM_TOLERANCE) {
                return Err(Error::model(format!(
                    "the model {:?} gave probabilities summing to {sum} for stock #{row}: a direction model's three probabilities sum to 1",
                    self.manifest.name
                )));
            }
        }
        Ok(())
    }

    /// A ranking model's encoder graph: node features [days, N, F], A_L [N, N], A_S [days, N, N]
    /// -> each day's encodings [days, M, N, E] into `out`.
    pub fn encode(&self, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
        let (Some(engine), Some(spec)) = (&self.encoder, &self.manifest.encoder) else {
            return Err(Error::WrongKind {
                what: format!("the {} model {:?} has no encoder graph", self.manifest.kind.name(), self.manifest.name),
            });
        };
        check_inputs(inputs, &spec.inputs)?;
        // Not scanned per call (a day's encodings are ~400k values for the shipped model, and a
        // stateless rank encodes 30 days): the window graph's scores are, the encodings at open.
        engine.run(inputs, out)
    }
}

/// Checks given tensors against a graph's declared inputs: count, rank, fixed sizes, values.
fn check_inputs(inputs: &[TensorIn<'_>], specs: &[manifest::TensorSpec]) -> Result<()> {
    if inputs.len() != specs.len() {
        return Err(Error::shape(format!("{} inputs given, the graph takes {}", inputs.len(), specs.len())));
    }
    for (t, spec) in inputs.iter().zip(specs) {
        let fits = t.shape.len() == spec.shape.len()
            && t.shape.iter().zip(&spec.shape).all(|(d, s)| match s {
                manifest::Dim::Fixed(n) => *d as u64 == *n,
                manifest::Dim::Symbol(_) => *d > 0,
            })
            && t.shape.iter().product::<usize>() == t.data.len();
        if !fits {
            return Err(Error::shape(format!(
                "input {} has shape {:?} and {} values; the contract says {spec}",
                spec.name,
                t.shape,
                t.data.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::synthetic::{SyntheticSpec, generate};

    /// An engine whose every run gives the same values, over and over: outputs no real graph gives
    /// on demand.
    struct Fixed(Vec<f32>);

    impl Engine for Fixed {
        fn run(&self, _: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
            out.iter_mut().zip(self.0.iter().cycle()).for_each(|(o, v)| *o = *v);
            Ok(())
        }
        fn backend(&self) -> BackendKind {
            BackendKind::Tract
        }
        fn execution_provider(&self) -> &str {
            "fixed"
        }
    }

    fn direction_model_giving(values: &[f32]) -> Model {
        let mut manifest = manifest::tests::direction_manifest();
        manifest.name = "fixed".into();
        Model { manifest, engine: Box::new(Fixed(values.to_vec())), encoder: None, fallback: None, window_pieces: Vec::new() }
    }

    /// Outputs that are not finite, or direction probabilities that do not sum to 1, fail the run,
    /// the probe at open and the direction call by name, and the call's output stays as it was.
    #[test]
    fn outputs_that_are_not_finite_or_not_probabilities_fail_the_call() {
        let input = vec![0f32; 2 * 30 * 13];
        let run = |m: &Model| {
            let mut out = [7f32; 6];
            m.run(&[TensorIn { shape: &[2, 30, 13], data: &input }], &mut out).map(|()| out)
        };
        let good = direction_model_giving(&[0.2, 0.3, 0.5]);
        assert_eq!(run(&good).unwrap(), [0.2, 0.3, 0.5, 0.2, 0.3, 0.5]);
        good.probe().unwrap();
        let stocks = &generate(&SyntheticSpec { days: 80, ..Default::default() }).series[..2];
        for (values, says) in [
            (&[0.2, f32::NAN, 0.5][..], "the model \"fixed\" gave NaN (value 1 of its 6 outputs)"),
            (&[0.2, 0.3, f32::NEG_INFINITY], "gave -inf (value 2 of its 6 outputs)"),
            (&[0.2, 0.3, 0.6], "gave probabilities summing to 1.1"),
            (&[0.2, 0.3, 0.49], "gave probabilities summing to 0.99"),
        ] {
            let m = direction_model_giving(values);
            let e = run(&m).unwrap_err();
            assert!(matches!(e, Error::Model { .. }) && e.to_string().contains(says), "{values:?}: {e}");
            assert!(m.probe().is_err(), "{values:?}");
            let mut out = [7f32; 6];
            let e = m.direction_into(stocks, &mut out).unwrap_err();
            assert!(e.to_string().contains(says), "{values:?}: {e}");
            assert_eq!(out, [7.0; 6], "{values:?}: the output was written");
        }
    }
}
