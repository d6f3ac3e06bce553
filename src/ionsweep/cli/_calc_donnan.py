"""``ionsweep calc donnan``: the Donnan equilibrium of a cell with an infinite bath.

:func:`_add_donnan` declares the options, :func:`_donnan` validates them (raising
:class:`~ionsweep.cli._common.CliError` before any computation), calls the float64 kernel
and returns a JSON-ready dict and the human-readable lines. ``QUANTITY`` is the entry
``_calc`` registers.
"""

from __future__ import annotations

import argparse
import math

from ionsweep.cli import _checks, _common as cm, _format, _jax
from ionsweep.cli._calc_shared import COL_ION, Result, no_solution, opt

__all__ = ["QUANTITY"]


def _add_donnan(parser: argparse.ArgumentParser) -> None:
    cm.add_ion_options(parser, concentrations=False)
    bath = "bath (outside) concentrations, mM, one per ion; must be electroneutral (sum z*c = 0)"
    opt(parser, "--bath", cm.float_list, bath, "MM", True)
    charge = "impermeant charge inside, mM of elementary charge, signed (e.g. -50 for 50 mM of"
    opt(parser, "--fixed-charge", cm.finite_float, f"{charge} a monovalent anion)", "MM", True)
    group = parser.add_mutually_exclusive_group()
    imp = "concentration of the impermeant species, mM; adds the osmotic imbalance, mOsm/L"
    opt(group, "--impermeant", cm.finite_float, imp)
    zimp = "valence of the impermeant species: its concentration is fixed-charge/Z (e.g. -2)"
    opt(group, "--z-impermeant", cm.valence_list, zimp, "Z")


def _donnan(args: argparse.Namespace) -> Result:
    names, z = _checks.resolve_ions(args.ion, args.z)
    c_bath = _checks.per_ion(args.bath, args.ion, "--bath")
    _checks.check_concentrations(c_bath, names, "--bath")
    impermeant, impermeant_source = _impermeant(args)
    _check_neutral_bath(z, c_bath)
    T = cm.temperature_kelvin(args)
    _jax.float64_kernels()
    c_imp = 0.0 if impermeant is None else impermeant
    V, c_in, imbalance = (
        _format.to_floats(a)
        for a in _jax.compiled(_donnan_kernel, c_bath, z, args.fixed_charge, T, c_imp)
    )
    if not math.isfinite(V[0]):
        raise no_solution(T, "--fixed-charge", "Donnan equilibrium")
    keys = ("ion", "z", "c_bath_mM", "c_in_mM")
    results = _format.records(keys, names, z, c_bath, c_in)
    for entry in results:
        c_b = entry["c_bath_mM"]
        entry["c_in_over_c_bath"] = entry["c_in_mM"] / c_b if c_b > 0 else None
    columns = [
        COL_ION,
        ("c_bath", "c_bath_mM", _format.fmt_num, "mM"),
        ("c_in", "c_in_mM", _format.fmt_conc, "mM"),
        ("c_in/c_bath", "c_in_over_c_bath", "{:.4f}".format, ""),
    ]
    result = {"quantity": "donnan", **cm.temperature_json(T)}
    result.update(fixed_charge_mM=args.fixed_charge, V_mV=V[0])
    lines = [
        f"Donnan equilibrium, {cm.temperature_line(T)}, fixed charge {args.fixed_charge:g} mM",
        f"  V = {_format.fmt_mv(V[0])} mV",
        *_format.table(results, columns),
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


def _impermeant(args: argparse.Namespace) -> tuple[float | None, str]:
    """The impermeant concentration (mM; None if not given) and where it comes from:
    ``--impermeant`` itself, or the fixed charge over ``--z-impermeant``."""
    if args.impermeant is not None and args.impermeant < 0:
        raise cm.CliError("--impermeant", f"concentration is {args.impermeant:g} mM; must be >= 0")
    if args.z_impermeant is None:
        return args.impermeant, "given"
    if len(args.z_impermeant) != 1:
        raise cm.CliError("--z-impermeant", "one valence, for the one impermeant species")
    (z_imp,) = args.z_impermeant
    impermeant = args.fixed_charge / z_imp
    if impermeant < 0:
        raise cm.CliError(
            "--z-impermeant",
            f"a species of valence {z_imp:+d} cannot carry a fixed charge of "
            f"{args.fixed_charge:g} mM (opposite signs)",
        )
    return impermeant, f"fixed charge / ({z_imp:+d})"


def _check_neutral_bath(z: list[int], c_bath: list[float]) -> None:
    """Refuse a bath without ions or not electroneutral (to the tolerance sweeps flag with)."""
    from ionsweep.physics import BATH_NEUTRALITY_RTOL

    charges = [zi * c for zi, c in zip(z, c_bath, strict=True)]
    total, net = sum(abs(q) for q in charges), sum(charges)
    if total == 0:
        raise cm.CliError("--bath", "all bath concentrations are 0; no Donnan equilibrium exists")
    if abs(net) > BATH_NEUTRALITY_RTOL * total:
        raise cm.CliError(
            "--bath", f"bath is not electroneutral: net charge sum(z*c) = {net:+g} mM (must be 0)"
        )


def _donnan_kernel(c_bath, z, fixed_charge, T, c_impermeant):
    from ionsweep.physics import donnan

    V, c_in = donnan(c_bath, z, fixed_charge, T)
    return V, c_in, c_in.sum(-1) - c_bath.sum(-1) + c_impermeant


QUANTITY = (
    _add_donnan,
    _donnan,
    "Donnan equilibrium with an infinite bath: potential (mV), inside concentrations (mM)",
    "ionsweep calc donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50 --impermeant 50",
)
