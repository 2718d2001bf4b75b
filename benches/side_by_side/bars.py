"""Writes the last 60 bars of the first STOCKS tickers of the shared data that trade on its last
day, in the C test programs' format ("stock,yyyymmdd,open,high,low,close,volume").
Usage: bars.py DATA_DIR STOCKS OUT"""
import csv
import gzip
import sys
from collections import defaultdict

data, stocks, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = defaultdict(list)
with gzip.open(f"{data}/bars_2018_2024.csv.gz", "rt") as f:
    for r in csv.DictReader(f):
        rows[r["ticker"]].append(r)
last = max(r["date"] for rs in rows.values() for r in rs)
picked = [t for t in sorted(rows) if rows[t][-1]["date"] == last and len(rows[t]) >= 60][:stocks]
with open(out, "w") as f:
    for k, t in enumerate(picked):
        for r in rows[t][-60:]:
            f.write(f"{k},{r['date'].replace('-', '')},{r['open']},{r['high']},{r['low']},{r['close']},{r['volume']}\n")
print(f"{len(picked)} stocks, last day {last}", file=sys.stderr)
