"""Sweeps into memory instead of a store: the same chunks, compiled kernel and devices as a
run, every point's values copied into NumPy arrays (:func:`evaluate`, what sensitivity
analyses use) or every chunk's statistics merged into one accumulator over the grid
(:func:`reduce_in_memory`).
"""

from __future__ import annotations

import time

import numpy as np

from ionsweep._stats import empty_state
from ionsweep.sweep._accumulate import accumulate_chunks
from ionsweep.sweep._executor import _progress, _reports_model_errors, devices_for, launcher
from ionsweep.sweep._host import chunk_groups, group_state, host_group, pipelined, points_of
from ionsweep.sweep._partials import split, state_shape
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._reduce import Accumulator

__all__ = ["evaluate", "reduce_in_memory"]


@_reports_model_errors
def evaluate(plan: Plan, devices=None) -> tuple[dict[str, np.ndarray], float]:
    """Evaluate a store-mode ``plan`` into memory instead of a store: the same chunks,
    compiled kernel and devices as :func:`run`, results copied into NumPy arrays.

    Sensitivity analyses evaluate their samples this way (a plan with one ``sample`` axis
    along which every random input varies). Returns ``({variable: array of plan.shape},
    seconds to the first chunk's result)``; the second figure includes compiling the
    kernel unless a run of the same plan compiled it already.
    """
    if plan.reduce is not None:
        raise ValueError("evaluate() keeps every point; a plan with [reduce] runs with run()")
    devices = list(devices or devices_for(plan))
    launch = launcher(plan, devices)
    names = [name for name, _, _ in plan.variables()]
    out = {name: np.empty(plan.shape, plan.dtype) for name in names}
    out["valid"] = np.empty(plan.shape, np.uint8)
    t0, first = time.perf_counter(), None

    def collect(indices, result):
        nonlocal first
        for index, host in zip(indices, host_group(plan, indices, result), strict=True):
            region = plan.chunk_region(index)
            for name, values in host.items():
                out[name][region] = values
        if first is None:
            first = time.perf_counter() - t0

    pipelined(launch, chunk_groups(list(np.ndindex(*plan.chunk_grid)), launch.per_call), collect)
    return out, first or 0.0


@_reports_model_errors
def reduce_in_memory(plan: Plan, devices=None, progress: bool = False) -> Accumulator:
    """Evaluate a reduce-mode ``plan`` without a store: the same chunks, compiled kernel and
    devices as :func:`run`, every chunk's statistics merged into a float64
    :class:`~ionsweep.sweep._reduce.Accumulator` over the whole grid (whose ``results()``
    are the values :func:`run` writes, bit for bit). ``progress``: a progress bar."""
    if plan.reduce is None:
        raise ValueError("reduce_in_memory() needs a plan with [reduce]; see evaluate()")
    devices = list(devices or devices_for(plan))
    launch = launcher(plan, devices)
    acc = Accumulator(plan)
    todo = list(np.ndindex(*plan.chunk_grid))
    bar = _progress(plan.n_points, 0, progress)
    if mode(plan) == "reduce-accumulate":
        covered = np.zeros(plan.n_chunks, bool)
        accumulate_chunks(plan, launch, todo, acc, covered, None, bar, len(launch.devices))
    else:
        grid = empty_state(np, plan, state_shape(plan), np.float64, np.int64)

        def collect(indices, result):
            _place(plan, grid, indices, group_state(plan, result))
            if bar is not None:
                bar.update(points_of(plan, indices))

        pipelined(launch, chunk_groups(todo, launch.per_call), collect)
        acc.merge_state(grid)  # every cell once: as merging each chunk in turn
    if bar is not None:
        bar.close()
    return acc


def _place(plan: Plan, grid: dict, indices, part: dict) -> None:
    """Put the kept blocks ``part`` (stacked along a leading axis, one per chunk of
    ``indices``, padding after them) into ``grid``, a state over the kept dims padded to
    whole chunks (:func:`~ionsweep.sweep._partials.state_shape`)."""
    kept, _ = split(plan)
    at = np.asarray(indices, np.int64).reshape(len(indices), len(plan.dims))[:, kept]
    for key, a in grid.items():
        blocks = part[key][: len(indices)]
        if not kept:  # statistics over every axis: one chunk, one cell
            a[...] = blocks[0]
            continue
        # a viewed as (chunk index, position within the chunk) along each kept dim
        split_shape = [n for k in kept for n in (plan.chunk_grid[k], plan.chunks[k])]
        view = a.reshape(tuple(split_shape) + a.shape[len(kept) :])
        where = [x for j in range(len(kept)) for x in (at[:, j], slice(None))]
        view[tuple(where)] = blocks
