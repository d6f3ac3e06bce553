"""Whether a store's chunks are all there and intact, and which manifest keys redo them.

Every chunk ionsweep writes carries a crc32c checksum (zarr v3's ``crc32c`` codec) and is
written even when it holds only fill values, so a chunk that should exist and does not is
lost, and one that does not decode is corrupt. :func:`scan` lists both as :class:`Damage`:
without reading (file existence only, for ``ionsweep info`` and ``--resume``) or reading
every chunk (``ionsweep info --verify``, ``--resume --repair``). Which chunks should exist
follows from the layout (:mod:`ionsweep.store._layout`) and the manifest: coordinates always,
a variable's chunks once a manifest key that writes them is done, final statistics once the
store is complete.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ionsweep.store._layout import (
    MANIFEST_DIR,
    PARTIAL_FILE,
    PARTIALS_DIR,
    ArrayMeta,
    Layout,
    read_array_meta,
    read_json,
    read_layout,
)

__all__ = ["Damage", "damaged_keys", "refuse_damaged", "scan", "unmark"]


class Damage(NamedTuple):
    """One missing or corrupt piece of a store."""

    #: ``"missing"`` or ``"corrupt"``.
    kind: str
    #: The array (variable or coordinate) or manifest file it belongs to.
    array: str
    #: The chunk index, or None for the whole array or file.
    index: tuple[int, ...] | None  # type: ignore[assignment]  # the field shadows tuple.index
    #: Index ranges along the array's dimensions (``"ion[0:4], V[80:161]"``).
    region: str
    #: Why: ``"no chunk file"``, the decoder's message, ...
    detail: str

    def line(self) -> str:
        where = "" if self.index is None else f" chunk {','.join(map(str, self.index))}"
        region = f" ({self.region})" if self.region else ""
        return f"{self.kind} {self.array}{where}{region}: {self.detail}"


def _done(path: Path) -> set[str]:
    folder = path / MANIFEST_DIR / "done"
    try:
        with os.scandir(folder) as it:
            return {e.name for e in it}
    except FileNotFoundError:
        return set()


def _complete(path: Path) -> bool:
    attrs = (read_json(path / "zarr.json") or {}).get("attributes")
    return isinstance(attrs, dict) and attrs.get("ionsweep_complete") in (True, 1)


def _present(folder: Path, meta: ArrayMeta) -> set[tuple[int, ...]]:
    """Indices of the chunk files in an array's folder (regular files only), no reading."""
    out: set[tuple[int, ...]] = set()
    ndim = len(meta.shape)
    if meta.separator == "." or ndim == 0:
        for index in meta.indices():
            p = folder / meta.key(index)
            if p.is_file() and not p.is_symlink():
                out.add(tuple(index))
        return out

    def walk(d: Path, prefix: tuple[int, ...]):
        try:
            it = os.scandir(d)
        except (FileNotFoundError, NotADirectoryError):
            return
        with it:
            for e in it:
                if not e.name.isdigit():
                    continue
                index = (*prefix, int(e.name))
                mode = e.stat(follow_symlinks=False).st_mode
                if len(index) == ndim and stat.S_ISREG(mode):
                    out.add(index)
                elif len(index) < ndim and stat.S_ISDIR(mode):
                    walk(Path(e.path), index)

    walk(folder / "c", ())
    return out


def _expected(layout: Layout, name: str, meta: ArrayMeta, done: set[str], complete: bool):
    """The chunk indices of array ``name`` that must exist by now."""
    if name in layout.created or (name in layout.final and complete):
        return set(meta.indices())
    if name in layout.chunked:
        return {
            tuple(i) for key in done if layout.valid_key(key) for i in layout.covered(key, meta)
        }
    return set()


def _why(exc: Exception) -> str:
    """A decoder's complaint in one short line (its first sentence, without the bytes)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = text.split(". ")[0].rstrip(".")
    return text if len(text) <= 120 else text[:117] + "..."


def _read_chunks(path: Path, name: str, meta: ArrayMeta, indices) -> list[Damage]:
    """The chunks among ``indices`` of array ``name`` that do not decode."""
    import zarr

    try:
        array = zarr.open_array(str(path / name), mode="r")
    except Exception as exc:  # metadata zarr itself cannot use
        return [Damage("corrupt", name, None, "", f"array metadata: {_why(exc)}")]
    damages = []
    for index in indices:
        region = tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(index, meta.chunks, meta.shape, strict=True)
        )
        try:
            array[region]
        except Exception as exc:  # any decoder failure is the damage looked for
            damages.append(Damage("corrupt", name, index, meta.region(index), _why(exc)))
    return damages


def _scan_array(path: Path, name: str, layout: Layout, done, complete, read) -> list[Damage]:
    folder = path / name
    meta = read_array_meta(folder)
    if meta is None:
        needed = name in layout.created or (name in layout.chunked and bool(done))
        needed = needed or (name in layout.final and complete)
        if not needed and not folder.exists():
            return []
        kind = "missing" if not (folder / "zarr.json").exists() else "corrupt"
        return [Damage(kind, name, None, "", "array metadata (zarr.json)")]
    present = _present(folder, meta)
    damages = [
        Damage("missing", name, index, meta.region(index), "no chunk file")
        for index in sorted(_expected(layout, name, meta, done, complete) - present)
    ]
    if read and present:
        damages += _read_chunks(path, name, meta, sorted(present))
    return damages


def _scan_state(path: Path, layout: Layout, complete: bool, read: bool) -> list[Damage]:
    """An accumulated reduction's saved partial states (kept to rewrite its statistics)."""
    folder = path / MANIFEST_DIR / PARTIALS_DIR
    name = f"{MANIFEST_DIR}/{PARTIALS_DIR}"
    if not layout.final or not complete:
        return []
    files = sorted(f for f in folder.glob("*.npz") if PARTIAL_FILE.match(f.name))
    if not files:
        return [Damage("missing", name, None, "", "saved reduction states")]
    if not read:
        return []
    damages = []
    for f in files:
        try:
            with np.load(f) as arrays:
                for key in arrays.files:
                    arrays[key]
        except Exception as exc:  # a truncated or altered archive: zip CRC, format errors
            damages.append(Damage("corrupt", f"{name}/{f.name}", None, "", _why(exc)))
    return damages


def scan(path, *, read: bool = False) -> list[Damage]:
    """Every missing (and, with ``read``, corrupt) chunk of the store ``path``.

    Parameters
    ----------
    path : str or Path
        An ionsweep store.
    read : bool
        Read and decode every chunk present (checksums, decompression); otherwise only
        check that the chunk files that should exist do.

    Returns
    -------
    list of Damage
        In array order, then chunk order; empty for an intact store.
    """
    path = Path(path)
    layout = read_layout(path)
    done = _done(path)
    complete = _complete(path)
    damages: list[Damage] = []
    for name in layout.names:
        damages += _scan_array(path, name, layout, done, complete, read)
    if complete and layout.chunked and not layout.final:
        lost = layout.n_keys() - sum(1 for k in done if layout.valid_key(k))
        if lost > 0:
            detail = f"{lost} chunk(s) not marked done in a store marked complete"
            damages.append(Damage("missing", f"{MANIFEST_DIR}/done", None, "", detail))
    return damages + _scan_state(path, layout, complete, read)


def refuse_damaged(path) -> None:
    """StoreError if chunk files that the store's manifest calls finished are missing (no
    reading: a resume without ``repair`` must not silently call them done)."""
    from ionsweep.store._zarr import StoreError

    damages = scan(path)
    if damages:
        more = f" and {len(damages) - 1} more" if len(damages) > 1 else ""
        raise StoreError(
            f"{path} is damaged: {damages[0].line()}{more}; add `repair=True` to recompute "
            "what is lost"
        )


def damaged_keys(path, damages) -> set[str]:
    """The finished manifest keys whose chunks are among ``damages`` (what to recompute)."""
    path = Path(path)
    layout = read_layout(path)
    done = _done(path)
    keys: set[str] = set()
    for d in damages:
        if d.array not in layout.chunked:
            continue
        meta = read_array_meta(path / d.array)
        for key in done:
            if not layout.valid_key(key):
                continue
            if d.index is None or meta is None or d.index in set(layout.covered(key, meta)):
                keys.add(key)
    return keys


def unmark(path, keys) -> None:
    """Remove ``keys`` from the manifest of finished chunks (they are computed again)."""
    folder = Path(path) / MANIFEST_DIR / "done"
    for key in sorted(keys):
        (folder / key).unlink(missing_ok=True)
