"""``ionsweep calc NAME`` for a registered kernel, derived from its entry alone.

Every input of the :class:`~ionsweep.models.Kernel` becomes an option ``--<name>`` (with
underscores as hyphens) whose help gives its long name, units, default and domain; the
temperature input ``T`` is the shared ``--celsius``/``--kelvin``; a valence input (one a
spec may give as an ion name) takes an ion name too. The values are checked against the
input's domain before any computation (:class:`~ionsweep.cli._common.CliError` naming the
option), the kernel is evaluated in float64, and the result is printed as a table of the
outputs with their units, or as JSON.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ionsweep.cli import _common as cm, _format, _jax
from ionsweep.cli._calc_shared import Result

if TYPE_CHECKING:
    from collections.abc import Callable

    from ionsweep.models import Input, Kernel

__all__ = ["calc_name", "quantity"]

#: What each input domain refuses, as (test of a bad value, message).
_DOMAINS: dict[str, tuple[Callable[[float], bool], str]] = {
    "positive": (lambda v: v <= 0, "must be > 0"),
    "nonnegative": (lambda v: v < 0, "must be >= 0"),
    "nonzero": (lambda v: v == 0, "must be non-zero"),
}


def calc_name(kernel: Kernel) -> str:
    """The subcommand of ``kernel``: its name with hyphens (``ghk_current`` → ``ghk-current``)."""
    return kernel.name.replace("_", "-")


def _flag(inp: Input) -> str:
    return "--" + inp.name.replace("_", "-")


def _unit(units: str) -> str:
    return "" if units == "1" else f" {units}"


def _help_unit(units: str) -> str:
    return "" if units == "1" else f", {units}"


def _valence(text: str) -> float:
    """A valence as a number or an ion name (its valence)."""
    from ionsweep import ions

    if text.strip() in ions:
        return float(ions.valence(text.strip()))
    return cm.finite_float(text)


def _add_options(kernel: Kernel) -> Callable[[argparse.ArgumentParser], None]:
    def add(parser: argparse.ArgumentParser) -> None:
        for inp in kernel.inputs:
            if inp.domain == "temperature":
                continue  # --celsius / --kelvin, added for every quantity
            default = "required" if inp.default is None else f"default {inp.default:g}"
            domain = _DOMAINS[inp.domain][1] if inp.domain in _DOMAINS else ""
            text = (
                f"{inp.long_name}{_unit(inp.units)} ({', '.join(filter(None, [default, domain]))})"
            )
            if inp.labels == "ion":
                text += "; a number or an ion name"
            parser.add_argument(
                _flag(inp),
                dest=f"kernel_{inp.name}",
                type=_valence if inp.labels == "ion" else cm.finite_float,
                default=inp.default,
                required=inp.default is None,
                metavar=(inp.units if inp.units != "1" else "X").upper().replace("/", "_"),
                help=text,
            )

    return add


def _values(kernel: Kernel, args: argparse.Namespace) -> dict[str, float]:
    """The input values, temperature in K, each checked against its domain."""
    values = {}
    for inp in kernel.inputs:
        if inp.domain == "temperature":
            values[inp.name] = cm.temperature_kelvin(args)
            continue
        value = float(getattr(args, f"kernel_{inp.name}"))
        bad, what = _DOMAINS.get(inp.domain, (lambda v: False, ""))
        if bad(value):
            raise cm.CliError(
                _flag(inp), f"{inp.long_name} {what} (got {value:g}{_unit(inp.units)})"
            )
        values[inp.name] = value
    return values


def _compute(kernel: Kernel) -> Callable[[argparse.Namespace], Result]:
    def compute(args: argparse.Namespace) -> Result:
        values = _values(kernel, args)
        jnp = _jax.import_jax().numpy
        out = kernel.fn(**{k: jnp.asarray(v, jnp.float64) for k, v in values.items()})
        results = [_format.to_floats(o)[0] for o in out]
        entries = [(i.name, values[i.name], i.units, i.long_name) for i in kernel.inputs]
        rows = [
            (o.name, r, o.units, o.long_name) for o, r in zip(kernel.outputs, results, strict=True)
        ]
        lines = [f"{kernel.description}:"]
        lines += _format.align(
            [(n, "=", f"{v:.6g}{_unit(u)}", f"({text})") for n, v, u, text in rows + entries]
        )
        result: dict[str, Any] = {"quantity": calc_name(kernel)}
        result["inputs"] = {n: {"value": v, "units": u} for n, v, u, _ in entries}
        result["outputs"] = {n: {"value": v, "units": u, "long_name": t} for n, v, u, t in rows}
        return result, lines

    return compute


def quantity(kernel: Kernel) -> tuple[Any, Any, str, str]:
    """The ``(add options, compute, summary, example)`` entry of ``calc`` for ``kernel``."""
    example = f"ionsweep calc {calc_name(kernel)} {kernel.example}".rstrip()
    return _add_options(kernel), _compute(kernel), kernel.description, example
