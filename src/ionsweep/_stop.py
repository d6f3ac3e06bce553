"""Stopping a long run cleanly on SIGINT or SIGTERM.

The command line turns both signals into :class:`Stopped`. While a sweep evaluates chunks
(inside :func:`deferred`), the first signal only asks it to stop: the executor finishes the
chunks in flight, writes them, and raises :class:`Stopped` at the next chunk boundary, so a
signal never lands inside a JAX host callback or a half-written chunk. A second signal
raises at once.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

__all__ = ["Stopped", "check", "deferred", "handler"]


class Stopped(BaseException):
    """The run was stopped by signal ``signum`` (store left resumable)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_state: dict[str, Any] = {"deferring": 0, "requested": None}


def handler(signum, frame) -> None:
    """Signal handler: ask a deferring run to stop, otherwise stop at once."""
    if _state["deferring"] and _state["requested"] is None:
        _state["requested"] = signum
        return
    raise Stopped(signum)


def check() -> None:
    """Raise :class:`Stopped` if a signal asked the run to stop."""
    signum = _state["requested"]
    if signum is not None:
        _state["requested"] = None
        raise Stopped(signum)


@contextlib.contextmanager
def deferred():
    """Within: a first signal is recorded for :func:`check` instead of raising."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1
