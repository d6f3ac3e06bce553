"""``ionsweep calc ljp``: the liquid junction potential between a pipette and a bath.

Follows ``_calc``'s pattern: :func:`_add_ljp` declares the options, :func:`_ljp` validates
them (raising :class:`~ionsweep.cli._common.CliError` before any computation: an unknown
ion, one without a tabulated mobility, a negative concentration, a side that is not
electroneutral), calls :func:`ionsweep.liquid_junction_potential` in float64 and returns
a JSON-ready dict and the human-readable lines. ``QUANTITY`` is the entry ``_calc``
registers.

The contribution of each ion is its term of the generalized Henderson equation
(Barry & Lynch 1991), written as a sum over ions:

    t_i = (RT/F) · z_i D_i Δc_i · ln(A/B) / (B − A),   A = Σ z_j² D_j c_j(pipette),
                                                        B = Σ z_j² D_j c_j(bath),

with Δc_i = c_i(bath) − c_i(pipette) and D the diffusion coefficients (only their ratios
matter: the mobilities relative to K⁺ of the shipped table serve): the terms sum to
the Henderson LJP (the limit −1/A of ln(A/B)/(B − A) where A = B). An ion with the same
concentration on both sides contributes nothing; the sign of its term is the sign its
diffusion gives the bath. With ``--method nernst-planck`` the LJP printed is the
Nernst–Planck one and the terms still sum to the Henderson value, printed beside it.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, cast

from ionsweep.cli import _common as cm, _format, _jax

__all__ = ["QUANTITY", "composition", "henderson_terms"]

Result = tuple[dict[str, Any], list[str]]

#: Methods of ``--method`` (those of :func:`ionsweep.liquid_junction_potential`).
METHODS = ("nernst-planck", "henderson")

#: The recorded potential the correction line takes as its example, mV.
EXAMPLE_RECORDED_MV = -60.0


def composition(text: str) -> dict[str, float]:
    """Parse ``ION=MM`` pairs (``"K+=130,gluconate-=110"``) into a dict of names to mM; an
    ion written twice is refused."""
    pairs: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"expected ION=MM pairs, got {item.strip()!r}")
        if name in pairs:
            raise argparse.ArgumentTypeError(f"{name} is listed twice")
        pairs[name] = cm.finite_float(value)
    return pairs


def _add_ljp(parser: argparse.ArgumentParser) -> None:
    for side, example in (("pipette", "K+=130,gluconate-=110,Cl-=20"), ("bath", "Na+=145,Cl-=145")):
        parser.add_argument(
            f"--{side}",
            type=composition,
            required=True,
            metavar="ION=MM,...",
            help=f"the {side} solution, ION=MM pairs (e.g. {example}); every ion of it, "
            "electroneutral",
        )
    parser.add_argument(
        "--method",
        default="nernst-planck",
        choices=METHODS,
        help="stationary Nernst-Planck junction (default; as LJPcalc/JLJP) or the generalized "
        "Henderson equation (closed form; as JPCalc)",
    )
    parser.add_argument(
        "--activity",
        metavar="MODEL",
        help="compute the junction with activities from this activity model (default: "
        "concentrations, as published LJP tables)",
    )


def _side(given: dict[str, float], flag: str) -> dict[str, float]:
    """One side's composition, mM by canonical ion name, checked."""
    from ionsweep import ions
    from ionsweep.activity import NEUTRALITY_RTOL

    side = flag[2:]
    out: dict[str, float] = {}
    for name, c in given.items():
        if name not in ions:
            raise cm.CliError(flag, f"unknown ion {name!r}")
        canon = ions.canonical(name)
        if canon in out:
            raise cm.CliError(flag, f"{canon} is listed twice")
        if c < 0:
            raise cm.CliError(flag, f"concentration of {canon} is {c:g} mM; it must be >= 0")
        if _mobility(canon) is None:
            raise cm.CliError(flag, f"no mobility is tabulated for {canon}")
        out[canon] = c
    charge = sum(ions.valence(n) * c for n, c in out.items())
    total = 0.5 * sum(abs(ions.valence(n)) * c for n, c in out.items())
    if total == 0:
        raise cm.CliError(flag, f"the {side} solution holds no ions")
    if abs(charge) > NEUTRALITY_RTOL * total:
        raise cm.CliError(
            flag,
            f"the {side} solution is not electroneutral (sum z*c = {charge:+g} mM); give "
            f"every ion of the {side} solution",
        )
    return out


def _mobility(name: str) -> float | None:
    """The tabulated mobility of an ion relative to K+ (D/D_K+), or None."""
    from ionsweep.activity import relative_mobility

    try:
        return float(relative_mobility(name))
    except (KeyError, ValueError):
        return None


def henderson_terms(pipette, bath, T: float) -> dict[str, float]:
    """Each ion's term of the generalized Henderson LJP, mV (see the module docstring).

    ``pipette`` and ``bath`` map canonical ion names to mM; T in K. The terms sum to the
    Henderson junction potential of the bath relative to the pipette.
    """
    from ionsweep import ions
    from ionsweep.constants import R_OVER_F_MV

    names = list(dict.fromkeys([*pipette, *bath]))
    z = {n: ions.valence(n) for n in names}
    D = {n: cast(float, _mobility(n)) for n in names}  # ions without one were refused
    A = sum(z[n] ** 2 * D[n] * pipette.get(n, 0.0) for n in names)
    B = sum(z[n] ** 2 * D[n] * bath.get(n, 0.0) for n in names)
    x = (B - A) / A
    factor = -(math.log1p(x) / x if abs(x) > 1e-8 else 1.0 - x / 2) / A  # ln(A/B)/(B − A)
    return {
        n: R_OVER_F_MV * T * z[n] * D[n] * (bath.get(n, 0.0) - pipette.get(n, 0.0)) * factor
        for n in names
    }


def _ljp(args: argparse.Namespace) -> Result:
    pipette, bath = _side(args.pipette, "--pipette"), _side(args.bath, "--bath")
    T = cm.temperature_kelvin(args)
    if args.activity is not None:
        _check_activity(args.activity)
    isw = _jax.float64_kernels()
    try:
        kw = {"activity": args.activity}
        V = _format.to_floats(
            isw.liquid_junction_potential(pipette, bath, T, method=args.method, **kw)
        )
        H = V if args.method == "henderson" and args.activity is None else None
        if H is None:
            H = _format.to_floats(
                isw.liquid_junction_potential(pipette, bath, T, method="henderson")
            )
    except (ValueError, KeyError) as exc:
        message = cm.one_line(exc.args[0] if exc.args else exc)
        raise cm.CliError("--bath" if "bath" in message else "--pipette", message) from None
    if not math.isfinite(V[0]):
        raise cm.CliError("--method", f"no {args.method} junction potential for these solutions")
    return _report(args, pipette, bath, T, V[0], H[0])


def _check_activity(model: str) -> None:
    from ionsweep.activity import get_activity_model

    try:
        get_activity_model(model)
    except (ValueError, KeyError) as exc:
        raise cm.CliError("--activity", str(exc).strip("'\"")) from None


def _report(args, pipette, bath, T: float, V: float, H: float) -> Result:
    from ionsweep import ions

    terms = henderson_terms(pipette, bath, T)
    keys = ("ion", "z", "pipette_mM", "bath_mM", "mobility", "henderson_term_mV")
    entries = [
        dict(
            zip(
                keys,
                (n, ions.valence(n), pipette.get(n, 0.0), bath.get(n, 0.0), _mobility(n), t),
                strict=True,
            )
        )
        for n, t in terms.items()
    ]
    columns = [
        ("z", "z", _format.fmt_z, ""),
        ("pipette", "pipette_mM", _format.fmt_num, "mM"),
        ("bath", "bath_mM", _format.fmt_num, "mM"),
        ("mobility", "mobility", "{:.4f}".format, ""),
        ("term", "henderson_term_mV", _format.fmt_mv, "mV"),
    ]
    how = "Nernst-Planck" if args.method == "nernst-planck" else "Henderson"
    act = f", activities: {args.activity}" if args.activity else ""
    membrane = EXAMPLE_RECORDED_MV - V
    lines = [
        f"Liquid junction potential ({how}{act}), {cm.temperature_line(T)}",
        f"  LJP = {_format.fmt_mv(V)} mV  (potential of the bath relative to the pipette)",
        f"  correction: V_membrane = V_recorded - LJP  (recorded {EXAMPLE_RECORDED_MV:+.2f} mV "
        f"-> membrane {_format.fmt_mv(membrane)} mV)",
        "  contribution of each ion = its term of the generalized Henderson equation (the",
        f"  terms sum to the Henderson LJP{' from concentrations' if args.activity else ''}, "
        f"{_format.fmt_mv(H)} mV); mobility relative to K+:",
        *_format.table(entries, columns),
    ]
    result = {"quantity": "ljp", **cm.temperature_json(T), "method": args.method}
    result.update(activity_model=args.activity, ljp_mV=V, henderson_ljp_mV=H)
    result.update(
        sign="potential of the bath relative to the pipette",
        correction="V_membrane = V_recorded - ljp_mV",
        pipette_mM=pipette,
        bath_mM=bath,
        contribution="henderson_term_mV: the ion's term of the generalized Henderson equation",
    )
    return {**result, "results": entries}, lines


QUANTITY = (
    _add_ljp,
    _ljp,
    "Liquid junction potential of the bath relative to the pipette (mV), the correction "
    "V_membrane = V_recorded - LJP and each ion's contribution (its term of the generalized "
    "Henderson equation; the terms sum to the Henderson LJP)",
    "ionsweep calc ljp --pipette K+=130,gluconate-=110,Cl-=20 --bath Na+=145,K+=5,Cl-=150 "
    "--celsius 25",
)
