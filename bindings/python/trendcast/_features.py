"""The 13 direction features from Python: the library's one implementation (trendcast_features),
the numbers the models were trained on and the CLI prints."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_double
from typing import Any, List

import numpy as np

from . import _native
from ._bars import Stocks
from ._errors import ShapeError, error_for


def feature_names() -> List[str]:
    """The 13 feature names in model-input order."""
    lib = _native.lib()
    names = []
    while (name := lib.trendcast_feature_name(len(names))) is not None:
        names.append(name.decode("ascii"))
    return names


def feature_matrix(bars: Any) -> np.ndarray:
    """Every bar's 13 features as one float64 array of shape (total bars, 13): the stocks of
    :class:`Stocks` ``(bars)`` one after another (a DataFrame's in sorted ticker order), each
    stock's bars oldest first. NaN where a feature needs more history than the bars before it."""
    stocks = Stocks(bars)
    if len(stocks) == 0:
        raise ShapeError("no stocks given")
    lens = stocks._structs["len"].astype(np.int64)
    out = np.empty((int(lens.sum()), len(feature_names())), dtype=np.float64)
    lib = _native.lib()
    row = out.strides[0]
    start = 0
    for i, n in enumerate(lens):
        # One call per stock, each writing its rows of the one output array in place.
        status = lib.trendcast_features(
            stocks._c_array_at(i), ctypes.cast(out.ctypes.data + start * row, POINTER(c_double)), int(n) * out.shape[1]
        )
        if status != 0:
            where = f"stock {stocks.tickers[i]!r}" if stocks.tickers else f"stock #{i}"
            raise error_for(status, f"{where}: {_native.last_error()}")
        start += int(n)
    return out


def features(bars: Any) -> Any:
    """The 13 direction features of every bar as a pandas DataFrame: ``date`` (datetime64),
    ``ticker`` (when the bars came as a long-format DataFrame, pandas or polars, or an Arrow table,
    or a :class:`Stocks` made from one), then one column per feature (:func:`feature_names`), rows
    per stock in date order, stocks in :class:`Stocks` order. The same numbers as ``trendcast
    features`` and the training pipeline. Needs pandas for the result, whatever the input."""
    import pandas as pd

    stocks = Stocks(bars)
    values = feature_matrix(stocks)
    dates = np.concatenate([stocks.columns(i)[0] for i in range(len(stocks))])
    frame = {"date": pd.to_datetime(dates.astype(str), format="%Y%m%d")}
    if stocks.tickers:
        frame["ticker"] = np.repeat(np.array(stocks.tickers, dtype=object), stocks._structs["len"].astype(np.int64))
    for k, name in enumerate(feature_names()):
        frame[name] = values[:, k]
    return pd.DataFrame(frame)
