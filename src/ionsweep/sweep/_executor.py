"""Run a plan: chunks through the jitted kernel, writes overlapped with compute, resumable."""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ionsweep.store import _zarr as zstore
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._kernel import build_chunk_kernel, chunk_inputs
from ionsweep.sweep._plan import Plan
from ionsweep.sweep._reduce import Accumulator

__all__ = ["RunResult", "check_store", "dry_run", "run"]

_CHECKPOINT_S = 30.0


class RunResult(dict):
    """Summary of a run: points, chunks computed, wall time, points/s, store path."""


def _versions() -> dict:
    out = {"python_version": platform.python_version()}
    for pkg in ("ionsweep", "jax", "jaxlib", "numpy", "xarray", "zarr"):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[f"{pkg}_version"] = "unknown"
    return out


def _device(plan: Plan):
    import jax

    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    if plan.device == "auto":
        return jax.devices()[0]
    try:
        return jax.devices(plan.device)[0]
    except RuntimeError as exc:
        raise StoreError(f"--device {plan.device}: no such device available ({exc})") from exc


def _layout(plan: Plan):
    """(variables, coords) definitions for the store of ``plan``."""
    coords = []
    kept = plan.dims if plan.reduce is None else [d for d in plan.dims if d not in plan.reduce.over]
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
    variables = []
    if plan.reduce is None:
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
                    **extra,
                },
            )
        )
    return variables, coords


def _coordinates_attr(plan: Plan, dims) -> dict:
    """CF ``coordinates`` attribute naming the zip-axis members along ``dims``."""
    names = [k for a in plan.axes if a.name in dims for k in a.extra_coords]
    return {"coordinates": " ".join(names)} if names else {}


def _attrs(plan: Plan, device) -> dict:
    return {
        "title": plan.title,
        "ionsweep_spec": plan.spec_text,
        "ionsweep_spec_source": os.path.basename(plan.source),
        "ionsweep_spec_sha256": plan.spec_hash,
        "ionsweep_model": plan.model_name,
        "ionsweep_mode": "reduce" if plan.reduce else "store",
        "ionsweep_n_chunks": plan.n_chunks,
        "ionsweep_n_points": plan.n_points,
        "ionsweep_complete": False,
        "dtype": plan.dtype,
        "backend": device.platform,
        "device": str(device.device_kind),
        "host": platform.machine(),
        **_versions(),
    }


def check_store(plan: Plan, out, *, resume: bool = False, overwrite: bool = False) -> str:
    """What a run would do with ``out``: ``"new"``, ``"resume"`` or ``"complete"``.

    Raises :class:`StoreError` (touching nothing) if the run must be refused: the store
    exists and neither flag is given, it was written from another spec, or ``out`` is a
    directory that is not an ionsweep store.
    """
    out = Path(out)
    if resume and overwrite:
        raise StoreError("choose --resume or --overwrite, not both")
    if zstore.is_store(out) and not overwrite:
        if not resume:
            raise StoreError(
                f"{out} already exists; use --resume to finish it or --overwrite to replace it"
            )
        attrs = zstore.read_attrs(out)
        if attrs.get("ionsweep_spec_sha256") != plan.spec_hash:
            raise StoreError(
                f"{out} was written from a different spec; refusing to resume "
                "(use --overwrite to start again)"
            )
        return "complete" if attrs.get("ionsweep_complete") else "resume"
    if out.exists() and not zstore.is_store(out) and (not out.is_dir() or any(out.iterdir())):
        raise StoreError(f"{out} exists and is not an ionsweep store; refusing to touch it")
    return "new"


def _prepare_store(plan: Plan, out: Path, device, *, resume: bool, overwrite: bool):
    state = check_store(plan, out, resume=resume, overwrite=overwrite)
    if state != "new":
        return state
    variables, coords = _layout(plan)
    zstore.create(out, variables, coords, _attrs(plan, device), overwrite=out.exists())
    return "new"


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


def run(plan: Plan, out, *, resume=False, overwrite=False, progress=None) -> RunResult:
    """Evaluate ``plan`` into the zarr store ``out``.

    Parameters
    ----------
    plan : Plan
        From :func:`ionsweep.sweep.load_spec`.
    out : str or Path
        Store directory. Must not exist unless ``resume`` or ``overwrite``.
    resume : bool
        Finish an interrupted store written from the same spec (refused if the spec differs).
    overwrite : bool
        Replace an existing store.
    progress : bool or None
        Show a progress bar (points, points/s, ETA); ``None``: only on a terminal.
    """
    out = Path(out)
    device = _device(plan)
    state = _prepare_store(plan, out, device, resume=resume, overwrite=overwrite)
    if state == "complete":
        return RunResult(
            store=str(out),
            points=plan.n_points,
            computed_chunks=0,
            wall_time_s=0.0,
            points_per_s=math.nan,
            already_complete=True,
        )
    if progress is None:
        progress = sys.stderr.isatty()

    import jax

    done = zstore.finished_chunks(out)
    acc = Accumulator(plan) if plan.reduce else None
    state_file = out / zstore.MANIFEST_DIR / "reduce_state.npz"
    if acc is not None and state_file.exists():
        done = acc.load(state_file)
    elif acc is not None:
        done = set()
    todo = [i for i in np.ndindex(*plan.chunk_grid) if zstore.chunk_key(i) not in done]
    points_done = plan.n_points - sum(
        math.prod(s.stop - s.start for s in plan.chunk_region(i)) for i in todo
    )

    group = zstore.open_group_rw(out)
    dtype = np.dtype(plan.dtype)
    fixed = {k: np.asarray(v, dtype) for k, v in plan.fixed.items()}
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    bar = _progress(plan.n_points, points_done, progress)
    computed = 0
    last_ckpt = time.perf_counter()

    def write(index, region, host):
        for name, values in host.items():
            group[name][region] = values
        zstore.mark_done(out, index)

    with jax.default_device(device), ThreadPoolExecutor(1) as writer:
        kernel = build_chunk_kernel(plan)
        pending: deque = deque()
        for index in todo:
            region = plan.chunk_region(index)
            feeds, lengths = chunk_inputs(plan, index, dtype)
            result = kernel(feeds, fixed, lengths)  # dispatched asynchronously
            cut = tuple(slice(0, s.stop - s.start) for s in region)
            if acc is None:
                res, valid = result
                host = {k: np.asarray(v)[cut] for k, v in res.items()}
                host["valid"] = np.asarray(valid)[cut].astype(np.uint8)
                pending.append(writer.submit(write, index, region, host))
                while len(pending) > 1:  # chunk k is written while chunk k+1 computes
                    pending.popleft().result()
            else:
                acc.merge(region, {k: np.asarray(v) for k, v in result.items()})
                done.add(zstore.chunk_key(index))
                if time.perf_counter() - last_ckpt > _CHECKPOINT_S:
                    acc.save(state_file, done)
                    last_ckpt = time.perf_counter()
            computed += 1
            if bar is not None:
                bar.update(math.prod(s.stop - s.start for s in region))
        while pending:
            pending.popleft().result()
    if acc is not None:
        acc.save(state_file, done)
        _write_reduced(out, plan, acc)
    if bar is not None:
        bar.close()
    wall = time.perf_counter() - t0
    n_new = plan.n_points - points_done
    rate = n_new / wall if wall > 0 else math.nan
    zstore.update_attrs(
        out,
        {
            "ionsweep_complete": True,
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s": round(wall, 3),
            "points_per_s": float(f"{rate:.4g}"),
        },
    )
    return RunResult(
        store=str(out),
        points=plan.n_points,
        computed_chunks=computed,
        wall_time_s=wall,
        points_per_s=rate,
        already_complete=False,
    )


def _write_reduced(out: Path, plan: Plan, acc: Accumulator) -> None:
    group = zstore.open_group_rw(out)
    for name, (values, dims, units, long_name) in acc.results().items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            values = values.astype(plan.dtype)
        shape = values.shape
        if name.endswith("_hist"):
            var = name[: -len("_hist")]
            _, bins, lo, hi = next(h for h in plan.reduce.histograms if h[0] == var)
            bin_dim = f"{var}_bin"
            if bin_dim not in group:
                edges = np.linspace(lo, hi, bins + 1)
                c = group.create_array(
                    bin_dim, shape=(bins,), dtype="float64", dimension_names=[bin_dim]
                )
                c[...] = 0.5 * (edges[:-1] + edges[1:])
                c.attrs.update(
                    {"units": plan.model.output(var).units, "long_name": f"{var} bin centre"}
                )
        dtype = str if values.dtype.kind == "U" else values.dtype
        arr = group.create_array(
            name,
            shape=shape,
            dtype=dtype,
            dimension_names=list(dims),
            chunks=shape or None,
            overwrite=True,
        )
        arr[...] = values
        arr.attrs.update({"units": units, "long_name": long_name, **_coordinates_attr(plan, dims)})


def dry_run(plan: Plan, *, calibrate: bool = True) -> dict:
    """The plan in numbers, plus an estimated run time from timing one chunk."""
    variables, _ = _layout(plan)
    nbytes = sum(math.prod(v[2]) * np.dtype(v[4]).itemsize for v in variables)
    info = {
        "model": plan.model_name,
        "dims": dict(zip(plan.dims, plan.shape, strict=True)),
        "points": plan.n_points,
        "chunk_shape": dict(zip(plan.dims, plan.chunks, strict=True)),
        "chunks": plan.n_chunks,
        "variables": [v[0] for v in variables] if plan.reduce is None else "reduced",
        "bytes_written": nbytes,
        "dtype": plan.dtype,
        "memory_budget": plan.memory_bytes,
    }
    if calibrate:
        import jax

        device = _device(plan)
        with jax.default_device(device):
            kernel = build_chunk_kernel(plan)
            dtype = np.dtype(plan.dtype)
            fixed = {k: np.asarray(v, dtype) for k, v in plan.fixed.items()}
            feeds, lengths = chunk_inputs(plan, (0,) * len(plan.dims), dtype)
            t = time.perf_counter()
            jax.block_until_ready(kernel(feeds, fixed, lengths))
            info["compile_s"] = time.perf_counter() - t
            t = time.perf_counter()
            jax.block_until_ready(kernel(feeds, fixed, lengths))
            per_chunk = time.perf_counter() - t
        per_point = per_chunk / math.prod(plan.chunks)
        info["device"] = str(device.device_kind)
        info["estimated_s"] = per_point * plan.n_points
    return info
