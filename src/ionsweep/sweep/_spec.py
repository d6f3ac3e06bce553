"""Sweep specs (TOML) → validated, immutable :class:`Plan`; every error names its field."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.constants import ZERO_CELSIUS
from ionsweep.models import Model, get_model
from ionsweep.sweep._chunks import (
    choose_chunks,
    parse_bytes,
)
from ionsweep.sweep._plan import Axis, Plan, Reduction, SpecError

#: Most chunks one run handles (one manifest file each); see ionsweep.sweep._executor.
MAX_CHUNKS = 10_000_000

__all__ = ["load_spec", "parse_spec"]

_TOP_KEYS = {"title", "description", "model", "axes", "fixed", "outputs", "run", "reduce",
             "activity"}  # fmt: skip
_RUN_KEYS = {"dtype", "memory", "chunks", "device"}
_OUTPUT_KEYS = {"variables", "grad", "elasticity"}
_REDUCE_KEYS = {"over", "stats", "count", "histogram"}
_STATS = ("min", "max", "mean", "std", "argmin", "argmax")
_GENERATORS = {"values", "linspace", "logspace", "geomspace", "arange"}
_COUNT_RE = re.compile(r"^\s*(abs\(\s*(\w+)\s*\)|(\w+))\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")


def load_spec(
    path: str | Path,
    *,
    dtype: str | None = None,
    memory: str | None = None,
    device: str | None = None,
) -> Plan:
    """Read and validate the TOML spec at ``path``; command-line overrides win over [run]."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec: {exc.strerror}") from exc
    return parse_spec(text, source=str(path), dtype=dtype, memory=memory, device=device)


def parse_spec(
    text: str | Mapping,
    source: str = "<spec>",
    *,
    dtype: str | None = None,
    memory: str | None = None,
    device: str | None = None,
) -> Plan:
    """Validate spec ``text`` (TOML, or the spec as nested dicts) and build the plan.
    Raises :class:`SpecError` naming the field on any problem."""

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
        axis = _parse_axis(model, name, value, f"[axes] {name}", fail)
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
    _no_unknown(out_tbl, _OUTPUT_KEYS, "[outputs]", fail)
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
    _no_unknown(run, _RUN_KEYS, "[run]", fail)
    dtype, device = parse_run_settings(run, fail, dtype, device)
    try:
        if isinstance(run.get("memory"), bool):
            raise ValueError(f"a size is a number or text such as '2GB', not {run['memory']!r}")
        memory_bytes = parse_bytes(memory or run.get("memory", "1GB"))
    except ValueError as exc:
        fail("memory budget" if memory else "[run] memory", str(exc))

    reduce = _parse_reduce(spec.get("reduce"), [a.name for a in axes], outputs, fail)
    shape = tuple(a.size for a in axes)
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

    n_chunks = math.prod(-(-n // c) for n, c in zip(shape, chunks, strict=True))
    if n_chunks > MAX_CHUNKS:
        fail(
            "[run] memory",
            f"the grid of {math.prod(shape):,} points needs {n_chunks:,} chunks, more than "
            f"one run handles ({MAX_CHUNKS:,}); sweep fewer points, or raise the memory budget",
        )
    check_model_evaluates(model, outputs, fail)

    values = {k: np.asarray(v) for k, v in fixed.items()}
    values.update({k: np.asarray(v) for a in axes for k, v in a.feeds.items()})

    return Plan(
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


def reduce_cell_bytes(reduce: Reduction, n_outputs: int) -> int:
    """Bytes of partial results per kept cell: up to seven float64/int64 partials per
    output (count, mean, m2, min, max, argmin, argmax), one per count, one per bin."""
    return 8 * (7 * n_outputs + len(reduce.counts) + sum(h[1] for h in reduce.histograms))


def parse_fixed(model: Model, fixed_tbl, seen: dict, fail, list_hint: str, missing_hint: str):
    """The ``[fixed]`` table as {input: value}, defaults filled in; ``seen`` is updated.

    ``seen`` maps the inputs already set elsewhere in the spec to where; ``list_hint`` ends
    the message for a list given as a fixed value, ``missing_hint`` the one for a required
    input set nowhere.
    """
    fixed: dict[str, float] = {}
    for key, value in fixed_tbl.items():
        where = f"[fixed] {key}"
        inp_name, convert, _, _ = _resolve_key(model, key, where, fail)
        if inp_name in seen:
            fail(where, f"input {inp_name!r} is also set by {seen[inp_name]}")
        if isinstance(value, list | dict):
            fail(where, f"a fixed value must be a single number (or name){list_hint}")
        arr = convert(np.asarray([value]), where)
        _check_domain(model, inp_name, arr, where, fail)
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
    names = table.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        fail(where, f"must be a list of names, got {names!r}")
    for n in names:
        if names.count(n) > 1:
            fail(where, f"{n!r} is listed twice")
    return names


def check_model_evaluates(model: Model, outputs, fail) -> None:
    """Trace a user's model once on scalar inputs (no computation), so that a model that
    raises, lacks an output or returns the wrong shape or type is refused before any work.

    Built-in models are tested; only ``module:function`` models are traced.
    """
    if ":" not in model.name:
        return
    import jax
    import jax.numpy as jnp

    x = {i.name: jax.ShapeDtypeStruct((), jnp.float32) for i in model.inputs}
    try:
        out = jax.eval_shape(model.fn, x)
    except Exception as exc:  # the user's code: any error is theirs to see
        msg = " ".join(str(exc).split())[:300]
        fail(
            "[model] name",
            f"model {model.name!r} fails on a trial call: {type(exc).__name__}: {msg}",
        )
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
        if getattr(v, "shape", None) != ():
            fail(
                "[model] name",
                f"output {name!r} of {model.name!r} must have the shape of its inputs (one value "
                f"per point); for scalar inputs it has shape {getattr(v, 'shape', None)}",
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


def _plain(value):
    """A spec given as Python objects with NumPy arrays/scalars and tuples as plain lists and
    numbers (what TOML would give); anything else is left for the checks to name."""
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if hasattr(v, "tolist"):
        return _toml_value(v.tolist())
    return repr(float(v)) if isinstance(v, float) else str(v)


def spec_to_toml(spec: Mapping) -> str:
    """Render a spec given as nested dicts as TOML text (what the store records)."""
    lines = []
    for key, value in spec.items():
        if not isinstance(value, Mapping):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in spec.items():
        if isinstance(value, Mapping):
            lines.append(f"\n[{key}]")
            for k, v in value.items():
                lines.append(f'"{k}" = {_toml_value(v)}')
    return "\n".join(lines).lstrip("\n") + "\n"


def spec_text(spec: Mapping, text) -> str:
    """The spec's text as the store records it: the TOML given, or a dict spec rendered."""
    return text if isinstance(text, str) else spec_to_toml(spec)


def load_header(text: str | Mapping, source: str, top_keys):
    """Parse spec ``text`` (TOML, or the spec as nested dicts, validated directly), check
    its top-level keys and build its ``[model]``.

    Returns ``(spec, model, model_table, model_options, fail)``, where ``fail(field, msg)``
    raises :class:`SpecError` naming ``source`` and the field. Shared by sweep and
    sensitivity specs.
    """

    def fail(field: str, msg: str):
        raise SpecError(f"{source}: {field}: {msg}")

    if isinstance(text, Mapping):
        spec = _plain(text)
    else:
        try:
            spec = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{source}: not valid TOML: {exc}") from exc
    _no_unknown(spec, top_keys, "", fail)
    model_tbl = spec.get("model")
    if not isinstance(model_tbl, Mapping) or "name" not in model_tbl:
        fail("[model]", "a [model] table with a 'name' is required")
    options = {k: v for k, v in model_tbl.items() if k != "name"}
    if not isinstance(model_tbl["name"], str):
        fail("[model] name", f"must be a model name (text), got {model_tbl['name']!r}")
    here = Path(source).resolve().parent if Path(source).is_file() else None
    from ionsweep.models._activity import spec_databases  # [activity.databases]

    dbs = spec_databases(spec.get("activity"), here, fail)
    try:
        opts = options if dbs is None else {**options, "databases": dbs}
        model = get_model(model_tbl["name"], opts, search_path=here)
    except (ValueError, KeyError, TypeError) as exc:
        fail("[model]", str(exc).strip('"'))
    return spec, model, model_tbl, options, fail


def _no_unknown(table, allowed, where, fail):
    if not isinstance(table, Mapping):
        fail(where or "spec", "must be a table")
    for k in table:
        if k not in allowed:
            fail(f"{where} {k}".strip(), f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _resolve_key(model: Model, key: str, where: str, fail):
    """Map a spec key to (input name, converter, coord units, long_name)."""
    if key == "celsius":
        if "T" not in model.input_names:
            fail(where, f"model {model.name!r} has no temperature input")
        return "T", lambda v, w: _numeric(v, w, fail) + ZERO_CELSIUS, "degC", "temperature"
    for inp in model.inputs:
        if inp.name == key:
            if inp.labels == "ion":
                return inp.name, lambda v, w: _ion_valences(v, w, fail), inp.units, inp.long_name
            if inp.labels is not None:
                return inp.name, lambda v, w, i=inp: _labels(i, v, w, fail), "", inp.long_name
            return inp.name, lambda v, w: _numeric(v, w, fail), inp.units, inp.long_name
    labelled = [i for i in model.inputs if i.labels == key]
    if len(labelled) == 1:
        inp = labelled[0]
        conv = (
            (lambda v, w: _ion_valences(v, w, fail))
            if key == "ion"
            else (lambda v, w: _labels(inp, v, w, fail))
        )
        return inp.name, conv, "", key.replace("_", " ")
    fail(
        where,
        f"{key!r} is not an input of model {model.name!r}; inputs: "
        f"{', '.join(model.input_names)}" + (", celsius" if "T" in model.input_names else ""),
    )


def _shown(v) -> str:
    """A spec value as the user wrote it in TOML (``true``, ``'text'``, ``1.5``)."""
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def _numeric(values, where, fail) -> np.ndarray:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            fail(where, f"values must be numbers, got {_shown(v)}")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        fail(where, f"values must be numbers, got {list(values)[:5]!r}")
    if arr.ndim != 1:
        fail(where, "values must be a flat list")
    if not np.all(np.isfinite(arr)):
        fail(where, "values must be finite (no nan/inf)")
    return arr


#: Largest |valence| a spec accepts (no ion carries more charge).
MAX_VALENCE = 10


def _ion_valences(values, where, fail) -> np.ndarray:
    out = []
    for v in values:
        if isinstance(v, str):
            try:
                out.append(float(ion_table.valence(v)))
            except KeyError as exc:
                fail(where, exc.args[0])
        else:
            out.append(v)
    arr = _numeric(out, where, fail)
    bad = (arr != np.round(arr)) | (np.abs(arr) > MAX_VALENCE)
    if np.any(bad):
        fail(
            where,
            f"a valence is a whole number between -{MAX_VALENCE} and {MAX_VALENCE}, "
            f"got {arr[np.argmax(bad)]:g}",
        )
    return arr


def _labels(inp, values, where, fail) -> np.ndarray:
    from ionsweep.models import label_index

    return np.asarray([label_index(inp, v, where, fail) for v in values], np.float64)


def _check_domain(model, inp_name, arr, where, fail):
    inp = model.input(inp_name)
    d = inp.domain
    if d == "temperature" and "celsius" in where and np.any(arr <= 0):
        first = arr[np.argmax(arr <= 0)] - ZERO_CELSIUS
        fail(where, f"temperature must be above absolute zero (-273.15 °C), got {first:g} °C")
    bad = {
        "positive": arr <= 0,
        "nonnegative": arr < 0,
        "nonzero": arr == 0,
        "temperature": arr <= 0,
    }.get(d)
    if bad is not None and np.any(bad):
        first = arr[np.argmax(bad)]
        what = {
            "positive": "must be > 0",
            "nonnegative": "must be >= 0",
            "nonzero": "must be non-zero",
            "temperature": "must be > 0 K",
        }[d]
        unit = "K" if d == "temperature" else inp.units
        fail(where, f"{inp.long_name} {what} for model {model.name!r} (got {first:g} {unit})")


def _generate(spec, where, fail) -> tuple[np.ndarray, list | None]:
    """Axis values from a list or a generator table; returns (numbers or None, labels)."""
    if isinstance(spec, list):
        if not spec:
            fail(where, "axis is empty")
        return spec
    if not isinstance(spec, Mapping):
        return [spec]
    keys = set(spec) & _GENERATORS
    if len(keys) != 1 or set(spec) - _GENERATORS:
        fail(where, f"give exactly one of {', '.join(sorted(_GENERATORS))}")
    (kind,) = keys
    args = spec[kind]
    if kind == "values":
        return _generate(list(args), where, fail)
    if not isinstance(args, list) or len(args) != 3:
        fail(
            where,
            f"{kind} takes [start, stop, num]"
            if kind != "arange"
            else "arange takes [start, stop, step]",
        )
    a, b, n = (_numeric([x], where, fail)[0] for x in args)
    if kind == "arange":
        if n <= 0 or not (b > a):
            fail(where, "arange needs stop > start and step > 0")
        return list(np.arange(a, b, n))
    if n != int(n) or n < 1:
        fail(where, f"{kind} num must be a positive integer, got {args[2]!r}")
    n = int(n)
    if kind == "linspace":
        return list(np.linspace(a, b, n))
    if kind == "logspace":
        return list(np.logspace(a, b, n))
    if a <= 0 or b <= 0:
        fail(where, "geomspace needs positive start and stop")
    return list(np.geomspace(a, b, n))


def _parse_axis(model, name, value, where, fail) -> Axis:
    is_zip = isinstance(value, Mapping) and not (set(value) & _GENERATORS)
    if not is_zip:
        inp_name, convert, units, long_name = _resolve_key(model, name, where, fail)
        raw = _generate(value, where, fail)
        numbers = convert(raw, where)
        _check_domain(model, inp_name, numbers, where, fail)
        if any(isinstance(v, str) for v in raw):
            if not all(isinstance(v, str) for v in raw):
                fail(where, "do not mix names and numbers in one axis")
            if model.input(inp_name).labels == "ion":
                raw = [ion_table.canonical(v) for v in raw]
            coord = np.asarray(raw, dtype=str)
        elif name == "celsius":
            coord = numbers - ZERO_CELSIUS
        else:
            coord = numbers
        if len(set(coord.tolist())) != len(coord):
            fail(where, "axis values must be distinct")
        return Axis(name, coord, units, long_name, {inp_name: numbers})

    feeds, extra, length, names_seen = {}, {}, None, []
    labels = value.get("labels")
    for key, vals in value.items():
        if key == "labels":
            continue
        w = f"{where}.{key}"
        inp_name, convert, units, long_name = _resolve_key(model, key, w, fail)
        if inp_name in feeds:
            fail(w, f"input {inp_name!r} appears twice in this zip axis")
        raw = _generate(vals, w, fail)
        numbers = convert(raw, w)
        _check_domain(model, inp_name, numbers, w, fail)
        if length is not None and len(numbers) != length:
            fail(
                where,
                f"zip axis members have unequal lengths ({key!r} has {len(numbers)}, "
                f"earlier members have {length})",
            )
        length = len(numbers)
        feeds[inp_name] = numbers
        if all(isinstance(v, str) for v in raw):
            if model.input(inp_name).labels == "ion":
                raw = [ion_table.canonical(v) for v in raw]
            names_seen.append(raw)
            if key == name:
                continue  # the names label the dimension itself (see below)
            shown = np.asarray(raw, dtype=str)
        else:
            shown = numbers - ZERO_CELSIUS if key == "celsius" else numbers
        extra[key] = (shown, units, long_name)
    if not feeds:
        fail(where, "a zip axis needs at least one input")
    if labels is None and names_seen:
        labels = names_seen[0]  # e.g. ion = ["K+", "Na+"] in a zip axis labels its points
    if labels is not None:
        if not isinstance(labels, list) or len(labels) != length:
            fail(f"{where}.labels", f"needs {length} labels, one per point")
        coord = np.asarray([str(x) for x in labels], dtype=str)
        if len(set(coord.tolist())) != len(coord):
            fail(f"{where}.labels", "labels must be distinct")
    else:
        coord = np.arange(length)
    long_name = name.replace("_", " ") if labels is not None else f"index along {name}"
    return Axis(name, coord, "", long_name, feeds, extra)


def _parse_reduce(tbl, dims, outputs, fail) -> Reduction | None:
    if tbl is None:
        return None
    _no_unknown(tbl, _REDUCE_KEYS, "[reduce]", fail)
    over = tuple(tbl.get("over", dims))
    for d in over:
        if d not in dims:
            fail("[reduce] over", f"{d!r} is not an axis; axes: {', '.join(dims)}")
    if not over:
        fail("[reduce] over", "name at least one axis to reduce over")
    stats = tuple(tbl.get("stats", ["min", "max", "mean", "std"]))
    for s in stats:
        if s not in _STATS:
            fail("[reduce] stats", f"unknown statistic {s!r}; known: {', '.join(_STATS)}")
    counts = []
    for expr in tbl.get("count", []):
        m = _COUNT_RE.match(str(expr))
        if not m:
            fail("[reduce] count", f'cannot parse {expr!r}; write e.g. "abs(E) > 5" or "E < 0"')
        var = m.group(2) or m.group(3)
        if var not in outputs:
            fail("[reduce] count", f"{var!r} is not a stored output ({', '.join(outputs)})")
        label = re.sub(r"\W+", "_", str(expr)).strip("_")
        counts.append((f"count_{label}", var, m.group(4), float(m.group(5)), bool(m.group(2))))
    hists = []
    for var, h in tbl.get("histogram", {}).items():
        if var not in outputs:
            fail(f"[reduce] histogram {var}", "not a stored output")
        try:
            bins, (lo, hi) = int(h["bins"]), map(float, h["range"])
        except (KeyError, TypeError, ValueError):
            fail(f"[reduce] histogram {var}", "needs bins = N and range = [low, high]")
        if bins < 1 or not (hi > lo) or not (math.isfinite(lo) and math.isfinite(hi)):
            fail(f"[reduce] histogram {var}", "needs bins >= 1 and high > low")
        hists.append((var, bins, lo, hi))
    return Reduction(over, stats, tuple(counts), tuple(hists))
