"""``run_sweep``: the one-call Python entry point (spec path, TOML text or dict)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ionsweep.store import encode_attrs, open_results
from ionsweep.sweep._executor import run
from ionsweep.sweep._plan import Plan, PlanWarning
from ionsweep.sweep._spec import load_spec, parse_spec
from ionsweep.sweep._spec_text import spec_to_toml

if TYPE_CHECKING:
    import os


__all__ = ["run_sweep", "spec_to_toml"]

#: Largest result ``run_sweep(store=None)`` keeps in memory.
IN_MEMORY_LIMIT_BYTES = 2 * 10**9


def run_sweep(
    spec: str | os.PathLike[str] | Mapping[str, Any],
    store: str | os.PathLike[str] | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    **overrides: Any,
) -> xr.Dataset:
    """Run a sweep and return its results as an :class:`xarray.Dataset`.

    Parameters
    ----------
    spec : str, Path or Mapping
        A path to a TOML spec, TOML text, or the spec as nested dicts (``{"model": {...},
        "axes": {...}, ...}``), validated exactly like a file.
    store : str or Path, optional
        Zarr store to write; the result is then opened lazily from it. With ``None`` the
        (small) result, every point or the statistics of a ``[reduce]`` sweep, is evaluated
        straight into memory, laid out as its store would be.
    resume, overwrite, progress : bool
        As for ``ionsweep run``.
    **overrides
        ``dtype``, ``memory`` or ``device``, overriding the spec's ``[run]`` table.

    Returns
    -------
    xarray.Dataset
        Outputs, gradients and the ``valid`` flag with ``units`` and ``long_name`` attributes.

    Examples
    --------
    >>> import ionsweep
    >>> ds = ionsweep.run_sweep({"model": {"name": "nernst"},
    ...                          "axes": {"c_out": [5.0, 10.0], "ion": ["K+"]},
    ...                          "fixed": {"c_in": 140.0, "celsius": 37.0}})
    >>> [round(float(e), 2) for e in ds.E.sel(ion="K+")]
    [-89.06, -70.53]
    """
    if isinstance(spec, Mapping):
        plan = parse_spec(spec, source="<dict>", **overrides)
    elif isinstance(spec, Path) or (
        isinstance(spec, str) and "\n" not in spec and spec.endswith(".toml")
    ):
        plan = load_spec(spec, **overrides)
    else:
        plan = parse_spec(str(spec), source="<string>", **overrides)
    if store is not None:
        run(plan, store, resume=resume, overwrite=overwrite, progress=progress)
        return open_results(store)
    n_vars = len(plan.variables()) + 1
    if plan.reduce is None and plan.n_points * n_vars * plan.itemsize() > IN_MEMORY_LIMIT_BYTES:
        raise ValueError(
            f"this sweep has {plan.n_points:,} points; pass store=PATH to write it to zarr "
            f"(in-memory results are limited to {IN_MEMORY_LIMIT_BYTES / 1e9:g} GB)"
        )
    return in_memory(plan, progress=progress)


def in_memory(plan: Plan, progress: bool = False) -> xr.Dataset:
    """A plan evaluated by the executor straight into an :class:`xarray.Dataset` laid out as
    its store would be (the same variables, values, coordinates and attributes as
    :func:`ionsweep.open_results` gives), without writing one: every point in store mode,
    the statistics in reduce mode (``progress``: a progress bar, reduce mode)."""
    from datetime import UTC, datetime

    from ionsweep.sweep._executor import devices_for
    from ionsweep.sweep._in_memory import evaluate, reduce_in_memory
    from ionsweep.sweep._store_layout import reduced_layout, store_attrs, store_layout

    for note in plan.warnings:  # as a run into a store shows them
        warnings.warn(PlanWarning(note), stacklevel=3)
    devices = devices_for(plan)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    layout, coords = store_layout(plan)
    if plan.reduce is None:
        values, _ = evaluate(plan, devices)
        variables = [(name, dims, attrs) for name, dims, _, _, _, attrs in layout]
    else:
        acc = reduce_in_memory(plan, devices, progress=bool(progress))
        values = {name: v for name, (v, *_) in acc.results().items()}
        reduced, bins = reduced_layout(plan)
        coords += [c for c in bins if c[0] not in {name for name, *_ in coords}]
        variables = []
        for name, dims, dtype, attrs in reduced:
            if np.asarray(values[name]).dtype.kind == "f":
                values[name] = np.asarray(values[name]).astype(dtype)
            variables.append((name, dims, attrs))
    wall = time.perf_counter() - t0
    text_dims = {a.name for a in plan.axes if a.coord.dtype.kind in "UO"}
    ds = xr.Dataset(
        coords={
            name: xr.Variable(dims, vals, attrs)
            for name, dims, vals, attrs in coords
            if not (name.endswith("_code") and name[: -len("_code")] in text_dims)
        }
    )
    for name, dims, attrs in variables:
        attrs = {k: v for k, v in attrs.items() if k != "coordinates"}  # an encoding
        ds[name] = xr.Variable(dims, values[name], attrs)
    ds.attrs = encode_attrs(  # as a store holds them, so that to_netcdf takes them
        {
            **store_attrs(plan, devices),
            "ionsweep_complete": True,
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s": round(wall, 3),
            "points_per_s": float(f"{plan.n_points / wall:.4g}") if wall > 0 else float("nan"),
        }
    )
    return ds
