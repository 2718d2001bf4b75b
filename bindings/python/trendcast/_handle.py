"""What the Python objects over a C handle share: calls count themselves in, and a close waits for
the calls in flight on other threads before it frees the handle; calls after it raise."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from ._errors import NullPointerError


class Handle:
    """Owns one C handle (``self._handle``), freed by ``self._free`` on :meth:`close`."""

    _what = "handle"

    def __init__(self) -> None:
        self._handle: Any = None
        self._calls = threading.Condition()
        self._in_flight = 0

    def _free(self, handle: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Frees the handle once the calls in flight on other threads have returned; later calls
        raise :class:`NullPointerError`. Closing twice is fine."""
        calls = getattr(self, "_calls", None)
        if calls is None:  # __init__ failed before the handle existed
            return
        with calls:
            handle, self._handle = self._handle, None
            while self._in_flight:
                calls.wait()
        if handle:
            self._free(handle)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    @contextmanager
    def _live(self) -> Iterator[Any]:
        """The handle, held open (a close waits) until the block ends."""
        with self._calls:
            handle = self._handle
            if not handle:
                raise NullPointerError(f"the {self._what} is closed")
            self._in_flight += 1
        try:
            yield handle
        finally:
            with self._calls:
                self._in_flight -= 1
                if not self._in_flight:
                    self._calls.notify_all()

    @contextmanager
    def _alone(self) -> Iterator[Any]:
        """The handle with no other call in flight, and none starting, until the block ends (a call
        that changes what the handle holds)."""
        with self._calls:
            while self._in_flight:
                self._calls.wait()
            if not self._handle:
                raise NullPointerError(f"the {self._what} is closed")
            yield self._handle
