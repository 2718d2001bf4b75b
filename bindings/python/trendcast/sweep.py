"""Backtest sweeps over a Dask cluster: models x periods x portfolios, fanned out with
``dask.distributed`` (an optional dependency: ``pip install 'trendcast[dask]'``).

One task per (model, period): the worker opens the model once per process (kept for the process's
later tasks, never per task), scores the period with a streaming universe (the costly part, done
once), then backtests every portfolio (top k x cost x strategy) on those scores. The bars travel
to each worker once (scattered, broadcast), not with every task. Results come back as one
DataFrame, one row per combination, in a fixed order: the same table as a run in this process
(``client=None``).

    from dask.distributed import Client
    import trendcast.sweep

    client = Client("tcp://scheduler:8786")  # or Client(LocalCluster(n_workers=4)), or None
    table = trendcast.sweep.backtest_sweep(
        bars, ["models/lsr-igru", "/models/other"], [("2023-01-01", "2023-12-31"), ("2024-01-01", "2024-12-31")],
        sector_ids=sectors, sub_industry_ids=subs, top_k=[5, 10], cost_bps=[0, 5],
        strategies=["rebalance", "dropout:2"], client=client,
    )

Model paths must be readable on the workers (a shared file system or the same path everywhere).
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._backtest import _cost_bps, _max_swaps, _top_k, backtest, score_days
from ._errors import InvalidArgumentError
from ._model import Model

_lock = threading.Lock()
_models: Dict[Tuple[str, str], Model] = {}
_opened: Dict[str, int] = {}


def _model(path: str, backend: str) -> Model:
    """This process's handle on a bundle, opened on first use (models are immutable and
    thread-safe, so one per process serves all its tasks)."""
    key = (os.path.abspath(path), backend)
    with _lock:
        if key not in _models:
            _models[key] = Model(path, backend)
            _opened[key[0]] = _opened.get(key[0], 0) + 1
        return _models[key]


def opened_models() -> Dict[str, int]:
    """How many times this process opened each bundle (1 each: one handle per process). Ask every
    worker with ``client.run(trendcast.sweep.opened_models)``."""
    with _lock:
        return dict(_opened)


def _task(bars: Any, path: str, backend: str, period: Tuple[Any, Any], sector_ids: Any, sub_industry_ids: Any,
          portfolios: List[Tuple[int, float, str]]) -> List[Dict[str, Any]]:
    model = _model(path, backend)
    start, end = period
    scores = score_days(model, bars, sector_ids, sub_industry_ids, start=start, end=end)
    rows = []
    for top_k, cost, strategy in portfolios:
        r = backtest(bars, scores, start=start, end=end, top_k=top_k, cost_bps=cost, strategy=strategy)
        rows.append({"model": path, "model_name": model.name, "start": str(start), "end": str(end), "top_k": top_k,
                     "cost_bps": cost, "strategy": strategy, **r.metrics})
    return rows


def backtest_sweep(
    bars: Any,
    models: Sequence[str],
    periods: Sequence[Tuple[Any, Any]],
    *,
    sector_ids: Any,
    sub_industry_ids: Any,
    top_k: Sequence[int] = (10,),
    cost_bps: Sequence[float] = (0.0,),
    strategies: Sequence[str] = ("rebalance",),
    backend: str = "auto",
    client: Optional[Any] = None,
) -> Any:
    """Backtests every (model, period, top k, cost, strategy) and returns one DataFrame: the
    settings, then the metrics of :func:`trendcast.backtest` (``days``, ``arr``, ...,
    ``final_nv``), one row per combination, ordered by model, period, then portfolio.

    ``bars``: a long-format DataFrame (the trading calendar and every model's input); ``models``:
    bundle paths; ``periods``: (start, end) pairs of decision days; ids as
    :meth:`trendcast.Model.rank` takes them (a mapping from ticker is easiest). ``top_k``,
    ``cost_bps``, ``strategies``: lists, each value checked as :func:`trendcast.backtest` checks it,
    here, before any task starts. ``client``: a ``dask.distributed.Client`` (one task per model and
    period), or None to run here."""
    import pandas as pd

    # Checked here, before any task starts: a bad value is named now, not wrapped or read as a
    # number on a worker.
    for what, values in (("top_k", top_k), ("cost_bps", cost_bps), ("strategies", strategies)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise InvalidArgumentError(f"{what} must be a list, not {type(values).__name__} {values!r}")
    for s in strategies:
        _max_swaps(s)
    portfolios = list(itertools.product([_top_k(k) for k in top_k], [_cost_bps(c) for c in cost_bps], list(strategies)))
    jobs = [(str(m), (p[0], p[1])) for m in models for p in periods]
    if client is None:
        parts = [_task(bars, m, backend, p, sector_ids, sub_industry_ids, portfolios) for m, p in jobs]
    else:
        shared = client.scatter(bars, broadcast=True)
        futures = [
            client.submit(_task, shared, m, backend, p, sector_ids, sub_industry_ids, portfolios, pure=False)
            for m, p in jobs
        ]
        parts = client.gather(futures)
    return pd.DataFrame([row for part in parts for row in part])
