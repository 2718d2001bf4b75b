//! The LSR-IGRU ranking call on a universe the size of ours (528 stocks, 132 sub-industries,
//! 11 sectors: 671 nodes, window 15, A_S over 61 days), on both backends: the inputs alone
//! (`relations::ranking_inputs`, fresh or into reused buffers), the model on prepared inputs (its
//! encoder graph on the window's days, then its window graph), and `Model::rank` (both). The code's GCN sizes (and its encoders alone, for the split)
//! and the paper's GAT sizes, seeded weights, with the shipped bundle's relation settings (ratio
//! node features, degree-normalised relations). Figures in benches/README.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use trendcast::bars::Panel;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::relations::{NodeFeatures, RankingInputs, RelationSpec, ranking_inputs, ranking_inputs_into};
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::export::{RankingExport, write_ranking};
use trendcast_export::onnx::{LsrIgru, LsrIgruSpec};

fn ranking(c: &mut Criterion) {
    let u = generate(&SyntheticSpec {
        sectors: 11,
        sub_industries_per_sector: 12,
        stocks_per_sub_industry: 4,
        days: 120,
        ..Default::default()
    });
    let panel = Panel::from_series(&u.series);
    let d = panel.n_days() - 1;
    // The shipped bundle's settings: normalising both matrices is part of every call it serves.
    let mut e = RankingExport::new("bench");
    e.relations = RelationSpec { node_features: NodeFeatures::Ratios, normalize_relations: true, ..RelationSpec::default() };
    let inp = ranking_inputs(&panel, &u.industries, d, e.window, &e.relations).unwrap();
    let n = inp.n_nodes;

    let mut g = c.benchmark_group("ranking");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("inputs", n), |b| {
        b.iter(|| ranking_inputs(black_box(&panel), &u.industries, d, e.window, &e.relations).unwrap())
    });
    // What the ranking call does: the buffers of the previous call reused.
    let mut kept = RankingInputs::default();
    g.bench_function(BenchmarkId::new("inputs_reused", n), |b| {
        b.iter(|| ranking_inputs_into(black_box(&panel), &u.industries, d, e.window, &e.relations, &mut kept).unwrap())
    });
    // `gcn_code_encoders`: the code's encoders feeding a one-unit GRU (1.4% of the full GRU's
    // multiply-adds), to split the model's time between encoders and GRU.
    let encoders_only = LsrIgruSpec { gru_sizes: vec![1], head_hidden: 1, ..LsrIgruSpec::code() };
    // (name, model, whether to bench the whole call as well)
    for (name, spec, whole_call) in
        [("gcn_code", LsrIgruSpec::code(), true), ("gcn_code_encoders", encoders_only, false), ("gat_paper", LsrIgruSpec::paper(), true)]
    {
        let dir = tempfile::tempdir().unwrap();
        write_ranking(dir.path(), &LsrIgru::seeded(spec, 1).unwrap(), &e).unwrap();
        for backend in [BackendKind::Tract, BackendKind::Ort] {
            let Ok(model) = Model::open(dir.path(), &OpenOptions { backend, ..Default::default() }) else {
                eprintln!("SKIPPED {} benches: backend unavailable (run scripts/setup-deps.sh)", backend.name());
                continue;
            };
            let mut out = vec![0f32; n];
            // The model on prepared inputs: the encoder on the window's days, then the window graph.
            let mut encodings = Vec::new();
            g.bench_function(BenchmarkId::new(format!("{name}/{}/model_run", backend.name()), n), |b| {
                b.iter(|| {
                    model.encode_window(black_box(&inp), &mut encodings).unwrap();
                    model.score_encodings(&encodings, n, &mut out).unwrap()
                })
            });
            if whole_call {
                g.bench_function(BenchmarkId::new(format!("{name}/{}/rank", backend.name()), n), |b| {
                    b.iter(|| model.rank(black_box(&panel), &u.industries, panel.calendar[d]).unwrap())
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, ranking);
criterion_main!(benches);
