"""Stores that need no plan: versions and provenance attributes, the integer twin of a text
coordinate, and an in-memory Dataset written as a one-chunk ionsweep store."""

from __future__ import annotations

import functools
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ionsweep.store import _zarr as zstore
from ionsweep.store._zarr import StoreError

if TYPE_CHECKING:
    import os

    import xarray as xr


__all__ = ["is_text", "jsonable", "label_codes", "provenance", "versions", "write_dataset"]


def versions(*extra: str) -> dict:
    """Versions of Python and of the packages that decide a store's values and format
    (plus ``extra`` packages), as ``{name}_version`` attributes."""
    return dict(_versions(extra))


@functools.cache
def _versions(extra: tuple[str, ...]) -> tuple:
    out = {"python_version": platform.python_version()}
    for pkg in ("ionsweep", "jax", "jaxlib", "numpy", "xarray", "zarr", *extra):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[f"{pkg}_version"] = "unknown"
    return tuple(out.items())


def is_text(values) -> bool:
    """Whether ``values`` (a list, an array or anything with a ``dtype``, such as a
    generated axis, read without making its values) hold text."""
    dtype = getattr(values, "dtype", None)
    return (dtype if dtype is not None else np.asarray(values).dtype).kind in "UO"


def label_codes(name: str, labels, long_name: str) -> tuple:
    """The integer twin ``{name}_code`` of a coordinate of text labels (an ion, an activity
    model), as (name, dims, values, attrs).

    Zarr v3's core data types hold no text: zarr-python and xarray read the labels, but a
    reader of the core types alone (tensorstore) cannot. The twin holds 0 … n−1 along the
    same dimension, with the labels in CF's ``flag_values``/``flag_meanings`` (spaces in a
    label become underscores), so every reader can label the axis.
    """
    labels = [str(v) for v in np.asarray(labels).tolist()]
    return (
        f"{name}_code",
        [name],
        np.arange(len(labels), dtype=np.int32),
        {  # a flag variable: no units (CF)
            "long_name": f"{long_name} as an integer code (labels in flag_meanings)",
            "flag_values": list(range(len(labels))),
            "flag_meanings": " ".join(v.replace(" ", "_") for v in labels),
        },
    )


def provenance(
    plan, devices, *, mode: str, n_chunks: int, n_points: int, complete=False, packages=()
) -> dict:
    """Root attributes of any ionsweep store: the spec (text, source, hash), model, mode,
    size, warnings, dtype, devices, host and versions (plus those of ``packages``). ``plan``
    is a sweep or a sensitivity plan."""
    return {
        "title": plan.title,
        "Conventions": "CF-1.10",
        "ionsweep_spec": plan.spec_text,
        "ionsweep_spec_source": os.path.basename(plan.source),
        "ionsweep_spec_sha256": plan.spec_hash,
        "ionsweep_model": plan.model_name,
        "ionsweep_mode": mode,
        "ionsweep_n_chunks": n_chunks,
        "ionsweep_n_points": n_points,
        "ionsweep_complete": complete,
        "ionsweep_warnings": list(plan.warnings),
        "dtype": plan.dtype,
        "backend": devices[0].platform,
        "device": str(devices[0].device_kind),
        "n_devices": len(devices),
        "host": platform.machine(),
        **versions(*packages),
    }


def write_dataset(ds: xr.Dataset, out: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Write an in-memory result Dataset as an ionsweep store (one finished chunk)."""
    out = Path(out)
    if zstore.is_store(out):
        if not overwrite:
            raise StoreError(f"{out} already exists; use `overwrite=True` to replace it")
        zstore.remove(out)
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StoreError(f"{out} exists and is not an ionsweep store; refusing to touch it")
    index = set(ds.dims)
    coords = [
        (name, list(c.dims), np.asarray(c.values), {k: jsonable(x) for k, x in c.attrs.items()})
        for name, c in ds.coords.items()
    ]
    codes = [
        label_codes(str(name), c.values, c.attrs.get("long_name", name))
        for name, c in ds.coords.items()
        if name in index and is_text(c.values)
    ]
    coords += codes
    variables = []
    for name, v in ds.data_vars.items():
        aux = [c for c in ds.coords if c not in index and set(ds[c].dims) <= set(v.dims)]
        aux += [c[0] for c in codes if c[1][0] in v.dims]
        attrs = dict(v.attrs, **({"coordinates": " ".join(map(str, aux))} if aux else {}))
        attrs = {k: jsonable(x) for k, x in attrs.items()}
        values = np.asarray(v.values)
        dtype = str if values.dtype.kind in "UO" else values.dtype
        shape = values.shape
        variables.append((name, list(v.dims), shape, shape or None, dtype, attrs))
    zstore.create(out, variables, coords, {k: jsonable(v) for k, v in ds.attrs.items()})
    group = zstore.open_group_rw(out)
    for name, v in ds.data_vars.items():
        values = np.asarray(v.values)
        arr = zstore.writable(group[str(name)])
        arr[...] = values.astype(str) if values.dtype.kind == "O" else values
    zstore.mark_done(out, (0,))


def jsonable(v):
    """NumPy scalars, arrays and sequences of them as plain Python values (for zarr
    attributes)."""
    if isinstance(v, np.generic | np.ndarray):
        return v.tolist()
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    return v
