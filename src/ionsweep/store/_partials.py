"""Saved partial statistics of an accumulated reduction, in the store's manifest.

A reduction whose reduced axes span several chunks is accumulated by every process that
computes some of its chunks: each shard (``--shard I/N``), each Dask task, or a single
process, which is shard 0/1. Each saves its partial state as one file
``.ionsweep/partials/<owner>.npz``: the state's arrays and a bitmap of the chunks it covers
(one bit per chunk, in C order over the chunk grid). The files of one store cover disjoint
sets of chunks; once their union is every chunk, merging them gives the statistics.

This module stores and lists these files and serializes the process that writes the final
statistics (:func:`finish_lock`); what the arrays mean is the sweep layer's business.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path

import numpy as np

from ionsweep._faults import checkpoint
from ionsweep.store._layout import LOCK_FILE, MANIFEST_DIR, PARTIAL_FILE, PARTIALS_DIR

__all__ = [
    "covered_by_others",
    "finish_lock",
    "load_partial",
    "new_task_prefix",
    "owner_name",
    "partial_files",
    "save_partial",
]

_COVERED = "__covered__"


def owner_name(shard=None, task: str | None = None) -> str:
    """File stem of a process's partial state: ``shard-I-of-N`` (a single process is shard
    0/1) or ``dask-<task>``."""
    if task is not None:
        return f"dask-{task}"
    i, n = shard or (0, 1)
    return f"shard-{i}-of-{n}"


def new_task_prefix() -> str:
    """A fresh prefix for the Dask tasks of one run (8 hex digits)."""
    return uuid.uuid4().hex[:8]


def _folder(path) -> Path:
    return Path(path) / MANIFEST_DIR / PARTIALS_DIR


def partial_files(path) -> dict[str, Path]:
    """{owner: file} of every saved partial state of the store ``path``, by name."""
    folder = _folder(path)
    if not folder.is_dir():
        return {}
    found = {}
    for f in sorted(folder.iterdir()):
        m = PARTIAL_FILE.match(f.name)
        if m and f.is_file():
            found[m["owner"]] = f
    return found


def save_partial(path, owner: str, state: dict, covered: np.ndarray) -> None:
    """Save ``state`` (name → array) and ``covered`` (one bool per chunk, C order) as
    ``owner``'s partial state, atomically (a temporary file renamed into place)."""
    folder = _folder(path)
    folder.mkdir(exist_ok=True)
    target = folder / f"{owner}.npz"
    tmp = folder / f"{owner}.{uuid.uuid4().hex[:8]}.tmp.npz"
    arrays = {k.replace("/", "|"): np.asarray(v) for k, v in state.items()}
    bits = np.packbits(np.asarray(covered, bool))
    extra = {_COVERED: bits, "__n_chunks__": np.int64(covered.size)}
    np.savez(tmp, **arrays, **extra)  # type: ignore[arg-type]  # names are never allow_pickle
    os.replace(tmp, target)
    checkpoint("reduce state saved")


def load_partial(file, n_chunks: int, *, state: bool = True) -> tuple[dict, np.ndarray]:
    """(state, covered) saved in ``file``; with ``state=False`` only the bitmap is read."""
    with np.load(file) as f:
        if int(f["__n_chunks__"]) != n_chunks:
            raise ValueError(
                f"{file}: saved for {int(f['__n_chunks__'])} chunks, this store has {n_chunks}"
            )
        covered = np.unpackbits(f[_COVERED], count=n_chunks).astype(bool)
        arrays = {}
        if state:
            arrays = {
                k.replace("|", "/"): f[k] for k in f.files if k not in (_COVERED, "__n_chunks__")
            }
    return arrays, covered


def covered_by_others(path, owner: str, n_chunks: int) -> np.ndarray:
    """The chunks covered by the saved partial states of every owner but ``owner``."""
    covered = np.zeros(n_chunks, bool)
    for name, f in partial_files(path).items():
        if name != owner:
            covered |= load_partial(f, n_chunks, state=False)[1]
    return covered


@contextlib.contextmanager
def finish_lock(path):
    """Hold the store's finishing lock (``fcntl.flock`` on ``.ionsweep/finish.lock``): the
    processes that may write the final statistics take turns; a killed holder's lock is
    released by the operating system."""
    lock = Path(path) / MANIFEST_DIR / LOCK_FILE
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
