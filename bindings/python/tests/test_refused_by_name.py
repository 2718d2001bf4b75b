"""Issue 35's Python rows: input that was read wrongly or wrapped is refused by a named error, and
time-zone-aware dates count as the calendar date they show in their own zone."""

import datetime
import re

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def ids(industries):
    return {t: v[0] for t, v in industries.items()}, {t: v[1] for t, v in industries.items()}


# --- S4: two columns of one name ----------------------------------------------------------------


@pytest.mark.parametrize("second", ["close", "CLOSE", "Close"])
def test_two_close_columns_are_refused_not_read_with_the_wrong_stride(model, ranker, frame, industries, second):
    # pandas hands two `close` columns over as one 2-D block; read as one column, AAPL's
    # probabilities changed and the rank order flipped. Matching is case-insensitive, as the CSV's.
    dup = pd.concat([frame, (frame[["close"]] * 2).rename(columns={"close": second})], axis=1)
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `close`"):
        model.direction(dup)
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `close`"):
        ranker.rank(dup, *ids(industries))
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `close`"):
        trendcast.Stocks(dup)


def test_two_columns_of_one_name_in_a_one_stock_frame_or_scores(model, frame):
    t = frame["ticker"].iloc[0]
    one = frame[frame["ticker"] == t].drop(columns=["ticker"])
    dup = pd.concat([one, one[["open"]]], axis=1)
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `open`"):
        model.direction(dup)
    scores = pd.DataFrame({"date": frame["date"], "ticker": frame["ticker"], "score": 1.0})
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `score`"):
        trendcast.backtest(frame, pd.concat([scores, scores[["score"]]], axis=1))


# --- S5: time-zone-aware dates ----------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Australia/Sydney", "UTC", "America/New_York"])
def test_tz_aware_dates_are_the_date_they_show(model, ranker, frame, industries, zone):
    # East of UTC, numpy's conversion moved every date back a day (2024-12-30 became a Sunday)
    # with only a warning; a timestamp counts as its own zone's calendar date.
    aware = frame.assign(date=pd.to_datetime(frame["date"]).dt.tz_localize(zone))
    naive = trendcast.Stocks(frame)
    got = trendcast.Stocks(aware)
    for i in range(len(naive)):
        np.testing.assert_array_equal(got.columns(i)[0], naive.columns(i)[0])
    np.testing.assert_array_equal(model.direction(aware), model.direction(frame))
    r, want = ranker.rank(aware, *ids(industries)), ranker.rank(frame, *ids(industries))
    assert r.date == want.date == int(frame["date"].max().replace("-", ""))
    np.testing.assert_array_equal(r.scores, want.scores)


def test_tz_aware_dates_in_every_other_form(model, stocks):
    t = sorted(stocks)[0]
    s = stocks[t]
    want = model.direction(s)
    iso = [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in s["date"]]
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    forms = {
        "datetime objects": [datetime.datetime.fromisoformat(d).replace(tzinfo=tokyo) for d in iso],
        "pandas timestamps": [pd.Timestamp(d, tz="Asia/Tokyo") for d in iso],
        "a tz-aware Series": pd.Series(pd.to_datetime(iso)).dt.tz_localize("Asia/Tokyo"),
        "a tz-aware DatetimeIndex": pd.DatetimeIndex(iso).tz_localize("Asia/Tokyo"),
        "ISO strings with an offset": [f"{d}T00:00:00+09:00" for d in iso],
        "ISO strings west of UTC": [f"{d}T16:00-05:00" for d in iso],
    }
    for name, dates in forms.items():
        np.testing.assert_array_equal(trendcast.Stocks({**s, "date": dates}).columns(0)[0], s["date"], err_msg=name)
        np.testing.assert_array_equal(model.direction({**s, "date": dates}), want, err_msg=name)


def test_a_zone_in_a_form_not_read_is_refused(model, stocks):
    s = stocks[sorted(stocks)[0]]
    iso = [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in s["date"]]
    with pytest.raises(trendcast.ParseError, match="time zone"):
        model.direction({**s, "date": [f"{d}T00:00+0900junk" for d in iso]})


def test_tz_aware_score_dates_give_the_same_backtest(frame):
    days = sorted(frame["date"].unique())
    scores = pd.DataFrame({"date": frame["date"], "ticker": frame["ticker"], "score": -frame["close"]})
    want = trendcast.backtest(frame, scores, start=days[30], top_k=3)
    aware = scores.assign(date=pd.to_datetime(scores["date"]).dt.tz_localize("Asia/Tokyo"))
    got = trendcast.backtest(frame, aware, start=pd.Timestamp(days[30], tz="Asia/Tokyo"), top_k=3)
    np.testing.assert_equal(got.metrics, want.metrics)


# --- S6: numbers that wrapped through size_t, or were not numbers ------------------------------------


def reversal_scores(frame):
    prev = frame.groupby("ticker")["close"].shift(1)
    return pd.DataFrame({"date": frame["date"], "ticker": frame["ticker"], "score": -(frame["close"] / prev - 1)}).dropna()


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e39, -1e300])
def test_an_infinite_or_too_large_score_is_refused_naming_it(frame, value):
    # S7: only NaN means "not eligible"; 1e39 became +inf in the C call's float, named "stock #i".
    scores = reversal_scores(frame)
    day = sorted(scores["date"].unique())[40]
    row = scores.index[(scores["date"] == day)][2]
    ticker = scores.loc[row, "ticker"]
    scores.loc[row, "score"] = value
    said = re.escape(f"the score of {ticker} on {day} is {float(value)!r}")
    with pytest.raises(trendcast.InvalidArgumentError, match=said) as e:
        trendcast.backtest(frame, scores, top_k=3)
    assert e.value.status == trendcast.Status.INVALID_ARGUMENT
    scores.loc[row, "score"] = 3e38  # within float's range: an ordinary score
    trendcast.backtest(frame, scores, top_k=3)


@pytest.mark.parametrize("top_k", [-1, 0, 2**64 + 3, 2**64, 5.0, "5", True, None, np.float64(3)])
def test_backtest_top_k_that_is_not_a_count_is_refused(frame, top_k):
    # -1 wrapped to SIZE_MAX (held every stock, the result said -1); 2**64 + 3 held 3.
    with pytest.raises(trendcast.InvalidArgumentError, match="top_k") as e:
        trendcast.backtest(frame, reversal_scores(frame), top_k=top_k)
    assert e.value.status == trendcast.Status.INVALID_ARGUMENT


def test_backtest_top_k_as_numpy_integer_is_a_count(frame):
    scores = reversal_scores(frame)
    a = trendcast.backtest(frame, scores, top_k=np.int64(4))
    b = trendcast.backtest(frame, scores, top_k=4)
    assert a.top_k == 4 and type(a.top_k) is int
    np.testing.assert_equal(a.metrics, b.metrics)


@pytest.mark.parametrize("cost", ["5", True, None, b"5", [5.0]])
def test_backtest_cost_that_is_not_a_number_is_refused(frame, cost):
    # "5" was read as 5 bps and True as 1 bp.
    with pytest.raises(trendcast.InvalidArgumentError, match="cost_bps"):
        trendcast.backtest(frame, reversal_scores(frame), cost_bps=cost)


def test_backtest_strategy_that_is_not_a_string_is_refused(frame):
    with pytest.raises(trendcast.InvalidArgumentError, match="strategy"):
        trendcast.backtest(frame, reversal_scores(frame), strategy=2)


@pytest.mark.parametrize("as_text", [lambda s: s.astype(str), lambda s: s.map(lambda v: f"{v:.6f}").astype(object)])
def test_string_scores_are_refused_not_parsed(frame, as_text):
    scores = reversal_scores(frame)
    with pytest.raises(trendcast.ParseError, match="`score`"):
        trendcast.backtest(frame, scores.assign(score=as_text(scores["score"])))
    with pytest.raises(trendcast.ParseError, match="`score`"):
        trendcast.backtest(frame, scores.assign(score=scores["score"] > 0))


@pytest.mark.parametrize("missing", [None, np.nan])
def test_a_missing_ticker_is_refused(model, frame, industries, missing):
    scores = reversal_scores(frame).reset_index(drop=True)
    ticker = scores["ticker"].astype(object)
    ticker.iloc[7] = missing
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker #7 is missing"):
        trendcast.backtest(frame, scores.assign(ticker=ticker))
    # In the bars it became a stock called "None" or "nan".
    bars = frame.reset_index(drop=True)
    column = bars["ticker"].astype(object)
    column.iloc[3] = missing
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker #3 is missing"):
        model.direction(bars.assign(ticker=column))
    tickers = sorted(industries)
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker #1 is missing"):
        trendcast.Universe([model], [tickers[0], missing] + tickers[2:], *ids(industries))


@pytest.mark.parametrize(
    "settings, words",
    [
        (dict(top_k=[5, -1]), "top_k"),
        (dict(top_k=[2**64 + 3]), "top_k"),
        (dict(top_k=5), "top_k must be a list"),
        (dict(cost_bps=["5"]), "cost_bps"),
        (dict(cost_bps=[True]), "cost_bps"),
        (dict(strategies=["dropout:0"]), "dropout:N"),
        (dict(strategies="rebalance"), "strategies must be a list"),
    ],
)
def test_sweep_settings_are_checked_before_any_task(frame, ranking_dir, industries, settings, words):
    import trendcast.sweep

    sectors, subs = ids(industries)
    days = sorted(frame["date"].unique())
    with pytest.raises(trendcast.InvalidArgumentError, match=words):
        trendcast.sweep.backtest_sweep(frame, [ranking_dir], [(days[80], days[-1])], sector_ids=sectors,
                                       sub_industry_ids=subs, backend="tract", **settings)
