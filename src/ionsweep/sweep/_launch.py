"""Feeding the compiled chunk kernel: one call per group of chunks, one chunk per device
(or, where every kept cell's reduced block is a step by itself, one call per kept cell)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ionsweep.sweep._kernel import (
    LENGTH,
    OFFSET,
    START,
    axis_feeds,
    build_chunk_kernel,
    build_sharded_kernel,
    cells_per_step,
    chunk_inputs,
    chunk_where,
    feeds_resident,
    fixed_inputs,
    shardings,
)
from ionsweep.sweep._partials import init_state, split
from ionsweep.sweep._plan import Plan, mode

__all__ = ["Launcher", "cell_plan"]

#: At most this many calls of a one-cell kernel per run (kept cells per chunk × chunks).
CELL_CALLS_MAX = 512
#: ... and only for reduced blocks of fewer points than this.
CELL_BLOCK_MAX = 1 << 16


def cell_plan(plan: Plan) -> Plan | None:
    """The plan of one kept cell of a chunk, where the kernel is called once per cell
    (``None`` where it is called once per chunk).

    That is where a cell's reduced block is a whole step of the kernel
    (:func:`~ionsweep.sweep._kernel.cells_per_step` is 1) but under
    :data:`CELL_BLOCK_MAX` points, a chunk holds several cells, and the run makes at most
    :data:`CELL_CALLS_MAX` calls (a run that accumulates over chunks calls the kernel for
    every cell of every chunk). A loop over the cells inside the compiled program costs
    compile time (measured on CPU: Pitzer ΔE over 40,000-point blocks, 0.2–0.4 s more of
    about 2.5 s), and a call per cell costs the host about 0.2 ms, plus, for larger blocks,
    fresh temporary buffers on every call: 4-ion GHK over 2·10⁵-point blocks ran 0.3 s
    slower called per cell (200 calls) and 1.4 s slower (1,020 calls, accumulated), while
    over 4·10⁴-point blocks the two took the same time. So only a few hundred small blocks
    are called per cell.
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
    """``launch(group[, state])``: one call of the compiled kernel for a group of chunks, one
    per device, fed from the axis values kept on the devices (or, for feeds too large to
    keep, from each chunk's slices). Several devices run one program
    (``build_sharded_kernel``) compiled once for all of them; a short last group is padded
    by repeating its last chunk, marked inactive (its results are ignored, and it merges
    nothing into a state). In accumulate mode the call takes and returns the device state
    (``fresh_state()`` makes an empty one), with a token that is ready when the group is
    done. ``to_host(result)`` copies a call's results into NumPy arrays.

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
        self.kept = split(plan)[0] if self.cell else ()
        self.cells = list(np.ndindex(*(plan.chunks[k] for k in self.kept))) if self.cell else [()]
        first = [(0,) * len(plan.dims)]
        accumulate = mode(plan) == "reduce-accumulate"
        feeds, fixed, where = self.inputs(first)
        example = (feeds, fixed, self._where(where, self.cells[0]))
        example += (self.fresh_state(),) if accumulate else ()
        kernel_plan = self.cell or plan
        if len(self.devices) == 1:
            self.kernel = build_chunk_kernel(kernel_plan, example)
        else:
            self.kernel = build_sharded_kernel(
                kernel_plan, self.devices, example, resident=self.resident
            )

    def inputs(self, group) -> tuple:
        """``(feeds, fixed, where)`` for ``group``: the feeds and fixed inputs on the devices,
        ``where`` in host memory (:meth:`_where` puts it on the devices)."""
        import jax

        plan, n = self.plan, len(self.devices)
        padded = list(group) + [group[-1]] * (n - len(group))
        wheres = [
            chunk_where(plan, index, resident=self.resident, active=j < len(group))
            for j, index in enumerate(padded)
        ]
        feeds = self.axes
        if not self.resident:
            slices = [chunk_inputs(plan, index, self.dtype)[0] for index in padded]
            feeds = slices[0] if n == 1 else jax.tree.map(lambda *a: np.stack(a), *slices)
            feeds = jax.device_put(feeds, self.split)
        return feeds, self.fixed, wheres[0] if n == 1 else np.stack(wheres)

    def _where(self, where: np.ndarray, cell: tuple[int, ...]):
        """``where`` (of a chunk, or stacked for the devices) on the devices, narrowed to the
        kept cell at ``cell`` of the chunk where the kernel runs per cell."""
        import jax

        if self.cell:
            where = where.copy()
            for k, i in zip(self.kept, cell, strict=True):
                where[..., OFFSET, k] += i
                where[..., START, k] += i
                where[..., LENGTH, k] = 1
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

    def __call__(self, group, *state):
        feeds, fixed, where = self.inputs(group)
        if not self.cell:
            return self.kernel(feeds, fixed, self._where(where, ()), *state)
        if state:
            (state,) = state
            for cell in self.cells:
                state, token = self.kernel(feeds, fixed, self._where(where, cell), state)
            return state, token
        return [self.kernel(feeds, fixed, self._where(where, cell)) for cell in self.cells]

    def to_host(self, result):
        """A call's results as NumPy arrays (per chunk; per-cell results assembled)."""
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
