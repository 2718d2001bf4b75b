#!/usr/bin/env bash
# Coverage-guided fuzzing of the inputs a user controls (fuzz/, cargo-fuzz + libFuzzer, nightly):
# bars_csv (the bar loader under each bad-bar policy), bundle (manifest + ONNX bytes), c_direction
# and c_rank (the C entry points with arbitrary bars), c_universe (a live universe pushed arbitrary
# days), c_research (trendcast_features and trendcast_backtest with arbitrary bars, days, scores and
# settings). Each target starts from its committed seeds
# (fuzz/corpus/TARGET/seed-*) and runs SECONDS (default 30) or RUNS
# executions; a crash leaves its input in fuzz/artifacts/TARGET/ and fails the script.
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      RUNS=10000000 scripts/fuzz.sh 0 bars_csv
# SANITIZER (default address; none: coverage only, the build in a quarter of the time),
# CODEGEN_UNITS (cargo-fuzz's default is 1: the fastest fuzzing, the slowest build) and OPT_LEVEL
# (default 3; 1 builds in about 18% less CPU time) set the build; BUILD_ONLY=1 builds and stops.
# scripts/test.sh uses all four (CI: none, 16, 1, a short run). KEEP=DIR keeps each target's
# corpus in DIR/TARGET (a long run resumes from it; fuzz/README.md records such runs). MAX_LEN=N
# caps libFuzzer's input length (its default grows to 4,096 bytes; c_rank slows as inputs grow).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("${@:-bars_csv bundle c_direction c_rank c_universe c_research}")
command -v cargo-fuzz >/dev/null || cargo install -q --locked cargo-fuzz@0.13.2
rustup toolchain list | grep -q '^nightly' || rustup toolchain install -q --profile minimal nightly
keep=${KEEP:+$(realpath -m "$KEEP")}
cd fuzz
build=(-O -s "${SANITIZER:-address}")
[[ -n ${CODEGEN_UNITS:-} ]] && build+=(--codegen-units "$CODEGEN_UNITS")
if [[ -n ${OPT_LEVEL:-} ]]; then export CARGO_PROFILE_RELEASE_OPT_LEVEL=$OPT_LEVEL; fi
# cargo fuzz builds one target or all of them.
for t in ${targets[*]}; do cargo +nightly fuzz build "${build[@]}" "$t" 2>&1 | tail -n 3; done
[[ -n ${BUILD_ONLY:-} ]] && exit 0
for t in ${targets[*]}; do
  mkdir -p "corpus/$t" "artifacts/$t"
  limit=(-max_total_time="$seconds")
  [[ -n ${RUNS:-} ]] && limit=(-runs="$RUNS")
  [[ -n ${MAX_LEN:-} ]] && limit+=(-max_len="$MAX_LEN")
  echo "fuzz $t: ${RUNS:-$seconds s}" >&2
  # Findings go to a scratch corpus: the committed one holds the minimised seeds only.
  work=$(mktemp -d) log=$(mktemp)
  if [[ -n $keep ]]; then rmdir "$work"; work=$keep/$t; mkdir -p "$work"; fi
  status=0
  cargo +nightly fuzz run "${build[@]}" "$t" "$work" "corpus/$t" -- "${limit[@]}" -seed=${SEED:-1} -rss_limit_mb=4096 -print_final_stats=1 \
    > "$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|#[0-9]+ *DONE|==[0-9]+==|SUMMARY|thread .* panicked)" "$log" || true
  [[ -n $keep ]] || rm -rf "$work"
  if compgen -G "artifacts/$t/*" > /dev/null; then echo "fuzz $t: crash inputs in fuzz/artifacts/$t" >&2; exit 1; fi
  # Any other failure (a build error, a fuzzer that would not start) fails too, with its output.
  if [[ $status != 0 ]]; then tail -n 40 "$log" >&2; echo "fuzz $t: exit status $status" >&2; exit 1; fi
  rm -f "$log"
done
