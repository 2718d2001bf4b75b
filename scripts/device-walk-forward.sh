#!/usr/bin/env bash
# Walk-forward runs on a lent device machine (one GPU, 16 cores), for rows that the project's
# 2-core machine cannot afford in a session. Same runs as scripts/walk-forward.sh (6 epochs of 500
# training days, epoch chosen on Y-1), same folder layout, so the report reads them beside the
# local ones. Not yet run on a device (the plumbing was tried on the CPU with
# TORCH_LIB=.deps/libtorch/torch/lib and a finished run in /tmp/wf/out).
#
# What travels (the data does not: ../shared stays behind): .devcarry/a/trendcast-train.gz (the
# trainer built here against libtorch 2.11 CPU, stripped, gzip: the machine has no zstd) and .devcarry/*/bars_*.csv.gz +
# industries.csv, in two calls (the tree may not exceed 64 MiB). The machine's own torch 2.11+cu130
# provides libtorch; libtorch_cuda is preloaded for the GPU row (the binary links libtorch_cpu only,
# and CUDA registers itself when its library loads).
#
# GPU: GPU_ROW's config with GPU_SEEDS, one process per seed. CPU: one process per (row, seed,
# year) on CPU_LANES cores. Nothing new starts after DEADLINE seconds; at KILL seconds the unfinished
# runs are stopped. Finished runs (run.json + scores.f32) come back in $OUT as ROW.tar.gz.* parts.
set -uo pipefail
t0=$(date +%s)
deadline=${DEADLINE:-420}
kill_at=${KILL:-500}
work=/tmp/wf
mkdir -p "$work/data" "$work/out" "$work/logs"
gzip -dc .devcarry/a/trendcast-train.gz > "$work/trendcast-train" && chmod +x "$work/trendcast-train"
cp .devcarry/*/bars_*.csv.gz .devcarry/b/industries.csv "$work/data/"
torch_lib=${TORCH_LIB:-$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
export LD_LIBRARY_PATH=$torch_lib
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
train=("$work/trendcast-train" walk-forward --data "$work/data" --out "$work/out" --epochs 6 --max-train-days 500 --threads 1)

# The GPU row: one process per seed, all years.
gpu_row=${GPU_ROW:-trainer/configs/lsr-igru-gat-normalized.toml}
for seed in ${GPU_SEEDS:-42 43 44}; do
  LD_PRELOAD=$torch_lib/libtorch_cuda.so "${train[@]}" --config "$gpu_row" --seeds "$seed" > "$work/logs/gpu-s$seed.log" 2>&1 &
done
sleep 20
grep -h "device\|cuda\|error" "$work"/logs/gpu-*.log | head -5

# The CPU rows: one job per (config, ablation, seed, year).
jobs=()
for seed in ${GCN_SEEDS:-47 48 49}; do
  for year in 2019 2020 2021 2022 2023 2024; do jobs+=("trainer/configs/lsr-igru-gcn-normalized.toml - $seed $year"); done
done
for seed in ${ABLATION_SEEDS:-45 46}; do
  for year in 2019 2020 2021 2022 2023 2024; do jobs+=("trainer/configs/lsr-igru-gcn-normalized.toml I $seed $year"); done
done
run_job() { # config ablation seed year
  (( $(date +%s) - t0 > deadline )) && return 0
  local extra=()
  [[ $2 != - ]] && extra=(--ablation "$2")
  "${train[@]}" --cpu --config "$1" "${extra[@]}" --seeds "$3" --years "$4" > "$work/logs/cpu-$2-$3-$4.log" 2>&1
}
export -f run_job; export t0 deadline work
printf '%s\n' "${jobs[@]}" | (
  # xargs cannot see the array: pass the command through the environment.
  export TRAIN="${train[*]}"
  xargs -P "${CPU_LANES:-13}" -L 1 bash -c 'train=($TRAIN); run_job "$@"' _
) &

while (( $(date +%s) - t0 < kill_at )) && pgrep -f "$work/trendcast-train walk-forward" > /dev/null; do sleep 5; done
pkill -f "$work/trendcast-train walk-forward" || true
sleep 2
cd "$work/out"
for row in */; do
  row=${row%/}
  find "$row" -name run.json | sed 's#/run.json##' | while read -r d; do echo "$d/run.json"; echo "$d/scores.f32"; done > "$work/$row.list"
  [[ -s $work/$row.list ]] && tar -cf - -T "$work/$row.list" | gzip -1 | split -b 15M - "$OUT/$row.tar.gz."
  echo "$row: $(($(wc -l < "$work/$row.list") / 2)) finished runs"
done
tail -n 3 "$work"/logs/*.log > "$OUT/logs.txt" 2>&1
echo "elapsed $(( $(date +%s) - t0 )) s"
