"""Reductions on the device: partial reductions of one step's values, and the state that
accumulates them across chunks without leaving the device.

The state holds the partials of :mod:`ionsweep._stats` per kept cell, counts as
``int32`` and values in the plan's dtype, and chunks merge into it by that module's one
merge rule. The host reads it only when the executor flushes it into its float64
:class:`~ionsweep.sweep._reduce.Accumulator` (at checkpoints and at the end).

A valid point is one whose value is a number: those a store flags ``valid`` 1, and 2
(outside an activity model's validity range: flagged, still counted). At codes 0 and 3 the
kernel sets every output to NaN, so such a point counts for no output.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ionsweep._stats import PARTIALS, as_state, empty_state, merge, needs
from ionsweep.sweep._plan import Plan

__all__ = [
    "init_state",
    "layout",
    "merge_into_state",
    "partials",
    "reduce_block",
    "reduce_clean",
    "split",
]

#: Counts on the device are int32: a flush interval keeps every cell's count below this.
COUNT_LIMIT = 2**31 - 1


def layout(plan: Plan) -> tuple[int, ...]:
    """Order of the plan's dims in a chunk's arrays: the plan's order in store mode; in
    reduce mode the kept dims, then the reduced ones (in ``[reduce] over`` order), so every
    reduction runs over contiguous trailing axes whatever the order of the axes in the
    spec."""
    if plan.reduce is None:
        return tuple(range(len(plan.dims)))
    over = [plan.dims.index(d) for d in plan.reduce.over]
    return tuple(k for k in range(len(plan.dims)) if k not in over) + tuple(over)


def split(plan: Plan) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(kept dims, reduced dims) of a reduce-mode plan, as indices in ``plan.dims``."""
    order = layout(plan)
    n_kept = len(plan.dims) - len(plan.reduction.over)
    return order[:n_kept], order[n_kept:]


def partials(plan: Plan) -> dict[str, bool]:
    """Which partial reductions a plan needs, by kind (see :data:`ionsweep._stats.PARTIALS`):
    only those its statistics use (each is one more pass over the chunk)."""
    kinds = needs(plan.reduce)
    return {k: k in kinds for k in PARTIALS}


#: Below this many points a count is summed in float32, which is exact there (every partial
#: sum is an integer under 2²⁴); XLA:CPU sums floats in one library kernel but an int32 sum
#: of a large block in a tree of five kernels, each compiled separately (more compile time:
#: ``benchmarks/RESULTS.md``, design notes).
FLOAT_COUNT_LIMIT = 1 << 24


def _rows(reduction, a, **kwargs):
    """``reduction`` of each row of ``a`` (cells, block) along its last axis. One row is
    reduced as a vector: XLA:CPU reduces a (1, n) array along its last axis with its own
    loop, slower than a vector to a scalar (which its YNNPACK kernels take)."""
    if a.shape[0] == 1:
        return reduction(a[0], **kwargs)[None]
    return reduction(a, axis=-1, **kwargs)


def _count(mask):
    """Number of true values of ``mask`` along its last axis, as ``int32``."""
    if mask.shape[-1] < FLOAT_COUNT_LIMIT:
        return _rows(jnp.sum, mask.astype(jnp.float32)).astype(jnp.int32)
    return _rows(jnp.sum, mask, dtype=jnp.int32)


def _where(m, v, fill):
    """``v`` where ``m``, else ``fill``; ``v`` itself where there is no mask (``m`` None)."""
    return v if m is None else jnp.where(m, v, fill)


def _and(a, b):
    return b if a is None else a if b is None else a & b


def _inbounds(plan: Plan, lengths):
    """Flat mask of the in-bounds points of a chunk's reduced block, or None where no
    reduced axis can be padded (every chunk of them is whole)."""
    _, over_dims = split(plan)
    if not any(plan.shape[k] % plan.chunks[k] for k in over_dims):
        return None
    inb = jnp.ones(tuple(plan.chunks[k] for k in over_dims), bool)
    for j, k in enumerate(over_dims):
        bshape = [1] * len(over_dims)
        bshape[j] = plan.chunks[k]
        inb &= (jnp.arange(plan.chunks[k]) < lengths[k]).reshape(bshape)
    return inb.reshape(-1)


def reduce_block(plan: Plan, res, lengths, cells: int, keep=None, *, clean: bool = False):
    """Partial reductions over ``plan.reduce.over`` of one step's values, shaped
    ``(cells,) + reduced block`` (masked to in-bounds points).

    ``keep`` (same shape, bool): the points whose outputs are all kept, where a store's
    ``valid`` is 1 or 2 (see the module docstring); without it, each output's finite values.
    ``clean``: every point of the block is in bounds and kept (the caller has checked, see
    :func:`reduce_clean`): the plain reductions, with no mask.

    The reduced axes are flattened into one; ``argmin``/``argmax`` are flat indices into
    the chunk's reduced block. Padding (edge chunks repeat their last value) is masked only
    where it can occur along a reduced axis; along kept axes it is cut off by whoever reads
    the result.
    """
    red = plan.reduction
    kept_shape = (cells,)
    inb = None if clean else _inbounds(plan, lengths)
    need = partials(plan)
    flat = {k: v.reshape(kept_shape + (-1,)) for k, v in res.items()}
    kept = None if keep is None else keep.reshape(kept_shape + (-1,))

    def mask(v):
        """Where ``v`` counts: none (every point) when clean."""
        return None if clean else _and(jnp.isfinite(v) if kept is None else kept, inb)

    out = {}
    for var in plan.outputs:
        v = flat[var]
        m = mask(v)
        size = v.shape[-1]
        n = jnp.full(kept_shape, size, jnp.int32) if m is None else _count(m)
        out[f"{var}/n"] = n
        if need["m2"]:
            # Sums of deviations from a pivot (a valid value of the block where there is
            # one): one pass for the mean and the variance, without cancellation.
            if m is None:
                pivot = v[..., 0]
            else:
                first = jnp.argmax(m, axis=-1)[..., None]
                pivot = jnp.where(jnp.any(m, -1), jnp.take_along_axis(v, first, -1)[..., 0], 0)
            dev = _where(m, v - pivot[..., None], 0)
            s = _rows(jnp.sum, dev)
            safe = jnp.maximum(n, 1)
            out[f"{var}/mean"] = pivot + s / safe
            out[f"{var}/m2"] = jnp.maximum(_rows(jnp.sum, dev * dev) - s * s / safe, 0)
        elif need["mean"]:
            out[f"{var}/mean"] = _rows(jnp.sum, _where(m, v, 0)) / jnp.maximum(n, 1)
        if need["min"]:
            out[f"{var}/min"] = _rows(jnp.min, _where(m, v, jnp.inf))
        if need["max"]:
            out[f"{var}/max"] = _rows(jnp.max, _where(m, v, -jnp.inf))
        if need["argmin"]:
            out[f"{var}/argmin"] = _rows(jnp.argmin, _where(m, v, jnp.inf)).astype(jnp.int32)
        if need["argmax"]:
            out[f"{var}/argmax"] = _rows(jnp.argmax, _where(m, v, -jnp.inf)).astype(jnp.int32)
    for label, var, op, value, use_abs in red.counts:
        v = flat[var]
        v = jnp.abs(v) if use_abs else v
        cond = {">": v > value, ">=": v >= value, "<": v < value, "<=": v <= value}[op]
        out[label] = _count(_and(cond, mask(flat[var])))
    for var, bins, lo, hi in red.histograms:
        v = flat[var]
        m = _and(mask(v), (v >= lo) & (v <= hi))
        b = jnp.clip(jnp.floor((v - lo) / (hi - lo) * bins).astype(jnp.int32), 0, bins - 1)
        size = math.prod(kept_shape)
        row = jnp.arange(size, dtype=jnp.int32).reshape(kept_shape + (1,))
        counts = jnp.bincount(
            (row * bins + b).ravel(), weights=m.ravel().astype(jnp.int32), length=size * bins
        )
        out[f"{var}/hist"] = counts.reshape(kept_shape + (bins,)).astype(jnp.int32)
    return out


def reduce_clean(plan: Plan, res, lengths, cells: int):
    """``(part, clean)``: the plain (unmasked) partial reductions of one step's values, as
    :func:`reduce_block` with ``clean=True``, and whether they are the step's true ones — a
    scalar bool, true where every point of the step is in bounds and every output finite
    there (then every point is kept: the models that mark points with a code at which
    outputs are NaN, ``FLAG_NAN_CODES``, do not take this path).

    Finiteness is read off the plain results themselves, in the same pass: a NaN or an
    infinity anywhere in a cell makes its sum (so its mean) or its min or max non-finite.
    """
    part = reduce_block(plan, res, lengths, cells, clean=True)
    need = partials(plan)
    flat = {k: v.reshape((cells, -1)) for k, v in res.items()}
    clean = jnp.ones((), bool)
    for var in plan.outputs:
        if need["mean"] or need["m2"]:
            probes = [part[f"{var}/mean"]]
        else:
            probes = [
                part[f"{var}/min"] if need["min"] else _rows(jnp.min, flat[var]),
                part[f"{var}/max"] if need["max"] else _rows(jnp.max, flat[var]),
            ]
        for p in probes:
            clean &= jnp.all(jnp.isfinite(p))
    inb = _inbounds(plan, lengths)
    if inb is not None:
        clean &= jnp.all(inb)
    return part, clean


def state_shape(plan: Plan) -> tuple[int, ...]:
    """Shape of the device state over the kept dims: the grid's, padded to whole chunks so
    that every chunk's block lies inside it (the padding is cut off when it is read)."""
    kept, _ = split(plan)
    return tuple(-(-plan.shape[k] // plan.chunks[k]) * plan.chunks[k] for k in kept)


def init_state(plan: Plan) -> dict[str, jax.Array]:
    """An empty device state (every cell holds no point)."""
    return empty_state(jnp, plan, state_shape(plan), jnp.dtype(plan.dtype), jnp.int32)


def merge_into_state(plan: Plan, state: dict, part: dict, starts, active) -> dict:
    """``state`` with one chunk's partial reductions ``part`` (kept shape of a chunk, from
    :func:`reduce_block`) merged in at the chunk's kept block by
    :func:`ionsweep._stats.merge`; ``starts``: the chunk's first index along every
    dim; ``active``: false for a padding chunk (state unchanged)."""
    kept, over = split(plan)
    kept_shape = tuple(plan.chunks[k] for k in kept)
    over_shape = tuple(plan.chunks[k] for k in over)
    at = tuple(starts[k] for k in kept)
    # (with no kept dim, a histogram's bins are the array's only axis: they start at 0 too)
    zero = jnp.zeros((), at[0].dtype if at else jnp.int32)

    def origin(a):
        return at + (zero,) * (a.ndim - len(at))

    current = {
        key: jax.lax.dynamic_slice(a, origin(a), kept_shape + a.shape[len(at) :])
        for key, a in state.items()
    }
    block = as_state(jnp, plan, part, tuple(starts[k] for k in over), over_shape)
    merged = merge(jnp, plan, current, block)
    out = {}
    for key, a in state.items():
        value = jnp.where(active, merged[key], current[key]).astype(a.dtype)
        out[key] = jax.lax.dynamic_update_slice(a, value, origin(a))
    return out


def flush_every(plan: Plan) -> int:
    """Groups of chunks between two reads of the device state by the host: at most 256, at
    most 2³² points, and few enough that no int32 count can overflow (a cell gains at most a
    chunk's reduced block per chunk)."""
    _, over = split(plan)
    block = math.prod(plan.chunks[k] for k in over)
    points = math.prod(plan.chunks)
    return max(1, min(256, 2**32 // points, COUNT_LIMIT // block))
