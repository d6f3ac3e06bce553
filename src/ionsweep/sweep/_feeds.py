"""What a chunk kernel is fed: every axis's values put on the devices once, padded to whole
chunks (:func:`axis_feeds`), or each chunk's slices where they are too large to keep there
(:func:`chunk_inputs`); a chunk named by a small integer array, ``where``
(:func:`chunk_where`), from which the kernel slices its inputs on the device; and the spec's
fixed inputs (:func:`fixed_inputs`).
"""

from __future__ import annotations

import jax
import numpy as np

from ionsweep.sweep._axes import Generated
from ionsweep.sweep._plan import Plan

__all__ = [
    "ACTIVE",
    "LENGTH",
    "OFFSET",
    "START",
    "axis_feeds",
    "chunk_feeds",
    "chunk_inputs",
    "chunk_where",
    "feeds_resident",
    "fixed_inputs",
]

#: Rows of ``where``: offset of the chunk in the feeds the kernel is given, first grid index
#: of the chunk, its length (short at the grid's edge), and whether it is a real chunk (1)
#: or padding of a short group of chunks (0; only column 0 is read).
OFFSET, START, LENGTH, ACTIVE = range(4)

#: Feeds stay on the device for the whole run when they take at most this share of the
#: memory budget; larger ones (huge sample plans) are sent chunk by chunk.
RESIDENT_SHARE = 8


def _padded(values, length: int, dtype, region: slice = slice(None)) -> np.ndarray:
    """``values[region]`` extended to ``length`` by repeating the last value, as ``dtype``;
    of a generated axis (:class:`~._axes.Generated`) only those values are made."""
    if isinstance(values, Generated):
        values = values.values(region.start or 0, region.stop)
    else:
        values = values[region]
    if len(values) < length:
        values = np.concatenate([values, np.repeat(values[-1:], length - len(values))])
    return values.astype(dtype)


def axis_feeds(plan: Plan, dtype) -> list[dict[str, np.ndarray]]:
    """Every axis's feeds, padded to a whole number of chunks by repeating the last value,
    so every chunk's slice has the chunk's length and the kernel compiles once (the padding
    is cut off, or masked, afterwards)."""
    return [
        {name: _padded(v, n * c, dtype) for name, v in axis.feeds.items()}
        for axis, n, c in zip(plan.axes, plan.chunk_grid, plan.chunks, strict=True)
    ]


def feeds_resident(plan: Plan) -> bool:
    """Whether a run keeps the plan's feeds on its devices (see :data:`RESIDENT_SHARE`)."""
    nbytes = sum(
        len(axis.feeds) * n * c * plan.itemsize()
        for axis, n, c in zip(plan.axes, plan.chunk_grid, plan.chunks, strict=True)
    )
    return nbytes <= plan.memory_bytes // RESIDENT_SHARE


def chunk_where(plan: Plan, index, *, resident: bool = True, active: bool = True):
    """``where`` for chunk ``index`` (rows :data:`OFFSET` … :data:`ACTIVE`, int32)."""
    region = plan.chunk_region(index)
    starts = [sl.start for sl in region]
    offsets = starts if resident else [0] * len(region)
    lengths = [sl.stop - sl.start for sl in region]
    return np.asarray([offsets, starts, lengths, [int(active)] * len(region)], np.int32)


def chunk_inputs(plan: Plan, index, dtype):
    """``(feeds, where)`` of chunk ``index`` for a kernel given only that chunk's slices."""
    region = plan.chunk_region(index)
    feeds = [
        {name: _padded(values, c, dtype, sl) for name, values in axis.feeds.items()}
        for axis, sl, c in zip(plan.axes, region, plan.chunks, strict=True)
    ]
    return feeds, chunk_where(plan, index, resident=False)


def chunk_feeds(plan: Plan, feeds, offsets):
    """The chunk's slice of every feed (a no-op slice where the feeds are the chunk's own)."""
    return [
        {
            name: jax.lax.dynamic_slice_in_dim(v, offsets[k], c) if v.shape[0] != c else v
            for name, v in d.items()
        }
        for k, (d, c) in enumerate(zip(feeds, plan.chunks, strict=True))
    ]


def fixed_inputs(plan: Plan) -> dict[str, np.ndarray]:
    """The spec's fixed inputs as arrays of the plan's dtype (the kernel's second argument)."""
    return {k: np.asarray(v, plan.dtype) for k, v in plan.fixed.items()}
