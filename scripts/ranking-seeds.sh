#!/usr/bin/env bash
# Trains the ranking rows of models/lsr-igru/REPORT.md's seeds tables for seeds 42-46, then
# splices the tables into the report. A run that already wrote its training.json is kept.
# - BUDGET=small (default): every row (LSR-IGRU with either encoder, the ablations of the GCN
#   model, the LSTM baseline) on a declared budget: 4 epochs of 250 training days drawn at random,
#   the epoch chosen on 2022. About 4-6 min per GCN run and 16 min per GAT run on one core.
# - BUDGET=full: the GCN model with its config's own budget (8 epochs of every training day), as
#   the shipped bundle was trained. 22-28 min per run with two runs sharing two cores.
# JOBS runs that many at a time.
#   [BUDGET=small|full] [JOBS=2] scripts/ranking-seeds.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/sp500}
case ${BUDGET:-small} in
  small) out=target/experiments/ranking-budget section=seeds budget="--epochs 4 --max-train-days 250"
         rows="gcn-normalized: gat-normalized: gcn-normalized:I gcn-normalized:II gcn-normalized:III
               gcn-normalized:I+II gcn-normalized:I+III gcn-normalized:II+III baseline-lstm:" ;;
  full)  out=target/experiments/ranking-full section=seeds-full budget="" rows="gcn-normalized:" ;;
  *) echo "BUDGET is small or full" >&2; exit 2 ;;
esac
source scripts/env.sh
cargo build --release -q -p trendcast-trainer --bin trendcast-train
jobs=()
for row in $rows; do
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
    --seed $seed --threads 1 ${parts:+--ablation $parts} $budget --cpu \
    --out $out/$name/s$seed > $out/$name/s$seed.log.json 2> $out/$name/s$seed.log
}
export -f run; export out data budget
(( ${#jobs[@]} )) && printf '%s\n' "${jobs[@]}" | xargs -P "${JOBS:-2}" -I{} bash -c 'run "{}"'
target/release/trendcast-train report --ranking-seeds $out --section $section --report models/lsr-igru/REPORT.md
