"""The one jitted chunk kernel of a sweep: axis slices in, outputs (and reductions) out."""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.sweep._plan import Plan, elasticity_name, grad_name

__all__ = ["build_chunk_kernel", "chunk_inputs"]


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


def _evaluate(plan: Plan, feeds, fixed):
    """Outputs and forward-mode gradients on the chunk grid, each of the chunk's shape."""
    nd = len(plan.axes)
    shape = plan.chunks
    x = {}
    for k, d in enumerate(feeds):
        bshape = [1] * nd
        bshape[k] = shape[k]
        for name, v in d.items():
            x[name] = v.reshape(bshape)
    x.update(fixed)

    def f(xx):
        out = plan.model.fn(xx)
        return {k: jnp.asarray(out[k]) for k in plan.outputs}

    out = f(x)
    res = {k: jnp.broadcast_to(v, shape) for k, v in out.items()}
    for g in dict.fromkeys(plan.grads + plan.elasticities):
        tangent = {k: jnp.zeros_like(v) for k, v in x.items()}
        tangent[g] = jnp.ones_like(x[g])
        _, dout = jax.jvp(f, (x,), (tangent,))
        for k in plan.outputs:
            if g in plan.grads:  # no derivative of an undefined value
                d = jnp.where(jnp.isnan(out[k]), jnp.nan, dout[k])
                res[grad_name(k, g)] = jnp.broadcast_to(d, shape)
            if g in plan.elasticities:
                res[elasticity_name(k, g)] = jnp.broadcast_to(x[g] * dout[k] / out[k], shape)
    valid = jnp.ones(shape, bool)
    for k in plan.outputs:
        valid &= jnp.isfinite(res[k])
    dtype = jnp.dtype(plan.dtype)
    res = {k: v.astype(dtype) for k, v in res.items()}
    return res, valid


def _reduce_chunk(plan: Plan, res, valid, lengths):
    """Per-chunk partial reductions over ``plan.reduce.over`` (masked to in-bounds points)."""
    red = plan.reduce
    nd = len(plan.axes)
    over = tuple(plan.dims.index(d) for d in red.over)
    kept = tuple(k for k in range(nd) if k not in over)
    inb = jnp.ones(plan.chunks, bool)
    for k in range(nd):
        bshape = [1] * nd
        bshape[k] = plan.chunks[k]
        inb &= (jnp.arange(plan.chunks[k]) < lengths[k]).reshape(bshape)
    out = {}
    for var in plan.outputs:
        v = res[var].astype(jnp.float64 if plan.dtype == "float64" else jnp.float32)
        m = inb & jnp.isfinite(v)
        n = jnp.sum(m, axis=over)
        s = jnp.sum(jnp.where(m, v, 0), axis=over)
        mean = s / jnp.maximum(n, 1)
        dev = jnp.where(m, v - jnp.expand_dims(mean, over), 0)
        out[f"{var}/n"] = n
        out[f"{var}/mean"] = mean
        out[f"{var}/m2"] = jnp.sum(dev * dev, axis=over)
        out[f"{var}/min"] = jnp.min(jnp.where(m, v, jnp.inf), axis=over)
        out[f"{var}/max"] = jnp.max(jnp.where(m, v, -jnp.inf), axis=over)
        if "argmin" in red.stats or "argmax" in red.stats:
            perm = kept + over
            vt = jnp.transpose(jnp.where(m, v, jnp.nan), perm)
            flat = vt.reshape(vt.shape[: len(kept)] + (-1,))
            out[f"{var}/argmin"] = jnp.argmin(jnp.where(jnp.isnan(flat), jnp.inf, flat), -1)
            out[f"{var}/argmax"] = jnp.argmax(jnp.where(jnp.isnan(flat), -jnp.inf, flat), -1)
    for label, var, op, value, use_abs in red.counts:
        v = res[var]
        v = jnp.abs(v) if use_abs else v
        cond = {">": v > value, ">=": v >= value, "<": v < value, "<=": v <= value}[op]
        out[label] = jnp.sum(cond & inb & jnp.isfinite(v), axis=over)
    for var, bins, lo, hi in red.histograms:
        v = res[var]
        m = inb & jnp.isfinite(v) & (v >= lo) & (v <= hi)
        b = jnp.clip(jnp.floor((v - lo) / (hi - lo) * bins).astype(jnp.int32), 0, bins - 1)
        kept_shape = tuple(plan.chunks[k] for k in kept)
        kept_index = jnp.zeros(plan.chunks, jnp.int32)
        stride = 1
        for k in reversed(kept):
            bshape = [1] * nd
            bshape[k] = plan.chunks[k]
            kept_index = kept_index + stride * jnp.arange(plan.chunks[k]).reshape(bshape)
            stride *= plan.chunks[k]
        n_kept = int(np.prod(kept_shape)) if kept_shape else 1
        counts = jnp.bincount(
            (kept_index * bins + b).ravel(),
            weights=m.ravel().astype(jnp.int32),
            length=n_kept * bins,
        )
        out[f"{var}/hist"] = counts.reshape(kept_shape + (bins,))
    return out


#: Compiled kernels of recent plans, by what decides them: the spec text (model, its
#: options, axes, outputs, reductions), the chunk shape and the dtype.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def build_chunk_kernel(plan: Plan):
    """``kernel(feeds, fixed, lengths) -> (outputs, valid)`` or partial reductions, jitted.

    Called with the same shapes for every chunk, so it compiles once per run; a later run of
    the same spec, chunk shape and dtype in the same process (a resume, another shard, a
    repeated ``run_sweep``) reuses it. (A user model module edited and re-imported within one
    process is therefore not seen by a repeated run of the same spec.)
    """
    key = (plan.spec_hash, plan.chunks, plan.dtype)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]

    def kernel(feeds, fixed, lengths):
        res, valid = _evaluate(plan, feeds, fixed)
        if plan.reduce is None:
            return res, valid
        return _reduce_chunk(plan, res, valid, lengths)

    _CACHE[key] = jitted = jax.jit(kernel)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return jitted
