"""``ionsweep calc``: evaluate one membrane-physics quantity and print it.

Every registered kernel (``ionsweep.models._kernels``) is a quantity, its options, help,
table and JSON derived from its entry (``_calc_kernel``). A quantity with a presentation of
its own — per-ion lists and tables, a solve's diagnostics — has it in a module
(``_calc_potentials``, ``_calc_donnan``, ``_calc_pump_leak``, ``_calc_ljp``): a pair of
functions, ``_add_<name>`` declaring its options and ``_<name>`` validating the parsed
arguments (raising :class:`~ionsweep.cli._common.CliError` before any computation), calling
the physics kernels in float64 and returning a JSON-ready dict and the human-readable
lines; :data:`_PRESENTED` lists them. This module registers all of them under ``calc`` with
the options they share (temperature, ``--molal``, ``--json``). JAX and the kernels are
imported only when a quantity is computed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable

from ionsweep.cli import (
    _calc_donnan,
    _calc_kernel,
    _calc_ljp,
    _calc_potentials,
    _calc_pump_leak,
    _checks,
    _common as cm,
    _format,
    _jax,
)
from ionsweep.cli._calc_shared import Result
from ionsweep.models._kernels import KERNELS

__all__ = ["register"]

_UNITS = """\
units: potentials in mV (V = phi_in - phi_out; outward current positive), concentrations
in mM, temperature in °C (--celsius, default 37) or K (--kelvin), permeabilities in cm/s or
relative (only ratios matter). Lists are comma-separated, one value per --ion. Values are
computed in float64 (the Python API and sweeps default to float32); --json prints
machine-readable output."""

#: Where the density of water that converts --molal input is stated (Kell 1975), K.
_KELL_RANGE_K = (273.15, 423.15)

#: Options that take concentrations, mM (mol/kg with --molal).
_CONCENTRATION_FLAGS: tuple[str, ...] = (
    "--inside",
    "--outside",
    "--bath",
    "--inside-ions",
    "--outside-ions",
)
_CONCENTRATION_FLAGS += ("--pipette",)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calc`` command and its quantities to the top-level subparsers."""
    quantities_ = _quantities()
    examples = "\n".join(f"  {example}" for _, _, _, example in quantities_.values())
    calc = subparsers.add_parser(
        "calc",
        help=f"evaluate one quantity ({', '.join(quantities_)})",
        description=f"Evaluate one membrane-physics quantity and print it.\n\n{_UNITS}",
        epilog=f"examples:\n{examples}",
    )
    quantities = calc.add_subparsers(
        dest="quantity", metavar="QUANTITY", required=True, title="quantities"
    )
    for name, (add, compute, summary, example) in quantities_.items():
        parser = quantities.add_parser(name, help=summary, epilog=f"example:\n  {example}")
        add(parser)
        if _flags(parser) & {"--inside", "--bath"}:
            parser.add_argument(
                "--molal",
                action="store_true",
                help="concentrations are molalities, mol/kg of water (converted to mM with "
                "the density of water at T)",
            )
        cm.add_temperature(parser)
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
        parser.set_defaults(handler=_run, compute=compute, cli_parser=parser)
        parser.description = f"{summary}.\n\n{_units_for(parser)}"


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def _units_for(parser: argparse.ArgumentParser) -> str:
    """The units paragraph of one quantity's help: only what its options use."""
    import textwrap

    flags = _flags(parser)
    parts = ["potentials in mV (V = phi_in - phi_out; outward current positive)"]
    if flags & {"--inside", "--bath"}:
        parts.append("concentrations in mM (mol/kg with --molal)")
    elif flags & {"--k-out", "--k-in"}:
        parts.append("concentrations in mM")
    parts.append("temperature in °C (--celsius, default 37) or K (--kelvin)")
    if "--vm" in flags and "--perm" in flags:
        parts.append("permeabilities in cm/s (relative values give relative currents)")
    elif flags & {"--perm", "--p-na", "--p-k"}:
        parts.append("permeabilities in cm/s or relative (only ratios matter)")
    text = f"units: {', '.join(parts)}."
    if "--ion" in flags:
        text += " Lists are comma-separated, one value per --ion."
    text += (
        " Values are computed in float64 (the Python API and sweeps default to float32);"
        " --json prints machine-readable output."
    )
    return textwrap.fill(text, 90)


def _run(args: argparse.Namespace) -> int:
    _jax.prepare_jax()  # float64 before any kernel is traced
    if getattr(args, "molal", False):
        _molal_to_mM(args)
    result, lines = args.compute(args)
    if getattr(args, "molal", False):
        result["input_units"] = "mol/kg (converted to mM with the density of water at T)"
    _checks.check_finite_result(result)
    print(json.dumps(result, indent=2, allow_nan=False) if args.json else "\n".join(lines))
    return 0


def _molal_to_mM(args: argparse.Namespace) -> None:
    """Turn every concentration option given in mol/kg (``--molal``) into mM at T."""
    from ionsweep.activity import molality_to_mM

    T = cm.temperature_kelvin(args)
    factor = _format.to_floats(molality_to_mM(1.0, T))[0]  # mM per mol/kg
    density = "the density of water (Kell 1975) is stated for 0-150 °C"
    if not 0 < factor < math.inf:
        raise cm.CliError("--molal", f"{density}; at {T:g} K it is not positive: no conversion")
    if not _KELL_RANGE_K[0] <= T <= _KELL_RANGE_K[1]:
        print(
            f"{args.cli_parser.prog}: warning: --molal: {density}; at {T:g} K it is extrapolated",
            file=sys.stderr,
        )
    for flag in _CONCENTRATION_FLAGS:
        dest = flag[2:].replace("-", "_")
        value = getattr(args, dest, None)
        if isinstance(value, dict):
            setattr(args, dest, {ion: c * factor for ion, c in value.items()})
        elif value is not None:
            setattr(args, dest, [c * factor for c in value])


Quantity = tuple[Callable[..., None], Callable[..., Result], str, str]

#: Quantities with a presentation of their own, by subcommand; a kernel of the same name
#: (``ghk_current`` for ``ghk-current``) is presented by its entry here.
_PRESENTED: dict[str, Quantity] = {
    "nernst": _calc_potentials.NERNST,
    "ghk": _calc_potentials.GHK,
    "ghk-current": _calc_potentials.GHK_CURRENT,
    "donnan": _calc_donnan.QUANTITY,
    "pump-leak": _calc_pump_leak.PUMP_LEAK,
    "pump-leak-volume": _calc_pump_leak.QUANTITY,
    "ljp": _calc_ljp.QUANTITY,
    "driving-force": _calc_potentials.DRIVING_FORCE,
}


def _quantities() -> dict[str, Quantity]:
    """Every subcommand of ``calc``: those presented on their own, then the other kernels."""
    derived = {_calc_kernel.calc_name(k): _calc_kernel.quantity(k) for k in KERNELS}
    return {**_PRESENTED, **{n: q for n, q in derived.items() if n not in _PRESENTED}}
