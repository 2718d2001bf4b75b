"""polars DataFrames and Arrow tables as bars, read column by column into numpy without pandas.

A polars DataFrame is read with polars' own ``Series.to_numpy`` (pyarrow is not needed); a pyarrow
``Table`` or ``RecordBatch``, and any other object exporting the Arrow PyCapsule interface
(``__arrow_c_stream__`` or ``__arrow_c_array__``: DuckDB results, nanoarrow, ...), is imported by
pyarrow through that capsule (``pyarrow.table(obj)``), which hands over the producer's buffers
without copying them.

What is copied: a numeric column in one chunk without nulls is a numpy view of the Arrow (or
polars) buffer, read in place as the pandas path reads a pandas column (converted only where it is
not float64, as there). A column in several chunks is joined once, and a column with nulls is
copied once with the nulls as NaN. Tickers (strings) and dates are always converted: tickers to
sorted codes (as ``pandas.factorize`` does for a pandas frame), dates to YYYYMMDD int32 (as for a
pandas frame).

Date rules are the pandas path's: a ``Date`` / ``date32`` / ``date64`` is its calendar date; a
time-zone-aware ``Datetime`` / ``timestamp`` counts as the calendar date it shows in its own zone,
never its UTC date; YYYYMMDD integers and ``YYYY-MM-DD`` strings are read as in a pandas frame.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from ._errors import InvalidArgumentError, ParseError


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def is_polars(obj: Any) -> bool:
    """A polars DataFrame, recognised without importing polars."""
    return type(obj).__name__ == "DataFrame" and _module(obj) == "polars"


def is_arrow(obj: Any) -> bool:
    """An object exporting Arrow data through the PyCapsule interface (a pyarrow Table or
    RecordBatch, or another library's table), other than a pandas or polars DataFrame (which are
    read through their own APIs)."""
    if _module(obj) in ("pandas", "polars", "numpy") or isinstance(obj, type):
        return False
    return hasattr(obj, "__arrow_c_stream__") or hasattr(obj, "__arrow_c_array__")


class Table:
    """Named columns of one length, each handed over as numpy (see the module's docstring).

    ``what`` names the input in messages; ``columns`` are the column names in order."""

    what = "the table"
    columns: List[str]

    def __len__(self) -> int:
        raise NotImplementedError

    def values(self, name: str) -> np.ndarray:
        """Column ``name`` as numpy: numbers (a view where they can be; nulls as NaN), dates as
        datetime64 (time-zone-aware ones as the naive times they show in their zone), strings as
        an object array (nulls as None)."""
        raise NotImplementedError

    def codes(self, name: str, what: str) -> Tuple[np.ndarray, List[str]]:
        """Column ``name`` as tickers: (int64 code per row, the sorted distinct tickers), as
        ``pandas.factorize(column.astype(str), sort=True)`` gives them; a missing (null) or empty
        ticker is an :class:`InvalidArgumentError` naming its row."""
        raise NotImplementedError

    def one(self, name: str, where: str) -> np.ndarray:
        """:meth:`values` of the one column named exactly ``name`` (two such are refused)."""
        n = self.columns.count(name)
        if n > 1:
            raise InvalidArgumentError(f"{where}: {self.what} has {n} columns named `{name}`: keep one")
        return self.values(name)


def _refuse_missing(bad: np.ndarray, value: Any, what: str) -> None:
    """Refuses the first row where ``bad`` is set, naming it and its value (``value(i)``)."""
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(f"{what}: ticker #{i} is missing or empty ({value(i)!r})")


def _codes_of_numpy(a: np.ndarray, what: str) -> Tuple[np.ndarray, List[str]]:
    """Tickers that are not strings (integers, say) as the pandas path reads them: as ``str``; a
    null (None, or NaN where nulls became NaN) is refused, not read as "None" or "nan"."""
    if a.dtype == object:
        bad = np.array([x is None or (isinstance(x, float) and x != x) for x in a], dtype=bool)
    elif a.dtype.kind in "fM":
        bad = np.isnan(a)
    else:
        bad = np.zeros(len(a), dtype=bool)
    text = a.astype(str)
    _refuse_missing(bad | (text == ""), a.__getitem__, what)
    names, inverse = np.unique(text, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), [str(t) for t in names]


class PolarsTable(Table):
    """A polars DataFrame, read with polars' ``to_numpy`` (no pyarrow needed)."""

    what = "the DataFrame"

    def __init__(self, frame: Any) -> None:
        self._frame = frame
        self.columns = [str(c) for c in frame.columns]

    def __len__(self) -> int:
        return int(self._frame.height)

    def _series(self, name: str) -> Any:
        return self._frame.get_column(name)

    def values(self, name: str) -> np.ndarray:
        import polars as pl

        s = self._series(name)
        dtype = s.dtype
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            # The wall-clock time in its own zone (to_numpy would give the UTC instant).
            s = s.dt.replace_time_zone(None)
        elif isinstance(dtype, (pl.Categorical, pl.Enum)):
            s = s.cast(pl.String)
        # Zero-copy for numbers in one chunk without nulls; nulls become NaN (NaT for dates, None
        # for strings), as polars converts them.
        return s.to_numpy()

    def codes(self, name: str, what: str) -> Tuple[np.ndarray, List[str]]:
        import polars as pl

        s = self._series(name)
        if isinstance(s.dtype, (pl.Categorical, pl.Enum)):
            s = s.cast(pl.String)
        if s.dtype != pl.String:
            return _codes_of_numpy(s.to_numpy(), what)
        bad = (s.is_null() | (s.str.len_bytes() == 0)).to_numpy()
        _refuse_missing(bad, s.__getitem__, what)
        # polars sorts strings by their UTF-8 bytes: code point order, as Python sorts str.
        names = s.unique().sort()
        codes = names.search_sorted(s, side="left").to_numpy().astype(np.int64)
        return codes, names.to_list()


_STRING_TYPES = ("string", "large_string", "string_view")


class ArrowTable(Table):
    """A pyarrow Table, or any Arrow PyCapsule producer imported as one (zero-copy)."""

    def __init__(self, obj: Any) -> None:
        try:
            import pyarrow as pa
        except ImportError:
            raise InvalidArgumentError(
                f"a {type(obj).__name__} (Arrow data) is read with pyarrow, which is not installed: "
                "pip install 'trendcast[arrow]'"
            ) from None
        if isinstance(obj, pa.Table):
            table = obj
        elif isinstance(obj, pa.RecordBatch):
            table = pa.Table.from_batches([obj])
        elif hasattr(obj, "__arrow_c_stream__"):
            table = pa.table(obj)  # the producer's buffers, imported through the capsule
        else:
            table = pa.Table.from_batches([pa.record_batch(obj)])
        self._table = table
        self.columns = [str(c) for c in table.column_names]

    def __len__(self) -> int:
        return int(self._table.num_rows)

    def _chunked(self, name: str) -> Any:
        return self._table.column(self.columns.index(name))

    def values(self, name: str) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        c = self._chunked(name)
        t = c.type
        if pa.types.is_dictionary(t):
            c, t = c.cast(t.value_type), t.value_type
        if pa.types.is_timestamp(t) and t.tz is not None:
            try:
                # The wall-clock time in its own zone (to_numpy would give the UTC instant).
                c = pc.local_timestamp(c)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise ParseError(f"`{name}`: time zone {t.tz!r} not read: {e}") from None
        if c.num_chunks == 1 and c.null_count == 0 and (pa.types.is_floating(t) or pa.types.is_integer(t)):
            return c.chunk(0).to_numpy(zero_copy_only=True)  # a view of the Arrow buffer
        if c.num_chunks == 0:
            c = pa.chunked_array([pa.array([], type=c.type)])
        return c.to_numpy()  # joined or with nulls: one copy (nulls as NaN, NaT or None)

    def codes(self, name: str, what: str) -> Tuple[np.ndarray, List[str]]:
        import pyarrow as pa
        import pyarrow.compute as pc

        c = self._chunked(name)
        t = c.type.value_type if pa.types.is_dictionary(c.type) else c.type
        if str(t) not in _STRING_TYPES:
            return _codes_of_numpy(self.values(name), what)
        c = c.cast(pa.large_string())  # sortable (string_view has no sort kernel)
        bad = pc.or_kleene(c.is_null(), pc.equal(pc.binary_length(c), 0)).fill_null(True)
        _refuse_missing(bad.to_numpy(zero_copy_only=False), lambda i: c[i].as_py(), what)
        # Arrow sorts strings by their UTF-8 bytes: code point order, as Python sorts str.
        names = pc.unique(c)
        names = names.take(pc.sort_indices(names))
        codes = pc.index_in(c, value_set=names).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, names.to_pylist()


def as_table(obj: Any) -> Optional[Table]:
    """A polars DataFrame or Arrow data as a :class:`Table`; None for anything else."""
    if isinstance(obj, Table):
        return obj
    if is_polars(obj):
        return PolarsTable(obj)
    if is_arrow(obj):
        return ArrowTable(obj)
    return None
