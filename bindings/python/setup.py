"""Build hooks (the metadata is in pyproject.toml).

- Records the source tree the package was built from (trendcast/_build_info.py), so that an
  installed package finds the Cargo build of that tree (../../target/release) without TRENDCAST_LIB.
- Bundles the shared library into the package (trendcast/_lib/) when asked:
  TRENDCAST_BUNDLE_LIB=/path/to/libtrendcast.so pip install bindings/python
  (TRENDCAST_BUNDLE_LIB=1 takes ../../target/release/libtrendcast.so). The wheel is then tagged for
  this platform instead of py3-none-any.
"""

import os
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LIBRARY_FILE = {"darwin": "libtrendcast.dylib", "win32": "trendcast.dll"}.get(sys.platform, "libtrendcast.so")


def bundled_library():
    want = os.environ.get("TRENDCAST_BUNDLE_LIB", "")
    if want in ("", "0"):
        return None
    path = REPO / "target" / "release" / LIBRARY_FILE if want == "1" else Path(want)
    if path.is_dir():
        path = path / LIBRARY_FILE
    if not path.is_file():
        raise SystemExit(f"TRENDCAST_BUNDLE_LIB: {path} does not exist (cargo build --release --lib)")
    return path


class BuildPy(build_py):
    def run(self):
        super().run()
        pkg = Path(self.build_lib) / "trendcast"
        source = str(HERE) if (REPO / "Cargo.toml").is_file() else ""
        (pkg / "_build_info.py").write_text(
            "# Written by setup.py: the source tree this package was built from.\n"
            f"SOURCE_TREE = {source!r}\n"
        )
        # The build directory outlives a build: never leave an earlier build's bundled copy in it.
        shutil.rmtree(pkg / "_lib", ignore_errors=True)
        lib = bundled_library()
        if lib is not None:
            (pkg / "_lib").mkdir()
            shutil.copy2(lib, pkg / "_lib" / LIBRARY_FILE)


class BdistWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = bundled_library() is None

    def get_tag(self):
        python, abi, plat = super().get_tag()
        # ctypes only: any Python 3 on this platform, when the library is inside.
        return ("py3", "none", plat) if not self.root_is_pure else (python, abi, plat)


setup(cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel})
