"""Run a plan: chunks through the jitted kernel on every device, writes overlapped with
compute, resumable from the manifest, shardable across processes.

Modes
-----
* store: every output at every grid point is written.
* reduce, direct: each chunk spans the reduced axes whole, so its partial reductions are
  final for its block of kept coordinates and are written like a store chunk. Resume,
  shards and Dask work exactly as in store mode.
* reduce, accumulate: the reduced axes are too long for one chunk; partial reductions are
  merged on the host and written at the end (one process; state checkpointed for resume).
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import numpy as np

from ionsweep import _stop
from ionsweep._faults import checkpoint
from ionsweep.store import _zarr as zstore
from ionsweep.store._sweep import (
    StoreCheck,
    check_store,
    finalize,
    prepare_store,
    store_bytes,
    store_layout,
    write_chunk,
    write_reduced,
)
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._kernel import (
    build_chunk_kernel,
    build_sharded_kernel,
    chunk_inputs,
    fixed_inputs,
)
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._reduce import Accumulator

__all__ = ["RunResult", "StoreCheck", "check_store", "dry_run", "evaluate", "mode", "run"]

_CHECKPOINT_S = 30.0


class RunResult(dict):
    """Summary of a run: points, chunks computed, wall time, points/s, store path."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 ≤ I < N."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"`shard` takes I/N (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"`shard` I/N needs 0 <= I < N, got {text!r}")
    return i, n


def shard_chunks(plan: Plan, shard: tuple[int, int] | None) -> list[tuple[int, ...]]:
    """The chunk indices of ``shard`` (every N-th chunk from the I-th), in C order."""
    i, n = shard or (0, 1)
    return list(islice(np.ndindex(*plan.chunk_grid), i, None, n))


def devices_for(plan: Plan):
    """The JAX devices a run uses: all devices of the chosen platform."""
    import jax

    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    if plan.device == "auto":
        return jax.devices()
    try:
        return jax.devices(plan.device)
    except RuntimeError as exc:
        raise StoreError(f"`device` {plan.device}: no such device available ({exc})") from exc


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


def _points(plan, index) -> int:
    return math.prod(s.stop - s.start for s in plan.chunk_region(index))


def host_results(plan: Plan, index, result) -> dict:
    """Device results of one chunk → numpy arrays to write at the chunk's region."""
    region = plan.chunk_region(index)
    cut = tuple(slice(0, s.stop - s.start) for s in region)
    if plan.reduce is None:
        res, valid = result
        host = {k: np.asarray(v)[cut] for k, v in res.items()}
        host["valid"] = np.asarray(valid)[cut].astype(np.uint8)
        return host
    acc = Accumulator(plan, region)
    acc.merge(region, {k: np.asarray(v) for k, v in result.items()})
    return {
        name: np.asarray(vals).astype(plan.dtype)
        if np.asarray(vals).dtype.kind == "f"
        else np.asarray(vals)
        for name, (vals, *_) in acc.results().items()
    }


def run(
    plan: Plan, out, *, resume=False, overwrite=False, progress=None, shard=None, devices=None
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
    """
    out = Path(out)
    devices = list(devices or devices_for(plan))
    checked = prepare_store(plan, out, devices, resume=resume, overwrite=overwrite, shard=shard)
    plan = checked.plan
    if checked.state == "complete":
        return already_complete(plan, out, checked.notes)
    if progress is None:
        progress = sys.stderr.isatty()

    import jax

    m = mode(plan)
    mine = shard_chunks(plan, shard)
    acc, state_file = None, out / zstore.MANIFEST_DIR / "reduce_state.npz"
    if m == "reduce-accumulate":
        acc = Accumulator(plan)
        done = acc.load(state_file) if state_file.exists() else set()
    else:
        done = zstore.finished_chunks(out)
    todo = [i for i in mine if zstore.chunk_key(i) not in done]
    total = sum(_points(plan, i) for i in mine)
    bar = _progress(total, total - sum(_points(plan, i) for i in todo), progress)

    store = zstore.open_group_rw(out)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    last_ckpt = time.perf_counter()
    launch = _launcher(plan, devices)
    in_flight: deque = deque()
    writes: deque = deque()

    def finish(index, result):
        nonlocal last_ckpt
        if acc is not None:
            acc.merge(plan.chunk_region(index), {k: np.asarray(v) for k, v in result.items()})
            done.add(zstore.chunk_key(index))
            if time.perf_counter() - last_ckpt > _CHECKPOINT_S:
                acc.save(state_file, done)
                checkpoint("reduce state saved")
                last_ckpt = time.perf_counter()
        else:
            host = host_results(plan, index, result)
            writes.append(writer.submit(write_chunk, store, plan, out, index, host))
            while len(writes) > len(devices):  # bounded: memory follows the budget
                writes.popleft().result()
        if bar is not None:
            bar.update(_points(plan, index))

    def finish_group(indices, result):
        if len(devices) > 1:  # one transfer per array, then the chunks' rows
            result = jax.tree.map(np.asarray, result)
            for j, index in enumerate(indices):
                finish(index, jax.tree.map(lambda a, j=j: a[j], result))
        else:
            finish(indices[0], result)

    with ThreadPoolExecutor(1) as writer, _stop.deferred():
        for indices in _groups(todo, len(devices)):
            _stop.check()  # a signal stops the run here, between chunks
            in_flight.append((indices, launch(indices)))  # asynchronous dispatch
            if len(in_flight) > 1:  # the devices are busy: collect the previous group
                finish_group(*in_flight.popleft())
        while in_flight:
            finish_group(*in_flight.popleft())
        while writes:
            writes.popleft().result()
    if acc is not None:
        acc.save(state_file, done)
        checkpoint("reduce state saved")
        write_reduced(out, plan, acc)
    if bar is not None:
        bar.close()
    result = finish_run(plan, out, todo, t0, started, shard=shard, complete=acc is not None)
    result["notes"] = list(checked.notes)
    return result


def evaluate(plan: Plan, devices=None) -> tuple[dict[str, np.ndarray], float]:
    """Evaluate a store-mode ``plan`` into memory instead of a store: the same chunks,
    compiled kernel and devices as :func:`run`, results copied into NumPy arrays.

    Sensitivity analyses evaluate their samples this way (a plan with one ``sample`` axis
    along which every random input varies). Returns ``({variable: array of plan.shape},
    seconds to the first chunk's result)``; the second figure includes compiling the
    kernel unless a run of the same plan compiled it already.
    """
    import jax

    if plan.reduce is not None:
        raise ValueError("evaluate() keeps every point; a plan with [reduce] runs with run()")
    devices = list(devices or devices_for(plan))
    launch = _launcher(plan, devices)
    names = [name for name, _, _ in plan.variables()]
    out = {name: np.empty(plan.shape, plan.dtype) for name in names}
    out["valid"] = np.empty(plan.shape, np.uint8)
    t0, first = time.perf_counter(), None
    in_flight: deque = deque()

    def collect(indices, result):
        nonlocal first
        if len(devices) > 1:
            result = jax.tree.map(np.asarray, result)
        for j, index in enumerate(indices):
            part = jax.tree.map(lambda a, j=j: a[j], result) if len(devices) > 1 else result
            region = plan.chunk_region(index)
            for name, values in host_results(plan, index, part).items():
                out[name][region] = values
        if first is None:
            first = time.perf_counter() - t0

    for indices in _groups(list(np.ndindex(*plan.chunk_grid)), len(devices)):
        in_flight.append((indices, launch(indices)))
        if len(in_flight) > 1:
            collect(*in_flight.popleft())
    while in_flight:
        collect(*in_flight.popleft())
    return out, first or 0.0


def _groups(todo, size):
    """``todo`` in consecutive groups of ``size`` chunks (the last may be shorter)."""
    return [todo[i : i + size] for i in range(0, len(todo), size)]


def _launcher(plan: Plan, devices):
    """``launch(group) -> device results``: one call of the compiled kernel for a group of
    chunks, one per device. Several devices run one program (``build_sharded_kernel``)
    compiled once for all of them; a short last group is padded by repeating its last
    chunk, whose extra results are ignored."""
    import jax

    dtype = np.dtype(plan.dtype)
    fixed = fixed_inputs(plan)
    if len(devices) == 1:
        kernel = build_chunk_kernel(plan)
        fixed = jax.device_put(fixed, devices[0])

        def launch(group):
            feeds, lengths = jax.device_put(chunk_inputs(plan, group[0], dtype), devices[0])
            return kernel(feeds, fixed, lengths)

        return launch
    kernel, split, replicated = build_sharded_kernel(plan, devices)
    fixed = jax.device_put(fixed, replicated)

    def launch(group):
        padded = list(group) + [group[-1]] * (len(devices) - len(group))
        inputs = [chunk_inputs(plan, index, dtype) for index in padded]
        feeds = jax.tree.map(lambda *a: np.stack(a), *[f for f, _ in inputs])
        lengths = np.stack([n for _, n in inputs])
        feeds, lengths = jax.device_put((feeds, lengths), split)
        return kernel(feeds, fixed, lengths)

    return launch


def already_complete(plan: Plan, out, notes=()) -> RunResult:
    """The result of a run that found its store already complete."""
    return RunResult(
        store=str(out),
        points=plan.n_points,
        computed_chunks=0,
        wall_time_s=0.0,
        points_per_s=math.nan,
        already_complete=True,
        notes=list(notes),
    )


def finish_run(
    plan: Plan, out, todo, t0, started, *, shard=None, complete=False, extra=None
) -> RunResult:
    """Record timings (per shard, and in the attrs once every chunk is done); the result."""
    wall = time.perf_counter() - t0
    rate = sum(_points(plan, i) for i in todo) / wall if wall > 0 else math.nan
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
        with jax.default_device(devices[0]):
            kernel = build_chunk_kernel(plan)
            dtype = np.dtype(plan.dtype)
            feeds, lengths = chunk_inputs(plan, (0,) * len(plan.dims), dtype)
            fixed = fixed_inputs(plan)
            t = time.perf_counter()
            jax.block_until_ready(kernel(feeds, fixed, lengths))
            info["compile_s"] = time.perf_counter() - t
            t = time.perf_counter()
            jax.block_until_ready(kernel(feeds, fixed, lengths))
            per_chunk = time.perf_counter() - t
        per_point = per_chunk / math.prod(plan.chunks)
        info["device"] = f"{len(devices)} × {devices[0].device_kind}"
        info["estimated_s"] = per_point * plan.n_points / len(devices)
    return info
