"""Spec text: TOML, or the same content as nested dicts, and the header every spec shares
(top-level keys, ``[model]``, ``[activity]``)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ionsweep.models import get_model
from ionsweep.sweep._plan import SpecError

__all__ = [
    "MAX_SPEC_BYTES",
    "check_name",
    "load_header",
    "no_unknown",
    "read_spec",
    "spec_text",
    "spec_to_toml",
]

#: Largest spec file read, in bytes (a spec is a page of TOML; axes are generated).
MAX_SPEC_BYTES = 1 << 20


def read_spec(path: Path) -> str:
    """The text of the spec file at ``path``: UTF-8 TOML of at most :data:`MAX_SPEC_BYTES`
    (read no further, so a device or a huge file costs nothing). Raises :class:`SpecError`
    naming the file otherwise."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(None, f"cannot read spec: {exc.strerror or exc}", str(path)) from exc
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            "spec",
            f"larger than {MAX_SPEC_BYTES:,} bytes; a spec describes its axes with generators "
            "such as {{ linspace = [start, stop, num] }}, not as listed values",
            str(path),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            None,
            f"not valid TOML: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); is it a binary file?",
            str(path),
        ) from None


def check_name(name, where: str, what: str) -> None:
    """Refuse a ``name`` that becomes a name in the store (a dimension, coordinate or
    variable) unless it is an ASCII Python identifier: names are shown and addressed as
    names everywhere (xarray, the explorer), never as markup or paths."""
    if not (isinstance(name, str) and name.isascii() and name.isidentifier()):
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
        raise SpecError(
            where,
            f"{what} {shown} is not a name: use ASCII letters, digits and _ "
            "(not starting with a digit)",
        )


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

    Returns ``(spec, model, model_table, model_options)``; a problem raises
    :class:`SpecError` naming the field (its ``source`` is filled in by the caller, see
    :func:`~ionsweep._errors.spec_source`). Shared by sweep and sensitivity specs.
    """
    try:
        spec = _plain(text) if isinstance(text, Mapping) else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(None, f"not valid TOML: {exc}") from exc
    except RecursionError:
        raise SpecError("spec", "tables or arrays nested too deeply to read") from None
    _check_kind(spec, top_keys)
    no_unknown(spec, top_keys, "")
    model_tbl = spec.get("model")
    if not isinstance(model_tbl, Mapping) or "name" not in model_tbl:
        raise SpecError("[model]", "a [model] table with a 'name' is required")
    options = {k: v for k, v in model_tbl.items() if k != "name"}
    if not isinstance(model_tbl["name"], str):
        raise SpecError("[model] name", f"must be a model name (text), got {model_tbl['name']!r}")
    here = Path(source).resolve().parent if Path(source).is_file() else None
    from ionsweep.models._activity import spec_databases  # [activity.databases]

    dbs = spec_databases(spec.get("activity"), here)
    try:
        opts = options if dbs is None else {**options, "databases": dbs}
        model = get_model(model_tbl["name"], opts, search_path=here)
    except (ValueError, KeyError, TypeError) as exc:
        raise SpecError("[model]", str(exc).strip('"')) from exc
    for inp in model.inputs:
        check_name(inp.name, "[model]", f"input of model {model.name!r}")
    for out in model.outputs:
        check_name(out.name, "[model] outputs", f"output of model {model.name!r}")
    return spec, model, model_tbl, options


#: The tables that make a spec a sweep spec or a sensitivity spec, and what runs each kind.
_KINDS = {
    "sweep": (
        ("axes", "reduce"),
        "run it with `ionsweep run` (in Python: ionsweep.run_sweep)",
    ),
    "sensitivity": (
        ("inputs", "sobol", "morris", "uncertainty"),
        "run it with `ionsweep sensitivity` (in Python: ionsweep.sensitivity.run_sensitivity)",
    ),
}


def _check_kind(spec: Mapping, top_keys) -> None:
    """Refuse a spec of the other kind (a sensitivity spec given where a sweep spec is
    expected, or the reverse), naming its kind and what runs it."""
    for kind, (tables, how) in _KINDS.items():
        other = [k for k in tables if k in spec and k not in top_keys]
        if other:
            raise SpecError(f"[{other[0]}]", f"a {kind} spec's table: this is a {kind} spec, {how}")


def no_unknown(table, allowed, where) -> None:
    """Refuse a table that is no table, or holds a key not in ``allowed``."""
    if not isinstance(table, Mapping):
        raise SpecError(where or "spec", "must be a table")
    for k in table:
        if k not in allowed:
            raise SpecError(
                f"{where} {k}".strip(), f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )
