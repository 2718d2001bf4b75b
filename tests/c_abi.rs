//! The C ABI from C and C++ (that the checked-in header is the generated one is the serving
//! crate's own test, `ffi::tests`): a C11 and a C++17 program compile warning-free against it (-Wall -Wextra -Werror), link the built library and pass their
//! checks on both backends; the C program runs clean under AddressSanitizer and valgrind.

mod common;

use common::native::{compile, parse_probs, root};

use std::path::Path;
use std::process::Command;

use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::predict::BarsRef;
use trendcast::{BackendKind, Model, OpenOptions};

/// A direction bundle and a bars file for the programs; returns the Rust API's probabilities.
fn fixtures(dir: &Path) -> Vec<[f32; 3]> {
    common::models::direction_bundle(&dir.join("model"), 16, 30);
    let u = generate(&SyntheticSpec { days: 80, ..Default::default() });
    common::native::write_bars_csv(&dir.join("bars.csv"), &u);
    let m = Model::open(dir.join("model"), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    m.direction(&u.series.iter().map(BarsRef::from).collect::<Vec<_>>()).unwrap()
}

fn run(program: &Path, dir: &Path, backend: &str, wrapper: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = match wrapper {
        [] => Command::new(program),
        [w, args @ ..] => {
            let mut c = Command::new(w);
            c.args(args).arg(program);
            c
        }
    };
    cmd.arg(dir.join("model")).arg(dir.join("bars.csv")).arg(backend).envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{} {backend} failed:\n{stdout}\n{}", program.display(), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.lines().any(|l| l.ends_with(" passed, 0 failed")), "{stdout}");
    stdout
}

#[test]
fn c11_program_gets_the_rust_answers_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let want = fixtures(dir.path());
    let exe = dir.path().join("direction_c");
    compile("cc", "-std=c11", "direction.c", &exe, &[]);
    let backends = common::native::program_backends();
    for backend in backends {
        let got = parse_probs(&run(&exe, dir.path(), backend, &[], &[]));
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            for c in 0..3 {
                assert!((g[c] - w[c]).abs() < 1e-5, "{backend}: C {g:?} vs Rust {w:?}");
            }
        }
    }
}

#[test]
fn cpp17_program_shares_one_model_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let exe = dir.path().join("threads_cpp");
    compile("c++", "-std=c++17", "threads.cpp", &exe, &[]);
    run(&exe, dir.path(), "tract", &[], &[]);
    if common::models::ort_available() {
        run(&exe, dir.path(), "ort", &[], &[]);
    }
}

#[test]
fn c_program_is_clean_under_address_sanitizer() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let exe = dir.path().join("direction_asan");
    compile("cc", "-std=c11", "direction.c", &exe, &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]);
    run(&exe, dir.path(), "tract", &[], &[("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"), ("UBSAN_OPTIONS", "halt_on_error=1")]);
}

#[test]
fn c_program_is_clean_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        // scripts/test.sh installs valgrind and sets the guard: in CI this check runs or fails.
        assert!(
            std::env::var_os("TRENDCAST_REQUIRE_VALGRIND").is_none(),
            "TRENDCAST_REQUIRE_VALGRIND is set but valgrind is not installed"
        );
        eprintln!("SKIPPED: valgrind is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let exe = dir.path().join("direction_vg");
    compile("cc", "-std=c11", "direction.c", &exe, &[]);
    run(&exe, dir.path(), "tract", &["valgrind", "--error-exitcode=3", "--errors-for-leak-kinds=definite", "--leak-check=full", "-q"], &[]);
}

#[test]
fn c11_ranking_program_gets_the_rust_ranking() {
    use trendcast::model::manifest::RelationSpec;
    use trendcast_export::export::{DirectionExport, write_ranking_probe};
    use trendcast_export::onnx::RankingProbe;
    let dir = tempfile::tempdir().unwrap();
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    write_ranking_probe(&dir.path().join("model"), &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    let u = generate(&SyntheticSpec { days: 100, late_listing_every: 9, ..Default::default() });
    common::native::write_bars_csv(&dir.path().join("bars.csv"), &u);
    let m = Model::open(dir.path().join("model"), &OpenOptions { backend: BackendKind::Tract, ..Default::default() }).unwrap();
    let (sectors, subs) = common::native::program_industry_ids(&u);
    let want = trendcast::predict::rank_with_ids(&m, &u.series, &sectors, &subs).unwrap();
    let exe = dir.path().join("rank_c");
    compile("cc", "-std=c11", "rank.c", &exe, &[]);
    let backends = common::native::program_backends();
    for backend in backends {
        let out = run(&exe, dir.path(), backend, &[], &[]);
        let field = |prefix: &str| -> Vec<String> {
            out.lines().filter_map(|l| l.strip_prefix(prefix)).map(|l| l.split(' ').nth(1).unwrap().to_string()).collect()
        };
        let scores: Vec<f32> = field("score ").iter().map(|s| s.parse().unwrap()).collect();
        for (g, w) in scores.iter().zip(&want.scores) {
            assert!((g - w).abs() < 1e-5, "{backend}: {g} vs {w}");
        }
        let order: Vec<usize> = field("order ").iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(&order[..want.order.len()], &want.order[..], "{backend}");
        assert!(out.contains(&format!("date {}", want.date.to_string().replace('-', ""))));
    }
}

/// A direction and a ranking bundle in `dir/model/{direction,ranking}` and a bars file; returns
/// the stateless Rust answers for the last day (every synthetic stock trades on it).
fn universe_fixtures(dir: &Path) -> (Vec<[f32; 3]>, trendcast::predict::Ranking) {
    use trendcast::model::manifest::RelationSpec;
    use trendcast_export::export::{DirectionExport, write_ranking_probe};
    use trendcast_export::onnx::RankingProbe;
    let models = dir.join("model");
    common::models::direction_bundle(&models.join("direction"), 16, 30);
    let probe = RankingProbe { weights: vec![0.3, -0.2, 0.1, 0.05, 0.4], bias: 0.1 };
    write_ranking_probe(&models.join("ranking"), &probe, &DirectionExport::new("probe", 15), RelationSpec::default()).unwrap();
    let u = generate(&SyntheticSpec { days: 100, late_listing_every: 9, ..Default::default() });
    common::native::write_bars_csv(&dir.join("bars.csv"), &u);
    let tract = OpenOptions { backend: BackendKind::Tract, ..Default::default() };
    let d = Model::open(models.join("direction"), &tract).unwrap();
    let r = Model::open(models.join("ranking"), &tract).unwrap();
    let (sectors, subs) = common::native::program_industry_ids(&u);
    (d.direction(&u.series).unwrap(), trendcast::predict::rank_with_ids(&r, &u.series, &sectors, &subs).unwrap())
}

#[test]
fn c11_universe_program_gets_the_rust_answers_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let (want_probs, want) = universe_fixtures(dir.path());
    let exe = dir.path().join("universe_c");
    compile("cc", "-std=c11", "universe.c", &exe, &[]);
    let backends = common::native::program_backends();
    for backend in backends {
        let out = run(&exe, dir.path(), backend, &[], &[]);
        let got = parse_probs(&out);
        assert_eq!(got.len(), want_probs.len());
        for (g, w) in got.iter().zip(&want_probs) {
            assert!(g.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-5), "{backend}: {g:?} vs {w:?}");
        }
        let field = |prefix: &str| -> Vec<String> {
            out.lines().filter_map(|l| l.strip_prefix(prefix)).map(|l| l.split(' ').nth(1).unwrap().to_string()).collect()
        };
        let scores: Vec<f32> = field("score ").iter().map(|s| s.parse().unwrap()).collect();
        for (g, w) in scores.iter().zip(&want.scores) {
            assert!(g.is_nan() == w.is_nan() && (g.is_nan() || (g - w).abs() < 1e-5), "{backend}: {g} vs {w}");
        }
        let order: Vec<usize> = field("order ").iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(&order[..want.order.len()], &want.order[..], "{backend}");
    }
}

#[test]
fn c_universe_program_is_clean_under_sanitizers_and_valgrind() {
    let dir = tempfile::tempdir().unwrap();
    universe_fixtures(dir.path());
    let exe = dir.path().join("universe_asan");
    compile("cc", "-std=c11", "universe.c", &exe, &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]);
    run(&exe, dir.path(), "tract", &[], &[("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"), ("UBSAN_OPTIONS", "halt_on_error=1")]);
    if Command::new("valgrind").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("TRENDCAST_REQUIRE_VALGRIND").is_none(),
            "TRENDCAST_REQUIRE_VALGRIND is set but valgrind is not installed"
        );
        eprintln!("SKIPPED: valgrind is not installed");
        return;
    }
    let exe = dir.path().join("universe_vg");
    compile("cc", "-std=c11", "universe.c", &exe, &[]);
    run(&exe, dir.path(), "tract", &["valgrind", "--error-exitcode=3", "--errors-for-leak-kinds=definite", "--leak-check=full", "-q"], &[]);
}

/// Freeing a model or a universe while four threads are inside calls on it (tests/c/free_during_call.c):
/// the free waits for them, later calls are refused by name, a second free does nothing; clean
/// under AddressSanitizer and ThreadSanitizer, on both backends.
#[test]
fn freeing_a_handle_during_calls_waits_for_them_under_sanitizers() {
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    let backends = common::native::program_backends();
    // tests/c/tsan.supp: TSan instruments the C program, not the library it calls.
    let tsan_options = format!("halt_on_error=1:suppressions={}", root().join("tests/c/tsan.supp").display());
    for (sanitizer, env) in [
        ("address,undefined", [("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"), ("UBSAN_OPTIONS", "halt_on_error=1")]),
        ("thread", [("TSAN_OPTIONS", tsan_options.as_str()), ("UBSAN_OPTIONS", "halt_on_error=1")]),
    ] {
        let exe = dir.path().join(format!("free_during_call_{}", sanitizer.replace(',', "_")));
        compile("cc", "-std=c11", "free_during_call.c", &exe, &[&format!("-fsanitize={sanitizer}"), "-fno-omit-frame-pointer"]);
        for backend in &backends {
            let out = run(&exe, dir.path(), backend, &[], &env);
            assert!(out.contains("refused after it"), "{sanitizer} {backend}: {out}");
        }
    }
}
