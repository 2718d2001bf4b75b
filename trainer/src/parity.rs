//! The parity gate every export goes through: the written bundle is opened on each engine and its
//! answers must match the reference (tch, or an ensemble's members) within 1e-5.

use std::path::Path;

use anyhow::{Result, bail};
use trendcast::model::{BackendKind, Model, OpenOptions};

/// The largest difference the gate accepts.
pub const TOLERANCE: f64 = 1e-5;

/// `bundle` opened on tract and, when its library loads, on ONNX Runtime (otherwise said on
/// stderr: CI machines without the library still check tract).
pub fn engines(bundle: &Path) -> Result<Vec<Model>> {
    let mut out = Vec::new();
    for backend in [BackendKind::Tract, BackendKind::Ort] {
        match Model::open(bundle, &OpenOptions { backend, ..Default::default() }) {
            Ok(m) => out.push(m),
            Err(err) if backend == BackendKind::Ort => eprintln!("parity: ONNX Runtime not checked ({err})"),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(out)
}

/// Max |got - want| over the entries both have (NaN marks "no answer" and must agree); fails above
/// `TOLERANCE`. `what` says what was compared, for the log line and the error.
pub fn check(model: &Model, what: &str, got: &[f32], want: &[f32]) -> Result<f64> {
    check_within(model, what, got, want, TOLERANCE)
}

/// The largest difference the gate accepts for a ranking ensemble, whose scores are the mean of
/// its members' z-scores: `TOLERANCE` on each member's own scores, carried through its division by
/// that member's spread (`member_spreads`, the population std of its node scores), i.e.
/// 1e-5 x mean(1 / spread). A member's sigmoid scores spread by 0.001-0.02, so this is 5e-4-1e-5.
pub fn ensemble_tolerance(member_spreads: &[f64]) -> f64 {
    trendcast_export::onnx::zscore_tolerance(TOLERANCE, member_spreads)
}

/// As [`check`], with the largest accepted difference `tolerance`.
pub fn check_within(model: &Model, what: &str, got: &[f32], want: &[f32], tolerance: f64) -> Result<f64> {
    let name = model.backend().name();
    if got.len() != want.len() {
        bail!("{what}: {name} gave {} values, the reference {}", got.len(), want.len());
    }
    let mut diff = 0f64;
    for (a, b) in got.iter().zip(want) {
        if a.is_nan() != b.is_nan() {
            bail!("{what}: {name} and the reference disagree on which entries have a value");
        }
        // Equal infinities agree; any other infinity is an infinite difference and fails.
        if !a.is_nan() && a != b {
            diff = diff.max((a - b).abs() as f64);
        }
    }
    eprintln!("parity: {what}: {name} max |diff| {diff:.2e} over {} values", got.len());
    if diff > tolerance {
        bail!("{what}: {name} disagrees with the reference: max |diff| {diff:.2e} > {tolerance:e}");
    }
    Ok(diff)
}
