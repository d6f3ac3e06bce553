"""``ionsweep calc``: evaluate one membrane-physics quantity and print it.

Each quantity is a pair of functions: ``_add_<name>`` declares its options, and ``_<name>``
validates the parsed arguments (raising :class:`~ionsweep.cli._common.CliError` before any
computation), calls the physics kernels in float64 and returns a JSON-ready dict and the
human-readable lines. JAX and the kernels are imported only when a quantity is computed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from ionsweep.cli import _common as cm
from ionsweep.cli._calc_activity import add_activity_options, nernst_activity

__all__ = ["register"]

Result = tuple[dict[str, Any], list[str]]

_UNITS = """\
units: potentials in mV (V = phi_in - phi_out; outward current positive), concentrations
in mM, temperature in °C (--celsius, default 37) or K (--kelvin), permeabilities in cm/s or
relative (only ratios matter). Lists are comma-separated, one value per --ion. Values are
computed in float64 (the Python API and sweeps default to float32); --json prints
machine-readable output."""

#: Where the density of water that converts --molal input is stated (Kell 1975), K.
_KELL_RANGE_K = (273.15, 423.15)

#: Options that take concentrations, mM (mol/kg with --molal).
_CONCENTRATION_FLAGS = ("--inside", "--outside", "--bath", "--inside-ions", "--outside-ions")

_ION = ("z", "z", cm.fmt_z, "")
_C_IN = ("c_in", "c_in_mM", cm.fmt_num, "mM")
_C_OUT = ("c_out", "c_out_mM", cm.fmt_num, "mM")
_E = ("E", "E_mV", cm.fmt_mv, "mV")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calc`` command and its quantities to the top-level subparsers."""
    examples = "\n".join(f"  {example}" for _, _, _, example in _QUANTITIES.values())
    calc = subparsers.add_parser(
        "calc",
        help="evaluate one quantity (Nernst, GHK, Donnan, pump-leak, driving force)",
        description=f"Evaluate one membrane-physics quantity and print it.\n\n{_UNITS}",
        epilog=f"examples:\n{examples}",
    )
    quantities = calc.add_subparsers(
        dest="quantity", metavar="QUANTITY", required=True, title="quantities"
    )
    for name, (add, compute, summary, example) in _QUANTITIES.items():
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
    cm.prepare_jax()  # float64 before any kernel is traced
    if getattr(args, "molal", False):
        _molal_to_mM(args)
    result, lines = args.compute(args)
    if getattr(args, "molal", False):
        result["input_units"] = "mol/kg (converted to mM with the density of water at T)"
    cm.check_finite_result(result)
    print(json.dumps(result, indent=2, allow_nan=False) if args.json else "\n".join(lines))
    return 0


def _opt(
    parser: argparse.ArgumentParser,
    flag: str,
    kind: Callable[[str], Any],
    help: str,
    metavar: str = "MM",
    required: bool = False,
    **kw: Any,
) -> None:
    parser.add_argument(flag, type=kind, help=help, metavar=metavar, required=required, **kw)


def _molal_to_mM(args: argparse.Namespace) -> None:
    """Turn every concentration option given in mol/kg (``--molal``) into mM at T."""
    from ionsweep.activity import molality_to_mM

    T = cm.temperature_kelvin(args)
    factor = cm.to_floats(molality_to_mM(1.0, T))[0]  # mM per mol/kg
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


def _no_solution(isw: Any, T: float, argument: str, what: str) -> cm.CliError:
    from ionsweep.constants import R_OVER_F_MV

    span = 30 * R_OVER_F_MV * T
    return cm.CliError(argument, f"no {what} within +-30 RT/F (+-{span:.0f} mV) for these inputs")


# --- nernst ----------------------------------------------------------------------------


def _add_nernst(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser)
    cm.add_gamma(parser)
    add_activity_options(parser)


def _nernst_inputs(args: argparse.Namespace, names: list[str]) -> tuple[list[float], ...]:
    why = "the Nernst potential needs c > 0 on both sides (for bi-ionic conditions use 'calc ghk')"
    c_in = cm.per_ion(args.inside, args.ion, "--inside")
    c_out = cm.per_ion(args.outside, args.ion, "--outside")
    g_in = cm.per_ion(args.gamma_in, args.ion, "--gamma-in", default=1.0)
    g_out = cm.per_ion(args.gamma_out, args.ion, "--gamma-out", default=1.0)
    cm.check_concentrations(c_in, names, "--inside", why)
    cm.check_concentrations(c_out, names, "--outside", why)
    cm.check_positive(g_in, names, "--gamma-in", "activity coefficient")
    cm.check_positive(g_out, names, "--gamma-out", "activity coefficient")
    activity_in = [g * c for g, c in zip(g_in, c_in, strict=True)]
    activity_out = [g * c for g, c in zip(g_out, c_out, strict=True)]
    for flag, values in (("--inside", activity_in), ("--outside", activity_out)):
        for name, a in zip(names, values, strict=True):
            if not 0 < a < math.inf:
                raise cm.CliError(flag, f"activity gamma*c of {name} = {a:g} overflows float64")
    cm.check_ratio(activity_in, activity_out, names, "--inside/--outside")
    return c_in, c_out, g_in, g_out


def _nernst(args: argparse.Namespace) -> Result:
    names, z = cm.resolve_ions(args.ion, args.z)
    if args.activity is not None:
        return nernst_activity(args, names, z)
    for flag in ("--inside-ions", "--outside-ions"):
        if getattr(args, flag[2:].replace("-", "_")) is not None:
            raise cm.CliError(flag, "a composition is used only with --activity MODEL")
    c_in, c_out, g_in, g_out = _nernst_inputs(args, names)
    T = cm.temperature_kelvin(args)
    cm.float64_kernels()
    E = cm.to_floats(cm.compiled(_nernst_kernel, c_in, c_out, z, T, g_in, g_out))
    keys = ("ion", "z", "c_in_mM", "c_out_mM", "gamma_in", "gamma_out", "E_mV")
    results = cm.records(keys, names, z, c_in, c_out, g_in, g_out, E)
    columns = [_ION, _C_IN, _C_OUT]
    if args.gamma_in is not None or args.gamma_out is not None:
        columns += [
            ("gamma_in", "gamma_in", cm.fmt_num, ""),
            ("gamma_out", "gamma_out", cm.fmt_num, ""),
        ]
    lines = [f"Nernst potential, {cm.temperature_line(T)}", *cm.table(results, [*columns, _E])]
    return {"quantity": "nernst", **cm.temperature_json(T), "results": results}, lines


# --- ghk-current -----------------------------------------------------------------------


def _add_ghk_current(parser: argparse.ArgumentParser) -> None:
    _opt(parser, "--vm", cm.finite_float, "membrane potential V = phi_in - phi_out, mV", "MV", True)
    cm.add_ion_options(parser)
    _opt(parser, "--perm", cm.float_list, "permeabilities, cm/s (>= 0), one per ion", "P", True)


def _ghk_inputs(args: argparse.Namespace):
    """Ions, valences, concentrations and permeabilities of a GHK command, checked: no
    negative value, and no product P*c (or sum of them) outside the float64 range."""
    names, z = cm.resolve_ions(args.ion, args.z)
    c_in = cm.per_ion(args.inside, args.ion, "--inside")
    c_out = cm.per_ion(args.outside, args.ion, "--outside")
    P = cm.per_ion(args.perm, args.ion, "--perm")
    cm.check_concentrations(c_in, names, "--inside")
    cm.check_concentrations(c_out, names, "--outside")
    for name, p in zip(names, P, strict=True):
        if p < 0:
            raise cm.CliError("--perm", f"permeability of {name} is {p:g}; it must be >= 0")
    for side, cs in (("inside", c_in), ("outside", c_out)):
        if not math.isfinite(sum(p * c for p, c in zip(P, cs, strict=True))):
            raise cm.CliError(
                "--perm",
                f"the sum of P*c {side} overflows float64; give relative permeabilities",
            )
    for name, p, ci, co in zip(names, P, c_in, c_out, strict=True):
        for side, c in (("inside", ci), ("outside", co)):
            if not math.isfinite(p * c) or (p * c == 0 and p > 0 and c > 0):
                raise cm.CliError(
                    "--perm",
                    f"P*c of {name} {side} = {p:g}*{c:g} is outside the float64 range; "
                    "give permeabilities of a smaller magnitude",
                )
    return names, z, c_in, c_out, P


def _ghk_current(args: argparse.Namespace) -> Result:
    names, z, c_in, c_out, P = _ghk_inputs(args)
    T = cm.temperature_kelvin(args)
    current = cm.to_floats(cm.compiled(_ghk_current_kernel, args.vm, P, c_in, c_out, z, T))
    keys = ("ion", "z", "P_cm_per_s", "c_in_mM", "c_out_mM", "I_mA_per_cm2")
    results = cm.records(keys, names, z, P, c_in, c_out, current)
    for entry in results:
        i = entry["I_mA_per_cm2"]
        entry["current"] = "none" if i == 0 else ("outward" if i > 0 else "inward")
    total = sum(current)
    columns = [_ION, ("P", "P_cm_per_s", cm.fmt_num, "cm/s"), _C_IN, _C_OUT]
    columns += [("I", "I_mA_per_cm2", "{:+.4g}".format, "mA/cm2"), ("", "current", str, "")]
    lines = [
        f"GHK current density at V = {cm.fmt_mv(args.vm)} mV, {cm.temperature_line(T)}",
        *cm.table(results, columns),
        f"  total I = {total:+.4g} mA/cm2 (outward positive)",
    ]
    result = {"quantity": "ghk_current", **cm.temperature_json(T), "V_mV": args.vm}
    result.update(total_I_mA_per_cm2=total)
    return {**result, "results": results}, lines


# --- ghk -------------------------------------------------------------------------------


def _add_ghk(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser)
    _opt(parser, "--perm", cm.float_list, "permeabilities, cm/s or relative (>= 0)", "P", True)


def _ghk(args: argparse.Namespace) -> Result:
    names, z, c_in, c_out, P = _ghk_inputs(args)
    if not any(P):
        raise cm.CliError("--perm", "all permeabilities are 0; at least one ion must permeate")
    # Zero net current needs a permeant ion carrying outward current (a cation inside or an
    # anion outside) and one carrying inward current; otherwise no potential exists.
    for sign, direction, side, other in (
        (1, "outward", "inside", "outside"),
        (-1, "inward", "outside", "inside"),
    ):
        carried = [
            p * (ci if zi * sign > 0 else co)
            for p, ci, co, zi in zip(P, c_in, c_out, z, strict=True)
        ]
        if not any(carried):
            raise cm.CliError(
                "--inside/--outside",
                f"no reversal potential: no permeant ion can carry {direction} current "
                f"(that needs a permeant cation {side} or anion {other} with c > 0)",
            )
    T = cm.temperature_kelvin(args)
    isw = cm.float64_kernels()
    V, E = (cm.to_floats(a) for a in cm.compiled(_ghk_kernel, P, c_in, c_out, z, T))
    V = V[0]
    if not math.isfinite(V):
        raise _no_solution(isw, T, "--inside/--outside/--perm", "reversal potential")
    E = [e if math.isfinite(e) else None for e in E]
    keys = ("ion", "z", "P", "c_in_mM", "c_out_mM", "E_mV")
    results = cm.records(keys, names, z, P, c_in, c_out, E)
    lines = [
        f"GHK reversal potential, {cm.temperature_line(T)}",
        f"  V_rev = {cm.fmt_mv(V)} mV",
        *cm.table(results, [_ION, ("P", "P", cm.fmt_num, ""), _C_IN, _C_OUT, _E]),
        "  (P as given, cm/s or relative; E = each ion's own Nernst potential)",
    ]
    result = {"quantity": "ghk", **cm.temperature_json(T), "V_rev_mV": V}
    return {**result, "P_units": "cm/s or relative", "results": results}, lines


# --- donnan ----------------------------------------------------------------------------


def _add_donnan(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser, concentrations=False)
    bath = "bath (outside) concentrations, mM, one per ion; must be electroneutral (sum z*c = 0)"
    _opt(parser, "--bath", cm.float_list, bath, "MM", True)
    charge = "impermeant charge inside, mM of elementary charge, signed (e.g. -50 for 50 mM of"
    _opt(parser, "--fixed-charge", cm.finite_float, f"{charge} a monovalent anion)", "MM", True)
    group = parser.add_mutually_exclusive_group()
    imp = "concentration of the impermeant species, mM; adds the osmotic imbalance, mOsm/L"
    _opt(group, "--impermeant", cm.finite_float, imp)
    zimp = "valence of the impermeant species: its concentration is fixed-charge/Z (e.g. -2)"
    _opt(group, "--z-impermeant", cm.valence_list, zimp, "Z")


def _donnan(args: argparse.Namespace) -> Result:
    names, z = cm.resolve_ions(args.ion, args.z)
    c_bath = cm.per_ion(args.bath, args.ion, "--bath")
    cm.check_concentrations(c_bath, names, "--bath")
    if args.impermeant is not None and args.impermeant < 0:
        raise cm.CliError("--impermeant", f"concentration is {args.impermeant:g} mM; must be >= 0")
    impermeant, impermeant_source = args.impermeant, "given"
    if args.z_impermeant is not None:
        if len(args.z_impermeant) != 1:
            raise cm.CliError("--z-impermeant", "one valence, for the one impermeant species")
        (z_imp,) = args.z_impermeant
        impermeant, impermeant_source = args.fixed_charge / z_imp, f"fixed charge / ({z_imp:+d})"
        if impermeant < 0:
            raise cm.CliError(
                "--z-impermeant",
                f"a species of valence {z_imp:+d} cannot carry a fixed charge of "
                f"{args.fixed_charge:g} mM (opposite signs)",
            )
    from ionsweep.physics import BATH_NEUTRALITY_RTOL  # the tolerance sweeps flag with

    charges = [zi * c for zi, c in zip(z, c_bath, strict=True)]
    total, net = sum(abs(q) for q in charges), sum(charges)
    if total == 0:
        raise cm.CliError("--bath", "all bath concentrations are 0; no Donnan equilibrium exists")
    if abs(net) > BATH_NEUTRALITY_RTOL * total:
        raise cm.CliError(
            "--bath", f"bath is not electroneutral: net charge sum(z*c) = {net:+g} mM (must be 0)"
        )
    T = cm.temperature_kelvin(args)
    isw = cm.float64_kernels()
    c_imp = 0.0 if impermeant is None else impermeant
    V, c_in, imbalance = (
        cm.to_floats(a) for a in cm.compiled(_donnan_kernel, c_bath, z, args.fixed_charge, T, c_imp)
    )
    if not math.isfinite(V[0]):
        raise _no_solution(isw, T, "--fixed-charge", "Donnan equilibrium")
    keys = ("ion", "z", "c_bath_mM", "c_in_mM")
    results = cm.records(keys, names, z, c_bath, c_in)
    for entry in results:
        c_b = entry["c_bath_mM"]
        entry["c_in_over_c_bath"] = entry["c_in_mM"] / c_b if c_b > 0 else None
    columns = [
        _ION,
        ("c_bath", "c_bath_mM", cm.fmt_num, "mM"),
        ("c_in", "c_in_mM", cm.fmt_conc, "mM"),
        ("c_in/c_bath", "c_in_over_c_bath", "{:.4f}".format, ""),
    ]
    result = {"quantity": "donnan", **cm.temperature_json(T)}
    result.update(fixed_charge_mM=args.fixed_charge, V_mV=V[0])
    lines = [
        f"Donnan equilibrium, {cm.temperature_line(T)}, fixed charge {args.fixed_charge:g} mM",
        f"  V = {cm.fmt_mv(V[0])} mV",
        *cm.table(results, columns),
    ]
    if impermeant is not None:
        d = imbalance[0]
        result.update(impermeant_mM=impermeant, osmotic_imbalance_mOsm_per_L=d)
        result["impermeant_source"] = impermeant_source
        derived = "" if impermeant_source == "given" else f" = {impermeant_source}"
        lines.append(
            f"  osmotic imbalance = {d:+.2f} mOsm/L (inside - bath, ideal solution; "
            f"impermeant {impermeant:g} mM{derived})"
        )
    elif args.fixed_charge != 0:
        lines.append(
            "  (osmotic imbalance: give the impermeant species with --impermeant MM or "
            "--z-impermeant Z)"
        )
    return {**result, "results": results}, lines


# --- pump-leak -------------------------------------------------------------------------

_PUMP_LEAK = {"K_in": "--k-in", "K_out": "--k-out", "Na_in": "--na-in", "Na_out": "--na-out"}


def _add_pump_leak(parser: argparse.ArgumentParser) -> None:
    for dest, flag in _PUMP_LEAK.items():
        ion, side = dest.split("_")
        _opt(parser, flag, cm.finite_float, f"{ion}+ {side}side, mM", "MM", True, dest=dest)
    _opt(parser, "--p-na", cm.finite_float, "Na+ permeability, cm/s or relative", "P", True)
    _opt(
        parser,
        "--p-k",
        cm.finite_float,
        "K+ permeability, cm/s or relative (default 1)",
        "P",
        default=1.0,
    )
    ratio = "pump coupling ratio r, Na+ out per K+ in (default 1.5, the 3:2 pump)"
    _opt(parser, "--ratio", cm.finite_float, ratio, "R", default=1.5)


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
    cm.float64_kernels()
    inputs = (args.p_k, args.p_na, conc["K_in"], conc["K_out"], conc["Na_in"], conc["Na_out"], T)
    V, V1 = (float(v) for v in cm.compiled(_pump_leak_kernel, *inputs, args.ratio))
    result = {"quantity": "pump_leak", **cm.temperature_json(T)}
    result.update({f"{dest}_mM": value for dest, value in conc.items()})
    result.update(P_K=args.p_k, P_Na=args.p_na, ratio=args.ratio, V_mV=V, V_goldman_mV=V1)
    rows = [
        [f"V (r = {args.ratio:g})", "=", cm.fmt_mv(V), "mV", "  Mullins-Noda steady state"],
        ["V (r = 1)", "=", cm.fmt_mv(V1), "mV", "  Goldman (K+, Na+), for comparison"],
        ["difference", "=", cm.fmt_mv(V - V1), "mV", "  electrogenic pump contribution"],
    ]
    parts = [(*d.split("_"), c) for d, c in conc.items()]  # ("K", "in", 140.0)
    inputs_line = ", ".join(f"[{ion}]{side[0]} = {c:g} mM" for ion, side, c in parts)
    lines = [
        f"Pump-leak steady state, {cm.temperature_line(T)}",
        *cm.align(rows),
        f"  ({inputs_line}; P_K = {args.p_k:g}, P_Na = {args.p_na:g})",
    ]
    return result, lines


# --- driving-force ---------------------------------------------------------------------


def _add_driving_force(parser: argparse.ArgumentParser) -> None:
    _opt(parser, "--vm", cm.finite_float, "membrane potential V = phi_in - phi_out, mV", "MV", True)
    cm.add_ion_options(parser, concentrations=False)
    _opt(parser, "--inside", cm.float_list, "inside concentrations, mM (E by Nernst)")
    _opt(parser, "--outside", cm.float_list, "outside concentrations, mM")
    _opt(
        parser, "--e", cm.float_list, "equilibrium potentials, mV, instead of concentrations", "MV"
    )
    cm.add_gamma(parser)


def _direction(name: str, z: int, df: float) -> tuple[str, str, str]:
    """Flux and current directions for a driving force ``df`` = V − E in mV, and a sentence.

    V − E > 0 drives a cation out (outward current) and an anion in (outward current too).
    """
    if round(df, 2) == 0:
        return "none", "none", f"{name} is at equilibrium: no net passive flux or current"
    current = "outward" if df > 0 else "inward"
    flux = current if z > 0 else ("inward" if df > 0 else "outward")
    where = "out of" if flux == "outward" else "into"
    return flux, current, f"{name} moves {where} the cell ({flux} flux), {current} current"


def _driving_force(args: argparse.Namespace) -> Result:
    names, z = cm.resolve_ions(args.ion, args.z)
    c_in = c_out = None
    if args.e is not None:
        for flag in ("--inside", "--outside", "--gamma-in", "--gamma-out"):
            if getattr(args, flag[2:].replace("-", "_")) is not None:
                raise cm.CliError(flag, "give either --e or concentrations, not both")
        E = cm.per_ion(args.e, args.ion, "--e")
    else:
        for flag, value in (("--inside", args.inside), ("--outside", args.outside)):
            if value is None:
                raise cm.CliError(flag, "required (or give equilibrium potentials with --e)")
        c_in, c_out, g_in, g_out = _nernst_inputs(args, names)
    T = cm.temperature_kelvin(args)
    cm.float64_kernels()
    if c_in is not None:
        inputs = (args.vm, c_in, c_out, z, T, g_in, g_out)
        E, df = (cm.to_floats(a) for a in cm.compiled(_driving_force_kernel, *inputs))
    else:
        df = cm.to_floats(cm.compiled(_difference_kernel, args.vm, E))
    results = []
    for i, name in enumerate(names):
        flux, current, words = _direction(name, z[i], df[i])
        entry = {
            "ion": name,
            "z": z[i],
            "E_mV": E[i],
            "E_source": "given" if c_in is None else "nernst",
            "driving_force_mV": df[i],
            "flux": flux,
            "current": current,
            "direction": words,
        }
        if c_in is not None:
            entry.update(c_in_mM=c_in[i], c_out_mM=c_out[i])
        results.append(entry)
    columns = [_ION, _E, ("V - E", "driving_force_mV", cm.fmt_mv, "mV"), ("", "direction", str, "")]
    lines = [
        f"Driving force at V = {cm.fmt_mv(args.vm)} mV, {cm.temperature_line(T)}",
        *cm.table(results, columns),
    ]
    result = {"quantity": "driving_force", **cm.temperature_json(T), "V_mV": args.vm}
    return {**result, "results": results}, lines


# --- one compiled program per command (cached on disk by JAX between runs) ------------


def _nernst_kernel(c_in, c_out, z, T, g_in, g_out):
    from ionsweep.physics import nernst

    return nernst(c_in, c_out, z, T, g_in, g_out)


def _ghk_current_kernel(V, P, c_in, c_out, z, T):
    from ionsweep.physics import ghk_current

    return ghk_current(V, P, c_in, c_out, z, T)


def _ghk_kernel(P, c_in, c_out, z, T):
    from ionsweep.physics import ghk_voltage, nernst

    return ghk_voltage(P, c_in, c_out, z, T), nernst(c_in, c_out, z, T)


def _donnan_kernel(c_bath, z, fixed_charge, T, c_impermeant):
    from ionsweep.physics import donnan

    V, c_in = donnan(c_bath, z, fixed_charge, T)
    return V, c_in, c_in.sum(-1) - c_bath.sum(-1) + c_impermeant


def _pump_leak_kernel(P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r):
    from ionsweep.physics import pump_leak_voltage

    inputs = (P_K, P_Na, K_in, K_out, Na_in, Na_out, T)
    return pump_leak_voltage(*inputs, r), pump_leak_voltage(*inputs, 1.0)


def _driving_force_kernel(V, c_in, c_out, z, T, g_in, g_out):
    from ionsweep.physics import driving_force, nernst

    E = nernst(c_in, c_out, z, T, g_in, g_out)
    return E, driving_force(V, E)


def _difference_kernel(V, E):
    from ionsweep.physics import driving_force

    return driving_force(V, E)


_QUANTITIES: dict[str, tuple[Callable[..., None], Callable[..., Result], str, str]] = {
    "nernst": (
        _add_nernst,
        _nernst,
        "Nernst potential E = (RT/zF) ln(gamma_out*c_out / gamma_in*c_in) of each ion, mV",
        "ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37",
    ),
    "ghk": (
        _add_ghk,
        _ghk,
        "Goldman-Hodgkin-Katz reversal (zero-current) potential of a mix of ions, mV",
        "ionsweep calc ghk --ion K+,Na+,Cl- --inside 140,12,7 --outside 5,145,120 "
        "--perm 1,0.04,0.45",
    ),
    "ghk-current": (
        _add_ghk_current,
        _ghk_current,
        "Goldman-Hodgkin-Katz current density of each ion at a given potential, mA/cm2",
        "ionsweep calc ghk-current --vm -60 --ion K+,Na+ --inside 140,12 --outside 5,145 "
        "--perm 1e-6,4e-8",
    ),
    "donnan": (
        _add_donnan,
        _donnan,
        "Donnan equilibrium with an infinite bath: potential (mV), inside concentrations (mM)",
        "ionsweep calc donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50 --impermeant 50",
    ),
    "pump-leak": (
        _add_pump_leak,
        _pump_leak,
        "Mullins-Noda pump-leak steady-state potential (mV), with the r = 1 Goldman value",
        "ionsweep calc pump-leak --k-in 140 --k-out 5 --na-in 12 --na-out 145 --p-na 0.04",
    ),
    "pump-leak-volume": __import__("ionsweep.cli._calc_pump_leak", fromlist=["_"]).QUANTITY,
    "driving-force": (
        _add_driving_force,
        _driving_force,
        "Driving force V - E (mV) of each ion, with the direction of flux and current",
        "ionsweep calc driving-force --vm -65 --ion K+ --inside 140 --outside 5 --celsius 37",
    ),
}
