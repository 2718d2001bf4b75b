"""The model handle: open, inspect, predict, close."""

from __future__ import annotations

import json
import os
from ctypes import POINTER, byref, c_float, c_int32, c_size_t, c_uint32
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _native
from ._bars import Stocks, ids, labelled_ids
from ._errors import InvalidArgumentError, ShapeError, error_for
from ._handle import Handle

PathLike = Union[str, "os.PathLike[str]"]
_SIZE_MAX = np.iinfo(np.uintp).max


def _check(status: int) -> None:
    if status != 0:
        raise error_for(status, _native.last_error())


def _c_path(path: PathLike, what: str) -> bytes:
    """A path as the C string the library receives: one with a NUL byte would be cut at it there
    and name another file, so it is refused."""
    b = os.fsencode(path)
    if b"\0" in b:
        raise InvalidArgumentError(f"{what} contains a NUL byte: {path!r}")
    return b


class Ranking(tuple):  # type: ignore[type-arg]
    """The result of :meth:`Model.rank`: unpacks as ``scores, order``.

    - ``scores``: float32 array, one score per stock in input order (higher is better); NaN for a
      stock without a bar on the scored date.
    - ``order``: int64 array, the indices of the scored stocks, best first (unscored ones left out).
    - ``date``: the date scored, as a YYYYMMDD int.
    - ``tickers``: the stocks' tickers when the bars were a long-format DataFrame, else ``[]``.
    """

    date: int
    tickers: List[str]

    def __new__(cls, scores: np.ndarray, order: np.ndarray, date: int, tickers: List[str]) -> "Ranking":
        self = super().__new__(cls, (scores, order))
        self.date = date
        self.tickers = tickers
        return self

    @property
    def scores(self) -> np.ndarray:
        return self[0]

    @property
    def order(self) -> np.ndarray:
        return self[1]


class Model(Handle):
    """A model bundle (a directory with manifest.json and the ONNX file it names), loaded once.

    ``backend``: ``"auto"`` (ONNX Runtime when its library loads, tract otherwise), ``"ort"`` or
    ``"tract"``. ``cuda_device``: a GPU index to ask ONNX Runtime for CUDA (None: CPU).
    ``ort_library``: the ONNX Runtime library to load (None: ``$TRENDCAST_ORT_LIB``, then the
    library of the ``onnxruntime`` wheel installed in this environment, then one beside
    libtrendcast.so, then the system loader's ``libonnxruntime.so.1``).

    A model is immutable once open: it may be used from many threads at once (the calls release
    the GIL). Close it with :meth:`close` or a ``with`` block; it is also freed when collected. A
    close waits for the calls in flight on other threads; calls made after it raise.
    """

    def __init__(
        self,
        path: PathLike,
        backend: str = "auto",
        *,
        cuda_device: Optional[int] = None,
        ort_library: Optional[PathLike] = None,
    ) -> None:
        super().__init__()
        lib = _native.lib()
        if backend not in _native.BACKENDS:
            raise InvalidArgumentError(f"backend must be one of {', '.join(_native.BACKENDS)}, not {backend!r}")
        opts = lib.trendcast_open_options_default()
        opts.backend = _native.BACKENDS[backend]
        if cuda_device is not None:
            if cuda_device < 0:
                raise InvalidArgumentError(f"cuda_device must be >= 0, not {cuda_device}")
            opts.cuda_device = cuda_device
        if ort_library is None and backend != "tract" and not os.environ.get("TRENDCAST_ORT_LIB"):
            ort_library = _native.onnxruntime_library()
        ort = _c_path(ort_library, "ort_library") if ort_library is not None else None
        opts.ort_library_path = ort
        handle = _native.model_p()
        _check(lib.trendcast_model_open(_c_path(path, "path"), byref(opts), byref(handle)))
        self._handle = handle
        self._lib = lib
        kind = c_uint32()
        _check(lib.trendcast_model_kind(handle, byref(kind)))
        self._kind = _native.KINDS.get(kind.value, f"kind {kind.value}")
        n = c_size_t()
        _check(lib.trendcast_model_min_bars(handle, byref(n)))
        self._min_bars = n.value
        text = lambda f: (f(handle) or b"").decode("utf-8")  # noqa: E731
        self._name = text(lib.trendcast_model_name)
        self._backend = text(lib.trendcast_model_backend)
        self._provider = text(lib.trendcast_model_execution_provider)
        self._manifest_json = text(lib.trendcast_model_manifest_json)
        fallback = lib.trendcast_model_fallback_reason(handle)
        self._fallback = fallback.decode("utf-8") if fallback else None
        self._manifest: Optional[Dict[str, Any]] = None

    _what = "model"

    def _free(self, handle: Any) -> None:
        self._lib.trendcast_model_free(handle)

    # --- what it is ---

    @property
    def kind(self) -> str:
        """``"direction"`` or ``"ranking"``."""
        return self._kind

    @property
    def name(self) -> str:
        return self._name

    @property
    def backend(self) -> str:
        """The backend in use: ``"ort"`` or ``"tract"``."""
        return self._backend

    @property
    def execution_provider(self) -> str:
        """``"CPUExecutionProvider"``, ``"CUDAExecutionProvider"`` or ``"tract-cpu"``."""
        return self._provider

    @property
    def fallback_reason(self) -> Optional[str]:
        """Why the model does not run where it was asked to (ONNX Runtime or CUDA unavailable)."""
        return self._fallback

    @property
    def min_bars(self) -> int:
        """Trailing bars per stock a call needs at least; passing more is fine."""
        return self._min_bars

    @property
    def manifest(self) -> Dict[str, Any]:
        """The bundle's manifest (the model's contract), parsed."""
        if self._manifest is None:
            self._manifest = json.loads(self._manifest_json)
        return self._manifest

    def __repr__(self) -> str:
        state = "" if self._handle else ", closed"
        return f"<trendcast.Model {self._name!r} {self._kind} on {self._backend} ({self._provider}){state}>"

    # --- calls ---

    def direction(self, bars: Any) -> np.ndarray:
        """Down / flat / up probabilities per stock, each as of its last bar: an (n, 3) float32
        array whose rows sum to 1.

        ``bars``: a :class:`Stocks` (prepared once: the call then copies and converts nothing), or
        what it is made from: a list of stocks (each a dict of arrays or a structured array), one
        stock, or a long-format DataFrame (pandas or polars, or an Arrow table; rows then follow
        the sorted tickers)."""
        stocks = Stocks(bars)
        n = len(stocks)
        if n == 0:
            raise ShapeError("no stocks given")
        out = np.empty((n, 3), dtype=np.float32)
        with self._live() as handle:
            status = self._lib.trendcast_direction(handle, stocks._c_array(), n, out.ctypes.data_as(POINTER(c_float)), out.size)
        _check(status)
        return out

    def rank(self, bars: Any, sector_ids: Any, sub_industry_ids: Any) -> Ranking:
        """Scores a universe as of the latest date among its stocks' bars (a ranking model).

        ``bars``: as for :meth:`direction`. ``sector_ids``, ``sub_industry_ids``: one per stock,
        integers (for example GICS codes) or any labels (names are numbered by equality); with a
        DataFrame (or a :class:`Stocks` made from one) also a mapping from ticker. Stocks with equal
        ids share an industry node; every sub-industry must lie in one sector.

        Returns a :class:`Ranking`, which unpacks as ``scores, order``."""
        stocks = Stocks(bars)
        n = len(stocks)
        if n == 0:
            raise ShapeError("no stocks given")
        sectors = ids(sector_ids, stocks.tickers, n, "sector_ids")
        subs = ids(sub_industry_ids, stocks.tickers, n, "sub_industry_ids")
        scores = np.empty(n, dtype=np.float32)
        order = np.empty(n, dtype=np.uintp)
        date = c_int32()
        i32 = POINTER(c_int32)
        with self._live() as handle:
            status = self._lib.trendcast_rank(
                handle,
                stocks._c_array(),
                sectors.ctypes.data_as(i32),
                subs.ctypes.data_as(i32),
                n,
                scores.ctypes.data_as(POINTER(c_float)),
                order.ctypes.data_as(POINTER(c_size_t)),
                byref(date),
            )
        _check(status)
        scored = order[order != _SIZE_MAX].astype(np.int64)
        return Ranking(scores, scored, date.value, stocks.tickers)

    def ranking_inputs(self, bars: Any, sector_ids: Any, sub_industry_ids: Any) -> "RankingInputs":
        """The inputs this ranking model reads on the latest date among the stocks' bars (node
        features, A_L, A_S over its window), exactly as :meth:`rank` computes them; arguments as
        for :meth:`rank`. Returns a :class:`RankingInputs`."""
        stocks = Stocks(bars)
        n = len(stocks)
        if n == 0:
            raise ShapeError("no stocks given")
        sectors, sector_labels = labelled_ids(sector_ids, stocks.tickers, n, "sector_ids")
        subs, sub_labels = labelled_ids(sub_industry_ids, stocks.tickers, n, "sub_industry_ids")
        i32 = POINTER(c_int32)
        sizes = _native.trendcast_ranking_input_sizes()
        args = (stocks._c_array(), sectors.ctypes.data_as(i32), subs.ctypes.data_as(i32), n, byref(sizes))
        with self._live() as handle:
            _check(self._lib.trendcast_ranking_inputs(handle, *args, None, None, None, None, None))
            t, nn, f = sizes.window, sizes.n_nodes, sizes.n_node_features
            node_ids = np.empty(nn, dtype=np.int32)
            nodes = np.empty((t, nn, f), dtype=np.float32)
            a_long = np.empty((nn, nn), dtype=np.float32)
            a_short = np.empty((t, nn, nn), dtype=np.float32)
            date = c_int32()
            f32 = POINTER(c_float)
            status = self._lib.trendcast_ranking_inputs(
                handle, *args, node_ids.ctypes.data_as(i32), nodes.ctypes.data_as(f32), a_long.ctypes.data_as(f32),
                a_short.ctypes.data_as(f32), byref(date),
            )
        _check(status)
        k, s = sizes.n_stocks, sizes.n_sub_industries
        labels = (
            [stocks.tickers[i] if stocks.tickers else int(i) for i in node_ids[:k]]
            + [sub_labels[int(i)] for i in node_ids[k : k + s]]
            + [sector_labels[int(i)] for i in node_ids[k + s :]]
        )
        return RankingInputs(
            date=date.value, nodes=labels, n_stocks=k, n_sub_industries=s, n_sectors=sizes.n_sectors,
            node_features=nodes, feature_names=list(self.manifest.get("features", [])), a_long=a_long, a_short=a_short,
        )


class RankingInputs:
    """What a ranking model reads on a day (:meth:`Model.ranking_inputs`), as numpy arrays.

    - ``date``: the day, YYYYMMDD.
    - ``nodes``: the node labels in array order: the stocks (tickers, or indices without them),
      then their sub-industries, then their sectors (labels as given: names or ids).
    - ``n_stocks``, ``n_sub_industries``, ``n_sectors``: how ``nodes`` divides.
    - ``node_features``: float32 ``(window, nodes, features)``, oldest day first; ``feature_names``.
    - ``a_long``: float32 ``(nodes, nodes)``: the long-term (industry) relations.
    - ``a_short``: float32 ``(window, nodes, nodes)``: the short-term relations of each day.
    Relations are as the model receives them (normalised when its manifest says so).
    """

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return (
            f"<trendcast.RankingInputs {self.date}: {len(self.nodes)} nodes ({self.n_stocks} stocks), "
            f"window {self.node_features.shape[0]}>"
        )


def version() -> str:
    """The library's version, "major.minor.patch"."""
    v = _native.lib().trendcast_version()
    return v.decode("ascii") if v else ""


def split_frame(frame: Any) -> Tuple[List[str], List[Dict[str, np.ndarray]]]:
    """A long-format DataFrame (pandas or polars, or an Arrow table) as (sorted tickers, one dict of
    arrays per ticker): the order in which :meth:`Model.direction` and :meth:`Model.rank` return a
    DataFrame's stocks."""
    from ._bars import split_frame as split

    names, stocks = split(frame)
    keys = ("date", "open", "high", "low", "close", "volume")
    return names, [dict(zip(keys, s)) for s in stocks]
