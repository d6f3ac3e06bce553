"""What the kernel computes for one chunk: the model at its points, with forward-mode
derivatives and the ``valid`` code of every point; in store mode every output at every
point (:func:`store_chunk`), in reduce mode partial reductions of every kept cell, computed
in a loop over steps of cells inside the program (:func:`reduce_chunk_steps`).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.models import FLAG, FLAG_NAN_CODES
from ionsweep.sweep._partials import reduce_block, reduce_clean, split
from ionsweep.sweep._plan import Plan, elasticity_name, grad_name

__all__ = ["reduce_chunk_steps", "store_chunk"]


def _model_fn(plan: Plan):
    """The model's ``fn``, or its ``fn_within_two`` where the model has one and every
    valence input is fixed in the spec at ±1 or ±2."""
    fn = plan.model.fn_within_two
    valences = [i.name for i in plan.model.inputs if i.labels == "ion"]
    if fn is None or not all(v in plan.fixed and abs(plan.fixed[v]) in (1, 2) for v in valences):
        return plan.model.fn
    return fn


def _evaluate(
    plan: Plan, x: dict, shape: tuple[int, ...], derivatives: bool = True, codes: bool = True
):
    """Outputs (and, with ``derivatives``, forward-mode gradients and elasticities) of the
    model on inputs ``x`` that broadcast to ``shape``, cast to the plan's dtype; the
    ``valid`` code of every point, and where the outputs are kept (:func:`_valid_codes`).

    In store mode every variable is NaN where it is not kept. A reduction masks its values
    with ``keep`` itself (one mask shared by every output, not a select per output).
    Without ``codes``: ``(outputs, flag)``, the model's own code unprocessed."""
    fn = _model_fn(plan)

    def model(xx):
        out = fn(xx)
        return {k: jnp.asarray(out[k]) for k in plan.outputs}, out.get(FLAG)

    def f(xx):
        return model(xx)[0]

    out, flag = model(x)
    res = {k: jnp.broadcast_to(v, shape) for k, v in out.items()}
    wrt = dict.fromkeys(plan.grads + plan.elasticities) if derivatives else {}
    for g in wrt:
        # A function of x[g] alone: the other inputs are constants of the derivative, not
        # inputs with zero tangents (whose derivatives XLA would compute, then add as zeros).
        _, dout = jax.jvp(lambda xg, g=g: f({**x, g: xg}), (x[g],), (jnp.ones_like(x[g]),))
        for k in plan.outputs:
            if g in plan.grads:  # no derivative of an undefined value
                d = jnp.where(jnp.isnan(out[k]), jnp.nan, dout[k])
                res[grad_name(k, g)] = jnp.broadcast_to(d, shape)
            if g in plan.elasticities:
                res[elasticity_name(k, g)] = jnp.broadcast_to(x[g] * dout[k] / out[k], shape)
    dtype = jnp.dtype(plan.dtype)
    res = {k: v.astype(dtype) for k, v in res.items()}
    if not codes:
        return res, flag
    valid, keep = _valid_codes(plan, res, flag, shape)
    if plan.reduce is None:  # a reduction takes ``keep`` as its mask instead
        res = {k: jnp.where(keep, v, jnp.nan) for k, v in res.items()}
    return res, valid, keep


def _valid_codes(plan: Plan, res: dict, flag, shape):
    """``(valid, keep)`` at ``shape``: the ``valid`` code of each point (uint8,
    ``ionsweep.models.VALID_FLAGS``) and where its variables are kept.

    ``valid`` is 0 (undefined) where an output is not finite, else the model's own code
    (``flag``: 1, 2 = outside an activity model's validity range, 3 = bath not neutral; 1
    without one), except that a code at which outputs are NaN (3) stands as the reason.
    ``keep`` is false at the codes of :data:`ionsweep.models.FLAG_NAN_CODES`.
    """
    finite = jnp.ones(shape, bool)
    for k in plan.outputs:
        finite &= jnp.isfinite(res[k])
    if flag is None:
        return finite.astype(jnp.uint8), finite
    code = jnp.broadcast_to(jnp.asarray(flag, jnp.uint8), shape)
    # Only the codes the model declares: a reduction over a model that can only say 2 keeps
    # its finite points, and its flag (unused there) is not computed at all.
    nan_codes = [code == c for c in FLAG_NAN_CODES if c in plan.model.flags]
    if not nan_codes:
        return jnp.where(finite, code, jnp.uint8(0)), finite
    nan_code = functools.reduce(jnp.logical_or, nan_codes)
    valid = jnp.where(finite | nan_code, code, jnp.uint8(0))
    return valid, finite & ~nan_code


def store_chunk(plan: Plan, feeds, fixed):
    """Store mode: every output (and derivative) at every point of the chunk, and ``valid``
    (uint8 codes, see :func:`_valid_codes`)."""
    nd = len(plan.axes)
    x = dict(fixed)
    for k, d in enumerate(feeds):
        bshape = [1] * nd
        bshape[k] = plan.chunks[k]
        for name, v in d.items():
            x[name] = v.reshape(bshape)
    res, valid, _ = _evaluate(plan, x, plan.chunks)
    return res, valid


def reduce_chunk_steps(plan: Plan, feeds, fixed, lengths, per: int):
    """Reduce mode: partial reductions for every kept cell of the chunk, computed in a
    ``lax.map`` over steps of ``per`` cells (one step: no loop).

    With one cell per step (a chunk of at most a few thousand cells, each a block of
    ``STEP_POINTS_MIN`` points or more), every cell's kept inputs are gathered before the
    loop, which maps over them: computing them in the loop body from the step number (a
    division, a remainder and a dynamic slice per input) added a dozen tiny kernels to
    compile (``benchmarks/RESULTS.md``, design notes). With
    many small cells per step the body computes its cells' indices, as gathering millions
    of cells' inputs beforehand would cost more than it saves.
    """
    kept, over = split(plan)
    kept_shape = tuple(plan.chunks[k] for k in kept)
    over_shape = tuple(plan.chunks[k] for k in over)
    cells = math.prod(kept_shape)
    steps = -(-cells // per)
    plain_first = _plain_first(plan)
    # One cell per step: its kept inputs are scalars, which XLA compiles faster than the
    # same program over a vector of cells (benchmarks/RESULTS.md, design notes).
    lead = () if per == 1 else (1,)
    cells_shape = (per,) + (1,) * len(over)
    base = dict(fixed)
    for j, k in enumerate(over):
        bshape = [1] * len(over)
        bshape[j] = plan.chunks[k]
        for name, v in feeds[k].items():
            base[name] = v.reshape(lead + tuple(bshape))

    def kept_inputs(cell) -> dict:
        """The kept inputs of cells ``cell`` (integers in [0, cells); NumPy: known when
        tracing, so the indices are constants of the program)."""
        unravel = np.unravel_index if isinstance(cell, np.ndarray) else jnp.unravel_index
        index = unravel(cell, kept_shape) if kept_shape else ()
        return {name: v[index[j]] for j, k in enumerate(kept) for name, v in feeds[k].items()}

    xs: dict | np.ndarray
    if per == 1:
        xs = kept_inputs(np.arange(cells))  # (cells,) each; a step gets its cell's scalars
    else:
        xs = np.arange(steps)

    def step(x_step):
        x = dict(base)
        if per == 1:
            x.update(x_step)
        else:  # the cells of step s: s * per + c; the last step repeats the last cell
            cell = jnp.minimum(x_step * per + jnp.arange(per), cells - 1)
            x.update({k: v.reshape(cells_shape) for k, v in kept_inputs(cell).items()})
        shape = (per,) * (per > 1) + over_shape
        res, flag = _evaluate(plan, x, shape, derivatives=False, codes=False)
        row = (lambda a: a[None]) if per == 1 else (lambda a: a)  # (cells, …)

        def masked():
            keep = row(_valid_codes(plan, res, flag, shape)[1])
            return reduce_block(plan, {k: row(v) for k, v in res.items()}, lengths, per, keep)

        if not plain_first:
            return masked()
        part, clean = reduce_clean(plan, {k: row(v) for k, v in res.items()}, lengths, per)
        return jax.lax.cond(
            clean, lambda: _varying(part, lengths), lambda: _varying(masked(), lengths)
        )

    if steps == 1:
        parts = step(jax.tree.map(lambda a: a[0], xs))
    else:
        parts = jax.lax.map(step, xs)
        parts = {k: v.reshape((steps * per,) + v.shape[2:])[:cells] for k, v in parts.items()}
    return {k: v.reshape(kept_shape + v.shape[1:]) for k, v in parts.items()}


def _varying_axes(x) -> frozenset:
    manual = getattr(jax.typeof(x), "manual_axis_type", None)
    return getattr(manual, "varying", frozenset())


def _varying(tree, like):
    """``tree`` with every leaf varying over the mesh axes ``like`` varies over (inside
    ``shard_map``, both branches of a ``lax.cond`` must agree; a constant, such as the
    point count of a clean block, varies over none). Unchanged outside ``shard_map``."""
    axes = _varying_axes(like)

    def cast(a):
        missing = tuple(sorted(axes - _varying_axes(a)))
        return jax.lax.pcast(a, missing, to="varying") if missing else a

    return jax.tree.map(cast, tree)


def _plain_first(plan: Plan) -> bool:
    """Whether a reduction step reduces plainly first (:func:`~._partials.reduce_clean`),
    and masks only a step holding a NaN, an infinity or padding: not for a model that
    marks points with a code at which its outputs are NaN (the plain pass cannot see
    those)."""
    return not any(c in plan.model.flags for c in FLAG_NAN_CODES if c)
