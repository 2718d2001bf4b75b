"""The model handle: properties, the direction call on every input form, threads, lifetime."""

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import trendcast
from conftest import ort_library


def test_version_and_library():
    assert re.fullmatch(r"\d+\.\d+\.\d+", trendcast.version())
    assert trendcast.version() == trendcast.__version__
    # TRENDCAST_LIB (set by the harness) is the only candidate when set.
    assert trendcast.library_path() == os.environ["TRENDCAST_LIB"]


def test_properties(model, direction_dir):
    assert model.kind == "direction"
    assert model.name == "test-direction"
    assert model.backend == "tract"
    assert model.execution_provider == "tract-cpu"
    assert model.fallback_reason is None
    m = model.manifest
    assert m["kind"] == "direction" and m["name"] == "test-direction"
    assert model.min_bars > m["window"] == 30
    assert "test-direction" in repr(model)


def test_direction_equals_the_cli(model, stocks, cli, data_dir, direction_dir):
    """Each stock's probabilities as of its last bar are the CLI's for that day: bit for bit from a
    one-stock call (the CLI calls one stock at a time), within 1e-6 from the batch (tract's kernels
    for a batch may round one ulp apart)."""
    probs = model.direction(list(stocks.values()))
    assert probs.shape == (len(stocks), 3) and probs.dtype == np.float32
    last = max(int(s["date"][-1]) for s in stocks.values())
    day = f"{last // 10000:04d}-{last // 100 % 100:02d}-{last % 100:02d}"
    out = subprocess.run(
        [cli, "direction", "--model", direction_dir, "--data", data_dir, "--date", day, "--backend", "tract"],
        check=True, capture_output=True, text=True,
    ).stdout
    want = {r["ticker"]: r for r in map(json.loads, out.splitlines())}
    on_day = [t for t, s in stocks.items() if s["date"][-1] == last]
    assert sorted(want) == on_day and len(on_day) == len(stocks)
    for (t, s), p in zip(stocks.items(), probs):
        cli_p = np.array([want[t]["down"], want[t]["flat"], want[t]["up"]], dtype=np.float32)
        np.testing.assert_array_equal(model.direction(s)[0], cli_p, err_msg=t)
        np.testing.assert_allclose(p, cli_p, rtol=0, atol=1e-6, err_msg=t)
        assert ["down", "flat", "up"][int(np.argmax(p))] == want[t]["class"], t
    # The answers differ between stocks (a constant output would pass a row-sum check).
    assert len(np.unique(probs[:, 2])) > len(stocks) // 2


def test_every_input_form_gives_the_same_answer(model, stocks):
    t = sorted(stocks)[3]
    s = stocks[t]
    want = model.direction(s)  # one stock: a dict
    assert want.shape == (1, 3)
    n = len(s["date"])
    iso = [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in s["date"]]
    forms = {
        "dates key": {"dates": s["date"], **{k: s[k] for k in ("open", "high", "low", "close", "volume")}},
        "datetime64": {**s, "date": np.array(iso, dtype="datetime64[D]")},
        "iso strings": {**s, "date": iso},
        "python lists": {k: list(v) for k, v in s.items()},
        "int64 dates": {**s, "date": s["date"].astype(np.int64)},
    }
    prices = ("open", "high", "low", "close", "volume")
    rec = np.zeros(n, dtype=[("date", "i4")] + [(k, "f8") for k in prices])
    for k in rec.dtype.names:
        rec[k] = s[k]
    forms["structured array"] = rec
    # Strided (non-contiguous) columns: converted, not misread.
    block = np.stack([s[k] for k in prices], axis=1)
    forms["strided columns"] = {"date": s["date"], **{k: block[:, i] for i, k in enumerate(prices)}}
    for name, form in forms.items():
        np.testing.assert_array_equal(model.direction(form), want, err_msg=name)
        np.testing.assert_array_equal(model.direction([form]), want, err_msg=name)


def test_only_the_trailing_bars_matter(model, stocks):
    s = next(iter(stocks.values()))
    k = model.min_bars
    tail = {c: v[-k:] for c, v in s.items()}
    np.testing.assert_allclose(model.direction(tail), model.direction(s), atol=1e-6)


def test_one_model_many_threads(model, stocks):
    batch = list(stocks.values())
    want = model.direction(batch)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: model.direction(batch[i % len(batch):] + batch[: i % len(batch)]), range(16)))
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, np.roll(want, -(i % len(batch)), axis=0), atol=1e-6)


def test_close_and_context_manager(direction_dir, stocks):
    s = next(iter(stocks.values()))
    with trendcast.Model(direction_dir, backend="tract") as m:
        m.direction(s)
    assert "closed" in repr(m)
    with pytest.raises(trendcast.NullPointerError, match="closed"):
        m.direction(s)
    m.close()  # twice is fine


@pytest.mark.parametrize("backend", ["tract", "ort"])
def test_close_while_other_threads_call_waits_for_them(direction_dir, stocks, backend):
    """close() during calls on other threads (it segfaulted on ONNX Runtime): the calls in flight
    finish with the right answer, the close returns after them, later calls raise."""
    if backend == "ort" and ort_library() is None:
        pytest.skip("ONNX Runtime is not installed (scripts/setup-deps.sh)")
    batch = list(stocks.values())
    m = trendcast.Model(direction_dir, backend=backend, ort_library=ort_library() if backend == "ort" else None)
    want = m.direction(batch)
    started, outcomes = threading.Barrier(5), []

    def worker():
        started.wait()
        for _ in range(200):
            try:
                got = m.direction(batch)
            except trendcast.NullPointerError:
                outcomes.append("closed")
                return
            np.testing.assert_allclose(got, want, atol=1e-6)
            outcomes.append("answered")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.05)
    m.close()
    for t in threads:
        t.join()
    assert outcomes.count("closed") == 4, outcomes.count("closed")
    assert "answered" in outcomes
    with pytest.raises(trendcast.NullPointerError, match="closed"):
        m.direction(batch)


def test_auto_and_ort_backends_agree_with_tract(model, direction_dir, stocks):
    batch = list(stocks.values())
    want = model.direction(batch)
    auto = trendcast.Model(direction_dir)
    assert auto.backend in ("ort", "tract")
    if auto.backend == "tract":
        assert auto.fallback_reason  # says why ONNX Runtime was not used
    np.testing.assert_allclose(auto.direction(batch), want, atol=1e-5)
    try:
        ort = trendcast.Model(direction_dir, backend="ort", ort_library=ort_library())
    except trendcast.BackendError as e:
        assert ort_library() is None, f"ONNX Runtime is installed but failed: {e}"
        assert e.status == trendcast.Status.BACKEND
        return
    assert ort.backend == "ort" and ort.execution_provider == "CPUExecutionProvider"
    np.testing.assert_allclose(ort.direction(batch), want, atol=1e-5)


def test_import_does_not_need_pandas_or_the_library():
    code = "import sys, trendcast; assert 'pandas' not in sys.modules; print(trendcast.__version__)"
    env = {**os.environ, "TRENDCAST_LIB": "/nonexistent/libtrendcast.so"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == trendcast.__version__
    # The library is loaded on first use; a wrong TRENDCAST_LIB is reported, not replaced.
    code = "import trendcast; trendcast.version()"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "LibraryNotFoundError" in out.stderr and "/nonexistent/libtrendcast.so" in out.stderr
