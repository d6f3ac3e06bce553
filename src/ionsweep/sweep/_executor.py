"""Run a plan into a store: chunks through the jitted kernel on every device, writes
overlapped with compute, resumable from the manifest, shardable across processes. Results on
the host are :mod:`._host`'s, accumulated reductions :mod:`._accumulate`'s; sweeps into
memory are :mod:`._in_memory`'s and the plan in numbers :mod:`._dry_run`'s.

Modes
-----
* store: every output at every grid point is written.
* reduce, direct: each chunk spans the reduced axes whole, so its partial reductions are
  final for its block of kept coordinates and are written like a store chunk. Resume,
  shards and Dask work exactly as in store mode.
* reduce, accumulate: the reduced axes are too long for one chunk; every chunk's partial
  reductions are merged into a state kept on the device (one per device), which the host
  reads every :func:`~ionsweep.sweep._partials.flush_every` groups of chunks, merges into its
  float64 accumulator and saves in the store as this process's partial state (at most every
  30 s, and at the end). Each shard, Dask task or single process saves its own; whichever
  finishes when together they cover every chunk merges them and writes the statistics.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ionsweep import _cpu, _stop
from ionsweep.models import model_failure
from ionsweep.store import _partials as zpartials, _zarr as zstore
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._accumulate import accumulate_chunks, chunk_numbers, own_partial
from ionsweep.sweep._host import (
    chunk_groups,
    chunk_points,
    host_group,
    pipelined,
    points_of,
)
from ionsweep.sweep._launch import Launcher
from ionsweep.sweep._per_device import PerDevice
from ionsweep.sweep._plan import MAX_CHUNKS, Plan, chunk_count_refusal, mode
from ionsweep.sweep._repair import repair_store
from ionsweep.sweep._store import finalize, finish_reduction, prepare_store, write_chunk
from ionsweep.sweep._store_check import StoreCheck, check_store

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    import jax


__all__ = ["RunResult", "StoreCheck", "check_store", "mode", "run"]


class RunResult(dict):
    """Summary of a run: points, chunks computed, wall time, points/s, store path."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 ≤ I < N ≤ :data:`MAX_SHARDS`."""
    m = re.fullmatch(r"\s*(\d{1,20})\s*/\s*(\d{1,20})\s*", str(text), re.ASCII)
    if not m:
        raise ValueError(f"`shard` takes I/N (e.g. 0/4), got {text!r}")
    i, n = int(m[1]), int(m[2])
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"`shard` I/N needs 0 <= I < N, got {text!r}")
    if n > MAX_SHARDS:
        raise ValueError(
            f"`shard` I/N splits the work into at most {MAX_SHARDS:,} shards (the most chunks "
            f"one run has), got N = {n:,}"
        )
    return i, n


#: Most shards a run is split into: no more than the chunks one run may have.
MAX_SHARDS = MAX_CHUNKS


def shard_chunks(plan: Plan, shard: tuple[int, int] | None) -> list[tuple[int, ...]]:
    """The chunk indices of ``shard`` (every N-th chunk from the I-th), in C order."""
    i, n = shard or (0, 1)
    return list(islice(np.ndindex(*plan.chunk_grid), i, None, n))


def devices_for(plan: Plan):
    """The JAX devices a run uses: all devices of the chosen platform (on a CPU, one per
    core unless ``IONSWEEP_CPU_DEVICES`` says otherwise: :mod:`ionsweep._cpu`)."""
    import jax

    _cpu.configure()
    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    if plan.device == "auto":
        return jax.devices()
    try:
        return jax.devices(plan.device)
    except RuntimeError as exc:  # the spec or the caller asked for a device not there
        raise ValueError(f"`device` {plan.device}: no such device available ({exc})") from exc


#: A CPU device added for a core takes on at least this many chunks of a plan. With fewer,
#: the devices' programs (one each, compiled on the same cores), the wait for the last one
#: and their contention for memory bandwidth cost more than the second core gains (the
#: driving-force sweep of ``benchmarks/bench_engine.py`` in two chunks ran slower on two
#: devices than on one: ``benchmarks/RESULTS.md``, design notes); a plan of one chunk had
#: the second device compute a padding copy of it.
CHUNKS_PER_CPU_DEVICE = 4


def launcher(plan: Plan, devices):
    """The launcher of a run on ``devices``: one program per device where they are the CPU
    devices :mod:`ionsweep._cpu` added for the cores of the CPU
    (:class:`~ionsweep.sweep._per_device.PerDevice`), else one program compiled once for all
    of them (:class:`~ionsweep.sweep._launch.Launcher`). Of the CPU devices added for the
    cores, a run uses one per :data:`CHUNKS_PER_CPU_DEVICE` chunks of its plan (at least
    one device)."""
    if len(devices) > 1 and _cpu.devices_added() and all(d.platform == "cpu" for d in devices):
        devices = devices[: max(1, plan.n_chunks // CHUNKS_PER_CPU_DEVICE)]
        if len(devices) > 1:
            return PerDevice(plan, devices)
    return Launcher(plan, devices)


def _progress(total, done, enabled):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=done,
        unit="pt",
        unit_scale=True,
        dynamic_ncols=True,
        desc="ionsweep",
        file=sys.stderr,
    )


def run(
    plan: Plan,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    shard: tuple[int, int] | None = None,
    devices: Sequence[jax.Device] | None = None,
    repair: bool = False,
    checked: StoreCheck | None = None,
) -> RunResult:
    """Evaluate ``plan`` into the zarr store ``out``.

    Parameters
    ----------
    plan : Plan
        From :func:`ionsweep.sweep.load_spec`.
    out : str or Path
        Store directory. Must not exist unless ``resume``, ``overwrite`` or ``shard``.
    resume : bool
        Finish an interrupted store written from the same spec (refused if the spec differs).
    overwrite : bool
        Replace an existing store.
    progress : bool or None
        Show a progress bar (points, points/s, ETA); ``None``: only on a terminal.
    shard : (int, int) or None
        ``(I, N)``: compute only every N-th chunk starting at the I-th, into a store shared
        with the other shards (created by whichever shard comes first).
    devices : list of jax.Device, optional
        Devices to feed chunks to, round-robin; default every device of the spec's platform.
    repair : bool
        With ``resume``: read every chunk of the store first and compute again exactly
        those that are missing or corrupt (``RunResult["repaired"]`` lists them).
    checked : StoreCheck, optional
        What :func:`check_store` returned for these arguments, when the caller checked
        the store first (to report on it before the run starts): it is not checked again.
    """
    refusal = chunk_count_refusal(plan.shape, plan.chunks)  # a plan made for a dry run
    if refusal:
        raise ValueError(f"plan: {refusal}")
    out = Path(out)
    devices = list(devices or devices_for(plan))
    checked = prepare_store(
        plan,
        out,
        devices,
        resume=resume,
        overwrite=overwrite,
        shard=shard,
        repair=repair,
        checked=checked,
    )
    if repair:
        checked = repair_store(checked, out)
    if checked.state == "complete":
        return already_complete(checked.plan, out, checked.notes, checked.repaired)
    with undo_on_failure(checked, out, shard):
        return _run_checked(checked, out, devices, progress, shard)


@contextlib.contextmanager
def undo_on_failure(checked, out: Path, shard=None):
    """Within: an exception leaves no broken store behind. A store this call created (not
    a shard's, which others may be writing) that holds no finished chunk yet is removed;
    one holding finished chunks stays, and ``resume=True`` completes it. A user model's
    failure is raised as :class:`~ionsweep.models.UserModelError` (its own exception's
    type and message), not as the XLA error that carried it."""
    try:
        yield
    except Exception as exc:
        if checked.state in ("new", "replace") and shard is None and _nothing_finished(out):
            with contextlib.suppress(StoreError, OSError):
                zstore.remove(out)
        failure = model_failure(checked.plan.model.name, exc)
        if failure is not None and failure is not exc:
            raise failure from exc
        raise


def _reports_model_errors(fn):
    """``fn(plan, ...)`` raising a user model's failure as
    :class:`~ionsweep.models.UserModelError` (as :func:`undo_on_failure` does for runs)."""

    @functools.wraps(fn)
    def wrapper(plan, *args, **kwargs):
        try:
            return fn(plan, *args, **kwargs)
        except Exception as exc:
            failure = model_failure(plan.model.name, exc)
            if failure is not None and failure is not exc:
                raise failure from exc
            raise

    return wrapper


def _nothing_finished(out: Path) -> bool:
    """Whether the store at ``out`` holds no finished chunk and no reduction state."""
    return not zstore.finished_chunks(out) and not zpartials.partial_files(out)


def _run_checked(checked, out: Path, devices, progress, shard) -> RunResult:
    """:func:`run` once its store is ready (``checked``: what :func:`prepare_store` found)."""
    plan = checked.plan
    if progress is None:
        progress = sys.stderr.isatty()
    mine = shard_chunks(plan, shard)
    accumulate = mode(plan) == "reduce-accumulate"
    if accumulate:
        owner = zpartials.owner_name(shard)
        acc, covered = own_partial(plan, out, owner)
        skip = covered | zpartials.covered_by_others(out, owner, plan.n_chunks)
        todo = [i for i, s in zip(mine, skip[chunk_numbers(plan, mine)], strict=True) if not s]
    else:
        done = zstore.finished_chunks(out)
        todo = [i for i in mine if zstore.chunk_key(i) not in done]
    total = points_of(plan, mine)
    bar = _progress(total, total - points_of(plan, todo), progress)

    store = zstore.open_group_rw(out)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    launch = launcher(plan, devices)
    complete = False
    with ThreadPoolExecutor(1) as writer, _stop.deferred():
        if not accumulate:
            _store_chunks(plan, out, store, writer, launch, todo, bar, len(launch.devices))
        else:

            def save(state, covered):
                zpartials.save_partial(out, owner, state, covered)

            first = (len(mine) - len(todo)) // launch.per_call
            n = len(launch.devices)
            accumulate_chunks(plan, launch, todo, acc, covered, save, bar, n, first)
    if accumulate:
        complete = finish_reduction(plan, out)
    if bar is not None:
        bar.close()
    result = finish_run(plan, out, todo, t0, started, shard=shard, complete=complete)
    result["notes"] = list(checked.notes)
    result["repaired"] = list(checked.repaired)
    return result


def _store_chunks(plan, out, store, writer, launch, todo, bar, n_devices) -> None:
    """Store and direct-reduce modes: every chunk's results to the host and into the store,
    one group of chunks computing while the previous one is written."""
    writes: deque = deque()
    arrays: dict = {}  # the store's arrays, opened once

    def finish(indices, result):
        for index, host in zip(indices, host_group(plan, indices, result), strict=True):
            if not arrays:
                arrays.update(zstore.writable_arrays(store, host))
            writes.append(writer.submit(write_chunk, arrays, plan, out, index, host))
            while len(writes) > n_devices:  # bounded: memory follows the budget
                writes.popleft().result()
            if bar is not None:
                bar.update(chunk_points(plan, index))

    pipelined(launch, chunk_groups(todo, launch.per_call), finish)
    while writes:
        writes.popleft().result()


def already_complete(plan: Plan, out, notes=(), repaired=()) -> RunResult:
    """The result of a run that found its store already complete (``repaired``: what a
    repair rewrote without computing chunks)."""
    return RunResult(
        store=str(out),
        points=plan.n_points,
        computed_chunks=0,
        wall_time_s=0.0,
        points_per_s=math.nan,
        already_complete=True,
        notes=list(notes),
        repaired=list(repaired),
    )


def finish_run(
    plan: Plan, out, todo, t0, started, *, shard=None, complete=False, extra=None
) -> RunResult:
    """Record timings (per shard, and in the attrs once every chunk is done); the result."""
    wall = time.perf_counter() - t0
    rate = sum(chunk_points(plan, i) for i in todo) / wall if wall > 0 else math.nan
    timing = {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),
        "points_per_s": float(f"{rate:.4g}"),
        **(extra or {}),
    }
    complete = finalize(out, plan, timing, shard=shard, complete=complete)
    return RunResult(
        store=str(out),
        points=plan.n_points,
        computed_chunks=len(todo),
        wall_time_s=wall,
        points_per_s=rate,
        already_complete=False,
        complete=complete,
    )
