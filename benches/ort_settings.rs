//! ONNX Runtime session settings for the direction call's latency, each against the library's
//! own (graph optimisation level 3, one intra-op and one inter-op thread, spinning on, memory
//! pattern and CPU arena on, outputs allocated by ONNX Runtime), on the engine used directly
//! through `ort` (no trendcast in the loop) with a prepared input: GRU 64 and GRU 128, window 30,
//! 1 and 500 stocks. Figures and what was kept in benches/README.md. Skipped with a message when
//! the ONNX Runtime library is not installed.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ort::ep;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::{OutputSelector, RunOptions, Session};
use ort::value::{Tensor, TensorRef};
use trendcast_export::export::{DirectionExport, write_direction};
use trendcast_export::onnx::{Cell, DirectionNet, RecurrentClassifier};

const WINDOW: usize = 30;

/// The setting varied from the library's, one at a time.
#[derive(Clone, Copy, Debug)]
enum Variant {
    Library,
    Optimization(GraphOptimizationLevel),
    NoSpinning,
    NoMemoryPattern,
    NoArena,
    /// The output tensor allocated once and handed to every run (RunOptions::preallocate).
    PreallocatedOutput,
}

impl Variant {
    fn name(self) -> String {
        match self {
            Variant::Library => "library".into(),
            Variant::Optimization(l) => format!("opt_{l:?}").to_lowercase(),
            Variant::NoSpinning => "no_spinning".into(),
            Variant::NoMemoryPattern => "no_memory_pattern".into(),
            Variant::NoArena => "no_arena".into(),
            Variant::PreallocatedOutput => "preallocated_output".into(),
        }
    }

    fn session(self, env: &ort::environment::Environment, onnx: &[u8]) -> ort::Result<Session> {
        let level = match self {
            Variant::Optimization(l) => l,
            _ => GraphOptimizationLevel::Level3,
        };
        let mut b: SessionBuilder = Session::builder(env)?.with_optimization_level(level)?.with_intra_threads(1)?.with_inter_threads(1)?;
        b = match self {
            Variant::NoSpinning => b.with_intra_op_spinning(false)?.with_inter_op_spinning(false)?,
            Variant::NoMemoryPattern => b.with_memory_pattern(false)?,
            Variant::NoArena => b.with_execution_providers([ep::CPU::default().with_arena_allocator(false).build()])?,
            _ => b,
        };
        b.commit_from_memory(onnx)
    }
}

fn library_path() -> PathBuf {
    std::env::var_os("TRENDCAST_ORT_LIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".deps/onnxruntime/libonnxruntime.so.1.31.1"))
}

fn ort_settings(c: &mut Criterion) {
    let lib = library_path();
    let builder = match ort::init_from(&lib) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SKIPPED ort_settings: ONNX Runtime not loadable from {} ({e})", lib.display());
            return;
        }
    };
    let env = builder.with_name("bench").with_telemetry(false).build().unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let variants = [
        Variant::Library,
        Variant::Optimization(GraphOptimizationLevel::Disable),
        Variant::Optimization(GraphOptimizationLevel::Level1),
        Variant::Optimization(GraphOptimizationLevel::Level2),
        Variant::NoSpinning,
        Variant::NoMemoryPattern,
        Variant::NoArena,
        Variant::PreallocatedOutput,
    ];
    let mut g = c.benchmark_group("ort_settings");
    for hidden in [64usize, 128] {
        let dir = dirs.path().join(format!("gru{hidden}"));
        let net: DirectionNet = RecurrentClassifier::seeded(Cell::Gru, 13, hidden, 3, 1).into();
        write_direction(&dir, &net, &DirectionExport::new("bench", WINDOW)).unwrap();
        let onnx = std::fs::read(dir.join("model.onnx")).unwrap();
        for variant in variants {
            let mut session = variant.session(&env, &onnx).unwrap();
            let input = session.inputs()[0].name().to_string();
            let output = session.outputs()[0].name().to_string();
            for n in [1usize, 500] {
                let x: Vec<f32> = (0..n * WINDOW * 13).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
                let mut out = vec![0f32; n * 3];
                let options = match variant {
                    Variant::PreallocatedOutput => RunOptions::new().unwrap().with_outputs(
                        OutputSelector::default().preallocate(&output, Tensor::from_array(([n, 3], vec![0f32; n * 3])).unwrap()),
                    ),
                    _ => RunOptions::new().unwrap().with_outputs(OutputSelector::default()),
                };
                g.bench_function(BenchmarkId::new(format!("gru{hidden}/{}", variant.name()), n), |b| {
                    b.iter(|| {
                        let view = TensorRef::from_array_view(([n, WINDOW, 13], black_box(&x[..]))).unwrap();
                        let outputs = session.run_with_options(ort::inputs![input.as_str() => view], &options).unwrap();
                        out.copy_from_slice(outputs[output.as_str()].try_extract_tensor::<f32>().unwrap().1);
                    })
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, ort_settings);
criterion_main!(benches);
