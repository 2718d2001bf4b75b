//! Every kind of bad input is a specific error (and C status) whose message names the problem:
//! never a panic, never a silent answer.

mod common;

use std::path::Path;

use serde_json::Value;
use trendcast::bars::BarSeries;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::ffi::trendcast_status as S;
use trendcast::model::bundle::sha256_hex;
use trendcast::model::manifest::RelationSpec;
use trendcast::predict::{BarsRef, Dates};
use trendcast::{BackendKind, Error, Model, OpenOptions};
use trendcast_export::export::{DirectionExport, RankingExport, write_ranking, write_ranking_probe};
use trendcast_export::onnx::{LsrIgru, LsrIgruSpec, RankingProbe};

fn tract() -> OpenOptions {
    OpenOptions { backend: BackendKind::Tract, ..Default::default() }
}

/// A test's cases, each checked to the end: the failing ones are reported together when the test
/// ends, instead of the first stopping the rest.
#[derive(Default)]
struct Cases(Vec<String>);

impl Cases {
    /// `r` must fail with `status` and a message containing `words`.
    #[track_caller]
    fn expect(&mut self, r: Result<impl std::fmt::Debug, Error>, status: S, words: &str) {
        let line = std::panic::Location::caller().line();
        match r {
            Ok(v) => self.0.push(format!("line {line}: succeeded with {v:?}, expected {status:?} saying {words:?}")),
            Err(e) if S::from(&e) != status || !e.to_string().contains(words) => {
                self.0.push(format!("line {line}: {:?} {:?}, expected {status:?} saying {words:?}", S::from(&e), e.to_string()))
            }
            Err(_) => {}
        }
    }
}

impl Drop for Cases {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(self.0.is_empty(), "{} failing case(s):\n{}", self.0.len(), self.0.join("\n"));
        }
    }
}

fn edit_manifest(dir: &Path, f: impl FnOnce(&mut Value)) {
    let p = dir.join("manifest.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(p, serde_json::to_string(&v).unwrap()).unwrap();
}

#[test]
fn broken_bundles_are_refused_with_the_reason() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&dir);
        common::models::direction_bundle(&dir, 8, 30);
    };
    cases.expect(Model::open(tmp.path().join("absent"), &tract()), S::Io, "manifest.json");

    fresh();
    std::fs::remove_file(dir.join("model.onnx")).unwrap();
    cases.expect(Model::open(&dir, &tract()), S::Io, "model.onnx");

    fresh();
    let bytes = std::fs::read(dir.join("model.onnx")).unwrap();
    std::fs::write(dir.join("model.onnx"), &bytes[..bytes.len() / 2]).unwrap();
    cases.expect(Model::open(&dir, &tract()), S::Contract, "sha256");
    // Truncated, with a manifest that vouches for the truncated file: the ONNX itself is unreadable.
    let sha = sha256_hex(&bytes[..bytes.len() / 2]);
    edit_manifest(&dir, |m| m["onnx_sha256"] = sha.into());
    cases.expect(Model::open(&dir, &tract()), S::Model, "not a readable ONNX model");

    fresh();
    std::fs::write(dir.join("manifest.json"), "{ not json").unwrap();
    cases.expect(Model::open(&dir, &tract()), S::Contract, "not a valid manifest");

    // A manifest whose window differs from the ONNX graph's.
    fresh();
    edit_manifest(&dir, |m| {
        m["window"] = 20.into();
        m["inputs"][0]["shape"][1] = 20.into();
    });
    cases.expect(Model::open(&dir, &tract()), S::Contract, "model.onnx declares inputs x[batch, 30, 13]");

    fresh();
    edit_manifest(&dir, |m| m["features"][0] = "rsi_14".into());
    cases.expect(Model::open(&dir, &tract()), S::Contract, "features");

    fresh();
    edit_manifest(&dir, |m| m["onnx_file"] = "../elsewhere.onnx".into());
    cases.expect(Model::open(&dir, &tract()), S::Contract, "inside the bundle");

    fresh();
    edit_manifest(&dir, |m| m["library_version"] = "0.99.0".into());
    cases.expect(Model::open(&dir, &tract()), S::Contract, "cannot read");
}

#[test]
fn broken_ranking_bundles_are_refused_with_the_reason() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&dir);
        let probe = RankingProbe { weights: vec![0.1; 5], bias: 0.0 };
        write_ranking_probe(&dir, &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    };
    fresh();
    Model::open(&dir, &tract()).unwrap();
    std::fs::remove_file(dir.join("encoder.onnx")).unwrap();
    cases.expect(Model::open(&dir, &tract()), S::Io, "encoder.onnx");

    // The single-graph form of earlier bundles: refused, with the command that rewrites it.
    fresh();
    edit_manifest(&dir, |m| {
        m.as_object_mut().unwrap().remove("encoder");
    });
    cases.expect(Model::open(&dir, &tract()), S::Contract, "trendcast upgrade-bundle");

    fresh();
    edit_manifest(&dir, |m| m["encoder"]["onnx_file"] = "model.onnx".into());
    cases.expect(Model::open(&dir, &tract()), S::Contract, "must name its own file");

    // The window graph's encodings must be the encoder's.
    fresh();
    edit_manifest(&dir, |m| m["inputs"][0]["shape"][3] = 6.into());
    cases.expect(Model::open(&dir, &tract()), S::Contract, "inputs are encodings[15, 1, nodes, 6]");

    fresh();
    let bytes = std::fs::read(dir.join("encoder.onnx")).unwrap();
    std::fs::write(dir.join("encoder.onnx"), &bytes[..bytes.len() / 2]).unwrap();
    cases.expect(Model::open(&dir, &tract()), S::Contract, "encoder.onnx has sha256");

    // An LSR-IGRU window graph takes each day's encodings in pieces, which must cut the encoder's
    // width exactly and all be there.
    let l = tmp.path().join("l");
    let spec = LsrIgruSpec { encoder_sizes: vec![6, 4], gru_sizes: vec![5, 3], head_hidden: 4, ..LsrIgruSpec::paper() };
    let lsr = || {
        let _ = std::fs::remove_dir_all(&l);
        write_ranking(&l, &LsrIgru::seeded(spec.clone(), 1).unwrap(), &RankingExport::new("lsr")).unwrap();
    };
    lsr();
    Model::open(&l, &tract()).unwrap();
    edit_manifest(&l, |m| m["inputs"][0]["shape"][2] = 6.into());
    cases.expect(Model::open(&l, &tract()), S::Contract, "pieces [6, 5, 5, 3, 3, 3] wide, 25 values in all; the encoder gives 24");
    lsr();
    edit_manifest(&l, |m| {
        m["inputs"].as_array_mut().unwrap().pop();
    });
    cases.expect(Model::open(&l, &tract()), S::Contract, "encodings.d14.p5[1, nodes, 3]");

    // A direction model's manifest cannot declare an encoder.
    let d = tmp.path().join("d");
    common::models::direction_bundle(&d, 8, 30);
    let encoder =
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()["encoder"].clone();
    edit_manifest(&d, |m| m["encoder"] = encoder.clone());
    cases.expect(Model::open(&d, &tract()), S::Contract, "a direction model has one graph");
}

#[test]
fn a_direction_call_on_a_ranking_model_is_refused() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let probe = RankingProbe { weights: vec![0.1; 5], bias: 0.0 };
    write_ranking_probe(tmp.path(), &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let u = generate(&SyntheticSpec::default());
    cases.expect(m.direction(&u.series[..1]), S::WrongKind, "a direction call on the ranking model");
}

#[test]
fn bad_bars_are_refused_with_the_stock_and_date() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    common::models::direction_bundle(tmp.path(), 8, 30);
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let u = generate(&SyntheticSpec { days: 70, ..Default::default() });
    let good = u.series[0].clone();
    let last = good.len() - 1;
    let with = |f: &dyn Fn(&mut BarSeries)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    let two = |bad: BarSeries| m.direction(&[good.clone(), bad]);

    cases.expect(two(with(&|s| s.close[last] = f64::NAN)), S::InvalidBar, "stock #1");
    cases.expect(two(with(&|s| s.open[last] = 0.0)), S::InvalidBar, "open must be positive");
    cases.expect(two(with(&|s| s.low[last] = -2.0)), S::InvalidBar, "low must be positive");
    cases.expect(two(with(&|s| s.high[last] = s.low[last] / 2.0)), S::InvalidBar, "below low");
    cases.expect(two(with(&|s| s.volume[last] = -1.0)), S::InvalidBar, "volume must not be negative");
    cases.expect(two(with(&|s| s.volume[last] = f64::INFINITY)), S::InvalidBar, "volume is not a finite number");
    cases.expect(two(with(&|s| s.dates.swap(last, last - 1))), S::Unsorted, "out of order");
    cases.expect(two(with(&|s| s.dates[last] = s.dates[last - 1])), S::Unsorted, "duplicate date");
    cases.expect(two(with(&|s| s.volume[last - 1] = 0.0)), S::InvalidBar, "not finite");
    let short = good.prefix(m.min_bars() - 2);
    cases.expect(m.direction(&[short]), S::TooLittleHistory, "the model needs at least 50");
    let b = BarsRef::from(&good);
    let ragged = BarsRef { close: &good.close[1..], ..b };
    cases.expect(m.direction(&[ragged]), S::Shape, "close values");
    cases.expect(m.direction::<BarSeries>(&[]), S::Shape, "no stocks");
    let mut out = [0f32; 5];
    cases.expect(m.direction_into(&[good.clone(), good.clone()], &mut out), S::Shape, "output holds 5 values");
    assert_eq!(out, [0.0; 5], "output untouched on failure");
    // An impossible date among the bars read is refused by name (enough bars that the history
    // check cannot be what fails).
    let mut ymd: Vec<i32> = good.dates.iter().map(|d| d.to_string().replace('-', "").parse().unwrap()).collect();
    ymd[last - 5] = 20240230;
    let bad_date = BarsRef { dates: Dates::Yyyymmdd(&ymd), ..BarsRef::from(&good) };
    cases.expect(m.direction(&[bad_date]), S::Parse, "20240230");

    // Rows skipped for a zero volume inside the window are replaced by older complete rows, as in
    // training: the answer is the model on the 30 newest complete feature rows.
    let gap = with(&|s| s.volume[last - 10] = 0.0);
    let complete_rows = |s: &BarSeries| {
        let mut state = trendcast::features::FeatureState::new();
        (0..s.len()).map(|t| state.push(&s.bar(t)).unwrap()).filter(trendcast::features::is_complete).collect::<Vec<_>>()
    };
    let rows = complete_rows(&gap);
    assert!(rows.len() < complete_rows(&good).len(), "the zero volume made a row incomplete");
    let window: Vec<f32> = rows[rows.len() - 30..].iter().flatten().map(|&v| v as f32).collect();
    let mut want = [0f32; 3];
    m.run(&[trendcast::model::TensorIn { shape: &[1, 30, 13], data: &window }], &mut want).unwrap();
    assert_eq!(m.direction(&[gap]).unwrap()[0], want);
}

/// A direction call reads and validates only the trailing `min_bars` bars (trendcast_bars' doc): a
/// broken bar further back changes nothing, one inside them is refused.
#[test]
fn a_direction_call_validates_only_the_bars_it_reads() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    common::models::direction_bundle(tmp.path(), 8, 30);
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let good = generate(&SyntheticSpec { days: 90, ..Default::default() }).series[0].clone();
    let (n, need) = (good.len(), m.min_bars());
    let mut trailing = BarSeries::empty(good.ticker.clone());
    for t in n - need..n {
        trailing.push(good.bar(t)).unwrap();
    }
    let want = m.direction(&[trailing]).unwrap();
    for back in need + 1..=need + 20 {
        let mut s = good.clone();
        s.close[n - back] = f64::NAN;
        assert_eq!(m.direction(&[s]).unwrap(), want, "a NaN close {back} bars back, outside the {need} read");
    }
    let mut s = good.clone();
    s.close[n - need] = f64::NAN;
    cases.expect(m.direction(&[s]), S::InvalidBar, "close");
}

/// Bars that parse and pass the older checks but cannot be real are refused by name on the
/// borrowed (C) path too: a weekend date, a close above high, an open below low, absurd
/// magnitudes.
#[test]
fn implausible_bars_are_refused_on_the_borrowed_path() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    common::models::direction_bundle(tmp.path(), 8, 30);
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let good = generate(&SyntheticSpec { days: 70, ..Default::default() }).series[0].clone();
    let last = good.len() - 1;
    let with = |f: &dyn Fn(&mut BarSeries)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    // The generated bars are on weekdays: the last moved to the Saturday after the one before.
    let saturday = |s: &mut BarSeries| {
        let mut d = s.dates[last - 1];
        while !d.is_weekend() {
            d = trendcast::Date::from_days_since_epoch(d.days_since_epoch() + 1);
        }
        s.dates[last] = d;
    };
    type Edit<'a> = &'a dyn Fn(&mut BarSeries);
    let bad: [(Edit, &str); 6] = [
        (&|s| s.close[last] = s.high[last] * 1.01, "is above high"),
        (&|s| s.open[last] = s.low[last] * 0.9, "is below low"),
        (&|s| s.high[last] = 1e308, "high 1e308 is not a plausible price"),
        (&|s| s.volume[last] = 1e300, "not a plausible volume"),
        (&saturday, "is a Saturday: markets do not trade on weekends"),
        // A close of 1e-300 is named as such, not as a zero volume.
        (&|s| (s.close[last], s.low[last]) = (1e-300, 1e-300), "low 1e-300 is not a plausible price"),
    ];
    for (edit, says) in bad {
        let s = with(edit);
        cases.expect(m.direction(&[good.clone(), s.clone()]), S::InvalidBar, says);
        let ymd: Vec<i32> = s.dates.iter().map(|d| d.yyyymmdd()).collect();
        cases.expect(m.direction(&[trendcast::ffi::trendcast_bars::of_series(&s, &ymd)]), S::InvalidBar, says);
    }
}

/// Scores of +-infinity (as a double beyond float's range becomes when converted) are not "not
/// eligible" (only NaN is): the backtest refuses them naming the day and stock, from Rust and C.
#[test]
fn infinite_backtest_scores_are_refused_naming_the_day_and_stock() {
    use trendcast::backtest::{BacktestSpec, run_on_scores};
    use trendcast::bars::Panel;
    use trendcast::ffi::{trendcast_backtest, trendcast_backtest_metrics, trendcast_bars};
    let u = generate(&SyntheticSpec { days: 40, ..Default::default() });
    let series = &u.series[..4];
    let panel = Panel::from_series(series);
    let dates = &panel.calendar[10..20];
    let mut scores: Vec<f32> = (0..dates.len() * 4).map(|i| (i % 7) as f32).collect();
    scores[5] = f32::NAN;
    run_on_scores(&panel, dates, &scores, BacktestSpec::top_k(2, 0.0)).unwrap();
    let ymd: Vec<Vec<i32>> = series.iter().map(|s| s.dates.iter().map(|d| d.yyyymmdd()).collect()).collect();
    let bars: Vec<trendcast_bars> = series.iter().zip(&ymd).map(|(s, d)| trendcast_bars::of_series(s, d)).collect();
    let days: Vec<i32> = dates.iter().map(|d| d.yyyymmdd()).collect();
    for bad in [f32::INFINITY, f32::NEG_INFINITY, 1e39f64 as f32] {
        let mut s = scores.clone();
        s[3 * 4 + 2] = bad;
        let e = run_on_scores(&panel, dates, &s, BacktestSpec::top_k(2, 0.0)).unwrap_err();
        let says = format!("the score of {} on {} is {bad}", panel.tickers[2], dates[3]);
        assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains(&says), "{e}");
        let mut metrics = trendcast_backtest_metrics { days: 7, ..Default::default() };
        let status =
            trendcast_backtest(bars.as_ptr(), 4, days.as_ptr(), days.len(), s.as_ptr(), 2, 0.0, 0, &mut metrics, std::ptr::null_mut(), 0);
        let message = unsafe { std::ffi::CStr::from_ptr(trendcast::ffi::trendcast_last_error()) }.to_string_lossy().into_owned();
        assert!(status == S::InvalidArgument && message.contains(&format!("on {} is {bad}", dates[3])), "{status:?}: {message}");
        assert_eq!(metrics.days, 7, "metrics untouched");
    }
}

/// A ranking of one stock has no order (its score would be NaN): refused by name through the
/// Rust call, the call with ids, the C call and a live universe; two stocks are ranked.
#[test]
fn a_ranking_of_one_stock_is_refused() {
    use trendcast::bars::Panel;
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let probe = RankingProbe { weights: vec![0.1; 5], bias: 0.0 };
    write_ranking_probe(tmp.path(), &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let u = generate(&SyntheticSpec { days: 120, ..Default::default() });
    let one = &u.series[..1];
    let panel = Panel::from_series(one);
    let date = *panel.calendar.last().unwrap();
    let says = "a ranking needs at least two stocks";
    cases.expect(m.rank(&panel, &u.industries, date), S::InvalidArgument, says);
    cases.expect(trendcast::predict::rank_with_ids(&m, one, &[0], &[0]), S::InvalidArgument, says);
    let two = trendcast::predict::rank_with_ids(&m, &u.series[..2], &[0, 0], &[0, 0]).unwrap();
    assert_eq!(two.order.len(), 2, "{two:?}");
    let tickers = vec![u.series[0].ticker.clone()];
    let live = trendcast::live::LiveUniverse::new(vec![std::sync::Arc::new(m)], u.industries.clone(), tickers);
    cases.expect(live.map(|_| ()), S::InvalidArgument, says);

    use trendcast::ffi::{trendcast_bars, trendcast_model, trendcast_model_free, trendcast_model_open, trendcast_rank};
    let path = std::ffi::CString::new(tmp.path().to_str().unwrap()).unwrap();
    let mut handle: *mut trendcast_model = std::ptr::null_mut();
    assert_eq!(trendcast_model_open(path.as_ptr(), std::ptr::null(), &mut handle), S::Ok);
    let ymd: Vec<i32> = u.series[0].dates.iter().map(|d| d.yyyymmdd()).collect();
    let bars = trendcast_bars::of_series(&u.series[0], &ymd);
    let (mut score, mut order, mut day) = ([7f32], [7usize], 7i32);
    let status = trendcast_rank(handle, &bars, &0, &0, 1, score.as_mut_ptr(), order.as_mut_ptr(), &mut day);
    let message = unsafe { std::ffi::CStr::from_ptr(trendcast::ffi::trendcast_last_error()) }.to_string_lossy().into_owned();
    trendcast_model_free(handle);
    assert!(status == S::InvalidArgument && message.contains(says), "{status:?}: {message}");
    assert_eq!((score, order, day), ([7.0], [7], 7), "outputs untouched");
}

/// A sub-industry id under two sector ids is named by the caller's ids and stocks, not by the
/// internal names the ids become.
#[test]
fn a_sub_industry_in_two_sectors_is_named_by_its_ids() {
    let e = trendcast::predict::industries_from_ids(&[1, 2, 5], &[8, 9, 8]).unwrap_err();
    let says = "sub-industry id 8 appears under two sector ids: 1 (stock #0) and 5 (stock #2)";
    assert!(matches!(e, Error::InvalidArgument { .. }) && e.to_string().contains(says), "{e}");
    assert!(!e.to_string().contains("2147483"), "{e}");
}

/// A last bar whose features are not finite names the feature and why: after a zero volume,
/// volume_change (a close of 1e-300 is refused as a price instead, see above).
#[test]
fn a_feature_that_is_not_finite_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    common::models::direction_bundle(tmp.path(), 8, 30);
    let m = Model::open(tmp.path(), &tract()).unwrap();
    let mut s = generate(&SyntheticSpec { days: 70, ..Default::default() }).series[0].clone();
    let last = s.len() - 1;
    s.volume[last - 1] = 0.0;
    let e = m.direction(&[s]).unwrap_err();
    let says = "a feature of the last bar is not finite: volume_change = inf (the volume of the bar before is 0)";
    assert!(matches!(e, Error::InvalidBar { .. }) && e.to_string().contains(says), "{e}");
}

/// A bundle whose weights are NaN (a diverged training, its sha256 matching) is refused when
/// loaded, naming the weight, instead of answering "down" with NaN probabilities (ort) or the same
/// finite answer for every stock (tract's activations turn NaN into a constant); the export
/// refuses to write one. (Outputs that are not finite fail the call and the open: model::tests.)
#[test]
fn a_bundle_with_nan_weights_is_refused() {
    use trendcast_export::onnx::{Cell, RecurrentClassifier, decode, encode};
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let (direction, ranking) = (tmp.path().join("direction"), tmp.path().join("ranking"));
    let probe = RankingProbe { weights: vec![0.1, f32::NAN, 0.1, 0.1, 0.1], bias: 0.0 };
    let export = write_ranking_probe(&ranking, &probe, &DirectionExport::new("probe", 15), RelationSpec::default());
    cases.expect(export, S::Model, "holds NaN at 1: a model whose weights are not finite cannot answer");
    let mut net = RecurrentClassifier::seeded(Cell::Gru, 13, 8, 3, 42);
    net.weight_hh[5] = f32::NAN;
    let export = trendcast_export::export::write_direction(&direction, &net.clone().into(), &DirectionExport::new("nan", 30));
    cases.expect(export, S::Model, "weight \"R\" holds NaN at ");
    assert!(!direction.join("model.onnx").exists(), "nothing written");

    // The same weights written as a diverged training's exporter would: the sha256 matches.
    common::models::direction_bundle(&direction, 8, 30);
    let path = direction.join("model.onnx");
    let mut proto = decode(&std::fs::read(&path).unwrap()).unwrap();
    let w = proto.graph.as_mut().unwrap().initializer.iter_mut().find(|t| t.name == "R").unwrap();
    w.raw_data[20..24].copy_from_slice(&f32::NAN.to_le_bytes());
    let bytes = encode(&proto);
    std::fs::write(&path, &bytes).unwrap();
    edit_manifest(&direction, |m| m["onnx_sha256"] = sha256_hex(&bytes).into());
    let mut backends = vec![BackendKind::Tract];
    if common::models::ort_available() {
        backends.push(BackendKind::Ort);
    }
    for backend in backends {
        let opts = OpenOptions { backend, ..Default::default() };
        cases.expect(
            Model::open(&direction, &opts),
            S::Model,
            "weight \"R\" holds NaN at 5: a model whose weights are not finite cannot answer",
        );
    }
}

/// A manifest cannot ask for buffers no real model needs (they are made before the model runs, at
/// open for its probe run): a window beyond 10,000 days, encodings beyond 65,536 values per node.
#[test]
fn a_bundle_cannot_ask_for_absurd_buffers() {
    let mut cases = Cases::default();
    let tmp = tempfile::tempdir().unwrap();
    let (direction, ranking) = (tmp.path().join("direction"), tmp.path().join("ranking"));
    common::models::direction_bundle(&direction, 8, 30);
    edit_manifest(&direction, |m| m["window"] = (1u64 << 40).into());
    cases.expect(Model::open(&direction, &tract()), S::Contract, "window 1099511627776: expected 1 to 10000 days");
    let probe = RankingProbe { weights: vec![0.1; 5], bias: 0.0 };
    write_ranking_probe(&ranking, &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    edit_manifest(&ranking, |m| m["encoder"]["outputs"][0]["shape"][3] = 100_000.into());
    cases.expect(Model::open(&ranking, &tract()), S::Contract, "encodings of 1 x 100000 values per node: expected at most 65536");
}
