"""Prepared stocks (trendcast.Stocks): the calls read the caller's arrays by pointer, and what Python
adds to a call over the C function is well under a millisecond for a universe of 503 stocks."""

import time
from ctypes import POINTER, c_float

import numpy as np

import trendcast
from trendcast import _native
from conftest import require_pandas


def test_contiguous_arrays_are_passed_by_pointer(stocks):
    given = list(stocks.values())
    prepared = trendcast.Stocks(given)
    for i, s in enumerate(given):
        for got, name in zip(prepared.columns(i), ("date", "open", "high", "low", "close", "volume")):
            assert got is s[name], name  # used where it is, not converted
        rec = prepared._structs[i]
        assert rec["close"] == s["close"].ctypes.data and rec["len"] == len(s["date"])


def test_other_dtypes_are_converted_once_when_prepared(stocks):
    s = next(iter(stocks.values()))
    f32 = dict(s, close=s["close"].astype(np.float32))
    prepared = trendcast.Stocks([f32])
    close = prepared.columns(0)[4]
    assert close.dtype == np.float64 and close is not f32["close"]
    assert prepared._structs[0]["close"] == close.ctypes.data


def test_a_frame_is_split_once_into_views(frame, stocks):
    require_pandas()
    prepared = trendcast.Stocks(frame)
    assert prepared.tickers == sorted(stocks)
    # Every stock's arrays are views into one gathered column per field.
    bases = {id(prepared.columns(i)[4].base) for i in range(len(prepared))}
    assert len(bases) == 1
    for i, t in enumerate(prepared.tickers):
        np.testing.assert_array_equal(prepared.columns(i)[0], stocks[t]["date"])
        np.testing.assert_array_equal(prepared.columns(i)[4], stocks[t]["close"])


def test_prepared_calls_equal_unprepared_ones(model, ranker, frame, stocks, industries):
    prepared = trendcast.Stocks(frame)
    np.testing.assert_array_equal(model.direction(prepared), model.direction(frame))
    sectors = {t: s for t, (s, _) in industries.items()}
    subs = {t: s for t, (_, s) in industries.items()}
    a = ranker.rank(prepared, sectors, subs)
    b = ranker.rank(frame, sectors, subs)
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.order, b.order)
    assert a.tickers == b.tickers


def _fastest_ms(f, g, repeat=41):
    """The fastest of `repeat` timed calls of f and of g, interleaved: a call the scheduler
    interrupted (another process on the core) is only ever slower, so the minima are the calls'
    own cost, and interleaving gives both the same conditions."""
    f(), g()
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, h in enumerate((f, g)):
            t = time.perf_counter()
            h()
            best[i] = min(best[i], time.perf_counter() - t)
    return best[0] * 1e3, best[1] * 1e3


def test_python_adds_under_a_millisecond_for_503_stocks(model, stocks):
    """503 stocks (the fixture's stocks, repeated) of 126 bars each: Model.direction on prepared
    stocks against the C function called directly on the same pointers. The difference of the
    fastest calls is the binding's cost (medians failed this with a training run on the same
    cores); the issue's bound is 1 ms (measured: about 0.05 ms)."""
    base = list(stocks.values())
    universe = [{k: np.ascontiguousarray(v[-126:]) for k, v in base[i % len(base)].items()} for i in range(503)]
    prepared = trendcast.Stocks(universe)
    out = np.empty((503, 3), dtype=np.float32)
    lib = _native.lib()
    handle = model._handle

    def c_call():
        assert lib.trendcast_direction(handle, prepared._c_array(), 503, out.ctypes.data_as(POINTER(c_float)), out.size) == 0

    c, py = _fastest_ms(c_call, lambda: model.direction(prepared))
    np.testing.assert_array_equal(model.direction(prepared), out)
    print(f"503 stocks: C {c:.3f} ms, Model.direction(Stocks) {py:.3f} ms, overhead {py - c:.3f} ms")
    assert py - c < 1.0, f"the binding adds {py - c:.3f} ms over the C call ({c:.3f} ms)"
