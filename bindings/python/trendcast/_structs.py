"""The C header's structs as ctypes sees them. Generated from include/trendcast.h by
bindings/python/tools/gen_structs.py; do not edit."""

from ctypes import POINTER, Structure, c_char_p, c_double, c_float, c_int32, c_size_t, c_uint32  # noqa: F401


class trendcast_open_options(Structure):
    """Options for trendcast_model_open."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("backend", c_uint32),
        ("cuda_device", c_int32),
        ("ort_library_path", c_char_p),
    ]


class trendcast_bars(Structure):
    """One stock's daily bars, oldest first, as six caller-owned arrays of `len` values each."""

    _fields_ = [
        ("dates", POINTER(c_int32)),
        ("open", POINTER(c_double)),
        ("high", POINTER(c_double)),
        ("low", POINTER(c_double)),
        ("close", POINTER(c_double)),
        ("volume", POINTER(c_double)),
        ("len", c_size_t),
    ]


class trendcast_ranking_input_sizes(Structure):
    """The shapes of trendcast_ranking_inputs' outputs."""

    _fields_ = [
        ("n_nodes", c_size_t),
        ("n_stocks", c_size_t),
        ("n_sub_industries", c_size_t),
        ("n_sectors", c_size_t),
        ("window", c_size_t),
        ("n_node_features", c_size_t),
    ]


class trendcast_backtest_metrics(Structure):
    """A backtest's summary (docs/specs/lsr-igru.md), as `trendcast backtest` prints it."""

    _fields_ = [
        ("days", c_size_t),
        ("arr", c_double),
        ("avol", c_double),
        ("mdd", c_double),
        ("asr", c_double),
        ("cr", c_double),
        ("ir", c_double),
        ("benchmark_arr", c_double),
        ("excess_arr", c_double),
        ("turnover", c_double),
        ("ic", c_double),
        ("icir", c_double),
        ("rank_ic", c_double),
        ("final_nv", c_double),
    ]


class trendcast_backtest_day(Structure):
    """One decision day of a backtest: its outcome and the equity curves after it."""

    _fields_ = [
        ("date", c_int32),
        ("portfolio", c_double),
        ("benchmark", c_double),
        ("turnover", c_double),
        ("ic", c_double),
        ("rank_ic", c_double),
        ("portfolio_nv", c_double),
        ("benchmark_nv", c_double),
        ("excess_nv", c_double),
    ]
