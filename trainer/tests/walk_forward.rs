//! The walk-forward end to end on a generated market: two test years, two seeds, one epoch each;
//! the runs' folders, a second call that skips them, the report with the ensemble and the
//! baselines; then a seed ensemble of two trained members exported as one bundle (parity gate)
//! and ranking through `Model::rank` on both backends.

use trendcast::backtest::Strategy;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::model::manifest::DateRange;
use trendcast::relations::NodeFeatures;
use trendcast::{BackendKind, Date, Model, OpenOptions};
use trendcast_export::onnx::{EncoderKind, LsrIgruSpec};
use trendcast_trainer::config::{RankLoss, RankingConfig, Selection};
use trendcast_trainer::{ranking, walk_forward};

fn config() -> RankingConfig {
    let mut cfg = RankingConfig {
        name: "wf-smoke".into(),
        model: LsrIgruSpec { encoder: EncoderKind::Gcn, encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], ..LsrIgruSpec::code() },
        loss: RankLoss::Ic,
        lr: 1e-3,
        epochs: 1,
        batch_days: 8,
        max_train_days: 40,
        threads: 1,
        ..Default::default()
    };
    cfg.relations.node_features = NodeFeatures::Ratios;
    cfg.relations.normalize_relations = true;
    cfg
}

#[test]
fn a_tiny_walk_forward_trains_scores_and_reports_every_year() {
    let started = std::time::Instant::now();
    // Four years of weekdays: 2017 and 2018 train and validate the first test year, 2019.
    let u = generate(&SyntheticSpec {
        days: 4 * 261,
        first_day: Date::parse("2017-01-02").unwrap(),
        late_listing_every: 7,
        ..Default::default()
    });
    let cfg = config();
    let data = ranking::Data::new(&u, &cfg).unwrap();
    let (device, _) = trendcast_trainer::device::pick(true);
    let plan = walk_forward::Plan { years: vec![2019, 2020], seeds: vec![1, 2], train_from: None, train_years: None };
    let out = tempfile::tempdir().unwrap();
    walk_forward::train_all(&cfg, "tiny", &data, &plan, out.path(), device).unwrap();
    for year in [2019, 2020] {
        for seed in [1, 2] {
            let dir = walk_forward::run_dir(out.path(), "tiny", year, seed);
            let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
            // Trained before the validation year, chosen on it, scored on the test year only.
            assert!(run["train_range"]["to"].as_str().unwrap() < &format!("{}-01-01", year - 1)[..], "{run}");
            assert_eq!(run["config"]["validation"]["from"], format!("{}-01-01", year - 1));
            let test_dates = run["scores"]["test_dates"].as_array().unwrap();
            assert!(test_dates.iter().all(|d| d.as_str().unwrap().starts_with(&year.to_string())));
            assert!(!dir.join("checkpoint").exists(), "a finished run leaves no checkpoint");
        }
    }
    // A second call finds every run done and trains nothing.
    let stamp = |y, s| std::fs::metadata(walk_forward::run_dir(out.path(), "tiny", y, s).join("run.json")).unwrap().modified().unwrap();
    let before = stamp(2020, 2);
    walk_forward::train_all(&cfg, "tiny", &data, &plan, out.path(), device).unwrap();
    assert_eq!(stamp(2020, 2), before);

    let strategies = [Strategy::Rebalance, Strategy::Dropout { max_swaps: 2 }];
    let table = walk_forward::report(out.path(), &data, 5, &strategies, None).unwrap();
    for row in ["tiny", "tiny ensemble", "baseline: reversal 1d", "baseline: momentum 20d"] {
        let years: Vec<i32> = table[row].iter().map(|r| r.year).collect();
        assert_eq!(years, vec![2019, 2020], "{row}");
        for r in &table[row] {
            assert_eq!(r.test.len(), 4, "two strategies x two costs");
            let (free, paid) = (&r.test[0].metrics, &r.test[1].metrics);
            assert!(paid.arr < free.arr && free.rank_ic == paid.rank_ic, "{row} {}: the cost lowers the return only", r.year);
            assert!(r.test[2].metrics.turnover < r.test[0].metrics.turnover, "{row} {}: dropout trades less", r.year);
        }
    }
    assert_eq!(table["tiny"][0].seeds, 2);
    let md = walk_forward::markdown(&table, &strategies);
    assert!(md.contains("| tiny ensemble |") && md.contains("`dropout:2`, 5 bps"), "{md}");
    let figures = walk_forward::plots(&table, strategies[1], 5.0, &out.path().join("figures")).unwrap();
    assert_eq!(figures.len(), 2);
    assert!(figures.iter().all(|f| std::fs::metadata(f).unwrap().len() > 10_000), "{figures:?}");
    let secs = started.elapsed().as_secs_f64();
    eprintln!("tiny walk-forward: {secs:.1} s");
    assert!(secs < 120.0, "the CI budget for this test is 2 minutes: {secs:.0} s");
}

#[test]
fn a_seed_ensemble_exports_as_one_bundle_and_ranks_on_both_backends() {
    let u =
        generate(&SyntheticSpec { days: 330, first_day: Date::parse("2019-01-01").unwrap(), late_listing_every: 6, ..Default::default() });
    let range = |a: &str, b: &str| DateRange { from: Date::parse(a).unwrap(), to: Date::parse(b).unwrap() };
    let cfg = RankingConfig {
        train: range("2019-04-01", "2019-12-31"),
        validation: range("2020-01-01", "2020-02-28"),
        test: vec![],
        select: Selection::Last,
        epochs: 2,
        ..config()
    };
    let data = ranking::Data::new(&u, &cfg).unwrap();
    let (device, _) = trendcast_trainer::device::pick(true);
    let members: Vec<ranking::Trained> =
        [3, 4, 5].iter().map(|&seed| ranking::train(&RankingConfig { seed, ..cfg.clone() }, &data, device, None).unwrap()).collect();
    assert!(members.iter().all(|m| m.summary["best_epoch"] == 2), "the last epoch is kept");
    let dir = tempfile::tempdir().unwrap();
    let (diff, tolerance, _) = ranking::export_ensemble(&members, &cfg, &data, dir.path(), device).unwrap();
    assert!(diff <= tolerance && diff < 1e-3, "{diff} {tolerance}");
    let panel = trendcast::bars::Panel::from_series(&u.series);
    let date = *panel.calendar.last().unwrap();
    let mut answers = Vec::new();
    for backend in [BackendKind::Tract, BackendKind::Ort] {
        let ort_lib_present = std::env::var_os("TRENDCAST_ORT_LIB").is_some_and(|p| std::path::Path::new(&p).exists());
        if backend == BackendKind::Ort && !ort_lib_present {
            eprintln!("SKIPPED ort: TRENDCAST_ORT_LIB not set or missing");
            continue;
        }
        let m = Model::open(dir.path(), &OpenOptions { backend, ..Default::default() }).unwrap();
        assert_eq!(m.manifest().extra["members"], 3);
        assert_eq!(m.manifest().extra["seeds"], serde_json::json!([3, 4, 5]));
        let r = m.rank(&panel, &u.industries, date).unwrap();
        // z-scores averaged over members: centred near 0 with unit-order spread, not sigmoid outputs.
        let finite: Vec<f32> = r.scores.iter().copied().filter(|s| s.is_finite()).collect();
        assert_eq!(finite.len(), r.order.len());
        assert!(finite.iter().any(|&s| s < 0.0), "{finite:?}");
        answers.push(r.scores);
    }
    if let [a, b] = &answers[..] {
        let worst = a.iter().zip(b).filter(|(x, _)| x.is_finite()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!((worst as f64) < 2.0 * tolerance, "tract vs ort: {worst}");
    }
}
