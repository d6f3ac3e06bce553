"""Sweep specs (TOML) → validated, immutable :class:`Plan`; every error names its field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ionsweep import _cpu
from ionsweep._stats import cell_bytes
from ionsweep.models import Model, UserModelError
from ionsweep.sweep._axes import Generated
from ionsweep.sweep._chunks import (
    choose_chunks,
    format_bytes,
    parse_bytes,
)
from ionsweep.sweep._plan import (
    MAX_CHUNK_POINTS,
    MAX_POINTS,
    Axis,
    Plan,
    Reduction,
    chunk_count_refusal,
    count_text,
    mode,
)
from ionsweep.sweep._spec_text import load_header, no_unknown, read_spec, spec_text
from ionsweep.sweep._spec_values import (
    check_domain,
    name_list,
    parse_axis,
    parse_reduce,
    resolve_key,
)

__all__ = ["load_spec", "parse_spec"]

_TOP_KEYS = {"title", "description", "model", "axes", "fixed", "outputs", "run", "reduce",
             "activity"}  # fmt: skip
_RUN_KEYS = {"dtype", "memory", "chunks", "device"}
_OUTPUT_KEYS = {"variables", "grad", "elasticity"}


def load_spec(
    path: str | Path,
    *,
    dtype: str | None = None,
    memory: str | None = None,
    device: str | None = None,
    plan_only: bool = False,
) -> Plan:
    """Read and validate the TOML spec at ``path``; command-line overrides win over [run].
    ``plan_only`` (a dry run) accepts a plan of more chunks than one run handles
    (:func:`chunk_count_refusal` says why it would not run)."""
    path = Path(path)
    text = read_spec(path)
    return parse_spec(
        text, source=str(path), dtype=dtype, memory=memory, device=device, plan_only=plan_only
    )


def parse_spec(
    text: str | Mapping,
    source: str = "<spec>",
    *,
    dtype: str | None = None,
    memory: str | None = None,
    device: str | None = None,
    plan_only: bool = False,
) -> Plan:
    """Validate spec ``text`` (TOML, or the spec as nested dicts) and build the plan.
    Raises :class:`SpecError` naming the field on any problem (see :func:`load_spec` for
    ``plan_only``)."""
    _cpu.configure()  # before a user's model or the chunk choice starts JAX's backend
    spec, model, model_tbl, options, fail = load_header(text, source, _TOP_KEYS)

    axes_tbl = spec.get("axes", {})
    fixed_tbl = spec.get("fixed", {})
    if not isinstance(axes_tbl, Mapping) or not isinstance(fixed_tbl, Mapping):
        fail("[axes]/[fixed]", "must be tables")
    if not axes_tbl:
        fail("[axes]", "at least one axis is required")

    axes: list[Axis] = []
    seen: dict[str, str] = {}
    for name, value in axes_tbl.items():
        axis = parse_axis(model, name, value, f"[axes] {name}", fail)
        for inp in axis.feeds:
            if inp in seen:
                fail(f"[axes] {name}", f"input {inp!r} is already set by {seen[inp]}")
            seen[inp] = f"[axes] {name}"
        axes.append(axis)

    fixed = parse_fixed(
        model,
        fixed_tbl,
        seen,
        fail,
        list_hint="; sweep it in [axes]",
        missing_hint="sweep it in [axes] or set it in [fixed]",
    )

    out_tbl = spec.get("outputs", {})
    no_unknown(out_tbl, _OUTPUT_KEYS, "[outputs]", fail)
    outputs = parse_output_names(model, out_tbl, fail)
    grads = []
    for g in _name_list(out_tbl, "grad", "[outputs] grad", fail):
        inp_name = "T" if g == "celsius" else g
        if inp_name in grads:
            fail("[outputs] grad", f"{g!r} names input {inp_name!r} twice")
        if inp_name not in model.input_names:
            fail("[outputs] grad", f"{g!r} is not an input of model {model.name!r}")
        inp = model.input(inp_name)
        if not inp.differentiable:
            fail("[outputs] grad", f"{g!r} is categorical/discrete; no gradient is defined")
        grads.append(inp_name)
    elasticities = []
    for g in _name_list(out_tbl, "elasticity", "[outputs] elasticity", fail):
        inp_name = "T" if g == "celsius" else g
        if inp_name in elasticities:
            fail("[outputs] elasticity", f"{g!r} names input {inp_name!r} twice")
        if inp_name not in model.input_names:
            fail("[outputs] elasticity", f"{g!r} is not an input of model {model.name!r}")
        if not model.input(inp_name).differentiable:
            fail("[outputs] elasticity", f"{g!r} is categorical/discrete; no elasticity")
        elasticities.append(inp_name)

    run = spec.get("run", {})
    no_unknown(run, _RUN_KEYS, "[run]", fail)
    dtype, device = parse_run_settings(run, fail, dtype, device)
    try:
        if isinstance(run.get("memory"), bool):
            raise ValueError(f"a size is a number or text such as '2GB', not {run['memory']!r}")
        memory_bytes = parse_bytes(memory or run.get("memory", "1GB"))
    except ValueError as exc:
        fail("memory budget" if memory else "[run] memory", str(exc))

    reduce = parse_reduce(spec.get("reduce"), [a.name for a in axes], outputs, fail)
    shape = tuple(a.size for a in axes)
    if math.prod(shape) > MAX_POINTS:  # Python integers: exact at any size
        fail(
            "[axes]",
            f"the grid of {count_text(math.prod(shape))} points is more than a store indexes "
            f"({MAX_POINTS:,}); sweep fewer points, or split the sweep",
        )
    n_vars = len(outputs) * (1 + len(grads) + len(elasticities)) + 1
    chunk_req = run.get("chunks", {})
    if not isinstance(chunk_req, Mapping):
        fail("[run] chunks", "must be a table such as { c_out = 10 }")
    for k in chunk_req:
        if k not in [a.name for a in axes]:
            fail("[run] chunks", f"{k!r} is not an axis")
        v = chunk_req[k]
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            fail(f"[run] chunks {k}", f"must be a positive integer, got {v!r}")
    chunks = choose_chunks(
        shape,
        [a.name for a in axes],
        n_vars,
        np.dtype(dtype).itemsize,
        memory_bytes,
        chunk_req,
        first=reduce.over if reduce else (),
        device=device,
        cell_bytes=reduce_cell_bytes(reduce, len(outputs)) if reduce else 0,
    )

    _check_chunks(shape, chunks, bool(chunk_req), fail, plan_only)
    if reduce is not None:
        _check_kept_state(axes, chunks, reduce, len(outputs), memory_bytes, fail)
    check_model_evaluates(model, outputs, fail)

    values = {k: np.asarray(v) for k, v in fixed.items()}
    # A generated axis shows its least and greatest values (what the checks compare).
    values.update({k: _checked_values(v) for a in axes for k, v in a.feeds.items()})
    refusal = model.refusal(values)  # inputs no point can take (a bath with a net charge)
    if refusal is not None:
        fail(*refusal)

    plan = Plan(
        warnings=model.range_warnings(values),
        spec_text=spec_text(spec, text),
        source=source,
        title=str(spec.get("title", "")),
        model=model,
        model_name=str(model_tbl["name"]),
        model_options=options,
        axes=tuple(axes),
        fixed=fixed,
        outputs=outputs,
        grads=tuple(grads),
        dtype=dtype,
        chunks=chunks,
        memory_bytes=memory_bytes,
        device=device,
        reduce=reduce,
        elasticities=tuple(elasticities),
    )
    check_store_names(plan, fail)
    return plan


def _checked_values(v) -> np.ndarray:
    return v.extremes() if isinstance(v, Generated) else np.asarray(v)


def _check_chunks(shape, chunks, requested: bool, fail, plan_only: bool = False) -> None:
    """Refuse a grid of more chunks than one run handles (unless ``plan_only``), or chunks
    larger than the kernel indexes."""
    refusal = chunk_count_refusal(shape, chunks)
    if refusal and not plan_only:
        fail("[run] memory", refusal)
    if math.prod(chunks) > MAX_CHUNK_POINTS:
        fail(
            "[run] chunks" if requested else "[run] memory",
            f"a chunk of {' × '.join(map(str, chunks))} = {math.prod(chunks):,} points is "
            f"more than the engine handles in one chunk ({MAX_CHUNK_POINTS:,}); ask for "
            "smaller chunks",
        )


def _check_kept_state(axes, chunks, reduce: Reduction, n_outputs: int, memory_bytes, fail):
    """Refuse a reduction accumulated over chunks whose statistics of the whole kept grid
    (held on the devices and the host for the whole run) exceed the memory budget."""
    over = [k for k, a in enumerate(axes) if a.name in reduce.over]
    if all(chunks[k] == axes[k].size for k in over):
        return  # each chunk's statistics are final and written at once
    cells = math.prod(a.size for k, a in enumerate(axes) if k not in over)
    need = cells * reduce_cell_bytes(reduce, n_outputs)
    if need > memory_bytes:
        fail(
            "[reduce]",
            f"the statistics of {cells:,} kept points ({format_bytes(need)}, histogram bins "
            f"included) are accumulated over chunks and need more than the memory budget "
            f"({format_bytes(memory_bytes)}); reduce over more axes, use fewer bins, or raise "
            "the memory budget",
        )


def check_store_names(plan: Plan, fail) -> None:
    """Refuse a plan whose store would hold two things of one name (an axis named like an
    output or like ``valid``, a zip member named like another axis, …), naming the field
    that brought the second one."""
    from ionsweep.sweep._store import reduced_layout, store_layout

    variables, coords = store_layout(plan)
    names = [c[0] for c in coords] + [v[0] for v in variables]
    if mode(plan) == "reduce-accumulate":  # written at the end, not laid out up front
        rvars, rcoords = reduced_layout(plan)
        names += [c[0] for c in rcoords] + [v[0] for v in rvars]
    seen: set[str] = set()
    for name in names:
        if name in seen and name not in plan.fixed:
            uses = "; ".join(_uses(plan, name)[:2])
            fail(
                _field_of(plan, name),
                f"{name!r} names two things in the store: {uses}; rename one of them",
            )
        seen.add(name)


def _field_of(plan: Plan, name: str) -> str:
    """The spec field that brings ``name`` into the store a second time."""
    named = [a.name for a in plan.axes if a.name == name]
    named += [a.name for a in plan.axes if name == f"{a.name}_code"]
    if named:
        return f"[axes] {named[0]}"
    for axis in plan.axes:
        if name in axis.extra_coords:
            return f"[axes] {axis.name}.{name}"
    if name in plan.outputs:
        return "[model] outputs" if ":" in plan.model.name else "[outputs] variables"
    return "[outputs]" if plan.reduce is None else "[reduce]"


def _uses(plan: Plan, name: str) -> list[str]:
    """What ``name`` stands for in the store, in words."""
    uses = [f"axis {a.name!r}" for a in plan.axes if a.name == name]
    uses += [f"a member of zip axis {a.name!r}" for a in plan.axes if name in a.extra_coords]
    uses += [f"the label codes of axis {a.name!r}" for a in plan.axes if name == f"{a.name}_code"]
    uses += ["the validity flag"] if name == "valid" and plan.reduce is None else []
    uses += [f"output {name!r} of model {plan.model.name!r}"] if name in plan.outputs else []
    derived = {v[0] for v in plan.variables()} - set(plan.outputs)
    uses += ["a derivative of an output ([outputs] grad)"] if name in derived else []
    return uses + ["a statistic of [reduce]"] * 2


def reduce_cell_bytes(reduce: Reduction, n_outputs: int) -> int:
    """Bytes of a reduction's state per kept cell (see
    :func:`ionsweep._stats.cell_bytes`)."""
    return cell_bytes(reduce, n_outputs)


def parse_fixed(model: Model, fixed_tbl, seen: dict, fail, list_hint: str, missing_hint: str):
    """The ``[fixed]`` table as {input: value}, defaults filled in; ``seen`` is updated.

    ``seen`` maps the inputs already set elsewhere in the spec to where; ``list_hint`` ends
    the message for a list given as a fixed value, ``missing_hint`` the one for a required
    input set nowhere.
    """
    fixed: dict[str, float] = {}
    for key, value in fixed_tbl.items():
        where = f"[fixed] {key}"
        inp_name, convert, _, _ = resolve_key(model, key, where, fail)
        if inp_name in seen:
            fail(where, f"input {inp_name!r} is also set by {seen[inp_name]}")
        if isinstance(value, list | dict):
            fail(where, f"a fixed value must be a single number (or name){list_hint}")
        arr = convert(np.asarray([value]), where)
        check_domain(model, inp_name, arr, where, fail)
        fixed[inp_name] = float(arr[0])
        seen[inp_name] = where
    for inp in model.inputs:
        if inp.name not in seen:
            if inp.default is None:
                fail(
                    "[fixed]",
                    f"model {model.name!r} needs input {inp.name!r} "
                    f"({inp.long_name}, {inp.units}): {missing_hint}",
                )
            fixed[inp.name] = float(inp.default)
    return fixed


def parse_run_settings(run, fail, dtype=None, device=None) -> tuple[str, str]:
    """``[run] dtype`` and ``device`` (overridden by ``dtype``/``device`` when given)."""
    where = "dtype" if dtype else "[run] dtype"
    dtype = dtype or run.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        fail(where, f"must be 'float32' or 'float64', got {dtype!r}")
    where = "device" if device else "[run] device"
    device = device or run.get("device", "auto")
    if device not in ("auto", "cpu", "gpu"):
        fail(where, f"must be 'auto', 'cpu' or 'gpu', got {device!r}")
    return dtype, device


def _name_list(table, key, where, fail) -> list[str]:
    """A list of names (strings) from ``table[key]``, each named at most once."""
    return name_list(table.get(key, []), where, fail)


def check_model_evaluates(model: Model, outputs, fail) -> None:
    """Trace a user's model (no computation) on scalar inputs and on inputs of shape (2,),
    as the run feeds it, so that a model that raises or exits, lacks an output or returns
    the wrong shape or type is refused before any work.

    Built-in models are tested; only ``module:function`` models are traced.
    """
    if ":" not in model.name:
        return
    import jax
    import jax.numpy as jnp

    for shape in ((), (2,)):
        x = {i.name: jax.ShapeDtypeStruct(shape, jnp.float32) for i in model.inputs}
        try:
            out = jax.eval_shape(model.fn, x)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the user's code
            err = exc if isinstance(exc, UserModelError) else UserModelError(model.name, exc)
            fail("[model] name", f"model {model.name!r} fails on a trial call: {err.reason}")
        _check_trial_outputs(model, outputs, out, shape, fail)


def _check_trial_outputs(model: Model, outputs, out, shape, fail) -> None:
    """The outputs of a trial call on inputs of ``shape``: a dict holding every output, each
    a float array of that shape (or a constant)."""
    import jax.numpy as jnp

    if not isinstance(out, Mapping):
        fail("[model] name", f"model {model.name!r} must return an array or a dict of arrays")
    for name in outputs:
        if name not in out:
            fail(
                "[model] outputs",
                f"model {model.name!r} returns no {name!r} (it returns {', '.join(map(str, out))})",
            )
        v = out[name]
        dt = getattr(v, "dtype", None)
        if dt is None or not jnp.issubdtype(dt, jnp.floating):
            fail(
                "[model] name", f"output {name!r} of {model.name!r} must be a float array, got {dt}"
            )
        if getattr(v, "shape", None) not in (shape, ()):
            fail(
                "[model] name",
                f"output {name!r} of {model.name!r} must have the shape of its inputs (one value "
                f"per point); for inputs of shape {shape} it has shape "
                f"{getattr(v, 'shape', None)}",
            )


def parse_output_names(model: Model, out_tbl, fail) -> tuple[str, ...]:
    """``[outputs] variables`` (all the model's outputs by default), each checked."""
    outputs = (
        tuple(_name_list(out_tbl, "variables", "[outputs] variables", fail))
        if ("variables" in out_tbl)
        else tuple(model.output_names)
    )
    for o in outputs:
        if o not in model.output_names:
            fail(
                "[outputs] variables",
                f"unknown output {o!r} of model {model.name!r}; "
                f"it has {', '.join(model.output_names)}",
            )
    if not outputs:
        fail("[outputs] variables", "at least one output is required")
    return outputs
