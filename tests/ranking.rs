//! The ranking side: relation inputs (incremental = direct, A_L's structure, no look-ahead) and the
//! ranking call through both backends against an f64 reference of the probe model.

mod common;

use proptest::prelude::*;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::bars::{Panel, Universe};
use trendcast::model::manifest::RelationSpec;
use trendcast::relations::{
    NodeFeatures, NodeSet, RelationMap, ShortTermRelations, long_term_matrix, normalize_relation, overnight_returns, ranking_inputs,
    short_term_direct,
};
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::export::{DirectionExport, write_ranking_probe};
use trendcast_export::onnx::RankingProbe;

fn universe(days: usize, seed: u64) -> Universe {
    generate(&SyntheticSpec { days, seed, late_listing_every: 7, ..Default::default() })
}

#[test]
fn incremental_short_term_relations_equal_the_direct_computation() {
    let u = universe(200, 3);
    let panel = Panel::from_series(&u.series);
    let nodes = NodeSet::new(&panel.tickers, &u.industries).unwrap();
    let members = nodes.members();
    let n = nodes.n_nodes();
    let lookback = 61;
    let returns: Vec<f64> = (0..panel.n_days())
        .flat_map(|d| {
            let mut r = vec![0.0; n];
            overnight_returns(&panel, &nodes, &members, d, &mut r);
            r
        })
        .collect();
    let mut rel = ShortTermRelations::new(n);
    let mut inc = vec![0f32; n * n];
    let mut worst = 0f32;
    for d in 0..panel.n_days() {
        rel.add(&returns[d * n..(d + 1) * n]);
        if d >= lookback {
            rel.remove(&returns[(d - lookback) * n..(d - lookback + 1) * n]);
        }
        if d + 1 >= lookback {
            rel.matrix(0.5, &mut inc);
            let direct = short_term_direct(&returns[(d + 1 - lookback) * n..(d + 1) * n], lookback, n, 0.5);
            for (a, b) in inc.iter().zip(&direct) {
                // Entries at the 0.5 cut may land on either side; elsewhere they agree closely.
                if (*a == 0.0) != (*b == 0.0) {
                    assert!((a.max(*b) - 0.5).abs() < 1e-9, "cut disagreement {a} vs {b}");
                } else {
                    worst = worst.max((a - b).abs());
                }
            }
        }
    }
    assert!(worst < 1e-6, "incremental vs direct: {worst}");
    assert!(inc.iter().any(|&v| v > 0.5 && v < 1.0), "relations are not trivial");
}

/// The fused paths `ranking_inputs` takes (all first days in one pass, then add-and-remove in one
/// pass per day, each writing and normalising its window's matrix in the same pass) give the
/// day-at-a-time path's matrices, mapped and then normalised separately (bit for bit before the
/// normalisation, to the last bit after it).
#[test]
fn fused_gram_updates_equal_one_day_at_a_time_bit_for_bit() {
    // 75 nodes: three tiles of the mirror, the last one partial.
    let n = 75;
    let days = 70;
    let mut state = 12345u64;
    let returns: Vec<f64> = (0..days * n)
        .map(|k| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Some exact zeros, as for a node without a return that day, and one node that never has one.
            if k % 11 == 0 || k % n == 40 { 0.0 } else { ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04 }
        })
        .collect();
    let lookback = 61;
    let day = |d: usize| &returns[d * n..(d + 1) * n];
    for normalize in [false, true] {
        let map = RelationMap { cut: 0.5, normalize };
        let (mut one, mut fused) = (ShortTermRelations::new(n), ShortTermRelations::new(n));
        for d in 0..lookback {
            one.add(day(d));
        }
        let (mut a, mut b) = (vec![0f32; n * n], vec![0f32; n * n]);
        fused.add_days_into(&returns[..lookback * n], Some((map, &mut b)));
        for d in lookback..days {
            one.matrix(0.5, &mut a);
            if normalize {
                normalize_relation(&mut a, n);
            }
            // The Gram matrix and the map are the same bit for bit; normalised, the degrees are
            // summed in another order, so entries may differ in the last bit.
            let same =
                |x: f32, y: f32| if normalize { (x - y).abs() <= f32::EPSILON * x.abs().max(y.abs()) } else { x.to_bits() == y.to_bits() };
            assert!(a.iter().zip(&b).all(|(x, y)| same(*x, *y)), "normalize {normalize}, day {d}");
            one.add(day(d));
            one.remove(day(d - lookback));
            fused.slide_into(day(d), day(d - lookback), Some((map, &mut b)));
        }
        assert!(b.iter().any(|&v| v > 0.0 && v < 0.5) == normalize, "normalised entries fall below the cut");
        assert!((0..n).all(|i| (0..n).all(|j| b[i * n + j] == b[j * n + i])), "symmetric");
        assert!((0..n).all(|j| b[40 * n + j] == 0.0), "a node without returns relates to nothing");
    }
}

#[test]
fn long_term_matrix_has_the_spec_structure() {
    let u = universe(30, 1);
    let tickers: Vec<String> = u.series.iter().map(|s| s.ticker.clone()).collect();
    let nodes = NodeSet::new(&tickers, &u.industries).unwrap();
    let n = nodes.n_nodes();
    assert_eq!(n, 48 + 12 + 4);
    let a = long_term_matrix(&nodes);
    for i in 0..n {
        assert_eq!(a[i * n + i], 1.0, "self loop {i}");
        for j in 0..n {
            assert_eq!(a[i * n + j], a[j * n + i]);
        }
    }
    let (s0, s1) = (0, 47); // different sectors
    assert_eq!(a[s0 * n + s1], 0.0);
    assert_eq!(a[s0 * n + 1], 1.0, "same sub-industry");
    assert_eq!(a[s0 * n + nodes.stock_sub[s0]], 1.0);
    assert_eq!(a[s0 * n + nodes.stock_sector[s0]], 0.0, "a stock and a sector are not linked");
    let sec = n - 4;
    assert!((sec..n).all(|j| a[sec * n + j] == 1.0), "sectors fully connected");
    assert_eq!(a[nodes.stock_sub[s0] * n + nodes.stock_sector[s0]], 1.0);
}

fn probe_model(dir: &std::path::Path, backend: BackendKind) -> Model {
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    if !dir.join("manifest.json").exists() {
        write_ranking_probe(dir, &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    }
    Model::open(dir, &OpenOptions { backend, ..Default::default() }).unwrap()
}

#[test]
fn ranking_call_matches_the_reference_on_both_backends() {
    let tmp = tempfile::tempdir().unwrap();
    let u = universe(120, 5);
    let panel = Panel::from_series(&u.series);
    let date = *panel.calendar.last().unwrap();
    let tract = probe_model(tmp.path(), BackendKind::Tract);
    let r = tract.rank(&panel, &u.industries, date).unwrap();
    let inp = tract.ranking_inputs(&panel, &u.industries, panel.n_days() - 1).unwrap();
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    let want = probe.reference(&inp.nodes, &inp.long_rel, &inp.short_rel, 15, inp.n_nodes);
    for (k, s) in r.scores.iter().enumerate() {
        assert!((*s as f64 - want[k]).abs() < 1e-5, "stock {k}: {s} vs {}", want[k]);
    }
    assert_eq!(r.order.len(), panel.n_tickers());
    assert!(r.order.windows(2).all(|w| r.scores[w[0]] >= r.scores[w[1]]));
    if common::models::ort_available() {
        let ort = probe_model(tmp.path(), BackendKind::Ort);
        let o = ort.rank(&panel, &u.industries, date).unwrap();
        let worst = o.scores.iter().zip(&r.scores).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-5, "ort vs tract: {worst}");
    }
    // Too early in the panel, a date that is not a trading day, and a direction model.
    let e = tract.rank(&panel, &u.industries, panel.calendar[60]).unwrap_err();
    assert!(e.to_string().contains("too little history"), "{e}");
    let e = tract.rank(&panel, &u.industries, trendcast::Date::parse("1999-01-01").unwrap()).unwrap_err();
    assert!(e.to_string().contains("1999-01-01 is not a trading day"), "{e}");
    let dtmp = tempfile::tempdir().unwrap();
    common::models::direction_bundle(dtmp.path(), 8, 30);
    let dm = Model::open(dtmp.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    assert!(dm.rank(&panel, &u.industries, date).unwrap_err().to_string().contains("wrong model kind"));
}

/// A stock whose bars start fewer than the inputs' 76 trading days back (window 15 + 61 days of
/// overnight returns) gets no score and no place in the order, on both backends; 76 bars suffice.
#[test]
fn ranking_leaves_out_stocks_without_the_history_its_inputs_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut u = universe(120, 5);
    let keep = [1usize, 10, 16, 75, 76];
    for (s, &n) in u.series.iter_mut().zip(&keep) {
        let mut cut = trendcast::bars::BarSeries::empty(s.ticker.clone());
        for i in s.len() - n..s.len() {
            cut.push(s.bar(i)).unwrap();
        }
        *s = cut;
    }
    let panel = Panel::from_series(&u.series);
    let date = *panel.calendar.last().unwrap();
    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    for backend in backends {
        let r = probe_model(tmp.path(), backend).rank(&panel, &u.industries, date).unwrap();
        for (k, &n) in keep.iter().enumerate() {
            assert_eq!(r.scores[k].is_nan(), n < 76, "{backend:?}: stock with {n} bars scored {}", r.scores[k]);
            assert_eq!(r.order.contains(&k), n >= 76, "{backend:?}: stock with {n} bars in the order");
        }
        assert!(r.scores[keep.len()..].iter().all(|s| s.is_finite()), "{backend:?}: every stock with full history is scored");
        assert_eq!(r.order.len(), panel.n_tickers() - 4, "{backend:?}");
    }
}

/// S8 (issue 35): in a call on borrowed bars, a stock that gets no score (3 bars, none at all, or
/// none on the latest date) takes no part in the others' scores, which are bit for bit those of
/// the call without it, on both backends. On the panel (a dataset), where such stocks are nodes
/// without inputs as in training, the same stocks do move the others: the case is a real one.
#[test]
fn stocks_without_a_score_leave_the_others_scores_alone() {
    use trendcast::bars::BarSeries;
    use trendcast::predict::{BarsRef, rank_with_ids};
    let tmp = tempfile::tempdir().unwrap();
    let u = universe(120, 5);
    let mut with = u.series.clone();
    let cut = |s: &BarSeries, from: usize, to: usize| {
        let mut c = BarSeries::empty(s.ticker.clone());
        (from..to).for_each(|i| c.push(s.bar(i)).unwrap());
        c
    };
    let n = with[0].len();
    with[1] = cut(&u.series[1], n - 3, n); // NEWCO: 3 bars
    with[4] = cut(&u.series[4], 0, n - 5); // stopped trading 5 days ago
    let short = [1usize, 4];
    let sectors: Vec<i32> = (0..with.len()).map(|k| (k % 3) as i32).collect();
    let subs: Vec<i32> = (0..with.len()).map(|k| (k % 6) as i32).collect();
    let kept: Vec<usize> = (0..with.len()).filter(|k| !short.contains(k)).collect();
    let pick = |ids: &[i32]| -> Vec<i32> { kept.iter().map(|&k| ids[k]).collect() };
    let without: Vec<BarSeries> = kept.iter().map(|&k| with[k].clone()).collect();
    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    for backend in backends {
        let m = probe_model(tmp.path(), backend);
        let got = rank_with_ids(&m, &with, &sectors, &subs).unwrap();
        let want = rank_with_ids(&m, &without, &pick(&sectors), &pick(&subs)).unwrap();
        for &k in &short {
            assert!(got.scores[k].is_nan() && !got.order.contains(&k), "{backend:?}: stock {k} scored {}", got.scores[k]);
        }
        for (j, &k) in kept.iter().enumerate() {
            assert_eq!(got.scores[k].to_bits(), want.scores[j].to_bits(), "{backend:?}: stock {k} moved");
        }
        assert_eq!(got.order, want.order.iter().map(|&j| kept[j]).collect::<Vec<_>>(), "{backend:?}");
        // A stock with no bars at all, as a C caller may give one.
        let mut none = with.clone();
        none.push(BarSeries::empty("EMPTY"));
        let (mut sec, mut sub) = (sectors.clone(), subs.clone());
        sec.push(0);
        sub.push(0);
        let refs: Vec<BarsRef> = none.iter().map(BarsRef::from).collect();
        match rank_with_ids(&m, &refs, &sec, &sub) {
            Ok(r) => {
                assert!(r.scores[with.len()].is_nan());
                assert!(r.scores[..with.len()].iter().zip(&got.scores).all(|(a, b)| a.to_bits() == b.to_bits()), "{backend:?}");
            }
            Err(e) => assert!(e.to_string().contains("stock #"), "{backend:?}: {e}"),
        }
        // The panel keeps them as nodes: there they move the others.
        let date = *Panel::from_series(&with).calendar.last().unwrap();
        let (industries, names) = trendcast::predict::industries_from_ids(&sectors, &subs).map(|(n, i)| (i, n)).unwrap();
        let named: Vec<BarSeries> = with.iter().zip(&names).map(|(s, t)| BarSeries { ticker: t.clone(), ..s.clone() }).collect();
        let panel_form = m.rank(&Panel::from_series(&named), &industries, date).unwrap();
        assert!(
            kept.iter().any(|&k| panel_form.scores[k] != got.scores[k]),
            "{backend:?}: the short stocks moved nothing on the panel either"
        );
        // Fewer than two stocks left: refused by name.
        let e = rank_with_ids(&m, &with[..2], &sectors[..2], &subs[..2]).unwrap_err();
        assert!(e.to_string().contains("1 of the 2 stocks can be ranked"), "{backend:?}: {e}");
    }
}

/// Ranking calls on one model from many threads at once (each thread reuses its own input
/// buffers) give each day's answer bit for bit as one thread does, on both backends.
#[test]
fn concurrent_ranking_calls_on_one_model_agree_with_sequential_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let u = universe(110, 9);
    let panel = Panel::from_series(&u.series);
    let days: Vec<trendcast::Date> = panel.calendar[80..].to_vec();
    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    for backend in backends {
        let m = probe_model(tmp.path(), backend);
        let want: Vec<_> = days.iter().map(|&d| m.rank(&panel, &u.industries, d).unwrap()).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let (m, panel, u, days, want) = (&m, &panel, &u, &days, &want);
                    s.spawn(move || {
                        for round in 0..3 {
                            // Each thread walks the days from its own offset, so buffers sized for
                            // one day are reused for another.
                            for k in 0..days.len() {
                                let i = (k + t * 5 + round) % days.len();
                                let got = m.rank(panel, &u.industries, days[i]).unwrap();
                                let bits = |r: &trendcast::predict::Ranking| r.scores.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
                                assert_eq!((&got.order, bits(&got)), (&want[i].order, bits(&want[i])), "{backend:?} thread {t} day {i}");
                            }
                        }
                    })
                })
                .collect();
            handles.into_iter().for_each(|h| h.join().unwrap());
        });
    }
}

fn ratios_normalized() -> RelationSpec {
    RelationSpec { node_features: NodeFeatures::Ratios, normalize_relations: true, ..RelationSpec::default() }
}

/// A bundle built with the ratio node features and normalised relations records both, names its
/// features after them, is served exactly those inputs, and a manifest whose feature names do not
/// match its relation settings is refused.
#[test]
fn ratio_features_and_normalised_relations_travel_in_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    let spec = ratios_normalized();
    let m = write_ranking_probe(tmp.path(), &probe, &DirectionExport::new("probe", 15), spec).unwrap();
    assert_eq!(m.features, NodeFeatures::Ratios.names());
    let u = universe(120, 5);
    let panel = Panel::from_series(&u.series);
    let d = panel.n_days() - 1;
    let model = Model::open(tmp.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    let served = model.ranking_inputs(&panel, &u.industries, d).unwrap();
    let direct = ranking_inputs(&panel, &u.industries, d, 15, &spec).unwrap();
    assert_eq!(served.nodes, direct.nodes);
    assert_eq!(served.short_rel, direct.short_rel);
    assert_eq!(served.long_rel, direct.long_rel);
    // Normalised: no entry above 1, and they differ from the raw matrices.
    let raw = ranking_inputs(&panel, &u.industries, d, 15, &RelationSpec::default()).unwrap();
    assert!(direct.long_rel.iter().all(|&v| (0.0..=1.0).contains(&v)) && direct.long_rel != raw.long_rel);
    assert!(direct.nodes != raw.nodes);
    let r = model.rank(&panel, &u.industries, *panel.calendar.last().unwrap()).unwrap();
    let want = probe.reference(&direct.nodes, &direct.long_rel, &direct.short_rel, 15, direct.n_nodes);
    for (k, s) in r.scores.iter().enumerate() {
        assert!((*s as f64 - want[k]).abs() < 1e-5, "stock {k}: {s} vs {}", want[k]);
    }
    let path = tmp.path().join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"close_return\"", "\"close\"");
    std::fs::write(&path, text).unwrap();
    let e = Model::open(tmp.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("features"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// Changing every bar after day d leaves all three ranking inputs of day d unchanged.
    #[test]
    fn ranking_inputs_do_not_look_ahead(cut in 76usize..110, seed in 0u64..1000, scale in 0.5f64..2.0) {
        let tmp = tempfile::tempdir().unwrap();
        let model = probe_model(tmp.path(), BackendKind::Tract);
        let u = universe(120, 11);
        let mut v = u.clone();
        let future = generate(&SyntheticSpec { days: 120, seed, late_listing_every: 7, ..Default::default() });
        for (s, f) in v.series.iter_mut().zip(&future.series) {
            let d0 = s.dates.partition_point(|&d| d <= u.series[0].dates[cut]);
            for i in d0..s.len() {
                let j = i.min(f.len() - 1);
                s.open[i] = f.open[j] * scale;
                s.high[i] = f.high[j] * scale;
                s.low[i] = f.low[j] * scale;
                s.close[i] = f.close[j] * scale;
                s.volume[i] = f.volume[j];
            }
        }
        let (pa, pb) = (Panel::from_series(&u.series), Panel::from_series(&v.series));
        let (a, b) = (model.ranking_inputs(&pa, &u.industries, cut).unwrap(), model.ranking_inputs(&pb, &v.industries, cut).unwrap());
        prop_assert!(a.nodes.iter().zip(&b.nodes).all(|(x, y)| x.to_bits() == y.to_bits()));
        prop_assert!(a.short_rel.iter().zip(&b.short_rel).all(|(x, y)| x.to_bits() == y.to_bits()));
        prop_assert_eq!(a.long_rel, b.long_rel);
        // The same with the scale-free node features (the industry means included) and normalised relations.
        for node_features in [NodeFeatures::Ratios, NodeFeatures::ShortHorizon, NodeFeatures::RatiosIndustry] {
            let spec = RelationSpec { node_features, ..ratios_normalized() };
            let (a, b) = (ranking_inputs(&pa, &u.industries, cut, 15, &spec).unwrap(), ranking_inputs(&pb, &v.industries, cut, 15, &spec).unwrap());
            prop_assert!(a.nodes.iter().zip(&b.nodes).all(|(x, y)| x.to_bits() == y.to_bits()));
            prop_assert!(a.short_rel.iter().zip(&b.short_rel).all(|(x, y)| x.to_bits() == y.to_bits()));
            prop_assert_eq!(a.long_rel, b.long_rel);
        }
    }
}

/// The C call with ids numbered in name order gives the Rust API's inputs on the named
/// industries, bit for bit, and node ids in its node order.
#[test]
fn c_inputs_are_the_rust_apis_on_named_industries() {
    use trendcast::bars::Industries;
    use trendcast::ffi::{
        trendcast_bars, trendcast_model_free, trendcast_model_open, trendcast_ranking_input_sizes, trendcast_ranking_inputs,
        trendcast_status,
    };
    use trendcast::relations::{NodeFeatures, ranking_inputs};

    let u = generate(&SyntheticSpec { days: 120, late_listing_every: 7, ..Default::default() });
    let dir = tempfile::tempdir().unwrap();
    let rel = RelationSpec { node_features: NodeFeatures::Ratios, normalize_relations: true, ..Default::default() };
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    write_ranking_probe(dir.path(), &probe, &DirectionExport::new("probe", 15), rel).unwrap();
    let path = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
    let mut handle = std::ptr::null_mut();
    assert_eq!(trendcast_model_open(path.as_ptr(), std::ptr::null(), &mut handle), trendcast_status::Ok);

    let dates: Vec<Vec<i32>> = u.series.iter().map(|s| s.dates.iter().map(|d| d.yyyymmdd()).collect()).collect();
    let bars: Vec<trendcast_bars> = u.series.iter().zip(&dates).map(|(s, d)| trendcast_bars::of_series(s, d)).collect();
    let ind: &Industries = &u.industries;
    let id_of = |names: &[String], name: &str| names.iter().position(|n| n == name).unwrap() as i32;
    let (sectors, subs): (Vec<i32>, Vec<i32>) = u
        .series
        .iter()
        .map(|s| {
            let (sec, sub) = ind.of(&s.ticker).unwrap();
            (id_of(&ind.sectors, &ind.sectors[sec]), id_of(&ind.sub_industries, &ind.sub_industries[sub]))
        })
        .unzip();
    let n = bars.len();
    let mut sizes = trendcast_ranking_input_sizes::default();
    let (nulli, nullf) = (std::ptr::null_mut::<i32>(), std::ptr::null_mut::<f32>());
    let call = |sizes: &mut trendcast_ranking_input_sizes, ids: *mut i32, x: *mut f32, l: *mut f32, s: *mut f32, date: *mut i32| {
        trendcast_ranking_inputs(handle, bars.as_ptr(), sectors.as_ptr(), subs.as_ptr(), n, sizes, ids, x, l, s, date)
    };
    assert_eq!(call(&mut sizes, nulli, nullf, nullf, nullf, nulli), trendcast_status::Ok);
    let (nn, t) = (sizes.n_nodes, sizes.window);
    let (mut ids, mut x, mut l, mut s, mut date) = (vec![0; nn], vec![0.0; t * nn * 5], vec![0.0; nn * nn], vec![0.0; t * nn * nn], 0);
    assert_eq!(call(&mut sizes, ids.as_mut_ptr(), x.as_mut_ptr(), l.as_mut_ptr(), s.as_mut_ptr(), &mut date), trendcast_status::Ok);
    // A partial set of outputs is refused.
    assert_eq!(call(&mut sizes, ids.as_mut_ptr(), nullf, l.as_mut_ptr(), s.as_mut_ptr(), &mut date), trendcast_status::NullPointer);

    let panel = Panel::from_series(&u.series);
    let want = ranking_inputs(&panel, ind, panel.n_days() - 1, 15, &rel).unwrap();
    assert_eq!(nn, want.n_nodes);
    assert_eq!(sizes.n_stocks + sizes.n_sub_industries + sizes.n_sectors, nn);
    let bits = |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
    assert!(bits(&x, &want.nodes) && bits(&l, &want.long_rel) && bits(&s, &want.short_rel));
    assert_eq!(date, panel.calendar.last().unwrap().yyyymmdd());
    assert_eq!(&ids[..n], &(0..n as i32).collect::<Vec<_>>()[..]);
    trendcast_model_free(handle);
}
