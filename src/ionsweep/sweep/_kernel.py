"""The one jitted chunk kernel of a sweep: axis slices in, outputs (and reductions) out."""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.physics.ghk import valences_within_two
from ionsweep.sweep._chunks import on_accelerator, step_points
from ionsweep.sweep._plan import Plan, elasticity_name, grad_name

__all__ = ["build_chunk_kernel", "build_sharded_kernel", "chunk_inputs"]


def chunk_inputs(plan: Plan, index, dtype):
    """Per-dimension feeds for chunk ``index``: 1-D slices padded to the full chunk length.

    Edge chunks are padded by repeating the last value, so every chunk has one shape and
    the kernel compiles once; the padding is cut off (or masked) afterwards.
    """
    region = plan.chunk_region(index)
    feeds = []
    for axis, sl, c in zip(plan.axes, region, plan.chunks, strict=True):
        d = {}
        for name, values in axis.feeds.items():
            v = values[sl]
            if len(v) < c:
                v = np.concatenate([v, np.repeat(v[-1:], c - len(v))])
            d[name] = v.astype(dtype)
        feeds.append(d)
    lengths = np.asarray([sl.stop - sl.start for sl in region], np.int32)
    return feeds, lengths


def layout(plan: Plan) -> tuple[int, ...]:
    """Order of the plan's dims in a chunk's arrays: the plan's order in store mode; in
    reduce mode the kept dims, then the reduced ones (in ``[reduce] over`` order), so every
    reduction runs over contiguous trailing axes whatever the order of the axes in the
    spec."""
    if plan.reduce is None:
        return tuple(range(len(plan.dims)))
    over = [plan.dims.index(d) for d in plan.reduce.over]
    return tuple(k for k in range(len(plan.dims)) if k not in over) + tuple(over)


def _valences_within_two(plan: Plan) -> bool:
    """Whether every valence a built-in model sees is fixed in the spec at ±1 or ±2."""
    if ":" in plan.model.name:
        return False  # a user's model may compute valences of its own
    valences = [i.name for i in plan.model.inputs if i.labels == "ion"]
    return all(v in plan.fixed and abs(plan.fixed[v]) in (1.0, 2.0) for v in valences)


def _evaluate(plan: Plan, x: dict, shape: tuple[int, ...], derivatives: bool = True):
    """Outputs (and, with ``derivatives``, forward-mode gradients and elasticities) of the
    model on inputs ``x`` that broadcast to ``shape``, cast to the plan's dtype."""
    hint = valences_within_two if _valences_within_two(plan) else contextlib.nullcontext

    def f(xx):
        with hint():
            out = plan.model.fn(xx)
        return {k: jnp.asarray(out[k]) for k in plan.outputs}

    out = f(x)
    res = {k: jnp.broadcast_to(v, shape) for k, v in out.items()}
    wrt = dict.fromkeys(plan.grads + plan.elasticities) if derivatives else {}
    for g in wrt:
        tangent = {k: jnp.zeros_like(v) for k, v in x.items()}
        tangent[g] = jnp.ones_like(x[g])
        _, dout = jax.jvp(f, (x,), (tangent,))
        for k in plan.outputs:
            if g in plan.grads:  # no derivative of an undefined value
                d = jnp.where(jnp.isnan(out[k]), jnp.nan, dout[k])
                res[grad_name(k, g)] = jnp.broadcast_to(d, shape)
            if g in plan.elasticities:
                res[elasticity_name(k, g)] = jnp.broadcast_to(x[g] * dout[k] / out[k], shape)
    dtype = jnp.dtype(plan.dtype)
    return {k: v.astype(dtype) for k, v in res.items()}


def _store_chunk(plan: Plan, feeds, fixed):
    """Store mode: every output (and derivative) at every point of the chunk, and ``valid``."""
    nd = len(plan.axes)
    x = dict(fixed)
    for k, d in enumerate(feeds):
        bshape = [1] * nd
        bshape[k] = plan.chunks[k]
        for name, v in d.items():
            x[name] = v.reshape(bshape)
    res = _evaluate(plan, x, plan.chunks)
    valid = jnp.ones(plan.chunks, bool)
    for k in plan.outputs:
        valid &= jnp.isfinite(res[k])
    return res, valid


def cells_per_step(plan: Plan) -> int:
    """Reduce mode: how many cells of kept coordinates the kernel evaluates at once.

    A chunk's kept cells are evaluated in steps of a loop inside the compiled program, each
    step over these cells times the chunk's reduced block, at most ``STEP_POINTS_CPU`` points
    on CPU (see ``_chunks``; or the memory budget's worth), so the working set is that of
    one step however many kept cells a chunk holds.
    """
    kept, over = _split(plan)
    cells = math.prod(plan.chunks[k] for k in kept)
    block = math.prod(plan.chunks[k] for k in over)
    n_vars = len(plan.variables()) + 1
    args = (n_vars, plan.itemsize(), plan.memory_bytes, plan.device)
    largest = step_points(*args)  # the model's size can only shrink the step from here
    if cells == 1 or largest // block <= 1:
        return 1  # one cell per step whatever the model: no need to trace it
    if on_accelerator(plan.device):  # the step does not depend on the model there
        return min(cells, largest // block)
    return max(1, min(cells, step_points(*args, model_ops(plan)) // block))


def model_ops(plan: Plan) -> int:
    """Operations in the model's traced program, nested programs included (a proxy for its
    working set per point), from a trace on a one-point input; cached per spec."""
    key = (plan.spec_hash, plan.dtype)
    if key not in _OPS:
        from jax._src.core import subjaxprs  # noqa: PLC0415

        def count(jaxpr) -> int:
            return len(jaxpr.eqns) + sum(count(sub) for sub in subjaxprs(jaxpr))

        dtype = jnp.dtype(plan.dtype)
        x = {k: np.asarray(v, dtype) for k, v in plan.fixed.items()}
        for axis in plan.axes:
            x.update({k: np.asarray(v[:1], dtype) for k, v in axis.feeds.items()})
        shape = (1,) * len(plan.axes)
        traced = jax.make_jaxpr(lambda xx: _evaluate(plan, xx, shape, derivatives=False))(x)
        _OPS[key] = count(traced.jaxpr)
    return _OPS[key]


_OPS: dict = {}


def _split(plan: Plan) -> tuple[tuple[int, ...], tuple[int, ...]]:
    order = layout(plan)
    n_kept = len(plan.dims) - len(plan.reduce.over)
    return order[:n_kept], order[n_kept:]


def _reduce_chunk_steps(plan: Plan, feeds, fixed, lengths):
    """Reduce mode: partial reductions for every kept cell of the chunk, computed in a
    ``lax.map`` over steps of :func:`cells_per_step` cells (one step: no loop)."""
    kept, over = _split(plan)
    kept_shape = tuple(plan.chunks[k] for k in kept)
    over_shape = tuple(plan.chunks[k] for k in over)
    cells = math.prod(kept_shape)
    per = cells_per_step(plan)
    steps = -(-cells // per)
    base = dict(fixed)
    for j, k in enumerate(over):
        bshape = [1] * (1 + len(over))
        bshape[1 + j] = plan.chunks[k]
        for name, v in feeds[k].items():
            base[name] = v.reshape(bshape)

    def step(s):
        cell = jnp.minimum(s * per + jnp.arange(per), cells - 1)  # the last step repeats
        index = jnp.unravel_index(cell, kept_shape) if kept_shape else ()
        x = dict(base)
        for j, k in enumerate(kept):
            for name, v in feeds[k].items():
                x[name] = v[index[j]].reshape((per,) + (1,) * len(over))
        res = _evaluate(plan, x, (per,) + over_shape, derivatives=False)
        return _reduce_block(plan, res, lengths, per)

    if steps == 1:
        parts = step(0)
    else:
        parts = jax.lax.map(step, jnp.arange(steps))
        parts = {k: v.reshape((steps * per,) + v.shape[2:])[:cells] for k, v in parts.items()}
    return {k: v.reshape(kept_shape + v.shape[1:]) for k, v in parts.items()}


def partials(plan: Plan) -> dict[str, bool]:
    """Which partial reductions a plan needs, by kind: only those its statistics use (each
    is one more pass over the chunk)."""
    stats = set(plan.reduce.stats)
    return {
        "mean": bool(stats & {"mean", "std"}),
        "m2": "std" in stats,
        "min": bool(stats & {"min", "argmin"}),
        "max": bool(stats & {"max", "argmax"}),
        "argmin": "argmin" in stats,
        "argmax": "argmax" in stats,
    }


def _reduce_block(plan: Plan, res, lengths, cells: int):
    """Partial reductions over ``plan.reduce.over`` of one step's values, shaped
    ``(cells,) + reduced block`` (masked to in-bounds points).

    The reduced axes are flattened into one. Padding (edge chunks repeat their last value)
    is masked only where it can occur along a reduced axis; along kept axes it is cut off on
    the host.
    """
    red = plan.reduce
    _, over_dims = _split(plan)
    kept_shape = (cells,)
    inb = None
    if any(plan.shape[k] % plan.chunks[k] for k in over_dims):
        inb = jnp.ones(tuple(plan.chunks[k] for k in over_dims), bool)
        for j, k in enumerate(over_dims):
            bshape = [1] * len(over_dims)
            bshape[j] = plan.chunks[k]
            inb &= (jnp.arange(plan.chunks[k]) < lengths[k]).reshape(bshape)
        inb = inb.reshape(-1)
    need = partials(plan)
    flat = {k: v.reshape(kept_shape + (-1,)) for k, v in res.items()}
    out = {}
    for var in plan.outputs:
        v = flat[var]
        m = jnp.isfinite(v) if inb is None else jnp.isfinite(v) & inb
        n = jnp.sum(m, axis=-1)
        out[f"{var}/n"] = n
        if need["m2"]:
            # Sums of deviations from a pivot (a valid value of the block where there is
            # one): one pass for the mean and the variance, without cancellation.
            first = jnp.argmax(m, axis=-1)[..., None]
            pivot = jnp.where(jnp.any(m, -1), jnp.take_along_axis(v, first, -1)[..., 0], 0)
            dev = jnp.where(m, v - pivot[..., None], 0)
            s = jnp.sum(dev, axis=-1)
            safe = jnp.maximum(n, 1)
            out[f"{var}/mean"] = pivot + s / safe
            out[f"{var}/m2"] = jnp.maximum(jnp.sum(dev * dev, axis=-1) - s * s / safe, 0)
        elif need["mean"]:
            out[f"{var}/mean"] = jnp.sum(jnp.where(m, v, 0), axis=-1) / jnp.maximum(n, 1)
        if need["min"]:
            out[f"{var}/min"] = jnp.min(jnp.where(m, v, jnp.inf), axis=-1)
        if need["max"]:
            out[f"{var}/max"] = jnp.max(jnp.where(m, v, -jnp.inf), axis=-1)
        if need["argmin"]:
            out[f"{var}/argmin"] = jnp.argmin(jnp.where(m, v, jnp.inf), -1)
        if need["argmax"]:
            out[f"{var}/argmax"] = jnp.argmax(jnp.where(m, v, -jnp.inf), -1)
    for label, var, op, value, use_abs in red.counts:
        v = flat[var]
        v = jnp.abs(v) if use_abs else v
        cond = {">": v > value, ">=": v >= value, "<": v < value, "<=": v <= value}[op]
        if inb is not None:
            cond &= inb
        out[label] = jnp.sum(cond & jnp.isfinite(v), axis=-1)
    for var, bins, lo, hi in red.histograms:
        v = flat[var]
        m = jnp.isfinite(v) & (v >= lo) & (v <= hi)
        if inb is not None:
            m &= inb
        b = jnp.clip(jnp.floor((v - lo) / (hi - lo) * bins).astype(jnp.int32), 0, bins - 1)
        size = math.prod(kept_shape)
        row = jnp.arange(size, dtype=jnp.int32).reshape(kept_shape + (1,))
        counts = jnp.bincount(
            (row * bins + b).ravel(), weights=m.ravel().astype(jnp.int32), length=size * bins
        )
        out[f"{var}/hist"] = counts.reshape(kept_shape + (bins,))
    return out


#: Compiled kernels of recent plans, by what decides them: the spec text (model, its
#: options, axes, outputs, reductions), the chunk shape, the dtype, and the memory budget
#: and device (which set the reduce-mode step).
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def _chunk_function(plan: Plan):
    def kernel(feeds, fixed, lengths):
        if plan.reduce is None:
            return _store_chunk(plan, feeds, fixed)
        return _reduce_chunk_steps(plan, feeds, fixed, lengths)

    return kernel


def _cached(key, make):
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    _CACHE[key] = value = make()
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _key(plan: Plan) -> tuple:
    return (plan.spec_hash, plan.chunks, plan.dtype, plan.memory_bytes, plan.device)


def build_chunk_kernel(plan: Plan):
    """``kernel(feeds, fixed, lengths) -> (outputs, valid)`` or partial reductions, jitted.

    Called with the same shapes for every chunk, so it compiles once per run; a later run of
    the same spec, chunk shape and dtype in the same process (a resume, another shard, a
    repeated ``run_sweep``) reuses it. (A user model module edited and re-imported within one
    process is therefore not seen by a repeated run of the same spec.) The fixed inputs are
    arguments, not compile-time constants: folded constants made XLA's CPU code for 4-ion
    GHK 2.5x slower (``benchmarks/bench_engine.py``).
    """
    return _cached(_key(plan), lambda: jax.jit(_chunk_function(plan)))


def build_sharded_kernel(plan: Plan, devices):
    """The chunk kernel for several devices at once, compiled once for all of them.

    ``kernel(feeds, fixed, lengths)`` takes every feed and ``lengths`` stacked along a new
    leading axis of length ``len(devices)`` (one chunk per device) and returns results with
    that leading axis; ``jax.shard_map`` over a one-axis mesh of the devices places chunk
    ``j`` on device ``j``. The fixed inputs are replicated.
    """
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    devices = tuple(devices)

    def make():
        mesh = Mesh(np.asarray(devices), ("chunk",))
        inner = _chunk_function(plan)

        def per_device(feeds, fixed, lengths):
            out = inner(jax.tree.map(lambda a: a[0], feeds), fixed, lengths[0])
            return jax.tree.map(lambda a: a[None], out)

        body = jax.shard_map(
            per_device,
            mesh=mesh,
            in_specs=(P("chunk"), P(), P("chunk")),
            out_specs=P("chunk"),
        )
        return jax.jit(body), NamedSharding(mesh, P("chunk")), NamedSharding(mesh, P())

    return _cached(_key(plan) + (devices,), make)


def fixed_inputs(plan: Plan) -> dict[str, np.ndarray]:
    """The spec's fixed inputs as arrays of the plan's dtype (the kernel's second argument)."""
    return {k: np.asarray(v, plan.dtype) for k, v in plan.fixed.items()}
