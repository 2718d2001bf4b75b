"""Fixtures: the bundles and data set that tests/bindings.rs writes and names in the environment.

    TRENDCAST_TEST_DIRECTION_MODEL  a direction bundle (GRU, window 30)
    TRENDCAST_TEST_RANKING_MODEL    a ranking bundle (window 15, short lookback 61)
    TRENDCAST_TEST_DATA             a data directory: bars_synthetic.csv + industries.csv
    TRENDCAST_CLI                   target/release/trendcast
    TRENDCAST_LIB                   the library under test

Without them the tests are skipped (TRENDCAST_TEST_REQUIRE=1, set by the harness, fails instead).
Run them through the harness: `cargo test --release --test bindings` with TRENDCAST_PYTHON set.
"""

import csv
import glob
import os
from collections import defaultdict

import numpy as np
import pytest

import trendcast


def env(name):
    value = os.environ.get(name)
    if not value:
        message = f"{name} is not set (tests/bindings.rs sets it; see conftest.py)"
        if os.environ.get("TRENDCAST_TEST_REQUIRE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def direction_dir():
    return env("TRENDCAST_TEST_DIRECTION_MODEL")


@pytest.fixture(scope="session")
def ranking_dir():
    return env("TRENDCAST_TEST_RANKING_MODEL")


@pytest.fixture(scope="session")
def data_dir():
    return env("TRENDCAST_TEST_DATA")


@pytest.fixture(scope="session")
def cli():
    return env("TRENDCAST_CLI")


@pytest.fixture(scope="session")
def bars_csv(data_dir):
    (path,) = glob.glob(os.path.join(data_dir, "bars_*.csv"))
    return path


@pytest.fixture(scope="session")
def stocks(bars_csv):
    """{ticker: dict of numpy arrays}, read with the csv module only (no pandas)."""
    cols = defaultdict(lambda: defaultdict(list))
    with open(bars_csv, newline="") as f:
        for row in csv.DictReader(f):
            c = cols[row["ticker"]]
            c["date"].append(int(row["date"].replace("-", "")))
            for k in ("open", "high", "low", "close", "volume"):
                c[k].append(float(row[k]))
    return {
        t: {k: np.array(v, dtype=np.int32 if k == "date" else np.float64) for k, v in c.items()}
        for t, c in sorted(cols.items())
    }


@pytest.fixture(scope="session")
def industries(data_dir):
    """{ticker: (sector, sub_industry)} names."""
    with open(os.path.join(data_dir, "industries.csv"), newline="") as f:
        return {r["ticker"]: (r["sector"], r["sub_industry"]) for r in csv.DictReader(f)}


def require_pandas():
    """pandas, or a skip; a failure when the harness requires every test to run."""
    try:
        import pandas
    except ImportError:
        if os.environ.get("TRENDCAST_TEST_REQUIRE") == "1":
            pytest.fail("pandas is not installed (scripts/test.sh installs it)")
        pytest.skip("pandas is not installed", allow_module_level=True)
    return pandas


@pytest.fixture(scope="session")
def frame(bars_csv):
    # round_trip: pandas' default float parser can be 1 ulp off; the library's CSV loader is exact.
    return require_pandas().read_csv(bars_csv, float_precision="round_trip")


@pytest.fixture(scope="session")
def model(direction_dir):
    with trendcast.Model(direction_dir, backend="tract") as m:
        yield m


@pytest.fixture(scope="session")
def ranker(ranking_dir):
    with trendcast.Model(ranking_dir, backend="tract") as m:
        yield m


def ort_library():
    """The ONNX Runtime library the project's setup installs (scripts/env.sh names it), or None; a
    failure instead when TRENDCAST_REQUIRE_ORT is set (scripts/test.sh sets it)."""
    path = os.environ.get("TRENDCAST_ORT_LIB")
    if path and os.path.exists(path):
        return path
    if os.environ.get("TRENDCAST_REQUIRE_ORT"):
        pytest.fail(f"TRENDCAST_REQUIRE_ORT is set but ONNX Runtime is missing ({path!r})")
    return None
