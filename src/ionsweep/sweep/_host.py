"""Results of the chunk kernel on the host: the points of chunks, a call's results cut to
each chunk's region (store mode) or made final (direct reduce mode), the partial state of a
group of chunks, results split per device, and the loop that dispatches groups of chunks
while it collects the previous group's results.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ionsweep import _stop
from ionsweep._stats import as_state, empty_state, finals, merge
from ionsweep.sweep._partials import split
from ionsweep.sweep._plan import Plan

__all__ = [
    "chunk_points",
    "direct_finals",
    "chunk_groups",
    "group_state",
    "host_group",
    "per_device",
    "pipelined",
    "points_of",
]


def chunk_points(plan, index) -> int:
    """Grid points of chunk ``index`` (short at the grid's edge)."""
    return math.prod(s.stop - s.start for s in plan.chunk_region(index))


def points_of(plan: Plan, indices) -> int:
    """Grid points of the chunks ``indices`` together (:func:`chunk_points` summed)."""
    if not len(indices):
        return 0
    index = np.asarray(indices, np.int64).reshape(len(indices), len(plan.dims))
    chunks, shape = np.asarray(plan.chunks, np.int64), np.asarray(plan.shape, np.int64)
    lengths = np.minimum((index + 1) * chunks, shape) - index * chunks
    return int(np.prod(lengths, axis=1).sum())


def host_group(plan: Plan, indices, stacked) -> list[dict]:
    """Host results of a call (``stacked``: :meth:`Launcher.stacked`) → for each chunk of
    ``indices``, the NumPy arrays to write at its region: every output and ``valid`` cut
    to the region (store mode), or the final statistics of its kept cells (direct reduce
    mode, computed for the whole group at once)."""
    regions = [plan.chunk_region(index) for index in indices]
    if plan.reduce is None:
        res, valid = stacked
        out = []
        for j, region in enumerate(regions):
            cut = tuple(slice(0, s.stop - s.start) for s in region)
            host = {k: v[j][cut] for k, v in res.items()}
            host["valid"] = valid[j][cut].astype(np.uint8, copy=False)
            out.append(host)
        return out
    kept, _ = split(plan)
    values = {
        name: vals.astype(plan.dtype) if vals.dtype.kind == "f" else vals
        for name, (vals, *_) in direct_finals(plan, stacked).items()
    }
    out = []
    for j, region in enumerate(regions):
        cut = tuple(slice(0, region[k].stop - region[k].start) for k in kept)
        out.append({name: vals[j][cut] for name, vals in values.items()})
    return out


def group_state(plan: Plan, stacked) -> dict:
    """Partial reductions of a group of chunks that span their reduced axes whole (direct
    mode), stacked along a leading axis, as a host state (float64, int64): what
    :meth:`Accumulator.merge` folds in for each chunk."""
    over = tuple(plan.chunks[plan.dims.index(d)] for d in plan.reduction.over)
    part = as_state(np, plan, dict(stacked), (0,) * len(over), over)
    return {
        k: np.asarray(a).astype(np.float64 if a.dtype.kind == "f" else np.int64, copy=False)
        for k, a in part.items()
    }


def direct_finals(plan: Plan, stacked) -> dict:
    """The statistics of each chunk of a group (direct mode), stacked along a leading axis:
    its partials merged into an empty state (as an :class:`Accumulator` of the chunk's
    region does), then made final."""
    theirs = group_state(plan, stacked)
    n = len(next(iter(theirs.values())))
    kept, _ = split(plan)
    shape = (n,) + tuple(plan.chunks[k] for k in kept)
    mine = empty_state(np, plan, shape, np.float64, np.int64)
    state = merge(np, plan, mine, {k: theirs[k] for k in mine})
    return finals(plan, state, ("chunk",) + tuple(plan.dims[k] for k in kept))


def pipelined(launch, groups, collect) -> None:
    """``collect(indices, host results)`` for every group of chunks, the next group
    dispatched (asynchronously) before the previous one is collected, so the devices
    compute while the host handles results. A signal stops the loop between groups (see
    :mod:`ionsweep._stop`)."""
    in_flight: deque = deque()
    for indices in groups:
        _stop.check()
        in_flight.append((indices, launch(indices)))
        if len(in_flight) > 1:  # the devices are busy: collect the previous group
            indices, result = in_flight.popleft()
            collect(indices, launch.stacked(launch.to_host(result)))
    while in_flight:
        indices, result = in_flight.popleft()
        collect(indices, launch.stacked(launch.to_host(result)))


def per_device(result, n_devices: int) -> list:
    """A call's (host) results, one per device: the results themselves for one device, else
    the slices along their leading device axis (padding chunks of a short group included:
    ``zip`` them with the group's chunks)."""
    if n_devices == 1:
        return [result]
    if isinstance(result, list):  # already one per device (``_per_device.PerDevice``)
        return result
    import jax

    return [jax.tree.map(lambda a, j=j: a[j], result) for j in range(n_devices)]


def chunk_groups(todo, size):
    """``todo`` in consecutive groups of ``size`` chunks (the last may be shorter)."""
    return [todo[i : i + size] for i in range(0, len(todo), size)]
