#!/usr/bin/env bash
# Backtests the shipped ranking bundle, the BLSW-style momentum and the 1-day reversal baselines through the CLI on the
# validation year (2022) and both test years (2023, 2024), without and with a 5 bps cost per side,
# draws the equity curves, and rebuilds the table of models/lsr-igru/REPORT.md.
# The shipped ensemble is trained through 2024: its rows for 2022-2024 are in-sample. The
# out-of-sample evaluation of the ranking model is the walk-forward (scripts/walk-forward.sh).
#   scripts/ranking-report.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/sp500}
out=target/experiments/ranking
fig=models/lsr-igru/figures
source scripts/env.sh
cargo build --release -q --bin trendcast
cargo build --release -q -p trendcast-trainer --bin trendcast-train
mkdir -p $out $fig
for year in 2022 2023 2024; do
  for bps in 0 5; do
    for who in lsr-igru momentum reversal; do
      if [[ $who == lsr-igru ]]; then src=(--model models/lsr-igru); else src=(--baseline $who); fi
      plot=()
      [[ $year != 2022 && $bps == 0 ]] && plot=(--plot $fig/equity-$who-$year-${bps}bps.png)
      target/release/trendcast backtest "${src[@]}" --data "$data" --from $year-01-01 --to $year-12-31 --top 10 \
        --cost-bps $bps "${plot[@]}" > $out/$year-$who-${bps}bps.json
    done
  done
done
target/release/trendcast-train report --ranking $out --report models/lsr-igru/REPORT.md
