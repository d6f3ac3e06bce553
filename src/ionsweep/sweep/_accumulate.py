"""Accumulated reductions: the reduced axes span several chunks, so every chunk's partial
reductions merge into a state kept on the device; the host reads it every few groups of
chunks, folds it into its float64 accumulator and saves it in the store as this process's
partial state (at most every ``_CHECKPOINT_S`` seconds, and at the end).
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np

from ionsweep import _stop
from ionsweep.store import _partials as zpartials
from ionsweep.sweep._host import chunk_groups, per_device, points_of
from ionsweep.sweep._partials import flush_every
from ionsweep.sweep._plan import Plan
from ionsweep.sweep._reduce import Accumulator

__all__ = ["accumulate_chunks", "chunk_numbers", "own_partial"]

#: Seconds between saves of the partial state (besides the one at the end).
_CHECKPOINT_S = 30.0
#: Accumulate mode: groups of chunks dispatched ahead of the one the host waits for (their
#: state is chained, so a deeper queue costs no memory); with one program per CPU device a
#: device that finishes first finds its next group already queued.
_QUEUED = 2


def chunk_numbers(plan: Plan, indices) -> np.ndarray:
    """Chunk indices → their numbers in C order over the chunk grid."""
    if not len(indices):
        return np.zeros(0, np.int64)
    return np.ravel_multi_index(np.asarray(indices).T, plan.chunk_grid)


def own_partial(plan: Plan, out: Path, owner: str) -> tuple[Accumulator, np.ndarray]:
    """``owner``'s saved partial state of ``out`` (empty if none) and the chunks it covers."""
    acc = Accumulator(plan)
    f = zpartials.partial_files(out).get(owner)
    if f is None:
        return acc, np.zeros(plan.n_chunks, bool)
    state, covered = zpartials.load_partial(f, plan.n_chunks)
    acc.merge_state(state)
    return acc, covered


def accumulate_chunks(plan, launch, todo, acc, covered, save, bar, n_devices, first=0) -> None:
    """Accumulate mode: chunks merge into the device state; the host reads it every
    ``flush_every(plan)`` groups, folds it into ``acc`` and marks the chunks ``covered``;
    at most every ``_CHECKPOINT_S`` and at the end it calls ``save(acc.state, covered)``
    (if given). Flushes are counted from ``first`` (the groups an earlier run of the same
    process merged), so a resumed run flushes where an uninterrupted one does and the two
    agree bit for bit."""
    import jax

    every = max(1, flush_every(plan) // launch.group)  # in groups of chunks
    state = launch.fresh_state()
    merged: list[tuple[int, ...]] = []
    in_flight: deque = deque()
    last_save = time.perf_counter()

    def flush(final):
        nonlocal state, last_save
        host = jax.device_get(state)
        for part in per_device(host, n_devices):
            acc.merge_state(part)
        covered[chunk_numbers(plan, merged)] = True
        merged.clear()
        if save is not None and (final or time.perf_counter() - last_save > _CHECKPOINT_S):
            save(acc.state, covered)
            last_save = time.perf_counter()
        if not final:
            state = launch.fresh_state()

    groups = chunk_groups(todo, launch.per_call)
    for g, indices in enumerate(groups):
        _stop.check()  # a signal stops the run here, between chunks
        state, token = launch(indices, state)  # asynchronous dispatch
        merged.extend(indices)
        in_flight.append((indices, token))
        if len(in_flight) > _QUEUED:  # the devices are busy: wait for an earlier group
            indices, token = in_flight.popleft()
            jax.block_until_ready(token)
            if bar is not None:
                bar.update(points_of(plan, indices))
        if (first + g + 1) % every == 0 and g + 1 < len(groups):
            flush(final=False)
    flush(final=True)
    if bar is not None:
        bar.update(sum(points_of(plan, indices) for indices, _ in in_flight))
