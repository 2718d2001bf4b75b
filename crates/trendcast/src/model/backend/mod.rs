//! Inference backends: ONNX Runtime (`ort`, loaded at run time; CUDA or CPU) and tract (pure Rust,
//! always compiled in). Both run the same bundle and agree within 1e-5 (tests/backend_parity.rs).

pub(crate) mod ort;
pub(crate) mod tract;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Which backend to run a model on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// ONNX Runtime when its library loads, tract otherwise.
    #[default]
    Auto,
    Ort,
    Tract,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Auto => "auto",
            BackendKind::Ort => "ort",
            BackendKind::Tract => "tract",
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(BackendKind::Auto),
            "ort" => Ok(BackendKind::Ort),
            "tract" => Ok(BackendKind::Tract),
            _ => Err(format!("unknown backend {s:?} (auto, ort or tract)")),
        }
    }
}

/// Where ONNX Runtime should run the model (tract always runs on the CPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// The CUDA execution provider on this GPU; falls back to the CPU provider, and says so, when
    /// CUDA is not available.
    Cuda(u32),
}

/// How to open a model.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub backend: BackendKind,
    pub device: Device,
    /// The ONNX Runtime library (`libonnxruntime.so.1.31.x`). None: `$TRENDCAST_ORT_LIB`, then a
    /// copy beside libtrendcast.so (or the program), then the system loader's `libonnxruntime.so.1`.
    pub ort_library: Option<PathBuf>,
}

/// A float32 input tensor borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct TensorIn<'a> {
    pub shape: &'a [usize],
    pub data: &'a [f32],
}

/// A loaded model on one backend. Implementations are safe to call from many threads at once.
pub(crate) trait Engine: Send + Sync {
    /// Runs the graph on `inputs` (in contract order) and writes its one output into `out`, whose
    /// length the caller computed from the contract.
    fn run(&self, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()>;
    fn backend(&self) -> BackendKind;
    /// The execution provider that runs the graph, e.g. `CPUExecutionProvider`.
    fn execution_provider(&self) -> &str;
}

/// Runs a graph that no bundle describes once on tract (an upgrade checks the old graph's scores
/// this way): its one output into `out`.
pub fn run_on_tract(proto: &tract_onnx::pb::ModelProto, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
    tract::TractEngine::new(proto)?.run(inputs, out)
}

/// The message a caught panic carried (a panic's payload is a `&str` or a `String`), for the
/// errors that report one: the tract backend's and the C boundary's.
pub(crate) fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
