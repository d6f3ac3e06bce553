"""The types of the root attributes ionsweep reads back from a store.

A store's ``zarr.json`` is a file anyone can edit. The attributes that decide what a run,
a resume or ``info`` does with the store (its identity, chunk and point counts,
completeness) are checked here when read, so that a wrong-typed one is reported as corrupt
metadata naming the attribute, not met later as a failed conversion.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["attr_problem"]


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
