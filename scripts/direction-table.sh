#!/usr/bin/env bash
# Regenerates every number and figure of models/direction-gru/REPORT.md:
#   1. trains each row's config (trainer/configs/) with its seeds into target/experiments/ROW/sSEED,
#   2. fits the tabular baselines, builds the GRU seed ensembles (3 x 128, 3 x 64); the 3 x 128 one
#      teaches the distilled rows, trained next,
#   3. picks models/direction-gru by validation macro-F1 only (the Pareto rule: the fastest
#      candidate within one seed std of the best; `trendcast-train pareto`, latency figures from
#      `cargo bench --bench direction` kept in models/direction-gru/pareto.json), evaluates the
#      shipped bundles through the inference library (`trendcast eval`), and rebuilds the tables
#      and figures.
# Rows already trained are kept (delete their folder to retrain). On 2 CPU cores it takes hours;
# LANES=2 (default) runs two single-threaded trainings side by side, which this machine's libtorch
# does faster than one two-threaded run.
#   scripts/direction-table.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/sp500}
exp=target/experiments
source scripts/env.sh
cargo build --release -q -p trendcast-trainer --bin trendcast-train
cargo build --release -q --bin trendcast
train=target/release/trendcast-train
tc=target/release/trendcast

# config:seed, one per training run: every GRU row with three seeds, the other cells with one.
# Cheapest and most-needed first, so that an interrupted run still leaves a useful table.
runs=()
for seed in 42 43 44; do
  for row in gru-original gru-h32 gru-h64 gru-h64-early-stop gru-h96 gru-original-gap gru-unweighted gru-scaled-embargo gru-early-stop gru-market; do runs+=("$row:$seed"); done
  [[ $seed == 42 ]] && runs+=(rnn:42 rnn-unweighted:42 lstm:42 lstm-unweighted:42)
done

run_one() {
  local row=${1%%:*} seed=${1##*:}
  local out=$exp/$row/s$seed
  [[ -f $out/training.json ]] && return 0
  mkdir -p "$out"
  "$train" direction --config "trainer/configs/$row.toml" --data "$data" --seed "$seed" --threads 1 --out "$out" 2> "$out.log"
}
export -f run_one; export exp data train
printf '%s\n' "${runs[@]}" | xargs -P "${LANES:-2}" -I{} bash -c 'run_one {}'

[[ -f $exp/baselines/baselines.json ]] || { mkdir -p $exp/baselines; "$train" baselines --data "$data" --out $exp/baselines/baselines.json > /dev/null; }

evaluate() { # bundle_dir json_dir
  mkdir -p "$2"
  "$tc" eval --model "$1" --data "$data" --from 2019-01-01 --to 2021-12-31 > "$2/eval-validation.json"
  "$tc" eval --model "$1" --data "$data" --from 2022-01-01 --to 2024-12-31 > "$2/eval-test.json"
}
seed_ensemble() { # row [folder]: the mean probability of the row's seeds 42-44, evaluated
  local row=$1 dir=$exp/${2:-$1-ensemble}
  "$train" ensemble --name "direction-$row-ensemble" --out "$dir/bundle" --data "$data" \
    --member "$exp/$row/s42" --member "$exp/$row/s43" --member "$exp/$row/s44"
  evaluate "$dir/bundle" "$dir"
}
seed_ensemble gru-original gru-ensemble
for row in gru-h32 gru-h64 gru-h64-early-stop gru-h96; do seed_ensemble $row; done
students() { # ROW...: distilled rows (each config names its teacher, built above): seeds 42-44, then each row's seed ensemble
  local runs=() seed row
  for seed in 42 43 44; do for row in "$@"; do runs+=("$row:$seed"); done; done
  printf '%s\n' "${runs[@]}" | xargs -P "${LANES:-2}" -I{} bash -c 'run_one {}'
  for row in "$@"; do seed_ensemble "$row"; done
}
students gru-h64-distilled gru-h32-distilled         # of the 3 x 128 ensemble (gru-ensemble)
students gru-h64-distilled-h64 gru-h32-distilled-h64 # of the 3 x 64 ensemble (gru-h64-ensemble)

# models/direction-gru: the cheapest candidate (latency through the C ABI on ONNX Runtime) within
# one seed std of the best validation macro-F1 (trainer/src/pareto.rs); the best itself ships as
# models/direction-gru-ensemble when it is another model. The test years play no part in the
# choice. The market-feature row is an ablation, not a candidate: the shipped model answers from
# one stock's bars (C ABI).
ship() { # bundle model_dir: the bundle's files replace the folder's (its README and report stay)
  rm -f "$2/model.onnx" "$2/manifest.json" "$2/training.json"
  mkdir -p "$2"
  cp "$1/model.onnx" "$1/manifest.json" "$2/"
  if [[ -f $1/training.json ]]; then cp "$1/training.json" "$2/"; fi
}
chosen=$("$train" pareto --experiments $exp --report models/direction-gru/REPORT.md)
best=$(python3 -c "import json; print(json.load(open('models/direction-gru/pareto.json'))['best_bundle'])")
echo "models/direction-gru <- $chosen, models/direction-gru-ensemble <- $best (the Pareto rule on validation macro-F1)"
ship "$chosen" models/direction-gru
echo "$chosen" > models/direction-gru/SELECTED_FROM
if [[ $best != "$chosen" ]]; then ship "$best" models/direction-gru-ensemble; fi
for m in direction-gru direction-gru-ensemble direction-gru-original; do evaluate models/$m $exp/shipped/$m; done
"$train" report --experiments $exp --report models/direction-gru/REPORT.md
