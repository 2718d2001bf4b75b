"""The live universe handle: stocks advanced one day at a time, answering from the state."""

from __future__ import annotations

from contextlib import ExitStack
from ctypes import POINTER, byref, c_double, c_float, c_int32, c_size_t
from typing import Any, List, Optional, Sequence

import numpy as np

from . import _native
from ._bars import Stocks, long_frame, split_frame
from ._errors import InvalidArgumentError, ShapeError
from ._handle import Handle
from ._model import Model, PathLike, Ranking, _c_path, _check, _SIZE_MAX
from ._bars import ids as _ids
from ._bars import tickers as _tickers


class Universe(Handle):
    """A universe of stocks advanced one day at a time (``trendcast_universe``).

    It keeps per stock the incremental features and each direction model's window, and per ranking
    model the relation inputs and the encodings of the window's days: :meth:`push_day` computes one
    day, :meth:`direction` and :meth:`rank` answer from the state for the latest day, as
    :meth:`Model.direction` and :meth:`Model.rank` would from the whole history.

    ``models``: :class:`Model` objects (the universe keeps its own reference: closing them later is
    fine); ``model`` arguments below are positions in this list (default: the first of the kind).
    ``tickers``: the universe's stocks, in the order of every answer. ``sector_ids``,
    ``sub_industry_ids``: per ticker, as for :meth:`Model.rank` (sequences in ticker order, or
    mappings from ticker). ``history``: None, or a long-format DataFrame of bars (pandas or polars,
    or an Arrow table; every day of it is pushed; its tickers must be in ``tickers``; a ticker
    without rows lists later).

    Reads (:meth:`direction`, :meth:`rank`, :meth:`save`) may run on many threads at once;
    :meth:`push_day` waits for them and runs alone.
    """

    def __init__(
        self,
        models: Sequence[Model],
        tickers: Sequence[str],
        sector_ids: Any,
        sub_industry_ids: Any,
        history: Any = None,
        *,
        _restore: Optional[PathLike] = None,
    ) -> None:
        super().__init__()
        self._lib = _native.lib()
        self._tickers = [str(t) for t in _tickers(tickers, "tickers")]
        n = len(self._tickers)
        if n == 0:
            raise ShapeError("a universe needs at least one ticker")
        if len(set(self._tickers)) != n:
            raise InvalidArgumentError("a ticker is named twice")
        self._index = {t: k for k, t in enumerate(self._tickers)}
        self._kinds = [m.kind for m in models]
        sectors = _ids(sector_ids, self._tickers, n, "sector_ids")
        subs = _ids(sub_industry_ids, self._tickers, n, "sub_industry_ids")
        handles = (_native.model_p * len(models))()
        out = _native.universe_p()
        # Each model stays open until the universe holds its own reference.
        with ExitStack() as held:
            for i, m in enumerate(models):
                handles[i] = held.enter_context(m._live())
            i32 = POINTER(c_int32)
            if _restore is not None:
                status = self._lib.trendcast_universe_restore(
                    handles, len(models), sectors.ctypes.data_as(i32), subs.ctypes.data_as(i32), n, _c_path(_restore, "path"), byref(out)
                )
            else:
                stocks = None
                if history is not None:
                    stocks = self._history(history)
                arr = stocks._c_array() if stocks is not None else None
                status = self._lib.trendcast_universe_create(
                    handles, len(models), sectors.ctypes.data_as(i32), subs.ctypes.data_as(i32), n, arr, byref(out)
                )
        _check(status)
        self._handle = out

    @classmethod
    def restore(cls, models: Sequence[Model], tickers: Sequence[str], sector_ids: Any, sub_industry_ids: Any, path: PathLike) -> "Universe":
        """A universe saved by :meth:`save`, for the same models (same bundles, same order) and the
        same tickers with the same industries; anything else raises :class:`ContractError`."""
        return cls(models, tickers, sector_ids, sub_industry_ids, _restore=path)

    def _history(self, history: Any) -> Stocks:
        if isinstance(history, Stocks) and history.tickers:  # already split (score_days)
            names, columns = history.tickers, [history.columns(k) for k in range(len(history))]
        elif long_frame(history) is None:
            raise InvalidArgumentError("history must be a long-format DataFrame (date, ticker, open, high, low, close, volume)")
        else:
            names, columns = split_frame(history)
        unknown = [t for t in names if t not in self._index]
        if unknown:
            raise InvalidArgumentError(f"history has ticker(s) not in the universe: {', '.join(unknown[:5])}")
        empty_i = np.empty(0, dtype=np.int32)
        empty_f = np.empty(0, dtype=np.float64)
        stocks: List[Any] = [(empty_i, empty_f, empty_f, empty_f, empty_f, empty_f)] * len(self._tickers)
        for t, c in zip(names, columns):
            stocks[self._index[t]] = c
        return Stocks.of_columns(stocks, self._tickers)

    _what = "universe"

    def _free(self, handle: Any) -> None:
        self._lib.trendcast_universe_free(handle)

    # --- what it is ---

    @property
    def tickers(self) -> List[str]:
        return list(self._tickers)

    @property
    def last_date(self) -> Optional[int]:
        """The latest pushed day as a YYYYMMDD int, None before the first push."""
        d = c_int32()
        with self._live() as h:
            _check(self._lib.trendcast_universe_last_day(h, byref(d), None))
        return d.value or None

    def _model(self, model: Optional[int], kind: str) -> int:
        if model is None:
            if kind not in self._kinds:
                raise InvalidArgumentError(f"the universe has no {kind} model")
            return self._kinds.index(kind)
        return int(model)

    # --- calls ---

    def push_day(self, bars: Any) -> None:
        """Advances the universe by one day: ``bars`` is a long-format DataFrame of that day's bars
        (one row per stock that traded, one date), pandas or polars, or an Arrow table. A refused
        day changes nothing."""
        frame = long_frame(bars)
        if frame is None:
            raise InvalidArgumentError("push_day takes a long-format DataFrame of one day's bars")
        if "ticker" not in [str(c).lower() for c in frame.columns] or len(frame) == 0:
            raise InvalidArgumentError("push_day needs a `ticker` column and at least one row")
        day = Stocks(frame)
        names = day.tickers
        dates = np.unique(np.concatenate([day.columns(k)[0] for k in range(len(day))]))
        if len(dates) != 1:
            raise InvalidArgumentError(f"push_day takes one day's bars; the frame has {len(dates)} dates")
        if len(day) != len(frame):
            raise InvalidArgumentError("a ticker appears twice in the day's bars")
        unknown = [t for t in names if t not in self._index]
        if unknown:
            raise InvalidArgumentError(f"ticker(s) not in the universe: {', '.join(unknown[:5])}")
        ids = np.array([self._index[t] for t in names], dtype=np.uintp)
        # One row per ticker: the day's columns, in ticker order, are each stock's one bar.
        fields = [np.ascontiguousarray(np.concatenate([day.columns(k)[f] for k in range(len(day))])) for f in range(1, 6)]
        self._push(int(dates[0]), ids, fields)

    def _push(self, date: int, ids: np.ndarray, fields: List[np.ndarray]) -> None:
        """One day's bars: universe positions (uintp) and the open, high, low, close and volume
        arrays (contiguous float64), one row per position."""
        fp = POINTER(c_double)
        with self._alone() as handle:
            status = self._lib.trendcast_universe_push_day(
                handle, date, ids.ctypes.data_as(POINTER(c_size_t)), *(f.ctypes.data_as(fp) for f in fields), len(ids)
            )
        _check(status)

    def direction(self, model: Optional[int] = None) -> np.ndarray:
        """Every stock's down / flat / up probabilities for the latest day: an (n, 3) float32
        array in ticker order, NaN rows for stocks without an answer that day."""
        i = self._model(model, "direction")
        out = np.empty((len(self._tickers), 3), dtype=np.float32)
        with self._live() as h:
            status = self._lib.trendcast_universe_direction(h, i, out.ctypes.data_as(POINTER(c_float)), out.size)
        _check(status)
        return out

    def rank(self, model: Optional[int] = None) -> Ranking:
        """The latest day's scores and order (a :class:`Ranking`, as :meth:`Model.rank` returns)."""
        i = self._model(model, "ranking")
        n = len(self._tickers)
        scores = np.empty(n, dtype=np.float32)
        order = np.empty(n, dtype=np.uintp)
        date = c_int32()
        with self._live() as h:
            status = self._lib.trendcast_universe_rank(
                h, i, scores.ctypes.data_as(POINTER(c_float)), order.ctypes.data_as(POINTER(c_size_t)), n, byref(date)
            )
        _check(status)
        return Ranking(scores, order[order != _SIZE_MAX].astype(np.int64), date.value, list(self._tickers))

    def save(self, path: PathLike) -> None:
        """Writes the state to ``path`` (replaced atomically)."""
        with self._live() as h:
            _check(self._lib.trendcast_universe_save(h, _c_path(path, "path")))

    def __repr__(self) -> str:
        state = "" if self._handle else ", closed"
        return f"<trendcast.Universe of {len(self._tickers)} stocks{state}>"
