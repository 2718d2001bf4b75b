//! The fuzz targets' checks (`fuzz/fuzz_targets/run/*.rs`) on every committed seed and on seeded
//! random inputs. Coverage-guided runs (`scripts/fuzz.sh`) need nightly Rust and an instrumented
//! build of the library and tract that CI cannot afford (about 25 minutes); this replays what they
//! found through the same code in the ordinary test build, so that a change that breaks on one of
//! those inputs fails the suite, and the targets keep compiling with the library.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use rand::{Rng, SeedableRng};

#[path = "../fuzz/fuzz_targets/common.rs"]
mod common;

#[path = "../fuzz/fuzz_targets/run/bars_csv.rs"]
mod bars_csv;
#[path = "../fuzz/fuzz_targets/run/bundle.rs"]
mod bundle;
#[path = "../fuzz/fuzz_targets/run/c_direction.rs"]
mod c_direction;
#[path = "../fuzz/fuzz_targets/run/c_rank.rs"]
mod c_rank;
#[path = "../fuzz/fuzz_targets/run/c_research.rs"]
mod c_research;
#[path = "../fuzz/fuzz_targets/run/c_universe.rs"]
mod c_universe;

/// Random inputs per target beside its seeds.
const RANDOM_INPUTS: usize = 200;

/// Every seed of `target`, then seeded random byte strings, each given to `run` as libFuzzer
/// gives it (`run` says whether the bytes made an input); every input that fails is named, not
/// only the first, and every seed must make an input.
fn replay(target: &str, run: impl Fn(&[u8]) -> bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| {
            let path = f.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    assert!(!inputs.is_empty(), "{target} has no committed seeds");
    inputs.sort();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for k in 0..RANDOM_INPUTS {
        let len = rng.random_range(0..768);
        inputs.push((format!("random #{k}"), (0..len).map(|_| rng.random()).collect()));
    }
    let (mut failed, mut undecoded) = (Vec::new(), Vec::new());
    for (name, bytes) in &inputs {
        match catch_unwind(AssertUnwindSafe(|| run(bytes))) {
            Err(_) => failed.push(name.clone()),
            Ok(false) if !name.starts_with("random") => undecoded.push(name.clone()),
            Ok(_) => {}
        }
    }
    assert!(failed.is_empty(), "{target}: {} of {} inputs fail: {failed:?}", failed.len(), inputs.len());
    assert!(undecoded.is_empty(), "{target}: seeds that make no input: {undecoded:?}");
}

/// libFuzzer's decoding of a typed target's input: the whole byte string, or nothing to run.
fn typed<T: for<'a> Arbitrary<'a>>(run: impl Fn(T)) -> impl Fn(&[u8]) -> bool {
    move |bytes| T::arbitrary_take_rest(Unstructured::new(bytes)).map(&run).is_ok()
}

/// A target that takes the bytes themselves.
fn raw(run: impl Fn(&[u8])) -> impl Fn(&[u8]) -> bool {
    move |bytes| {
        run(bytes);
        true
    }
}

#[test]
fn bars_csv_seeds() {
    replay("bars_csv", raw(bars_csv::run));
}

#[test]
fn bundle_seeds() {
    replay("bundle", typed(bundle::run));
}

#[test]
fn c_direction_seeds() {
    replay("c_direction", typed(c_direction::run));
}

#[test]
fn c_rank_seeds() {
    replay("c_rank", typed(c_rank::run));
}

#[test]
fn c_research_seeds() {
    replay("c_research", typed(c_research::run));
}

#[test]
fn c_universe_seeds() {
    replay("c_universe", typed(c_universe::run));
}
