"""The zarr (v3) layout of a sweep result, its manifest of finished chunks and provenance.

Layout of a store directory::

    STORE/zarr.json, STORE/<variable>/...   one xarray Dataset (dims named after the axes)
    STORE/.ionsweep/zarr.json               the manifest group: the layout a run writes
    STORE/.ionsweep/done/<i>_<j>_...        one empty file per finished chunk (the manifest)

A chunk is marked done only after all of its variables are written, so a run killed at any
moment leaves a store whose manifest lists only complete chunks; ``--resume`` recomputes the
rest. Chunk writes are idempotent, so a chunk written but not yet marked is simply redone.
Every chunk carries a crc32c checksum and is written even when it holds only fill values
(:mod:`ionsweep.store._verify` finds lost and corrupt chunks); a store is deleted only when
every path under it is one ionsweep writes (:mod:`ionsweep.store._layout`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec

from ionsweep._errors import StoreError
from ionsweep._faults import checkpoint
from ionsweep.store._attrs import cf_attrs, decode_attrs, encode_attrs
from ionsweep.store._layout import MANIFEST_DIR, first_foreign
from ionsweep.store._open import open_results
from ionsweep.store._read import FORMAT, is_store, looks_like_zarr, read_attrs, store_kind

# Reading a store (its kind, its root attributes, the Dataset) is ionsweep.store._read and
# ._open; the names are re-exported here for the modules that write and read through this one.
__all__ = [
    "StoreError",
    "is_store",
    "looks_like_zarr",
    "open_results",
    "read_attrs",
    "store_kind",
]

#: Every array: zstd (zarr's default) then a crc32c checksum of the stored bytes, and every
#: chunk written, fill values or not (so a chunk file that is missing is lost, not empty).
ARRAY_OPTIONS: dict[str, Any] = {
    "compressors": (ZstdCodec(level=0), Crc32cCodec()),
    "config": {"write_empty_chunks": True},
}
#: A temporary directory of an unfinished store creation older than this is stale even if
#: its owner cannot be checked (another host of a cluster), s.
STALE_AFTER_S = 3600.0
#: Temporary directories this process is creating right now (never stale).
_CREATING: set[str] = set()


def _done_dir(path: Path) -> Path:
    return Path(path) / MANIFEST_DIR / "done"


def chunk_key(index) -> str:
    return "_".join(str(int(i)) for i in index)


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


def new_array(group, name: str, **kwargs) -> zarr.Array:
    """``group.create_array`` with checksums, writing every chunk (:data:`ARRAY_OPTIONS`)."""
    return group.create_array(name, **ARRAY_OPTIONS, **kwargs)


def writable(array: zarr.Array | zarr.Group) -> zarr.Array:
    """``array`` set to write every chunk, even one holding only fill values."""
    if not isinstance(array, zarr.Array):
        raise StoreError(f"{array.path!r} is a group where an array was expected")
    return array.with_config(ARRAY_OPTIONS["config"])


def writable_arrays(group, names) -> dict[str, zarr.Array]:
    """The arrays ``names`` of ``group``, opened once (each opening reads its metadata)
    and set to write every chunk (:func:`writable`)."""
    return {name: writable(group[name]) for name in names}


def write_regions(writes) -> None:
    """Write every ``(array, selection, values)`` of ``writes`` at once: through zarr's
    asynchronous API, so that their chunks are compressed and checksummed concurrently in
    zarr's worker threads (zstd releases the GIL) and their files written side by side.
    Returns when every one has finished (none is left writing in the background), raising
    the first failure."""
    from zarr.core.sync import sync

    async def write_all():
        tasks = (a.async_array.setitem(sel, v) for a, sel, v in writes)
        return await asyncio.gather(*tasks, return_exceptions=True)

    for outcome in sync(write_all()):
        if isinstance(outcome, BaseException):
            raise outcome


#: A coordinate of up to this many values is one chunk; a longer one (made region by
#: region, see :func:`write_coord`) is stored in chunks of :data:`COORD_CHUNK` values.
COORD_ONE_CHUNK = 10**7
COORD_CHUNK = 1 << 22


def write_coord(group, name, dims, values, attrs, *, overwrite=False) -> None:
    """Create the coordinate array ``name`` and write its ``values``: an array, or a 1-d
    generated axis (anything with ``len``, ``dtype`` and ``values(i0, i1)``), which is made
    and written one chunk at a time."""
    made = callable(getattr(values, "values", None)) and not isinstance(values, np.ndarray)
    if not made:
        values = np.asarray(values)
    n = len(values) if made else 0  # (unused for an array given whole)
    whole = not made or n <= COORD_ONE_CHUNK
    shape = values.shape if not made else (n,)
    dtype = str if values.dtype.kind == "U" else values.dtype
    arr = new_array(
        group,
        name,
        shape=shape,
        dtype=dtype,
        dimension_names=dims,
        chunks=shape if whole else (COORD_CHUNK,),
        # with the array's metadata: one write, not one per attribute
        attributes=cf_attrs(attrs, dtype),
        overwrite=overwrite,
    )
    if not made:
        arr[...] = values
        return
    step = n if whole else COORD_CHUNK
    for i0 in range(0, n, step):
        arr[i0 : min(n, i0 + step)] = values.values(i0, min(n, i0 + step))


def new_variable(group, name, dims, shape, chunks, dtype, attrs, *, overwrite=False) -> None:
    """Create the (empty) variable ``name``, filled with NaN, ``""`` or 0 until written."""
    kind = "U" if dtype is str else np.dtype(dtype).kind
    fill = {"f": np.nan, "U": ""}.get(kind, 0)
    new_array(
        group,
        name,
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        dimension_names=dims,
        fill_value=fill,
        attributes=cf_attrs(attrs, dtype),
        overwrite=overwrite,
    )


def create(path, variables, coords, attrs, *, grid=None, final=()) -> None:
    """Write an empty store at ``path`` (which must not exist).

    Parameters
    ----------
    variables : list of (name, dims, shape, chunks, dtype, attrs)
        Written chunk by chunk, each chunk marked in the manifest once written.
    coords : list of (name, dims, values, attrs)
        Written here, whole.
    attrs : dict of root attributes (JSON-serializable)
    grid : (dims, shape, chunks) or None
        The grid of the manifest's chunk keys; None: one key ``0`` for the whole store.
    final : sequence of str
        Arrays a run writes whole at its end (the statistics of an accumulated reduction).
    """
    path = Path(path)
    group = zarr.open_group(str(path), mode="w-")
    checkpoint("create group")
    # The manifest first: it declares every array the store will hold (what a deletion
    # may remove), so even a creation killed half-way is recognized path by path. It is an
    # (array-less) zarr subgroup, so zarr and xarray skip it cleanly.
    layout: dict[str, Any] = {
        "created": [c[0] for c in coords],
        "chunked": [v[0] for v in variables],
        "final": list(final),
    }
    if grid is not None:
        layout["grid"] = dict(zip(("dims", "shape", "chunks"), map(list, grid), strict=True))
    group.create_group(MANIFEST_DIR, attributes={"ionsweep_layout": layout})
    (path / MANIFEST_DIR / "done").mkdir()
    (path / MANIFEST_DIR / "shards").mkdir()
    checkpoint("create manifest")
    for coord in coords:
        write_coord(group, *coord)
        checkpoint(f"create coord {coord[0]}")
    for variable in variables:
        new_variable(group, *variable)
        checkpoint(f"create variable {variable[0]}")
    group.update_attributes(encode_attrs({"ionsweep_format": FORMAT, **attrs}))
    consolidate(path, [c[0] for c in coords] + [v[0] for v in variables])


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


def create_atomic(out, variables, coords, attrs, **layout) -> bool:
    """Create the store ``out`` whole or not at all: built in a temporary directory beside it
    and renamed into place. Returns False (removing the temporary) if another process
    created ``out`` first. ``layout``: :func:`create`'s ``grid`` and ``final``."""
    out = Path(out)
    tmp = _temporary_name(out)
    _CREATING.add(str(tmp))
    try:
        create(tmp, variables, coords, attrs, **layout)
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
    another host of a cluster, younger than :data:`STALE_AFTER_S`), and any holding a path
    that a store creation does not write.
    """
    out = Path(out)
    removed, kept = [], []
    for tmp in sorted(out.parent.glob(f"{out.name}.init-*")):
        if tmp.is_symlink() or not tmp.is_dir():
            continue
        if _owner_gone(tmp) and first_foreign(tmp) is None:
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
    _refuse_foreign(path, path)


def _refuse_foreign(path: Path, shown: Path) -> None:
    """StoreError naming the first path under ``path`` that ionsweep did not write (as a
    path under ``shown``, the name the user gave)."""
    found = first_foreign(path)
    if found is not None:
        named = shown / found.relative_to(path)
        raise StoreError(
            f"{named} was not written by ionsweep; refusing to delete the store {shown} "
            "that holds it (move it out first)"
        )


def remove(path) -> None:
    """Delete an ionsweep store, after :func:`check_removable`.

    The store is first renamed aside, so a kill during the deletion never leaves a
    half-deleted store under its name; what was renamed is checked again (a file may have
    been added since) and put back if it holds anything ionsweep did not write.
    """
    path = Path(path)
    check_removable(path)
    trash = path.with_name(f".{path.name}.deleting-{uuid.uuid4().hex[:8]}")
    os.rename(path, trash)
    checkpoint("remove rename")
    try:
        _refuse_foreign(trash, path)
    except StoreError:
        os.rename(trash, path)
        raise
    shutil.rmtree(trash)


def write_shard_log(path, shard, info) -> None:
    """Record one shard's timing in the manifest (one file per shard, no shared writes)."""
    i, n = shard
    f = Path(path) / MANIFEST_DIR / "shards" / f"{i}-of-{n}.json"
    f.write_text(json.dumps(info))


def update_attrs(path, attrs, label: str = "attrs") -> None:
    """Update root attributes in place (written netCDF-safe, as :func:`create` writes them):
    the root ``zarr.json`` is rewritten whole (keeping its consolidated metadata) to a
    temporary file and renamed, so it is never torn."""
    meta = Path(path) / "zarr.json"
    doc = json.loads(meta.read_text())
    try:
        merged = {**decode_attrs(doc.get("attributes", {})), **attrs}
    except ValueError as exc:
        raise StoreError(f"{meta}: corrupt metadata ({exc})") from None
    doc["attributes"] = json.loads(json.dumps(encode_attrs(merged)))
    tmp = meta.with_name(f"zarr.json.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, meta)
    checkpoint(label)


def open_group_rw(path) -> zarr.Group:
    return zarr.open_group(str(path), mode="r+")
