//! The live universe on the shared S&P 500 data (503 stocks), ONNX Runtime, the shipped models
//! (`models/lsr-igru`, `models/direction-gru` and `models/direction-gru-ensemble`, and where it is
//! there `models/lsr-igru-ensemble`, the ensemble the ranking model was distilled from): a day's push, the
//! ranking and direction answers after it, and their parts (the ranking encoder on one day, the
//! window graph alone, the direction engine alone on the same input, a push whose ranking model
//! has a near-empty encoder), beside the stateless
//! `Model::rank` on the same day. Bootstrapped from 2010 to the last day but one of 2024; every
//! push is of the last day, on a fresh copy of that universe. Figures in benches/README.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use trendcast::bars::{BarSeries, LoadOptions, Panel, load_dataset_dir};
use trendcast::model::TensorIn;
use trendcast::{BackendKind, DayBar, LiveUniverse, Model, OpenOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn live(c: &mut Criterion) {
    let data = root().join("../shared/data/sp500");
    let Ok(u) = load_dataset_dir(&data, &LoadOptions::default()) else {
        eprintln!("SKIPPED live benches: no shared data at {}", data.display());
        return;
    };
    let ort = OpenOptions { backend: BackendKind::Ort, ..Default::default() };
    let open = |name: &str| Model::open(root().join("models").join(name), &ort).map(Arc::new);
    let (Ok(rank_model), Ok(dir_default), Ok(dir_ensemble)) = (open("lsr-igru"), open("direction-gru"), open("direction-gru-ensemble"))
    else {
        eprintln!("SKIPPED live benches: ONNX Runtime unavailable (run scripts/setup-deps.sh)");
        return;
    };
    // Optional: the teacher ensemble is benched beside the shipped model only when it is shipped too.
    let rank_ensemble = open("lsr-igru-ensemble").ok();
    let panel = Panel::from_series(&u.series);
    let last = panel.n_days() - 1;
    let cut = panel.calendar[last];
    let history: Vec<BarSeries> = u.series.iter().map(|s| s.before(cut)).collect();
    let day: Vec<DayBar> = (0..panel.n_tickers()).filter_map(|k| panel.bar(k, last).map(|bar| DayBar { stock: k, bar })).collect();

    let mut g = c.benchmark_group("live");
    g.sample_size(20);
    for (name, models) in [
        ("ranking+direction-gru", vec![rank_model.clone(), dir_default.clone()]),
        ("ranking", vec![rank_model.clone()]),
        ("direction-gru", vec![dir_default.clone()]),
        ("direction-gru-ensemble", vec![dir_ensemble.clone()]),
    ] {
        let before = LiveUniverse::from_history(models, u.industries.clone(), &history).unwrap();
        g.bench_function(format!("push_day/{name}"), |b| {
            b.iter_batched(|| before.clone(), |mut l| l.push_day(cut, black_box(&day)).unwrap(), BatchSize::LargeInput)
        });
    }
    if let Some(ensemble) = &rank_ensemble {
        let before = LiveUniverse::from_history(vec![ensemble.clone()], u.industries.clone(), &history).unwrap();
        g.bench_function("push_day/ranking-ensemble", |b| {
            b.iter_batched(|| before.clone(), |mut l| l.push_day(cut, black_box(&day)).unwrap(), BatchSize::LargeInput)
        });
        let mut after = before.clone();
        after.push_day(cut, &day).unwrap();
        g.bench_function("ensemble/rank", |b| b.iter(|| black_box(&after).rank().unwrap()));
    }
    let mut after =
        LiveUniverse::from_history(vec![rank_model.clone(), dir_default.clone(), dir_ensemble.clone()], u.industries.clone(), &history)
            .unwrap();
    after.push_day(cut, &day).unwrap();
    g.bench_function("rank", |b| b.iter(|| black_box(&after).rank().unwrap()));
    // A restart: the universe with the three models written to a file (synced) and read back.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    after.save(&state).unwrap();
    eprintln!("state file: {} bytes", std::fs::metadata(&state).unwrap().len());
    g.bench_function("save", |b| b.iter(|| black_box(&after).save(&state).unwrap()));
    let models = vec![rank_model.clone(), dir_default.clone(), dir_ensemble.clone()];
    g.bench_function("restore", |b| b.iter(|| LiveUniverse::restore(models.clone(), u.industries.clone(), &state).unwrap()));
    let n_stocks = panel.n_tickers();
    let mut out = vec![0f32; 3 * n_stocks];
    for (i, name) in [(1, "direction-gru"), (2, "direction-gru-ensemble")] {
        g.bench_function(format!("direction/{name}"), |b| b.iter(|| black_box(&after).direction_into(i, None, &mut out).unwrap()));
    }

    // The parts: the encoder on one day's inputs, the window graph on the window's encodings, the
    // direction engine on the direction call's input.
    let rel = rank_model.manifest().relations.unwrap();
    let inputs = trendcast::relations::ranking_inputs(&panel, &u.industries, last, 1, &rel).unwrap();
    let mut encodings = Vec::new();
    g.bench_function("parts/encoder_one_day", |b| b.iter(|| rank_model.encode_window(black_box(&inputs), &mut encodings).unwrap()));
    let window = trendcast::relations::ranking_inputs(&panel, &u.industries, last, rank_model.manifest().window, &rel).unwrap();
    rank_model.encode_window(&window, &mut encodings).unwrap();
    let mut scores = vec![0f32; window.n_nodes];
    g.bench_function("parts/window_graph", |b| {
        b.iter(|| rank_model.score_encodings(black_box(&encodings), window.n_nodes, &mut scores).unwrap())
    });
    g.bench_function("stateless/rank", |b| b.iter(|| rank_model.rank(black_box(&panel), &u.industries, cut).unwrap()));

    // Single members of the two student shapes (seeded weights, the shipped relation settings): the
    // code's sizes (the ensemble's members, 21,201 parameters; `one_member/...`) and the paper's
    // (5,676; `one_member_paper_sizes/...`), the cost side of the ranking model's choice.
    let mut e = trendcast_export::export::RankingExport::new("one-member");
    e.relations = rel;
    let spec: trendcast_export::onnx::LsrIgruSpec =
        serde_json::from_value(rank_model.manifest().extra["architecture"].clone()).expect("the shipped bundle records its architecture");
    for (label, encoder_sizes, gru_sizes) in
        [("one_member", vec![120, 30], vec![30, 10]), ("one_member_paper_sizes", vec![30, 15], vec![15, 10])]
    {
        let shape = trendcast_export::onnx::LsrIgruSpec { encoder_sizes, gru_sizes, ..spec.clone() };
        let dir = tempfile::tempdir().unwrap();
        trendcast_export::export::write_ranking(dir.path(), &trendcast_export::onnx::LsrIgru::seeded(shape, 1).unwrap(), &e).unwrap();
        let single = Arc::new(Model::open(dir.path(), &ort).unwrap());
        let before = LiveUniverse::from_history(vec![single.clone()], u.industries.clone(), &history).unwrap();
        g.bench_function(format!("{label}/push_day"), |b| {
            b.iter_batched(|| before.clone(), |mut l| l.push_day(cut, black_box(&day)).unwrap(), BatchSize::LargeInput)
        });
        let mut one = before.clone();
        one.push_day(cut, &day).unwrap();
        g.bench_function(format!("{label}/rank"), |b| b.iter(|| black_box(&one).rank().unwrap()));
        g.bench_function(format!("{label}/stateless_rank"), |b| b.iter(|| single.rank(black_box(&panel), &u.industries, cut).unwrap()));
    }
    // The push without the encoder's work: a ranking model that reads the node features only, one
    // unit per layer (its encoder is a few thousand multiply-adds), beside the default direction
    // model. The universe still slides the Gram matrix and builds the day's relation matrices, so
    // this is the push's own work plus one near-empty engine call.
    let minimal = trendcast_export::onnx::LsrIgruSpec {
        encoder_sizes: vec![1, 1],
        gru_sizes: vec![1, 1],
        head_hidden: 1,
        use_long: false,
        use_short: false,
        ..spec
    };
    let dir = tempfile::tempdir().unwrap();
    trendcast_export::export::write_ranking(dir.path(), &trendcast_export::onnx::LsrIgru::seeded(minimal, 1).unwrap(), &e).unwrap();
    let minimal = Arc::new(Model::open(dir.path(), &ort).unwrap());
    let before = LiveUniverse::from_history(vec![minimal, dir_default.clone()], u.industries.clone(), &history).unwrap();
    g.bench_function("parts/push_day_minimal_encoder+direction-gru", |b| {
        b.iter_batched(|| before.clone(), |mut l| l.push_day(cut, black_box(&day)).unwrap(), BatchSize::LargeInput)
    });
    for model in [&dir_default, &dir_ensemble] {
        let w = model.manifest().window;
        let batch = day.len();
        let x = vec![0.1f32; batch * w * 13];
        let mut probs = vec![0f32; 3 * batch];
        g.bench_function(format!("parts/direction_engine/{}", model.manifest().name), |b| {
            b.iter(|| model.run(&[TensorIn { shape: &[batch, w, 13], data: black_box(&x) }], &mut probs).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, live);
criterion_main!(benches);
