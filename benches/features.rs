//! Loading bars and computing the 13 features: the data path that training and serving share.
//! Run: `cargo bench --bench features`. Figures are recorded in benches/README.md.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::bars::{LoadOptions, load_dataset_dir};
use trendcast::features::{FeatureState, compute};
use trendcast_export::dataset::{DatasetSpec, DirectionDataset};

fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sp500");
    dir.join("industries.csv").exists().then_some(dir)
}

fn features(c: &mut Criterion) {
    // 500 stocks x 1,000 days: about the size of four years of the S&P 500.
    let u = generate(&SyntheticSpec {
        sectors: 10,
        sub_industries_per_sector: 10,
        stocks_per_sub_industry: 5,
        days: 1000,
        ..Default::default()
    });
    let bars = u.n_bars() as u64;
    let mut g = c.benchmark_group("features");
    g.throughput(Throughput::Elements(bars));
    g.bench_function(BenchmarkId::new("batch_panel", "500x1000"), |b| {
        b.iter(|| u.series.iter().map(|s| compute(black_box(s)).len()).sum::<usize>())
    });
    g.bench_function(BenchmarkId::new("incremental_panel", "500x1000"), |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for s in &u.series {
                let mut st = FeatureState::new();
                for t in 0..s.len() {
                    acc += st.push(&s.bar(t)).unwrap()[0];
                }
            }
            acc
        })
    });
    g.throughput(Throughput::Elements(1));
    let s = &u.series[0];
    let mut warm = FeatureState::new();
    for t in 0..s.len() - 1 {
        warm.push(&s.bar(t)).unwrap();
    }
    let last = s.bar(s.len() - 1);
    g.bench_function("incremental_one_bar", |b| b.iter(|| warm.clone().push(black_box(&last)).unwrap()));
    g.finish();
}

fn shared(c: &mut Criterion) {
    let Some(dir) = shared_data() else {
        eprintln!("SKIPPED shared-data benches: ../shared/data/sp500 not found");
        return;
    };
    let mut g = c.benchmark_group("sp500_2010_2024");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_791_450));
    g.bench_function("load", |b| b.iter(|| load_dataset_dir(&dir, &LoadOptions::default()).unwrap().n_bars()));
    let u = load_dataset_dir(&dir, &LoadOptions::default()).unwrap();
    g.bench_function("features_all", |b| b.iter(|| u.series.iter().map(|s| compute(s).len()).sum::<usize>()));
    g.bench_function("load_and_dataset", |b| {
        b.iter(|| {
            let u = load_dataset_dir(&dir, &LoadOptions::default()).unwrap();
            DirectionDataset::build(&u.series, &DatasetSpec::default()).unwrap().samples.len()
        })
    });
    g.finish();
}

criterion_group!(benches, features, shared);
criterion_main!(benches);
