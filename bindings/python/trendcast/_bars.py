"""Bars as Python hands them over, turned into the C ABI's six arrays per stock.

A stock's bars: a mapping (dict) of 1-D arrays, a numpy structured array, or a one-stock pandas
DataFrame, with the fields ``date`` (or ``dates``), ``open``, ``high``, ``low``, ``close``,
``volume``. Dates are YYYYMMDD integers, numpy datetime64 values or ``YYYY-MM-DD`` strings;
time-zone-aware timestamps (pandas, ``datetime``, ISO strings with an offset) count as the calendar
date they show in their own time zone (``2024-12-31 00:00+09:00`` is 2024-12-31), never as the UTC
date: give them in the exchange's time zone. Several stocks: a list of those, or one long-format DataFrame
(``date,ticker,open,high,low,close[,adj_close],volume``). pandas is imported only when a
DataFrame is given. A polars DataFrame or Arrow data (a pyarrow Table, or any object with
``__arrow_c_stream__``) is taken wherever a pandas DataFrame is, with the same rules, its numeric
columns read in place where they can be (see ``_tables.py``).
"""

from __future__ import annotations

import ctypes
import datetime
import re
import warnings
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from ._errors import InvalidArgumentError, ParseError, ShapeError
from ._tables import Table, as_table

PRICE_FIELDS = ("open", "high", "low", "close", "volume")
LONG_COLUMNS = ("date", "ticker") + PRICE_FIELDS

#: One stock, ready for the C call: (dates int32, open, high, low, close, volume float64), all
#: C-contiguous and of one length.
Columns = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def is_frame(obj: Any) -> bool:
    """A pandas DataFrame, recognised without importing pandas."""
    t = type(obj)
    return t.__name__ == "DataFrame" and t.__module__.split(".")[0] == "pandas"


def long_frame(obj: Any) -> Any:
    """A table of named columns as the bars' code reads it: a pandas DataFrame as it is, a polars
    DataFrame or Arrow data as a :class:`Table`; None for anything else."""
    return obj if is_frame(obj) else as_table(obj)


#: An ISO 8601 date, with a time and an offset or not.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


def _wall_clock(values: Any) -> np.ndarray:
    """Dates as numpy, time-zone-aware ones as the naive dates and times they show in their own
    zone: numpy would convert them to UTC instead, moving every date east of UTC back a day."""
    if getattr(getattr(values, "dtype", None), "tz", None) is not None:  # pandas, vectorised
        local = values.dt.tz_localize(None) if hasattr(values, "dt") else values.tz_localize(None)
        return local.to_numpy()
    a = np.asarray(values)
    # numpy converts aware datetime objects to UTC without a warning: found by type (one C-level
    # pass; none in a pandas string column), converted one by one only when there are some.
    strings = type(getattr(values, "dtype", None)).__name__ == "StringDtype"
    if a.dtype.kind == "O" and not strings and any(issubclass(t, datetime.datetime) for t in set(map(type, a.ravel()))):
        naive = [x.replace(tzinfo=None) if isinstance(x, datetime.datetime) else x for x in a.ravel()]
        return np.array(naive, dtype=object).reshape(a.shape)
    return a


def _parse_days(a: np.ndarray) -> np.ndarray:
    """Strings (or objects) as datetime64[D]. An ISO string with an offset ("2024-12-31T00:00+09:00",
    which numpy would move to UTC with only a warning) counts as the date it shows, its first 10
    characters; one that numpy reads with a time zone in any other form is refused."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*timezone", category=UserWarning)
        warnings.filterwarnings("error", message=".*timezone", category=DeprecationWarning)
        try:
            return a.astype("datetime64[D]")
        except (UserWarning, DeprecationWarning):
            text = a.astype(str).ravel()
            if all(_ISO.fullmatch(x) for x in text):
                return np.array([x[:10] for x in text], dtype="datetime64[D]").reshape(a.shape)
            raise ParseError(
                "a date carries a time zone in a form not read here: give YYYY-MM-DD dates, ISO 8601 "
                "timestamps or time-zone-aware pandas / datetime values"
            ) from None
        except (ValueError, TypeError) as e:
            raise ParseError(f"dates must be YYYYMMDD integers, datetime64 or YYYY-MM-DD strings: {e}") from None


def yyyymmdd(values: Any) -> np.ndarray:
    """Dates as YYYYMMDD int32: from integers (checked to fit), datetime64 or date strings;
    time-zone-aware ones as the date they show in their own zone (see the module's docstring)."""
    a = _wall_clock(values)
    if a.dtype.kind in "iu":
        if a.size and (a.min() < 0 or a.max() > np.iinfo(np.int32).max):
            raise ParseError("dates as integers must be YYYYMMDD values")
        return np.ascontiguousarray(a, dtype=np.int32)
    if a.dtype.kind == "f":
        if a.size and not np.all(np.isfinite(a) & (a == np.floor(a))):
            raise ParseError("dates as numbers must be whole YYYYMMDD values (a NaN or fraction found)")
        return yyyymmdd(a.astype(np.int64))
    if a.dtype.kind != "M":
        a = _parse_days(a)
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
    table = as_table(stock)
    if table is not None:
        have = tuple(table.columns)
        get = lambda k: table.one(k, where)  # noqa: E731
    elif isinstance(stock, np.ndarray) and stock.dtype.names:
        have = stock.dtype.names
        get = stock.__getitem__
    elif isinstance(stock, Mapping):
        have = tuple(stock.keys())
        get = stock.__getitem__
    elif is_frame(stock):
        have = tuple(stock.columns)
        get = lambda k: column_values(stock, k, where)  # noqa: E731
    else:
        raise InvalidArgumentError(
            f"{where}: bars must be a dict of arrays, a numpy structured array or a pandas or polars "
            f"DataFrame or Arrow table, not {type(stock).__name__}"
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
    """The frame's column called `name`, matched without regard to case (as the CSV loader does).
    Two such columns are refused: pandas would hand both over as one 2-D block, read with the
    wrong stride."""
    found = [c for c in frame.columns if str(c).lower() == name]
    if len(found) > 1:
        raise InvalidArgumentError(
            f"the DataFrame has {len(found)} columns named `{name}` ({', '.join(map(repr, found))}): keep one"
        )
    if found:
        return found[0]
    have = ", ".join(map(str, frame.columns))
    raise InvalidArgumentError(f"the long-format DataFrame has no `{name}` column (have: {have})")


def one_column(frame: Any, name: str, where: str) -> Any:
    """A frame's column `name` (exact name) as one Series (as numpy for a :class:`Table`); a name
    given to two columns is refused (pandas would hand both over as one 2-D block)."""
    if isinstance(frame, Table):
        return frame.one(name, where)
    n = sum(1 for c in frame.columns if c == name)
    if n > 1:
        raise InvalidArgumentError(f"{where}: the DataFrame has {n} columns named `{name}`: keep one")
    return frame[name]


def column_values(frame: Any, name: str, where: str) -> Any:
    """:func:`one_column` as numpy, but tz-aware dates stay a Series: :func:`yyyymmdd` reads their
    local dates vectorised."""
    values = one_column(frame, name, where)
    return values if getattr(values.dtype, "tz", None) is not None else values.to_numpy()


def tickers(values: Any, what: str) -> Any:
    """Tickers as strings (a pandas Series stays one); a missing ticker (None, NaN, NA) or an empty
    one is refused by position, rather than becoming a stock called "None" or "nan"."""
    if hasattr(values, "isna"):  # pandas: checked vectorised
        text = values.astype(str)
        bad = np.asarray(values.isna()) | (np.asarray(text) == "")
    else:
        a = np.asarray(values, dtype=object).ravel()
        text = a.astype(str)
        bad = np.array([t is None or (isinstance(t, (float, np.floating)) and t != t) or type(t).__name__ in ("NAType", "NaTType")
                        for t in a], dtype=bool) | (text == "")
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(f"{what}: ticker #{i} is missing or empty ({np.asarray(values, dtype=object).ravel()[i]!r})")
    return text


#: trendcast_bars as a numpy record: six pointers and a length, laid out as the C struct is, so
#: that a whole universe's structs are filled with vector arithmetic instead of a Python loop.
BARS_DTYPE = np.dtype([(f, np.uintp) for f in ("dates",) + PRICE_FIELDS + ("len",)])


class Stocks:
    """Many stocks' bars, prepared once for repeated calls (:meth:`Model.direction`,
    :meth:`Model.rank`): the library reads the arrays held here through pointers; a call copies
    nothing and converts nothing.

    ``bars``: a long-format DataFrame (``date,ticker,open,high,low,close[,adj_close],volume``), a
    list of stocks (each a dict of arrays, a structured array or a one-stock DataFrame) or one
    stock. A DataFrame may be pandas or polars, or Arrow data (a pyarrow Table or RecordBatch, or
    any object with ``__arrow_c_stream__``), read without pandas: a numeric column in one chunk
    without nulls is used in place, as a pandas column is (a column in several chunks is joined
    once, one with nulls copied once with the nulls as NaN). A DataFrame is split once: one stable
    sort by ticker, each column gathered once (not gathered at all when the rows already come
    ticker by ticker); its tickers are sorted, as the Rust loader and the CLI order them, and each
    ticker's rows keep the frame's order (they must be in date order: unsorted dates are an error,
    as in the CSV loader). A non-missing ``adj_close``
    scales the bar's open, high, low and close by ``adj_close / close``, as the CSV loader does.
    Two columns of one name (matched without regard to case) and a missing or empty ticker are
    refused (:class:`InvalidArgumentError`); time-zone-aware dates count as the calendar date they
    show in their own zone (see the module's docstring).
    Contiguous int32 dates and float64 prices in a list of stocks are used where they are, by
    pointer (other dtypes and layouts are converted once, here).

    The arrays must not be changed while a ``Stocks`` is in use.
    """

    def __init__(self, bars: Any) -> None:
        if isinstance(bars, Stocks):
            self.__dict__.update(bars.__dict__)
            return
        self.tickers: List[str] = []
        table = as_table(bars)
        if table is not None:
            bars = table
        if is_frame(bars) or isinstance(bars, Table):
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
        adj = _column(frame, "adj_close") if any(str(c).lower() == "adj_close" for c in frame.columns) else None
        what = frame.what if isinstance(frame, Table) else "the DataFrame"
        if len(frame) == 0:
            raise ShapeError(f"{what} has no rows")
        if isinstance(frame, Table):
            # polars or Arrow: tickers as sorted codes, numbers as views where they can be.
            codes, names = frame.codes(cols["ticker"], frame.what)
            date_values: Any = frame.values(cols["date"])
            column_of = frame.values
        else:
            codes, names = self._pandas_codes(frame, cols["ticker"])
            date_values = frame[cols["date"]]
            column_of = lambda c: frame[c].to_numpy()  # noqa: E731
        order = np.argsort(codes, kind="stable")
        grouped = bool(np.all(codes[1:] >= codes[:-1]))  # rows already ticker by ticker
        lens = np.bincount(codes, minlength=len(names))
        starts = np.r_[0, np.cumsum(lens)[:-1]]
        take = (lambda a: a) if grouped else (lambda a: a[order])  # noqa: E731
        dates = np.ascontiguousarray(take(yyyymmdd(date_values)))
        values = {f: np.ascontiguousarray(take(prices(column_of(cols[f]), f, what))) for f in PRICE_FIELDS}
        if adj is not None:
            a = take(prices(column_of(adj), str(adj), what))
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

    @staticmethod
    def _pandas_codes(frame: Any, name: str) -> Any:
        """A pandas frame's tickers as (sorted codes, names)."""
        import pandas as pd  # a DataFrame was given: pandas is there

        # Tickers as sorted codes (hashing, not string sorting), then one stable sort of the codes.
        # A missing ticker is refused: an object column's None or NaN (which pandas 2 would write as
        # "None" or "nan") row by row; a string column's shows as code -1 (a missing value).
        column = frame[name]
        if column.dtype == object:
            tickers(column, "the DataFrame")
        codes, names = pd.factorize(column.astype(str), sort=True)
        bad = codes < 0
        if "" in names:
            bad |= codes == names.get_loc("")
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidArgumentError(f"the DataFrame: ticker #{i} is missing or empty ({column.iloc[i]!r})")
        return codes, names

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
    """A long-format DataFrame (pandas or polars) or Arrow table as (sorted tickers, per-stock
    columns): see :class:`Stocks`."""
    table = long_frame(frame)
    if table is None:
        raise InvalidArgumentError(f"split_frame takes a long-format DataFrame, not {type(frame).__name__}")
    s = Stocks.__new__(Stocks)
    s._from_frame(table)
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
