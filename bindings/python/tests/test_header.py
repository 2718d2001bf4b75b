"""The bindings' copies of the C header's enums, constants and structs, tied to
include/trendcast.h (the checked-in header, itself tied to the library by the serving crate's ffi::tests): a new
status, a renumbered backend or a reordered struct field fails here."""

import ctypes
import re
from pathlib import Path

import trendcast
from trendcast import _bars, _native

HEADER = (Path(__file__).resolve().parents[3] / "include" / "trendcast.h").read_text()


def enum_values(prefix):
    return {m[1]: int(m[2]) for m in re.finditer(rf"\b{prefix}([A-Z_]+) = (\d+)", HEADER)}


def struct_fields(name):
    body = re.search(rf"typedef struct {name} \{{(.*?)\}} {name};", HEADER, re.S)[1]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return [m[1] for m in re.finditer(r"(\w+);", body)]


def test_status_enum_is_the_headers():
    assert {s.name: s.value for s in trendcast.Status} == enum_values("TRENDCAST_STATUS_")


def test_backend_and_kind_values_are_the_headers():
    assert {k.upper(): v for k, v in _native.BACKENDS.items()} == enum_values("TRENDCAST_BACKEND_")
    assert {v.upper(): k for k, v in _native.KINDS.items()} == enum_values("TRENDCAST_KIND_")


def test_structs_have_the_headers_fields_in_order():
    for cls in (_native.trendcast_bars, _native.trendcast_open_options):
        assert [f[0] for f in cls._fields_] == struct_fields(cls.__name__), cls.__name__
    # The prepared stocks' record array is laid out as trendcast_bars.
    assert list(_bars.BARS_DTYPE.names) == struct_fields("trendcast_bars")
    assert _bars.BARS_DTYPE.itemsize == ctypes.sizeof(_native.trendcast_bars)


def test_generated_structs_are_the_headers():
    """trendcast/_structs.py is what tools/gen_structs.py writes from today's header, and it
    holds every struct the header defines."""
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[1] / "tools" / "gen_structs.py"
    stale = subprocess.run([sys.executable, str(tool), "--check"]).returncode
    assert stale == 0, "trendcast/_structs.py is stale: run python bindings/python/tools/gen_structs.py"
    for name in re.findall(r"typedef struct (\w+) \{", HEADER):
        assert [f[0] for f in getattr(_native, name)._fields_] == struct_fields(name), name


def test_feature_count_is_the_headers():
    n = int(re.search(r"#define TRENDCAST_N_FEATURES (\d+)", HEADER)[1])
    assert len(trendcast.feature_names()) == n
