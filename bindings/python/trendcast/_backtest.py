"""The CLI's backtest from Python (trendcast_backtest): over scores the caller computed, or over a
ranking model's scores, which a streaming :class:`Universe` computes day by day. Needs pandas."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, byref, c_float, c_int32
from typing import Any, Dict, Optional, Tuple

import numpy as np

from . import _native
from ._bars import Stocks, is_frame, long_frame, one_column, prices, tickers, yyyymmdd
from ._errors import InvalidArgumentError
from ._model import Model, _check

METRICS = [f[0] for f in _native.trendcast_backtest_metrics._fields_]
DAY_FIELDS = [f[0] for f in _native.trendcast_backtest_day._fields_]
# trendcast_backtest_day as numpy sees it: the C offsets (padding after the int32 date included).
_DAY_DTYPE = np.dtype(
    {
        "names": DAY_FIELDS,
        "formats": [np.int32 if t is ctypes.c_int32 else np.float64 for _, t in _native.trendcast_backtest_day._fields_],
        "offsets": [getattr(_native.trendcast_backtest_day, f).offset for f in DAY_FIELDS],
        "itemsize": ctypes.sizeof(_native.trendcast_backtest_day),
    }
)


class BacktestResult:
    """What :func:`backtest` returns.

    - ``metrics``: a dict: ``days``, ``arr``, ``avol``, ``mdd``, ``asr``, ``cr``, ``ir``,
      ``benchmark_arr``, ``excess_arr``, ``turnover``, ``ic``, ``icir``, ``rank_ic``, ``final_nv``
      (the CLI's ``metrics``).
    - ``daily``: a DataFrame, one row per decision day: ``date``, ``portfolio``, ``benchmark``,
      ``turnover``, ``ic``, ``rank_ic``.
    - ``equity``: the equity curves as a DataFrame: ``date``, ``portfolio_nv``, ``benchmark_nv``,
      ``excess_nv`` (the CLI's ``--curve`` CSV).
    - ``top_k``, ``cost_bps``, ``strategy``: the settings.
    """

    def __init__(self, metrics: Dict[str, float], daily: Any, equity: Any, top_k: int, cost_bps: float, strategy: str) -> None:
        self.metrics = metrics
        self.daily = daily
        self.equity = equity
        self.top_k = top_k
        self.cost_bps = cost_bps
        self.strategy = strategy

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"<trendcast.BacktestResult top {self.top_k} ({self.strategy}), {self.cost_bps} bps: {m['days']} days, "
            f"ARR {m['arr']:.4f} vs {m['benchmark_arr']:.4f}, rank IC {m['rank_ic']:.4f}>"
        )


_SIZE_MAX = int(np.iinfo(np.uintp).max)


def _top_k(value: Any) -> int:
    """``top_k`` as the size_t the C call takes: a whole number from 1 up, refused otherwise rather
    than wrapped (-1 would hold every stock, 2**64 + 3 three)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"top_k must be a whole number of stocks, not {type(value).__name__} {value!r}")
    if not 1 <= int(value) <= _SIZE_MAX:
        raise InvalidArgumentError(f"top_k must be at least 1 (and fit in size_t), not {value}")
    return int(value)


def _cost_bps(value: Any) -> float:
    """``cost_bps`` as a number: a string or a boolean is refused, not read as 5.0 or 1.0 (the
    library refuses a NaN or a cost outside 0 to 1000)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"cost_bps must be a number of basis points, not {type(value).__name__} {value!r}")
    return float(value)


def _max_swaps(strategy: str) -> int:
    if not isinstance(strategy, str):
        raise InvalidArgumentError(f'strategy must be "rebalance" or "dropout:N", not {type(strategy).__name__} {strategy!r}')
    if strategy == "rebalance":
        return 0
    kind, _, n = strategy.partition(":")
    if kind == "dropout" and n.isdigit() and int(n) >= 1:
        return int(n)
    raise InvalidArgumentError(f'strategy {strategy!r}: expected "rebalance" or "dropout:N" with N >= 1 stocks swapped a day')


def _day(value: Any) -> Optional[int]:
    return None if value is None else int(yyyymmdd(np.asarray([value]))[0])


def _decision_window(calendar: np.ndarray, start: Any, end: Any) -> Tuple[Tuple[Optional[int], Optional[int]], Tuple[int, int], np.ndarray]:
    """(start, end) as YYYYMMDD or None, the same as bounds (open ends filled in), and the calendar's
    days that can be decided on: each needs two trading days after it (the CLI's rule)."""
    lo, hi = _day(start), _day(end)
    if lo is not None and hi is not None and lo > hi:
        raise InvalidArgumentError(f"start {lo} is after end {hi}")
    bounds = (lo if lo is not None else np.iinfo(np.int32).min, hi if hi is not None else np.iinfo(np.int32).max)
    return (lo, hi), bounds, calendar[: max(len(calendar) - 2, 0)]


def backtest(
    bars: Any,
    scores: Any = None,
    *,
    model: Optional[Model] = None,
    sector_ids: Any = None,
    sub_industry_ids: Any = None,
    start: Any = None,
    end: Any = None,
    top_k: int = 10,
    cost_bps: float = 0.0,
    strategy: str = "rebalance",
) -> BacktestResult:
    """Backtests scores as ``trendcast backtest`` does: decide at the close of each day, trade at the
    next open into the top ``top_k`` (equal weight), hold to the open after; the benchmark is the
    equal-weighted universe. ``strategy``: ``"rebalance"`` (hold the day's top k) or
    ``"dropout:N"`` (replace at most N holdings a day). ``top_k``: a whole number from 1 up (a
    float, a string, a bool or a value outside 1 to 2**64 - 1 is refused, never wrapped through
    size_t). ``cost_bps``: a number, per side, 0 to 1000 (a string or a bool is refused, not read as
    a number). Each refusal is an :class:`InvalidArgumentError` naming the argument.

    ``bars``: the stocks (a long-format DataFrame or a :class:`Stocks` made from one); their dates
    make the trading calendar. Wherever a DataFrame is taken (``bars``, ``scores``), a polars
    DataFrame or an Arrow table is too (read as :class:`Stocks` reads them); the result is pandas.

    Either ``scores``: a DataFrame with columns ``date``, ``ticker``, ``score`` (higher is better;
    a stock without a row on a day is not eligible that day; a NaN or None score too), computed from
    data up to the close of its date only (scores that are not numbers are a :class:`ParseError`, a
    missing ticker an :class:`InvalidArgumentError`); or ``model``: a ranking :class:`Model`, scored day by day by a streaming
    :class:`Universe` (bit for bit the stateless call the CLI makes) with ``sector_ids`` and
    ``sub_industry_ids`` as :meth:`Model.rank` takes them (:func:`score_days`; to try several
    portfolios on one model, score once with it and pass the scores).

    Decision days: the score dates (with a model: the trading days) from ``start`` to ``end``
    (inclusive; default all) that have two trading days after them in the bars, the CLI's rule.
    They must be consecutive trading days: a score date that is not a trading day (a holiday) or a
    trading day without any score inside the range is an error naming it.
    """
    import pandas as pd

    top_k, cost_bps = _top_k(top_k), _cost_bps(cost_bps)
    frame = long_frame(bars)
    if not (frame is not None or isinstance(bars, Stocks)):
        raise InvalidArgumentError("bars must be a long-format DataFrame or trendcast.Stocks")
    if (scores is None) == (model is None):
        raise InvalidArgumentError("give either scores (a DataFrame of date, ticker, score) or a ranking model")
    if model is not None and frame is None:
        raise InvalidArgumentError("with a model, bars must be a long-format DataFrame (the days are pushed one by one)")
    stocks = Stocks(frame if frame is not None else bars)
    if not stocks.tickers:
        raise InvalidArgumentError("the bars must name their tickers (a long-format DataFrame)")
    max_swaps = _max_swaps(strategy)
    calendar = np.unique(np.concatenate([stocks.columns(i)[0] for i in range(len(stocks))]))
    (lo, hi), (lo_v, hi_v), tradable = _decision_window(calendar, start, end)

    if model is not None:
        scores = _score_days(model, frame, stocks, sector_ids, sub_industry_ids, start, end)
    scores = long_frame(scores)
    if scores is None:
        raise InvalidArgumentError("scores must be a DataFrame with columns date, ticker, score")
    missing = [c for c in ("date", "ticker", "score") if c not in scores.columns]
    if missing:
        raise InvalidArgumentError(f"scores has no column {', '.join(missing)} (have: {', '.join(map(str, scores.columns))})")
    date_col, ticker_col, score_col = (one_column(scores, c, "scores") for c in ("date", "ticker", "score"))
    d = yyyymmdd(date_col)
    keep = (d >= lo_v) & (d <= min(hi_v, int(tradable.max()) if len(tradable) else -1))
    days = np.unique(d[keep])
    if len(days) == 0:
        raise InvalidArgumentError(f"no score date from {lo} to {hi} with two trading days after it in the bars")
    index = {t: k for k, t in enumerate(stocks.tickers)}
    tick = np.asarray(tickers(ticker_col, "scores"))[keep]
    unknown = sorted(set(tick) - set(index))
    if unknown:
        raise InvalidArgumentError(f"scores name ticker(s) without bars: {', '.join(unknown[:5])}")
    rows = np.searchsorted(days, d[keep])
    cols = np.array([index[t] for t in tick], dtype=np.int64)
    matrix = np.full((len(days), len(stocks)), np.nan, dtype=np.float32)
    flat = rows * len(stocks) + cols
    if len(np.unique(flat)) != len(flat):
        raise InvalidArgumentError("scores has two rows for one (date, ticker)")
    # Numbers only: a string score is refused, not parsed (NaN or None: not eligible that day).
    score_values = score_col.to_numpy() if is_frame(scores) else score_col
    values = prices(score_values, "score", "scores")[keep]
    # Only NaN means "not eligible": an infinite score, or one beyond float's range (which the C
    # call's float would make infinite), is refused here with its ticker, day and value.
    too_big = np.abs(np.nan_to_num(values, nan=0.0)) > np.finfo(np.float32).max
    if too_big.any():
        i = int(np.argmax(too_big))
        day = str(d[keep][i])
        raise InvalidArgumentError(
            f"the score of {tick[i]} on {day[:4]}-{day[4:6]}-{day[6:]} is {float(values[i])!r}: a score must be finite and "
            "within float's range (about 3.4e38), or NaN for a stock not eligible that day"
        )
    matrix.reshape(-1)[flat] = values.astype(np.float32)

    days = np.ascontiguousarray(days, dtype=np.int32)
    metrics = _native.trendcast_backtest_metrics()
    out = (_native.trendcast_backtest_day * len(days))()
    lib = _native.lib()
    status = lib.trendcast_backtest(
        stocks._c_array(), len(stocks), days.ctypes.data_as(POINTER(c_int32)), len(days),
        matrix.ctypes.data_as(POINTER(c_float)), top_k, cost_bps, max_swaps, byref(metrics), out, len(days),
    )
    _check(status)
    table = np.frombuffer(out, dtype=_DAY_DTYPE)  # a record view of the C structs: no per-day loop
    dates = pd.to_datetime(table["date"].astype(str), format="%Y%m%d")
    daily = pd.DataFrame({"date": dates, **{f: table[f].copy() for f in ("portfolio", "benchmark", "turnover", "ic", "rank_ic")}})
    equity = pd.DataFrame({"date": dates, **{f: table[f].copy() for f in ("portfolio_nv", "benchmark_nv", "excess_nv")}})
    values = {f: getattr(metrics, f) for f in METRICS}
    values["days"] = int(values["days"])
    return BacktestResult(values, daily, equity, top_k, cost_bps, strategy)


def score_days(model: Model, bars: Any, sector_ids: Any, sub_industry_ids: Any, *, start: Any = None, end: Any = None) -> Any:
    """A ranking model's scores on every trading day of the bars from ``start`` to ``end``
    (inclusive; default all) that has two trading days after it, as a DataFrame of ``date``
    (YYYY-MM-DD), ``ticker``, ``score`` (NaN rows left out): what :func:`backtest` takes. A
    streaming :class:`Universe` built from the bars before the first day pushes and ranks each day,
    bit for bit the stateless call the CLI makes per day. ``bars``: a long-format DataFrame (pandas
    or polars, or an Arrow table); ids as :meth:`Model.rank` takes them. The result is pandas."""
    return _score_days(model, bars, None, sector_ids, sub_industry_ids, start, end)


def _score_days(
    model: Model, bars: Any, stocks: Optional[Stocks], sector_ids: Any, sub_industry_ids: Any, start: Any, end: Any
) -> Any:
    """:func:`score_days`, given the frame already split into ``stocks`` where the caller has it
    (the frame is split once per call)."""
    from ._universe import Universe

    if model.kind != "ranking":
        raise InvalidArgumentError(f"scoring needs a ranking model; {model.name!r} is a {model.kind} model")
    frame = long_frame(bars)
    if frame is None:
        raise InvalidArgumentError("bars must be a long-format DataFrame (the days are pushed one by one)")
    if sector_ids is None or sub_industry_ids is None:
        raise InvalidArgumentError("give sector_ids and sub_industry_ids")
    if stocks is None:
        stocks = Stocks(frame)
    if not is_frame(frame):
        matrix, days = _score_stocks(model, stocks, sector_ids, sub_industry_ids, start, end)
        return _score_table(matrix, days, stocks.tickers)
    date_col = next(c for c in bars.columns if str(c).lower() == "date")
    d = yyyymmdd(bars[date_col])
    (lo, hi), (lo_v, hi_v), tradable = _decision_window(np.unique(d), start, end)
    days = tradable[(tradable >= lo_v) & (tradable <= hi_v)]
    if len(days) == 0:
        raise InvalidArgumentError(f"no trading day from {lo} to {hi} with two trading days after it")
    before = bars[d < days[0]]
    universe = Universe([model], stocks.tickers, sector_ids, sub_industry_ids, before if len(before) else None)
    matrix = np.empty((len(days), len(stocks)), dtype=np.float32)
    order = np.argsort(d, kind="stable")
    sorted_d = d[order]
    first, last = np.searchsorted(sorted_d, days, side="left"), np.searchsorted(sorted_d, days, side="right")
    with universe:
        for i, (a, b) in enumerate(zip(first, last)):
            universe.push_day(bars.iloc[order[a:b]])
            matrix[i] = universe.rank().scores
    return _score_table(matrix, days, stocks.tickers)


def _score_stocks(
    model: Model, stocks: Stocks, sector_ids: Any, sub_industry_ids: Any, start: Any, end: Any
) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`score_days` over bars already split (a polars or Arrow table's): the days before the
    first scored one are the universe's history, then each day's bars are pushed from the split
    columns (gathered by date: no frame is sliced). The pushes are the ones the pandas path makes
    (each stock's bar of the day, in ticker order), so the scores are the same."""
    from ._universe import Universe

    n = len(stocks)
    cols = [stocks.columns(k) for k in range(n)]
    d = np.concatenate([c[0] for c in cols])
    (lo, hi), (lo_v, hi_v), tradable = _decision_window(np.unique(d), start, end)
    days = tradable[(tradable >= lo_v) & (tradable <= hi_v)]
    if len(days) == 0:
        raise InvalidArgumentError(f"no trading day from {lo} to {hi} with two trading days after it")
    before = [tuple(a[c[0] < days[0]] for a in c) for c in cols]
    history = Stocks.of_columns(before, stocks.tickers) if any(len(b[0]) for b in before) else None
    universe = Universe([model], stocks.tickers, sector_ids, sub_industry_ids, history)
    # Every bar, stock by stock (ticker order), then stably by date: a day's rows in ticker order.
    stock = np.repeat(np.arange(n, dtype=np.uintp), [len(c[0]) for c in cols])
    fields = [np.concatenate([c[f] for c in cols]) for f in range(1, 6)]
    order = np.argsort(d, kind="stable")
    sorted_d = d[order]
    first, last = np.searchsorted(sorted_d, days, side="left"), np.searchsorted(sorted_d, days, side="right")
    matrix = np.empty((len(days), n), dtype=np.float32)
    with universe:
        for i, (a, b) in enumerate(zip(first, last)):
            rows = order[a:b]
            ids = stock[rows]
            if len(np.unique(ids)) != len(ids):
                raise InvalidArgumentError("a ticker appears twice in the day's bars")
            universe._push(int(days[i]), ids, [np.ascontiguousarray(f[rows]) for f in fields])
            matrix[i] = universe.rank().scores
    return matrix, days


def _score_table(matrix: np.ndarray, days: np.ndarray, names: Any) -> Any:
    """Scores per (day, stock) as the DataFrame :func:`score_days` returns (NaN rows left out)."""
    import pandas as pd

    stocks_n = len(names)
    dates = pd.to_datetime(days.astype(str), format="%Y%m%d").strftime("%Y-%m-%d")
    table = pd.DataFrame({
        "date": np.repeat(np.asarray(dates), stocks_n),
        "ticker": np.tile(np.array(names, dtype=object), len(days)),
        "score": matrix.reshape(-1),
    })
    return table[np.isfinite(table["score"].to_numpy())].reset_index(drop=True)
