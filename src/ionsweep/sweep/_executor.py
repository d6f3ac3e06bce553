"""Run a plan: chunks through the jitted kernel on every device, writes overlapped with
compute, resumable from the manifest, shardable across processes.

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

import numpy as np

from ionsweep import _cpu, _stop
from ionsweep._stats import as_state, empty_state, finals, merge
from ionsweep.models import model_failure
from ionsweep.store import _partials as zpartials
from ionsweep.store import _zarr as zstore
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._launch import Launcher
from ionsweep.sweep._partials import flush_every, split, state_shape
from ionsweep.sweep._per_device import PerDevice
from ionsweep.sweep._plan import MAX_CHUNKS, Plan, chunk_count_refusal, mode
from ionsweep.sweep._reduce import Accumulator
from ionsweep.sweep._repair import repair_store
from ionsweep.sweep._store import (
    StoreCheck,
    check_store,
    finalize,
    finish_reduction,
    prepare_store,
    reduced_layout,
    store_bytes,
    store_layout,
    write_chunk,
)

__all__ = ["RunResult", "StoreCheck", "check_store", "dry_run", "evaluate", "mode", "run"]

_CHECKPOINT_S = 30.0
#: Accumulate mode: groups of chunks dispatched ahead of the one the host waits for (their
#: state is chained, so a deeper queue costs no memory); with one program per CPU device a
#: device that finishes first finds its next group already queued.
_QUEUED = 2


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
#: and their contention for memory bandwidth cost more than the second core gains: the
#: driving-force sweep of ``benchmarks/bench_engine.py``, two chunks of 5·10⁷ points, ran in
#: 35 ms on one device and 60 ms on two; a plan of one chunk had the second device compute a
#: padding copy of it.
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


def chunk_points(plan, index) -> int:
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
        for name, (vals, *_) in _direct_finals(plan, stacked).items()
    }
    out = []
    for j, region in enumerate(regions):
        cut = tuple(slice(0, region[k].stop - region[k].start) for k in kept)
        out.append({name: vals[j][cut] for name, vals in values.items()})
    return out


def _group_state(plan: Plan, stacked) -> dict:
    """Partial reductions of a group of chunks that span their reduced axes whole (direct
    mode), stacked along a leading axis, as a host state (float64, int64): what
    :meth:`Accumulator.merge` folds in for each chunk."""
    over = tuple(plan.chunks[plan.dims.index(d)] for d in plan.reduce.over)
    part = as_state(np, plan, dict(stacked), (0,) * len(over), over)
    return {
        k: np.asarray(a).astype(np.float64 if a.dtype.kind == "f" else np.int64, copy=False)
        for k, a in part.items()
    }


def _direct_finals(plan: Plan, stacked) -> dict:
    """The statistics of each chunk of a group (direct mode), stacked along a leading axis:
    its partials merged into an empty state (as an :class:`Accumulator` of the chunk's
    region does), then made final."""
    theirs = _group_state(plan, stacked)
    n = len(next(iter(theirs.values())))
    kept, _ = split(plan)
    shape = (n,) + tuple(plan.chunks[k] for k in kept)
    mine = empty_state(np, plan, shape, np.float64, np.int64)
    state = merge(np, plan, mine, {k: theirs[k] for k in mine})
    return finals(plan, state, ("chunk",) + tuple(plan.dims[k] for k in kept))


def run(
    plan: Plan,
    out,
    *,
    resume=False,
    overwrite=False,
    progress=None,
    shard=None,
    devices=None,
    repair=False,
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

    _pipelined(launch, _groups(todo, launch.per_call), finish)
    while writes:
        writes.popleft().result()


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

    groups = _groups(todo, launch.per_call)
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

    _pipelined(launch, _groups(list(np.ndindex(*plan.chunk_grid)), launch.per_call), collect)
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
            _place(plan, grid, indices, _group_state(plan, result))
            if bar is not None:
                bar.update(points_of(plan, indices))

        _pipelined(launch, _groups(todo, launch.per_call), collect)
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


def _pipelined(launch, groups, collect) -> None:
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


def _groups(todo, size):
    """``todo`` in consecutive groups of ``size`` chunks (the last may be shorter)."""
    return [todo[i : i + size] for i in range(0, len(todo), size)]


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


def dry_run(plan: Plan, *, calibrate: bool = True) -> dict:
    """The plan in numbers, plus an estimated run time from timing one chunk."""
    variables, _ = store_layout(plan)
    if mode(plan) == "reduce-accumulate":  # the statistics, written once at the end
        variables, _ = reduced_layout(plan)
    nbytes = store_bytes(plan)
    info = {
        "model": plan.model_name,
        "dims": dict(zip(plan.dims, plan.shape, strict=True)),
        "points": plan.n_points,
        "chunk_shape": dict(zip(plan.dims, plan.chunks, strict=True)),
        "chunks": plan.n_chunks,
        "mode": mode(plan),
        "variables": [v[0] for v in variables],
        "bytes_written": nbytes,
        "dtype": plan.dtype,
        "memory_budget": plan.memory_bytes,
        "warnings": list(plan.warnings),
    }
    if calibrate:
        import jax

        devices = devices_for(plan)
        first = [(0,) * len(plan.dims)]
        t = time.perf_counter()
        launch = Launcher(plan, devices[:1])
        accumulate = mode(plan) == "reduce-accumulate"

        def call():
            return launch(first, *([launch.fresh_state()] if accumulate else []))

        jax.block_until_ready(call())
        info["compile_s"] = time.perf_counter() - t
        t = time.perf_counter()
        jax.block_until_ready(call())
        per_chunk = (time.perf_counter() - t) / launch.group  # a call: a group of chunks
        per_point = per_chunk / math.prod(plan.chunks)
        info["device"] = f"{len(devices)} × {devices[0].device_kind}"
        if devices[0].platform == "cpu":  # how many, and why (IONSWEEP_CPU_DEVICES)
            info["cpu_devices"] = _cpu.describe()
        info["estimated_s"] = per_point * plan.n_points / len(devices)
    return info
