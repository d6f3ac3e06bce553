"""The one jitted chunk kernel of a sweep.

A run puts each axis's values on its devices once (:func:`axis_feeds`, padded to whole
chunks); a chunk is then named by a small integer array, ``where`` (:func:`chunk_where`), from
which the kernel slices its inputs on the device. Where a plan's feeds are too large to keep
on the device (a sample plan of very many samples), each chunk's slices are sent instead
(:func:`chunk_inputs`) through the same kernel. Feeding it is
:class:`ionsweep.sweep._launch.Launcher`'s work, for local runs and Dask workers alike.

In store mode the kernel returns every output at every point; in reduce mode, partial
reductions over the chunk's reduced block (:mod:`._partials`), or, when accumulating, the
device state with them merged in.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.models import FLAG, FLAG_NAN_CODES
from ionsweep.sweep._axes import Generated
from ionsweep.sweep._chunks import STEP_POINTS_MIN, on_accelerator, step_points
from ionsweep.sweep._partials import merge_into_state, reduce_block, reduce_clean, split
from ionsweep.sweep._plan import Plan, elasticity_name, grad_name

__all__ = [
    "axis_feeds",
    "build_chunk_kernel",
    "build_sharded_kernel",
    "chunk_inputs",
    "chunk_where",
    "feeds_resident",
    "fixed_inputs",
    "shardings",
]

#: Rows of ``where``: offset of the chunk in the feeds the kernel is given, first grid index
#: of the chunk, its length (short at the grid's edge), and whether it is a real chunk (1)
#: or padding of a short group of chunks (0; only column 0 is read).
OFFSET, START, LENGTH, ACTIVE = range(4)

#: Feeds stay on the device for the whole run when they take at most this share of the
#: memory budget; larger ones (huge sample plans) are sent chunk by chunk.
RESIDENT_SHARE = 8


def _padded(values, length: int, dtype, region: slice = slice(None)) -> np.ndarray:
    """``values[region]`` extended to ``length`` by repeating the last value, as ``dtype``;
    of a generated axis (:class:`~._axes.Generated`) only those values are made."""
    if isinstance(values, Generated):
        values = values.values(region.start or 0, region.stop)
    else:
        values = values[region]
    if len(values) < length:
        values = np.concatenate([values, np.repeat(values[-1:], length - len(values))])
    return values.astype(dtype)


def axis_feeds(plan: Plan, dtype) -> list[dict[str, np.ndarray]]:
    """Every axis's feeds, padded to a whole number of chunks by repeating the last value,
    so every chunk's slice has the chunk's length and the kernel compiles once (the padding
    is cut off, or masked, afterwards)."""
    return [
        {name: _padded(v, n * c, dtype) for name, v in axis.feeds.items()}
        for axis, n, c in zip(plan.axes, plan.chunk_grid, plan.chunks, strict=True)
    ]


def feeds_resident(plan: Plan) -> bool:
    """Whether a run keeps the plan's feeds on its devices (see :data:`RESIDENT_SHARE`)."""
    nbytes = sum(
        len(axis.feeds) * n * c * plan.itemsize()
        for axis, n, c in zip(plan.axes, plan.chunk_grid, plan.chunks, strict=True)
    )
    return nbytes <= plan.memory_bytes // RESIDENT_SHARE


def chunk_where(plan: Plan, index, *, resident: bool = True, active: bool = True):
    """``where`` for chunk ``index`` (rows :data:`OFFSET` … :data:`ACTIVE`, int32)."""
    region = plan.chunk_region(index)
    starts = [sl.start for sl in region]
    offsets = starts if resident else [0] * len(region)
    lengths = [sl.stop - sl.start for sl in region]
    return np.asarray([offsets, starts, lengths, [int(active)] * len(region)], np.int32)


def chunk_inputs(plan: Plan, index, dtype):
    """``(feeds, where)`` of chunk ``index`` for a kernel given only that chunk's slices."""
    region = plan.chunk_region(index)
    feeds = [
        {name: _padded(values, c, dtype, sl) for name, values in axis.feeds.items()}
        for axis, sl, c in zip(plan.axes, region, plan.chunks, strict=True)
    ]
    return feeds, chunk_where(plan, index, resident=False)


def _chunk_feeds(plan: Plan, feeds, offsets):
    """The chunk's slice of every feed (a no-op slice where the feeds are the chunk's own)."""
    return [
        {
            name: jax.lax.dynamic_slice_in_dim(v, offsets[k], c) if v.shape[0] != c else v
            for name, v in d.items()
        }
        for k, (d, c) in enumerate(zip(feeds, plan.chunks, strict=True))
    ]


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


def _store_chunk(plan: Plan, feeds, fixed):
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


def _reduce_chunk_steps(plan: Plan, feeds, fixed, lengths, per: int):
    """Reduce mode: partial reductions for every kept cell of the chunk, computed in a
    ``lax.map`` over steps of ``per`` cells (one step: no loop).

    With one cell per step (a chunk of at most a few thousand cells, each a block of
    ``STEP_POINTS_MIN`` points or more), every cell's kept inputs are gathered before the
    loop, which maps over them: computing them in the loop body from the step number (a
    division, a remainder and a dynamic slice per input) added a dozen tiny kernels to
    compile (Nernst over 2·10⁶-point blocks: about 0.1 s of a 0.5 s compile on CPU). With
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
    # same program over a vector of cells (Pitzer ΔE: about 15 %).
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


def cells_per_step(plan: Plan, ops: int | None = None) -> int:
    """Reduce mode: how many cells of kept coordinates the kernel evaluates at once.

    A chunk's kept cells are evaluated in steps of a loop inside the compiled program, each
    step over these cells times the chunk's reduced block: at most ``step_points`` points
    (the memory budget's worth, capped per platform; see ``_chunks``), fewer on CPU for a
    model whose step does ``ops`` operations per point, so the working set is that of one
    step however many kept cells a chunk holds. A reduced block of at least
    ``STEP_POINTS_MIN`` points is a step by itself: the loop is amortized, and the model
    sees its kept inputs as scalars, which compiles faster than a vector of cells.
    """
    kept, over = split(plan)
    cells = math.prod(plan.chunks[k] for k in kept)
    block = math.prod(plan.chunks[k] for k in over)
    if block >= STEP_POINTS_MIN:  # one cell's block is step enough; its inputs are scalars
        return 1
    n_vars = len(plan.variables()) + 1
    points = step_points(n_vars, plan.itemsize(), plan.memory_bytes, plan.device, ops)
    return max(1, min(cells, points // block))


def full_size_ops(jaxpr, size: int) -> int:
    """Operations of a traced program (nested programs included) whose result has ``size``
    elements: those that run once per point of a step, a proxy for its working set (the
    model's work on per-axis or per-side shapes, and the merge, do not count)."""
    from jax._src.core import subjaxprs  # noqa: PLC0415

    def count(jx) -> int:
        own = sum(
            any(getattr(getattr(v, "aval", None), "size", 0) == size for v in eqn.outvars)
            for eqn in jx.eqns
        )
        return own + sum(count(sub) for sub in subjaxprs(jx))

    return count(jaxpr)


#: Compiled kernels of recent plans, by what decides them: the spec text (model, its
#: options, axes, outputs, reductions), the chunk shape, the dtype, the memory budget and
#: device (which set the reduce-mode step), and the kind of kernel.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def _chunk_function(plan: Plan, per: int):
    def kernel(feeds, fixed, where, state=None):
        feeds = _chunk_feeds(plan, feeds, where[OFFSET])
        if plan.reduce is None:
            return _store_chunk(plan, feeds, fixed)
        part = _reduce_chunk_steps(plan, feeds, fixed, where[LENGTH], per)
        if state is None:
            return part
        state = merge_into_state(plan, state, part, where[START], where[ACTIVE, 0] > 0)
        # A small result that is ready when the chunk is done (the state is donated on).
        return state, jnp.sum(part[f"{plan.outputs[0]}/n"])

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


def _sized(plan: Plan, jit_for, example):
    """``jit_for(per)`` (a jitted kernel looping over steps of ``per`` kept cells) at the
    step :func:`cells_per_step` chooses.

    On CPU a step shrinks with the model's per-point work, known only from a trace: the
    kernel is traced on ``example`` (its first call's arguments) at the largest step, and
    traced again only if its per-point operations call for a smaller step. JAX keeps the
    trace, so the first call does not repeat it.
    """
    if plan.reduce is None:
        return jit_for(1)
    per = cells_per_step(plan)
    fn = jit_for(per)
    if per > 1 and not on_accelerator(plan.device):  # else the model cannot change the step
        _, over = split(plan)
        block = math.prod(plan.chunks[k] for k in over)
        fit = cells_per_step(plan, full_size_ops(fn.trace(*example).jaxpr.jaxpr, per * block))
        if fit != per:
            per, fn = fit, jit_for(fit)
    fn.cells_per_step = per  # for tests and benchmarks
    return fn


def build_chunk_kernel(plan: Plan, example):
    """``kernel(feeds, fixed, where[, state])``, jitted; ``example``: the arguments of its
    first call (see :func:`_sized`).

    Returns ``(outputs, valid)`` in store mode and partial reductions in reduce mode; given
    a device ``state`` (from :func:`ionsweep.sweep._partials.init_state`) it returns the
    state with the chunk merged in, and the state passed in is donated (consumed).

    Called with the same shapes for every chunk, so it compiles once per run; a later run of
    the same spec, chunk shape and dtype in the same process (a resume, another shard, a
    repeated ``run_sweep``) reuses it. (A user model module edited and re-imported within one
    process is therefore not seen by a repeated run of the same spec.) The fixed inputs are
    arguments, not compile-time constants: folded constants made XLA's CPU code for 4-ion
    GHK 2.5x slower (``benchmarks/bench_engine.py``).
    """
    accumulate = len(example) > 3
    donate = (3,) if accumulate else ()

    def make():
        return _sized(
            plan,
            lambda per: jax.jit(_chunk_function(plan, per), donate_argnums=donate),
            example,
        )

    return _cached(_key(plan) + (accumulate,), make)


def _over_devices(inner, devices, resident: bool, accumulate: bool):
    """``inner(feeds, fixed, where[, state])`` as one jitted program for all ``devices``:
    ``jax.shard_map`` over a one-axis mesh places entry ``j`` of ``where`` (and of the state,
    and of the feeds unless ``resident``) on device ``j``; results gain that leading axis.
    A state passed in is donated."""
    from jax.sharding import PartitionSpec as P

    def per_device(feeds, fixed, where, *state):
        if not resident:
            feeds = jax.tree.map(lambda a: a[0], feeds)
        state = [jax.tree.map(lambda a: a[0], s) for s in state]
        out = inner(feeds, fixed, where[0], *state)
        return jax.tree.map(lambda a: a[None], out)

    specs = (P() if resident else P("chunk"), P(), P("chunk"))
    body = jax.shard_map(
        per_device,
        mesh=shardings(devices)[0].mesh,
        in_specs=specs + ((P("chunk"),) if accumulate else ()),
        out_specs=P("chunk"),
    )
    return jax.jit(body, donate_argnums=(3,) if accumulate else ())


def build_sharded_kernel(plan: Plan, devices, example, *, resident: bool):
    """The chunk kernel for several devices at once, compiled once for all of them.

    ``kernel(feeds, fixed, where[, state])`` takes ``where`` (and ``state``, and the feeds
    unless ``resident``) stacked along a new leading axis of length ``len(devices)``, one
    chunk per device, and returns results with that leading axis; ``jax.shard_map`` over a
    one-axis mesh of the devices places chunk ``j`` on device ``j``. Resident feeds and the
    fixed inputs are replicated (see :func:`shardings`).
    """
    devices = tuple(devices)
    accumulate = len(example) > 3

    def jit_for(per):
        return _over_devices(_chunk_function(plan, per), devices, resident, accumulate)

    return _cached(
        _key(plan) + (accumulate, resident, devices), lambda: _sized(plan, jit_for, example)
    )


def shardings(devices):
    """``(split, replicated)``: shardings over a one-axis mesh ``chunk`` of ``devices`` that
    place one slice of a leading axis on each device, and a whole copy on each."""
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.asarray(tuple(devices)), ("chunk",))
    return NamedSharding(mesh, P("chunk")), NamedSharding(mesh, P())


def fixed_inputs(plan: Plan) -> dict[str, np.ndarray]:
    """The spec's fixed inputs as arrays of the plan's dtype (the kernel's second argument)."""
    return {k: np.asarray(v, plan.dtype) for k, v in plan.fixed.items()}


def _group_function(plan: Plan, per: int, resident: bool):
    """The chunk kernel over a group of chunks: ``where`` (and the feeds unless
    ``resident``) stacked along a leading group axis, the chunks evaluated one after the
    other in a loop inside the program (each by the same code as a lone chunk), results
    stacked along that axis; a state threads through the loop, chunk by chunk."""
    one = _chunk_function(plan, per)

    def kernel(feeds, fixed, where, state=None):
        xs = where if resident else (feeds, where)

        def args(x):
            return (feeds, x) if resident else x

        if state is None:
            return jax.lax.map(lambda x: one(args(x)[0], fixed, args(x)[1]), xs)

        def body(s, x):
            f, w = args(x)
            return one(f, fixed, w, s)

        state, tokens = jax.lax.scan(body, state, xs)
        return state, tokens[-1]

    return kernel


def build_group_kernel(plan: Plan, devices, example, *, resident: bool):
    """The kernel for a group of chunks per device (:func:`_group_function`), jitted for
    one device or, over several, as one program through ``jax.shard_map`` (as
    :func:`build_sharded_kernel`, with ``where`` stacked ``(devices, group, 4, dims)``);
    ``example``: its first call's arguments. A state passed in is donated."""
    devices = tuple(devices)
    accumulate = len(example) > 3
    donate = (3,) if accumulate else ()
    group = example[2].shape[-3]

    def jit_for(per):
        inner = _group_function(plan, per, resident)
        if len(devices) == 1:
            return jax.jit(inner, donate_argnums=donate)
        return _over_devices(inner, devices, resident, accumulate)

    key = _key(plan) + ("group", group, accumulate, resident, devices)
    return _cached(key, lambda: _sized(plan, jit_for, example))
