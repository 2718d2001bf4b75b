"""ONNX Runtime's own Python API on a bundle's model.onnx, one thread (the library's session
settings: all graph optimisations, one intra-op and one inter-op thread), inputs prepared
beforehand. Prints "engine ort STOCKS median_us" per stock count.

The inputs are standard-normal windows of the contract's shape: a GRU's cost does not depend on
its input values (no data-dependent branches), so the engine does the same work as on real windows.
Usage: engine.py MODEL_DIR CALLS_1 CALLS_500"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

model_dir, calls_one, calls_many = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
manifest = json.load(open(f"{model_dir}/manifest.json"))
o = ort.SessionOptions()
o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
o.intra_op_num_threads = 1
o.inter_op_num_threads = 1
session = ort.InferenceSession(f"{model_dir}/model.onnx", o, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
width = manifest["inputs"][0]["shape"][2]
rng = np.random.default_rng(0)
for n, calls in ((1, calls_one), (500, calls_many)):
    x = rng.standard_normal((n, manifest["window"], width)).astype(np.float32)
    for _ in range(calls // 10 + 3):
        session.run(None, {name: x})
    t = []
    for _ in range(calls):
        t0 = time.perf_counter()
        session.run(None, {name: x})
        t.append((time.perf_counter() - t0) * 1e6)
    print(f"engine ort {n} {float(np.median(t)):.1f}")
