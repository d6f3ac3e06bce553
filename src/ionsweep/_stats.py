"""The statistics of a ``[reduce]`` table, each defined once.

A statistic is computed from *partials*, kept per output and per kept cell, that merge
associatively: the count of valid points; the mean and the sum of squared deviations (m2),
merged with the pairwise update of Chan, Golub & LeVeque (1979) and each held as an
unevaluated sum ``hi + lo`` whose ``lo`` carries the rounding error of every merge; the
minimum and maximum, with their positions along every reduced axis; threshold counts and
histogram bins, which add.

:data:`PARTIALS` says, for each kind of partial, its arrays, how one block of values reduces
to it and its bytes per kept cell; :data:`STATISTICS` says which partials each statistic
needs, its final value, its units and its label in the explorer. :func:`merge` is the one
merge rule of every partial; it takes the array namespace as an argument, so the device
(``jax.numpy``, in the plan's dtype) and the host (NumPy, float64) run the same code and
cannot drift apart. Merging is associative and commutative up to rounding of the mean and
m2: counts, histograms, minima, maxima and their positions are exact whatever the order of
the merges (ties go to the first position, comparing positions axis by axis in
``[reduce] over`` order), which is what lets shards and Dask tasks accumulate separately.

The functions take a sweep plan (:class:`ionsweep.sweep.Plan`) and read only its
``reduce``, ``outputs``, ``dims``, ``axes`` and ``model``; this module imports nothing but
NumPy, so the explorer reads its labels without loading JAX.

Adding a statistic is one entry in :data:`STATISTICS` (and a partial in :data:`PARTIALS` if
it needs a new one) and its test: the spec accepts the names of :data:`STATISTICS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PARTIALS",
    "STATISTICS",
    "as_state",
    "cell_bytes",
    "empty_state",
    "finals",
    "merge",
    "needs",
]


@dataclass(frozen=True)
class Partial:
    """One kind of partial state of an output, kept per kept cell."""

    #: Array names in a state (``{v}``: the output; ``{d}``: each reduced dim), with their
    #: kind (``"count"``, ``"value"`` in the state's float dtype, ``"position"``) and fill.
    arrays: tuple[tuple[str, str, float], ...]
    #: Partials this one is merged with (Chan's update needs the count and the mean).
    after: tuple[str, ...] = ()


PARTIALS: dict[str, Partial] = {
    "n": Partial((("{v}/n", "count", 0),)),
    "mean": Partial((("{v}/mean", "value", 0.0), ("{v}/mean_lo", "value", 0.0)), ("n",)),
    "m2": Partial((("{v}/m2", "value", 0.0), ("{v}/m2_lo", "value", 0.0)), ("n", "mean")),
    "min": Partial((("{v}/min", "value", math.inf),)),
    "max": Partial((("{v}/max", "value", -math.inf),)),
    "argmin": Partial((("{v}/argmin/{d}", "position", 0),), ("min",)),
    "argmax": Partial((("{v}/argmax/{d}", "position", 0),), ("max",)),
}


@dataclass(frozen=True)
class Statistic:
    """A statistic the spec's ``[reduce] stats`` may name."""

    #: Partials it is computed from.
    partials: tuple[str, ...]
    #: Its label in the explorer's statistic selector.
    label: str
    #: ``state, output → values`` over the kept cells (NumPy); ``None`` for a position,
    #: which is one variable per reduced axis holding that axis's coordinate.
    final: Callable | None
    #: What it says, for ``long_name``: ``"{stat} of {long_name} over {over}"``.
    describes: str = "{stat} of {long_name} over {over}"


def _std(s, v):
    return np.sqrt((s[f"{v}/m2"] + s[f"{v}/m2_lo"]) / np.maximum(s[f"{v}/n"], 1))


STATISTICS: dict[str, Statistic] = {
    "min": Statistic(("min",), "min", lambda s, v: s[f"{v}/min"]),
    "max": Statistic(("max",), "max", lambda s, v: s[f"{v}/max"]),
    "mean": Statistic(("mean",), "mean", lambda s, v: s[f"{v}/mean"] + s[f"{v}/mean_lo"]),
    "std": Statistic(("mean", "m2"), "std", _std),
    "argmin": Statistic(("min", "argmin"), "position of the min", None),
    "argmax": Statistic(("max", "argmax"), "position of the max", None),
}


def needs(reduce) -> tuple[str, ...]:
    """The partials a reduction keeps per output, in :data:`PARTIALS` order."""
    want = {"n"}
    for stat in reduce.stats:
        want.update(STATISTICS[stat].partials)
    for kind in list(want):
        want.update(PARTIALS[kind].after)
    return tuple(k for k in PARTIALS if k in want)


def _names(kind: str, var: str, over) -> list[tuple[str, str, float]]:
    out = []
    for pattern, role, fill in PARTIALS[kind].arrays:
        dims = over if "{d}" in pattern else ("",)
        out += [(pattern.format(v=var, d=d), role, fill) for d in dims]
    return out


def cell_bytes(reduce, n_outputs: int) -> int:
    """Bytes of a reduction's state per kept cell, at 8 bytes per value (the host's)."""
    per_output = sum(len(_names(k, "v", reduce.over)) for k in needs(reduce))
    return 8 * (per_output * n_outputs + len(reduce.counts) + sum(h[1] for h in reduce.histograms))


def empty_state(xp, plan, shape, value_dtype, count_dtype) -> dict:
    """A state in which every cell of ``shape`` holds no point, built with ``xp``."""
    red = plan.reduce
    state = {}
    dtypes = {"count": count_dtype, "value": value_dtype, "position": count_dtype}
    for var in plan.outputs:
        for kind in needs(red):
            for name, role, fill in _names(kind, var, red.over):
                state[name] = xp.full(shape, fill, dtypes[role])
    for label, *_ in red.counts:
        state[label] = xp.zeros(shape, count_dtype)
    for var, bins, _, _ in red.histograms:
        state[f"{var}/hist"] = xp.zeros(tuple(shape) + (bins,), count_dtype)
    return state


def as_state(xp, plan, block: dict, starts, over_shape) -> dict:
    """One block's partial reductions (from
    :func:`~ionsweep.sweep._partials.reduce_block`) in the form of a state: ``lo`` parts
    zero, positions as indices along each reduced axis of the grid (``starts``: the
    block's first index along each reduced axis)."""
    red = plan.reduce
    state = dict(block)
    for key in [k for k in block if k.endswith(("/mean", "/m2"))]:
        state[f"{key}_lo"] = xp.zeros_like(block[key])
    for key in [k for k in block if k.endswith(("/argmin", "/argmax"))]:
        local = xp.unravel_index(state.pop(key), over_shape)
        for d, start, index in zip(red.over, starts, local, strict=True):
            state[f"{key}/{d}"] = index + start
    return state


def _two_sum(a, b):
    """``a + b`` and its rounding error, exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _first_position(xp, a: list, b: list):
    """Where position ``a`` comes before position ``b`` (compared axis by axis)."""
    before = xp.zeros(a[0].shape, bool)
    tied = xp.ones(a[0].shape, bool)
    for i, j in zip(a, b, strict=True):
        before = before | (tied & (i < j))
        tied = tied & (i == j)
    return before


def _merge_moments(xp, var: str, kinds, a: dict, b: dict, out: dict) -> None:
    """Chan's pairwise update of the mean (and m2) of ``a`` with those of ``b``; a cell of
    ``a`` holding no point takes ``b``'s values unchanged."""
    na, nb = a[f"{var}/n"], b[f"{var}/n"]
    mean, mean_lo = f"{var}/mean", f"{var}/mean_lo"
    dtype = a[mean].dtype
    fa, fb = na.astype(dtype), nb.astype(dtype)
    safe = xp.maximum(na + nb, 1).astype(dtype)
    empty = na == 0
    delta = (b[mean] - a[mean]) + (b[mean_lo] - a[mean_lo])
    hi, err = _two_sum(a[mean], delta * (fb / safe))
    out[mean] = xp.where(empty, b[mean], hi)
    out[mean_lo] = xp.where(empty, b[mean_lo], a[mean_lo] + err)
    if "m2" in kinds:
        m2, m2_lo = f"{var}/m2", f"{var}/m2_lo"
        term = (b[m2] + b[m2_lo]) + delta * delta * (fa * (fb / safe))
        hi, err = _two_sum(a[m2], term)
        out[m2] = xp.where(empty, b[m2], hi)
        out[m2_lo] = xp.where(empty, b[m2_lo], a[m2_lo] + err)


def _merge_extremum(xp, var: str, kind: str, kinds, over, a: dict, b: dict, out: dict) -> None:
    """The lesser (``min``) or greater (``max``) value, and its position; on a tie, the
    first position."""
    key = f"{var}/{kind}"
    new, cur = b[key], a[key]
    take = (xp.less if kind == "min" else xp.greater)(new, cur)
    if f"arg{kind}" in kinds:
        keys = [f"{var}/arg{kind}/{d}" for d in over]
        first = _first_position(xp, [b[k] for k in keys], [a[k] for k in keys])
        take = take | ((new == cur) & first)
        for k in keys:
            out[k] = xp.where(take, b[k], a[k])
    out[key] = xp.where(take, new, cur)


def merge(xp, plan, a: dict, b: dict) -> dict:
    """The state holding the points of states ``a`` and ``b`` (over the same cells), built
    with ``xp`` (``numpy`` or ``jax.numpy``); the one merge rule of every partial."""
    red = plan.reduce
    kinds = needs(red)
    out: dict[str, Any] = {}
    for var in plan.outputs:
        if "mean" in kinds:
            _merge_moments(xp, var, kinds, a, b, out)
        for kind in ("min", "max"):
            if kind in kinds:
                _merge_extremum(xp, var, kind, kinds, red.over, a, b, out)
        out[f"{var}/n"] = a[f"{var}/n"] + b[f"{var}/n"]
    for key in [label for label, *_ in red.counts] + [f"{h[0]}/hist" for h in red.histograms]:
        out[key] = a[key] + b[key]
    return out


def finals(plan, state: dict, kept_dims) -> dict:
    """The statistics of a (host) state: name → (values, dims, units, long_name)."""
    red = plan.reduce
    over_txt = ", ".join(red.over)
    out = {}
    for var in plan.outputs:
        o = plan.model.output(var)
        n = state[f"{var}/n"]
        empty = n == 0
        out[f"{var}_count"] = (
            n,
            kept_dims,
            "1",
            f"number of valid points of {var} over {over_txt}",
        )
        for stat in red.stats:
            entry = STATISTICS[stat]
            if entry.final is not None:
                text = entry.describes.format(stat=stat, long_name=o.long_name, over=over_txt)
                values = np.where(empty, np.nan, entry.final(state, var))
                out[f"{var}_{stat}"] = (values, kept_dims, o.units, text)
                continue
            for d in red.over:
                axis = plan.axes[plan.dims.index(d)]
                coord = np.take(axis.coord, state[f"{var}/{stat}/{d}"])
                if coord.dtype.kind == "f":
                    coord = np.where(empty, np.nan, coord)
                text = f"{d} at the {stat[3:]} of {o.long_name}"
                out[f"{var}_{stat}_{d}"] = (coord, kept_dims, axis.units, text)
    for label, var, op, value, use_abs in red.counts:
        expr = f"{'|' + var + '|' if use_abs else var} {op} {value:g}"
        text = f"number of points with {expr} over {over_txt}"
        out[label] = (state[label], kept_dims, "1", text)
    for var, bins, lo, hi in red.histograms:
        o = plan.model.output(var)
        text = f"histogram of {o.long_name} ({bins} bins in [{lo:g}, {hi:g}] {o.units})"
        out[f"{var}_hist"] = (state[f"{var}/hist"], kept_dims + (f"{var}_bin",), "1", text)
    return out
