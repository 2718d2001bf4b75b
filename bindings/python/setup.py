"""Build hooks (the metadata is in pyproject.toml): setuptools-rust builds the trendcast C library
(the repository's root crate, as a cdylib without its default `cli` feature, release profile,
debug sections stripped) and puts it
inside the package as ``trendcast/_lib/libtrendcast.abi3.so``, so that ``pip install
bindings/python`` needs a Rust toolchain and nothing built by hand, and ``pip wheel
bindings/python`` gives a platform wheel that holds the library. The bindings call it through
ctypes, not the Python C API: the wheel is tagged for any Python 3 on the platform.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension, Strip

# bindings/python -> the repository root; the serving library is the crate in crates/trendcast.
CRATE = Path(__file__).resolve().parents[2] / "crates" / "trendcast" / "Cargo.toml"
if not CRATE.is_file():
    raise SystemExit(f"{CRATE} not found: build the package from a checkout of the trendcast repository")


class BdistWheel(bdist_wheel):
    def get_tag(self):
        _, _, plat = super().get_tag()
        # ctypes only: any Python 3 on this platform.
        return ("py3", "none", plat)


setup(
    rust_extensions=[
        RustExtension(
            "trendcast._lib.libtrendcast",
            path=str(CRATE),
            # The serving crate alone: no command line, graph writers or charts (other crates).
            binding=Binding.NoBinding,
            py_limited_api=True,
            debug=False,
            strip=Strip.Debug,
        )
    ],
    cmdclass={"bdist_wheel": BdistWheel},
    zip_safe=False,
)
