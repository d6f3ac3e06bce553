"""Chunk shapes from a memory budget, and byte-size parsing."""

from __future__ import annotations

import math
import re

__all__ = ["choose_chunks", "parse_bytes"]

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
#: Largest chunk, in points, whatever the budget. On CPU, 4 Mi points keeps every float32
#: buffer at 16 MiB, under glibc's 32 MiB mmap threshold: larger buffers are mapped afresh on
#: every call and page-faulted in 4 KiB pages, which costs more than the arithmetic. On
#: accelerators, 64 Mi points amortize the per-chunk dispatch.
MAX_CHUNK_POINTS_CPU = 1 << 22
MAX_CHUNK_POINTS_ACCELERATOR = 1 << 26
#: Working bytes per point per stored variable beyond the stored values: the device result,
#: its host copy and one chunk queued for writing, plus the kernel's intermediates.
_COPIES = 4
_SCRATCH_BYTES = 64


def parse_bytes(text) -> int:
    """Parse ``"2GB"``, ``"512MiB"``, ``"1e9"`` or an int into a number of bytes (> 0)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*", str(text))
        if not m or m.group(2).upper() not in _UNITS:
            raise ValueError(f"cannot parse a size from {text!r}; write e.g. '2GB' or '512MiB'")
        value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"size must be a positive, finite number of bytes, got {text!r}")
    return int(value)


def _max_points() -> int:
    import jax

    cpu = jax.default_backend() == "cpu"
    return MAX_CHUNK_POINTS_CPU if cpu else MAX_CHUNK_POINTS_ACCELERATOR


def choose_chunks(
    shape, dims, n_vars, itemsize, memory_bytes, requested=None, first=(), max_points=None
):
    """Chunk shape whose working set fits ``memory_bytes``.

    Dimensions named in ``requested`` keep their requested size; the others are filled from
    the last (fastest-varying, contiguous) dimension backwards, each taken whole while the
    budget allows, so chunks are as contiguous as possible in the C-ordered store. Dimensions
    named in ``first`` are filled before all others (reduce mode passes the reduced axes, so
    each chunk covers whole reductions and no two chunks share an output element).
    """
    requested = dict(requested or {})
    per_point = itemsize * n_vars * _COPIES + _SCRATCH_BYTES
    budget = max(1, min(memory_bytes // per_point, max_points or _max_points()))
    chunks = [0] * len(shape)
    for k, d in enumerate(dims):
        if d in requested:
            chunks[k] = min(int(requested[d]), shape[k])
            budget = max(1, budget // chunks[k])
    order = [k for k in reversed(range(len(shape))) if dims[k] in first]
    order += [k for k in reversed(range(len(shape))) if dims[k] not in first]
    for k in order:
        if chunks[k]:
            continue
        chunks[k] = max(1, min(shape[k], budget))
        budget = max(1, budget // chunks[k])
    return tuple(chunks)
