//! What the tests that build and run native programs share: where the sources and the built
//! library are, and the bars file format the C, C++ and Python test programs read.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use trendcast::Date;
use trendcast::bars::Universe;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/deps/: where `cargo test` builds libtrendcast.so and libtrendcast.a beside the
/// test binaries. (Only `cargo build` copies them up to target/<profile>/, so a copy there may be
/// stale or, on a fresh clone, missing.)
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().to_path_buf();
    assert!(dir.join("libtrendcast.so").exists() && dir.join("libtrendcast.a").exists(), "libtrendcast not built in {}", dir.display());
    dir
}

/// A date as the C ABI takes it: 20241231.
pub fn yyyymmdd(d: Date) -> i32 {
    d.yyyymmdd()
}

/// Writes one line per bar, `stock,yyyymmdd,open,high,low,close,volume`, stocks numbered in the
/// universe's order; floats in shortest round-trip form, so C's strtod reads the same doubles.
pub fn write_bars_csv(path: &Path, u: &Universe) {
    let mut csv = String::new();
    for (k, s) in u.series.iter().enumerate() {
        for i in 0..s.len() {
            csv += &format!(
                "{k},{},{:?},{:?},{:?},{:?},{:?}\n",
                yyyymmdd(s.dates[i]),
                s.open[i],
                s.high[i],
                s.low[i],
                s.close[i],
                s.volume[i]
            );
        }
    }
    std::fs::write(path, csv).unwrap();
}

/// Compiles the test program tests/c/`src` with the given compiler (warnings are errors) and
/// extra flags into `out`, linked against the library the tests were built with.
pub fn compile(compiler: &str, std: &str, src: &str, out: &Path, extra: &[&str]) {
    let lib = lib_dir();
    let status = Command::new(compiler)
        .args([std, "-Wall", "-Wextra", "-Werror", "-O1", "-g"])
        .args(extra)
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("tests/c").join(src))
        .arg("-o")
        .arg(out)
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-ltrendcast", "-lm", "-pthread"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run {compiler}: {e}"));
    assert!(status.success(), "{compiler} failed on {src}");
}

/// The probabilities a test program prints, one `probs I DOWN FLAT UP` line per stock.
pub fn parse_probs(stdout: &str) -> Vec<[f32; 3]> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("probs "))
        .map(|l| {
            let v: Vec<f32> = l.split(' ').skip(1).map(|x| x.parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

/// The industries the C, C++ and Python test programs give the stocks of a bars file (numbered in
/// file order, the universe's: the synthetic tickers sort as generated): 12 stocks per sector, 4
/// per sub-industry. Returns (sector ids, sub-industry ids), as `predict::rank_with_ids` takes them.
pub fn program_industry_ids(u: &Universe) -> (Vec<i32>, Vec<i32>) {
    let n = u.series.len() as i32;
    ((0..n).map(|i| i / 12).collect(), (0..n).map(|i| i / 4).collect())
}

/// The backend names the test programs take: tract, and ONNX Runtime where it is installed.
pub fn program_backends() -> Vec<&'static str> {
    let mut backends = vec!["tract"];
    if crate::common::models::ort_available() {
        backends.push("ort");
    }
    backends
}
