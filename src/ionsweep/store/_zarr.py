"""The zarr (v3) layout of a sweep result, its manifest of finished chunks and provenance.

Layout of a store directory::

    STORE/zarr.json, STORE/<variable>/...   one xarray Dataset (dims named after the axes)
    STORE/.ionsweep/done/<i>_<j>_...        one empty file per finished chunk (the manifest)

A chunk is marked done only after all of its variables are written, so a run killed at any
moment leaves a store whose manifest lists only complete chunks; ``--resume`` recomputes the
rest. Chunk writes are idempotent, so a chunk written but not yet marked is simply redone.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

__all__ = ["StoreError", "open_results"]

MANIFEST_DIR = ".ionsweep"
_FORMAT = "ionsweep-store/1"


class StoreError(RuntimeError):
    """A store cannot be created, resumed or read as asked."""


def _done_dir(path: Path) -> Path:
    return Path(path) / MANIFEST_DIR / "done"


def chunk_key(index) -> str:
    return "_".join(str(int(i)) for i in index)


def is_store(path) -> bool:
    return (Path(path) / "zarr.json").exists()


def read_attrs(path) -> dict:
    return dict(zarr.open_group(str(path), mode="r").attrs)


def finished_chunks(path) -> set[str]:
    d = _done_dir(path)
    return {p.name for p in d.iterdir()} if d.exists() else set()


def mark_done(path, index) -> None:
    """Record chunk ``index`` as finished (after its data is written)."""
    f = _done_dir(path) / chunk_key(index)
    with open(f, "wb") as fh:
        fh.flush()
        os.fsync(fh.fileno())


def create(path, variables, coords, attrs) -> None:
    """Write an empty store at ``path`` (which must not exist).

    Parameters
    ----------
    variables : list of (name, dims, shape, chunks, dtype, attrs)
    coords : list of (name, dims, values, attrs)
    attrs : dict of root attributes (JSON-serializable)
    """
    path = Path(path)
    group = zarr.open_group(str(path), mode="w-")
    for name, dims, values, a in coords:
        values = np.asarray(values)
        dtype = str if values.dtype.kind == "U" else values.dtype
        arr = group.create_array(
            name, shape=values.shape, dtype=dtype, dimension_names=dims, chunks=values.shape or None
        )
        arr[...] = values
        arr.attrs.update(a)
    for name, dims, shape, chunks, dtype, a in variables:
        kind = "U" if dtype is str else np.dtype(dtype).kind
        fill = {"f": np.nan, "U": ""}.get(kind, 0)
        arr = group.create_array(
            name, shape=shape, chunks=chunks, dtype=dtype, dimension_names=dims, fill_value=fill
        )
        arr.attrs.update(a)
    group.attrs.update({"ionsweep_format": _FORMAT, **attrs})
    # The manifest lives in an (array-less) zarr subgroup, so zarr and xarray skip it cleanly.
    group.create_group(MANIFEST_DIR)
    (path / MANIFEST_DIR / "done").mkdir()
    (path / MANIFEST_DIR / "shards").mkdir()


def remove(path) -> None:
    """Delete a store (refusing anything that is not one)."""
    path = Path(path)
    if not is_store(path):
        raise StoreError(f"{path} is not an ionsweep store; refusing to delete it")
    shutil.rmtree(path)


def write_shard_log(path, shard, info) -> None:
    """Record one shard's timing in the manifest (one file per shard, no shared writes)."""
    i, n = shard
    f = Path(path) / MANIFEST_DIR / "shards" / f"{i}-of-{n}.json"
    f.write_text(json.dumps(info))


def update_attrs(path, attrs) -> None:
    zarr.open_group(str(path), mode="r+").attrs.update(attrs)


def open_results(path) -> xr.Dataset:
    """Open a sweep result as a lazy (dask-backed) :class:`xarray.Dataset`.

    Parameters
    ----------
    path : str or Path
        The store directory written by ``ionsweep run``.

    Returns
    -------
    xarray.Dataset
        Variables carry ``units`` and ``long_name`` attributes; the root attributes carry the
        spec, versions, backend, dtype and timings. ``attrs["ionsweep_complete"]`` tells
        whether every chunk has been written (unwritten points read as NaN).
    """
    if not is_store(path):
        raise StoreError(f"{path} is not an ionsweep store (no zarr.json)")
    return xr.open_zarr(str(path), consolidated=False)


def summary(path) -> str:
    """Human-readable summary of a store: dims, variables with units, provenance, completeness."""
    ds = open_results(path)
    a = ds.attrs
    done = len(finished_chunks(path))
    total = int(a.get("ionsweep_n_chunks", 0))
    lines = [f"store: {path}"]
    if a.get("title"):
        lines.append(f"title: {a['title']}")
    lines.append(f"model: {a.get('ionsweep_model', '?')}   mode: {a.get('ionsweep_mode', '?')}")
    lines.append("dims: " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items()))
    lines.append("coordinates:")
    for name, c in ds.coords.items():
        vals = c.values
        if vals.dtype.kind in "UOT":
            shown = ", ".join(str(v) for v in vals[:8]) + (", …" if vals.size > 8 else "")
            rng = f"[{shown}]"
        else:
            rng = f"{vals.min():.6g} … {vals.max():.6g}" if c.size > 1 else f"{vals.min():.6g}"
        lines.append(
            f"  {name:<18} [{c.attrs.get('units', '')}] {rng}  {c.attrs.get('long_name', '')}"
        )
    lines.append("variables:")
    for name, v in ds.data_vars.items():
        lines.append(
            f"  {name:<18} [{v.attrs.get('units', '')}] {v.dtype} "
            f"{tuple(v.dims)}  {v.attrs.get('long_name', '')}"
        )
    pct = 100.0 * done / total if total else 0.0
    state = "complete" if a.get("ionsweep_complete") else "INCOMPLETE"
    lines.append(f"chunks: {done}/{total} finished ({pct:.1f} %), {state}")
    for key in (
        "ionsweep_version",
        "jax_version",
        "backend",
        "device",
        "dtype",
        "started",
        "finished",
        "wall_time_s",
        "points_per_s",
    ):
        if key in a:
            lines.append(f"{key}: {a[key]}")
    return "\n".join(lines)


def to_json_attr(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def open_group_rw(path) -> zarr.Group:
    return zarr.open_group(str(path), mode="r+")
