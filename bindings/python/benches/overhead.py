"""What the Python binding adds to a call, for 503 stocks with six months of bars (issue 19).

    python bindings/python/benches/overhead.py [--data ../shared/data/sp500] [--backend ort]

For the shipped direction (GRU 64) and ranking bundles it times, median of --repeat calls:
- ``frame``: ``Model.direction(df)`` / ``Model.rank(df, ...)`` on the long-format DataFrame (split
  on every call);
- ``prepared``: the same calls on ``trendcast.Stocks(df)``, prepared once (and, for rank, the
  industry ids as int32 arrays);
- ``C``: the C function alone through ctypes on the prepared pointers (the floor for Python).
Overhead = the Python call's median minus the C call's. Needs pandas.
"""

import argparse
import statistics
import sys
import time
from ctypes import POINTER, byref, c_float, c_int32, c_size_t
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast
from trendcast import _native

ROOT = Path(__file__).resolve().parents[3]


def median_ms(f, repeat):
    f()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/sp500"))
    ap.add_argument("--backend", default="ort")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--days", type=int, default=126)
    a = ap.parse_args()
    bars = pd.read_csv(Path(a.data) / "bars_2018_2024.csv.gz")
    days = np.sort(bars["date"].unique())[-a.days :]
    frame = bars[bars["date"].isin(days)].reset_index(drop=True)
    ind = pd.read_csv(Path(a.data) / "industries.csv")
    print(f"{frame['ticker'].nunique()} stocks, {len(days)} days ({days[0]} to {days[-1]}), {len(frame)} rows; "
          f"backend {a.backend}; median of {a.repeat} calls; library {trendcast.library_path()}")
    lib = _native.lib()
    stocks = trendcast.Stocks(frame)
    n = len(stocks)
    sectors = dict(zip(ind.iloc[:, 0], ind.iloc[:, 1]))
    subs = dict(zip(ind.iloc[:, 0], ind.iloc[:, 2]))

    with trendcast.Model(ROOT / "models/direction-gru", a.backend) as m:
        out = np.empty((n, 3), dtype=np.float32)
        raw = lambda: lib.trendcast_direction(m._handle, stocks._c_array(), n, out.ctypes.data_as(POINTER(c_float)), out.size)  # noqa: E731
        c = median_ms(raw, a.repeat)
        fr = median_ms(lambda: m.direction(frame), a.repeat)
        pr = median_ms(lambda: m.direction(stocks), a.repeat)
        print(f"direction: C {c:.2f} ms; frame {fr:.2f} ms (+{fr - c:.2f}); prepared {pr:.2f} ms (+{pr - c:.2f})")

    with trendcast.Model(ROOT / "models/lsr-igru", a.backend) as m:
        sec = trendcast._bars.ids(sectors, stocks.tickers, n, "sector_ids")
        sub = trendcast._bars.ids(subs, stocks.tickers, n, "sub_industry_ids")
        scores = np.empty(n, dtype=np.float32)
        order = np.empty(n, dtype=np.uintp)
        date = c_int32()
        i32 = POINTER(c_int32)
        raw = lambda: lib.trendcast_rank(  # noqa: E731
            m._handle, stocks._c_array(), sec.ctypes.data_as(i32), sub.ctypes.data_as(i32), n,
            scores.ctypes.data_as(POINTER(c_float)), order.ctypes.data_as(POINTER(c_size_t)), byref(date))
        c = median_ms(raw, a.repeat)
        fr = median_ms(lambda: m.rank(frame, sectors, subs), a.repeat)
        pr = median_ms(lambda: m.rank(stocks, sec, sub), a.repeat)
        print(f"rank: C {c:.2f} ms; frame {fr:.2f} ms (+{fr - c:.2f}); prepared {pr:.2f} ms (+{pr - c:.2f})")


if __name__ == "__main__":
    sys.exit(main())
