#!/usr/bin/env bash
# Evaluates a direction bundle through the inference library (not the trainer) on the validation
# (2019-2021) and test (2022-2024) years, and prints the figures its REPORT.md quotes.
#   scripts/direction-report.sh models/NAME [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1
data=${2:-../shared/data/sp500}
source scripts/env.sh
cargo build --release -q --bin trendcast
for range in "2019-01-01 2021-12-31" "2022-01-01 2024-12-31"; do
  set -- $range
  target/release/trendcast eval --model "$model" --data "$data" --from "$1" --to "$2"
done
