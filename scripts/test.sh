#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs ONNX Runtime and CPU libtorch into .deps/
# (once), then runs every workspace crate's tests in release mode (the demo's profile, so the two
# share one build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
source scripts/env.sh

# Coverage-guided fuzzing (fuzz/README.md), short: the instrumented build of every target starts
# now, in the background at the lowest priority, so that it takes the cores the wheel build and
# the tests leave idle; each target then runs FUZZ_SECONDS (default 15; 0: no fuzzing) from its
# committed seeds after the tests. No sanitizer, 16 codegen units and opt-level 1: the build with
# AddressSanitizer takes about 25 minutes here (scripts/fuzz.sh, its default, runs with it); at
# opt-level 1 the build takes 10.5 CPU minutes instead of 12.8 and the targets run about as many
# executions in their 15 s.
fuzz_seconds=${FUZZ_SECONDS:-15}
fuzz=(env SANITIZER=none CODEGEN_UNITS=16 OPT_LEVEL=1 scripts/fuzz.sh)
if [ "$fuzz_seconds" != 0 ]; then
  mkdir -p target
  BUILD_ONLY=1 nice -n 19 "${fuzz[@]}" > target/fuzz-build.log 2>&1 &
  fuzz_build=$!
fi

# The bindings' tests (tests/bindings.rs runs the Python package's pytest suite, tests/packaging.rs
# builds outside programs against `make install`):
# - cmake, pkg-config and valgrind (the C ABI's leak check), from Debian when missing (CI runs as
#   root on a fresh machine). The guards make their tests, and those needing ONNX Runtime (installed
#   above), fail instead of skipping when what they need is missing: this script runs everything.
missing=()
for tool in cmake pkg-config valgrind; do command -v $tool >/dev/null || missing+=($tool); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: ${missing[*]} missing (apt-get install ${missing[*]}): their tests will fail" >&2
  fi
fi
export TRENDCAST_REQUIRE_CMAKE=1 TRENDCAST_REQUIRE_VALGRIND=1 TRENDCAST_REQUIRE_ORT=1
# - the trainer binary for the walk-forward on Dask (tests/test_walk_forward.py): the workspace's
#   `cargo test` below builds it (the trainer crate has integration tests) before any test runs.
export TRENDCAST_REQUIRE_TRAINER=1
# - a Python environment in .deps/venv with pinned test dependencies (once); the package built as a
#   wheel (setuptools-rust compiles the library into it) and reinstalled into it every run, so that
#   it is never stale; and a wheelhouse (numpy, onnxruntime) for tests/wheel.rs, which installs the
#   wheel into a fresh environment outside the tree.
venv=.deps/venv
pins="numpy==2.4.6 pandas==3.1.1 pytest==9.2.0 setuptools==80.9.0 setuptools-rust==1.13.0 dask[distributed]==2026.8.0 polars==2.1.0 pyarrow==26.0.1"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  echo "setup: creating $venv ($pins)" >&2
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install -q --disable-pip-version-check $pins
  echo "$pins" > "$venv/.pins"
fi
house=.deps/wheelhouse
house_pins="numpy==2.4.6 onnxruntime==1.31.1"
if [ "$(cat "$house/.pins" 2>/dev/null)" != "$house_pins" ]; then
  echo "setup: downloading $house_pins into $house" >&2
  rm -rf "$house"
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$house" $house_pins
  echo "$house_pins" > "$house/.pins"
fi
rm -rf target/wheels
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps -w target/wheels ./bindings/python
wheel=$(ls target/wheels/trendcast-*.whl)
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$wheel"
export TRENDCAST_PYTHON="$PWD/$venv/bin/python" TRENDCAST_WHEEL="$PWD/$wheel" TRENDCAST_WHEELHOUSE="$PWD/$house"
export TRENDCAST_REQUIRE_WHEEL=1

cargo test --release --workspace "$@"

if [ "$fuzz_seconds" != 0 ]; then
  wait "$fuzz_build" || { cat target/fuzz-build.log >&2; echo "fuzz: the build failed" >&2; exit 1; }
  "${fuzz[@]}" "$fuzz_seconds"
fi
