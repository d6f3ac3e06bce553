"""Sweep specs (TOML) → validated, immutable :class:`Plan`; every error names its field.

The grid (``[axes]``, ``[fixed]``) and ``[run]`` are read here; the value tables are
:mod:`~ionsweep.sweep._spec_values`', ``[reduce]`` :mod:`~ionsweep.sweep._spec_reduce`'s,
``[outputs]`` and the model's trial :mod:`~ionsweep.sweep._spec_outputs`', the chunks and
memory :mod:`~ionsweep.sweep._spec_chunks`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ionsweep import _cpu
from ionsweep._errors import SpecError, spec_source
from ionsweep.models import Model
from ionsweep.sweep._axes import Generated
from ionsweep.sweep._plan import Axis, Plan
from ionsweep.sweep._spec_chunks import (
    check_kept_state,
    memory_budget,
    plan_chunks,
    reduce_cell_bytes,
)
from ionsweep.sweep._spec_outputs import check_model_evaluates, check_store_names, parse_outputs
from ionsweep.sweep._spec_reduce import parse_reduce
from ionsweep.sweep._spec_text import load_header, no_unknown, read_spec, spec_text
from ionsweep.sweep._spec_values import check_domain, parse_axis, resolve_key

__all__ = ["load_spec", "parse_spec"]

_TOP_KEYS = {"title", "description", "model", "axes", "fixed", "outputs", "run", "reduce",
             "activity"}  # fmt: skip
_RUN_KEYS = {"dtype", "memory", "chunks", "device"}


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
        outputs, grads, elasticities = parse_outputs(model, spec.get("outputs", {}))
        run = spec.get("run", {})
        no_unknown(run, _RUN_KEYS, "[run]")
        dtype, device = parse_run_settings(run, dtype, device)
        memory_bytes = memory_budget(run, memory)
        reduce = parse_reduce(spec.get("reduce"), [a.name for a in axes], outputs)
        chunks = plan_chunks(
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
            check_kept_state(axes, chunks, reduce, len(outputs), memory_bytes)
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
