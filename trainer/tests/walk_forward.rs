//! The walk-forward end to end on a generated market: two test years, two seeds, one epoch each;
//! the runs' folders, a second call that skips them, a student distilled from the row's runs, the
//! report with the ensemble and the baselines; then a seed ensemble of three trained members
//! exported as one bundle (parity gate) and ranking through `Model::rank` on both backends, and a
//! student distilled from it, exported and ranking as well.

use trendcast::backtest::Strategy;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::model::manifest::DateRange;
use trendcast::relations::NodeFeatures;
use trendcast::{BackendKind, Date, Model, OpenOptions};
use trendcast_export::onnx::{EncoderKind, LsrIgruSpec};
use trendcast_trainer::config::{RankLoss, RankingConfig, Selection, TeacherRuns};
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
    let mut data = ranking::Data::new(&u, &cfg).unwrap();
    let (device, _) = trendcast_trainer::device::pick(true);
    let plan = walk_forward::Plan { years: vec![2019, 2020], seeds: vec![1, 2], train_from: None, train_years: None };
    let out = tempfile::tempdir().unwrap();
    walk_forward::train_all(&cfg, "tiny", &mut data, &plan, out.path(), device).unwrap();
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
            assert!(dir.join("weights.ot").exists(), "a finished run keeps its weights, to teach");
        }
    }
    // A student of the row, one seed per year, learns the row's two seeds of the same year; the
    // labels are the data's own again afterwards. A teacher seed that was not trained is named.
    let hard = data.labels.clone();
    let teacher = |seeds: Vec<u64>| Some(TeacherRuns { row: "tiny".into(), seeds });
    let student = RankingConfig { name: "tiny-student".into(), teacher: teacher(vec![1, 2]), ..cfg.clone() };
    let one_seed = walk_forward::Plan { seeds: vec![1], ..plan.clone() };
    walk_forward::train_all(&student, "tiny-student", &mut data, &one_seed, out.path(), device).unwrap();
    assert!(data.labels.iter().zip(&hard).all(|(a, b)| a.to_bits() == b.to_bits()), "the labels are restored");
    let run = std::fs::read_to_string(walk_forward::run_dir(out.path(), "tiny-student", 2020, 1).join("run.json")).unwrap();
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    assert_eq!(run["config"]["teacher"], serde_json::json!({"row": "tiny", "seeds": [1, 2]}));
    let orphan = RankingConfig { name: "orphan".into(), teacher: teacher(vec![1, 3]), ..cfg.clone() };
    let err = walk_forward::train_all(&orphan, "orphan", &mut data, &one_seed, out.path(), device).unwrap_err().to_string();
    assert!(err.contains("tiny/2019/s3") && err.contains("has not finished"), "{err}");
    assert!(data.labels.iter().zip(&hard).all(|(a, b)| a.to_bits() == b.to_bits()), "restored after a failure too");
    std::fs::remove_dir_all(out.path().join("orphan")).unwrap();
    // A second call finds every run done and trains nothing.
    let stamp = |y, s| std::fs::metadata(walk_forward::run_dir(out.path(), "tiny", y, s).join("run.json")).unwrap().modified().unwrap();
    let before = stamp(2020, 2);
    walk_forward::train_all(&cfg, "tiny", &mut data, &plan, out.path(), device).unwrap();
    assert_eq!(stamp(2020, 2), before);

    let strategies = [Strategy::Rebalance, Strategy::Dropout { max_swaps: 2 }];
    let kept_dir = tempfile::tempdir().unwrap();
    let kept = kept_dir.path().join("kept.json");
    let table = walk_forward::report(out.path(), &data, 5, &strategies, None, Some(&kept)).unwrap();
    for row in ["tiny", "tiny ensemble", "tiny-student", "baseline: reversal 1d", "baseline: momentum 20d"] {
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
    // The seeds' spread on validation: the std of the two seeds' means over the years.
    let per_seed: Vec<f64> = (0..2).map(|i| table["tiny"].iter().map(|r| r.seed_validation[i]).sum::<f64>() / 2.0).collect();
    let spread = walk_forward::seed_spread(&table["tiny"]).unwrap();
    assert!((spread - (per_seed[0] - per_seed[1]).abs() / 2f64.sqrt()).abs() < 1e-12 && spread > 0.0, "{spread} {per_seed:?}");
    assert!(walk_forward::seed_spread(&table["tiny ensemble"]).is_none() && walk_forward::seed_spread(&table["tiny-student"]).is_none());
    let md = walk_forward::markdown(&table, &strategies);
    assert!(md.contains("| tiny ensemble |") && md.contains("`dropout:2`, 5 bps"), "{md}");
    // A row of one seed is one ranking, which the paired test compares; a mean over seeds is none.
    let rank_ic_line = |row: &str| md.lines().find(|l| l.starts_with(&format!("| {row} |"))).unwrap().to_string();
    assert!(rank_ic_line("tiny-student").contains('['), "{md}");
    assert!(!rank_ic_line("tiny").contains('['), "{md}");
    // The runs of 2020 gone (a new machine): the kept rows stand in for them, and the report is
    // the same to the last digit, paired tests included; a report with other settings is refused.
    let gone = tempfile::tempdir().unwrap();
    for row in ["tiny", "tiny-student"] {
        std::fs::rename(out.path().join(row).join("2020"), gone.path().join(row)).unwrap();
    }
    let again = walk_forward::report(out.path(), &data, 5, &strategies, None, Some(&kept)).unwrap();
    assert_eq!(walk_forward::markdown(&again, &strategies), md);
    assert!(md.contains('*') || md.contains('['), "paired intervals: {md}");
    let err = walk_forward::report(out.path(), &data, 5, &strategies[..1], None, Some(&kept)).unwrap_err().to_string();
    assert!(err.contains("same options"), "{err}");
    for row in ["tiny", "tiny-student"] {
        std::fs::rename(gone.path().join(row), out.path().join(row).join("2020")).unwrap();
    }
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
    // A student distilled from the three members (as `ranking-ensemble --student-config` does)
    // exports as one model, passes the parity gate and ranks the same stocks.
    let mut data = data;
    let nets: Vec<&trendcast_trainer::lsr_igru::Net> = members.iter().map(|m| &m.net).collect();
    let student_cfg = RankingConfig { name: "wf-student".into(), ..cfg.clone() };
    let students = ranking::distil(&nets, &cfg, &student_cfg, &[7], &mut data, device).unwrap();
    let student_dir = tempfile::tempdir().unwrap();
    let (diff, _) = ranking::export(&students[0], &student_cfg, &data, student_dir.path(), device).unwrap();
    assert!(diff < 1e-5, "{diff}");
    let m = Model::open(student_dir.path(), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    let r = m.rank(&panel, &u.industries, date).unwrap();
    let scored = |s: &[f32]| s.iter().map(|v| v.is_finite()).collect::<Vec<_>>();
    assert_eq!(scored(&r.scores), scored(&answers[0]), "the student scores the stocks its teacher scores");
}
