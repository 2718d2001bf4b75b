//! Real models with known weights, written as bundles into temporary directories.
#![allow(dead_code)]

use std::path::Path;

use trendcast::model::Manifest;
use trendcast_export::export::{DirectionExport, write_direction};
use trendcast_export::onnx::{Cell, DirectionNet, RecurrentClassifier};

/// A GRU(13 -> hidden) direction bundle with seeded weights.
pub fn direction_bundle(dir: &Path, hidden: usize, window: usize) -> (DirectionNet, Manifest) {
    direction_bundle_of(dir, RecurrentClassifier::seeded(Cell::Gru, 13, hidden, 3, 42).into(), window)
}

/// A direction bundle around any net (RNN, LSTM, GRU, ensembles).
pub fn direction_bundle_of(dir: &Path, net: DirectionNet, window: usize) -> (DirectionNet, Manifest) {
    let m = write_direction(dir, &net, &DirectionExport::new("test-direction", window)).unwrap();
    (net, m)
}

/// ONNX Runtime is required (the README test command installs it and scripts/env.sh names it in
/// TRENDCAST_ORT_LIB) unless TRENDCAST_REQUIRE_ORT is unset and the library is missing; then ort
/// checks are skipped with a printed reason. (The library itself never looks in the build tree.)
pub fn ort_available() -> bool {
    let Some(lib) = std::env::var_os("TRENDCAST_ORT_LIB").map(std::path::PathBuf::from) else {
        assert!(std::env::var_os("TRENDCAST_REQUIRE_ORT").is_none(), "TRENDCAST_REQUIRE_ORT is set but TRENDCAST_ORT_LIB is not");
        eprintln!("SKIPPED ort checks: TRENDCAST_ORT_LIB is not set (source scripts/env.sh after scripts/setup-deps.sh)");
        return false;
    };
    if lib.exists() {
        return true;
    }
    assert!(std::env::var_os("TRENDCAST_REQUIRE_ORT").is_none(), "TRENDCAST_REQUIRE_ORT is set but {} is missing", lib.display());
    eprintln!("SKIPPED ort checks: {} not found (run scripts/setup-deps.sh)", lib.display());
    false
}

/// How far two answers of one bundle may lie apart (engines, bindings): 1e-5 for probabilities and
/// one model's sigmoid scores; 5e-4 for a ranking seed ensemble, whose scores are z-scores (each
/// member's scores divided by their spread, 0.002-0.02 on these markets, which multiplies f32
/// rounding by 50-500; trainer/src/parity.rs).
pub fn answer_tolerance(m: &trendcast::Model) -> f32 {
    if m.manifest().extra.contains_key("members") { 5e-4 } else { 1e-5 }
}
