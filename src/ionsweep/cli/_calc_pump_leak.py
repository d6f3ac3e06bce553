"""``ionsweep calc pump-leak`` and ``pump-leak-volume``: steady states of a cell whose
Na⁺/K⁺ pump balances the passive leaks — the Mullins–Noda potential at given internal ions,
and the pump–leak–Donnan state with its internal ions and cell volume.

Follows ``_calc``'s pattern: ``_add_<name>`` declares the options, ``_<name>`` validates
them (raising :class:`~ionsweep.cli._common.CliError` before any computation), calls the
float64 kernel and returns a JSON-ready dict and the human-readable lines. ``PUMP_LEAK`` and
``QUANTITY`` (pump-leak-volume) are the entries ``_calc`` registers.
"""

from __future__ import annotations

import argparse

from ionsweep.cli import _common as cm, _format, _jax
from ionsweep.cli._calc_shared import Result, opt

__all__ = ["PUMP_LEAK", "QUANTITY"]

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
    isw = _jax.float64_kernels()
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
    V, Na, K, Cl, vol = (_format.to_floats(a)[0] for a in s[:5])
    c_X = values["impermeant"] / vol
    result = {"quantity": "pump_leak_volume", **cm.temperature_json(T), **values}
    result.update(V_mV=V, Na_in_mM=Na, K_in_mM=K, Cl_in_mM=Cl, volume_um=vol, impermeant_mM=c_X)
    rows = [
        ["V", "=", _format.fmt_mv(V), "mV", "  membrane potential (phi_in - phi_out)"],
        ["[Na]i", "=", _format.fmt_conc(Na), "mM"],
        ["[K]i", "=", _format.fmt_conc(K), "mM"],
        ["[Cl]i", "=", _format.fmt_conc(Cl), "mM", "  at equilibrium (zero net Cl- flux)"],
        ["[X]i", "=", _format.fmt_conc(c_X), "mM", "  impermeant concentration"],
        ["volume", "=", f"{vol:.4g}", "um", "  per membrane area (sphere: radius/3)"],
    ]
    echo = ", ".join(
        f"{_OPTIONS[k][0][2:]} = {values[k]:g}{' ' + _UNITS[k] if k in _UNITS else ''}"
        for k in values
    )
    lines = [
        f"Pump-leak-Donnan steady state, {cm.temperature_line(T)}",
        *_format.align(rows),
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


# --- pump-leak (Mullins–Noda potential) ---------------------------------------------

_PUMP_LEAK = {"K_in": "--k-in", "K_out": "--k-out", "Na_in": "--na-in", "Na_out": "--na-out"}


def _add_pump_leak(parser: argparse.ArgumentParser) -> None:
    for dest, flag in _PUMP_LEAK.items():
        ion, side = dest.split("_")
        opt(parser, flag, cm.finite_float, f"{ion}+ {side}side, mM", "MM", True, dest=dest)
    opt(parser, "--p-na", cm.finite_float, "Na+ permeability, cm/s or relative", "P", True)
    opt(
        parser,
        "--p-k",
        cm.finite_float,
        "K+ permeability, cm/s or relative (default 1)",
        "P",
        default=1.0,
    )
    ratio = "pump coupling ratio r, Na+ out per K+ in (default 1.5, the 3:2 pump)"
    opt(parser, "--ratio", cm.finite_float, ratio, "R", default=1.5)


def _pump_leak(args: argparse.Namespace) -> Result:
    conc = {dest: getattr(args, dest) for dest in _PUMP_LEAK}
    for dest, value in conc.items():
        if value < 0:
            raise cm.CliError(_PUMP_LEAK[dest], f"concentration is {value:g} mM; must be >= 0")
    for flag, value in (("--p-k", args.p_k), ("--p-na", args.p_na)):
        if value < 0:
            raise cm.CliError(flag, f"permeability is {value:g}; it must be >= 0")
    if args.p_k == 0 and args.p_na == 0:
        raise cm.CliError("--p-k/--p-na", "both permeabilities are 0; no potential is defined")
    if args.ratio <= 0:
        raise cm.CliError("--ratio", f"pump coupling ratio is {args.ratio:g}; it must be > 0")
    for s in ("in", "out"):
        if args.p_k * conc[f"K_{s}"] + args.p_na * conc[f"Na_{s}"] == 0:
            raise cm.CliError(
                f"--k-{s}/--na-{s}",
                f"no permeant ion {s}side "
                f"(P_K*[K]{s[0]} + P_Na*[Na]{s[0]} = 0); no potential is defined",
            )
    T = cm.temperature_kelvin(args)
    _jax.float64_kernels()
    inputs = (args.p_k, args.p_na, conc["K_in"], conc["K_out"], conc["Na_in"], conc["Na_out"], T)
    V, V1 = (float(v) for v in _jax.compiled(_pump_leak_kernel, *inputs, args.ratio))
    result = {"quantity": "pump_leak", **cm.temperature_json(T)}
    result.update({f"{dest}_mM": value for dest, value in conc.items()})
    result.update(P_K=args.p_k, P_Na=args.p_na, ratio=args.ratio, V_mV=V, V_goldman_mV=V1)
    rows = [
        [f"V (r = {args.ratio:g})", "=", _format.fmt_mv(V), "mV", "  Mullins-Noda steady state"],
        ["V (r = 1)", "=", _format.fmt_mv(V1), "mV", "  Goldman (K+, Na+), for comparison"],
        ["difference", "=", _format.fmt_mv(V - V1), "mV", "  electrogenic pump contribution"],
    ]
    parts = [(*d.split("_"), c) for d, c in conc.items()]  # ("K", "in", 140.0)
    inputs_line = ", ".join(f"[{ion}]{side[0]} = {c:g} mM" for ion, side, c in parts)
    lines = [
        f"Pump-leak steady state, {cm.temperature_line(T)}",
        *_format.align(rows),
        f"  ({inputs_line}; P_K = {args.p_k:g}, P_Na = {args.p_na:g})",
    ]
    return result, lines


def _pump_leak_kernel(P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r):
    from ionsweep.physics import pump_leak_voltage

    inputs = (P_K, P_Na, K_in, K_out, Na_in, Na_out, T)
    return pump_leak_voltage(*inputs, r), pump_leak_voltage(*inputs, 1.0)


PUMP_LEAK = (
    _add_pump_leak,
    _pump_leak,
    "Mullins-Noda pump-leak steady-state potential (mV), with the r = 1 Goldman value",
    "ionsweep calc pump-leak --k-in 140 --k-out 5 --na-in 12 --na-out 145 --p-na 0.04",
)
