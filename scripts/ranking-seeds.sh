#!/usr/bin/env bash
# Trains every ranking row of models/lsr-igru/REPORT.md's seeds table (LSR-IGRU with either
# encoder, the ablations of the GCN model, the LSTM baseline) for seeds 42-46 on a declared budget
# (4 epochs of 250 training days drawn at random, the epoch chosen on 2022), then splices the
# tables into the report. A run that already wrote its training.json is kept.
# About 4-6 min per GCN run and 16 min per GAT run on one core; JOBS runs that many at a time.
#   scripts/ranking-seeds.sh [DATA_DIR]        (JOBS=2 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/sp500}
out=target/experiments/ranking-budget
source scripts/env.sh
cargo build --release -q -p trendcast-trainer --bin trendcast-train
jobs=()
for row in gcn-normalized: gat-normalized: gcn-normalized:I gcn-normalized:II gcn-normalized:III \
           gcn-normalized:I+II gcn-normalized:I+III gcn-normalized:II+III baseline-lstm:; do
  config=${row%%:*} parts=${row##*:}
  name=lsr-igru-$config${parts:+-ablation-$parts}
  for seed in 42 43 44 45 46; do
    [[ -f $out/$name/s$seed/training.json ]] && continue
    jobs+=("$config ${parts:--} $name $seed")
  done
done
run() {
  set -- $1
  local config=$1 parts=${2#-} name=$3 seed=$4
  mkdir -p $out/$name/s$seed
  target/release/trendcast-train ranking --config trainer/configs/lsr-igru-$config.toml --data "$data" \
    --seed $seed --threads 1 ${parts:+--ablation $parts} --epochs 4 --max-train-days 250 --cpu \
    --out $out/$name/s$seed > $out/$name/s$seed.log.json 2> $out/$name/s$seed.log
}
export -f run; export out data
(( ${#jobs[@]} )) && printf '%s\n' "${jobs[@]}" | xargs -P "${JOBS:-2}" -I{} bash -c 'run "{}"'
target/release/trendcast-train report --ranking-seeds $out --report models/lsr-igru/REPORT.md
