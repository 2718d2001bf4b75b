"""Bars as Python hands them over, turned into the C ABI's six arrays per stock.

A stock's bars: a mapping (dict) of 1-D arrays, a numpy structured array, or a one-stock pandas
DataFrame, with the fields ``date`` (or ``dates``), ``open``, ``high``, ``low``, ``close``,
``volume``. Dates are YYYYMMDD integers, numpy datetime64 values or ``YYYY-MM-DD`` strings.
Several stocks: a list of those, or one long-format DataFrame
(``date,ticker,open,high,low,close[,adj_close],volume``). pandas is imported only when a
DataFrame is given.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from ._errors import InvalidArgumentError, ParseError, ShapeError

PRICE_FIELDS = ("open", "high", "low", "close", "volume")
LONG_COLUMNS = ("date", "ticker") + PRICE_FIELDS

#: One stock, ready for the C call: (dates int32, open, high, low, close, volume float64), all
#: C-contiguous and of one length.
Columns = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def is_frame(obj: Any) -> bool:
    """A pandas DataFrame, recognised without importing pandas."""
    t = type(obj)
    return t.__name__ == "DataFrame" and t.__module__.split(".")[0] == "pandas"


def yyyymmdd(values: Any) -> np.ndarray:
    """Dates as YYYYMMDD int32: from integers (checked to fit), datetime64 or date strings."""
    a = np.asarray(values)
    if a.dtype.kind in "iu":
        if a.size and (a.min() < 0 or a.max() > np.iinfo(np.int32).max):
            raise ParseError("dates as integers must be YYYYMMDD values")
        return np.ascontiguousarray(a, dtype=np.int32)
    if a.dtype.kind == "f":
        if a.size and not np.all(np.isfinite(a) & (a == np.floor(a))):
            raise ParseError("dates as numbers must be whole YYYYMMDD values (a NaN or fraction found)")
        return yyyymmdd(a.astype(np.int64))
    if a.dtype.kind != "M":
        try:
            a = a.astype("datetime64[D]")
        except (ValueError, TypeError) as e:
            raise ParseError(f"dates must be YYYYMMDD integers, datetime64 or YYYY-MM-DD strings: {e}") from None
    days = a.astype("datetime64[D]")
    if np.isnat(days).any():
        raise ParseError("a date is missing (NaT)")
    months = days.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (days - months).astype(np.int64) + 1
    return np.ascontiguousarray(y * 10000 + m * 100 + d, dtype=np.int32)


def _field(stock: Any, name: str, where: str) -> Any:
    names = (name, "dates") if name == "date" else (name,)
    if isinstance(stock, np.ndarray) and stock.dtype.names:
        have = stock.dtype.names
        get = stock.__getitem__
    elif isinstance(stock, Mapping):
        have = tuple(stock.keys())
        get = stock.__getitem__
    elif is_frame(stock):
        have = tuple(stock.columns)
        get = lambda k: stock[k].to_numpy()  # noqa: E731
    else:
        raise InvalidArgumentError(
            f"{where}: bars must be a dict of arrays, a numpy structured array or a pandas DataFrame, "
            f"not {type(stock).__name__}"
        )
    for n in names:
        if n in have:
            return get(n)
    raise InvalidArgumentError(f"{where}: no `{name}` field (have: {', '.join(map(str, have))})")


def prices(values: Any, name: str, where: str) -> np.ndarray:
    """A price or volume column as C-contiguous float64 (copied only where the dtype or layout
    differs): integers and floats only. Booleans, complex numbers and strings are refused, naming
    the column, rather than read as 0/1, real parts or parsed text."""
    a = np.asarray(values)
    kind = a.dtype.kind
    if kind == "O":
        bad = next((x for x in a.ravel() if isinstance(x, (bool, np.bool_, complex, np.complexfloating, str, bytes))), None)
        if bad is not None:
            raise ParseError(f"{where}: `{name}` must hold numbers, found {type(bad).__name__} {bad!r}")
        try:
            return np.ascontiguousarray(a, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ParseError(f"{where}: `{name}` must hold numbers: {e}") from None
    if kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes"}.get(kind, f"dtype {a.dtype}")
        raise ParseError(f"{where}: `{name}` must hold numbers (integers or floats), not {what}")
    return np.ascontiguousarray(a, dtype=np.float64)


def stock_columns(stock: Any, index: int) -> Columns:
    """One stock's six columns, converted (copied only where the dtype or layout differs)."""
    where = f"stock #{index}"
    dates = yyyymmdd(_field(stock, "date", where))
    cols = [prices(_field(stock, f, where), f, where) for f in PRICE_FIELDS]
    for name, c in zip(("date",) + PRICE_FIELDS, [dates] + cols):
        if c.ndim != 1:
            raise ShapeError(f"{where}: `{name}` must be one-dimensional, got shape {c.shape}")
    for name, c in zip(PRICE_FIELDS, cols):
        if len(c) != len(dates):
            raise ShapeError(f"{where}: {len(dates)} dates but {len(c)} {name} values")
    return (dates, cols[0], cols[1], cols[2], cols[3], cols[4])


def _column(frame: Any, name: str) -> str:
    """The frame's column called `name`, matched without regard to case (as the CSV loader does)."""
    for c in frame.columns:
        if str(c).lower() == name:
            return c
    have = ", ".join(map(str, frame.columns))
    raise InvalidArgumentError(f"the long-format DataFrame has no `{name}` column (have: {have})")


#: trendcast_bars as a numpy record: six pointers and a length, laid out as the C struct is, so
#: that a whole universe's structs are filled with vector arithmetic instead of a Python loop.
BARS_DTYPE = np.dtype([(f, np.uintp) for f in ("dates",) + PRICE_FIELDS + ("len",)])


class Stocks:
    """Many stocks' bars, prepared once for repeated calls (:meth:`Model.direction`,
    :meth:`Model.rank`): the library reads the arrays held here through pointers; a call copies
    nothing and converts nothing.

    ``bars``: a long-format DataFrame (``date,ticker,open,high,low,close[,adj_close],volume``), a
    list of stocks (each a dict of arrays, a structured array or a one-stock DataFrame) or one
    stock. A DataFrame is split once: one stable sort by ticker, each column gathered once (not
    gathered at all when the rows already come ticker by ticker); its tickers are sorted, as the
    Rust loader and the CLI order them, and each ticker's rows keep the frame's order (they must be
    in date order: unsorted dates are an error, as in the CSV loader). A non-missing ``adj_close``
    scales the bar's open, high, low and close by ``adj_close / close``, as the CSV loader does.
    Contiguous int32 dates and float64 prices in a list of stocks are used where they are, by
    pointer (other dtypes and layouts are converted once, here).

    The arrays must not be changed while a ``Stocks`` is in use.
    """

    def __init__(self, bars: Any) -> None:
        if isinstance(bars, Stocks):
            self.__dict__.update(bars.__dict__)
            return
        self.tickers: List[str] = []
        if is_frame(bars):
            cols = [str(c).lower() for c in bars.columns]
            if "ticker" in cols:
                self._from_frame(bars)
                return
            one = stock_columns(bars, 0)
            if len(one[0]) > 1 and not np.all(one[0][1:] > one[0][:-1]):
                # Without a `ticker` column a frame is one stock; repeated dates mean several stocks.
                raise InvalidArgumentError(
                    "the DataFrame has no `ticker` column and its dates are not increasing: a frame of "
                    "several stocks needs a `ticker` column (have: " + ", ".join(map(str, bars.columns)) + ")"
                )
            self._from_columns([one])
        elif isinstance(bars, Mapping) or (isinstance(bars, np.ndarray) and bars.dtype.names):
            self._from_columns([stock_columns(bars, 0)])
        elif isinstance(bars, (str, bytes)) or not isinstance(bars, Sequence):
            raise InvalidArgumentError(
                "bars must be a long-format DataFrame, one stock (a dict of arrays, a structured array) "
                f"or a list of stocks, not {type(bars).__name__}"
            )
        else:
            self._from_columns([stock_columns(s, i) for i, s in enumerate(bars)])

    @classmethod
    def of_columns(cls, stocks: Sequence[Columns], tickers: Sequence[str] = ()) -> "Stocks":
        """Stocks over already converted columns (used where they are)."""
        self = cls.__new__(cls)
        self.tickers = list(tickers)
        self._from_columns(list(stocks))
        return self

    def _from_columns(self, stocks: List[Columns]) -> None:
        self._columns = stocks
        self._structs = np.zeros(len(stocks), dtype=BARS_DTYPE)
        for k, f in enumerate(("dates",) + PRICE_FIELDS):
            self._structs[f] = [c[k].ctypes.data for c in stocks]
        self._structs["len"] = [len(c[0]) for c in stocks]
        self._pointer: Any = None

    def _from_frame(self, frame: Any) -> None:
        cols = {n: _column(frame, n) for n in LONG_COLUMNS}
        adj = next((c for c in frame.columns if str(c).lower() == "adj_close"), None)
        if len(frame) == 0:
            raise ShapeError("the DataFrame has no rows")
        import pandas as pd  # a DataFrame was given: pandas is there

        # Tickers as sorted codes (hashing, not string sorting), then one stable sort of the codes.
        codes, names = pd.factorize(frame[cols["ticker"]].astype(str), sort=True)
        order = np.argsort(codes, kind="stable")
        grouped = bool(np.all(codes[1:] >= codes[:-1]))  # rows already ticker by ticker
        lens = np.bincount(codes, minlength=len(names))
        starts = np.r_[0, np.cumsum(lens)[:-1]]
        take = (lambda a: a) if grouped else (lambda a: a[order])  # noqa: E731
        dates = np.ascontiguousarray(take(yyyymmdd(frame[cols["date"]].to_numpy())))
        values = {f: np.ascontiguousarray(take(prices(frame[cols[f]].to_numpy(), f, "the DataFrame"))) for f in PRICE_FIELDS}
        if adj is not None:
            a = take(prices(frame[adj].to_numpy(), str(adj), "the DataFrame"))
            has = ~np.isnan(a)
            if has.any():
                factor = np.where(has, a / values["close"], 1.0)
                for f in ("open", "high", "low"):
                    values[f] = values[f] * factor
                values["close"] = np.where(has, a, values["close"])
        data = (dates,) + tuple(values[f] for f in PRICE_FIELDS)
        self.tickers = [str(t) for t in names]
        self._columns = [tuple(d[s : s + n] for d in data) for s, n in zip(starts, lens)]
        self._structs = np.zeros(len(starts), dtype=BARS_DTYPE)
        for f, d in zip(("dates",) + PRICE_FIELDS, data):
            self._structs[f] = d.ctypes.data + starts * d.itemsize
        self._structs["len"] = lens
        self._pointer = None

    def __len__(self) -> int:
        return len(self._columns)

    def columns(self, i: int) -> Columns:
        """Stock ``i``'s six arrays (views, not copies): dates, open, high, low, close, volume."""
        return self._columns[i]

    def _c_array(self) -> Any:
        """The trendcast_bars array the C calls take (made once)."""
        if self._pointer is None:
            from ._native import trendcast_bars

            self._pointer = self._structs.ctypes.data_as(ctypes.POINTER(trendcast_bars))
        return self._pointer

    def _c_array_at(self, i: int) -> Any:
        """Stock ``i``'s trendcast_bars (a pointer into the prepared array)."""
        from ._native import trendcast_bars

        return ctypes.cast(self._structs.ctypes.data + i * BARS_DTYPE.itemsize, ctypes.POINTER(trendcast_bars))

    def __repr__(self) -> str:
        return f"<trendcast.Stocks: {len(self)} stocks, {int(self._structs['len'].sum())} bars>"


def split_frame(frame: Any) -> Tuple[List[str], List[Columns]]:
    """A long-format DataFrame as (sorted tickers, per-stock columns): see :class:`Stocks`."""
    if not is_frame(frame):
        raise InvalidArgumentError(f"split_frame takes a long-format DataFrame, not {type(frame).__name__}")
    s = Stocks.__new__(Stocks)
    s._from_frame(frame)
    return s.tickers, s._columns


def ids(values: Any, tickers: Sequence[str], n: int, what: str) -> np.ndarray:
    """Industry ids as int32, one per stock: integers as given, other labels (names) numbered by
    equality in name order (so that the library's nodes, ordered by id, follow the names as the
    CLI's do); a mapping is looked up by ticker (only with a DataFrame, whose tickers are known)."""
    return labelled_ids(values, tickers, n, what)[0]


def labelled_ids(values: Any, tickers: Sequence[str], n: int, what: str) -> Tuple[np.ndarray, Dict[int, Any]]:
    """As :func:`ids`, with each id's label (the integer itself, or the name it numbers)."""
    if isinstance(values, Mapping):
        if not tickers:
            raise InvalidArgumentError(f"{what} as a mapping needs a long-format DataFrame (tickers to look up)")
        missing = [t for t in tickers if t not in values]
        if missing:
            raise InvalidArgumentError(f"{what}: no entry for ticker(s) {', '.join(missing[:5])}")
        values = [values[t] for t in tickers]
    a = np.asarray(values)
    if a.ndim != 1 or len(a) != n:
        raise ShapeError(f"{n} stocks but {what} has shape {a.shape}")
    if a.dtype.kind in "iu":
        if n and (a.min() < np.iinfo(np.int32).min or a.max() > np.iinfo(np.int32).max):
            raise InvalidArgumentError(f"{what} must fit in 32-bit integers")
        out = np.ascontiguousarray(a, dtype=np.int32)
        return out, {int(v): int(v) for v in np.unique(out)}
    names, inverse = np.unique(a.astype(str), return_inverse=True)
    return np.ascontiguousarray(inverse.reshape(-1), dtype=np.int32), {i: str(v) for i, v in enumerate(names)}
