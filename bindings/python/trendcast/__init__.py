"""trendcast: stock direction and ranking from raw daily bars, over the library's C ABI (ctypes).

    >>> import trendcast
    >>> model = trendcast.Model("models/direction", backend="tract")
    >>> probs = model.direction(bars)          # (n, 3) float32: down, flat, up

The shared library is found through ``$TRENDCAST_LIB``, then a copy bundled in the package, then the
Cargo build of the source tree (``target/release``), then the system loader: see
:func:`trendcast.library_path` and bindings/README.md.
"""

from ._errors import (
    BackendError,
    ContractError,
    InvalidArgumentError,
    InvalidBarError,
    IoError,
    ModelError,
    NullPointerError,
    PanicError,
    ParseError,
    ShapeError,
    Status,
    TooLittleHistoryError,
    TrendcastError,
    UnsortedError,
    WrongKindError,
)
from ._backtest import BacktestResult, backtest, score_days
from ._bars import Stocks
from ._features import feature_matrix, feature_names, features
from ._model import Model, Ranking, RankingInputs, split_frame, version
from ._native import LibraryNotFoundError, library_path
from ._universe import Universe

__version__ = "0.1.0"

__all__ = [
    "BacktestResult",
    "BackendError",
    "ContractError",
    "InvalidArgumentError",
    "InvalidBarError",
    "IoError",
    "LibraryNotFoundError",
    "Model",
    "ModelError",
    "NullPointerError",
    "PanicError",
    "ParseError",
    "Ranking",
    "RankingInputs",
    "ShapeError",
    "Status",
    "Stocks",
    "TooLittleHistoryError",
    "TrendcastError",
    "Universe",
    "UnsortedError",
    "WrongKindError",
    "backtest",
    "feature_matrix",
    "feature_names",
    "features",
    "library_path",
    "score_days",
    "split_frame",
    "version",
]
