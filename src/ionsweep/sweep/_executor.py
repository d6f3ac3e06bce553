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
import os
import platform
import shutil
import sys
import time
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ionsweep import _stop
from ionsweep._faults import checkpoint
from ionsweep.store import _zarr as zstore
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._chunks import format_bytes
from ionsweep.sweep._kernel import (
    build_chunk_kernel,
    build_sharded_kernel,
    chunk_inputs,
    fixed_inputs,
)
from ionsweep.sweep._plan import Plan, PlanWarning
from ionsweep.sweep._reduce import Accumulator

__all__ = ["RunResult", "StoreCheck", "check_store", "dry_run", "run"]

_CHECKPOINT_S = 30.0


class RunResult(dict):
    """Summary of a run: points, chunks computed, wall time, points/s, store path."""


def mode(plan: Plan) -> str:
    """``"store"``, ``"reduce-direct"`` or ``"reduce-accumulate"`` (see module docstring)."""
    if plan.reduce is None:
        return "store"
    whole = all(
        plan.chunks[plan.dims.index(d)] == plan.shape[plan.dims.index(d)] for d in plan.reduce.over
    )
    return "reduce-direct" if whole else "reduce-accumulate"


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 ≤ I < N."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard takes I/N (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard I/N needs 0 <= I < N, got {text!r}")
    return i, n


def shard_chunks(plan: Plan, shard: tuple[int, int] | None) -> list[tuple[int, ...]]:
    """The chunk indices of ``shard`` (every N-th chunk from the I-th), in C order."""
    i, n = shard or (0, 1)
    return list(islice(np.ndindex(*plan.chunk_grid), i, None, n))


def _versions() -> dict:
    out = {"python_version": platform.python_version()}
    for pkg in ("ionsweep", "jax", "jaxlib", "numpy", "xarray", "zarr"):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[f"{pkg}_version"] = "unknown"
    return out


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
        raise StoreError(f"--device {plan.device}: no such device available ({exc})") from exc


def _fixed_coords(plan: Plan) -> list:
    """The fixed inputs (given in ``[fixed]`` or defaulted) as scalar coordinates."""
    taken = set(plan.dims) | {k for a in plan.axes for k in a.extra_coords}
    taken |= {name for name, _, _ in plan.variables()} | {"valid"}
    coords = []
    for name, value in plan.fixed.items():
        inp = plan.model.input(name)
        if name in taken:
            continue
        long_name = f"{inp.long_name} (fixed)"
        coords.append(
            (
                name,
                [],
                np.asarray(value, np.float64),
                {"units": inp.units or "1", "long_name": long_name},
            )
        )
    return coords


def _coordinates_attr(plan: Plan, dims) -> dict:
    """CF ``coordinates`` attribute: the zip-axis members along ``dims`` and the fixed
    inputs (scalar coordinates)."""
    names = [k for a in plan.axes if a.name in dims for k in a.extra_coords]
    names += [c[0] for c in _fixed_coords(plan)]
    return {"coordinates": " ".join(names)} if names else {}


def _reduced_layout(plan: Plan):
    """Reduced variables (name, dims, dtype, attrs) and histogram bin coordinates."""
    probe = Accumulator(plan, tuple(slice(0, 1) for _ in plan.dims))
    variables, coords = [], []
    for name, (values, dims, units, long_name) in probe.results().items():
        v = np.asarray(values)
        dtype = str if v.dtype.kind == "U" else (plan.dtype if v.dtype.kind == "f" else v.dtype)
        variables.append(
            (
                name,
                list(dims),
                dtype,
                {"units": units, "long_name": long_name, **_coordinates_attr(plan, dims)},
            )
        )
    for var, bins, lo, hi in plan.reduce.histograms:
        edges = np.linspace(lo, hi, bins + 1)
        coords.append(
            (
                f"{var}_bin",
                [f"{var}_bin"],
                0.5 * (edges[:-1] + edges[1:]),
                {"units": plan.model.output(var).units, "long_name": f"{var} bin centre"},
            )
        )
    return variables, coords


def _layout(plan: Plan):
    """(variables, coords) for the store: variables as (name, dims, shape, chunks, dtype,
    attrs), coords as (name, dims, values, attrs)."""
    coords, variables = [], []
    m = mode(plan)
    kept = plan.dims if m == "store" else [d for d in plan.dims if d not in plan.reduce.over]
    for axis in plan.axes:
        if axis.name not in kept:
            continue
        coords.append(
            (
                axis.name,
                [axis.name],
                axis.coord,
                {"units": axis.units or "1", "long_name": axis.long_name},
            )
        )
        for key, (vals, units, long_name) in axis.extra_coords.items():
            coords.append((key, [axis.name], vals, {"units": units, "long_name": long_name}))
    coords += _fixed_coords(plan)
    if m == "store":
        extra = _coordinates_attr(plan, plan.dims)
        for name, units, long_name in plan.variables():
            variables.append(
                (
                    name,
                    list(plan.dims),
                    plan.shape,
                    plan.chunks,
                    plan.dtype,
                    {"units": units, "long_name": long_name, **extra},
                )
            )
        variables.append(
            (
                "valid",
                list(plan.dims),
                plan.shape,
                plan.chunks,
                "uint8",
                {
                    "units": "1",
                    "long_name": "1 where every output is a number, 0 "
                    "where the model is undefined (outputs NaN)",
                    "flag_values": [0, 1],
                    "flag_meanings": "undefined valid",
                    **extra,
                },
            )
        )
    elif m == "reduce-direct":
        size = dict(zip(plan.dims, plan.shape, strict=True))
        chunk = dict(zip(plan.dims, plan.chunks, strict=True))
        rvars, rcoords = _reduced_layout(plan)
        coords += rcoords
        for name, dims, dtype, attrs in rvars:
            shape = tuple(
                size.get(d) or len(rcoords[[c[0] for c in rcoords].index(d)][2]) for d in dims
            )
            chunks = tuple(chunk.get(d, n) for d, n in zip(dims, shape, strict=True))
            variables.append((name, dims, shape, chunks, dtype, attrs))
    return variables, coords


def _attrs(plan: Plan, devices) -> dict:
    return {
        "title": plan.title,
        "Conventions": "CF-1.10",
        "ionsweep_spec": plan.spec_text,
        "ionsweep_spec_source": os.path.basename(plan.source),
        "ionsweep_spec_sha256": plan.spec_hash,
        "ionsweep_model": plan.model_name,
        "ionsweep_mode": mode(plan),
        "ionsweep_n_chunks": plan.n_chunks,
        "ionsweep_n_points": plan.n_points,
        "ionsweep_complete": False,
        "ionsweep_warnings": list(plan.warnings),
        "dtype": plan.dtype,
        "backend": devices[0].platform,
        "device": str(devices[0].device_kind),
        "n_devices": len(devices),
        "host": platform.machine(),
        **_versions(),
    }


class StoreCheck(NamedTuple):
    """What a run will do with its store (see :func:`check_store`)."""

    #: ``"new"``, ``"replace"``, ``"resume"``, ``"join"`` or ``"complete"``.
    state: str
    #: The plan to run: the given one, with the store's chunk shape where they differ.
    plan: Plan
    #: What was adopted from the store or cleaned up, in sentences, for the user.
    notes: tuple[str, ...] = ()


def identity(plan: Plan) -> dict:
    """Everything that decides a store's layout and values (stored as an attribute)."""
    return {
        "spec_sha256": plan.spec_hash,
        "model": plan.model_name,
        "shape": list(plan.shape),
        "chunks": list(plan.chunks),
        "dtype": plan.dtype,
        "mode": mode(plan),
        "ionsweep_version": _versions()["ionsweep_version"],
    }


def _shape_text(shape) -> str:
    return " × ".join(str(int(n)) for n in shape)


def _adopt(plan: Plan, out: Path, attrs: dict) -> tuple[Plan, list[str]]:
    """``plan`` made to match the store it resumes or joins, or StoreError naming what
    differs. The chunk shape is adopted (it changes the layout, not the values); a
    different dtype or ionsweep version would change values and is refused."""
    ident = attrs.get("ionsweep_identity") or {}
    dtype = ident.get("dtype", attrs.get("dtype"))
    if dtype and dtype != plan.dtype:
        raise StoreError(
            f"{out} holds {dtype} values but this run computes {plan.dtype}; finishing it "
            f"would mix precisions: resume with dtype {dtype}, or start a new store"
        )
    mine = _versions()["ionsweep_version"]
    theirs = ident.get("ionsweep_version", attrs.get("ionsweep_version"))
    if theirs and theirs != mine:
        raise StoreError(
            f"{out} was written by ionsweep {theirs}, this is {mine}; values may differ: "
            "finish it with that version, or start a new store"
        )
    chunks = tuple(ident.get("chunks") or ())
    if not chunks and mode(plan) == "store" and zstore.looks_like_zarr(out / "valid"):
        chunks = tuple(zstore.open_group_rw(out)["valid"].chunks)
    notes = []
    if chunks and chunks != plan.chunks:
        if len(chunks) != len(plan.chunks) or any(c < 1 for c in chunks):
            raise StoreError(f"{out}: its chunk shape {chunks} does not fit this spec's grid")
        notes.append(
            f"using the store's chunk shape {_shape_text(chunks)} (this run's memory budget "
            f"and device alone would give {_shape_text(plan.chunks)})"
        )
        plan = replace(plan, chunks=chunks)
    return plan, notes


def store_bytes(plan: Plan) -> int:
    """Uncompressed bytes of the store's data variables."""
    variables, _ = _layout(plan)
    return sum(
        math.prod(v[2]) * (np.dtype(v[4]).itemsize if v[4] is not str else 16) for v in variables
    )


def _check_space(plan: Plan, out: Path) -> None:
    """Refuse a store-mode run that cannot fit on its disk, before anything is written."""
    if mode(plan) != "store":
        return
    need = store_bytes(plan)
    where = out.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if need > free:
        raise StoreError(
            f"this sweep stores up to {format_bytes(need)} (uncompressed, {plan.n_points:,} "
            f"points) but {where} has {format_bytes(free)} free; sweep fewer points, write "
            "elsewhere, or keep statistics only with a [reduce] table"
        )


def check_store(
    plan: Plan, out, *, resume: bool = False, overwrite: bool = False, shard=None
) -> StoreCheck:
    """What a run would do with ``out``, and the plan to run; touches nothing.

    Raises :class:`StoreError` naming the reason if the run must be refused: the store
    exists and no flag allows using it; it was written from another spec, dtype or ionsweep
    version; ``out`` is not a store ionsweep wrote (which ``overwrite`` never deletes, nor
    anything through a symbolic link); there is no store to resume; its metadata is corrupt;
    or the store would not fit on the disk. A shard joins a store of the same spec without
    a flag. Resuming or joining adopts the store's chunk shape (``StoreCheck.notes`` says so).
    """
    out = Path(out)
    if resume and overwrite:
        raise StoreError("choose --resume or --overwrite, not both")
    if shard is not None and overwrite:
        raise StoreError(
            "--overwrite with --shard would let one shard delete another's work; "
            "remove the store first"
        )
    _check_writable(out)
    kind = zstore.store_kind(out)
    if overwrite and kind not in ("missing", "empty-dir"):
        zstore.check_removable(out)
        _check_space(plan, out)
        return StoreCheck("replace", plan)
    if kind == "ionsweep":
        attrs = zstore.read_attrs(out)
        if attrs.get("ionsweep_spec_sha256") != plan.spec_hash:
            raise StoreError(
                f"{out} was written from a different spec; refusing to use it "
                "(use --overwrite to start again)"
            )
        if not resume and shard is None:
            raise StoreError(
                f"{out} already exists; use --resume to finish it or --overwrite to replace it"
            )
        plan, notes = _adopt(plan, out, attrs)
        _check_shard_mode(plan, shard)
        if attrs.get("ionsweep_complete"):
            return StoreCheck("complete", plan, tuple(notes))
        return StoreCheck("join" if shard is not None else "resume", plan, tuple(notes))
    if kind == "foreign-zarr":
        raise StoreError(f"{out} is a zarr store that ionsweep did not write; refusing to touch it")
    if kind == "other":
        raise StoreError(f"{out} exists and is not an ionsweep store; refusing to touch it")
    if resume:
        stale = list(out.parent.glob(f"{out.name}.init-*")) if out.parent.exists() else []
        hint = (
            f" ({len(stale)} unfinished creation(s) of it were found and will be cleaned)"
            if stale
            else ""
        )
        raise StoreError(f"{out}: no store to resume{hint}; run without --resume to start it")
    _check_shard_mode(plan, shard)
    _check_space(plan, out)
    return StoreCheck("new", plan)


def _check_writable(out: Path) -> None:
    """Refuse an output whose nearest existing ancestor is no writable directory."""
    where = out.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        raise StoreError(f"{out}: cannot create it: {where} is not a directory")
    if not os.access(where, os.W_OK | os.X_OK):
        raise StoreError(f"{out}: cannot create it: no permission to write in {where}")


def _check_shard_mode(plan: Plan, shard) -> None:
    if shard is not None and mode(plan) == "reduce-accumulate":
        raise StoreError(
            "this reduction spans more than one chunk along the reduced axes, "
            "which only one process can accumulate; raise --memory so a chunk "
            "holds the reduced axes whole, or run without --shard"
        )


def prepare_store(
    plan: Plan, out, devices, *, resume=False, overwrite=False, shard=None
) -> StoreCheck:
    """Create the store if needed (atomic, race-free between shards); the plan to run.

    Temporary directories left by killed creations of ``out`` are removed first.
    """
    out = Path(out)
    if out.parent.exists():
        zstore.clean_stale(out)
    checked = check_store(plan, out, resume=resume, overwrite=overwrite, shard=shard)
    for note in checked.plan.warnings:
        warnings.warn(PlanWarning(note), stacklevel=3)
    if checked.state not in ("new", "replace"):
        return checked
    plan = checked.plan
    variables, coords = _layout(plan)
    if checked.state == "replace":
        zstore.remove(out)
    attrs = {**_attrs(plan, devices), "ionsweep_identity": identity(plan)}
    if zstore.create_atomic(out, variables, coords, attrs):
        return checked
    # Another shard created the store first: join it.
    return check_store(plan, out, shard=shard or (0, 1))


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


def write_chunk(group, plan: Plan, out, index, host) -> None:
    """Write one chunk's arrays to its region, then mark it done in the manifest."""
    region = plan.chunk_region(index)
    kept = [k for k, d in enumerate(plan.dims) if plan.reduce is None or d not in plan.reduce.over]
    for name, values in host.items():
        arr = group[name]
        if plan.reduce is None:
            arr[region] = values
        else:
            sel = tuple(region[k] for k in kept) + (slice(None),) * (values.ndim - len(kept))
            arr[sel] = values
        checkpoint(f"chunk {zstore.chunk_key(index)} {name}")
    zstore.mark_done(out, index)


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
        _write_accumulated(out, plan, acc)
    if bar is not None:
        bar.close()
    result = finish_run(plan, out, todo, t0, started, shard=shard, complete=acc is not None)
    result["notes"] = list(checked.notes)
    return result


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
    if shard is not None:
        zstore.write_shard_log(out, shard, timing)
    complete = complete or len(zstore.finished_chunks(out)) == plan.n_chunks
    if complete:  # consolidated metadata first: a complete store always has it current
        zstore.consolidate(out)
        zstore.update_attrs(out, {"ionsweep_complete": True, **timing}, "complete")
    return RunResult(
        store=str(out),
        points=plan.n_points,
        computed_chunks=len(todo),
        wall_time_s=wall,
        points_per_s=rate,
        already_complete=False,
        complete=complete,
    )


def _write_accumulated(out: Path, plan: Plan, acc: Accumulator) -> None:
    """Write the reduced variables and their coordinates, every one of them afresh.

    Called once the reduction state covering every chunk is saved; a run killed anywhere in
    here is resumed by calling it again (nothing already present is trusted, since a kill
    can leave an array created but not yet filled or labelled).
    """
    group = zstore.open_group_rw(out)
    _, coords = _reduced_layout(plan)
    for name, dims, values, attrs in coords:
        c = group.create_array(
            name, shape=values.shape, dtype=values.dtype, dimension_names=dims, overwrite=True
        )
        checkpoint(f"final coord {name} created")
        c[...] = values
        c.attrs.update(attrs)
        checkpoint(f"final coord {name} written")
    for name, (values, dims, units, long_name) in acc.results().items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            values = values.astype(plan.dtype)
        dtype = str if values.dtype.kind == "U" else values.dtype
        arr = group.create_array(
            name,
            shape=values.shape,
            dtype=dtype,
            dimension_names=list(dims),
            chunks=values.shape or None,
            overwrite=True,
        )
        checkpoint(f"final variable {name} created")
        arr[...] = values
        arr.attrs.update({"units": units, "long_name": long_name, **_coordinates_attr(plan, dims)})
        checkpoint(f"final variable {name} written")


def dry_run(plan: Plan, *, calibrate: bool = True) -> dict:
    """The plan in numbers, plus an estimated run time from timing one chunk."""
    variables, _ = _layout(plan)
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
