"""trendcast.backtest: the CLI's backtest over scores computed in Python, or over a ranking model,
with the CLI's numbers."""

import json
import subprocess

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def cli_backtest(cli, data_dir, *args):
    out = subprocess.run([cli, "backtest", "--data", data_dir, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def reversal(frame):
    """Minus each stock's return since the previous trading day of the whole universe, per (date,
    ticker): the CLI's `--baseline reversal` (a stock without a bar that day has no score)."""
    f = frame.sort_values(["ticker", "date"])
    calendar = np.sort(f["date"].unique())
    previous = dict(zip(calendar[1:], calendar[:-1]))
    by = f.groupby("ticker")
    score = -(f["close"] / by["close"].shift(1) - 1.0)
    score[by["date"].shift(1) != f["date"].map(previous)] = np.nan
    return pd.DataFrame({"date": f["date"], "ticker": f["ticker"], "score": score}).dropna()


def assert_metrics_equal(got, want):
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


@pytest.mark.parametrize("strategy,cost", [("rebalance", 0.0), ("dropout:2", 5.0)])
def test_scores_backtest_equals_the_cli_baseline(cli, data_dir, frame, strategy, cost):
    days = sorted(frame["date"].unique())
    start, end = days[60], days[-1]
    want = cli_backtest(cli, data_dir, "--baseline", "reversal", "--from", start, "--to", end,
                        "--top", "5", "--cost-bps", str(cost), "--strategy", strategy)
    got = trendcast.backtest(frame, reversal(frame), start=start, end=end, top_k=5, cost_bps=cost, strategy=strategy)
    assert_metrics_equal(got.metrics, want["metrics"])
    assert got.daily["date"].iloc[0].strftime("%Y-%m-%d") == want["from"]
    assert got.daily["date"].iloc[-1].strftime("%Y-%m-%d") == want["to"]
    assert got.equity["portfolio_nv"].iloc[-1] == pytest.approx(want["metrics"]["final_nv"], rel=1e-12)


def test_model_backtest_equals_the_cli(cli, data_dir, frame, ranking_dir, ranker, industries):
    days = sorted(frame["date"].unique())
    start, end = days[-40], days[-1]
    want = cli_backtest(cli, data_dir, "--model", ranking_dir, "--backend", "tract", "--from", start, "--to", end, "--top", "5")
    sectors = {t: s for t, (s, _) in industries.items()}
    subs = {t: s for t, (_, s) in industries.items()}
    got = trendcast.backtest(frame, model=ranker, sector_ids=sectors, sub_industry_ids=subs, start=start, end=end, top_k=5)
    assert_metrics_equal(got.metrics, want["metrics"])


def test_bad_input_is_refused_by_name(frame):
    scores = reversal(frame)
    days = sorted(scores["date"].unique())
    with pytest.raises(trendcast.InvalidArgumentError, match="consecutive"):
        trendcast.backtest(frame, scores[scores["date"] != days[10]])
    gap = next(i for i in range(len(days) - 1) if (pd.Timestamp(days[i + 1]) - pd.Timestamp(days[i])).days > 1)
    weekend = (pd.Timestamp(days[gap]) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    holiday = pd.concat([scores, pd.DataFrame({"date": [weekend], "ticker": [scores["ticker"].iloc[0]], "score": [0.5]})])
    with pytest.raises(trendcast.InvalidArgumentError, match="not a trading day"):
        trendcast.backtest(frame, holiday)
    with pytest.raises(trendcast.InvalidArgumentError, match="finite"):
        trendcast.backtest(frame, scores, cost_bps=float("nan"))
    with pytest.raises(trendcast.InvalidArgumentError, match="dropout:N"):
        trendcast.backtest(frame, scores, strategy="dropout:0")
    with pytest.raises(trendcast.InvalidArgumentError, match="no score date"):
        trendcast.backtest(frame, scores, start="2099-01-01")
    with pytest.raises(trendcast.InvalidArgumentError, match="without bars"):
        trendcast.backtest(frame, pd.concat([scores, pd.DataFrame({"date": [days[3]], "ticker": ["NOPE"], "score": [1.0]})]))
