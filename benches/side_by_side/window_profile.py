"""Where a ranking bundle's window graph spends its time: ONNX Runtime's own profiler (Python API,
one thread, inputs pre-bound), kernel time per run summed by operator and by the width of its
output's last axis (30 and 10: the two GRU layers of the shipped model), on random encodings of
the shapes the graph declares for N nodes.

    .deps/bench-venv/bin/python benches/side_by_side/window_profile.py models/lsr-igru [N] [RUNS]

(.deps/bench-venv is made by benches/side-by-side.sh.) Pause other work while it runs."""
import collections
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort

bundle = sys.argv[1]
nodes = int(sys.argv[2]) if len(sys.argv) > 2 else 643
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
path = os.path.join(bundle, "model.onnx")

so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
so.log_severity_level = 3
so.enable_profiling = True
so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "window")
session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

rng = np.random.default_rng(0)
io = session.io_binding()
feeds = []
for i in session.get_inputs():
    # Symbolic axes: the nodes (and the days of a stacked window graph) get their sizes here.
    shape = [d if isinstance(d, int) else nodes for d in i.shape]
    feeds.append((rng.standard_normal(shape) * 0.5).astype(np.float32))
    io.bind_cpu_input(i.name, feeds[-1])
io.bind_output(session.get_outputs()[0].name)
for _ in range(runs):
    session.run_with_iobinding(io)
events = json.load(open(session.end_profiling()))

by = collections.defaultdict(lambda: [0.0, 0])
for e in events:
    if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
        a = e["args"]
        out = a.get("output_type_shape") or [{}]
        dims = next(iter(out[0].values()), []) if out[0] else []
        key = (a["op_name"], dims[-1] if dims else "-")
        by[key][0] += e["dur"]
        by[key][1] += 1
total = sum(d for d, _ in by.values())
print(f"{path}: {len(feeds)} inputs, {nodes} nodes; kernel time {total / runs / 1000:.2f} ms per run")
print("| operator | output width | ms per run | nodes | us per node |\n|---|---|---|---|---|")
for (op, width), (d, c) in sorted(by.items(), key=lambda kv: -kv[1][0]):
    if d / runs >= 10:  # at least 0.01 ms per run
        print(f"| {op} | {width} | {d / runs / 1000:.2f} | {c // runs} | {d / c:.1f} |")
