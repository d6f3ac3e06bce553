"""Sweep specs (TOML) → validated, immutable :class:`Plan`; every error names its field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ionsweep import _cpu
from ionsweep._errors import SpecError, spec_source
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
    Raises :class:`SpecError` naming ``source`` and the field on any problem (see
    :func:`load_spec` for ``plan_only``)."""
    _cpu.configure()  # before a user's model or the chunk choice starts JAX's backend
    with spec_source(source):
        spec, model, model_tbl, options = load_header(text, source, _TOP_KEYS)
        axes, fixed = _parse_grid(model, spec)
        outputs, grads, elasticities = _parse_outputs(model, spec.get("outputs", {}))
        run = spec.get("run", {})
        no_unknown(run, _RUN_KEYS, "[run]")
        dtype, device = parse_run_settings(run, dtype, device)
        memory_bytes = _memory_budget(run, memory)
        reduce = parse_reduce(spec.get("reduce"), [a.name for a in axes], outputs)
        chunks = _chunks(
            axes,
            run,
            n_vars=len(outputs) * (1 + len(grads) + len(elasticities)) + 1,
            itemsize=np.dtype(dtype).itemsize,
            memory_bytes=memory_bytes,
            reduce=reduce,
            cell_bytes=reduce_cell_bytes(reduce, len(outputs)) if reduce else 0,
            device=device,
            plan_only=plan_only,
        )
        if reduce is not None:
            _check_kept_state(axes, chunks, reduce, len(outputs), memory_bytes)
        check_model_evaluates(model, outputs)
        values = _checked_inputs(model, axes, fixed)
        plan = Plan(
            warnings=model.range_warnings(values),
            spec_text=spec_text(spec, text),
            source=source,
            title=str(spec.get("title", "")),
            model=model,
            model_name=str(model_tbl["name"]),
            model_options=options,
            axes=axes,
            fixed=fixed,
            outputs=outputs,
            grads=grads,
            dtype=dtype,
            chunks=chunks,
            memory_bytes=memory_bytes,
            device=device,
            reduce=reduce,
            elasticities=elasticities,
        )
        check_store_names(plan)
    return plan


def _parse_grid(model: Model, spec: Mapping) -> tuple[tuple[Axis, ...], dict[str, float]]:
    """The axes of ``[axes]`` and the fixed inputs of ``[fixed]`` (defaults filled in);
    each input set in one place."""
    axes_tbl = spec.get("axes", {})
    fixed_tbl = spec.get("fixed", {})
    if not isinstance(axes_tbl, Mapping) or not isinstance(fixed_tbl, Mapping):
        raise SpecError("[axes]/[fixed]", "must be tables")
    if not axes_tbl:
        raise SpecError("[axes]", "at least one axis is required")
    axes: list[Axis] = []
    seen: dict[str, str] = {}
    for name, value in axes_tbl.items():
        axis = parse_axis(model, name, value, f"[axes] {name}")
        for inp in axis.feeds:
            if inp in seen:
                raise SpecError(f"[axes] {name}", f"input {inp!r} is already set by {seen[inp]}")
            seen[inp] = f"[axes] {name}"
        axes.append(axis)
    fixed = parse_fixed(
        model,
        fixed_tbl,
        seen,
        list_hint="; sweep it in [axes]",
        missing_hint="sweep it in [axes] or set it in [fixed]",
    )
    return tuple(axes), fixed


def _parse_outputs(model: Model, out_tbl) -> tuple[tuple[str, ...], ...]:
    """``[outputs]``: the stored outputs, and the inputs of their derivatives
    (``grad``) and of their elasticities."""
    no_unknown(out_tbl, _OUTPUT_KEYS, "[outputs]")
    outputs = parse_output_names(model, out_tbl)
    grads = _derivative_inputs(model, out_tbl, "grad", "no gradient is defined")
    elasticities = _derivative_inputs(model, out_tbl, "elasticity", "no elasticity")
    return outputs, grads, elasticities


def _derivative_inputs(model: Model, out_tbl, key: str, none: str) -> tuple[str, ...]:
    """The inputs named by ``[outputs] KEY`` (``celsius`` is ``T``), each a differentiable
    input of ``model`` named once; ``none`` says why a categorical one is refused."""
    where = f"[outputs] {key}"
    names: list[str] = []
    for g in _name_list(out_tbl, key, where):
        inp_name = "T" if g == "celsius" else g
        if inp_name in names:
            raise SpecError(where, f"{g!r} names input {inp_name!r} twice")
        if inp_name not in model.input_names:
            raise SpecError(where, f"{g!r} is not an input of model {model.name!r}")
        if not model.input(inp_name).differentiable:
            raise SpecError(where, f"{g!r} is categorical/discrete; {none}")
        names.append(inp_name)
    return tuple(names)


def _memory_budget(run: Mapping, memory: str | None) -> int:
    """The memory budget in bytes: ``memory`` (the caller's) or ``[run] memory`` (1 GB)."""
    try:
        if isinstance(run.get("memory"), bool):
            raise ValueError(f"a size is a number or text such as '2GB', not {run['memory']!r}")
        return parse_bytes(memory or run.get("memory", "1GB"))
    except ValueError as exc:
        raise SpecError("memory budget" if memory else "[run] memory", str(exc)) from None


def _chunks(axes, run, *, n_vars, itemsize, memory_bytes, reduce, cell_bytes, device, plan_only):
    """The chunk shape: ``[run] chunks`` where given, the rest chosen for the memory budget
    (see :func:`~ionsweep.sweep._chunks.choose_chunks`: ``n_vars`` stored variables of
    ``itemsize`` bytes, ``cell_bytes`` of reduction state per kept cell), then checked."""
    shape = tuple(a.size for a in axes)
    names = [a.name for a in axes]
    if math.prod(shape) > MAX_POINTS:  # Python integers: exact at any size
        raise SpecError(
            "[axes]",
            f"the grid of {count_text(math.prod(shape))} points is more than a store indexes "
            f"({MAX_POINTS:,}); sweep fewer points, or split the sweep",
        )
    chunk_req = run.get("chunks", {})
    if not isinstance(chunk_req, Mapping):
        raise SpecError("[run] chunks", "must be a table such as { c_out = 10 }")
    for k, v in chunk_req.items():
        if k not in names:
            raise SpecError("[run] chunks", f"{k!r} is not an axis")
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise SpecError(f"[run] chunks {k}", f"must be a positive integer, got {v!r}")
    chunks = choose_chunks(
        shape,
        names,
        n_vars,
        itemsize,
        memory_bytes,
        chunk_req,
        first=reduce.over if reduce else (),
        device=device,
        cell_bytes=cell_bytes,
    )
    _check_chunks(shape, chunks, bool(chunk_req), plan_only)
    return chunks


def _checked_inputs(model: Model, axes, fixed) -> dict[str, np.ndarray]:
    """The values the model's checks see (a generated axis shows its least and greatest
    values); :class:`SpecError` for inputs no point can take (a bath with a net charge)."""
    values = {k: np.asarray(v) for k, v in fixed.items()}
    values.update({k: _checked_values(v) for a in axes for k, v in a.feeds.items()})
    refusal = model.refusal(values)
    if refusal is not None:
        raise SpecError(*refusal)
    return values


def _checked_values(v) -> np.ndarray:
    return v.extremes() if isinstance(v, Generated) else np.asarray(v)


def _check_chunks(shape, chunks, requested: bool, plan_only: bool = False) -> None:
    """Refuse a grid of more chunks than one run handles (unless ``plan_only``), or chunks
    larger than the kernel indexes."""
    refusal = chunk_count_refusal(shape, chunks)
    if refusal and not plan_only:
        raise SpecError("[run] memory", refusal)
    if math.prod(chunks) > MAX_CHUNK_POINTS:
        raise SpecError(
            "[run] chunks" if requested else "[run] memory",
            f"a chunk of {' × '.join(map(str, chunks))} = {math.prod(chunks):,} points is "
            f"more than the engine handles in one chunk ({MAX_CHUNK_POINTS:,}); ask for "
            "smaller chunks",
        )


def _check_kept_state(axes, chunks, reduce: Reduction, n_outputs: int, memory_bytes):
    """Refuse a reduction accumulated over chunks whose statistics of the whole kept grid
    (held on the devices and the host for the whole run) exceed the memory budget."""
    over = [k for k, a in enumerate(axes) if a.name in reduce.over]
    if all(chunks[k] == axes[k].size for k in over):
        return  # each chunk's statistics are final and written at once
    cells = math.prod(a.size for k, a in enumerate(axes) if k not in over)
    need = cells * reduce_cell_bytes(reduce, n_outputs)
    if need > memory_bytes:
        raise SpecError(
            "[reduce]",
            f"the statistics of {cells:,} kept points ({format_bytes(need)}, histogram bins "
            f"included) are accumulated over chunks and need more than the memory budget "
            f"({format_bytes(memory_bytes)}); reduce over more axes, use fewer bins, or raise "
            "the memory budget",
        )


def check_store_names(plan: Plan) -> None:
    """Refuse a plan whose store would hold two things of one name (an axis named like an
    output or like ``valid``, a zip member named like another axis, …), naming the field
    that brought the second one."""
    from ionsweep.sweep._store_layout import reduced_layout, store_layout

    variables, coords = store_layout(plan)
    names = [c[0] for c in coords] + [v[0] for v in variables]
    if mode(plan) == "reduce-accumulate":  # written at the end, not laid out up front
        rvars, rcoords = reduced_layout(plan)
        names += [c[0] for c in rcoords] + [v[0] for v in rvars]
    seen: set[str] = set()
    for name in names:
        if name in seen and name not in plan.fixed:
            uses = "; ".join(_uses(plan, name)[:2])
            raise SpecError(
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


def parse_fixed(model: Model, fixed_tbl, seen: dict, list_hint: str, missing_hint: str):
    """The ``[fixed]`` table as {input: value}, defaults filled in; ``seen`` is updated.

    ``seen`` maps the inputs already set elsewhere in the spec to where; ``list_hint`` ends
    the message for a list given as a fixed value, ``missing_hint`` the one for a required
    input set nowhere.
    """
    fixed: dict[str, float] = {}
    for key, value in fixed_tbl.items():
        where = f"[fixed] {key}"
        inp_name, convert, _, _ = resolve_key(model, key, where)
        if inp_name in seen:
            raise SpecError(where, f"input {inp_name!r} is also set by {seen[inp_name]}")
        if isinstance(value, list | dict):
            raise SpecError(where, f"a fixed value must be a single number (or name){list_hint}")
        arr = convert(np.asarray([value]), where)
        check_domain(model, inp_name, arr, where)
        fixed[inp_name] = float(arr[0])
        seen[inp_name] = where
    for inp in model.inputs:
        if inp.name not in seen:
            if inp.default is None:
                raise SpecError(
                    "[fixed]",
                    f"model {model.name!r} needs input {inp.name!r} "
                    f"({inp.long_name}, {inp.units}): {missing_hint}",
                )
            fixed[inp.name] = float(inp.default)
    return fixed


def parse_run_settings(run, dtype=None, device=None) -> tuple[str, str]:
    """``[run] dtype`` and ``device`` (overridden by ``dtype``/``device`` when given)."""
    where = "dtype" if dtype else "[run] dtype"
    dtype = dtype or run.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        raise SpecError(where, f"must be 'float32' or 'float64', got {dtype!r}")
    where = "device" if device else "[run] device"
    device = device or run.get("device", "auto")
    if device not in ("auto", "cpu", "gpu"):
        raise SpecError(where, f"must be 'auto', 'cpu' or 'gpu', got {device!r}")
    return dtype, device


def _name_list(table, key, where) -> list[str]:
    """A list of names (strings) from ``table[key]``, each named at most once."""
    return name_list(table.get(key, []), where)


def check_model_evaluates(model: Model, outputs) -> None:
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
            raise SpecError(
                "[model] name", f"model {model.name!r} fails on a trial call: {err.reason}"
            ) from exc
        _check_trial_outputs(model, outputs, out, shape)


def _check_trial_outputs(model: Model, outputs, out, shape) -> None:
    """The outputs of a trial call on inputs of ``shape``: a dict holding every output, each
    a float array of that shape (or a constant)."""
    import jax.numpy as jnp

    if not isinstance(out, Mapping):
        raise SpecError(
            "[model] name", f"model {model.name!r} must return an array or a dict of arrays"
        )
    for name in outputs:
        if name not in out:
            raise SpecError(
                "[model] outputs",
                f"model {model.name!r} returns no {name!r} (it returns {', '.join(map(str, out))})",
            )
        v = out[name]
        dt = getattr(v, "dtype", None)
        if dt is None or not jnp.issubdtype(dt, jnp.floating):
            raise SpecError(
                "[model] name", f"output {name!r} of {model.name!r} must be a float array, got {dt}"
            )
        if getattr(v, "shape", None) not in (shape, ()):
            raise SpecError(
                "[model] name",
                f"output {name!r} of {model.name!r} must have the shape of its inputs (one value "
                f"per point); for inputs of shape {shape} it has shape "
                f"{getattr(v, 'shape', None)}",
            )


def parse_output_names(model: Model, out_tbl) -> tuple[str, ...]:
    """``[outputs] variables`` (all the model's outputs by default), each checked."""
    outputs = (
        tuple(_name_list(out_tbl, "variables", "[outputs] variables"))
        if ("variables" in out_tbl)
        else tuple(model.output_names)
    )
    for o in outputs:
        if o not in model.output_names:
            raise SpecError(
                "[outputs] variables",
                f"unknown output {o!r} of model {model.name!r}; "
                f"it has {', '.join(model.output_names)}",
            )
    if not outputs:
        raise SpecError("[outputs] variables", "at least one output is required")
    return outputs
