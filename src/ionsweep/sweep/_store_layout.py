"""The layout of a plan's store: its variables (shape, chunks, dtype, attributes) and
coordinates, those of a reduction's statistics, the root attributes and the size on disk.

Derived from the plan alone; nothing here touches a store.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ionsweep.models import FLAG_MEANINGS, VALID_FLAGS, label_index
from ionsweep.store._dataset import is_text as _is_text, label_codes, provenance
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._reduce import Accumulator

__all__ = [
    "StoreLayout",
    "coordinates_attr",
    "lay_out",
    "reduced_layout",
    "store_attrs",
    "store_bytes",
    "store_layout",
]


def _fixed_coords(plan: Plan) -> list:
    """The fixed inputs (given in ``[fixed]`` or defaulted) as scalar coordinates."""
    taken = set(plan.dims) | {k for a in plan.axes for k in a.extra_coords}
    taken |= {name for name, _, _ in plan.variables()} | {"valid"}
    coords: list[tuple] = []
    for name, value in plan.fixed.items():
        inp = plan.model.input(name)
        if name in taken:
            continue
        long_name = f"{inp.long_name} (fixed)"
        label = _fixed_label(inp, value)
        if label is not None:  # a categorical input: its label, text without units (CF)
            coords.append((name, [], np.asarray(label), {"long_name": long_name}))
            continue
        coords.append(
            (
                name,
                [],
                np.asarray(value, np.float64),
                {"units": inp.units or "1", "long_name": long_name},
            )
        )
    return coords


def _fixed_label(inp, value) -> str | None:
    """The label (an activity model's name) of the value of a fixed categorical input."""
    if inp.labels != "activity_model":
        return None
    return next((c for c in inp.choices or () if label_index(inp, c, inp.name) == value), None)


def coordinates_attr(plan: Plan, dims) -> dict:
    """CF ``coordinates`` attribute: the zip-axis members along ``dims`` and the fixed
    inputs (scalar coordinates)."""
    names = [k for a in plan.axes if a.name in dims for k in a.extra_coords]
    names += [f"{a.name}_code" for a in plan.axes if a.name in dims and _is_text(a.coord)]
    names += [c[0] for c in _fixed_coords(plan)]
    return {"coordinates": " ".join(names)} if names else {}


class StoreLayout(NamedTuple):
    """What a plan's store holds, laid out once per plan (:attr:`Plan.layout`)."""

    #: Chunked variables, laid out up front: (name, dims, shape, chunks, dtype, attrs).
    variables: tuple
    #: Coordinates: (name, dims, values, attrs).
    coords: tuple
    #: Reduced variables (name, dims, dtype, attrs), in the reduce modes (else empty).
    reduced: tuple
    #: Their histogram bin coordinates (name, dims, values, attrs).
    bins: tuple


def lay_out(plan: Plan) -> StoreLayout:
    """The layout of ``plan``'s store; read it as ``plan.layout`` (computed once)."""
    reduced, bins = _reduced_layout(plan) if plan.reduce is not None else ([], [])
    variables, coords = _store_layout(plan, reduced, bins)
    return StoreLayout(tuple(variables), tuple(coords), tuple(reduced), tuple(bins))


def reduced_layout(plan: Plan):
    """Reduced variables (name, dims, dtype, attrs) and histogram bin coordinates, as
    lists (of ``plan.layout``)."""
    return list(plan.layout.reduced), list(plan.layout.bins)


def store_layout(plan: Plan):
    """(variables, coords) for the store, as lists (of ``plan.layout``): variables as
    (name, dims, shape, chunks, dtype, attrs), coords as (name, dims, values, attrs)."""
    return list(plan.layout.variables), list(plan.layout.coords)


def _reduced_layout(plan: Plan):
    """Reduced variables (name, dims, dtype, attrs) and histogram bin coordinates."""
    probe = Accumulator(plan, tuple(slice(0, 1) for _ in plan.dims))
    variables, coords = [], []
    for name, (values, dims, units, long_name) in probe.results().items():
        v = np.asarray(values)
        dtype = str if v.dtype.kind == "U" else (plan.dtype if v.dtype.kind == "f" else v.dtype)
        variables.append(
            (
                name,
                list(dims),
                dtype,
                {"units": units, "long_name": long_name, **coordinates_attr(plan, dims)},
            )
        )
    for var, bins, lo, hi in plan.reduction.histograms:
        edges = np.linspace(lo, hi, bins + 1)
        coords.append(
            (
                f"{var}_bin",
                [f"{var}_bin"],
                0.5 * (edges[:-1] + edges[1:]),
                {"units": plan.model.output(var).units, "long_name": f"{var} bin centre"},
            )
        )
    return variables, coords


def _store_layout(plan: Plan, reduced, bins):
    """(variables, coords) for the store, given its ``reduced`` variables and their
    ``bins`` (see :func:`_reduced_layout`)."""
    m = mode(plan)
    kept = plan.dims if m == "store" else [d for d in plan.dims if d not in plan.reduction.over]
    coords = _axis_coords(plan, kept) + _fixed_coords(plan)
    if m == "store":
        return _point_variables(plan), coords
    if m == "reduce-direct":
        return _direct_variables(plan, reduced, bins), coords + list(bins)
    return [], coords


def _axis_coords(plan: Plan, kept) -> list:
    """The coordinates of the ``kept`` axes: their values, the integer codes of text
    labels, and the members of zip axes."""
    coords = []
    for axis in plan.axes:
        if axis.name not in kept:
            continue
        coords.append(
            (
                axis.name,
                [axis.name],
                axis.coord,
                {  # no units on text labels (CF)
                    **({} if _is_text(axis.coord) else {"units": axis.units or "1"}),
                    "long_name": axis.long_name,
                },
            )
        )
        if _is_text(axis.coord):
            coords.append(label_codes(axis.name, axis.coord, axis.long_name))
        for key, (vals, units, long_name) in axis.extra_coords.items():
            coords.append((key, [axis.name], vals, {"units": units, "long_name": long_name}))
    return coords


def _point_variables(plan: Plan) -> list:
    """Store mode: every output (and derivative) at every point, and the ``valid`` flag."""
    extra = coordinates_attr(plan, plan.dims)
    shape, chunks = plan.shape, plan.chunks
    variables = [
        (name, list(plan.dims), shape, chunks, plan.dtype, {"units": u, "long_name": ln, **extra})
        for name, u, ln in plan.variables()
    ]
    flags = {  # a flag variable: no units (CF)
        "long_name": "validity of each point: "
        + ", ".join(f"{v} = {text}" for v, _, text in VALID_FLAGS),
        "flag_values": [v for v, _, _ in VALID_FLAGS],
        "flag_meanings": FLAG_MEANINGS,
        **extra,
    }
    return variables + [("valid", list(plan.dims), shape, chunks, "uint8", flags)]


def _direct_variables(plan: Plan, reduced, bins) -> list:
    """Reduce-direct mode: the statistics, chunked as the kept axes are (each chunk's
    statistics are final and written at once)."""
    size = dict(zip(plan.dims, plan.shape, strict=True))
    chunk = dict(zip(plan.dims, plan.chunks, strict=True))
    n_bins = {c[0]: len(c[2]) for c in bins}
    variables = []
    for name, dims, dtype, attrs in reduced:
        shape = tuple(size.get(d) or n_bins[d] for d in dims)
        chunks = tuple(chunk.get(d, n) for d, n in zip(dims, shape, strict=True))
        variables.append((name, dims, shape, chunks, dtype, attrs))
    return variables


def store_attrs(plan: Plan, devices) -> dict:
    """Root attributes of a new sweep store (not yet complete)."""
    return provenance(
        plan, devices, mode=mode(plan), n_chunks=plan.n_chunks, n_points=plan.n_points
    )


def store_bytes(plan: Plan) -> int:
    """Uncompressed bytes of the store's data variables."""
    variables, _ = store_layout(plan)
    return sum(
        math.prod(v[2]) * (np.dtype(v[4]).itemsize if v[4] is not str else 16) for v in variables
    )
