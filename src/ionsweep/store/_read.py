"""What is at a path (an ionsweep store, another zarr store, nothing) and a store's root
attributes, read from its ``zarr.json`` without zarr and checked for their types."""

from __future__ import annotations

import json
from pathlib import Path

from ionsweep._errors import StoreError
from ionsweep.store._attrs import attr_problem, decode_attrs
from ionsweep.store._layout import MANIFEST_DIR

__all__ = ["FORMAT", "is_store", "looks_like_zarr", "read_attrs", "store_kind"]

#: The root attribute ``ionsweep_format`` of every store ionsweep writes.
FORMAT = "ionsweep-store/1"


def looks_like_zarr(path) -> bool:
    """Whether ``path`` holds a zarr group or array (a ``zarr.json``), ionsweep's or not."""
    return (Path(path) / "zarr.json").exists()


def is_store(path) -> bool:
    """Whether ``path`` is a store that ionsweep wrote: its format marker and its manifest."""
    path = Path(path)
    if not (path / MANIFEST_DIR / "done").is_dir():
        return False
    try:
        return read_attrs(path).get("ionsweep_format") == FORMAT
    except StoreError:
        return False


def read_attrs(path) -> dict:
    """The root attributes of the zarr group at ``path``, decoded
    (:func:`~ionsweep.store._attrs.decode_attrs`: tables, lists and booleans as Python
    values).

    Raises
    ------
    StoreError
        No ``zarr.json``, or one that cannot be read or parsed, or attributes of the wrong
        type (naming the file and why).
    """
    meta = Path(path) / "zarr.json"
    try:
        doc = json.loads(meta.read_text())
    except FileNotFoundError:
        raise StoreError(f"{path} is not an ionsweep store (no zarr.json)") from None
    except OSError as exc:
        raise StoreError(f"{meta}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise StoreError(f"{meta}: corrupt metadata (not JSON: {exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("attributes", {}), dict):
        raise StoreError(f"{meta}: corrupt metadata (not a zarr v3 group document)")
    try:
        attrs = decode_attrs(doc.get("attributes", {}))
    except ValueError as exc:
        raise StoreError(f"{meta}: corrupt metadata ({exc})") from None
    problem = attr_problem(attrs)  # hand-edited attributes
    if problem is not None:
        raise StoreError(f"{meta}: corrupt metadata ({problem})")
    return attrs


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
        if attrs.get("ionsweep_format") == FORMAT and (path / MANIFEST_DIR / "done").is_dir():
            return "ionsweep"
    return "foreign-zarr" if looks_like_zarr(path) else "other"
