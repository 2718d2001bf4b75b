//! Every bundle shipped in models/ opens on both backends, which agree within 1e-5 (5e-4 for a
//! ranking ensemble's z-scores), and answers
//! through the Rust API and the C ABI (the C11 clients of tests/c, direction and ranking) with the
//! same numbers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::native::{compile, parse_probs, root};
use trendcast::bars::Panel;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::model::ModelKind;
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Model, OpenOptions};

/// The bundles under models/ (folders with a manifest), sorted.
fn shipped() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(root().join("models")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("manifest.json").exists()).collect();
    out.sort();
    assert!(out.len() >= 3, "expected direction-gru, direction-gru-original and lsr-igru in models/, found {out:?}");
    out
}

fn backends() -> Vec<BackendKind> {
    let mut b = vec![BackendKind::Tract];
    if common::models::ort_available() {
        b.push(BackendKind::Ort);
    }
    b
}

fn open(dir: &Path, backend: BackendKind) -> Model {
    Model::open(dir, &OpenOptions { backend, ..Default::default() }).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn every_shipped_bundle_answers_alike_on_both_backends() {
    let u = generate(&SyntheticSpec { days: 160, late_listing_every: 7, ..Default::default() });
    let date = *u.series.iter().filter_map(|s| s.dates.last()).max().unwrap();
    let refs: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();
    let panel = Panel::from_series(&u.series);
    for dir in shipped() {
        let mut answers: Vec<Vec<f32>> = Vec::new();
        let tol = common::models::answer_tolerance(&open(&dir, BackendKind::Tract));
        for backend in backends() {
            let m = open(&dir, backend);
            let got = match m.kind() {
                ModelKind::Direction => {
                    let probs = m.direction(&refs).unwrap();
                    for p in &probs {
                        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{}: {p:?}", dir.display());
                        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{}: {p:?}", dir.display());
                    }
                    probs.concat()
                }
                ModelKind::Ranking => {
                    let r = m.rank(&panel, &u.industries, date).unwrap();
                    // Scored: every stock with a bar on the date and the model's history before it.
                    let (d, need) = (panel.day_index(date).unwrap(), m.min_bars());
                    let nd = panel.n_days();
                    let expected = (0..panel.n_tickers())
                        .filter(|&k| {
                            panel.present[k * nd + d] && d + 1 >= need && panel.present[k * nd..=k * nd + d + 1 - need].contains(&true)
                        })
                        .count();
                    assert!(expected > u.series.len() * 9 / 10, "the data has most stocks scorable ({expected})");
                    assert_eq!(r.order.len(), expected, "{}: ranked {} stocks", dir.display(), r.order.len());
                    // Best first: scores never rise along the order.
                    assert!(r.order.windows(2).all(|w| r.scores[w[0]] >= r.scores[w[1]]), "{}", dir.display());
                    r.order.iter().map(|&k| r.scores[k]).collect()
                }
            };
            answers.push(got);
        }
        for other in &answers[1..] {
            let d = max_diff(&answers[0], other);
            assert!(d <= tol, "{}: tract and ONNX Runtime differ by {d:e}", dir.display());
        }
    }
}

/// The C11 client of tests/c/direction.c on each shipped direction bundle, on both backends: all
/// its checks pass and its probabilities are the Rust API's.
#[test]
fn c_client_runs_every_shipped_direction_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let u = generate(&SyntheticSpec { days: 90, ..Default::default() });
    let bars = tmp.path().join("bars.csv");
    common::native::write_bars_csv(&bars, &u);
    let exe = tmp.path().join("direction_c");
    compile("cc", "-std=c11", "direction.c", &exe, &[]);
    let refs: Vec<BarsRef> = u.series.iter().map(BarsRef::from).collect();
    let mut checked = 0;
    for dir in shipped() {
        let tract = open(&dir, BackendKind::Tract);
        if tract.kind() != ModelKind::Direction {
            continue;
        }
        let want = tract.direction(&refs).unwrap().concat();
        for backend in backends() {
            let name = if backend == BackendKind::Ort { "ort" } else { "tract" };
            let out = Command::new(&exe).arg(&dir).arg(&bars).arg(name).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{} {name}:\n{stdout}\n{}", dir.display(), String::from_utf8_lossy(&out.stderr));
            assert!(stdout.lines().any(|l| l.ends_with(" passed, 0 failed")), "{stdout}");
            let d = max_diff(&parse_probs(&stdout).concat(), &want);
            assert!(d <= 1e-5, "{} {name}: C vs Rust differ by {d:e}", dir.display());
        }
        checked += 1;
    }
    assert!(checked >= 2, "{checked} shipped direction bundles");
}

/// The C11 client of tests/c/rank.c on each shipped ranking bundle, on both backends: all its
/// checks pass, and its scores and order are the Rust API's (`rank_with_ids` with the same
/// synthetic industries: 12 stocks per sector, 4 per sub-industry, in file order).
#[test]
fn c_client_runs_every_shipped_ranking_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let u = generate(&SyntheticSpec { days: 100, late_listing_every: 9, ..Default::default() });
    let bars = tmp.path().join("bars.csv");
    common::native::write_bars_csv(&bars, &u);
    let exe = tmp.path().join("rank_c");
    compile("cc", "-std=c11", "rank.c", &exe, &[]);
    let (sectors, subs) = common::native::program_industry_ids(&u);
    let mut checked = 0;
    for dir in shipped() {
        let tract = open(&dir, BackendKind::Tract);
        if tract.kind() != ModelKind::Ranking {
            continue;
        }
        let want = trendcast::predict::rank_with_ids(&tract, &u.series, &sectors, &subs).unwrap();
        let tol = common::models::answer_tolerance(&tract);
        for backend in backends() {
            let name = if backend == BackendKind::Ort { "ort" } else { "tract" };
            let out = Command::new(&exe).arg(&dir).arg(&bars).arg(name).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{} {name}:\n{stdout}\n{}", dir.display(), String::from_utf8_lossy(&out.stderr));
            assert!(stdout.lines().any(|l| l.ends_with(" passed, 0 failed")), "{stdout}");
            let field = |prefix: &str| -> Vec<String> {
                stdout.lines().filter_map(|l| l.strip_prefix(prefix)).map(|l| l.split(' ').nth(1).unwrap().to_string()).collect()
            };
            let scores: Vec<f32> = field("score ").iter().map(|s| s.parse().unwrap()).collect();
            assert_eq!(scores.len(), want.scores.len(), "{} {name}", dir.display());
            for (k, (g, w)) in scores.iter().zip(&want.scores).enumerate() {
                // NaN: a stock without a bar on the day, on both sides.
                assert!((g.is_nan() && w.is_nan()) || (g - w).abs() <= tol, "{} {name}, stock {k}: C {g} vs Rust {w}", dir.display());
            }
            let order: Vec<usize> = field("order ").iter().map(|s| s.parse().unwrap()).collect();
            let ranked: Vec<usize> = order.iter().copied().filter(|&k| k != usize::MAX).collect();
            if backend == BackendKind::Tract {
                assert_eq!(ranked, want.order, "{} {name}", dir.display());
            } else {
                // Scores within 1e-5 of tract's may swap near-ties: the order is best first under
                // this backend's own scores.
                assert_eq!(ranked.len(), want.order.len(), "{} {name}", dir.display());
                assert!(ranked.windows(2).all(|w| scores[w[0]] >= scores[w[1]]), "{} {name}", dir.display());
            }
        }
        checked += 1;
    }
    assert!(checked >= 1, "no shipped ranking bundle");
}
