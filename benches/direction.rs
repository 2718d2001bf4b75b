//! The direction call from raw bars (features included) for each candidate of the direction
//! Pareto table (models/direction-gru/REPORT.md): GRUs of 32, 64, 96 and 128 hidden units and the
//! 3-seed ensembles of 64 and 128 (window 30, 13 features), on both backends: through the C ABI
//! entry point, through the Rust API, and the bare engine call on a prepared input (the difference
//! is the library's overhead). Latency depends on the graph's shape, not its weights, so the graphs
//! carry seeded weights. Figures in benches/README.md. ONNX Runtime runs are skipped with a message
//! when its library is not installed. `DIRECTION_MODELS=gru64,gru128` benches a subset.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tract_onnx::prelude::*;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::ffi::{
    trendcast_bars, trendcast_direction, trendcast_model, trendcast_model_free, trendcast_model_open, trendcast_open_options_default,
    trendcast_status,
};
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::export::{DirectionExport, write_direction};
use trendcast_export::onnx::{Cell, DirectionNet, RecurrentClassifier};

const WINDOW: usize = 30;

/// YYYYMMDD dates of a series, for the C ABI.
fn ymd(s: &trendcast::bars::BarSeries) -> Vec<i32> {
    s.dates.iter().map(|d| d.to_string().replace('-', "").parse().unwrap()).collect()
}

/// The benched graphs: name, hidden units, members.
const MODELS: &[(&str, usize, u64)] = &[
    ("gru32", 32, 1),
    ("gru64", 64, 1),
    ("gru96", 96, 1),
    ("gru128", 128, 1),
    ("ensemble3x32", 32, 3),
    ("ensemble3x64", 64, 3),
    ("ensemble3x96", 96, 3),
    ("ensemble3x128", 128, 3),
];

fn direction(c: &mut Criterion) {
    let u =
        generate(&SyntheticSpec { sectors: 10, sub_industries_per_sector: 10, stocks_per_sub_industry: 5, days: 80, ..Default::default() });
    let stocks: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();
    let dates: Vec<Vec<i32>> = u.series.iter().map(ymd).collect();
    let c_bars: Vec<trendcast_bars> = u.series.iter().zip(&dates).map(|(s, d)| trendcast_bars::of_series(s, d)).collect();
    let only = std::env::var("DIRECTION_MODELS").ok();
    let dirs = tempfile::tempdir().unwrap();

    let mut g = c.benchmark_group("direction");
    for &(label, hidden, members) in MODELS {
        if only.as_deref().is_some_and(|o| !o.split(',').any(|m| m == label)) {
            continue;
        }
        let dir = dirs.path().join(label);
        let net = DirectionNet { members: (0..members).map(|m| RecurrentClassifier::seeded(Cell::Gru, 13, hidden, 3, 1 + m)).collect() };
        write_direction(&dir, &net, &DirectionExport::new(label, WINDOW)).unwrap();
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        for backend in [BackendKind::Tract, BackendKind::Ort] {
            let Ok(model) = Model::open(&dir, &OpenOptions { backend, ..Default::default() }) else {
                eprintln!("SKIPPED {} benches: backend unavailable (run scripts/setup-deps.sh)", backend.name());
                continue;
            };
            let mut opts = trendcast_open_options_default();
            opts.backend = if backend == BackendKind::Ort { 1 } else { 2 };
            let mut handle: *mut trendcast_model = std::ptr::null_mut();
            assert_eq!(trendcast_model_open(path.as_ptr(), &opts, &mut handle), trendcast_status::Ok);
            for n in [1usize, 500] {
                let mut out = vec![0f32; 3 * n];
                let name = format!("{}/{label}", backend.name());
                g.bench_function(BenchmarkId::new(format!("{name}/c_abi"), n), |b| {
                    b.iter(|| {
                        assert_eq!(trendcast_direction(handle, c_bars.as_ptr(), n, out.as_mut_ptr(), out.len()), trendcast_status::Ok)
                    })
                });
                g.bench_function(BenchmarkId::new(format!("{name}/rust_api"), n), |b| {
                    b.iter(|| model.direction_into(black_box(&stocks[..n]), &mut out).unwrap())
                });
                // The engine call alone on a prepared input: what the call costs without the features.
                let x: Vec<f32> = (0..n * WINDOW * 13).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
                let shape = [n, WINDOW, 13];
                g.bench_function(BenchmarkId::new(format!("{name}/model_run"), n), |b| {
                    b.iter(|| model.run(&[trendcast::model::TensorIn { shape: &shape, data: black_box(&x) }], &mut out).unwrap())
                });
            }
            trendcast_model_free(handle);
        }
        // tract without trendcast, its input shape fixed per batch size: is a fixed shape faster
        // than the library's symbolic batch (model_run)?
        bare_tract(&mut g, label, &std::fs::read(dir.join("model.onnx")).unwrap());
    }
    // The feature computation alone, one stock's 50 trailing bars.
    let s = &u.series[0];
    g.bench_function("features_50_bars", |b| {
        b.iter(|| {
            let mut st = trendcast::features::FeatureState::new();
            let mut last = [0f64; 13];
            for t in s.len() - 50..s.len() {
                last = st.push(&s.bar(t)).unwrap();
            }
            black_box(last)
        })
    });
    g.finish();
}

fn bare_tract(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, label: &str, onnx: &[u8]) {
    for n in [1usize, 500] {
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &onnx[..])
            .unwrap()
            .with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), [n, WINDOW, 13]))
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        let x: Vec<f32> = (0..n * WINDOW * 13).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
        g.bench_function(BenchmarkId::new(format!("tract/{label}/bare_fixed_shape"), n), |b| {
            b.iter(|| plan.run(tvec![Tensor::from_shape(&[n, WINDOW, 13], black_box(&x)).unwrap().into_tvalue()]).unwrap())
        });
    }
}

criterion_group!(benches, direction);
criterion_main!(benches);
