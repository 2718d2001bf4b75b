//! The LSR-IGRU graph: seeded bundles of each variant (GCN and GAT, ablations, the code's sizes)
//! ranked through `Model::rank` on a synthetic universe agree with the f64 reference on tract and
//! ONNX Runtime within 1e-5.

mod common;

use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::bars::{Panel, Universe};
use trendcast::model::manifest::WindowInputs;
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::export::{RankingExport, write_ranking, write_ranking_ensemble};
use trendcast_export::onnx::{EncoderKind, LsrIgru, LsrIgruEnsemble, LsrIgruSpec, RecurrentCell};

fn universe() -> Universe {
    // Late listings: some stocks (and their A_S rows) are empty early in the window.
    generate(&SyntheticSpec { days: 110, seed: 21, late_listing_every: 5, ..Default::default() })
}

fn small(encoder: EncoderKind) -> LsrIgruSpec {
    LsrIgruSpec { encoder, encoder_sizes: vec![12, 6], gru_sizes: vec![7, 5], ..LsrIgruSpec::paper() }
}

/// Writes the model, ranks the last day (and one earlier day) on every backend available, and
/// compares each with the reference; returns the worst difference.
fn check_parity(name: &str, spec: LsrIgruSpec, seed: u64) -> f64 {
    let model = LsrIgru::seeded(spec, seed).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let m = write_ranking(tmp.path(), &model, &RankingExport::new(name)).unwrap();
    assert_eq!(m.extra["parameters"], model.n_params());
    served_equal_reference(name, tmp.path(), true, 1e-5, |x, l, s, t, n| model.reference(x, l, s, t, n))
}

/// Ranks the last day (and one earlier day) with the bundle in `dir` on every backend available
/// and compares the scores with `reference` within `tolerance`: 1e-5 for one model's sigmoid
/// scores (checked to lie in [0, 1]); for an ensemble's z-scores, 1e-5 on each member's scores
/// carried through its division by the member's spread (trainer/src/parity.rs).
fn served_equal_reference(
    name: &str,
    dir: &std::path::Path,
    sigmoid: bool,
    tolerance: f64,
    reference: impl Fn(&[f32], &[f32], &[f32], usize, usize) -> Vec<f64>,
) -> f64 {
    let u = universe();
    let panel = Panel::from_series(&u.series);

    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    let mut worst = 0f64;
    for backend in backends {
        let served = Model::open(dir, &OpenOptions { backend, ..Default::default() }).unwrap();
        for d in [panel.n_days() - 1, panel.n_days() - 9] {
            let r = served.rank(&panel, &u.industries, panel.calendar[d]).unwrap();
            let inp = served.ranking_inputs(&panel, &u.industries, d).unwrap();
            let want = reference(&inp.nodes, &inp.long_rel, &inp.short_rel, 15, inp.n_nodes);
            for (k, s) in r.scores.iter().enumerate() {
                assert!(s.is_finite() && (!sigmoid || (0.0..=1.0).contains(s)), "{name} {backend:?} stock {k}: {s}");
                let diff = (*s as f64 - want[k]).abs();
                assert!(diff < tolerance, "{name} on {backend:?}, day {d}, stock {k}: {s} vs reference {}", want[k]);
                worst = worst.max(diff);
            }
            // Not a constant: the scores depend on the stock.
            let spread = r.scores.iter().cloned().fold(f32::MIN, f32::max) - r.scores.iter().cloned().fold(f32::MAX, f32::min);
            assert!(spread > 1e-6, "{name}: constant scores");
        }
    }
    eprintln!("{name}: worst |served - reference| {worst:.2e}");
    worst
}

/// A seed ensemble in one graph: the mean of its members' node scores, each z-scored over the
/// nodes; served = its f64 reference, and the reference = the members' own references combined.
#[test]
fn seed_ensembles_match_the_reference_on_both_backends() {
    let members: Vec<LsrIgru> = (0..3).map(|s| LsrIgru::seeded(small(EncoderKind::Gcn), 10 + s).unwrap()).collect();
    let ensemble = LsrIgruEnsemble { members: members.clone() };
    let tmp = tempfile::tempdir().unwrap();
    let m = write_ranking_ensemble(tmp.path(), &ensemble, &RankingExport::new("ensemble")).unwrap();
    assert_eq!(m.extra["members"], 3);
    assert_eq!(m.extra["parameters"], 3 * members[0].n_params());
    // The reference by hand on one input: z-scores of each member, averaged.
    let u = universe();
    let panel = Panel::from_series(&u.series);
    let served = Model::open(tmp.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    let inp = served.ranking_inputs(&panel, &u.industries, panel.n_days() - 1).unwrap();
    let n = inp.n_nodes;
    let each: Vec<Vec<f64>> = members.iter().map(|m| m.reference(&inp.nodes, &inp.long_rel, &inp.short_rel, 15, n)).collect();
    let spread = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / n as f64;
        (mean, (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt())
    };
    let z = |v: &[f64], i: usize| (v[i] - spread(v).0) / spread(v).1;
    let tolerance = 1e-5 * each.iter().map(|v| 1.0 / spread(v).1).sum::<f64>() / 3.0;
    let worst = served_equal_reference("ensemble", tmp.path(), false, tolerance, |x, l, s, t, n| ensemble.reference(x, l, s, t, n));
    assert!(worst > 0.0 && worst < tolerance, "{worst} vs {tolerance}");
    let got = ensemble.reference(&inp.nodes, &inp.long_rel, &inp.short_rel, 15, n);
    for (i, g) in got.iter().enumerate() {
        let want = each.iter().map(|v| z(v, i)).sum::<f64>() / 3.0;
        assert!((g - want).abs() < 1e-9, "node {i}: {g} vs {want}");
    }
    let e = write_ranking_ensemble(tmp.path(), &LsrIgruEnsemble { members: vec![] }, &RankingExport::new("empty")).unwrap_err();
    assert!(e.to_string().contains("at least one member"), "{e}");
}

#[test]
fn gcn_matches_the_reference_on_both_backends() {
    check_parity("gcn", small(EncoderKind::Gcn), 1);
}

#[test]
fn gat_matches_the_reference_on_both_backends() {
    check_parity("gat", small(EncoderKind::Gat), 2);
}

#[test]
fn ablations_match_the_reference() {
    let only = |nodes, long, short| LsrIgruSpec { use_nodes: nodes, use_long: long, use_short: short, ..small(EncoderKind::Gat) };
    check_parity("I", only(true, false, false), 3);
    check_parity("II+III", only(false, true, true), 4);
    check_parity("I+III gcn", LsrIgruSpec { encoder: EncoderKind::Gcn, ..only(true, false, true) }, 5);
    // One GRU layer: the head reads the only layer.
    check_parity("one layer", LsrIgruSpec { gru_sizes: vec![6], ..small(EncoderKind::Gcn) }, 6);
}

/// The industry ratios: nine values per node, recorded in the contract (the encoder's `nodes`
/// input and the manifest's feature names), served equal to the reference on both backends and
/// by a live universe built from the same history; a model whose width is not its node features'
/// is refused at export.
#[test]
fn industry_ratio_inputs_match_the_reference_and_the_live_universe() {
    use trendcast::LiveUniverse;
    use trendcast::relations::{NodeFeatures, RelationSpec};
    let kind = NodeFeatures::RatiosIndustry;
    let relations = RelationSpec { node_features: kind, normalize_relations: true, ..Default::default() };
    let export = RankingExport { relations, ..RankingExport::new("industry") };
    let spec = LsrIgruSpec { node_width: kind.width(), ..small(EncoderKind::Gat) };
    let model = LsrIgru::seeded(spec.clone(), 12).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let m = write_ranking(tmp.path(), &model, &export).unwrap();
    assert_eq!(m.features, kind.names());
    let encoder = m.encoder.as_ref().unwrap();
    assert_eq!(encoder.inputs[0].shape[2], trendcast::model::manifest::Dim::Fixed(9));
    served_equal_reference("industry", tmp.path(), true, 1e-5, |x, l, s, t, n| model.reference(x, l, s, t, n));

    let u = universe();
    let panel = Panel::from_series(&u.series);
    let served = std::sync::Arc::new(Model::open(tmp.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap());
    assert_eq!(served.node_width(), 9);
    let stateless = served.rank(&panel, &u.industries, *panel.calendar.last().unwrap()).unwrap();
    let live = LiveUniverse::from_history(vec![served], u.industries.clone(), &u.series).unwrap().rank().unwrap();
    assert_eq!(
        live.scores.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        stateless.scores.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );

    let narrow = LsrIgru::seeded(small(EncoderKind::Gat), 12).unwrap();
    let e = write_ranking(tempfile::tempdir().unwrap().path(), &narrow, &export).unwrap_err();
    assert!(e.to_string().contains("values per node"), "{e}");
}

/// The LSTM baseline: on node features alone (the paper's) and with both relation encoders.
#[test]
fn lstm_cells_match_the_reference() {
    let lstm = |spec: LsrIgruSpec| LsrIgruSpec { cell: RecurrentCell::Lstm, ..spec };
    check_parity("lstm nodes only", lstm(LsrIgruSpec { use_long: false, use_short: false, ..small(EncoderKind::Gcn) }), 9);
    check_parity("lstm all parts", lstm(small(EncoderKind::Gcn)), 10);
}

#[test]
fn the_code_and_paper_sizes_match_the_reference() {
    check_parity("code", LsrIgruSpec::code(), 7);
    check_parity("paper", LsrIgruSpec::paper(), 8);
}

#[test]
fn layout_names_every_parameter_once_and_bad_weights_are_refused() {
    let spec = small(EncoderKind::Gat);
    let layout = spec.layout();
    let mut names: Vec<&str> = layout.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), layout.len());
    assert!(names.contains(&"long.1.att_neigh") && names.contains(&"gru.1.w_c") && names.contains(&"head.2.b"));
    // GRU layer 2 reads layer 1's state plus both relation representations.
    assert_eq!(layout.iter().find(|(n, _)| n == "gru.1.w_u").unwrap().1, vec![7 + 6 + 6 + 5, 5]);
    let gcn = small(EncoderKind::Gcn).layout();
    assert!(gcn.iter().all(|(n, _)| !n.contains("att")));
    let no_long = LsrIgruSpec { use_long: false, ..spec.clone() }.layout();
    assert!(no_long.iter().all(|(n, _)| !n.starts_with("long.")));

    // The encoder graph holds each relation-encoder parameter under its layout name; the two graphs
    // together hold every parameter value exactly once (the recurrent weights split by rows into a
    // day part and a state part), besides the GAT encoder's two scalar constants (0 and the masked
    // logit): a graph holds no constant it does not use.
    let model = LsrIgru::seeded(spec.clone(), 1).unwrap();
    let graphs = model.to_onnx(15, &[]).unwrap();
    let floats = |p: &tract_onnx::pb::ModelProto| -> (Vec<String>, usize) {
        let init = &p.graph.as_ref().unwrap().initializer;
        let float = init.iter().filter(|t| t.data_type == 1);
        (init.iter().map(|t| t.name.clone()).collect(), float.map(|t| t.raw_data.len() / 4).sum())
    };
    let (mut inits, enc_values) = floats(&graphs.encoder);
    let (_, win_values) = floats(&graphs.window);
    inits.sort_unstable();
    let before = inits.len();
    inits.dedup();
    assert_eq!(before, inits.len(), "duplicate initializers");
    for name in names.iter().filter(|n| n.starts_with("long.") || n.starts_with("short.")) {
        assert!(inits.binary_search(&name.to_string()).is_ok(), "{name} is not an initializer");
    }
    assert_eq!(enc_values + win_values - 2, model.n_params());

    let mut bad = LsrIgru::seeded(spec.clone(), 1).unwrap();
    bad.gru[0].gates[1].b.pop();
    assert!(bad.check().unwrap_err().to_string().contains("gru.0.b_r"));
    let mut missing_gate = LsrIgru::seeded(spec.clone(), 1).unwrap();
    missing_gate.gru[1].gates.pop();
    assert!(missing_gate.check().unwrap_err().to_string().contains("layer counts"));
    // An LSTM layer has four gates under its own names.
    let lstm = LsrIgruSpec { cell: RecurrentCell::Lstm, ..spec.clone() }.layout();
    assert_eq!(lstm.iter().filter(|(n, _)| n.starts_with("lstm.0.w_")).count(), 4);
    assert!(lstm.iter().all(|(n, _)| !n.starts_with("gru.")));
    let mut extra = LsrIgru::seeded(spec.clone(), 1).unwrap();
    extra.long.push(extra.long[0].clone());
    assert!(extra.check().unwrap_err().to_string().contains("layer counts"));
    let none = LsrIgruSpec { use_nodes: false, use_long: false, use_short: false, ..spec };
    let e = LsrIgru::seeded(none, 1).unwrap_err();
    assert!(e.to_string().contains("at least one of use_nodes, use_long, use_short"), "{e}");
}

/// Bundles of the single-graph form (fixtures written by the library before the encoder / window
/// split: one GCN model and a two-member GAT ensemble) are refused with the command that rewrites
/// them; `trendcast upgrade-bundle` rewrites them after checking both forms against the weights'
/// f64 reference, and the rewritten bundles rank on both backends.
#[test]
fn single_graph_bundles_are_refused_and_upgraded() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/single-graph-ranking");
    let tmp = tempfile::tempdir().unwrap();
    let u = generate(&SyntheticSpec { days: 90, ..Default::default() });
    let panel = Panel::from_series(&u.series);
    for name in ["single", "ensemble"] {
        let old = fixtures.join(name);
        let e = Model::open(&old, &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap_err();
        assert!(e.to_string().contains("trendcast upgrade-bundle"), "{e}");
        let new = tmp.path().join(name);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trendcast")).arg("upgrade-bundle").arg(&old).arg(&new).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let old_manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(old.join("manifest.json")).unwrap()).unwrap();
        for backend in backends() {
            let m = Model::open(&new, &OpenOptions { backend, ..Default::default() }).unwrap();
            assert_eq!(m.manifest().name, old_manifest["name"].as_str().unwrap());
            assert_eq!(serde_json::to_value(&m.manifest().extra["architecture"]).unwrap(), old_manifest["extra"]["architecture"]);
            let r = m.rank(&panel, &u.industries, *panel.calendar.last().unwrap()).unwrap();
            assert!(!r.order.is_empty());
        }
        // Nothing left to upgrade.
        let e = trendcast_export::upgrade::upgrade_ranking(&new, &tmp.path().join("again")).unwrap_err();
        assert!(e.to_string().contains("nothing to upgrade"), "{e}");
    }
}

/// Bundles whose window graph takes the encodings stacked (written before the pieces; see
/// tests/fixtures/stacked-window-ranking/README.md) are still served, equal to their weights'
/// reference; `trendcast upgrade-bundle` rewrites them with the window graph taking each day's
/// encodings in pieces, equal to the same reference, after which nothing is left to upgrade.
#[test]
fn stacked_window_bundles_are_served_and_upgraded() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacked-window-ranking");
    let tmp = tempfile::tempdir().unwrap();
    let tiny = |encoder| LsrIgruSpec { encoder, encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], head_hidden: 4, ..LsrIgruSpec::paper() };
    let seeded = |spec: &LsrIgruSpec, seeds: std::ops::Range<u64>| -> Vec<LsrIgru> {
        seeds.map(|s| LsrIgru::seeded(spec.clone(), s).unwrap()).collect()
    };
    let cases = [
        ("gcn", seeded(&tiny(EncoderKind::Gcn), 1..2)),
        ("lstm", seeded(&LsrIgruSpec { cell: RecurrentCell::Lstm, ..tiny(EncoderKind::Gcn) }, 2..3)),
        ("nodes-only", seeded(&LsrIgruSpec { use_long: false, use_short: false, ..tiny(EncoderKind::Gcn) }, 3..4)),
        ("gat-ensemble", seeded(&tiny(EncoderKind::Gat), 4..6)),
    ];
    for (name, members) in cases {
        let old = fixtures.join(name);
        let stacked = Model::open(&old, &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
        assert_eq!(stacked.manifest().window_inputs(), Some(WindowInputs::Stacked), "{name}");
        assert!(stacked.window_pieces().is_empty());
        let ensemble = LsrIgruEnsemble { members };
        // An ensemble's z-scores: each member's rounding divided by its spread; 1e-4 (both forms
        // show ~1.6e-5 here, a wrongly cut gate O(1)).
        let (single, tolerance) = if ensemble.members.len() == 1 { (true, 1e-5) } else { (false, 1e-4) };
        let reference = |x: &[f32], l: &[f32], s: &[f32], t: usize, n: usize| {
            if single { ensemble.members[0].reference(x, l, s, t, n) } else { ensemble.reference(x, l, s, t, n) }
        };
        served_equal_reference(name, &old, single, tolerance, reference);

        let new = tmp.path().join(name);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trendcast")).arg("upgrade-bundle").arg(&old).arg(&new).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let pieces = Model::open(&new, &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
        let spec = &ensemble.members[0].spec;
        assert_eq!(pieces.manifest().window_inputs(), Some(WindowInputs::Pieces(spec.day_pieces())), "{name}");
        assert_eq!(pieces.manifest().inputs.len(), 15 * spec.day_pieces().len());
        assert_eq!(pieces.manifest().extra, stacked.manifest().extra, "{name}: the manifest's record carries over");
        served_equal_reference(name, &new, single, tolerance, reference);
        let e = trendcast_export::upgrade::upgrade_ranking(&new, &tmp.path().join("again")).unwrap_err();
        assert!(e.to_string().contains("nothing to upgrade"), "{e}");
    }
}

fn backends() -> Vec<BackendKind> {
    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    backends
}
