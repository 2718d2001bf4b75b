# Sourced by the scripts: points the builds and tests at the runtimes scripts/setup-deps.sh installed.
_tc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LIBTORCH="$_tc_root/.deps/libtorch/torch"
export LIBTORCH_BYPASS_VERSION_CHECK=1
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TRENDCAST_ORT_LIB="${TRENDCAST_ORT_LIB:-$_tc_root/.deps/onnxruntime/libonnxruntime.so.1.31.1}"
unset _tc_root
