//! The bindings (bindings/): the Python package's pytest suite, the C++17 wrapper's test program,
//! the C++ execution-loop example, and the four README examples (C, C++, Python, Rust), each run on
//! fixtures written here and checked against the Rust API.
//!
//! Python runs only when TRENDCAST_PYTHON names an interpreter with the package, numpy, pandas and
//! pytest installed (scripts/test.sh sets it up in .deps/venv); otherwise those tests print SKIPPED.

mod common;

use common::native::{lib_dir, root, yyyymmdd};

use std::path::{Path, PathBuf};
use std::process::Command;

use trendcast::bars::synthetic::{SyntheticSpec, generate, write_dataset_dir};
use trendcast::bars::{Panel, Universe};
use trendcast::model::manifest::RelationSpec;
use trendcast::predict::{BarsRef, Dates};
use trendcast::{BackendKind, Model, OpenOptions};
use trendcast_export::export::{DirectionExport, write_ranking_probe};
use trendcast_export::onnx::RankingProbe;

fn tract() -> OpenOptions {
    OpenOptions { backend: BackendKind::Tract, ..Default::default() }
}

/// A direction bundle, a ranking bundle and a synthetic market, written into a temporary directory:
/// `direction/`, `ranking/`, `data/` (bars_synthetic.csv + industries.csv, the shared layout) and
/// `bars.csv` (stock,yyyymmdd,open,high,low,close,volume: the C test programs' format).
struct Fixtures {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    universe: Universe,
}

impl Fixtures {
    fn new() -> Fixtures {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        common::models::direction_bundle(&dir.join("direction"), 16, 30);
        let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
        write_ranking_probe(&dir.join("ranking"), &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
        // 48 stocks over 200 weekdays; every 9th lists a fifth of the way in.
        let universe = generate(&SyntheticSpec { days: 200, late_listing_every: 9, ..Default::default() });
        write_dataset_dir(&universe, &dir.join("data")).unwrap();
        common::native::write_bars_csv(&dir.join("bars.csv"), &universe);
        Fixtures { _tmp: tmp, dir, universe }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Direction probabilities of every stock as of its last bar, from the Rust API (tract).
    fn direction(&self) -> Vec<[f32; 3]> {
        Model::open(self.path("direction"), &tract()).unwrap().direction(&self.universe.series).unwrap()
    }
}

/// Compiles `sources` with -Wall -Wextra -Werror against include/ (+ `includes`) and the built library.
fn compile(compiler: &str, std: &str, sources: &[PathBuf], out: &Path, includes: &[PathBuf], extra: &[&str]) {
    let lib = lib_dir();
    let mut cmd = Command::new(compiler);
    cmd.args([std, "-Wall", "-Wextra", "-Werror", "-O1", "-g"]).args(extra).arg("-I").arg(root().join("include"));
    for i in includes {
        cmd.arg("-I").arg(i);
    }
    cmd.args(sources).arg("-o").arg(out).arg("-L").arg(&lib).arg(format!("-Wl,-rpath,{}", lib.display())).args([
        "-ltrendcast",
        "-lm",
        "-pthread",
    ]);
    let status = cmd.status().unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(status.success(), "{compiler} failed on {sources:?}");
}

/// Runs a program; returns its stdout, failing the test (with both streams) on a non-zero exit.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status);
    stdout
}

/// The Python interpreter to test with, or None (with a SKIPPED line) when TRENDCAST_PYTHON is unset.
fn python() -> Option<PathBuf> {
    match std::env::var_os("TRENDCAST_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("SKIPPED: TRENDCAST_PYTHON is not set (scripts/test.sh sets up .deps/venv and sets it)");
            None
        }
    }
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol || (g.is_nan() && w.is_nan()), "{what}[{i}]: {g} vs {w}");
    }
}

// --- Python ---------------------------------------------------------------------------------------

/// The trainer binary beside the test binaries' folder (target/<profile>/trendcast-train), or None
/// with a SKIPPED line. `cargo test --workspace` (scripts/test.sh) builds it, since the trainer
/// crate has integration tests; a test of the root package alone builds it not, and may find an
/// older one. It needs libtorch on LD_LIBRARY_PATH (scripts/env.sh), which the Python tests and
/// their Dask workers pass on to it. TRENDCAST_REQUIRE_TRAINER (scripts/test.sh) fails instead.
fn trainer() -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("trendcast-train");
    if path.exists() {
        return Some(path);
    }
    let why = format!("{} is not built (cargo test --release --workspace builds it)", path.display());
    assert!(std::env::var_os("TRENDCAST_REQUIRE_TRAINER").is_none(), "TRENDCAST_REQUIRE_TRAINER is set but {why}");
    eprintln!("SKIPPED the walk-forward on Dask: {why}");
    None
}

#[test]
fn python_package_passes_pytest() {
    let Some(py) = python() else { return };
    let f = Fixtures::new();
    // The walk-forward on Dask's market: trainer/tests/walk_forward.rs's, four years of weekdays
    // (2017 and 2018 train and validate the first test year, 2019).
    let market = generate(&SyntheticSpec {
        days: 4 * 261,
        first_day: trendcast::Date::parse("2017-01-02").unwrap(),
        late_listing_every: 7,
        ..Default::default()
    });
    write_dataset_dir(&market, &f.path("walk-forward-data")).unwrap();
    let mut cmd = Command::new(&py);
    if let Some(trainer) = trainer() {
        cmd.env("TRENDCAST_TRAINER", trainer);
    }
    let out = run(cmd
        .args(["-m", "pytest", "-q", "-rs"])
        .arg(root().join("bindings/python/tests"))
        .current_dir(root())
        .env("TRENDCAST_LIB", lib_dir().join("libtrendcast.so"))
        .env("TRENDCAST_CLI", env!("CARGO_BIN_EXE_trendcast"))
        .env("TRENDCAST_TEST_DIRECTION_MODEL", f.path("direction"))
        .env("TRENDCAST_TEST_RANKING_MODEL", f.path("ranking"))
        .env("TRENDCAST_TEST_SHIPPED_MODELS", root().join("models"))
        .env("TRENDCAST_TEST_DATA", f.path("data"))
        .env("TRENDCAST_TEST_WALK_FORWARD_DATA", f.path("walk-forward-data"))
        .env("TRENDCAST_TEST_REQUIRE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1"));
    println!("{out}");
    assert!(out.contains(" passed"), "{out}");
}

/// The research example (features, a backtest of a Python signal, a model's ranking inputs, a Dask
/// sweep on two local worker processes) gives the CLI's backtests.
#[test]
fn python_research_example_matches_the_cli() {
    let Some(py) = python() else { return };
    let f = Fixtures::new();
    let out = run(Command::new(&py)
        .arg(root().join("bindings/examples/research.py"))
        .arg(f.path("data"))
        .arg(f.path("ranking"))
        .env("TRENDCAST_LIB", lib_dir().join("libtrendcast.so"))
        .env("PYTHONDONTWRITEBYTECODE", "1"));
    let cli = |args: &[&str]| -> serde_json::Value {
        let out = run(Command::new(env!("CARGO_BIN_EXE_trendcast")).arg("backtest").arg("--data").arg(f.path("data")).args(args));
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["metrics"].clone()
    };
    let lines: Vec<&str> = out.lines().collect();
    let reversal = cli(&[
        "--baseline",
        "reversal",
        "--from",
        "2020-03-02",
        "--to",
        "2099-01-01",
        "--top",
        "5",
        "--cost-bps",
        "5",
        "--strategy",
        "dropout:2",
    ]);
    let v: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(v[0], "reversal", "{out}");
    assert_eq!(v[1].parse::<u64>().unwrap(), reversal["days"].as_u64().unwrap(), "{out}");
    // serde_json reads floats to within an ulp; the numbers are the same computation.
    let same = |text: &str, key: &str| (text.parse::<f64>().unwrap() - reversal[key].as_f64().unwrap()).abs() <= 1e-14;
    assert!(same(v[2], "arr") && same(v[3], "rank_ic"), "{out}\n{reversal}");
    assert!(same(lines[1].strip_prefix("final net value ").unwrap(), "final_nv"), "{out}\n{reversal}");
    assert!(lines[2].starts_with("nodes ") && lines[2].contains("A_S (15, "), "{out}");
    // The sweep's rows: top_k, cost_bps, days, arr, rank_ic (printed to 6 decimals).
    let rows: Vec<Vec<&str>> = lines[4..].iter().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 4, "{out}");
    for r in rows {
        let want = cli(&[
            "--model",
            f.path("ranking").to_str().unwrap(),
            "--from",
            "2020-05-01",
            "--to",
            "2020-08-31",
            "--top",
            r[0],
            "--cost-bps",
            r[1],
        ]);
        assert_eq!(r[2].parse::<u64>().unwrap(), want["days"].as_u64().unwrap(), "{out}");
        assert!((r[3].parse::<f64>().unwrap() - want["arr"].as_f64().unwrap()).abs() < 1e-6, "{out}\n{want}");
        assert!((r[4].parse::<f64>().unwrap() - want["rank_ic"].as_f64().unwrap()).abs() < 1e-6, "{out}\n{want}");
    }
}

#[test]
fn python_readme_example_matches_rust() {
    let Some(py) = python() else { return };
    let f = Fixtures::new();
    let out = run(Command::new(&py)
        .arg(root().join("bindings/examples/example.py"))
        .arg(f.path("direction"))
        .arg(f.path("data/bars_synthetic.csv"))
        .env("TRENDCAST_LIB", lib_dir().join("libtrendcast.so"))
        .env("PYTHONDONTWRITEBYTECODE", "1"));
    let want = f.direction();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), f.universe.series.len(), "{out}");
    for ((line, s), w) in lines.iter().zip(&f.universe.series).zip(&want) {
        let v: Vec<&str> = line.split(' ').collect();
        assert_eq!(v[0], s.ticker, "{line}");
        let got: Vec<f32> = [v[2], v[4], v[6]].iter().map(|x| x.parse().unwrap()).collect();
        assert_close(&got, w, 2e-6, &s.ticker);
    }
}

// --- C++ ------------------------------------------------------------------------------------------

/// The C++ wrapper's test program (bindings/cpp/tests/wrapper_test.cpp), built with the pedantic
/// warnings as errors, beside the fixtures.
fn wrapper_program(f: &Fixtures) -> PathBuf {
    let exe = f.path("wrapper_test");
    compile(
        "c++",
        "-std=c++17",
        &[root().join("bindings/cpp/tests/wrapper_test.cpp")],
        &exe,
        &[root().join("bindings/cpp"), root().join("tests/c")],
        &["-Wpedantic", "-Wshadow", "-Wconversion"],
    );
    exe
}

/// The fields of a program's output lines that start with `prefix` (`score 3 0.51` -> ["3", "0.51"]).
fn printed_rows(out: &str, prefix: &str) -> Vec<Vec<String>> {
    out.lines().filter_map(|l| l.strip_prefix(prefix)).map(|l| l.split(' ').map(str::to_string).collect()).collect()
}

#[test]
fn cpp_wrapper_gets_the_rust_answers() {
    let f = Fixtures::new();
    let exe = wrapper_program(&f);
    let u = &f.universe;
    let want_probs = f.direction();
    let ranker = Model::open(f.path("ranking"), &tract()).unwrap();
    let (sectors, subs) = common::native::program_industry_ids(&u);
    let want_rank = trendcast::predict::rank_with_ids(&ranker, &u.series, &sectors, &subs).unwrap();

    let backends = common::native::program_backends();
    for backend in backends {
        let out = run(Command::new(&exe).arg(f.path("direction")).arg(f.path("ranking")).arg(f.path("bars.csv")).arg(backend));
        assert!(out.lines().any(|l| l.ends_with(" passed, 0 failed")), "{out}");
        let rows = |prefix: &str| printed_rows(&out, prefix);
        let probs: Vec<f32> = rows("probs ").iter().flat_map(|r| r[1..4].iter().map(|x| x.parse::<f32>().unwrap())).collect();
        assert_close(&probs, want_probs.as_flattened(), 1e-5, &format!("{backend} probs"));
        let scores: Vec<f32> = rows("score ").iter().map(|r| r[1].parse().unwrap()).collect();
        assert_close(&scores, &want_rank.scores, 1e-5, &format!("{backend} scores"));
        let order: Vec<usize> = rows("order ").iter().map(|r| r[0].parse().unwrap()).collect();
        assert_eq!(order, want_rank.order, "{backend}");
        assert!(out.contains(&format!("date {}", yyyymmdd(want_rank.date))), "{out}");
    }
}

/// The C++ wrapper's program with each shipped ranking bundle (the distilled default and the seed
/// ensemble it learned from) in place of the fixture's, on both backends: all its checks pass, and
/// its scores are the Rust API's within the bundle's tolerance (`answer_tolerance`: 5e-4 for an
/// ensemble's z-scores), its order best first under its own scores.
#[test]
fn cpp_wrapper_ranks_with_every_shipped_ranking_bundle() {
    let f = Fixtures::new();
    let exe = wrapper_program(&f);
    let u = &f.universe;
    let (sectors, subs) = common::native::program_industry_ids(&u);
    let backends = common::native::program_backends();
    let mut checked = Vec::new();
    for name in ["lsr-igru", "lsr-igru-ensemble"] {
        let shipped = root().join("models").join(name);
        if !shipped.join("manifest.json").exists() {
            continue;
        }
        // A copy beside the fixtures: the program writes its state file next to the ranking bundle.
        let dir = f.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        let bundle_file = |p: &PathBuf| p.extension().is_some_and(|x| x == "onnx") || p.ends_with("manifest.json");
        for file in std::fs::read_dir(&shipped).unwrap().map(|e| e.unwrap().path()).filter(bundle_file) {
            std::fs::copy(&file, dir.join(file.file_name().unwrap())).unwrap();
        }
        let ranker = Model::open(&dir, &tract()).unwrap();
        let tol = common::models::answer_tolerance(&ranker);
        let want = trendcast::predict::rank_with_ids(&ranker, &u.series, &sectors, &subs).unwrap();
        for backend in &backends {
            let out = run(Command::new(&exe).arg(f.path("direction")).arg(&dir).arg(f.path("bars.csv")).arg(backend));
            assert!(out.lines().any(|l| l.ends_with(" passed, 0 failed")), "{name} {backend}: {out}");
            let rows = |prefix: &str| printed_rows(&out, prefix);
            let scores: Vec<f32> = rows("score ").iter().map(|r| r[1].parse().unwrap()).collect();
            assert_close(&scores, &want.scores, tol, &format!("{name} {backend} scores"));
            let order: Vec<usize> = rows("order ").iter().map(|r| r[0].parse().unwrap()).collect();
            assert_eq!(order.len(), want.order.len(), "{name} {backend}");
            assert!(order.windows(2).all(|w| scores[w[0]] >= scores[w[1]]), "{name} {backend}: not best first");
        }
        checked.push(name);
    }
    assert!(checked.contains(&"lsr-igru"), "the default ranking bundle is shipped");
}

#[test]
fn cpp_wrapper_is_clean_under_address_sanitizer() {
    // Moves, release/adopt and exceptions: no double free, leak or undefined behaviour.
    let f = Fixtures::new();
    let exe = f.path("wrapper_test_asan");
    compile(
        "c++",
        "-std=c++17",
        &[root().join("bindings/cpp/tests/wrapper_test.cpp")],
        &exe,
        &[root().join("bindings/cpp"), root().join("tests/c")],
        &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
    );
    let out = run(Command::new(&exe)
        .arg(f.path("direction"))
        .arg(f.path("ranking"))
        .arg(f.path("bars.csv"))
        .arg("tract")
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        .env("UBSAN_OPTIONS", "halt_on_error=1"));
    assert!(out.lines().any(|l| l.ends_with(" passed, 0 failed")), "{out}");
}

#[test]
fn cpp_execution_loop_matches_the_rust_api_on_the_last_day() {
    let f = Fixtures::new();
    let exe = f.path("execution_loop");
    compile("c++", "-std=c++17", &[root().join("bindings/cpp/examples/execution_loop.cpp")], &exe, &[root().join("bindings/cpp")], &[]);
    let out = run(Command::new(&exe)
        .arg(f.path("direction"))
        .arg(f.path("data/bars_synthetic.csv"))
        .arg(f.path("data/industries.csv"))
        .arg(f.path("ranking"))
        .env("TRENDCAST_EXAMPLE_BACKEND", "tract"));
    let u = &f.universe;
    let days = out.lines().filter(|l| l.starts_with("day ")).count();
    assert_eq!(days, 200, "{out}");
    // Direction on the last day, from bars appended one day at a time (and trimmed): the same as
    // the Rust API on the whole history.
    let want = f.direction();
    for (s, w) in u.series.iter().zip(&want) {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("final direction {} ", s.ticker)))
            .unwrap_or_else(|| panic!("{} missing:\n{out}", s.ticker));
        let got: Vec<f32> = line.split(' ').skip(3).map(|x| x.parse().unwrap()).collect();
        assert_close(&got, w, 1e-5, &s.ticker);
    }
    // The ranking of the last day, best first, as the Rust API ranks the whole panel.
    let ranker = Model::open(f.path("ranking"), &tract()).unwrap();
    let panel = Panel::from_series(&u.series);
    let r = ranker.rank(&panel, &u.industries, *panel.calendar.last().unwrap()).unwrap();
    let got: Vec<(String, f32)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("final rank "))
        .map(|l| {
            let v: Vec<&str> = l.split(' ').collect();
            (v[0].to_string(), v[1].parse().unwrap())
        })
        .collect();
    // The program numbers stocks as they first appear in the feed (late listings last), so ties
    // (stocks of one sub-industry score alike under this probe) may come in another order: compare
    // each stock's score, and the order by score.
    let want: Vec<(String, f32)> = r.order.iter().map(|&k| (panel.tickers[k].clone(), r.scores[k])).collect();
    assert_eq!(got.len(), want.len(), "{out}");
    for (ticker, score) in &got {
        let k = panel.tickers.iter().position(|t| t == ticker).unwrap();
        assert!((score - r.scores[k]).abs() < 1e-5, "C++ ranking\n{got:?}\nRust ranking\n{want:?}");
    }
    assert!(got.windows(2).all(|w| w[0].1 >= w[1].1), "not best first: {got:?}");
    // Days before the ranking model's history is complete are reported as warming up.
    assert!(out.contains("ranking: warming up"), "{out}");
}

// --- the README examples --------------------------------------------------------------------------

/// The bars the C and C++ README examples make up for their one stock.
fn made_up_stock() -> (Vec<i32>, [Vec<f64>; 5]) {
    let n = 300;
    let dates: Vec<i32> =
        trendcast::bars::synthetic::business_days(trendcast::Date::parse("2000-01-03").unwrap(), n).iter().map(|d| d.yyyymmdd()).collect();
    let close: Vec<f64> = (0..n).map(|i| 100.0 * (0.05 * (i as f64 / 7.0).sin()).exp()).collect();
    let open: Vec<f64> = close.iter().map(|c| c * 0.995).collect();
    let high: Vec<f64> = close.iter().map(|c| c * 1.01).collect();
    let low: Vec<f64> = open.iter().map(|o| o * 0.99).collect();
    let volume: Vec<f64> = (0..n).map(|i| 1e6 + 1e4 * (i % 17) as f64).collect();
    (dates, [open, high, low, close, volume])
}

#[test]
fn c_and_cpp_readme_examples_match_rust() {
    let f = Fixtures::new();
    let (dates, [open, high, low, close, volume]) = made_up_stock();
    let stock = BarsRef { dates: Dates::Yyyymmdd(&dates), open: &open, high: &high, low: &low, close: &close, volume: &volume };
    let want = Model::open(f.path("direction"), &tract()).unwrap().direction(&[stock]).unwrap()[0];

    let c = f.path("example_c");
    compile("cc", "-std=c11", &[root().join("bindings/examples/example.c")], &c, &[], &[]);
    let cpp = f.path("example_cpp");
    compile("c++", "-std=c++17", &[root().join("bindings/examples/example.cpp")], &cpp, &[root().join("bindings/cpp")], &[]);
    let c_out = run(Command::new(&c).arg(f.path("direction")));
    let cpp_out = run(Command::new(&cpp).arg(f.path("direction")));
    // Both open with the default (auto) backend: ONNX Runtime where it loads, tract otherwise.
    assert_eq!(c_out, cpp_out);
    let v: Vec<&str> = c_out.trim().split(' ').collect();
    assert_eq!((v[0], v[2], v[4]), ("down", "flat", "up"), "{c_out}");
    let got: Vec<f32> = [v[1], v[3], v[5]].iter().map(|x| x.parse().unwrap()).collect();
    assert_close(&got, &want, 1e-5, "C example");
}

// README:rust-example:begin
fn readme_example(direction_dir: &Path, ranking_dir: &Path, data_dir: &Path) -> trendcast::Result<(Vec<[f32; 3]>, String)> {
    use trendcast::bars::{LoadOptions, Panel, load_dataset_dir};
    use trendcast::{BackendKind, Model, OpenOptions};

    let opts = OpenOptions { backend: BackendKind::Tract, ..Default::default() };
    let direction = Model::open(direction_dir, &opts)?; // a model bundle directory
    let universe = load_dataset_dir(data_dir, &LoadOptions::default())?; // bars_*.csv + industries.csv
    let probs = direction.direction(&universe.series)?; // [down, flat, up] per stock, as of its last bar
    for (stock, p) in universe.series.iter().zip(&probs) {
        println!("{} down {:.3} flat {:.3} up {:.3}", stock.ticker, p[0], p[1], p[2]);
    }
    let ranking = Model::open(ranking_dir, &opts)?;
    let panel = Panel::from_series(&universe.series);
    let day = *panel.calendar.last().expect("bars were loaded");
    let r = ranking.rank(&panel, &universe.industries, day)?; // scores, and the order best first
    println!("best on {day}: {} ({:.4})", panel.tickers[r.order[0]], r.scores[r.order[0]]);
    Ok((probs, panel.tickers[r.order[0]].clone()))
}
// README:rust-example:end

/// The README's Rust example gives the fixtures' direction answers and the stock that the CLI's
/// `rank --top 1` names.
#[test]
fn rust_readme_example_runs() {
    let f = Fixtures::new();
    let (probs, best) = readme_example(&f.path("direction"), &f.path("ranking"), &f.path("data")).unwrap();
    assert_eq!(probs, f.direction());
    let day = *Panel::from_series(&f.universe.series).calendar.last().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trendcast"))
        .args(["rank", "--backend", "tract", "--top", "1", "--date", &day.to_string(), "--model"])
        .arg(f.path("ranking"))
        .arg("--data")
        .arg(f.path("data"))
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["top"][0]["ticker"], best.as_str());
}

/// Each code block of README.md and bindings/README.md preceded by `<!-- example: PATH -->` is that
/// file (for the Rust example: the marked function above), so the READMEs show exactly what these
/// tests run.
#[test]
fn readme_shows_the_tested_examples() {
    for name in ["README.md", "bindings/README.md"] {
        readme_blocks_are_the_files(name);
    }
}

fn readme_blocks_are_the_files(name: &str) {
    let readme = std::fs::read_to_string(root().join(name)).unwrap();
    let mut checked = Vec::new();
    let mut rest = readme.as_str();
    while let Some(at) = rest.find("<!-- example: ") {
        rest = &rest[at + "<!-- example: ".len()..];
        let path = &rest[..rest.find(" -->").unwrap()];
        let fence = rest.find("```").unwrap();
        let body_start = fence + rest[fence..].find('\n').unwrap() + 1;
        let body_len = rest[body_start..].find("\n```").unwrap() + 1;
        let block = &rest[body_start..body_start + body_len];
        let want = if path == "tests/bindings.rs#readme_example" {
            let src = std::fs::read_to_string(root().join("tests/bindings.rs")).unwrap();
            let begin = src.find("// README:rust-example:begin\n").unwrap() + "// README:rust-example:begin\n".len();
            let end = src.find("// README:rust-example:end").unwrap();
            src[begin..end].to_string()
        } else {
            std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        assert!(block == want, "{name}'s block for {path} differs from the file:\n{block}\n---\n{want}");
        checked.push(path.to_string());
        rest = &rest[body_start + body_len..];
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "bindings/examples/example.c",
            "bindings/examples/example.cpp",
            "bindings/examples/example.py",
            "bindings/examples/research.py",
            "tests/bindings.rs#readme_example"
        ],
        "{name}"
    );
}
