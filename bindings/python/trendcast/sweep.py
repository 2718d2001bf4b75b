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

Walk-forward training (:func:`walk_forward`): one task per (config, seed, test year), each running
the trainer (``trendcast-train walk-forward``) on a worker and sending the run's files back, which
the client writes under ``out`` in the trainer's own layout (``OUT/ROW/YEAR/sSEED``), so that
``trendcast-train walk-forward-report --dir OUT`` reads them unchanged. Workers need no file system
shared with the client, only the trainer, libtorch and the data::

    runs = trendcast.sweep.walk_forward(
        ["trainer/configs/lsr-igru-gat-normalized.toml"], seeds=[42, 43, 44], years=range(2019, 2025),
        data="/data/sp500", out="target/experiments/walk-forward", epochs=6, max_train_days=500,
        threads=1, cpu=True, client=client,
    )
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

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


# --- Walk-forward training -----------------------------------------------------------------------

#: The environment variable naming the trainer binary (on each worker: the path is the worker's).
TRAINER_ENV = "TRENDCAST_TRAINER"

#: A walk-forward row: a config file (the row is its ``name``), (row, config file), or (row,
#: config file, trainer options of this row only, e.g. ``["--ablation", "I"]``).
ConfigSpec = Union[str, "os.PathLike[str]", Tuple[str, Union[str, "os.PathLike[str]"]],
                   Tuple[str, Union[str, "os.PathLike[str]"], Sequence[str]]]

# Options walk_forward sets itself from its arguments; given again in extra_args they would
# contradict them (or, for --out and --row, put the run where the task does not look).
_OWN_OPTIONS = ("--config", "--data", "--out", "--row", "--years", "--seeds", "--threads", "--epochs",
                "--max-train-days", "--cpu")


class WalkForwardError(RuntimeError):
    """Runs of a walk-forward that failed; every other run was written first. ``failed`` maps each
    failed (row, year, seed) to what went wrong (the trainer's exit status and last output)."""

    def __init__(self, failed: Dict[Tuple[str, int, int], str]) -> None:
        self.failed = failed
        lines = [f"{len(failed)} walk-forward runs failed (the others are written):"]
        lines += [f"--- {row} {year} seed {seed}:\n{why}" for (row, year, seed), why in sorted(failed.items())]
        super().__init__("\n".join(lines))


def find_trainer(trainer: Optional[str] = None) -> str:
    """The trainer binary on this machine: ``trainer`` (a path, or a name looked up on PATH), else
    ``$TRENDCAST_TRAINER``, else ``trendcast-train`` on PATH. A walk-forward task calls it on its
    worker, since a path on the client need not exist there."""
    wanted = trainer or os.environ.get(TRAINER_ENV) or "trendcast-train"
    found = wanted if os.sep in wanted else shutil.which(wanted)
    if not found or not os.access(found, os.X_OK):
        how = "the trainer argument" if trainer else f"${TRAINER_ENV}" if os.environ.get(TRAINER_ENV) else "PATH"
        raise FileNotFoundError(
            f"no trainer binary {wanted!r} on {socket.gethostname()} (from {how}): build it with "
            f"`cargo build --release -p trendcast-trainer` and pass trainer=, set ${TRAINER_ENV}, or put "
            "target/release on PATH")
    return found


def _lock_holder(run: str) -> Optional[int]:
    """The pid of the live process training the run in folder ``run`` (the trainer's ``lock``
    file), or None. Like the trainer, a lock whose process is gone counts as free."""
    try:
        with open(os.path.join(run, "lock")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if os.path.exists(f"/proc/{pid}") else None


def _tail(text: str, chars: int = 4000) -> str:
    """The end of a trainer's output, without the backtrace that follows its error under
    RUST_BACKTRACE (pages of frames that would push the error itself out of the tail)."""
    text = text.split("\nStack backtrace:")[0].rstrip()
    return text if len(text) <= chars else "..." + text[-chars:]


def _run_files(run: str) -> Dict[str, bytes]:
    """A finished run folder's files (run.json, scores.f32, weights.ot), by name."""
    files = {}
    for name in sorted(os.listdir(run)):
        path = os.path.join(run, name)
        if name != "lock" and os.path.isfile(path):
            with open(path, "rb") as f:
                files[name] = f.read()
    return files


def _worker_name() -> str:
    """The Dask worker running this task (its address), or this machine's name outside one."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return socket.gethostname()


def _train_run(trainer: Optional[str], config_text: bytes, row: str, year: int, seed: int, data: str,
               args: List[str], work_dir: Optional[str], env: Optional[Mapping[str, str]]) -> Dict[str, Any]:
    """One walk-forward run on this machine, returned as its files.

    The run is trained under ``work_dir/KEY/ROW/YEAR/sSEED``, KEY a digest of the config's text, the
    data path and the trainer's options, so that a task started again on the same machine (a
    retried task, a second sweep) finds the run finished (and trains nothing) or resumes it from the
    trainer's per-epoch checkpoint, while another config or budget never reuses it."""
    started = time.monotonic()
    base = work_dir or os.path.join(tempfile.gettempdir(), "trendcast-walk-forward")
    digest = hashlib.sha256(b"\0".join([config_text, data.encode(), *(a.encode() for a in args)])).hexdigest()[:16]
    root = os.path.join(base, digest)
    run = os.path.join(root, row, str(year), f"s{seed}")
    result = {"row": row, "year": year, "seed": seed, "worker": _worker_name(), "log": ""}
    if os.path.exists(os.path.join(run, "run.json")):
        return {**result, "status": "reused", "files": _run_files(run), "seconds": time.monotonic() - started}
    exe = find_trainer(trainer)
    os.makedirs(root, exist_ok=True)
    config = os.path.join(root, "config.toml")
    # Written whole and renamed: tasks of the same config may start together on this machine.
    tmp = f"{config}.{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "wb") as f:
        f.write(config_text)
    os.replace(tmp, config)
    cmd = [exe, "walk-forward", "--config", config, "--data", data, "--out", root, "--row", row,
           "--years", str(year), "--seeds", str(seed), *args]
    environment = {**os.environ, **(env or {})}
    while True:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=environment)
        log = proc.stdout.decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode} on {result['worker']}:\n{_tail(log)}")
        if os.path.exists(os.path.join(run, "run.json")):
            break
        if _lock_holder(run) is None:
            raise RuntimeError(f"{' '.join(cmd)} left no {run}/run.json on {result['worker']}:\n{_tail(log)}")
        # The trainer skipped it: an earlier attempt of this task (a worker that died while its
        # trainer lives on) holds the run's lock. Its result is this task's.
        time.sleep(2)
    return {**result, "status": "trained", "files": _run_files(run), "seconds": time.monotonic() - started,
            "log": _tail(log)}


def _probe_worker(trainer: Optional[str], data: str, env: Optional[Mapping[str, str]]) -> Optional[str]:
    """What this worker lacks for a walk-forward (None: nothing): the trainer, a trainer that starts
    (libtorch found: the dynamic loader fails before ``--version`` prints), or the data."""
    try:
        exe = find_trainer(trainer)
    except FileNotFoundError as e:
        return str(e)
    proc = subprocess.run([exe, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        return (f"{exe} --version exited with {proc.returncode} (libtorch not on LD_LIBRARY_PATH?): "
                + _tail(proc.stderr.decode(errors="replace"), 1000))
    if not os.path.isdir(data):
        return f"no data directory {data!r}"
    return None


def _write_run(out: str, done: Mapping[str, Any]) -> None:
    """Writes a run's files under ``out`` in the trainer's layout, run.json last: its presence is
    what marks a run finished, to the trainer and the report alike, so an interrupted write leaves
    a run that is trained again rather than a half one that is read."""
    run = os.path.join(out, done["row"], str(done["year"]), f"s{done['seed']}")
    os.makedirs(run, exist_ok=True)
    files: Mapping[str, bytes] = done["files"]
    if "run.json" not in files:
        raise RuntimeError(f"the worker sent no run.json for {run}")
    for name in sorted(files, key=lambda n: n == "run.json"):
        if os.path.basename(name) != name or name in (".", ".."):
            raise RuntimeError(f"the worker sent a file named {name!r} for {run}")
        tmp = os.path.join(run, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(files[name])
        os.replace(tmp, os.path.join(run, name))


def _options(what: str, args: Any) -> List[str]:
    """Trainer options given by the caller, refused when walk_forward sets them itself."""
    if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
        raise InvalidArgumentError(f"{what} must be a list of strings, not {args!r}")
    args = list(args)
    for a in args:
        if not isinstance(a, str):
            raise InvalidArgumentError(f"{what} must be a list of strings, not {args!r}")
        if a.split("=", 1)[0] in _OWN_OPTIONS:
            raise InvalidArgumentError(f"{what}: {a} is set by walk_forward's own arguments")
    return args


def _rows(configs: Sequence[ConfigSpec]) -> List[Tuple[str, bytes, List[str]]]:
    """Each config as (row, its file's bytes, the row's own trainer options): the row is given, or
    the config's ``name`` (the trainer's default row). The file is read here and sent with each
    task: workers need not see the client's files."""
    import tomllib

    if isinstance(configs, (str, bytes, os.PathLike)):
        raise InvalidArgumentError(f"configs must be a list of config files, not {configs!r}")
    rows: List[Tuple[str, bytes, List[str]]] = []
    for spec in configs:
        if isinstance(spec, tuple) and len(spec) in (2, 3):
            options = _options(f"the options of row {spec[0]!r}", spec[2] if len(spec) == 3 else [])
            row, path = spec[0], spec[1]
        elif isinstance(spec, (str, os.PathLike)):
            row, path, options = None, spec, []
        else:
            raise InvalidArgumentError(f"a config is a path, (row, path) or (row, path, options), not {spec!r}")
        with open(path, "rb") as f:
            text = f.read()
        if row is None:
            row = tomllib.loads(text.decode()).get("name")
            if not isinstance(row, str):
                raise InvalidArgumentError(f"{path}: no name = \"...\" to name its row; pass (row, path)")
        if not isinstance(row, str) or not row or row in (".", "..") or "/" in row or os.sep in row:
            raise InvalidArgumentError(f"row {row!r} ({path}) is not a folder name")
        if any(row == r for r, _, _ in rows):
            raise InvalidArgumentError(f"row {row!r} is given twice: two configs would share its runs")
        rows.append((row, text, options))
    return rows


def _whole(what: str, values: Sequence[Any], low: int) -> List[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidArgumentError(f"{what} must be a list, not {type(values).__name__} {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise InvalidArgumentError(f"{what}: {v!r} is not a whole number from {low} up")
        out.append(int(v))
    if not out or len(set(out)) != len(out):
        raise InvalidArgumentError(f"{what} must be distinct values, at least one: {values!r}")
    return out


def _optional_whole(what: str, value: Optional[int], low: int) -> Optional[int]:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
        raise InvalidArgumentError(f"{what}: {value!r} is not a whole number from {low} up")
    return value


def walk_forward(
    configs: Sequence[ConfigSpec],
    *,
    seeds: Sequence[int],
    years: Sequence[int],
    data: str,
    out: Union[str, "os.PathLike[str]"],
    epochs: Optional[int] = None,
    max_train_days: Optional[int] = None,
    threads: Optional[int] = 1,
    cpu: bool = False,
    extra_args: Sequence[str] = (),
    trainer: Optional[str] = None,
    work_dir: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    resources: Optional[Mapping[str, float]] = None,
    client: Optional[Any] = None,
) -> List[Dict[str, Any]]:
    """Trains every (config, test year, seed) walk-forward run, one Dask task each, and writes the
    runs under ``out`` as ``trendcast-train walk-forward --out OUT`` would: ``OUT/ROW/YEAR/sSEED``
    with ``run.json``, ``scores.f32`` and ``weights.ot``, which ``trendcast-train walk-forward-report
    --dir OUT`` reads. A student config (one with a ``[teacher]``) needs its teacher's runs in its
    own folder, which a worker lacks: run students with the trainer directly. Each task runs ``trendcast-train walk-forward`` for its one year and seed on a worker and
    returns the run's files (a few MB at most), which the client writes: workers share no file
    system with the client, or with each other.

    A run already finished under ``out`` is not submitted, and one whose folder a live local
    trainer holds (its ``lock``) is left to it; so, as with the trainer, a sweep is started again
    until it is through. On a worker the run lives under ``work_dir`` (default: the worker's temp
    folder) keyed by the config and options, so a retried task resumes from the trainer's per-epoch
    checkpoint or returns a run it already finished.

    ``configs``: config files on the client (trainer/configs/lsr-igru-*.toml), each a row named by
    its ``name``, or (row, path), or (row, path, options of that row only: ``["--ablation", "I"]``;
    the row is always passed as ``--row``, so an ablation needs a row of its own). ``seeds``,
    ``years``: test years (each trains before Y - 1 and chooses its epoch on Y - 1). ``data``: the
    data directory as the workers see it. ``epochs``, ``max_train_days``, ``threads`` (libtorch
    threads per task: start the workers with ``--nthreads`` = cores / threads, or give them a
    resource and pass ``resources``), ``cpu``: the trainer's options of those names (None: the
    config's). ``extra_args``: more trainer options for every run (``["--train-years", "4"]``).
    ``trainer``: the binary's path on the workers (default: ``$TRENDCAST_TRAINER`` there, else ``trendcast-train`` on
    their PATH). ``env``: added to the trainer's environment (``LD_LIBRARY_PATH`` for libtorch).
    ``client``: a ``dask.distributed.Client``; None runs the tasks here, one after the other.

    Before any task starts, every worker is asked whether it has the trainer, whether the trainer
    starts (libtorch) and whether it sees ``data``; a worker that lacks one is named and nothing
    runs. Returns one dict per run in (config, year, seed) order: ``row``, ``year``, ``seed``,
    ``status`` (``"trained"``; ``"reused"``: finished earlier on its worker; ``"done"``: already
    under ``out``; ``"held"``: a local trainer holds it), ``worker`` and ``seconds``. Runs that fail
    are raised together as a :class:`WalkForwardError` after the others are written."""
    rows = _rows(configs)
    seeds = _whole("seeds", seeds, 0)
    years = _whole("years", years, 1)
    if not isinstance(data, str) or not data:
        raise InvalidArgumentError(f"data must be the data directory's path on the workers, not {data!r}")
    args = []
    if _optional_whole("threads", threads, 1) is not None:
        args += ["--threads", str(threads)]
    if _optional_whole("epochs", epochs, 1) is not None:
        args += ["--epochs", str(epochs)]
    if _optional_whole("max_train_days", max_train_days, 0) is not None:
        args += ["--max-train-days", str(max_train_days)]
    if cpu:
        args.append("--cpu")
    args += _options("extra_args", extra_args)
    out = os.fspath(out)

    records: Dict[Tuple[str, int, int], Dict[str, Any]] = {}
    jobs: List[Tuple[str, bytes, List[str], int, int]] = []
    for row, text, options in rows:
        for year in years:
            for seed in seeds:
                run = os.path.join(out, row, str(year), f"s{seed}")
                if os.path.exists(os.path.join(run, "run.json")):
                    records[(row, year, seed)] = {"status": "done", "worker": None, "seconds": 0.0}
                elif _lock_holder(run) is not None:
                    records[(row, year, seed)] = {"status": "held", "worker": None, "seconds": 0.0}
                else:
                    jobs.append((row, text, args + options, year, seed))

    failed: Dict[Tuple[str, int, int], str] = {}

    def finish(job: Tuple[str, bytes, List[str], int, int], get: Any) -> None:
        key = (job[0], job[3], job[4])
        try:
            done = get()
            _write_run(out, done)
        except Exception as e:  # noqa: BLE001: every failure is reported, after the other runs
            failed[key] = str(e)
            return
        records[key] = {"status": done["status"], "worker": done["worker"], "seconds": done["seconds"]}

    if jobs:
        if client is None:
            probes = {"this process": _probe_worker(trainer, data, env)}
        else:
            probes = client.run(_probe_worker, trainer, data, env)
        problems = {w: p for w, p in probes.items() if p}
        if problems:
            raise RuntimeError("walk_forward: workers that cannot train, nothing submitted:\n"
                               + "\n".join(f"{w}: {p}" for w, p in sorted(problems.items())))
        if client is None:
            for job in jobs:
                row, text, options, year, seed = job
                finish(job, lambda: _train_run(trainer, text, row, year, seed, data, options, work_dir, env))
        else:
            from distributed import as_completed

            token = os.urandom(4).hex()
            futures = {}
            for job in jobs:
                row, text, options, year, seed = job
                future = client.submit(_train_run, trainer, text, row, year, seed, data, options, work_dir, env,
                                       key=f"walk-forward-{row}-{year}-s{seed}-{token}", resources=resources)
                futures[future] = job
            for future in as_completed(list(futures)):
                finish(futures[future], future.result)
    if failed:
        raise WalkForwardError(failed)
    return [{"row": row, "year": year, "seed": seed, **records[(row, year, seed)]}
            for row, _, _ in rows for year in years for seed in seeds]
