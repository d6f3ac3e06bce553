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
import socket
import time
import uuid
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

from ionsweep._faults import checkpoint

__all__ = ["StoreError", "open_results"]

MANIFEST_DIR = ".ionsweep"
_FORMAT = "ionsweep-store/1"
#: A temporary directory of an unfinished store creation older than this is stale even if
#: its owner cannot be checked (another host of a cluster), s.
STALE_AFTER_S = 3600.0
#: Temporary directories this process is creating right now (never stale).
_CREATING: set[str] = set()


class StoreError(RuntimeError):
    """A store cannot be created, resumed or read as asked."""


def _done_dir(path: Path) -> Path:
    return Path(path) / MANIFEST_DIR / "done"


def chunk_key(index) -> str:
    return "_".join(str(int(i)) for i in index)


def looks_like_zarr(path) -> bool:
    """Whether ``path`` holds a zarr group or array (a ``zarr.json``), ionsweep's or not."""
    return (Path(path) / "zarr.json").exists()


def is_store(path) -> bool:
    """Whether ``path`` is a store that ionsweep wrote: its format marker and its manifest."""
    path = Path(path)
    if not (path / MANIFEST_DIR / "done").is_dir():
        return False
    try:
        return read_attrs(path).get("ionsweep_format") == _FORMAT
    except StoreError:
        return False


def read_attrs(path) -> dict:
    """The root attributes of the zarr group at ``path``.

    Raises
    ------
    StoreError
        No ``zarr.json``, or one that cannot be read or parsed (naming the file and why).
    """
    meta = Path(path) / "zarr.json"
    try:
        doc = json.loads(meta.read_text())
    except FileNotFoundError:
        raise StoreError(f"{path} is not an ionsweep store (no zarr.json)") from None
    except OSError as exc:
        raise StoreError(f"{meta}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreError(f"{meta}: corrupt metadata (not JSON: {exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("attributes", {}), dict):
        raise StoreError(f"{meta}: corrupt metadata (not a zarr v3 group document)")
    return dict(doc.get("attributes", {}))


def store_kind(path) -> str:
    """``"missing"``, ``"ionsweep"``, ``"foreign-zarr"``, ``"empty-dir"`` or ``"other"``.

    Raises :class:`StoreError` for a store whose metadata is corrupt.
    """
    path = Path(path)
    if path.is_symlink():
        return "other"
    if not path.exists():
        return "missing"
    if path.is_dir() and not any(path.iterdir()):
        return "empty-dir"
    if looks_like_zarr(path) and (path / MANIFEST_DIR).is_dir():
        attrs = read_attrs(path)  # corrupt metadata of our own store: say so
        if attrs.get("ionsweep_format") == _FORMAT and (path / MANIFEST_DIR / "done").is_dir():
            return "ionsweep"
    return "foreign-zarr" if looks_like_zarr(path) else "other"


def finished_chunks(path) -> set[str]:
    d = _done_dir(path)
    return {p.name for p in d.iterdir()} if d.exists() else set()


def mark_done(path, index) -> None:
    """Record chunk ``index`` as finished (after its data is written)."""
    f = _done_dir(path) / chunk_key(index)
    with open(f, "wb") as fh:
        fh.flush()
        os.fsync(fh.fileno())
    checkpoint(f"chunk-done {chunk_key(index)}")


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
    checkpoint("create group")
    for name, dims, values, a in coords:
        values = np.asarray(values)
        dtype = str if values.dtype.kind == "U" else values.dtype
        arr = group.create_array(
            name,
            shape=values.shape,
            dtype=dtype,
            dimension_names=dims,
            chunks=values.shape,
            attributes=a,  # with the array's metadata: one write, not one per attribute
        )
        arr[...] = values
        checkpoint(f"create coord {name}")
    for name, dims, shape, chunks, dtype, a in variables:
        kind = "U" if dtype is str else np.dtype(dtype).kind
        fill = {"f": np.nan, "U": ""}.get(kind, 0)
        group.create_array(
            name,
            shape=shape,
            chunks=chunks,
            dtype=dtype,
            dimension_names=dims,
            fill_value=fill,
            attributes=a,
        )
        checkpoint(f"create variable {name}")
    group.update_attributes({"ionsweep_format": _FORMAT, **attrs})
    # The manifest lives in an (array-less) zarr subgroup, so zarr and xarray skip it cleanly.
    group.create_group(MANIFEST_DIR)
    (path / MANIFEST_DIR / "done").mkdir()
    (path / MANIFEST_DIR / "shards").mkdir()
    consolidate(path, [c[0] for c in coords] + [v[0] for v in variables])
    checkpoint("create manifest")


def consolidate(path, created=()) -> None:
    """Write the root's consolidated metadata: every array's metadata inline in the root
    ``zarr.json`` (zarr-python's "inline" form, which plain ``xr.open_zarr`` reads first).

    The manifest group is left out of it, so readers of the consolidated metadata see only
    the dataset's variables and coordinates. Written to a temporary file and renamed into
    place: a reader never sees half a document.
    """
    path = Path(path)
    meta = path / "zarr.json"
    doc = json.loads(meta.read_text())
    # Members in the order they were created (coordinates, then variables as the spec lists
    # them), which is the order readers list them in; arrays added later go last.
    known = list((doc.get("consolidated_metadata") or {}).get("metadata", {}))
    order = {name: k for k, name in enumerate(known or created)}
    children = sorted(path.iterdir(), key=lambda p: (order.get(p.name, len(order)), p.name))
    members = {}
    for child in children:
        node = child / "zarr.json"
        if child.name == MANIFEST_DIR or not node.is_file():
            continue
        child_doc = json.loads(node.read_text())
        if child_doc.get("node_type") == "array":
            members[child.name] = child_doc
    doc["consolidated_metadata"] = {"kind": "inline", "must_understand": False, "metadata": members}
    tmp = meta.with_name(f"zarr.json.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, meta)
    checkpoint("consolidate")


def _temporary_name(out: Path) -> Path:
    host = socket.gethostname().replace("-", "_") or "host"
    return out.with_name(f"{out.name}.init-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def create_atomic(out, variables, coords, attrs) -> bool:
    """Create the store ``out`` whole or not at all: built in a temporary directory beside it
    and renamed into place. Returns False (removing the temporary) if another process
    created ``out`` first."""
    out = Path(out)
    tmp = _temporary_name(out)
    _CREATING.add(str(tmp))
    try:
        create(tmp, variables, coords, attrs)
        try:
            os.rename(tmp, out)  # atomic; fails if another shard created the store first
        except OSError:
            if not out.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            return False
        checkpoint("create rename")
        return True
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _CREATING.discard(str(tmp))


def _owner_gone(tmp: Path) -> bool:
    """Whether the process that made temporary directory ``tmp`` can no longer finish it."""
    parts = tmp.name.rsplit(".init-", 1)[-1].rsplit("-", 2)
    if len(parts) != 3 or str(tmp) in _CREATING:
        return False
    host, pid, _ = parts
    try:
        age = time.time() - tmp.stat().st_mtime
    except OSError:
        return False
    if host != (socket.gethostname().replace("-", "_") or "host") or not pid.isdigit():
        return age > STALE_AFTER_S
    if int(pid) == os.getpid():
        return True  # ours, and not being created: left by an earlier, failed attempt
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def clean_stale(out) -> tuple[list[Path], list[Path]]:
    """Remove the temporary directories that killed creations of ``out`` left behind.

    Returns ``(removed, kept)``: kept are those whose creator may still be running (on
    another host of a cluster, younger than :data:`STALE_AFTER_S`).
    """
    out = Path(out)
    removed, kept = [], []
    for tmp in sorted(out.parent.glob(f"{out.name}.init-*")):
        if tmp.is_symlink() or not tmp.is_dir():
            continue
        if _owner_gone(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
        else:
            kept.append(tmp)
    return removed, kept


def check_removable(path) -> None:
    """Refuse (StoreError) unless ``path`` is an ionsweep store holding nothing else.

    Never through a symbolic link; never a directory with files ionsweep did not write
    (a README, data of your own), nor a zarr store that is not ionsweep's.
    """
    path = Path(path)
    if path.is_symlink():
        raise StoreError(
            f"{path} is a symbolic link (to {os.readlink(path)}); refusing to delete through "
            "it: remove the link or name the store itself"
        )
    kind = store_kind(path)
    if kind == "foreign-zarr":
        raise StoreError(
            f"{path} is a zarr store that ionsweep did not write (no ionsweep marker and "
            "manifest); refusing to delete it"
        )
    if kind != "ionsweep":
        raise StoreError(f"{path} is not an ionsweep store; refusing to delete it")
    members = {"zarr.json", MANIFEST_DIR}
    foreign = [
        p.name
        for p in path.iterdir()
        if p.name not in members and not (p.is_dir() and (p / "zarr.json").exists())
    ]
    if foreign:
        shown = ", ".join(sorted(foreign)[:4]) + (", …" if len(foreign) > 4 else "")
        raise StoreError(
            f"{path} holds files that ionsweep did not write ({shown}); refusing to delete it"
        )


def remove(path) -> None:
    """Delete an ionsweep store, after :func:`check_removable`.

    The store is first renamed aside, so a kill during the deletion never leaves a
    half-deleted store under its name.
    """
    path = Path(path)
    check_removable(path)
    trash = path.with_name(f".{path.name}.deleting-{uuid.uuid4().hex[:8]}")
    os.rename(path, trash)
    checkpoint("remove rename")
    shutil.rmtree(trash)


def write_shard_log(path, shard, info) -> None:
    """Record one shard's timing in the manifest (one file per shard, no shared writes)."""
    i, n = shard
    f = Path(path) / MANIFEST_DIR / "shards" / f"{i}-of-{n}.json"
    f.write_text(json.dumps(info))


def update_attrs(path, attrs, label: str = "attrs") -> None:
    """Update root attributes in place: the root ``zarr.json`` is rewritten whole (keeping
    its consolidated metadata) to a temporary file and renamed, so it is never torn."""
    meta = Path(path) / "zarr.json"
    doc = json.loads(meta.read_text())
    doc.setdefault("attributes", {}).update(json.loads(json.dumps(attrs)))
    tmp = meta.with_name(f"zarr.json.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, meta)
    checkpoint(label)


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
        whether every chunk has been written (unwritten points read as NaN). The integer
        ``{dim}_code`` twins of text coordinates, stored for readers without a text type,
        are left out (plain ``xr.open_zarr`` shows them).
    """
    kind = store_kind(path)
    if kind == "missing":
        raise StoreError(f"{path} is not an ionsweep store (no such directory)")
    if kind != "ionsweep":
        raise StoreError(f"{path} is not an ionsweep store (no ionsweep zarr.json and manifest)")
    consolidated = "consolidated_metadata" in json.loads((Path(path) / "zarr.json").read_text())
    try:  # consolidated metadata lists the variables in the spec's order
        ds = xr.open_zarr(str(path), consolidated=consolidated)
    except (ValueError, KeyError, OSError) as exc:
        raise StoreError(f"{path}: cannot be read as a dataset: {exc}") from None
    # Integer twins of text coordinates serve readers without a text type (tensorstore);
    # here the labels themselves are read.
    twins = [f"{d}_code" for d in ds.dims if f"{d}_code" in ds.coords and d in ds.coords]
    return ds.drop_vars(twins)


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


def open_group_rw(path) -> zarr.Group:
    return zarr.open_group(str(path), mode="r+")
