"""trendcast.sweep on a real dask.distributed LocalCluster of 2 worker processes: the same table as
a run in one process, and one model handle per worker process."""

import os
import shutil

import pytest

import trendcast
import trendcast.sweep
from conftest import require_pandas

pd = require_pandas()


def require_dask():
    try:
        import distributed
    except ImportError:
        if os.environ.get("TRENDCAST_TEST_REQUIRE") == "1":
            pytest.fail("dask.distributed is not installed (scripts/test.sh installs it)")
        pytest.skip("dask.distributed is not installed")
    return distributed


def test_sweep_on_two_worker_processes_equals_one_process(frame, ranking_dir, industries, tmp_path):
    distributed = require_dask()
    second = tmp_path / "second"
    shutil.copytree(ranking_dir, second)
    days = sorted(frame["date"].unique())
    periods = [(days[80], days[120]), (days[121], days[-1])]
    sectors = {t: s for t, (s, _) in industries.items()}
    subs = {t: s for t, (_, s) in industries.items()}
    args = dict(sector_ids=sectors, sub_industry_ids=subs, top_k=[3, 5], cost_bps=[0.0, 5.0],
                strategies=["rebalance", "dropout:1"], backend="tract")
    models = [ranking_dir, str(second)]

    here = trendcast.sweep.backtest_sweep(frame, models, periods, **args)
    assert len(here) == 2 * 2 * 8
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        there = trendcast.sweep.backtest_sweep(frame, models, periods, client=client, **args)
        opened = client.run(trendcast.sweep.opened_models)
    pd.testing.assert_frame_equal(there, here, check_exact=True)
    # Two processes, each opening a bundle at most once however many of its tasks it ran.
    assert len(opened) == 2
    for counts in opened.values():
        assert counts and all(c == 1 for c in counts.values()), opened
    assert sum(len(c) for c in opened.values()) >= 2  # four tasks spread over the workers
    # One row is the plain call's answer.
    row = here.iloc[5]
    with trendcast.Model(ranking_dir, "tract") as m:
        direct = trendcast.backtest(frame, model=m, sector_ids=sectors, sub_industry_ids=subs, start=row["start"],
                                    end=row["end"], top_k=int(row["top_k"]), cost_bps=row["cost_bps"], strategy=row["strategy"])
    assert direct.metrics["arr"] == row["arr"] and direct.metrics["rank_ic"] == row["rank_ic"]
