"""Feeding the compiled chunk kernel: one call per group of chunks, one chunk per device,
or, where chunks are small, several chunks per device evaluated in a loop inside the
program (or, where every kept cell's reduced block is a step by itself, one call per kept
cell)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ionsweep.sweep._chunks import _point_budget
from ionsweep.sweep._feeds import (
    LENGTH,
    OFFSET,
    START,
    axis_feeds,
    chunk_inputs,
    feeds_resident,
    fixed_inputs,
)
from ionsweep.sweep._kernel import (
    build_chunk_kernel,
    build_group_kernel,
    build_sharded_kernel,
    cells_per_step,
    shardings,
)
from ionsweep.sweep._partials import flush_every, init_state, split
from ionsweep.sweep._plan import Plan, mode

__all__ = ["Launcher", "cell_plan", "group_size"]

#: At most this many calls of a one-cell kernel per run (kept cells per chunk × chunks).
CELL_CALLS_MAX = 512
#: ... and only for reduced blocks of fewer points than this.
CELL_BLOCK_MAX = 1 << 16


#: Where chunks are small, one call evaluates a group of chunks per device, so that the
#: host's cost of a call (dispatch, sending ``where``, copying results back, merging them)
#: is paid once per group instead of once per chunk. A group holds
#: at most this many points (and at most the memory budget's worth) ...
GROUP_POINTS = 1 << 18
#: ... and at most this many chunks ...
GROUP_MAX = 256
#: ... and chunks are grouped only in a plan of at least this many chunks: the loop over
#: a group's chunks costs compile time (see ``group_size``; figures in
#: ``benchmarks/RESULTS.md``, design notes).
GROUP_MIN_CHUNKS = 1024


def group_size(plan: Plan) -> int:
    """Chunks each device evaluates per call of the kernel (1: one chunk per call).

    Decided by the plan alone, so every process running a plan (shards, Dask workers, a
    resume) evaluates every chunk with the same compiled program. Chunks whose kept cells
    are called one by one (:func:`cell_plan`) are not grouped. In accumulate mode a group
    holds at most ``flush_every(plan)`` chunks, so the device's counts cannot overflow
    between two flushes.
    """
    if plan.n_chunks < GROUP_MIN_CHUNKS or cell_plan(plan) is not None:
        return 1
    points = math.prod(plan.chunks)
    n_vars = len(plan.variables()) + 1
    budget = _point_budget(n_vars, plan.itemsize(), plan.memory_bytes, GROUP_POINTS)
    size = min(GROUP_MAX, budget // points)
    if mode(plan) == "reduce-accumulate":
        size = min(size, flush_every(plan))
    return max(1, size)


def cell_plan(plan: Plan) -> Plan | None:
    """The plan of one kept cell of a chunk, where the kernel is called once per cell
    (``None`` where it is called once per chunk).

    That is where a cell's reduced block is a whole step of the kernel
    (:func:`~ionsweep.sweep._kernel.cells_per_step` is 1) but under
    :data:`CELL_BLOCK_MAX` points, a chunk holds several cells, and the run makes at most
    :data:`CELL_CALLS_MAX` calls (a run that accumulates over chunks calls the kernel for
    every cell of every chunk). A loop over the cells inside the compiled program costs
    compile time, and a call per cell costs the host a fixed time per call plus, for larger
    blocks, fresh temporary buffers on every call; measured on CPU (``benchmarks/RESULTS.md``,
    design notes), the two balance for small blocks and the calls lose for large or many
    ones. So only a few hundred small blocks are called per cell.
    """
    if plan.reduce is None or cells_per_step(plan) != 1:
        return None
    kept, over = split(plan)
    per_chunk = math.prod(plan.chunks[k] for k in kept)
    if per_chunk == 1 or per_chunk * math.prod(plan.chunk_grid) > CELL_CALLS_MAX:
        return None
    if math.prod(plan.chunks[k] for k in over) >= CELL_BLOCK_MAX:
        return None
    chunks = tuple(1 if k in kept else c for k, c in enumerate(plan.chunks))
    return dataclasses.replace(plan, chunks=chunks)


class Launcher:
    """``launch(group[, state])``: one call of the compiled kernel for a group of chunks,
    :attr:`per_call` of them: :attr:`group` per device (see :func:`group_size`), fed from
    the axis values kept on the devices (or, for feeds too large to keep, from each chunk's
    slices). Several devices run one program (``build_sharded_kernel``) compiled once for
    all of them; a short last group is padded by repeating its last chunk, marked inactive
    (its results are ignored, and it merges nothing into a state). In accumulate mode the
    call takes and returns the device state (``fresh_state()`` makes an empty one), with a
    token that is ready when the group is done. ``to_host(result)`` copies a call's results
    into NumPy arrays; ``stacked(host)`` lays them along one leading axis, one entry per
    chunk of the call in the group's order.

    Where :func:`cell_plan` says so, a call runs the one-cell kernel once per kept cell of
    the chunks, each cell named by its own ``where`` (its offset and start within the
    chunk's, length 1 along the kept axes), and ``to_host`` assembles the cells' results
    into the chunk's."""

    def __init__(self, plan: Plan, devices):
        import jax

        self.plan, self.devices = plan, list(devices)
        self.dtype = np.dtype(plan.dtype)
        self.resident = feeds_resident(plan)
        if len(self.devices) == 1:
            self.split = self.replicated = self.devices[0]
        else:
            self.split, self.replicated = shardings(self.devices)
        self.fixed = jax.device_put(fixed_inputs(plan), self.replicated)
        self.axes = None
        if self.resident:
            self.axes = jax.device_put(axis_feeds(plan, self.dtype), self.replicated)
        self.cell = cell_plan(plan)
        self.group = group_size(plan)
        self.per_call = self.group * len(self.devices)
        n = len(self.devices)
        self.lead = (n,) * (n > 1) + (self.group,) * (self.group > 1)  # a call's leading axes
        self.kept = split(plan)[0] if self.cell else ()
        self.cells = list(np.ndindex(*(plan.chunks[k] for k in self.kept))) if self.cell else [()]
        first = [(0,) * len(plan.dims)]
        accumulate = mode(plan) == "reduce-accumulate"
        feeds, fixed, where = self.inputs(first)
        example = (feeds, fixed, self._cell_wheres(where)[0] if self.cell else self._where(where))
        example += (self.fresh_state(),) if accumulate else ()
        kernel_plan = self.cell or plan
        if self.group > 1:
            self.kernel = build_group_kernel(plan, self.devices, example, resident=self.resident)
        elif len(self.devices) == 1:
            self.kernel = build_chunk_kernel(kernel_plan, example)
        else:
            self.kernel = build_sharded_kernel(
                kernel_plan, self.devices, example, resident=self.resident
            )

    def inputs(self, group) -> tuple:
        """``(feeds, fixed, where)`` for ``group``: the feeds and fixed inputs on the devices,
        ``where`` in host memory (:meth:`_where` puts it on the devices), shaped
        ``(devices, group, 4, dims)`` without the axes of length 1. The chunks are dealt to
        the devices in turn (chunk ``k`` to device ``k % devices``), so each device
        evaluates the chunks it would evaluate one call at a time, in the same order."""
        import jax

        plan = self.plan
        padded = list(group) + [group[-1]] * (self.per_call - len(group))
        where = chunk_wheres(plan, padded, len(group), resident=self.resident)
        feeds = self.axes
        if not self.resident:
            slices = [chunk_inputs(plan, index, self.dtype)[0] for index in padded]
            feeds = jax.tree.map(lambda *a: self._dealt(np.stack(a)), *slices)
            feeds = jax.device_put(feeds, self.split)
        return feeds, self.fixed, self._dealt(where)

    def _dealt(self, a: np.ndarray) -> np.ndarray:
        """``a``, one entry per chunk of a call along its first axis, with the call's leading
        axes instead (:meth:`stacked` undoes it)."""
        n = len(self.devices)
        a = a.reshape((self.group, n) + a.shape[1:]).swapaxes(0, 1)
        return a.reshape(self.lead + a.shape[2:])

    def _where(self, where: np.ndarray):
        """``where`` (of a chunk, or stacked for the devices) on the devices."""
        import jax

        return jax.device_put(where, self.split)

    def fresh_state(self):
        """An empty accumulation state on the devices (one per device)."""
        import jax
        import jax.numpy as jnp

        state = init_state(self.plan)
        n = len(self.devices)
        if n > 1:
            state = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,) + a.shape), state)
        return jax.device_put(state, self.split)

    def _cell_wheres(self, where: np.ndarray) -> list:
        """``where`` narrowed to each kept cell of the chunk (its offset and start moved to
        the cell, length 1 along the kept axes), all built in NumPy and put on the devices in
        one transfer."""
        import jax

        cells = np.asarray(self.cells, np.int32).reshape(len(self.cells), len(self.kept))
        out = np.repeat(where[None], len(self.cells), axis=0)
        for j, k in enumerate(self.kept):
            out[..., OFFSET, k] += cells[:, j].reshape((-1,) + (1,) * (where.ndim - 2))
            out[..., START, k] += cells[:, j].reshape((-1,) + (1,) * (where.ndim - 2))
            out[..., LENGTH, k] = 1
        return jax.device_put(list(out), self.split)

    def __call__(self, group, *state):
        feeds, fixed, where = self.inputs(group)
        if not self.cell:
            return self.kernel(feeds, fixed, self._where(where), *state)
        wheres = self._cell_wheres(where)
        if state:
            (state,) = state
            for w in wheres:
                state, token = self.kernel(feeds, fixed, w, state)
            return state, token
        return [self.kernel(feeds, fixed, w) for w in wheres]

    def stacked(self, host):
        """A call's host results (:meth:`to_host`) along one leading axis, one entry per
        chunk of the call (padding included: ``zip`` them with the group's chunks)."""
        import jax

        n, k = len(self.devices), len(self.lead)

        def undealt(a):
            a = a.reshape((n, self.group) + a.shape[k:]).swapaxes(0, 1)
            return a.reshape((self.per_call,) + a.shape[2:])

        return jax.tree.map(undealt, host)

    def to_host(self, result):
        """A call's results as NumPy arrays (per-cell results assembled per chunk)."""
        import jax

        host = jax.tree.map(np.asarray, result)
        if not self.cell:
            return host
        lead = int(len(self.devices) > 1)  # a leading device axis
        kept_shape = tuple(self.plan.chunks[k] for k in self.kept)
        n_kept = len(kept_shape)

        def assemble(*cells):  # each (devices?, 1, …, 1, stat…) → (devices?, kept…, stat…)
            flat = [c.reshape(c.shape[:lead] + c.shape[lead + n_kept :]) for c in cells]
            a = np.stack(flat, lead)
            return a.reshape(a.shape[:lead] + kept_shape + a.shape[lead + 1 :])

        return jax.tree.map(assemble, *host)


def chunk_wheres(plan: Plan, indices, active: int, *, resident: bool = True) -> np.ndarray:
    """``where`` of every chunk of ``indices`` at once, stacked ``(chunks, 4, dims)``
    (int32; :func:`~ionsweep.sweep._feeds.chunk_where`'s rows), the first ``active``
    real, the rest padding."""
    index = np.asarray(indices, np.int64).reshape(len(indices), len(plan.dims))
    chunks, shape = np.asarray(plan.chunks, np.int64), np.asarray(plan.shape, np.int64)
    starts = index * chunks
    lengths = np.minimum(starts + chunks, shape) - starts
    offsets = starts if resident else np.zeros_like(starts)
    flags = np.broadcast_to((np.arange(len(index)) < active)[:, None], starts.shape)
    where = np.stack([offsets, starts, lengths, flags.astype(np.int64)], axis=1)
    if where.size and where.max() > np.iinfo(np.int32).max:
        raise OverflowError(f"chunk start {int(where.max())} out of bounds for int32")
    return where.astype(np.int32)
