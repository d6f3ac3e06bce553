"""The value tables of a sweep spec: axes (values, generators, labels, ions), their
domains, fixed keys and lists of names; every error names its field. ``[reduce]`` is
:mod:`ionsweep.sweep._spec_reduce`'s."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard, cast

import numpy as np

from ionsweep._errors import SpecError
from ionsweep._ions import ions as ion_table
from ionsweep._units import MAX_TEMPERATURE_K, MIN_TEMPERATURE_K
from ionsweep.constants import ZERO_CELSIUS
from ionsweep.models import Model
from ionsweep.sweep._axes import Generated
from ionsweep.sweep._plan import (
    MAX_AXIS_LENGTH,
    MAX_LISTED_LENGTH,
    Axis,
)
from ionsweep.sweep._spec_text import check_name

__all__ = [
    "check_domain",
    "name_list",
    "numeric_values",
    "parse_axis",
    "resolve_key",
    "show_value",
]

_GENERATORS = {"values", "linspace", "logspace", "geomspace", "arange"}


def resolve_key(model: Model, key: str, where: str):
    """Map a spec key to (input name, converter, coord units, long_name)."""
    if key == "celsius":
        if "T" not in model.input_names:
            raise SpecError(where, f"model {model.name!r} has no temperature input")
        return "T", lambda v, w: numeric_values(v, w) + ZERO_CELSIUS, "degC", "temperature"
    for inp in model.inputs:
        if inp.name == key:
            if inp.labels == "ion":
                return inp.name, lambda v, w: _ion_valences(v, w), inp.units, inp.long_name
            if inp.labels is not None:
                return inp.name, lambda v, w, i=inp: _labels(i, v, w), "", inp.long_name
            return inp.name, lambda v, w: numeric_values(v, w), inp.units, inp.long_name
    labelled = [i for i in model.inputs if i.labels == key]
    if len(labelled) == 1:
        inp = labelled[0]
        conv = (
            (lambda v, w: _ion_valences(v, w))
            if key == "ion"
            else (lambda v, w: _labels(inp, v, w))
        )
        return inp.name, conv, "", key.replace("_", " ")
    raise SpecError(
        where,
        f"{key!r} is not an input of model {model.name!r}; inputs: "
        f"{', '.join(model.input_names)}" + (", celsius" if "T" in model.input_names else ""),
    )


def show_value(v) -> str:
    """A spec value as the user wrote it in TOML (``true``, ``'text'``, ``1.5``)."""
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def numeric_values(values, where) -> np.ndarray | Generated:
    """Spec values (a list, a float64 array or a generated axis) as finite float64 numbers."""
    if isinstance(values, Generated):
        if not values.finite():
            raise SpecError(where, "values must be finite (no nan/inf)")
        return values
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        if not np.all(np.isfinite(values)):
            raise SpecError(where, "values must be finite (no nan/inf)")
        return values
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise SpecError(where, f"values must be numbers, got {show_value(v)}")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(where, f"values must be numbers, got {list(values)[:5]!r}") from None
    if arr.ndim != 1:
        raise SpecError(where, "values must be a flat list")
    if not np.all(np.isfinite(arr)):
        raise SpecError(where, "values must be finite (no nan/inf)")
    return arr


#: Largest |valence| a spec accepts (no ion carries more charge).
MAX_VALENCE = 10


def _listed(values, where):
    """``values`` as a list or array: a generated axis of valences or labels is made whole
    (it is short, or it cannot be valid)."""
    if isinstance(values, Generated):
        _check_length(len(values), where, MAX_LISTED_LENGTH)
        return np.asarray(values)
    return values


def _ion_valences(values, where) -> np.ndarray:
    values = _listed(values, where)
    if not (isinstance(values, np.ndarray) and values.dtype == np.float64):  # names too
        values = [_valence(v, where) if isinstance(v, str) else v for v in values]
    arr = cast(np.ndarray, numeric_values(values, where))  # values are listed: not generated
    bad = (arr != np.round(arr)) | (np.abs(arr) > MAX_VALENCE)
    if np.any(bad):
        raise SpecError(
            where,
            f"a valence is a whole number between -{MAX_VALENCE} and {MAX_VALENCE}, "
            f"got {arr[np.argmax(bad)]:g}",
        )
    return arr


def _valence(name: str, where) -> float:
    try:
        return float(ion_table.valence(name))
    except KeyError as exc:
        raise SpecError(where, exc.args[0]) from None


def _labels(inp, values, where) -> np.ndarray:
    from ionsweep.models import label_index

    values = _listed(values, where)
    return np.asarray([label_index(inp, v, where) for v in values], np.float64)


def check_domain(model, inp_name, arr, where):
    inp = model.input(inp_name)
    d = inp.domain
    if isinstance(arr, Generated):  # the values a bound's first refusal would be among
        arr = arr.probe((0.0, MIN_TEMPERATURE_K, MAX_TEMPERATURE_K))
    if d == "temperature" and "celsius" in where and np.any(arr <= 0):
        first = arr[np.argmax(arr <= 0)] - ZERO_CELSIUS
        raise SpecError(
            where, f"temperature must be above absolute zero (-273.15 °C), got {first:g} °C"
        )
    bad = {
        "positive": arr <= 0,
        "nonnegative": arr < 0,
        "nonzero": arr == 0,
        "temperature": (arr < MIN_TEMPERATURE_K) | (arr > MAX_TEMPERATURE_K),
    }.get(d)
    if bad is not None and np.any(bad):
        first = arr[np.argmax(bad)]
        what = {
            "positive": "must be > 0",
            "nonnegative": "must be >= 0",
            "nonzero": "must be non-zero",
            "temperature": "must be > 0 K"
            if first <= 0
            else f"must be within {MIN_TEMPERATURE_K:g}-{MAX_TEMPERATURE_K:g} K",
        }[d]
        unit = "K" if d == "temperature" else inp.units
        raise SpecError(
            where, f"{inp.long_name} {what} for model {model.name!r} (got {first:g} {unit})"
        )


def _generate(spec, where) -> list | Generated:
    """Axis values: a list as the spec gives it (numbers or names), or a generator kept as
    its parameters (:class:`~._axes.Generated`), its count checked first."""
    if isinstance(spec, list):
        if not spec:
            raise SpecError(where, "axis is empty")
        _check_length(len(spec), where, MAX_LISTED_LENGTH)
        return spec
    if not isinstance(spec, Mapping):
        return [spec]
    keys = set(spec) & _GENERATORS
    if len(keys) != 1 or set(spec) - _GENERATORS:
        raise SpecError(where, f"give exactly one of {', '.join(sorted(_GENERATORS))}")
    (kind,) = keys
    args = spec[kind]
    if kind == "values":
        if not isinstance(args, list):
            raise SpecError(where, f"values takes a list, got {show_value(args)}")
        return _generate(args, where)
    if not isinstance(args, list) or len(args) != 3:
        raise SpecError(
            where,
            f"{kind} takes [start, stop, num]"
            if kind != "arange"
            else "arange takes [start, stop, step]",
        )
    a, b, n = (float(numeric_values([x], where)[0]) for x in args)  # no overflow warnings
    if kind == "arange":
        if n <= 0 or not (b > a):
            raise SpecError(where, "arange needs stop > start and step > 0")
        count = math.ceil((b - a) / n) if math.isfinite((b - a) / n) else math.inf
        _check_length(count, where)  # the count numpy.arange gives
        if count < 1:
            raise SpecError(where, "axis is empty")
        return Generated("arange", a, b, int(count), step=n)  # finite: checked above
    if n != int(n) or n < 1:
        raise SpecError(where, f"{kind} num must be a positive integer, got {args[2]!r}")
    _check_length(n, where)
    n = int(n)
    if kind == "geomspace" and (a <= 0 or b <= 0):
        raise SpecError(where, "geomspace needs positive start and stop")
    return Generated(kind, a, b, n)  # an overflow to inf is refused as not finite


def _text(raw) -> TypeGuard[list]:
    """Whether axis values ``raw`` (a list from the spec, or generated numbers) hold text."""
    return not isinstance(raw, np.ndarray | Generated) and any(isinstance(v, str) for v in raw)


def _all_text(raw) -> TypeGuard[list]:
    return not isinstance(raw, np.ndarray | Generated) and all(isinstance(v, str) for v in raw)


def _distinct(coord, where) -> bool:
    """Whether the values differ; a generated axis is listed only when its steps are too
    fine to tell, and only when short enough to list."""
    if isinstance(coord, Generated):
        if coord.distinct():
            return True
        _check_length(len(coord), where, MAX_LISTED_LENGTH, "whose steps are this fine")
        coord = np.asarray(coord)
    return np.unique(coord).size == coord.size


def _check_length(n, where, most=MAX_AXIS_LENGTH, what="") -> None:
    """Refuse an axis of more than ``most`` values (before making them)."""
    if n > most:
        shown = f"{n:,.0f}" if math.isfinite(n) and n < 1e30 else f"{n:.3g}"
        kind = f"an axis {what}" if what else "an axis"
        raise SpecError(
            where,
            f"{kind} holds at most {most:,} values, this one {shown}; "
            "sweep more axes of fewer values",
        )


def parse_axis(model, name, value, where) -> Axis:
    """The axis ``name = value`` of ``[axes]``: one input's values, or a zip axis (a table
    of inputs of one length, stepped together)."""
    check_name(name, "[axes]", "the axis name")
    if isinstance(value, Mapping) and not (set(value) & _GENERATORS):
        return _zip_axis(model, name, value, where)
    inp_name, convert, units, long_name = resolve_key(model, name, where)
    raw = _generate(value, where)
    numbers = convert(raw, where)
    check_domain(model, inp_name, numbers, where)
    if _text(raw):
        if not _all_text(raw):
            raise SpecError(where, "do not mix names and numbers in one axis")
        if model.input(inp_name).labels == "ion":
            raw = [ion_table.canonical(v) for v in raw]
        coord = np.asarray(raw, dtype=str)
    elif name == "celsius":
        coord = numbers - ZERO_CELSIUS
    else:
        coord = numbers
    if not _distinct(coord, where):
        raise SpecError(where, "axis values must be distinct")
    return Axis(name, coord, units, long_name, {inp_name: numbers})


def _zip_axis(model, name, value: Mapping, where) -> Axis:
    """A zip axis: its members feed their inputs point by point; the points are labelled
    by ``labels``, by the first member given as names, or by their index."""
    feeds: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    length: int | None = None
    names_seen: list = []
    for key, vals in value.items():
        if key == "labels":
            continue
        w = f"{where}.{key}"
        inp_name, numbers, raw, shown = _zip_member(model, name, key, vals, w, feeds)
        if length is not None and len(numbers) != length:
            raise SpecError(
                where,
                f"zip axis members have unequal lengths ({key!r} has {len(numbers)}, "
                f"earlier members have {length})",
            )
        length = len(numbers)
        feeds[inp_name] = numbers
        if raw is not None:
            names_seen.append(raw)
        if shown is not None:
            extra[key] = shown
    if not feeds:
        raise SpecError(where, "a zip axis needs at least one input")
    labels = value.get("labels")
    if labels is None and names_seen:
        labels = names_seen[0]  # e.g. ion = ["K+", "Na+"] in a zip axis labels its points
    assert length is not None  # set by the first member
    if labels is None:
        index = Generated("index", 0.0, float(length - 1), length)  # np.arange(length)
        return Axis(name, index, "", f"index along {name}", feeds, extra)
    if not isinstance(labels, list) or len(labels) != length:
        raise SpecError(f"{where}.labels", f"needs {length} labels, one per point")
    coord = np.asarray([str(x) for x in labels], dtype=str)
    if not _distinct(coord, f"{where}.labels"):
        raise SpecError(f"{where}.labels", "labels must be distinct")
    return Axis(name, coord, "", name.replace("_", " "), feeds, extra)


def _zip_member(model, name, key, vals, where, taken):
    """One member ``key = vals`` of zip axis ``name`` (``taken``: the inputs of the members
    before it): (input, numbers fed to it, its names if given as names else None, its
    stored coordinate (values, units, long_name) or None where its names label the axis
    itself)."""
    inp_name, convert, units, long_name = resolve_key(model, key, where)
    if inp_name in taken:
        raise SpecError(where, f"input {inp_name!r} appears twice in this zip axis")
    raw = _generate(vals, where)
    numbers = convert(raw, where)
    check_domain(model, inp_name, numbers, where)
    if _all_text(raw):
        if model.input(inp_name).labels == "ion":
            raw = [ion_table.canonical(v) for v in raw]
        if key == name:  # the names label the dimension itself
            return inp_name, numbers, raw, None
        return inp_name, numbers, raw, (np.asarray(raw, dtype=str), units, long_name)
    if key == name:
        raise SpecError(
            where,
            "a member with its zip axis's own name labels the axis's points, so it "
            'takes names (such as "K+"), not numbers; name the axis otherwise',
        )
    shown = numbers - ZERO_CELSIUS if key == "celsius" else numbers
    return inp_name, numbers, None, (shown, units, long_name)


def name_list(value, where) -> list[str]:
    """A list of distinct names (text) from the spec."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(where, f"must be a list of names, got {show_value(value)}")
    for v in value:
        if value.count(v) > 1:
            raise SpecError(where, f"{v!r} is listed twice")
    return value
