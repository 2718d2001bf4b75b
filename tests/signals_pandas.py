"""The ranking signals of one day computed independently with pandas, compared with the CLI's.

Usage: python signals_pandas.py DATA_DIR DATE CLI_JSON. Reads the bars_*.csv[.gz] files from 2018
on (every signal reads at most 21 trading days back) and industries.csv; prints one line per
mismatch and exits 1 if there is any, else prints the number of values compared.
"""
import glob
import json
import math
import sys

import pandas as pd

data_dir, date, cli_json = sys.argv[1], sys.argv[2], sys.argv[3]
frames = [pd.read_csv(f) for f in sorted(glob.glob(f"{data_dir}/bars_*.csv*"))]
bars = pd.concat(frames)
bars = bars[bars["date"] >= "2018-01-01"]
wide = {c: bars.pivot(index="date", columns="ticker", values=c).sort_index() for c in ["open", "close", "volume"]}
close, open_, volume = wide["close"], wide["open"], wide["volume"]
r = close / close.shift(1) - 1  # on the union calendar: NaN where either close is missing
industries = pd.read_csv(f"{data_dir}/industries.csv").set_index("ticker")

day = r.loc[date]
sub = industries["sub_industry"].reindex(day.index)
sector = industries["sector"].reindex(day.index)
sub_mean = day.groupby(sub).transform("mean")
sector_mean = day.groupby(sector).transform("mean")
vol_mean = volume.rolling(20).mean().loc[date]
above = volume.loc[date] > vol_mean
has_mean = vol_mean.notna()
want = {
    "reversal-1d": -day,
    "intraday-reversal": -(close.loc[date] / open_.loc[date] - 1),
    "overnight-reversal": -(open_.loc[date] / close.shift(1).loc[date] - 1),
    "reversal-5d": -(close.loc[date] / close.shift(5).loc[date] - 1),
    "sub-industry-reversal": (-sub_mean).where(day.notna()),
    "sector-reversal": (-sector_mean).where(day.notna()),
    "within-industry-reversal": -(day - sub_mean),
    "volatility-scaled-reversal": -day / r.rolling(20).std().loc[date],
    "high-volume-reversal": (-day).where(has_mean & above),
    "low-volume-reversal": (-day).where(has_mean & ~above),
    "momentum-20d": close.loc[date] / close.shift(20).loc[date] - 1,
}

got = json.load(open(cli_json))["signals"]
bad, compared = [], 0
for name, series in want.items():
    for ticker, w in series.items():
        g = got[ticker][name]
        w = float(w)
        if g is None or math.isnan(w):
            if not (g is None and math.isnan(w)):
                bad.append(f"{name} {ticker}: CLI {g}, pandas {w}")
        elif abs(g - w) > 1e-6 * max(1.0, abs(w)):  # the CLI's scores are f32
            bad.append(f"{name} {ticker}: CLI {g}, pandas {w}")
        compared += 1
for line in bad[:40]:
    print(line)
if bad:
    print(f"{len(bad)} of {compared} differ")
    sys.exit(1)
print(f"{compared} values equal")
