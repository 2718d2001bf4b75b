"""trendcast.features: the library's 13 features from Python, equal to the CLI's."""

import json
import subprocess

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def test_names_are_the_thirteen_in_model_order():
    names = trendcast.feature_names()
    assert len(names) == 13 and names[0] == "daily_return" and names[-1] == "momentum_10"


def test_features_equal_the_cli(cli, data_dir, frame):
    table = trendcast.features(frame)
    assert list(table.columns[:2]) == ["date", "ticker"] and list(table.columns[2:]) == trendcast.feature_names()
    assert len(table) == len(frame)
    tickers = sorted(frame["ticker"].unique())
    for ticker in (tickers[0], tickers[-1]):
        rows = table[table["ticker"] == ticker]
        for k in (20, 57, len(rows) - 1):  # the first day with all 13, one inside, the last
            row = rows.iloc[k]
            day = row["date"].strftime("%Y-%m-%d")
            out = subprocess.run(
                [cli, "features", "--data", data_dir, "--ticker", ticker, "--date", day],
                check=True, capture_output=True, text=True,
            ).stdout
            want = json.loads(out)["features"]
            for name in trendcast.feature_names():
                assert row[name] == pytest.approx(want[name], rel=0, abs=0), (ticker, day, name)


def test_warmup_rows_are_nan_and_later_ones_complete(frame):
    table = trendcast.features(frame)
    first = table.groupby("ticker").head(20)
    assert first["volatility_20"].isna().all()
    later = table.groupby("ticker").nth(25)
    assert later[trendcast.feature_names()].notna().all().all()


def test_matrix_of_a_list_matches_the_frame(stocks, frame):
    m = trendcast.feature_matrix(list(stocks.values()))
    table = trendcast.features(frame)
    np.testing.assert_array_equal(m, table[trendcast.feature_names()].to_numpy())


def test_a_bad_bar_is_refused_by_name_and_nothing_is_returned(stocks):
    name, s = next(iter(stocks.items()))
    bad = dict(s, close=s["close"].copy())
    bad["close"][30] = -1.0
    with pytest.raises(trendcast.InvalidBarError, match="close must be positive"):
        trendcast.feature_matrix([s, bad])
    with pytest.raises(trendcast.ShapeError, match="no bars"):
        trendcast.feature_matrix([{k: v[:0] for k, v in s.items()}])
