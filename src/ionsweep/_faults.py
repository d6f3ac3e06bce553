"""Fault injection at the points where a run changes its store on disk (tests only).

Every step that writes a store — creating it, writing a chunk's variables, marking a chunk
done, saving reduction state, each final write of reduce mode, completing it, removing it —
calls :func:`checkpoint` with a label. Normally that is a no-op. The test suite uses it to
"kill" a run at every such point and check that the store it leaves resumes to the same
result as an uninterrupted run:

* ``IONSWEEP_FAULT_AT=N`` (environment) sends SIGKILL to the process at the N-th checkpoint
  (1-based), or at the first whose label starts with N when N is not a number: a real kill.
* :func:`arm` does the same in-process by raising :class:`InjectedFault`, a
  ``BaseException`` that no ionsweep code catches; once fired, every later checkpoint (in any
  thread) raises too, as if the process were gone.

This module is not part of the public API.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["InjectedFault", "arm", "checkpoint", "disarm", "labels"]


class InjectedFault(BaseException):
    """Raised at an armed checkpoint: stands for the process being killed there."""


_lock = threading.Lock()
_state: dict = {"at": None, "count": 0, "fired": False, "record": None}


def arm(at: int | None, record: list | None = None) -> None:
    """Raise :class:`InjectedFault` at the ``at``-th checkpoint from now (None: never).

    ``record`` (a list) collects the labels of the checkpoints passed, for enumerating them.
    """
    with _lock:
        _state.update(at=at, count=0, fired=False, record=record)


def disarm() -> None:
    """Back to normal: checkpoints do nothing."""
    arm(None)


def labels() -> list[str]:
    """Labels recorded since :func:`arm` was given a list."""
    return list(_state["record"] or [])


def checkpoint(label: str) -> None:
    """Mark a point where the store on disk has just changed (no-op unless armed)."""
    env = os.environ.get("IONSWEEP_FAULT_AT")
    if env is None and _state["at"] is None and _state["record"] is None:
        return
    with _lock:
        _state["count"] += 1
        if _state["record"] is not None:
            _state["record"].append(label)
        if env is not None:
            if env.isdigit() and _state["count"] == int(env) or label.startswith(env):
                os.kill(os.getpid(), signal.SIGKILL)
        hit = _state["fired"] or (_state["at"] is not None and _state["count"] >= _state["at"])
        if hit:
            _state["fired"] = True
    if hit:
        raise InjectedFault(label)
