"""``ionsweep calc nernst``, ``ghk``, ``ghk-current`` and ``driving-force``: the potentials
and currents of ions across a membrane.

Each quantity is a pair of functions: ``_add_<name>`` declares its options, and ``_<name>``
validates the parsed arguments (raising :class:`~ionsweep.cli._common.CliError` before any
computation), calls the physics kernels in float64 and returns a JSON-ready dict and the
human-readable lines. ``NERNST``, ``GHK``, ``GHK_CURRENT`` and ``DRIVING_FORCE`` are the
entries ``_calc`` registers.
"""

from __future__ import annotations

import argparse
import math

from ionsweep.cli import _checks, _common as cm, _format, _jax
from ionsweep.cli._calc_activity import add_activity_options, nernst_activity
from ionsweep.cli._calc_shared import COL_C_IN, COL_C_OUT, COL_E, COL_ION, Result, no_solution, opt

__all__ = ["DRIVING_FORCE", "GHK", "GHK_CURRENT", "NERNST"]


# --- nernst ----------------------------------------------------------------------------


def _add_nernst(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser)
    cm.add_gamma(parser)
    add_activity_options(parser)


def _nernst_inputs(args: argparse.Namespace, names: list[str]) -> tuple[list[float], ...]:
    why = "the Nernst potential needs c > 0 on both sides (for bi-ionic conditions use 'calc ghk')"
    c_in = _checks.per_ion(args.inside, args.ion, "--inside")
    c_out = _checks.per_ion(args.outside, args.ion, "--outside")
    g_in = _checks.per_ion(args.gamma_in, args.ion, "--gamma-in", default=1.0)
    g_out = _checks.per_ion(args.gamma_out, args.ion, "--gamma-out", default=1.0)
    _checks.check_concentrations(c_in, names, "--inside", why)
    _checks.check_concentrations(c_out, names, "--outside", why)
    _checks.check_positive(g_in, names, "--gamma-in", "activity coefficient")
    _checks.check_positive(g_out, names, "--gamma-out", "activity coefficient")
    activity_in = [g * c for g, c in zip(g_in, c_in, strict=True)]
    activity_out = [g * c for g, c in zip(g_out, c_out, strict=True)]
    for flag, values in (("--inside", activity_in), ("--outside", activity_out)):
        for name, a in zip(names, values, strict=True):
            if not 0 < a < math.inf:
                raise cm.CliError(flag, f"activity gamma*c of {name} = {a:g} overflows float64")
    _checks.check_ratio(activity_in, activity_out, names, "--inside/--outside")
    return c_in, c_out, g_in, g_out


def _nernst(args: argparse.Namespace) -> Result:
    names, z = _checks.resolve_ions(args.ion, args.z)
    if args.activity is not None:
        return nernst_activity(args, names, z)
    for flag in ("--inside-ions", "--outside-ions"):
        if getattr(args, flag[2:].replace("-", "_")) is not None:
            raise cm.CliError(flag, "a composition is used only with --activity MODEL")
    c_in, c_out, g_in, g_out = _nernst_inputs(args, names)
    T = cm.temperature_kelvin(args)
    _jax.float64_kernels()
    E = _format.to_floats(_jax.compiled(_nernst_kernel, c_in, c_out, z, T, g_in, g_out))
    keys = ("ion", "z", "c_in_mM", "c_out_mM", "gamma_in", "gamma_out", "E_mV")
    results = _format.records(keys, names, z, c_in, c_out, g_in, g_out, E)
    columns = [COL_ION, COL_C_IN, COL_C_OUT]
    if args.gamma_in is not None or args.gamma_out is not None:
        columns += [
            ("gamma_in", "gamma_in", _format.fmt_num, ""),
            ("gamma_out", "gamma_out", _format.fmt_num, ""),
        ]
    lines = [
        f"Nernst potential, {cm.temperature_line(T)}",
        *_format.table(results, [*columns, COL_E]),
    ]
    return {"quantity": "nernst", **cm.temperature_json(T), "results": results}, lines


# --- ghk-current -----------------------------------------------------------------------


def _add_ghk_current(parser: argparse.ArgumentParser) -> None:
    opt(parser, "--vm", cm.finite_float, "membrane potential V = phi_in - phi_out, mV", "MV", True)
    cm.add_ion_options(parser)
    opt(parser, "--perm", cm.float_list, "permeabilities, cm/s (>= 0), one per ion", "P", True)


def _ghk_inputs(args: argparse.Namespace):
    """Ions, valences, concentrations and permeabilities of a GHK command, checked: no
    negative value, and no product P*c (or sum of them) outside the float64 range."""
    names, z = _checks.resolve_ions(args.ion, args.z)
    c_in = _checks.per_ion(args.inside, args.ion, "--inside")
    c_out = _checks.per_ion(args.outside, args.ion, "--outside")
    P = _checks.per_ion(args.perm, args.ion, "--perm")
    _checks.check_concentrations(c_in, names, "--inside")
    _checks.check_concentrations(c_out, names, "--outside")
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
    current = _format.to_floats(_jax.compiled(_ghk_current_kernel, args.vm, P, c_in, c_out, z, T))
    keys = ("ion", "z", "P_cm_per_s", "c_in_mM", "c_out_mM", "I_mA_per_cm2")
    results = _format.records(keys, names, z, P, c_in, c_out, current)
    for entry in results:
        i = entry["I_mA_per_cm2"]
        entry["current"] = "none" if i == 0 else ("outward" if i > 0 else "inward")
    total = sum(current)
    columns: list[_format.Column] = [
        COL_ION,
        ("P", "P_cm_per_s", _format.fmt_num, "cm/s"),
        COL_C_IN,
        COL_C_OUT,
    ]
    columns += [("I", "I_mA_per_cm2", "{:+.4g}".format, "mA/cm2"), ("", "current", str, "")]
    lines = [
        f"GHK current density at V = {_format.fmt_mv(args.vm)} mV, {cm.temperature_line(T)}",
        *_format.table(results, columns),
        f"  total I = {total:+.4g} mA/cm2 (outward positive)",
    ]
    result = {"quantity": "ghk_current", **cm.temperature_json(T), "V_mV": args.vm}
    result.update(total_I_mA_per_cm2=total)
    return {**result, "results": results}, lines


# --- ghk -------------------------------------------------------------------------------


def _add_ghk(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser)
    opt(parser, "--perm", cm.float_list, "permeabilities, cm/s or relative (>= 0)", "P", True)


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
    _jax.float64_kernels()
    V_all, E_all = (_format.to_floats(a) for a in _jax.compiled(_ghk_kernel, P, c_in, c_out, z, T))
    V = V_all[0]
    if not math.isfinite(V):
        raise no_solution(T, "--inside/--outside/--perm", "reversal potential")
    E = [e if math.isfinite(e) else None for e in E_all]
    keys = ("ion", "z", "P", "c_in_mM", "c_out_mM", "E_mV")
    results = _format.records(keys, names, z, P, c_in, c_out, E)
    lines = [
        f"GHK reversal potential, {cm.temperature_line(T)}",
        f"  V_rev = {_format.fmt_mv(V)} mV",
        *_format.table(
            results, [COL_ION, ("P", "P", _format.fmt_num, ""), COL_C_IN, COL_C_OUT, COL_E]
        ),
        "  (P as given, cm/s or relative; E = each ion's own Nernst potential)",
    ]
    result = {"quantity": "ghk", **cm.temperature_json(T), "V_rev_mV": V}
    return {**result, "P_units": "cm/s or relative", "results": results}, lines


# --- driving-force ---------------------------------------------------------------------


def _add_driving_force(parser: argparse.ArgumentParser) -> None:
    opt(parser, "--vm", cm.finite_float, "membrane potential V = phi_in - phi_out, mV", "MV", True)
    cm.add_ion_options(parser, concentrations=False)
    opt(parser, "--inside", cm.float_list, "inside concentrations, mM (E by Nernst)")
    opt(parser, "--outside", cm.float_list, "outside concentrations, mM")
    opt(parser, "--e", cm.float_list, "equilibrium potentials, mV, instead of concentrations", "MV")
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
    names, z = _checks.resolve_ions(args.ion, args.z)
    c_in = c_out = None
    if args.e is not None:
        for flag in ("--inside", "--outside", "--gamma-in", "--gamma-out"):
            if getattr(args, flag[2:].replace("-", "_")) is not None:
                raise cm.CliError(flag, "give either --e or concentrations, not both")
        E = _checks.per_ion(args.e, args.ion, "--e")
    else:
        for flag, value in (("--inside", args.inside), ("--outside", args.outside)):
            if value is None:
                raise cm.CliError(flag, "required (or give equilibrium potentials with --e)")
        c_in, c_out, g_in, g_out = _nernst_inputs(args, names)
    T = cm.temperature_kelvin(args)
    _jax.float64_kernels()
    if c_in is not None:
        inputs = (args.vm, c_in, c_out, z, T, g_in, g_out)
        E, df = (_format.to_floats(a) for a in _jax.compiled(_driving_force_kernel, *inputs))
    else:
        df = _format.to_floats(_jax.compiled(_difference_kernel, args.vm, E))
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
        if c_in is not None and c_out is not None:  # given together
            entry.update(c_in_mM=c_in[i], c_out_mM=c_out[i])
        results.append(entry)
    columns: list[_format.Column] = [
        COL_ION,
        COL_E,
        ("V - E", "driving_force_mV", _format.fmt_mv, "mV"),
        ("", "direction", str, ""),
    ]
    lines = [
        f"Driving force at V = {_format.fmt_mv(args.vm)} mV, {cm.temperature_line(T)}",
        *_format.table(results, columns),
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


def _driving_force_kernel(V, c_in, c_out, z, T, g_in, g_out):
    from ionsweep.physics import driving_force, nernst

    E = nernst(c_in, c_out, z, T, g_in, g_out)
    return E, driving_force(V, E)


def _difference_kernel(V, E):
    from ionsweep.physics import driving_force

    return driving_force(V, E)


NERNST = (
    _add_nernst,
    _nernst,
    "Nernst potential E = (RT/zF) ln(gamma_out*c_out / gamma_in*c_in) of each ion, mV",
    "ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37",
)
GHK = (
    _add_ghk,
    _ghk,
    "Goldman-Hodgkin-Katz reversal (zero-current) potential of a mix of ions, mV",
    "ionsweep calc ghk --ion K+,Na+,Cl- --inside 140,12,7 --outside 5,145,120 --perm 1,0.04,0.45",
)
GHK_CURRENT = (
    _add_ghk_current,
    _ghk_current,
    "Goldman-Hodgkin-Katz current density of each ion at a given potential, mA/cm2",
    "ionsweep calc ghk-current --vm -60 --ion K+,Na+ --inside 140,12 --outside 5,145 "
    "--perm 1e-6,4e-8",
)
DRIVING_FORCE = (
    _add_driving_force,
    _driving_force,
    "Driving force V - E (mV) of each ion, with the direction of flux and current",
    "ionsweep calc driving-force --vm -65 --ion K+ --inside 140 --outside 5 --celsius 37",
)
