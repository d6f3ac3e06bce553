"""``ionsweep calc pump-leak-volume``: the pump–leak–Donnan steady state and cell volume.

Follows ``_calc``'s pattern: :func:`_add_pump_leak_volume` declares the options,
:func:`_pump_leak_volume` validates them (raising :class:`~ionsweep.cli._common.CliError`
before any computation), calls the float64 kernel and returns a JSON-ready dict and the
human-readable lines. ``QUANTITY`` is the entry ``_calc`` registers.
"""

from __future__ import annotations

import argparse
from typing import Any

from ionsweep.cli import _common as cm

__all__ = ["QUANTITY"]

Result = tuple[dict[str, Any], list[str]]

#: dest -> (flag, help, metavar, default, rule); default None makes the option required.
_OPTIONS: dict[str, tuple[str, str, str, float | None, str]] = {
    "pump_flux": ("--pump", "Na+ extruded by the pump, pmol/(cm2 s)", "FLUX", None, ">= 0"),
    "P_Na": ("--p-na", "Na+ permeability, cm/s", "P", None, "> 0"),
    "P_K": ("--p-k", "K+ permeability, cm/s (default 1e-6)", "P", 1e-6, "> 0"),
    "P_Cl": ("--p-cl", "Cl- permeability, cm/s (default 1e-6; no effect)", "P", 1e-6, ">= 0"),
    "K_out": ("--k-out", "K+ outside, mM (default 5)", "MM", 5.0, ">= 0"),
    "Na_out": ("--na-out", "Na+ outside, mM (default 145)", "MM", 145.0, ">= 0"),
    "Cl_out": ("--cl-out", "Cl- outside, mM (default 150)", "MM", 150.0, ">= 0"),
    "impermeant": (
        "--impermeant",
        "impermeant solute per membrane area, mM*um (default 400: ~120 mM in a cell of "
        "radius 10 um)",
        "MM_UM",
        400.0,
        "> 0",
    ),
    "z_impermeant": (
        "--z-impermeant",
        "mean valence of the impermeant solute (default -1)",
        "Z",
        -1.0,
        "!= 0",
    ),
    "r": ("--ratio", "pump coupling ratio r, Na+ out per K+ in (default 1.5)", "R", 1.5, "> 0"),
    "osmolyte_out": (
        "--osmolyte-out",
        "extra impermeant osmolyte outside, mM (default 0)",
        "MM",
        0.0,
        ">= 0",
    ),
}
_UNITS = {"pump_flux": "pmol/(cm2 s)", "impermeant": "mM*um"}


def _add_pump_leak_volume(parser: argparse.ArgumentParser) -> None:
    for dest, (flag, text, metavar, default, _) in _OPTIONS.items():
        parser.add_argument(
            flag,
            type=cm.finite_float,
            help=text,
            metavar=metavar,
            required=default is None,
            default=default,
            dest=dest,
        )


def _check(args: argparse.Namespace) -> dict[str, float]:
    values = {dest: getattr(args, dest) for dest in _OPTIONS}
    for dest, (flag, text, _, _, rule) in _OPTIONS.items():
        v = values[dest]
        ok = {">= 0": v >= 0, "> 0": v > 0, "!= 0": v != 0}[rule]
        if not ok:
            what = text.split(",")[0].split(" (")[0]
            raise cm.CliError(flag, f"{what} is {v:g}; it must be {rule}")
    return values


def _pump_leak_volume(args: argparse.Namespace) -> Result:
    values = _check(args)
    T = cm.temperature_kelvin(args)
    isw = cm.float64_kernels()
    order = (
        "pump_flux",
        "P_K",
        "P_Na",
        "P_Cl",
        "K_out",
        "Na_out",
        "Cl_out",
        "impermeant",
        "z_impermeant",
    )
    s = isw.pump_leak_steady_state(
        *(values[k] for k in order), T, values["r"], values["osmolyte_out"]
    )
    if not bool(s.valid):
        raise cm.CliError(
            "--pump",
            "no steady state for these inputs: the pump outruns the largest Na+ leak (lower "
            "--pump or raise --p-na), or the cell swells without bound (a stopped pump with "
            "no --osmolyte-out)",
        )
    V, Na, K, Cl, vol = (cm.to_floats(a)[0] for a in s[:5])
    c_X = values["impermeant"] / vol
    result = {"quantity": "pump_leak_volume", **cm.temperature_json(T), **values}
    result.update(V_mV=V, Na_in_mM=Na, K_in_mM=K, Cl_in_mM=Cl, volume_um=vol, impermeant_mM=c_X)
    rows = [
        ["V", "=", cm.fmt_mv(V), "mV", "  membrane potential (phi_in - phi_out)"],
        ["[Na]i", "=", cm.fmt_conc(Na), "mM"],
        ["[K]i", "=", cm.fmt_conc(K), "mM"],
        ["[Cl]i", "=", cm.fmt_conc(Cl), "mM", "  at equilibrium (zero net Cl- flux)"],
        ["[X]i", "=", cm.fmt_conc(c_X), "mM", "  impermeant concentration"],
        ["volume", "=", f"{vol:.4g}", "um", "  per membrane area (sphere: radius/3)"],
    ]
    echo = ", ".join(
        f"{_OPTIONS[k][0][2:]} = {values[k]:g}{' ' + _UNITS[k] if k in _UNITS else ''}"
        for k in values
    )
    lines = [
        f"Pump-leak-Donnan steady state, {cm.temperature_line(T)}",
        *cm.align(rows),
        f"  ({echo})",
    ]
    return result, lines


QUANTITY = (
    _add_pump_leak_volume,
    _pump_leak_volume,
    "Pump-leak-Donnan steady state: potential (mV), internal Na+, K+, Cl- (mM) and cell "
    "volume per membrane area (um) from the pump rate and permeabilities",
    "ionsweep calc pump-leak-volume --pump 20 --p-na 5e-8 --p-k 1e-6 --impermeant 400",
)
