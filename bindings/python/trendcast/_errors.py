"""The library's status codes (enum trendcast_status) as Python exceptions."""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type


class Status(enum.IntEnum):
    """enum trendcast_status, value for value."""

    OK = 0
    NULL_POINTER = 1
    INVALID_ARGUMENT = 2
    SHAPE = 3
    INVALID_BAR = 4
    UNSORTED = 5
    TOO_LITTLE_HISTORY = 6
    IO = 7
    PARSE = 8
    MODEL = 9
    CONTRACT = 10
    WRONG_KIND = 11
    BACKEND = 12
    PANIC = 13


class TrendcastError(Exception):
    """A failed trendcast call. ``status`` is the C status code (a :class:`Status`), ``message`` the
    library's message (``trendcast_last_error()``). Each status has its own subclass."""

    status: Status = Status.PANIC

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        if status is not None:
            try:
                self.status = Status(status)
            except ValueError:  # a status newer than these bindings
                self.status = Status.PANIC
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status.name})"


class NullPointerError(TrendcastError):
    status = Status.NULL_POINTER


class InvalidArgumentError(TrendcastError, ValueError):
    status = Status.INVALID_ARGUMENT


class ShapeError(TrendcastError, ValueError):
    status = Status.SHAPE


class InvalidBarError(TrendcastError, ValueError):
    status = Status.INVALID_BAR


class UnsortedError(TrendcastError, ValueError):
    status = Status.UNSORTED


class TooLittleHistoryError(TrendcastError, ValueError):
    status = Status.TOO_LITTLE_HISTORY


class IoError(TrendcastError, OSError):
    status = Status.IO


class ParseError(TrendcastError, ValueError):
    status = Status.PARSE


class ModelError(TrendcastError):
    status = Status.MODEL


class ContractError(TrendcastError):
    status = Status.CONTRACT


class WrongKindError(TrendcastError, TypeError):
    status = Status.WRONG_KIND


class BackendError(TrendcastError):
    status = Status.BACKEND


class PanicError(TrendcastError):
    status = Status.PANIC


ERRORS: Dict[Status, Type[TrendcastError]] = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidArgumentError,
        ShapeError,
        InvalidBarError,
        UnsortedError,
        TooLittleHistoryError,
        IoError,
        ParseError,
        ModelError,
        ContractError,
        WrongKindError,
        BackendError,
        PanicError,
    )
}


def error_for(status: int, message: str) -> TrendcastError:
    """The exception for a status code (TrendcastError itself for an unknown one)."""
    try:
        cls = ERRORS[Status(status)]
    except ValueError:
        return TrendcastError(f"status {status}: {message}", Status.PANIC)
    return cls(message, status)
