"""The one jitted chunk kernel of a sweep: built, sized and cached.

A run puts each axis's values on its devices once; a chunk is then named by a small integer
array, ``where``, from which the kernel slices its inputs on the device (:mod:`._feeds`).
Feeding it is :class:`ionsweep.sweep._launch.Launcher`'s work, for local runs and Dask
workers alike.

In store mode the kernel returns every output at every point; in reduce mode, partial
reductions over the chunk's reduced block (:mod:`._chunk_eval`, :mod:`._partials`), or,
when accumulating, the device state with them merged in. A reduce-mode step evaluates
:func:`cells_per_step` kept cells at once. The kernel is jitted for one device, for several
through ``jax.shard_map``, or over a group of chunks in a loop, and kept for later runs of
the same plan.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.sweep._chunk_eval import reduce_chunk_steps, store_chunk
from ionsweep.sweep._chunks import STEP_POINTS_MIN, on_accelerator, step_points
from ionsweep.sweep._feeds import ACTIVE, LENGTH, OFFSET, START, chunk_feeds
from ionsweep.sweep._partials import merge_into_state, split
from ionsweep.sweep._plan import Plan

__all__ = [
    "build_chunk_kernel",
    "build_group_kernel",
    "build_sharded_kernel",
    "cells_per_step",
    "shardings",
]


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
        feeds = chunk_feeds(plan, feeds, where[OFFSET])
        if plan.reduce is None:
            return store_chunk(plan, feeds, fixed)
        part = reduce_chunk_steps(plan, feeds, fixed, where[LENGTH], per)
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
    GHK slower (``benchmarks/RESULTS.md``, design notes).
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
        state = tuple(jax.tree.map(lambda a: a[0], s) for s in state)
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
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    mesh = Mesh(np.asarray(tuple(devices)), ("chunk",))
    return NamedSharding(mesh, P("chunk")), NamedSharding(mesh, P())


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
