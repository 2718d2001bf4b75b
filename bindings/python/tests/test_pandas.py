"""Long-format pandas DataFrames (date,ticker,open,high,low,close[,adj_close],volume)."""

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def test_frame_rows_follow_sorted_tickers(model, frame, stocks):
    tickers, per_stock = trendcast.split_frame(frame)
    assert tickers == sorted(stocks)
    np.testing.assert_array_equal(per_stock[0]["date"], stocks[tickers[0]]["date"])
    np.testing.assert_array_equal(model.direction(frame), model.direction(list(stocks.values())))


def test_row_order_across_tickers_does_not_matter(model, frame):
    by_date = frame.sort_values(["date", "ticker"], kind="stable").reset_index(drop=True)
    np.testing.assert_array_equal(model.direction(by_date), model.direction(frame))
    # datetime64 dates and upper-case column names are accepted too.
    other = frame.assign(date=pd.to_datetime(frame["date"])).rename(columns=str.upper)
    np.testing.assert_array_equal(model.direction(other), model.direction(frame))


def test_unsorted_rows_within_a_ticker_are_an_error(model, frame):
    shuffled = frame.sample(frac=1.0, random_state=1)
    with pytest.raises(trendcast.UnsortedError):
        model.direction(shuffled)


def test_missing_column(model, frame):
    with pytest.raises(trendcast.InvalidArgumentError, match="volume"):
        model.direction(frame.drop(columns=["volume"]))


def test_adj_close_scales_the_bar_as_the_csv_loader_does(model, frame):
    half = frame.assign(adj_close=frame["close"] * 0.5)
    manual = frame.assign(**{c: frame[c] * 0.5 for c in ("open", "high", "low", "close")}).drop(columns=["adj_close"])
    np.testing.assert_allclose(model.direction(half), model.direction(manual), atol=1e-6)


def test_one_stock_frame_without_ticker(model, frame, stocks):
    t = sorted(stocks)[0]
    one = frame[frame["ticker"] == t].drop(columns=["ticker"])
    np.testing.assert_array_equal(model.direction(one), model.direction(stocks[t]))


def test_rank_with_a_frame_and_id_mappings(ranker, frame, industries):
    sectors = {t: v[0] for t, v in industries.items()}
    subs = {t: v[1] for t, v in industries.items()}
    r = ranker.rank(frame, sectors, subs)
    assert r.tickers == sorted(industries)
    with pytest.raises(trendcast.InvalidArgumentError, match="no entry"):
        ranker.rank(frame, {}, subs)


def test_a_frame_of_several_stocks_without_ticker_is_refused(model, frame):
    # Without `ticker` a frame is one stock; five stocks' rows must not become one answer.
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker"):
        model.direction(frame.drop(columns=["ticker"]))


def test_frame_prices_that_are_not_numbers_name_the_column(model, frame):
    with pytest.raises(trendcast.ParseError, match="`close`"):
        model.direction(frame.assign(close=frame["close"].astype(str)))
    with pytest.raises(trendcast.ParseError, match="`volume`"):
        model.direction(frame.assign(volume=frame["volume"] > 0))
