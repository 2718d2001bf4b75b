#!/usr/bin/env bash
# The direction call side by side, in one run: trendcast through the C ABI (raw bars in, the 13
# features computed inside the call, one thread, median of repeated calls) against ONNX Runtime's
# own Python API on the same model.onnx with prepared inputs (engine only), for 1 and 500 stocks;
# the last column is the ratio. tract through the C ABI is listed too.
#   benches/side-by-side.sh [MODEL_DIR ...]     (default: every direction bundle in models/)
# Needs ../shared/data/sp500 and ONNX Runtime (scripts/setup-deps.sh); makes .deps/bench-venv with
# numpy and the onnxruntime wheel of the version the library loads. Pause other work while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
data=${DATA:-../shared/data/sp500}
calls_one=${CALLS_1:-2000}
calls_many=${CALLS_500:-40}
venv=.deps/bench-venv
pins="numpy==2.4.6 onnxruntime==1.31.1"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$venv" && "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check $pins
  echo "$pins" > "$venv/.pins"
fi
cargo build --release -q --lib
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -Iinclude benches/side_by_side/direction.c -Ltarget/release -ltrendcast \
  -Wl,-rpath,"$PWD/target/release" -o "$work/direction"
"$venv/bin/python" benches/side_by_side/bars.py "$data" 500 "$work/bars.csv"
if [ $# -eq 0 ]; then
  set -- $(for m in models/*/manifest.json; do grep -q '"kind": *"direction"' "$m" && dirname "$m"; done)
fi
printf '| model | stocks | C ABI, ORT (us) | C ABI, tract (us) | ORT Python API, engine only (us) | C ABI ORT / engine |\n|---|---|---|---|---|---|\n'
for model in "$@"; do
  declare -A t=()
  while read -r what backend n us; do t[$what/$backend/$n]=$us; done < <(
    for backend in ort tract; do
      "$work/direction" "$model" "$work/bars.csv" $backend 1 "$calls_one"
      "$work/direction" "$model" "$work/bars.csv" $backend 500 "$calls_many"
    done
    "$venv/bin/python" benches/side_by_side/engine.py "$model" "$calls_one" "$calls_many")
  for n in 1 500; do
    ratio=$(python3 -c "print(f'{${t[c_abi/ort/$n]}/${t[engine/ort/$n]}:.2f}')")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$(basename "$model")" $n "${t[c_abi/ort/$n]}" "${t[c_abi/tract/$n]}" "${t[engine/ort/$n]}" "$ratio"
  done
  unset t
done
