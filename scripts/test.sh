#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs ONNX Runtime and CPU libtorch into .deps/
# (once), then runs every workspace crate's tests in release mode (the demo's profile, so the two
# share one build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
source scripts/env.sh
cargo test --release --workspace "$@"
