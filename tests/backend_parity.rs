//! ONNX Runtime and tract run the same bundle to within 1e-5 of each other and of an f64
//! reference GRU, through the direction call (features computed from raw bars).

mod common;

use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::features::{FeatureState, N_FEATURES};
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::onnx::{Cell, DirectionNet, RecurrentClassifier};

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

/// RNN, LSTM and a three-member GRU ensemble (ONNX's gate orders differ from PyTorch's for LSTM and
/// GRU) match the f64 reference on both engines.
#[test]
fn every_cell_and_the_ensemble_match_the_reference_on_both_backends() {
    let u = generate(&SyntheticSpec { days: 90, ..Default::default() });
    let stocks: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();
    let windows: Vec<Vec<f32>> = u
        .series
        .iter()
        .map(|s| {
            let mut st = FeatureState::new();
            let rows: Vec<[f64; 13]> = (0..s.len()).map(|i| st.push(&s.bar(i)).unwrap()).collect();
            rows[rows.len() - 30..].as_flattened().iter().map(|v| *v as f32).collect()
        })
        .collect();
    let nets: Vec<(&str, DirectionNet)> = vec![
        ("rnn", RecurrentClassifier::seeded(Cell::Rnn, 13, 24, 3, 7).into()),
        ("lstm", RecurrentClassifier::seeded(Cell::Lstm, 13, 24, 3, 8).into()),
        ("ensemble", DirectionNet { members: (1..=3).map(|s| RecurrentClassifier::seeded(Cell::Gru, 13, 16, 3, s)).collect() }),
    ];
    for (name, net) in nets {
        let dir = tempfile::tempdir().unwrap();
        let (net, m) = common::models::direction_bundle_of(dir.path(), net, 30);
        assert_eq!(m.extra["architecture"]["members"], net.members.len());
        let mut backends = vec![BackendKind::Tract];
        if common::models::ort_available() {
            backends.push(BackendKind::Ort);
        }
        for backend in backends {
            let got = open(dir.path(), backend).direction(&stocks).unwrap();
            for (k, x) in windows.iter().enumerate() {
                let want = net.reference(x, 30);
                for c in 0..3 {
                    let d = (got[k][c] as f64 - want[c]).abs();
                    assert!(d < 1e-5, "{name} on {backend:?}, stock {k} class {c}: {} vs {}", got[k][c], want[c]);
                }
            }
        }
    }
}

/// An ensemble written from trained bundles answers the mean of its members' answers, and members
/// with different contracts are refused.
#[test]
fn an_ensemble_of_bundles_is_the_mean_of_its_members() {
    let u = generate(&SyntheticSpec { days: 90, ..Default::default() });
    let stocks: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut members = Vec::new();
    let mut mean = vec![[0f32; 3]; stocks.len()];
    for (k, cell) in [Cell::Gru, Cell::Gru, Cell::Lstm].into_iter().enumerate() {
        let dir = tmp.path().join(format!("m{k}"));
        common::models::direction_bundle_of(&dir, RecurrentClassifier::seeded(cell, 13, 12, 3, k as u64).into(), 30);
        for (m, p) in mean.iter_mut().zip(open(&dir, BackendKind::Tract).direction(&stocks).unwrap()) {
            for c in 0..3 {
                m[c] += p[c] / 3.0;
            }
        }
        members.push(trendcast::model::Bundle::load(&dir).unwrap());
    }
    let out = tmp.path().join("ensemble");
    let m = trendcast_export::export::write_direction_ensemble(&out, "ens", &members).unwrap();
    assert_eq!(m.extra["members"].as_array().unwrap().len(), 3);
    let got = open(&out, BackendKind::Tract).direction(&stocks).unwrap();
    let worst = got.as_flattened().iter().zip(mean.as_flattened()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst < 1e-6, "ensemble vs mean of members: {worst}");

    let other = tmp.path().join("w20");
    common::models::direction_bundle_of(&other, RecurrentClassifier::seeded(Cell::Gru, 13, 12, 3, 9).into(), 20);
    members.push(trendcast::model::Bundle::load(&other).unwrap());
    let err = trendcast_export::export::write_direction_ensemble(&tmp.path().join("bad"), "bad", &members).unwrap_err();
    assert!(err.to_string().contains("different contracts"), "{err}");
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
