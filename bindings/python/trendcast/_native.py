"""The C ABI (include/trendcast.h) through ctypes: finding and loading the library, the structs and
the function signatures, exactly as the header declares them. Nothing else lives here."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_size_t,
    c_uint32,
)
from pathlib import Path
from typing import List, Optional

#: The ABI major version these bindings were written against (TRENDCAST_VERSION_MAJOR).
ABI_MAJOR = 0

if sys.platform == "darwin":
    LIBRARY_FILE = "libtrendcast.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "trendcast.dll"
else:
    LIBRARY_FILE = "libtrendcast.so"


class LibraryNotFoundError(OSError):
    """The trendcast shared library could not be found or loaded."""


# --- structs, as in include/trendcast.h ----------------------------------------------------------


# The structs themselves are generated from the header (tools/gen_structs.py), their one source.
from ._structs import (  # noqa: E402
    trendcast_backtest_day,
    trendcast_backtest_metrics,
    trendcast_bars,
    trendcast_open_options,
    trendcast_ranking_input_sizes,
)


class trendcast_model(Structure):
    """Opaque handle."""


model_p = POINTER(trendcast_model)


class trendcast_universe(Structure):
    """Opaque handle."""


universe_p = POINTER(trendcast_universe)
status_t = c_int32  # enum trendcast_status : int32_t

BACKENDS = {"auto": 0, "ort": 1, "tract": 2}  # enum trendcast_backend
KINDS = {0: "direction", 1: "ranking"}  # enum trendcast_kind


def _declare(lib: ctypes.CDLL) -> None:
    def f(name, restype, *argtypes):
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)

    f("trendcast_last_error", c_char_p)
    f("trendcast_open_options_default", trendcast_open_options)
    f("trendcast_model_open", status_t, c_char_p, POINTER(trendcast_open_options), POINTER(model_p))
    f("trendcast_model_free", None, model_p)
    f("trendcast_model_kind", status_t, model_p, POINTER(c_uint32))
    f("trendcast_model_min_bars", status_t, model_p, POINTER(c_size_t))
    for name in ("name", "backend", "execution_provider", "manifest_json", "fallback_reason"):
        f(f"trendcast_model_{name}", c_char_p, model_p)
    f("trendcast_direction", status_t, model_p, POINTER(trendcast_bars), c_size_t, POINTER(c_float), c_size_t)
    f(
        "trendcast_rank",
        status_t,
        model_p,
        POINTER(trendcast_bars),
        POINTER(c_int32),
        POINTER(c_int32),
        c_size_t,
        POINTER(c_float),
        POINTER(c_size_t),
        POINTER(c_int32),
    )
    # models, n_models, sector_ids, sub_industry_ids, n_stocks: what create and restore begin with.
    universe_of = (POINTER(model_p), c_size_t, POINTER(c_int32), POINTER(c_int32), c_size_t)
    f("trendcast_universe_create", status_t, *universe_of, POINTER(trendcast_bars), POINTER(universe_p))
    f(
        "trendcast_universe_push_day",
        status_t,
        universe_p,
        c_int32,
        POINTER(c_size_t),
        *([POINTER(c_double)] * 5),
        c_size_t,
    )
    f("trendcast_universe_direction", status_t, universe_p, c_size_t, POINTER(c_float), c_size_t)
    f("trendcast_universe_rank", status_t, universe_p, c_size_t, POINTER(c_float), POINTER(c_size_t), c_size_t, POINTER(c_int32))
    f("trendcast_universe_last_day", status_t, universe_p, POINTER(c_int32), POINTER(c_size_t))
    f("trendcast_universe_save", status_t, universe_p, c_char_p)
    f("trendcast_universe_restore", status_t, *universe_of, c_char_p, POINTER(universe_p))
    f("trendcast_universe_free", None, universe_p)
    f("trendcast_feature_name", c_char_p, c_size_t)
    f("trendcast_features", status_t, POINTER(trendcast_bars), POINTER(c_double), c_size_t)
    f(
        "trendcast_backtest",
        status_t,
        POINTER(trendcast_bars),
        c_size_t,
        POINTER(c_int32),
        c_size_t,
        POINTER(c_float),
        c_size_t,
        c_double,
        c_size_t,
        POINTER(trendcast_backtest_metrics),
        POINTER(trendcast_backtest_day),
        c_size_t,
    )
    f(
        "trendcast_ranking_inputs",
        status_t,
        model_p,
        POINTER(trendcast_bars),
        POINTER(c_int32),
        POINTER(c_int32),
        c_size_t,
        POINTER(trendcast_ranking_input_sizes),
        POINTER(c_int32),
        POINTER(c_float),
        POINTER(c_float),
        POINTER(c_float),
        POINTER(c_int32),
    )
    f("trendcast_version", c_char_p)
    f("trendcast_version_number", c_uint32)


# --- finding the library --------------------------------------------------------------------------


def candidates() -> List[str]:
    """Where the library is looked for, in order.

    1. ``$TRENDCAST_LIB``: the library file, or a directory holding it. When set, it is the only
       candidate (a wrong path is an error, never silently replaced by another library).
    2. The copy built into the installed package (``trendcast/_lib/``: ``pip install`` builds it).
    3. For the package used from a source checkout without installing it: that checkout's Cargo
       build (``<repo>/target/release``).
    4. The system's loader path (``ldconfig``, ``LD_LIBRARY_PATH``): ``make install`` puts it there.
    """
    env = os.environ.get("TRENDCAST_LIB")
    if env:
        p = Path(env)
        return [str(p / LIBRARY_FILE if p.is_dir() else p)]
    here = Path(__file__).resolve().parent
    found = [str(p) for p in sorted((here / "_lib").glob("libtrendcast*" + Path(LIBRARY_FILE).suffix))]
    repo = here.parents[2]  # bindings/python/trendcast -> the repository root
    if (repo / "Cargo.toml").is_file() and (repo / "bindings" / "python" / "trendcast") == here:
        found.append(str(repo / "target" / "release" / LIBRARY_FILE))
    found.append(LIBRARY_FILE)  # a bare name: the dynamic loader's own search
    return found


def onnxruntime_library() -> Optional[str]:
    """ONNX Runtime's library inside the ``onnxruntime`` wheel of this environment, if one is
    installed (found without importing the package): what a model opens when neither
    ``ort_library`` nor ``$TRENDCAST_ORT_LIB`` names one."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("onnxruntime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        libs = sorted(Path(folder, "capi").glob("libonnxruntime.so.1*"))
        if libs:
            return str(libs[-1])
    return None


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_path: Optional[str] = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded and checked on first use)."""
    global _lib, _path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        explicit = bool(os.environ.get("TRENDCAST_LIB"))
        for c in candidates():
            if os.sep in c and not os.path.exists(c):
                tried.append(f"{c} (missing)")
                continue
            try:
                loaded = ctypes.CDLL(c)
            except OSError as e:
                tried.append(f"{c} ({e})")
                if explicit:
                    break
                continue
            _declare(loaded)
            major = loaded.trendcast_version_number() >> 16
            if major != ABI_MAJOR:
                raise LibraryNotFoundError(
                    f"{c} has ABI major version {major}; these bindings need {ABI_MAJOR}"
                )
            _lib, _path = loaded, c
            return loaded
        raise LibraryNotFoundError(
            "cannot load the trendcast library; install the package with pip (it builds the library), "
            "or set TRENDCAST_LIB to a libtrendcast.so. Tried: " + "; ".join(tried)
        )


def library_path() -> str:
    """The path (or loader name) of the library in use, loading it if needed."""
    lib()
    assert _path is not None
    return _path


def last_error() -> str:
    msg = lib().trendcast_last_error()
    return msg.decode("utf-8", "replace") if msg else ""
