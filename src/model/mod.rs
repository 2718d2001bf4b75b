//! Models: a bundle (ONNX + manifest, the contract) loaded on a backend. The calls that compute a
//! model's inputs from raw bars live in `crate::predict`.

pub mod backend;
pub mod bundle;
pub mod export;
pub mod manifest;
pub mod onnx;
#[cfg(all(feature = "synthetic", feature = "reference"))]
pub mod upgrade;

use std::path::Path;

pub use backend::{BackendKind, Device, OpenOptions, TensorIn};
pub use bundle::Bundle;
pub use manifest::{Manifest, ModelKind};

use crate::error::{Error, Result};
use backend::Engine;

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
        Ok(Model { manifest: bundle.manifest, engine, encoder, fallback, window_pieces })
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
        self.engine.run(inputs, out)
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
