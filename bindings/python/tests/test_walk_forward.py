"""trendcast.sweep.walk_forward on a dask.distributed LocalCluster of 2 worker processes against the
same runs made by calling the trainer directly: the tiny walk-forward of
trainer/tests/walk_forward.rs (two test years, two seeds, one epoch of at most 40 training days, a
GCN 6/4 with a GRU 5/3, IC loss) on the four-year generated market tests/bindings.rs writes.

The runs must be the same files: scores.f32 and weights.ot (the chosen epoch's weights, which a
student's teacher reads) byte for byte, and run.json field for field except
the three wall-clock durations of each epoch in its ``history`` (``seconds``, ``input_seconds``,
``validation_seconds``), which no two runs share. The report over the gathered runs must equal the
report over the local ones.

    TRENDCAST_TRAINER                 target/release/trendcast-train (libtorch on LD_LIBRARY_PATH)
    TRENDCAST_TEST_WALK_FORWARD_DATA  bars_synthetic.csv + industries.csv, 2017-2020
"""

import copy
import json
import os
import shutil
import subprocess

import pytest

import trendcast.sweep
from conftest import env

# trainer/tests/walk_forward.rs's config() as a config file.
TINY = """\
name = "wf-smoke"
window = 15
target = "open_t1_to_t2"
loss = "ic"
lr = 1e-3
epochs = 1
batch_days = 8
max_train_days = 40
threads = 1

[model]
encoder = "gcn"
encoder_sizes = [6, 4]
gru_sizes = [5, 3]
head_hidden = 10
use_nodes = true
use_long = true
use_short = true

[relations]
short_lookback = 61
short_cut = 0.5
clip_std = 3.0
node_features = "ratios"
normalize_relations = true
"""

YEARS, SEEDS = [2019, 2020], [1, 2]
# Each epoch's wall-clock times: the only fields of run.json that differ between two runs.
DURATIONS = ("seconds", "input_seconds", "validation_seconds")


def require_dask():
    try:
        import distributed
    except ImportError:
        if os.environ.get("TRENDCAST_TEST_REQUIRE") == "1":
            pytest.fail("dask.distributed is not installed (scripts/test.sh installs it)")
        pytest.skip("dask.distributed is not installed")
    return distributed


@pytest.fixture(scope="module")
def trainer():
    """The trainer binary tests/bindings.rs found (`cargo test --workspace` builds it; a test of
    the root package alone does not), or a skip; a failure when the harness requires it."""
    path = os.environ.get("TRENDCAST_TRAINER")
    if not path:
        message = "TRENDCAST_TRAINER is not set (tests/bindings.rs sets it when target/release/trendcast-train exists)"
        if os.environ.get("TRENDCAST_REQUIRE_TRAINER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def files(root):
    """Every file under root, by path relative to it."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def without_durations(text):
    run = copy.deepcopy(json.loads(text))
    assert run["history"], "a run has at least one epoch"
    for epoch in run["history"]:
        for key in DURATIONS:
            assert isinstance(epoch.pop(key), float), (key, epoch)
    return run


def assert_same_runs(got_root, want_root):
    got, want = files(got_root), files(want_root)
    expected = {os.path.join("wf-smoke", str(y), f"s{s}", f)
                for y in YEARS for s in SEEDS for f in ("run.json", "scores.f32", "weights.ot")}
    assert set(want) == expected and set(got) == expected, (sorted(got), sorted(want))
    for name in sorted(expected):
        if name.endswith((".f32", ".ot")):
            assert got[name] == want[name], name
        else:
            assert without_durations(got[name]) == without_durations(want[name]), name


def report(trainer, runs, data):
    return subprocess.run([trainer, "walk-forward-report", "--dir", str(runs), "--data", data, "--top", "5"],
                          check=True, capture_output=True, text=True).stdout


def test_walk_forward_on_two_workers_gives_the_local_run_files(trainer, tmp_path):
    distributed = require_dask()
    data = env("TRENDCAST_TEST_WALK_FORWARD_DATA")
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    options = dict(epochs=1, max_train_days=40, threads=1, cpu=True)

    # Locally: the trainer itself, every run in one call, as scripts/walk-forward.sh runs it.
    local = tmp_path / "local"
    subprocess.run([trainer, "walk-forward", "--config", str(config), "--data", data, "--out", str(local),
                    "--years", ",".join(map(str, YEARS)), "--seeds", ",".join(map(str, SEEDS)),
                    "--epochs", "1", "--max-train-days", "40", "--threads", "1", "--cpu"],
                   check=True, capture_output=True)

    gathered, work = tmp_path / "gathered", tmp_path / "workers"
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        # A worker without the trainer is named before anything is submitted.
        with pytest.raises(RuntimeError, match="workers that cannot train"):
            trendcast.sweep.walk_forward([str(config)], seeds=SEEDS, years=YEARS, data=data, out=gathered,
                                         trainer=str(tmp_path / "no-such-trainer"), client=client, **options)
        assert not gathered.exists()

        runs = trendcast.sweep.walk_forward([str(config)], seeds=SEEDS, years=YEARS, data=data, out=gathered,
                                            trainer=trainer, work_dir=str(work), client=client, **options)
        assert [(r["row"], r["year"], r["seed"], r["status"]) for r in runs] == \
            [("wf-smoke", y, s, "trained") for y in YEARS for s in SEEDS]
        assert len({r["worker"] for r in runs}) == 2, runs  # both workers trained
        assert_same_runs(gathered, local)

        # Started again: the finished runs are not submitted; a run lost on the client comes back
        # from the worker that trained it, without training again.
        shutil.rmtree(gathered / "wf-smoke" / "2020" / "s2")
        again = trendcast.sweep.walk_forward([str(config)], seeds=SEEDS, years=YEARS, data=data, out=gathered,
                                             trainer=trainer, work_dir=str(work), client=client, **options)
        assert [r["status"] for r in again] == ["done", "done", "done", "reused"]
        assert_same_runs(gathered, local)

    # The report reads the gathered runs unchanged, and gives the local runs' report.
    md = report(trainer, gathered, data)
    assert "| wf-smoke ensemble |" in md, md
    assert md == report(trainer, local, data)
