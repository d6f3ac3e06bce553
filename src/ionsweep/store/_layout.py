"""What an ionsweep store may hold, path by path, read from the store's own metadata.

A store is its root ``zarr.json`` (with consolidated metadata), one folder per array (its
``zarr.json`` and its chunk keys ``c/i/j…`` inside the array's chunk grid) and the manifest
``.ionsweep/`` (its ``zarr.json``, ``done/<chunk key>`` markers inside the manifest's grid,
``shards/<i>-of-<n>.json`` logs, ``partials/<owner>.npz`` saved reduction states and the
``finish.lock`` file). The temporary files that
ionsweep and zarr write and rename into place belong to it too. Anything else — a subgroup,
a file in an array's folder, a hidden file, a chunk key outside the grid, a symbolic link —
is foreign: :func:`first_foreign` names the first one, so a deletion can be refused.

The array names come from the manifest group's ``ionsweep_layout`` attribute, written when
the store is created and listing the arrays a run writes, final statistics included (not
from the root's consolidated metadata, which another writer, such as xarray adding a group,
may rewrite); each array's shape, chunk shape and key encoding from its ``zarr.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from itertools import product
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "ArrayMeta",
    "Layout",
    "first_foreign",
    "read_array_meta",
    "read_json",
    "read_layout",
]

MANIFEST_DIR = ".ionsweep"
#: The folder of an accumulated reduction's saved partial states, in the manifest: one
#: ``<owner>.npz`` per process (``shard-I-of-N`` or ``dask-<hex8>-<task>``).
PARTIALS_DIR = "partials"
PARTIAL_FILE = re.compile(r"^(?P<owner>shard-\d{1,9}-of-\d{1,9}|dask-[0-9a-f]{8}-\d{1,9})\.npz$")
_PARTIAL_TMP = re.compile(
    r"^(shard-\d{1,9}-of-\d{1,9}|dask-[0-9a-f]{8}-\d{1,9})\.[0-9a-f]{8}\.tmp\.npz$"
)
#: The lock file the processes that may write the final statistics take turns on.
LOCK_FILE = "finish.lock"
#: Temporary names: zarr's ``<name>.<hex32>.partial`` (renamed into place), ionsweep's
#: ``zarr.json.<hex8>.tmp`` (root metadata, renamed into place).
_PARTIAL = re.compile(r"^(?P<stem>.*)\.[0-9a-f]{32}\.partial$")
_ROOT_TMP = re.compile(r"^zarr\.json\.[0-9a-f]{8}\.tmp$")
_SHARD_LOG = re.compile(r"^(\d{1,9})-of-(\d{1,9})\.json$")
_INDEX = re.compile(r"^(0|[1-9]\d{0,17})$")


class ArrayMeta(NamedTuple):
    """One array's layout from its ``zarr.json``."""

    name: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dims: tuple[str, ...]
    separator: str

    @property
    def grid(self) -> tuple[int, ...]:
        """Chunks along each dimension."""
        return tuple(math.ceil(n / c) for n, c in zip(self.shape, self.chunks, strict=True))

    def key(self, index) -> str:
        """The chunk key of ``index`` (relative to the array's folder)."""
        return self.separator.join(["c", *(str(int(i)) for i in index)])

    def region(self, index) -> str:
        """``"ion[0:4], V[80:161]"``: the index ranges of chunk ``index``."""
        parts = []
        for d, i, c, n in zip(self.dims, index, self.chunks, self.shape, strict=True):
            parts.append(f"{d}[{i * c}:{min((i + 1) * c, n)}]")
        return ", ".join(parts) or "the whole (0-d) array"

    def indices(self):
        """Every chunk index of the grid, in C order."""
        return product(*(range(g) for g in self.grid))


class Layout(NamedTuple):
    """The arrays a store's writer declared, by role, and the manifest's chunk grid."""

    #: Arrays written whole when the store is created (coordinates).
    created: tuple[str, ...]
    #: Arrays written chunk by chunk (a chunk's part is done once its manifest key is).
    chunked: tuple[str, ...]
    #: Arrays written whole at the end (statistics of an accumulated reduction).
    final: tuple[str, ...]
    #: ``(dims, shape, chunks)`` of the manifest's keys, or None: one key ``0`` for all.
    grid: tuple | None
    #: Arrays of a store written before layouts were declared (and before every chunk was
    #: written): a chunk of fill values may be absent, so none is known to be missing.
    undeclared: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.created + self.chunked + self.final + self.undeclared

    def n_keys(self) -> int:
        if self.grid is None:
            return 1
        _, shape, chunks = self.grid
        return math.prod(math.ceil(n / c) for n, c in zip(shape, chunks, strict=True))

    def valid_key(self, name: str) -> bool:
        """Whether ``name`` is a manifest key inside the grid."""
        parts = name.split("_")
        if not all(_INDEX.match(p) for p in parts):
            return False
        if self.grid is None:
            return parts == ["0"]
        _, shape, chunks = self.grid
        grid = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
        return len(parts) == len(grid) and all(int(p) < g for p, g in zip(parts, grid, strict=True))

    def covered(self, key: str, meta: ArrayMeta):
        """The chunk indices of array ``meta`` that manifest ``key`` writes."""
        ranges = []
        index = [int(p) for p in key.split("_")]
        for d, n, c, g in zip(meta.dims, meta.shape, meta.chunks, meta.grid, strict=True):
            if self.grid is None or d not in self.grid[0]:
                ranges.append(range(g))
                continue
            j = list(self.grid[0]).index(d)
            lo = index[j] * self.grid[2][j]
            hi = min(lo + self.grid[2][j], self.grid[1][j], n)
            ranges.append(range(min(lo // c, g), min(-(-hi // c), g)))
        return product(*ranges)


def read_json(path: Path):
    """The JSON document in ``path``, or None if it is missing or not JSON."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def read_array_meta(folder: Path) -> ArrayMeta | None:
    """The layout of the array in ``folder``, or None if its ``zarr.json`` is missing,
    unreadable or not a regular-grid array with the default chunk key encoding."""
    doc = read_json(folder / "zarr.json")
    try:
        assert doc["node_type"] == "array"
        shape = tuple(int(n) for n in doc["shape"])
        chunks = tuple(int(c) for c in doc["chunk_grid"]["configuration"]["chunk_shape"])
        encoding = doc.get("chunk_key_encoding", {"name": "default"})
        assert encoding["name"] == "default" and len(chunks) == len(shape)
        assert all(c > 0 for c in chunks) and all(n >= 0 for n in shape)
        sep = encoding.get("configuration", {}).get("separator", "/")
        assert sep in ("/", ".")
        names = doc.get("dimension_names") or [f"dim_{k}" for k in range(len(shape))]
        dims = tuple(str(d) for d in names)
        assert len(dims) == len(shape)
    except (AssertionError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return ArrayMeta(folder.name, shape, chunks, dims, sep)


def read_layout(path) -> Layout:
    """The layout a store's writer declared in its manifest group (for a store written
    before that declaration: the arrays of the root's consolidated metadata)."""
    path = Path(path)
    attrs = (read_json(path / MANIFEST_DIR / "zarr.json") or {}).get("attributes") or {}
    declared = attrs.get("ionsweep_layout") if isinstance(attrs, dict) else None
    declared = declared if isinstance(declared, dict) else {}

    def names(key):
        value = declared.get(key) or ()
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    if not declared:  # an older store: the arrays of the root's consolidated metadata
        root = read_json(path / "zarr.json") or {}
        meta = (root.get("consolidated_metadata") or {}).get("metadata") or {}
        arrays = tuple(
            n
            for n, doc in meta.items()
            if "/" not in n and isinstance(doc, dict) and doc.get("node_type") == "array"
        )
        return Layout((), (), (), None, arrays)
    created, chunked, final = names("created"), names("chunked"), names("final")
    grid: Any = declared.get("grid")  # refused below unless a well-formed grid
    try:
        dims, shape, chunks = (tuple(grid[k]) for k in ("dims", "shape", "chunks"))
        grid = (tuple(map(str, dims)), tuple(map(int, shape)), tuple(map(int, chunks)))
        assert len(dims) == len(shape) == len(chunks) and min(chunks, default=1) > 0
    except (TypeError, KeyError, ValueError, AssertionError):
        grid = None
    return Layout(created, chunked, final, grid)


def _entries(folder: Path):
    """``(name, path, mode)`` of a folder's entries, sorted (symbolic links not followed)."""
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    return [(e.name, Path(e.path), e.stat(follow_symlinks=False).st_mode) for e in entries]


def _chunk_path(parts: list[str], meta: ArrayMeta | None, is_dir: bool) -> bool:
    """Whether ``parts`` (a path inside an array folder, split on ``/``) is a chunk key of
    ``meta`` (a folder on the way to one if ``is_dir``); any chunk-key syntax if ``meta`` is
    None (an array whose metadata is damaged)."""
    if meta is not None and meta.separator == ".":
        if is_dir or len(parts) != 1:
            return False
        parts = parts[0].split(".")
    if parts[0] != "c" or not all(_INDEX.match(p) for p in parts[1:]):
        return False
    if meta is None:
        return True
    indices = [int(p) for p in parts[1:]]
    if any(i >= g for i, g in zip(indices, meta.grid, strict=False)):
        return False
    ndim = len(meta.shape)
    if meta.separator == ".":
        return len(indices) == ndim
    return len(indices) < ndim if is_dir else len(indices) == ndim


def _foreign_in_array(folder: Path, meta: ArrayMeta | None, rel: tuple[str, ...] = ()):
    """The first path in an array's folder that is no part of the array, or None."""
    for name, path, mode in _entries(folder / Path(*rel) if rel else folder):
        parts = [*rel, name]
        if stat.S_ISDIR(mode):
            if not _chunk_path(parts, meta, True):
                return path
            found = _foreign_in_array(folder, meta, tuple(parts))
            if found is not None:
                return found
            continue
        if not stat.S_ISREG(mode):
            return path
        if rel == () and name == "zarr.json":
            continue
        partial = _PARTIAL.match(name)
        if partial and rel == () and partial["stem"] == "zarr":
            continue
        if partial:  # a chunk being written: its key, or (separator ".") a prefix of one
            stem = partial["stem"]
            if _chunk_path([*rel, stem], meta, False) or _chunk_path([*rel, stem], meta, True):
                continue
            if meta is not None and meta.separator == "." and _chunk_path([stem], None, False):
                continue
            return path
        if not _chunk_path(parts, meta, False):
            return path
    return None


def _foreign_in_manifest(folder: Path, layout: Layout):
    """The first path in the manifest folder that ionsweep does not write, or None."""
    allowed_files = {"zarr.json", LOCK_FILE}
    for name, path, mode in _entries(folder):
        if stat.S_ISDIR(mode) and name in ("done", "shards", PARTIALS_DIR):
            for child, cpath, cmode in _entries(path):
                ok = stat.S_ISREG(cmode) and _manifest_entry(name, child, layout)
                if not ok:
                    return cpath
            continue
        partial = _PARTIAL.match(name)
        if not stat.S_ISREG(mode) or not (
            name in allowed_files or (partial and partial["stem"] == "zarr")
        ):
            return path
    return None


def _manifest_entry(folder: str, name: str, layout: Layout) -> bool:
    """Whether ``name`` is a file ionsweep writes in the manifest's ``folder``."""
    if folder == "done":
        return layout.valid_key(name)
    if folder == "shards":
        return _shard_log(name)
    return bool(PARTIAL_FILE.match(name) or _PARTIAL_TMP.match(name))


def _shard_log(name: str) -> bool:
    m = _SHARD_LOG.match(name)
    return m is not None and int(m[1]) < int(m[2])


def first_foreign(path) -> Path | None:
    """The first path under the store ``path`` (in sorted, depth-first order) that is no
    part of the store's own layout, or None when every path is ionsweep's.

    Raises OSError if a folder cannot be listed.
    """
    path = Path(path)
    layout = read_layout(path)
    names = set(layout.names)
    for name, child, mode in _entries(path):
        if stat.S_ISDIR(mode) and name == MANIFEST_DIR:
            found = _foreign_in_manifest(child, layout)
        elif stat.S_ISDIR(mode) and name in names:
            meta = read_array_meta(child)
            found = _foreign_in_array(child, meta)
        elif stat.S_ISREG(mode) and (
            name == "zarr.json" or _ROOT_TMP.match(name) or _is_root_partial(name)
        ):
            found = None
        else:
            found = child
        if found is not None:
            return found
    return None


def _is_root_partial(name: str) -> bool:
    m = _PARTIAL.match(name)
    return m is not None and m["stem"] == "zarr"
