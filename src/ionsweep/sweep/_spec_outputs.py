"""What a sweep yields: ``[outputs]`` (the stored outputs and the inputs of their
derivatives), a user's model traced on trial inputs, and the names of the store checked
distinct; every error names its field."""

from __future__ import annotations

from collections.abc import Mapping

from ionsweep._errors import SpecError
from ionsweep.models import Model, UserModelError
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._spec_text import no_unknown
from ionsweep.sweep._spec_values import name_list

__all__ = ["check_model_evaluates", "check_store_names", "parse_output_names", "parse_outputs"]

_OUTPUT_KEYS = {"variables", "grad", "elasticity"}


def parse_outputs(model: Model, out_tbl) -> tuple[tuple[str, ...], ...]:
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
