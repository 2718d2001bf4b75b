//! The Python wheel, installed as a user would: `pip wheel bindings/python` (setuptools-rust builds
//! the library into it; scripts/test.sh builds it and names it in TRENDCAST_WHEEL) is installed
//! into a fresh virtual environment outside the source tree, beside the `onnxruntime` wheel and
//! numpy from a local wheelhouse (TRENDCAST_WHEELHOUSE), and predicts on the shared data with
//! nothing pointing back at the tree: no TRENDCAST_LIB, TRENDCAST_ORT_LIB or loader path, run from
//! elsewhere. The package must load its own copy of the library, find ONNX Runtime in the
//! onnxruntime wheel on its own, and give the CLI's probabilities.
//!
//! Without TRENDCAST_WHEEL the test prints SKIPPED, unless TRENDCAST_REQUIRE_WHEEL is set
//! (scripts/test.sh sets it).

mod common;

use common::native::root;

use std::path::PathBuf;
use std::process::Command;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Reads three stocks' bars from the shared data's gzipped CSV with the standard library, predicts
/// with the shipped GRU 64 on the backend chosen automatically, and prints where the library and
/// ONNX Runtime came from, then one line per stock.
const SCRIPT: &str = r#"
import csv, gzip, os, sys
import numpy as np
import trendcast

model_dir, bars_file = sys.argv[1], sys.argv[2]
tickers = ["AAPL", "MSFT", "XOM"]
rows = {t: [] for t in tickers}
with gzip.open(bars_file, "rt", newline="") as f:
    for r in csv.DictReader(f):
        if r["ticker"] in rows and r["date"] <= "2024-12-31":
            rows[r["ticker"]].append(r)
stocks = []
for t in tickers:
    rs = rows[t]
    close = np.array([float(r["close"]) for r in rs])
    adj = np.array([float(r["adj_close"]) if r["adj_close"] else np.nan for r in rs])
    scale = np.where(np.isnan(adj), 1.0, adj / close)
    stocks.append({
        "date": np.array([r["date"] for r in rs]),
        "open": np.array([float(r["open"]) for r in rs]) * scale,
        "high": np.array([float(r["high"]) for r in rs]) * scale,
        "low": np.array([float(r["low"]) for r in rs]) * scale,
        "close": np.where(np.isnan(adj), close, adj),
        "volume": np.array([float(r["volume"]) for r in rs]),
    })
with trendcast.Model(model_dir) as m:
    print("library", trendcast.library_path())
    print("backend", m.backend, m.fallback_reason)
    for t, p in zip(tickers, m.direction(stocks)):
        print(t, *(repr(float(x)) for x in p))
"#;

#[test]
fn wheel_installs_into_a_fresh_venv_and_predicts_without_the_source_tree() {
    let (Some(wheel), Some(house), Some(python)) = (var("TRENDCAST_WHEEL"), var("TRENDCAST_WHEELHOUSE"), var("TRENDCAST_PYTHON")) else {
        assert!(
            var("TRENDCAST_REQUIRE_WHEEL").is_none(),
            "TRENDCAST_REQUIRE_WHEEL is set but TRENDCAST_WHEEL, TRENDCAST_WHEELHOUSE or TRENDCAST_PYTHON is not"
        );
        eprintln!(
            "SKIPPED: TRENDCAST_WHEEL / TRENDCAST_WHEELHOUSE / TRENDCAST_PYTHON not set (scripts/test.sh builds the wheel and sets them)"
        );
        return;
    };
    let Some(data) = common::shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    run(Command::new(&python).args(["-m", "venv"]).arg(&venv));
    let py = venv.join("bin/python");
    run(Command::new(&py)
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--no-deps", "--find-links"])
        .arg(&house)
        .args(["numpy", "onnxruntime"])
        .arg(&wheel));
    let script = tmp.path().join("predict.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = run(Command::new(&py)
        .arg(&script)
        .arg(root().join("models/direction-gru"))
        .arg(data.join("bars_2018_2024.csv.gz"))
        .current_dir(tmp.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", tmp.path())
        .env("PYTHONDONTWRITEBYTECODE", "1"));
    let lines: Vec<&str> = out.lines().collect();
    let library = lines[0].strip_prefix("library ").unwrap();
    assert!(library.starts_with(venv.to_str().unwrap()) && library.contains("/trendcast/_lib/"), "{out}");
    assert_eq!(lines[1], "backend ort None", "ONNX Runtime not found in the onnxruntime wheel:\n{out}");

    let cli = run(Command::new(env!("CARGO_BIN_EXE_trendcast"))
        .args(["direction", "--model"])
        .arg(root().join("models/direction-gru"))
        .arg("--data")
        .arg(&data)
        .args(["--date", "2024-12-31", "--tickers", "AAPL,MSFT,XOM", "--backend", "tract"]));
    for (line, want) in lines[2..].iter().zip(cli.lines()) {
        let v: Vec<&str> = line.split(' ').collect();
        let j: serde_json::Value = serde_json::from_str(want).unwrap();
        assert_eq!(v[0], j["ticker"], "{out}\n{cli}");
        for (got, class) in v[1..].iter().zip(["down", "flat", "up"]) {
            let (got, want) = (got.parse::<f64>().unwrap(), j[class].as_f64().unwrap());
            assert!((got - want).abs() < 1e-5, "{}: {class} {got} (Python, ort) vs {want} (CLI, tract)", v[0]);
        }
    }
    assert_eq!(lines.len(), 5, "{out}");
}
