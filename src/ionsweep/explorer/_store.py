"""Open a result store for viewing: refuse what is not a finished ionsweep store.

Only the store's public face is used (``zarr.json``, its root attributes and
:func:`ionsweep.open_results`), so the store layer can change underneath.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from ionsweep._errors import StoreError

if TYPE_CHECKING:
    import os


__all__ = ["check_store", "open_store"]

#: Root attributes of which at least one marks a zarr group as written by ionsweep.
_MARKERS = ("ionsweep_format", "ionsweep_mode")


def _root_attrs(path: Path) -> dict:
    """The root attributes of the zarr group at ``path`` (empty if there is none)."""
    meta = path / "zarr.json"
    if not meta.is_file():
        return {}
    try:
        doc = json.loads(meta.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("node_type") != "group":
        return {}
    attrs = doc.get("attributes")
    return attrs if isinstance(attrs, dict) else {}


def check_store(path: str | os.PathLike[str], *, allow_incomplete: bool = False) -> dict:
    """Root attributes of the ionsweep store at ``path``, after checking it can be viewed.

    Parameters
    ----------
    path : str or Path
        Store directory written by ``ionsweep run`` or ``ionsweep sensitivity``.
    allow_incomplete : bool
        Accept a store whose run has not finished (unwritten points read as NaN).

    Raises
    ------
    StoreError
        The path does not exist, is not an ionsweep store, or is still being written.
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path} does not exist")
    attrs = _root_attrs(path)
    if not any(key in attrs for key in _MARKERS):
        raise StoreError(
            f"{path} is not an ionsweep result store (no zarr group with ionsweep attributes); "
            "write one with ionsweep run or ionsweep sensitivity"
        )
    if not attrs.get("ionsweep_complete", False) and not allow_incomplete:
        raise StoreError(
            f"{path} is still being written (or its run was interrupted: finish it with "
            "ionsweep run --resume); view it anyway with --allow-incomplete"
        )
    return attrs


def open_store(path: str | os.PathLike[str], *, allow_incomplete: bool = False) -> xr.Dataset:
    """The store at ``path`` as a lazy Dataset, after :func:`check_store`."""
    from ionsweep import open_results

    check_store(path, allow_incomplete=allow_incomplete)
    return open_results(path)
