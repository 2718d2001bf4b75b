#!/usr/bin/env python3
"""Per-fold figures of walk-forward runs, from their run.json files alone (no scores needed): for
each row, year and seed, the epoch chosen on the validation year, every epoch's validation rank IC
and the chosen epoch's test rank IC. What a sweep still running (or whose scores are gone) can
already say; `trendcast-train walk-forward-report` gives the full report once every year has run.

    scripts/walk-forward-folds.py [DIR ...]   # default: target/experiments/walk-forward
"""
import glob
import json
import os
import sys

dirs = sys.argv[1:] or ["target/experiments/walk-forward"]
print("| row | test year | seed | chosen epoch | validation rank IC by epoch | chosen: validation | test |")
print("|---|---|---|---|---|---|---|")
for d in dirs:
    for path in sorted(glob.glob(os.path.join(d, "*", "*", "s*", "run.json"))):
        row, year, seed = path.split(os.sep)[-4:-1]
        run = json.load(open(path))
        by_epoch = [h["validation"]["rank_ic"] for h in run["history"]]
        best = run["best_epoch"]
        test = run["test"][0]["metrics"]["rank_ic"]
        print(
            f"| {row} | {year} | {seed[1:]} | {best} | {' '.join(f'{v:.4f}' for v in by_epoch)} "
            f"| {by_epoch[best - 1]:.4f} | {test:.4f} |"
        )
