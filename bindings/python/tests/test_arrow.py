"""polars DataFrames and Arrow tables (pyarrow, RecordBatch, any `__arrow_c_stream__` producer) in
every place a pandas DataFrame is taken: the answers equal the pandas path's bit for bit, the date
rules are the pandas path's (tz-aware dates count as their local calendar date), the refusals are
the same, and numeric columns in one chunk without nulls are read in place (their buffers' own
addresses reach the C structs)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def require(name):
    """polars or pyarrow, or a skip naming it; a failure when the harness requires every test to
    run (scripts/test.sh installs both)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("TRENDCAST_TEST_REQUIRE") == "1":
            pytest.fail(f"{name} is not installed (scripts/test.sh installs it)")
        pytest.skip(f"{name} is not installed (pip install 'trendcast[polars]' / 'trendcast[arrow]')")


class Stream:
    """A bare Arrow PyCapsule producer (as DuckDB or nanoarrow hand one over): only
    `__arrow_c_stream__`, so the package can read it through the capsule alone."""

    def __init__(self, inner):
        self.inner = inner

    def __arrow_c_stream__(self, requested_schema=None):
        return self.inner.__arrow_c_stream__(requested_schema)


def to_polars(df):
    pl = require("polars")
    return pl.DataFrame({c: df[c].to_numpy() for c in df.columns})


def to_arrow(df):
    pa = require("pyarrow")
    return pa.table({c: df[c].to_numpy() for c in df.columns})


#: Each way a non-pandas table arrives: polars, a pyarrow Table, a RecordBatch, a bare capsule stream
#: (of pyarrow data, and of polars data: polars' buffers imported by pyarrow through the capsule).
CONVERT = {
    "polars": to_polars,
    "arrow": to_arrow,
    "batch": lambda df: to_arrow(df).to_batches(max_chunksize=len(df))[0],
    "capsule": lambda df: Stream(to_arrow(df)),
    "polars-capsule": lambda df: (require("pyarrow"), Stream(to_polars(df)))[1],
}
KINDS = list(CONVERT)


@pytest.fixture(params=KINDS)
def convert(request):
    return CONVERT[request.param]


def sectors_subs(industries):
    return {t: v[0] for t, v in industries.items()}, {t: v[1] for t, v in industries.items()}


# --- every entry point equals the pandas path ----------------------------------------------------


def test_direction_rank_and_inputs_equal_pandas(convert, model, ranker, frame, industries):
    table = convert(frame)
    np.testing.assert_array_equal(model.direction(table), model.direction(frame))
    sectors, subs = sectors_subs(industries)
    got, want = ranker.rank(table, sectors, subs), ranker.rank(frame, sectors, subs)
    np.testing.assert_array_equal(got.scores, want.scores)
    np.testing.assert_array_equal(got.order, want.order)
    assert got.date == want.date and got.tickers == want.tickers
    gi, wi = ranker.ranking_inputs(table, sectors, subs), ranker.ranking_inputs(frame, sectors, subs)
    assert gi.nodes == wi.nodes
    for f in ("node_features", "a_long", "a_short"):
        np.testing.assert_array_equal(getattr(gi, f), getattr(wi, f))


def test_stocks_and_split_frame_equal_pandas(convert, frame):
    got, want = trendcast.Stocks(convert(frame)), trendcast.Stocks(frame)
    assert got.tickers == want.tickers
    for i in range(len(want)):
        for g, w in zip(got.columns(i), want.columns(i)):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)
    names, stocks = trendcast.split_frame(convert(frame))
    assert names == want.tickers and len(stocks) == len(want)


def test_features_equal_pandas(convert, frame):
    got, want = trendcast.features(convert(frame)), trendcast.features(frame)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    np.testing.assert_array_equal(trendcast.feature_matrix(convert(frame)), trendcast.feature_matrix(frame))


def test_universe_history_and_push_day_equal_pandas(convert, model, ranker, frame, industries):
    sectors, subs = sectors_subs(industries)
    tickers = sorted(industries)
    days = sorted(frame["date"].unique())
    answers = []
    for make in (lambda df: df, convert):
        with trendcast.Universe([model, ranker], tickers, sectors, subs, history=make(frame[frame["date"] < days[-3]])) as u:
            for day in days[-3:]:
                u.push_day(make(frame[frame["date"] == day].reset_index(drop=True)))
            answers.append((u.last_date, u.direction(), u.rank()))
    (gd, gp, gr), (wd, wp, wr) = answers[1], answers[0]
    assert gd == wd
    np.testing.assert_array_equal(gp, wp)
    np.testing.assert_array_equal(gr.scores, wr.scores)
    np.testing.assert_array_equal(gr.order, wr.order)


def reversal(frame):
    f = frame.sort_values(["ticker", "date"])
    score = -(f["close"] / f.groupby("ticker")["close"].shift(1) - 1.0)
    return pd.DataFrame({"date": f["date"], "ticker": f["ticker"], "score": score}).dropna().reset_index(drop=True)


def test_scores_backtest_equals_pandas(convert, frame):
    days = sorted(frame["date"].unique())
    scores = reversal(frame)
    kw = dict(start=days[60], top_k=5, cost_bps=5.0, strategy="dropout:2")
    want = trendcast.backtest(frame, scores, **kw)
    for bars, s in ((convert(frame), scores), (frame, convert(scores)), (convert(frame), convert(scores))):
        got = trendcast.backtest(bars, s, **kw)
        assert got.metrics == want.metrics
        pd.testing.assert_frame_equal(got.daily, want.daily, check_exact=True)
        pd.testing.assert_frame_equal(got.equity, want.equity, check_exact=True)


def test_model_backtest_and_score_days_equal_pandas(convert, ranker, frame, industries):
    sectors, subs = sectors_subs(industries)
    days = sorted(frame["date"].unique())
    kw = dict(start=days[-30], end=days[-1])
    want = trendcast.score_days(ranker, frame, sectors, subs, **kw)
    pd.testing.assert_frame_equal(trendcast.score_days(ranker, convert(frame), sectors, subs, **kw), want, check_exact=True)
    b_want = trendcast.backtest(frame, model=ranker, sector_ids=sectors, sub_industry_ids=subs, top_k=5, **kw)
    b_got = trendcast.backtest(convert(frame), model=ranker, sector_ids=sectors, sub_industry_ids=subs, top_k=5, **kw)
    assert b_got.metrics == b_want.metrics


# --- layouts and column types --------------------------------------------------------------------


def test_row_order_chunks_and_adj_close_equal_pandas(model, frame):
    pl, pa = require("polars"), require("pyarrow")
    # Rows by date (gathered per ticker), and a non-missing adj_close on some rows (nulls elsewhere).
    by_date = frame.sort_values(["date", "ticker"], kind="stable").reset_index(drop=True)
    adj = by_date["close"].where(np.arange(len(by_date)) % 3 == 0) * 0.5
    mixed = by_date.assign(adj_close=adj)
    want = model.direction(mixed)
    want_close = trendcast.Stocks(mixed).columns(0)[4]
    assert not np.array_equal(want_close, trendcast.Stocks(by_date).columns(0)[4])  # adj_close applied

    def same(table):
        np.testing.assert_array_equal(trendcast.Stocks(table).columns(0)[4], want_close)
        np.testing.assert_array_equal(model.direction(table), want)

    same(to_polars(mixed))
    with_nans = to_arrow(mixed)
    assert with_nans.column("adj_close").null_count == 0  # NaN where missing, as in pandas
    same(with_nans)
    with_nulls = pa.Table.from_pandas(mixed, preserve_index=False)  # nulls where missing
    assert with_nulls.column("adj_close").null_count > 0
    same(with_nulls)
    # Several chunks (joined once) in both libraries.
    k = len(mixed) // 3
    chunked = pa.concat_tables([with_nulls.slice(0, k), with_nulls.slice(k)])
    assert chunked.column("close").num_chunks == 2
    same(chunked)
    pchunked = pl.concat([to_polars(mixed)[:k], to_polars(mixed)[k:]], rechunk=False)
    assert pchunked["close"].n_chunks() == 2
    same(pchunked)


def date_forms(frame):
    """The frame's YYYY-MM-DD dates in each form polars and Arrow hold dates in."""
    pl, pa = require("polars"), require("pyarrow")
    day = pd.to_datetime(frame["date"])
    ints = day.dt.strftime("%Y%m%d").astype(np.int32).to_numpy()
    tokyo = day.dt.tz_localize("Asia/Tokyo")  # local midnight: the day before in UTC
    new_york = (day + pd.Timedelta(hours=16)).dt.tz_localize("America/New_York")  # the close
    p, a = to_polars(frame), to_arrow(frame)
    col = a.column_names.index("date")
    return {
        "polars Date": p.with_columns(pl.col("date").str.to_date()),
        "polars Datetime": p.with_columns(pl.col("date").str.to_datetime(time_unit="ns")),
        "polars Datetime Asia/Tokyo": p.with_columns(pl.Series("date", day.to_numpy()).dt.replace_time_zone("Asia/Tokyo")),
        "polars Datetime America/New_York": p.with_columns(
            pl.Series("date", (day + pd.Timedelta(hours=16)).to_numpy()).dt.replace_time_zone("America/New_York")),
        "polars Int32": p.with_columns(pl.Series("date", ints)),
        "polars Categorical ticker": p.with_columns(pl.col("ticker").cast(pl.Categorical)),
        "arrow date32": a.set_column(col, "date", pa.array(day.dt.date.to_numpy(), pa.date32())),
        "arrow date64": a.set_column(col, "date", pa.array(day.dt.date.to_numpy(), pa.date64())),
        "arrow timestamp[s]": a.set_column(col, "date", pa.array(day.to_numpy(), pa.timestamp("s"))),
        "arrow timestamp Asia/Tokyo": a.set_column(col, "date", pa.array(tokyo)),
        "arrow timestamp America/New_York": a.set_column(col, "date", pa.array(new_york)),
        "arrow timestamp +09:00": a.set_column(col, "date", pa.array(tokyo).cast(pa.timestamp("ns", "+09:00"))),
        "arrow int32": a.set_column(col, "date", pa.array(ints)),
        "arrow large_string": a.set_column(col, "date", a.column("date").cast(pa.large_string())),
        "arrow dictionary ticker": a.set_column(
            a.column_names.index("ticker"), "ticker", a.column("ticker").dictionary_encode()),
    }


def test_date_forms_give_the_pandas_answer(model, frame):
    want = model.direction(frame)
    # The pandas path's tz rule, for reference: a tz-aware pandas column gives the same answer.
    tz = frame.assign(date=pd.to_datetime(frame["date"]).dt.tz_localize("Asia/Tokyo"))
    np.testing.assert_array_equal(model.direction(tz), want)
    for name, table in date_forms(frame).items():
        np.testing.assert_array_equal(model.direction(table), want, err_msg=name)
        stocks = trendcast.Stocks(table)
        np.testing.assert_array_equal(stocks.columns(0)[0], trendcast.Stocks(frame).columns(0)[0], err_msg=name)


def test_one_stock_tables_and_lists_of_them(model, frame, stocks):
    t = sorted(stocks)[0]
    one = frame[frame["ticker"] == t].drop(columns=["ticker"]).reset_index(drop=True)
    want = model.direction(stocks[t])
    for kind in ("polars", "arrow"):
        np.testing.assert_array_equal(model.direction(CONVERT[kind](one)), want)
        np.testing.assert_array_equal(model.direction([CONVERT[kind](one)] * 2), model.direction([stocks[t]] * 2))


# --- read in place -------------------------------------------------------------------------------


def test_numeric_columns_are_read_in_place(frame):
    """Rows already ticker by ticker, float64 without nulls in one chunk: the C structs point into
    the Arrow (or polars) buffers themselves; nothing numeric was copied."""
    pa = require("pyarrow")
    grouped = frame.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    table = to_arrow(grouped)
    for given in (table, Stream(table), table.to_batches(max_chunksize=len(grouped))[0]):
        stocks = trendcast.Stocks(given)
        # Prices are float64 (volume may be integers: converted, as a pandas int64 column is).
        floats = [f for f in ("open", "high", "low", "close", "volume") if table.column(f).type == pa.float64()]
        assert "close" in floats
        for f in floats:
            chunk = table.column(f).chunk(0)
            address = chunk.buffers()[1].address + chunk.offset * 8
            assert int(stocks._structs[0][f]) == address, f  # the first stock starts the buffer
            last = len(stocks) - 1
            assert int(stocks._structs[last][f]) + 8 * int(stocks._structs[last]["len"]) == address + 8 * len(grouped)
    pl = require("polars")
    p = to_polars(grouped)
    stocks = trendcast.Stocks(p)
    for f in floats:
        assert int(stocks._structs[0][f]) == p[f].to_numpy().ctypes.data, f
        # The same buffer seen through the capsule by pyarrow: polars' own memory.
        assert int(stocks._structs[0][f]) == pa.table(Stream(p)).column(f).chunk(0).buffers()[1].address


# --- refusals as the pandas path's ---------------------------------------------------------------


def test_refusals_name_what_is_wrong(model, frame):
    pl, pa = require("polars"), require("pyarrow")
    a = to_arrow(frame)
    p = to_polars(frame)
    with pytest.raises(trendcast.InvalidArgumentError, match="volume"):
        model.direction(p.drop("volume"))
    with pytest.raises(trendcast.InvalidArgumentError, match="volume"):
        model.direction(a.drop_columns(["volume"]))
    # Two columns of one name (polars allows `close` and `CLOSE`; Arrow even two `close`).
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `close`"):
        model.direction(p.with_columns(pl.col("close").alias("CLOSE")))
    with pytest.raises(trendcast.InvalidArgumentError, match="2 columns named `close`"):
        model.direction(a.append_column("close", a.column("close")))
    # A missing (null) or empty ticker, by row.
    tick = frame["ticker"].to_numpy().copy()
    tick[5] = None
    at = a.column_names.index("ticker")
    for table in (p.with_columns(pl.Series("ticker", tick)), a.set_column(at, "ticker", pa.array(tick))):
        with pytest.raises(trendcast.InvalidArgumentError, match=r"ticker #5 is missing or empty \(None\)"):
            model.direction(table)
    tick[5] = ""
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker #5 is missing or empty"):
        model.direction(p.with_columns(pl.Series("ticker", tick)))
    with pytest.raises(trendcast.InvalidArgumentError, match="ticker #5 is missing or empty"):
        model.direction(a.set_column(at, "ticker", pa.array(tick)))
    # Booleans and strings are not prices; a missing date is not a date.
    with pytest.raises(trendcast.ParseError, match="booleans"):
        model.direction(p.with_columns(pl.col("close") > 0))
    with pytest.raises(trendcast.ParseError, match="close"):
        model.direction(a.set_column(a.column_names.index("close"), "close", a.column("close").cast(pa.string())))
    dates = pd.to_datetime(frame["date"]).dt.date.to_numpy().copy()
    dates[3] = None
    with pytest.raises(trendcast.ParseError, match="missing"):
        model.direction(a.set_column(a.column_names.index("date"), "date", pa.array(dates, pa.date32())))
    # Unsorted dates within a ticker, as in the CSV loader.
    shuffled = frame.sample(frac=1.0, random_state=1)
    for table in (to_polars(shuffled), to_arrow(shuffled)):
        with pytest.raises(trendcast.UnsortedError):
            model.direction(table)
    with pytest.raises(trendcast.ShapeError, match="no rows"):
        model.direction(a.slice(0, 0))


# --- the shipped models on the shared data -------------------------------------------------------

SHARED = Path(os.environ.get("TRENDCAST_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data" / "sp500")


def shipped(name):
    root = os.environ.get("TRENDCAST_TEST_SHIPPED_MODELS")
    path = Path(root or "") / name
    if not root or not (path / "manifest.json").exists():
        pytest.skip(f"shipped bundle {name} not found (TRENDCAST_TEST_SHIPPED_MODELS)")
    return str(path)


@pytest.fixture(scope="module")
def sp500():
    """The shared S&P 500 data's 2024 bars with 2023's second half (about 190,000 rows), and the
    industries; skipped where the data is absent."""
    path = SHARED / "bars_2018_2024.csv.gz"
    if not path.exists():
        pytest.skip(f"the shared data is not at {SHARED} (set TRENDCAST_DATA)")
    bars = pd.read_csv(path)
    bars = bars[bars["date"] >= "2023-07-01"].reset_index(drop=True)
    industries = pd.read_csv(SHARED / "industries.csv").set_index("ticker")
    return bars, industries["sector"].to_dict(), industries["sub_industry"].to_dict()


def test_shipped_models_on_the_shared_data_equal_pandas(sp500):
    pl, pa = require("polars"), require("pyarrow")
    bars, sectors, subs = sp500
    tables = {
        "polars": pl.DataFrame({c: bars[c].to_numpy() for c in bars.columns}).with_columns(pl.col("date").str.to_date()),
        "arrow": pa.Table.from_pandas(bars, preserve_index=False),
    }
    direction, ranking = shipped("direction-gru"), shipped("lsr-igru")
    with trendcast.Model(direction, backend="tract") as d, trendcast.Model(ranking, backend="tract") as r:
        want_p = d.direction(bars)
        want_r = r.rank(bars, sectors, subs)
        want_f = trendcast.feature_matrix(bars)
        days = sorted(bars["date"].unique())
        kw = dict(model=r, sector_ids=sectors, sub_industry_ids=subs, start=days[-6], end=days[-1], top_k=10)
        want_b = trendcast.backtest(bars, **kw)
        for name, table in tables.items():
            np.testing.assert_array_equal(d.direction(table), want_p, err_msg=name)
            got = r.rank(table, sectors, subs)
            np.testing.assert_array_equal(got.scores, want_r.scores, err_msg=name)
            np.testing.assert_array_equal(got.order, want_r.order, err_msg=name)
            np.testing.assert_array_equal(trendcast.feature_matrix(table), want_f, err_msg=name)
            assert trendcast.backtest(table, **kw).metrics == want_b.metrics, name


# --- optional -------------------------------------------------------------------------------------


def test_the_package_works_without_polars_and_pyarrow(direction_dir, bars_csv):
    """Blocked imports of polars and pyarrow: the package imports and the pandas path runs; a polars
    frame is read without pyarrow."""
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['polars'] = None\n"
        "import pandas as pd, trendcast\n"
        f"m = trendcast.Model({direction_dir!r}, backend='tract')\n"
        f"print(m.direction(pd.read_csv({bars_csv!r})).shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 0 and out.stdout.strip().endswith(", 3)"), out.stderr
    require("polars")
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import numpy as np, pandas as pd, polars as pl, trendcast\n"
        f"m = trendcast.Model({direction_dir!r}, backend='tract')\n"
        f"df = pd.read_csv({bars_csv!r}, float_precision='round_trip')\n"
        "p = pl.DataFrame({c: df[c].to_numpy() for c in df.columns})\n"
        "assert np.array_equal(m.direction(p), m.direction(df))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
