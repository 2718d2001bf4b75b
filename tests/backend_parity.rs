//! ONNX Runtime and tract run the same bundle to within 1e-5 of each other and of an f64
//! reference GRU, through the direction call (features computed from raw bars).

mod common;

use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::features::{FeatureState, N_FEATURES};
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Model, OpenOptions};

fn open(dir: &std::path::Path, backend: BackendKind) -> Model {
    Model::open(dir, &OpenOptions { backend, ..Default::default() }).unwrap()
}

#[test]
fn direction_backends_agree_with_each_other_and_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let (gru, _) = common::models::direction_bundle(dir.path(), 32, 30);
    let u = generate(&SyntheticSpec { days: 120, ..Default::default() });
    let stocks: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();

    let tract = open(dir.path(), BackendKind::Tract);
    assert_eq!(tract.backend(), BackendKind::Tract);
    let t = tract.direction(&stocks).unwrap();
    let single = tract.direction(&stocks[3..4]).unwrap();
    for (a, b) in t[3].iter().zip(single[0]) {
        assert!((a - b).abs() < 1e-6, "batch of one vs batch: {a} {b}");
    }

    // The f64 reference on the window the library must have built: the last 30 feature rows.
    for (k, s) in u.series.iter().enumerate().step_by(7) {
        let mut st = FeatureState::new();
        let rows: Vec<[f64; 13]> = (0..s.len()).map(|i| st.push(&s.bar(i)).unwrap()).collect();
        let x: Vec<f32> = rows[rows.len() - 30..].as_flattened().iter().map(|v| *v as f32).collect();
        assert_eq!(x.len(), 30 * N_FEATURES);
        let want = gru.reference(&x, 30);
        for c in 0..3 {
            assert!((t[k][c] as f64 - want[c]).abs() < 1e-5, "tract stock {k} class {c}: {} vs {}", t[k][c], want[c]);
        }
        assert!((t[k].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    if common::models::ort_available() {
        let ort = open(dir.path(), BackendKind::Ort);
        assert_eq!(ort.backend(), BackendKind::Ort);
        assert_eq!(ort.execution_provider(), "CPUExecutionProvider");
        let o = ort.direction(&stocks).unwrap();
        let worst = o.as_flattened().iter().zip(t.as_flattened()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "ort vs tract differ by {worst}");
        let auto = open(dir.path(), BackendKind::Auto);
        assert_eq!(auto.backend(), BackendKind::Ort);
        assert!(auto.fallback_reason().is_none());
    }
}

#[test]
fn auto_falls_back_to_tract_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    common::models::direction_bundle(dir.path(), 8, 30);
    // Run in a child process: a process can load only one ONNX Runtime library.
    if std::env::var_os("TRENDCAST_PARITY_CHILD").is_some() {
        let opts = OpenOptions { ort_library: Some("/nonexistent/libonnxruntime.so".into()), ..Default::default() };
        let m = Model::open(dir.path(), &opts).unwrap();
        assert_eq!(m.backend(), BackendKind::Tract);
        assert!(m.fallback_reason().unwrap().contains("ONNX Runtime unavailable"), "{:?}", m.fallback_reason());
        let forced = Model::open(dir.path(), &OpenOptions { backend: BackendKind::Ort, ..opts });
        assert!(forced.unwrap_err().to_string().contains("not found"));
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["auto_falls_back_to_tract_and_says_why", "--exact", "--nocapture"])
        .env("TRENDCAST_PARITY_CHILD", "1")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn asking_for_cuda_without_it_runs_on_cpu_and_says_why() {
    if !common::models::ort_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::models::direction_bundle(dir.path(), 8, 30);
    let m = Model::open(dir.path(), &OpenOptions { backend: BackendKind::Ort, device: trendcast::Device::Cuda(0), ..Default::default() })
        .unwrap();
    assert_eq!(m.backend(), BackendKind::Ort);
    assert_eq!(m.execution_provider(), "CPUExecutionProvider");
    let why = m.fallback_reason().expect("a CPU-only ONNX Runtime cannot run CUDA");
    assert!(why.contains("CUDA"), "{why}");
    // tract asked for a GPU says it runs on the CPU only.
    let t = Model::open(dir.path(), &OpenOptions { backend: BackendKind::Tract, device: trendcast::Device::Cuda(0), ..Default::default() })
        .unwrap();
    assert_eq!(t.fallback_reason(), Some("tract runs on the CPU only"));
}
