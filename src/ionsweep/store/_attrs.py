"""A store's attributes as netCDF holds them, and the types ionsweep reads back.

netCDF attributes are numbers, texts and 1-d arrays of numbers; the netCDF-3 format (the
``scipy`` engine) has no arrays of texts and no engine has booleans or tables. So the root
attributes are written as every engine takes them: a table or a list as its JSON text, a
boolean as the integer 0 or 1. The root attributes ``ionsweep_json_attrs`` and
``ionsweep_bool_attrs`` name the attributes so written (space-separated), and
:func:`decode_attrs` gives back their Python values. Variables keep CF's conventions: no
``units`` on text or on flag variables (which carry ``flag_values``/``flag_meanings``).

A store's ``zarr.json`` is a file anyone can edit. The attributes that decide what a run,
a resume or ``info`` does with the store (its identity, chunk and point counts,
completeness) are checked here when read, so that a wrong-typed one is reported as corrupt
metadata naming the attribute, not met later as a failed conversion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["BOOL_ATTRS", "JSON_ATTRS", "attr_problem", "cf_attrs", "decode_attrs", "encode_attrs"]

#: Root attribute naming the attributes stored as JSON text (space-separated).
JSON_ATTRS = "ionsweep_json_attrs"
#: Root attribute naming the attributes stored as the integers 0 and 1 (space-separated).
BOOL_ATTRS = "ionsweep_bool_attrs"


def encode_attrs(attrs: Mapping) -> dict:
    """Root attributes ``attrs`` as every netCDF engine writes them.

    Tables, lists and None become their JSON text, booleans the integers 0 and 1 (NumPy
    scalars their Python values); numbers and texts are kept. The names of the attributes so
    written are listed in ``ionsweep_json_attrs`` and ``ionsweep_bool_attrs``. Encoding
    encoded attributes changes nothing.

    Examples
    --------
    >>> encode_attrs({"complete": True, "identity": {"shape": [2, 3]}, "title": "t"})
    {'complete': 1, 'identity': '{"shape": [2, 3]}', 'title': 't', \
'ionsweep_json_attrs': 'identity', 'ionsweep_bool_attrs': 'complete'}
    """
    was_json, was_bool = _listed(attrs, JSON_ATTRS), _listed(attrs, BOOL_ATTRS)
    out: dict[str, Any] = {}
    as_json, as_bool = [], []
    for key, value in attrs.items():
        if key in (JSON_ATTRS, BOOL_ATTRS):
            continue
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, bool):
            out[key] = int(value)
            as_bool.append(key)
        elif isinstance(value, Mapping | list | tuple | np.ndarray) or value is None:
            out[key] = json.dumps(_plain(value), ensure_ascii=False)
            as_json.append(key)
        else:
            out[key] = value
            if key in was_json and isinstance(value, str):
                as_json.append(key)
            elif key in was_bool and value in (0, 1):
                as_bool.append(key)
    if as_json:
        out[JSON_ATTRS] = " ".join(as_json)
    if as_bool:
        out[BOOL_ATTRS] = " ".join(as_bool)
    return out


def decode_attrs(attrs: Mapping) -> dict:
    """The Python values of root attributes written by :func:`encode_attrs`: tables and
    lists from their JSON text, booleans from 0 and 1; the two lists of names are dropped.
    Attributes not so listed, and listed ones already decoded (a store written before
    attributes were encoded), are returned as they are.

    Raises
    ------
    ValueError
        An attribute listed as JSON whose text is not JSON (naming it).

    Examples
    --------
    >>> decode_attrs({"complete": 1, "ionsweep_bool_attrs": "complete"})
    {'complete': True}
    """
    as_json, as_bool = _listed(attrs, JSON_ATTRS), _listed(attrs, BOOL_ATTRS)
    out = {}
    for key, value in attrs.items():
        if key in (JSON_ATTRS, BOOL_ATTRS):
            continue
        value = value.item() if isinstance(value, np.generic) else value
        if key in as_json and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"attribute {key!r} is listed as JSON but is not: {exc}") from None
        elif key in as_bool and isinstance(value, int) and value in (0, 1):
            value = bool(value)
        out[key] = value
    return out


def _listed(attrs: Mapping, marker: str) -> set[str]:
    names = attrs.get(marker, "")
    return set(names.split()) if isinstance(names, str) else set()


def _plain(value):
    """``value`` with NumPy arrays and scalars as Python lists and numbers (JSON's types)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def cf_attrs(attrs: Mapping, dtype, *, typed_flags: bool = False) -> dict:
    """A variable's attributes as CF wants them for a variable of ``dtype``: no ``units``
    on text nor on a flag variable (one with ``flag_values`` or ``flag_meanings``).
    ``typed_flags``: ``flag_values`` as a 1-d array of the variable's own type (as CF asks
    of a netCDF file; a zarr attribute holds them as a JSON list)."""
    dtype = np.dtype("U") if dtype is str else np.dtype(dtype)
    flags = "flag_values" in attrs or "flag_meanings" in attrs
    out = {k: v for k, v in attrs.items() if not (k == "units" and (flags or _is_text(dtype)))}
    if typed_flags and "flag_values" in out and dtype.kind in "iuf":
        out["flag_values"] = np.atleast_1d(np.asarray(out["flag_values"], dtype))
    return out


def _is_text(dtype: np.dtype) -> bool:
    return dtype.kind in "UOST"


def _text(v) -> bool:
    return isinstance(v, str)


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _counts(minimum: int) -> Callable[[object], bool]:
    def check(v) -> bool:
        return isinstance(v, list) and all(_count(x) and x >= minimum for x in v)

    return check


def _texts(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _flag(v) -> bool:
    return isinstance(v, bool)


#: Attribute → (check, what it must be).
_ROOT: dict[str, tuple[Callable[[object], bool], str]] = {
    "ionsweep_format": (_text, "text"),
    "ionsweep_spec": (_text, "text"),
    "ionsweep_spec_sha256": (_text, "text"),
    "ionsweep_model": (_text, "text"),
    "ionsweep_mode": (_text, "text"),
    "ionsweep_n_chunks": (_count, "an integer >= 0"),
    "ionsweep_n_points": (_count, "an integer >= 0"),
    "ionsweep_complete": (_flag, "true or false"),
    "ionsweep_warnings": (_texts, "a list of texts"),
    "ionsweep_version": (_text, "text"),
    "dtype": (_text, "text"),
}
_IDENTITY: dict[str, tuple[Callable[[object], bool], str]] = {
    "spec_sha256": (_text, "text"),
    "model": (_text, "text"),
    "shape": (_counts(0), "a list of integers >= 0"),
    "chunks": (_counts(1), "a list of integers >= 1"),
    "dtype": (_text, "text"),
    "mode": (_text, "text"),
    "ionsweep_version": (_text, "text"),
}


def attr_problem(attrs: dict) -> str | None:
    """What is wrong with the types of ``attrs`` (a store's root attributes), in words, or
    None. Only attributes that are present are checked; ionsweep reads absent ones as
    their defaults."""
    for key, (ok, what) in _ROOT.items():
        if key in attrs and not ok(attrs[key]):
            return f"attribute {key!r} must be {what}, got {_shown(attrs[key])}"
    ident = attrs.get("ionsweep_identity")
    if ident is None:
        return None
    if not isinstance(ident, dict):
        return f"attribute 'ionsweep_identity' must be a table, got {_shown(ident)}"
    for key, (ok, what) in _IDENTITY.items():
        if key in ident and not ok(ident[key]):
            return f"attribute 'ionsweep_identity' {key!r} must be {what}, got {_shown(ident[key])}"
    return None


def _shown(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."
