#!/usr/bin/env bash
# Installs the native runtimes the tests need into .deps/ (git-ignored), once.
#   .deps/onnxruntime/libonnxruntime.so.1.31.1   from the PyPI wheel onnxruntime==1.31.1
#   .deps/libtorch/torch/{include,lib,share}     CPU libtorch from the PyPI wheel torch==2.11.0
# Versions are pinned: see docs/specs/toolchain.md. Nothing is fetched outside PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
mkdir -p "$deps/wheels"
PY=${PYTHON:-python3}

fetch() { # fetch NAME==VERSION: download one wheel for this platform into .deps/wheels
  "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$deps/wheels" "$1"
}

ort_lib="$deps/onnxruntime/libonnxruntime.so.1.31.1"
if [ ! -f "$ort_lib" ]; then
  echo "setup: installing ONNX Runtime 1.31.1 into $deps/onnxruntime" >&2
  fetch onnxruntime==1.31.1
  mkdir -p "$deps/onnxruntime"
  unzip -q -o -j "$deps"/wheels/onnxruntime-1.31.1-*.whl 'onnxruntime/capi/libonnxruntime.so.1.31.1' -d "$deps/onnxruntime"
fi

torch_dir="$deps/libtorch/torch"
if [ ! -f "$torch_dir/.complete" ]; then
  echo "setup: installing CPU libtorch 2.11.0 into $deps/libtorch (about 500 MB)" >&2
  fetch torch==2.11.0
  fetch nvidia-cuda-runtime==13.0.96
  fetch nvidia-cuda-cupti==13.0.85
  rm -rf "$deps/libtorch"; mkdir -p "$deps/libtorch"
  unzip -q -o "$deps"/wheels/torch-2.11.0-*.whl 'torch/include/*' 'torch/lib/*' 'torch/share/*' -d "$deps/libtorch"
  # libtorch_cpu links the CUDA runtime and CUPTI; they sit beside torch/ where its rpath looks.
  for w in "$deps"/wheels/nvidia_cuda_runtime-*.whl "$deps"/wheels/nvidia_cuda_cupti-*.whl; do
    unzip -q -o "$w" 'nvidia/cu13/lib/*.so.13*' -d "$deps/libtorch"
  done
  # CPU only: drop the CUDA kernels (most of the size) so nothing tries to load them.
  rm -f "$torch_dir"/lib/libtorch_cuda*.so "$torch_dir"/lib/libc10_cuda.so "$torch_dir"/lib/libcudnn* \
        "$torch_dir"/lib/libnccl* "$torch_dir"/lib/libcublas* "$torch_dir"/lib/libcusparse* \
        "$torch_dir"/lib/libcufft* "$torch_dir"/lib/libcurand* "$torch_dir"/lib/libcusolver* \
        "$torch_dir"/lib/libnvrtc* "$torch_dir"/lib/libnvJitLink* "$torch_dir"/lib/libcufile*
  touch "$torch_dir/.complete"
fi
rm -rf "$deps/wheels"
