#!/usr/bin/env bash
# Regenerates include/trendcast.h from src/ffi (after a change to the C API).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p trendcast --lib
cp "$(ls -t target/release/build/trendcast-*/out/trendcast.h | head -1)" include/trendcast.h
echo "include/trendcast.h updated"
