//! The command line on a generated data set (no shared data needed): direction, info, eval, rank
//! and backtest (the shipped ranking bundle on both backends), and the demo (its summary, --csv and
//! --all) on its synthetic fallback.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trendcast::bars::synthetic::{SyntheticSpec, generate, write_dataset_dir};

fn trendcast(args: &[&str], data: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trendcast")).args(args).arg("--data").arg(data).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A temp folder with a generated data set (`days` weekdays from 2021-06-01, in `data/`) and a
/// small direction bundle (GRU 16, window 30, in `model/`).
struct Fixture {
    tmp: tempfile::TempDir,
    data: std::path::PathBuf,
    model: std::path::PathBuf,
}

fn fixture(days: usize) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = (tmp.path().join("data"), tmp.path().join("model"));
    let u = generate(&SyntheticSpec { days, first_day: trendcast::Date::parse("2021-06-01").unwrap(), ..Default::default() });
    write_dataset_dir(&u, &data).unwrap();
    common::models::direction_bundle(&model, 16, 30);
    Fixture { tmp, data, model }
}

#[test]
fn direction_info_and_eval_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let u = generate(&SyntheticSpec {
        days: 200,
        first_day: trendcast::Date::parse("2021-06-01").unwrap(),
        late_listing_every: 11,
        ..Default::default()
    });
    write_dataset_dir(&u, &data).unwrap();
    let model = tmp.path().join("model");
    common::models::direction_bundle(&model, 16, 30);
    let m = model.to_str().unwrap();

    let (ok, out, err) =
        trendcast(&["direction", "--model", m, "--date", "2022-02-01", "--backend", "tract", "--tickers", "S0U0N0,S1U1N1"], &data);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ticker"], "S0U0N0");
    // The library's own answer for the same stock and day.
    let lib =
        trendcast::Model::open(&model, &trendcast::OpenOptions { backend: trendcast::BackendKind::Tract, ..Default::default() }).unwrap();
    let s = u.get("S0U0N0").unwrap();
    let t = s.dates.binary_search(&trendcast::Date::parse("2022-02-01").unwrap()).unwrap();
    let want = lib.direction(&[trendcast::predict::BarsRef::from(s).prefix(t)]).unwrap()[0];
    let got: Vec<f32> = ["down", "flat", "up"].iter().map(|k| lines[0][k].as_f64().unwrap() as f32).collect();
    assert_eq!(got, want, "CLI vs library");
    let class = ["down", "flat", "up"][trendcast_export::metrics::argmax3(&want)];
    assert_eq!(lines[0]["class"], class);

    let (ok, _, err) = trendcast(&["direction", "--model", m, "--date", "2022-02-01", "--tickers", "NOPE"], &data);
    assert!(!ok && err.contains("no bars for ticker NOPE"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_trendcast")).args(["info", "--model", m, "--backend", "tract"]).output().unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["backend"], "tract");
    assert_eq!(info["execution_provider"], "tract-cpu");
    assert_eq!(info["manifest"]["kind"], "direction");
    assert_eq!(info["min_bars"], 50);

    let (ok, out, err) = trendcast(&["eval", "--model", m, "--from", "2022-01-01", "--to", "2022-03-31", "--backend", "tract"], &data);
    assert!(ok, "{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    let confusion: u64 =
        e["confusion"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap())).sum();
    assert_eq!(confusion, e["samples"].as_u64().unwrap());
    assert!(e["samples"].as_u64().unwrap() > 1000);
    // eval (raw bars through the serving path) against the training path: the dataset's own
    // windows of the same samples, run by the library, give the same confusion matrix.
    use trendcast_export::dataset::{DatasetSpec, DirectionDataset};
    let ds = DirectionDataset::build(&u.series, &DatasetSpec::default()).unwrap();
    let (from, to) = (trendcast::Date::parse("2022-01-01").unwrap(), trendcast::Date::parse("2022-03-31").unwrap());
    let picked: Vec<_> = ds.samples.iter().filter(|s| s.date >= from && s.date <= to).copied().collect();
    let mut want = trendcast_export::metrics::Confusion::default();
    for chunk in picked.chunks(256) {
        let mut x = vec![0f32; chunk.len() * 30 * 13];
        for (s, w) in chunk.iter().zip(x.chunks_exact_mut(30 * 13)) {
            ds.window_f32(s, w);
        }
        let mut p = vec![0f32; chunk.len() * 3];
        lib.run(&[trendcast::model::TensorIn { shape: &[chunk.len(), 30, 13], data: &x }], &mut p).unwrap();
        for (s, p) in chunk.iter().zip(p.chunks_exact(3)) {
            want.add(s.label as usize, trendcast_export::metrics::argmax3(p));
        }
    }
    assert_eq!(e["confusion"], serde_json::to_value(want.counts).unwrap(), "eval vs the training windows");
    let scores = want.scores();
    assert!((e["macro_f1"].as_f64().unwrap() - scores.macro_f1).abs() < 1e-12);
}

/// The demo without data says its market is synthetic and prints a summary a person reads (at most
/// 100 lines for the shipped models); `--csv` holds every stock of every model, each row the
/// library's answer; `--all` prints every stock.
#[test]
fn demo_is_a_summary_and_its_csv_holds_every_stock() {
    use std::collections::{BTreeMap, BTreeSet};
    use trendcast::model::ModelKind;
    let tmp = tempfile::tempdir().unwrap();
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let csv = tmp.path().join("demo.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_trendcast"))
        .args(["demo", "--data", "/nonexistent/sp500", "--models"])
        .arg(&models)
        .arg("--csv")
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("SYNTHETIC market"), "{stdout}");
    assert!(stdout.contains("backend tract"), "{stdout}");
    let lines = stdout.lines().count();
    assert!(lines <= 100, "the demo printed {lines} lines:\n{stdout}");

    // The demo's generated market, and each shipped bundle's answers on its latest day.
    let u =
        generate(&SyntheticSpec { sectors: 11, sub_industries_per_sector: 4, stocks_per_sub_industry: 5, days: 400, ..Default::default() });
    let date = u.series.iter().map(|s| *s.dates.last().unwrap()).max().unwrap();
    let tickers: BTreeSet<&str> = u.series.iter().map(|s| s.ticker.as_str()).collect();
    assert_eq!(tickers.len(), 220);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("model,kind,date,ticker,down,flat,up,class,rank,score"));
    let mut by_model: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 10, "{row}");
        assert_eq!(cells[2], date.to_string(), "{row}");
        assert!(by_model.entry(cells[0]).or_default().insert(cells[3], cells).is_none(), "a stock twice: {row}");
    }
    let tract = trendcast::OpenOptions { backend: trendcast::BackendKind::Tract, ..Default::default() };
    let mut shipped = 0;
    for dir in std::fs::read_dir(&models).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("manifest.json").exists()) {
        shipped += 1;
        let m = trendcast::Model::open(&dir, &tract).unwrap();
        let name = m.manifest().name.as_str();
        assert!(stdout.contains(&format!("model {name} (")), "{name} missing from the summary:\n{stdout}");
        let got = by_model.get(name).unwrap_or_else(|| panic!("{name} missing from the CSV"));
        assert_eq!(got.keys().copied().collect::<BTreeSet<_>>(), tickers, "{name}: every stock");
        match m.kind() {
            ModelKind::Direction => {
                let refs: Vec<trendcast::predict::BarsRef> = u.series.iter().map(trendcast::predict::BarsRef::from).collect();
                let market = m.manifest().reads_market().then(|| trendcast::features::Market::equal_weighted(&u.series).unwrap());
                let want = m.direction_given(&refs, market.as_ref()).unwrap();
                for (s, p) in u.series.iter().zip(&want) {
                    let cells = &got[s.ticker.as_str()];
                    let probs: Vec<f32> = cells[4..7].iter().map(|c| c.parse().unwrap()).collect();
                    assert_eq!((cells[1], probs.as_slice()), ("direction", &p[..]), "{name} {}", s.ticker);
                    assert_eq!(cells[7], ["down", "flat", "up"][trendcast_export::metrics::argmax3(p)]);
                }
            }
            ModelKind::Ranking => {
                let panel = trendcast::bars::Panel::from_series(&u.series);
                let r = m.rank(&panel, &u.industries, date).unwrap();
                for (i, &k) in r.order.iter().enumerate() {
                    let cells = &got[panel.tickers[k].as_str()];
                    assert_eq!((cells[1], cells[8]), ("ranking", (i + 1).to_string().as_str()), "{name} {}", panel.tickers[k]);
                    assert_eq!(cells[9].parse::<f32>().unwrap(), r.scores[k]);
                }
                let top = &panel.tickers[r.order[0]];
                assert!(stdout.contains(&format!("   1. {top}")), "{name}: the top stock {top} is not shown:\n{stdout}");
            }
        }
    }
    assert_eq!(by_model.len(), shipped, "one table per bundle");

    // --all: every stock of a small bundle, one CSV line each.
    let small = tmp.path().join("small");
    common::models::direction_bundle(&small.join("d"), 8, 30);
    let out = Command::new(env!("CARGO_BIN_EXE_trendcast"))
        .args(["demo", "--all", "--data", "/nonexistent/sp500", "--models"])
        .arg(&small)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = stdout
        .lines()
        .filter(|l| l.split(',').count() == 6 && ["down", "flat", "up"].iter().any(|c| l.ends_with(&format!(",{c}"))))
        .count();
    assert_eq!(rows, 220, "{stdout}");
}

/// `backtest` prints its metrics and writes the equity curves as CSV and PNG; the CSV's final net
/// value is the metrics' final_nv.
#[test]
fn backtest_writes_curves_as_csv_and_png() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let u = generate(&SyntheticSpec { days: 150, first_day: trendcast::Date::parse("2022-06-01").unwrap(), ..Default::default() });
    write_dataset_dir(&u, &data).unwrap();
    let (csv, png) = (tmp.path().join("nv.csv"), tmp.path().join("nv.png"));
    let (ok, out, err) = trendcast(
        &[
            "backtest",
            "--baseline",
            "momentum",
            "--from",
            "2022-09-01",
            "--to",
            "2022-12-31",
            "--top",
            "3",
            "--curve",
            csv.to_str().unwrap(),
            "--plot",
            png.to_str().unwrap(),
        ],
        &data,
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let last: Vec<&str> = text.lines().last().unwrap().split(',').collect();
    assert_eq!(text.lines().count() as u64, 1 + v["metrics"]["days"].as_u64().unwrap());
    assert!((last[1].parse::<f64>().unwrap() - v["metrics"]["final_nv"].as_f64().unwrap()).abs() < 1e-12);
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
}

/// `rank` and `backtest` with the shipped ranking bundle, on both backends: `rank`'s top stocks
/// and scores are the Rust API's on the same data, and `backtest` scores the model it was given.
#[test]
fn rank_and_backtest_run_the_shipped_ranking_bundle_on_both_backends() {
    use trendcast::bars::{LoadOptions, Panel, load_dataset_dir};
    use trendcast::{BackendKind, Model, OpenOptions};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let u = generate(&SyntheticSpec { days: 160, first_day: trendcast::Date::parse("2022-06-01").unwrap(), ..Default::default() });
    write_dataset_dir(&u, &data).unwrap();
    let model = common::native::root().join("models/lsr-igru");
    let m = model.to_str().unwrap();
    let loaded = load_dataset_dir(&data, &LoadOptions::default()).unwrap();
    let panel = Panel::from_series(&loaded.series);
    let date = *panel.calendar.last().unwrap();
    let mut backends = vec![("tract", BackendKind::Tract)];
    if common::models::ort_available() {
        backends.push(("ort", BackendKind::Ort));
    }
    for (name, backend) in backends {
        let want =
            Model::open(&model, &OpenOptions { backend, ..Default::default() }).unwrap().rank(&panel, &loaded.industries, date).unwrap();
        let (ok, out, err) = trendcast(&["rank", "--model", m, "--date", &date.to_string(), "--top", "5", "--backend", name], &data);
        assert!(ok, "{name}: {err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["scored"].as_u64().unwrap() as usize, want.order.len(), "{name}");
        let top = v["top"].as_array().unwrap();
        assert_eq!(top.len(), 5, "{name}");
        for (row, &k) in top.iter().zip(&want.order) {
            assert_eq!(row["ticker"].as_str().unwrap(), panel.tickers[k], "{name}: {out}");
            assert!((row["score"].as_f64().unwrap() - want.scores[k] as f64).abs() < 1e-6, "{name}: {out}");
        }
        let (ok, out, err) =
            trendcast(&["backtest", "--model", m, "--from", "2022-10-01", "--to", "2022-12-31", "--top", "5", "--backend", name], &data);
        assert!(ok, "{name}: {err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let shipped_name = Model::open(&model, &OpenOptions { backend, ..Default::default() }).unwrap().manifest().name.clone();
        assert_eq!(v["model"].as_str().unwrap(), shipped_name, "{name}");
        // The same decision days scored here through the Rust API: each day's Spearman correlation
        // of the scores with the next open-to-open return (the stocks with both; no tied scores),
        // averaged, is the CLI's rank IC; the day count is the range's trading days.
        let lib = Model::open(&model, &OpenOptions { backend, ..Default::default() }).unwrap();
        let (from, to) = (trendcast::Date::parse("2022-10-01").unwrap(), trendcast::Date::parse("2022-12-31").unwrap());
        let days: Vec<usize> = (0..panel.n_days()).filter(|&d| panel.calendar[d] >= from && panel.calendar[d] <= to).collect();
        let ranks = |x: &[f64]| -> Vec<f64> {
            let mut order: Vec<usize> = (0..x.len()).collect();
            order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
            let mut r = vec![0.0; x.len()];
            order.iter().enumerate().for_each(|(place, &i)| r[i] = place as f64);
            r
        };
        let pearson = |a: &[f64], b: &[f64]| {
            let (ma, mb) = (a.iter().sum::<f64>() / a.len() as f64, b.iter().sum::<f64>() / b.len() as f64);
            let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
            cov / (a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() * b.iter().map(|y| (y - mb).powi(2)).sum::<f64>()).sqrt()
        };
        let mut daily = Vec::new();
        for &d in &days {
            let scores = lib.rank(&panel, &loaded.industries, panel.calendar[d]).unwrap().scores;
            let (x, y): (Vec<f64>, Vec<f64>) = (0..panel.n_tickers())
                .map(|k| (f64::from(scores[k]), panel.open_of(k)[d + 2] / panel.open_of(k)[d + 1] - 1.0))
                .filter(|(s, r)| s.is_finite() && r.is_finite())
                .unzip();
            daily.push(pearson(&ranks(&x), &ranks(&y)));
        }
        let want = daily.iter().sum::<f64>() / daily.len() as f64;
        assert_eq!(v["metrics"]["days"].as_u64().unwrap() as usize, days.len(), "{name}: {out}");
        let got = v["metrics"]["rank_ic"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{name}: the CLI's rank IC {got} against {want} computed here");
    }
}

/// Inputs that used to give an empty or absurd answer with exit 0 are refused with a message that
/// names the problem: a day without bars, a ranking model given to `direction`, an evaluation or
/// backtest range without samples or backwards, a cost that is not a sane cost, an unknown
/// strategy. Every case is run and every failure reported.
#[test]
fn commands_refuse_ranges_days_models_and_costs_that_give_no_answer() {
    let Fixture { tmp: _tmp, data, model } = fixture(200);
    let (m, ranking) = (model.to_str().unwrap(), common::native::root().join("models/lsr-igru"));
    let r = ranking.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        // 2022-01-01 is a Saturday: the generated market trades on weekdays only.
        (&["direction", "--model", m, "--date", "2022-01-01", "--backend", "tract"], "no stock has a bar on 2022-01-01"),
        (&["direction", "--model", m, "--date", "2030-01-02", "--backend", "tract"], "not a trading day of the data"),
        (&["direction", "--model", r, "--date", "2022-02-01", "--backend", "tract"], "needs a direction model"),
        (&["eval", "--model", m, "--from", "2003-01-01", "--to", "2009-12-31", "--backend", "tract"], "no samples from 2003-01-01"),
        (&["eval", "--model", m, "--from", "2022-02-01", "--to", "2021-12-31", "--backend", "tract"], "is after --to"),
        (&["backtest", "--baseline", "reversal", "--from", "2022-02-01", "--to", "2021-12-31"], "is after --to"),
        (&["backtest", "--baseline", "reversal", "--from", "2030-01-01", "--to", "2030-12-31"], "no decision day from 2030-01-01"),
        // A range that ends before the data starts (2021-06-01) has no decision day either.
        (
            &["backtest", "--baseline", "momentum", "--from", "2021-05-28", "--to", "2021-05-31"],
            "no decision day from 2021-05-28 to 2021-05-31 with two trading days after it (the data runs 2021-06-01 to",
        ),
        (&["rank", "--model", r, "--date", "2021-10-01", "--top", "0", "--backend", "tract"], "--top must be at least 1"),
        (&["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-12-31", "--cost-bps", "NaN"], "bps per side"),
        (&["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-12-31", "--cost-bps=-1"], "bps per side"),
        (&["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-12-31", "--cost-bps", "1e6"], "bps per side"),
        (&["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-12-31", "--strategy", "dropout:0"], "dropout:N"),
    ];
    let mut failures = Vec::new();
    for (args, says) in cases {
        let (ok, out, err) = trendcast(args, &data);
        if ok || !err.contains(says) {
            failures.push(format!("{args:?}: exit ok {ok}, stdout {out:?}, stderr {err:?} (expected a failure saying {says:?})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The turnover-limited strategy runs and trades less than the daily rebalance.
    let turnover = |strategy: &str| {
        let (ok, out, err) =
            trendcast(&["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-12-31", "--strategy", strategy], &data);
        assert!(ok, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["strategy"], strategy);
        v["metrics"]["turnover"].as_f64().unwrap()
    };
    let (every_day, limited) = (turnover("rebalance"), turnover("dropout:1"));
    assert!(limited < every_day && limited < 0.2, "{limited} vs {every_day}");
}

/// Errors name the input and what would be accepted (issue 17's "messages that do not help"), and
/// a CSV header padded with spaces is read as written without them.
#[test]
fn messages_name_the_input_and_what_would_be_accepted() {
    let Fixture { tmp, data, model } = fixture(120);
    let m = model.to_str().unwrap();
    let folder = tmp.path().to_str().unwrap().to_string();
    let png_in_folder = format!("{folder}/missing/plot.png");
    let jpg = format!("{folder}/plot.jpg");
    let bt = ["backtest", "--baseline", "reversal", "--from", "2021-09-01", "--to", "2021-10-29"];
    let with = |extra: &[&'static str]| -> Vec<&str> { bt.iter().copied().chain(extra.iter().copied()).collect() };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["backtest", "--baseline", "foo", "--from", "2021-09-01", "--to", "2021-10-29"],
            "no signal named \"foo\": expected one of reversal-1d, intraday-reversal",
        ),
        (vec!["direction", "--model", m, "--date", "2021-10-29", "--backend", "onnx"], "[possible values: auto, ort, tract]"),
        ([with(&["--curve"]), vec![png_in_folder.as_str()]].concat(), "missing does not exist"),
        ([with(&["--plot"]), vec![folder.as_str()]].concat(), "is a folder; name a file ending in .png"),
        ([with(&["--plot"]), vec![jpg.as_str()]].concat(), "name one ending in .png"),
    ];
    let mut failures = Vec::new();
    for (args, says) in &cases {
        let (ok, out, err) = trendcast(args, &data);
        if ok || !err.contains(says) {
            failures.push(format!("{args:?}: exit ok {ok}, stdout {out:?}, stderr {err:?} (expected a failure saying {says:?})"));
        }
    }
    // An ONNX Runtime that is not a library: the loader's own reason, not just "dlopen failed".
    let fake = tmp.path().join("libonnxruntime.so");
    std::fs::write(&fake, "not a library\n".repeat(400)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trendcast"))
        .args(["info", "--model", m, "--backend", "ort"])
        .env("TRENDCAST_ORT_LIB", &fake)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || !err.contains("invalid ELF header") {
        failures.push(format!("ONNX Runtime from a text file: {err:?} (expected the loader's reason)"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Padded names in both headers (and padded cells) read as the unpadded file does.
    let (ok, plain, err) = trendcast(&["direction", "--model", m, "--date", "2021-10-29", "--backend", "tract"], &data);
    assert!(ok, "{err}");
    for file in ["bars_synthetic.csv", "industries.csv"] {
        let p = data.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        let (header, rest) = text.split_once('\n').unwrap();
        std::fs::write(&p, format!("{}\n{rest}", header.split(',').map(|h| format!(" {h} ")).collect::<Vec<_>>().join(","))).unwrap();
    }
    let (ok, padded, err) = trendcast(&["direction", "--model", m, "--date", "2021-10-29", "--backend", "tract"], &data);
    assert!(ok, "padded headers: {err}");
    assert_eq!(padded, plain);
}

/// Exit codes: 2 for a usage error (clap), 1 for a command that fails (a missing model, a model of
/// the wrong kind, a day without bars), 0 for one that answers.
#[test]
fn exit_codes_tell_usage_errors_from_failed_commands() {
    let Fixture { tmp, data, model } = fixture(100);
    let (m, ranking) = (model.to_str().unwrap(), common::native::root().join("models/lsr-igru"));
    let missing = tmp.path().join("no-such-model");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["direction", "--model", m, "--date", "2021-10-01", "--no-such-flag"], 2, "unexpected argument"),
        (vec!["direction", "--model", m], 2, "--date"),
        (vec!["direction", "--model", missing.to_str().unwrap(), "--date", "2021-10-01", "--backend", "tract"], 1, "manifest.json"),
        (
            vec!["direction", "--model", ranking.to_str().unwrap(), "--date", "2021-10-01", "--backend", "tract"],
            1,
            "needs a direction model",
        ),
        (vec!["direction", "--model", m, "--date", "2021-10-02", "--backend", "tract"], 1, "no stock has a bar on 2021-10-02"),
        (vec!["direction", "--model", m, "--date", "2021-10-01", "--backend", "tract"], 0, ""),
    ];
    let mut failures = Vec::new();
    for (args, code, says) in &cases {
        let out = Command::new(env!("CARGO_BIN_EXE_trendcast")).args(args).arg("--data").arg(&data).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(*code) || !err.contains(says) {
            failures.push(format!("{args:?}: exit {:?}, stderr {err:?} (expected exit {code} saying {says:?})", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--on-bad-bar`: one bar with high and low swapped stops the load by default (naming the row),
/// is dropped with `skip` and repaired with `repair`, each row reported on stderr or in a file.
#[test]
fn a_bad_bar_fails_the_load_or_is_skipped_or_repaired_as_asked() {
    let Fixture { tmp, data, model } = fixture(100);
    let m = model.to_str().unwrap();
    // Line 81 of the file (a bar of the first stock within the 50 its 2021-10-01 answer reads):
    // swap its high (column 4) and low (column 5).
    let bars = data.join("bars_synthetic.csv");
    let text = std::fs::read_to_string(&bars).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[80].split(',').map(String::from).collect();
    cells.swap(3, 4);
    let ticker = cells[1].clone();
    lines[80] = cells.join(",");
    std::fs::write(&bars, lines.join("\n") + "\n").unwrap();
    let args = ["direction", "--model", m, "--date", "2021-10-01", "--backend", "tract"];

    let (ok, _, err) = trendcast(&args, &data);
    assert!(!ok && err.contains("line 81") && err.contains(&format!("ticker {ticker}")) && err.contains("below low"), "{err}");

    let (ok, skipped, err) = trendcast(&[&args[..], &["--on-bad-bar", "skip"]].concat(), &data);
    assert!(ok, "{err}");
    assert!(err.contains("dropped: file") && err.contains("line 81") && err.contains("1 bar rows dropped or repaired"), "{err}");

    let report = tmp.path().join("bad-bars.txt");
    let (ok, repaired, err) =
        trendcast(&[&args[..], &["--on-bad-bar", "repair", "--bad-bar-report", report.to_str().unwrap()]].concat(), &data);
    assert!(ok, "{err}");
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(written.starts_with("repaired: file") && written.contains("line 81"), "{written}");
    // Repaired, the bar is the original one: the answers equal those on the untouched data.
    std::fs::write(&bars, text).unwrap();
    let (ok, original, err) = trendcast(&args, &data);
    assert!(ok, "{err}");
    assert_eq!(repaired, original);
    assert_ne!(skipped, original, "a dropped bar changes the stock's features");
}

/// A bar dated on a weekend is a bad bar like the others: it stops the load by default (naming the
/// row and the day), and `skip` drops it and answers as the data without it does.
#[test]
fn a_weekend_bar_is_a_bad_bar() {
    let Fixture { tmp: _tmp, data, model } = fixture(100);
    let m = model.to_str().unwrap();
    let args = ["direction", "--model", m, "--date", "2021-10-01", "--backend", "tract"];
    let (ok, original, err) = trendcast(&args, &data);
    assert!(ok, "{err}");
    // A copy of the first stock's Friday 2021-10-01 bar, dated the Sunday after, right after it.
    let bars = data.join("bars_synthetic.csv");
    let text = std::fs::read_to_string(&bars).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines.iter().position(|l| l.starts_with("2021-10-01,")).unwrap();
    lines.insert(at + 1, lines[at].replacen("2021-10-01", "2021-10-03", 1));
    std::fs::write(&bars, lines.join("\n") + "\n").unwrap();

    let (ok, _, err) = trendcast(&args, &data);
    assert!(!ok && err.contains(&format!("line {}", at + 2)) && err.contains("2021-10-03 is a Sunday"), "{err}");
    let (ok, skipped, err) = trendcast(&[&args[..], &["--on-bad-bar", "skip"]].concat(), &data);
    assert!(ok && err.contains("dropped: file") && err.contains("is a Sunday"), "{err}");
    assert_eq!(skipped, original);
}

/// eval scores any range that has windows and labels, whatever the data's years (here 1995-2005,
/// before the built-in 2010-2024 splits); `dataset`, whose splits are those years, says why it has
/// no sample instead of reporting zeros.
#[test]
fn eval_scores_another_era_and_dataset_says_why_it_has_no_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let u = generate(&SyntheticSpec { days: 2870, first_day: trendcast::Date::parse("1995-01-02").unwrap(), ..Default::default() });
    assert_eq!(u.series[0].dates.last().unwrap().year(), 2005);
    write_dataset_dir(&u, &data).unwrap();
    let model = tmp.path().join("model");
    common::models::direction_bundle(&model, 16, 30);
    let m = model.to_str().unwrap();
    let (ok, out, err) = trendcast(&["eval", "--model", m, "--from", "2005-01-01", "--to", "2005-06-30", "--backend", "tract"], &data);
    assert!(ok, "{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    // Every stock has a full window and a label on each day of the range: 48 stocks a day.
    let (from, to) = (trendcast::Date::parse("2005-01-01").unwrap(), trendcast::Date::parse("2005-06-30").unwrap());
    let days = u.series[0].dates.iter().filter(|&&d| d >= from && d <= to).count() as u64;
    assert_eq!(e["samples"].as_u64().unwrap(), 48 * days, "{e}");
    let (ok, _, err) = trendcast(&["dataset"], &data);
    assert!(!ok, "dataset answered on data outside its splits");
    assert!(
        err.contains("no samples in any split") && err.contains("train 2010-01-01 to 2018-12-31") && err.contains("1995-01-02 to 2005-"),
        "{err}"
    );
}
