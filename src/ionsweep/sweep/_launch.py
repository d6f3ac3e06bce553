"""Feeding the compiled chunk kernel: one call per group of chunks, one chunk per device."""

from __future__ import annotations

import numpy as np

from ionsweep.sweep._kernel import (
    axis_feeds,
    build_chunk_kernel,
    build_sharded_kernel,
    chunk_inputs,
    chunk_where,
    feeds_resident,
    fixed_inputs,
    shardings,
)
from ionsweep.sweep._partials import init_state
from ionsweep.sweep._plan import Plan, mode

__all__ = ["Launcher"]


class Launcher:
    """``launch(group[, state])``: one call of the compiled kernel for a group of chunks, one
    per device, fed from the axis values kept on the devices (or, for feeds too large to
    keep, from each chunk's slices). Several devices run one program
    (``build_sharded_kernel``) compiled once for all of them; a short last group is padded
    by repeating its last chunk, marked inactive (its results are ignored, and it merges
    nothing into a state). In accumulate mode the call takes and returns the device state
    (``fresh_state()`` makes an empty one), with a token that is ready when the group is
    done."""

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
        first = [(0,) * len(plan.dims)]
        accumulate = mode(plan) == "reduce-accumulate"
        example = self.inputs(first) + ((self.fresh_state(),) if accumulate else ())
        if len(self.devices) == 1:
            self.kernel = build_chunk_kernel(plan, example)
        else:
            self.kernel = build_sharded_kernel(plan, self.devices, example, resident=self.resident)

    def inputs(self, group) -> tuple:
        """``(feeds, fixed, where)`` for ``group`` on the devices."""
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
        where = jax.device_put(wheres[0] if n == 1 else np.stack(wheres), self.split)
        return feeds, self.fixed, where

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
        return self.kernel(*self.inputs(group), *state)
