"""``ionsweep calc nernst --activity MODEL``: each side's γ from its full composition.

The other ions of each side come as ``ION=MM`` pairs (``--inside-ions Na+=12,Cl-=152``); the
``--ion`` concentrations are added. Both compositions are checked (known ions, c > 0,
electroneutral within :data:`ionsweep.activity.NEUTRALITY_RTOL`) before anything is
computed; then one compiled program gives γ on both sides (``ionsweep.activity``'s public
``activity_coefficients``, molality from ``mM_to_molality``) and the Nernst potentials.
"""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from ionsweep.cli import _checks, _common as cm, _format, _jax

__all__ = ["add_activity_options", "nernst_activity", "range_note"]

Result = tuple[dict[str, Any], list[str]]

# Columns of the printed table (label, key, format, unit), as in ``_calc``.
_ION = ("z", "z", _format.fmt_z, "")
_C_IN = ("c_in", "c_in_mM", _format.fmt_num, "mM")
_C_OUT = ("c_out", "c_out_mM", _format.fmt_num, "mM")
_E = ("E", "E_mV", _format.fmt_mv, "mV")


def add_activity_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--activity``, ``--inside-ions`` and ``--outside-ions`` to ``calc nernst``."""
    model = (
        "activity model giving each side's gamma from its full composition (--inside-ions, "
        "--outside-ions): ideal, debye_huckel, extended_debye_huckel, truesdell_jones, "
        "davies, davies_0.2, pitzer, pitzer:hmw84"
    )
    parser.add_argument("--activity", metavar="MODEL", help=model)
    for side in ("inside", "outside"):
        text = (
            f"the other ions {side} for --activity, ION=MM pairs (e.g. Na+=12,Cl-=152); "
            "the --ion concentrations are added; each side must be electroneutral"
        )
        parser.add_argument(f"--{side}-ions", type=_composition, metavar="ION=MM,...", help=text)


def _composition(text: str) -> dict[str, float]:
    """Parse ``ION=MM`` pairs (``"Na+=12,Cl-=152"``) into a dict of names to mM."""
    pairs = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"expected ION=MM pairs, got {item.strip()!r}")
        pairs[name.strip()] = cm.finite_float(value)
    return pairs


def _side(args: argparse.Namespace, names: list[str], side: str) -> dict[str, float]:
    """Full composition of one side for ``--activity``, mM by canonical name, checked."""
    from ionsweep import ions
    from ionsweep.activity import NEUTRALITY_RTOL

    flag = f"--{side}-ions"
    given = getattr(args, f"{side}_ions") or {}
    composition: dict[str, float] = {}
    for name, c in given.items():
        if name not in ions:
            raise cm.CliError(flag, f"unknown ion {name!r}")
        composition[ions.canonical(name)] = c
    for name, c in zip(
        names, _checks.per_ion(getattr(args, side), args.ion, f"--{side}"), strict=True
    ):
        if name in composition and composition[name] != c:
            raise cm.CliError(
                flag, f"{name} is {composition[name]:g} mM here but {c:g} in --{side}"
            )
        composition[name] = c
    for name, c in composition.items():
        if c <= 0:
            raise cm.CliError(flag, f"concentration of {name} is {c:g} mM; it must be > 0")
    charge = sum(ions.valence(n) * c for n, c in composition.items())
    total = 0.5 * sum(abs(ions.valence(n)) * c for n, c in composition.items())
    if abs(charge) > NEUTRALITY_RTOL * total:
        raise cm.CliError(
            flag,
            f"the {side} solution is not electroneutral (sum z*c = {charge:+g} mM); give every "
            f"ion of the {side} solution, e.g. {flag} Na+=12,Cl-=152",
        )
    return composition


def nernst_activity(args: argparse.Namespace, names: list[str], z: list[int]) -> Result:
    """``calc nernst --activity``: validate both compositions, then compute in one program."""
    from ionsweep.activity import get_activity_model

    if args.z is not None:
        raise cm.CliError("--z", "--activity needs ions of the table (valences from their names)")
    for flag in ("--gamma-in", "--gamma-out"):
        if getattr(args, flag[2:].replace("-", "_")) is not None:
            raise cm.CliError(flag, "give either --activity or activity coefficients, not both")
    try:
        get_activity_model(args.activity)
    except (ValueError, KeyError) as exc:
        raise cm.CliError("--activity", str(exc).strip("'\"")) from None
    inside, outside = _side(args, names, "inside"), _side(args, names, "outside")
    T = cm.temperature_kelvin(args)
    note = range_note(args.activity, {"inside": inside, "outside": outside}, T)
    if note:
        print(f"{args.cli_parser.prog}: warning: {note}", file=sys.stderr)
    kernel = functools.partial(
        _kernel,
        ions=tuple(names),
        species=(tuple(inside), tuple(outside)),
        model=args.activity,
    )
    E, g_in, g_out = (
        _format.to_floats(a)
        for a in _jax.compiled(kernel, list(inside.values()), list(outside.values()), T)
    )
    c_in, c_out = [inside[n] for n in names], [outside[n] for n in names]
    keys = ("ion", "z", "c_in_mM", "c_out_mM", "gamma_in", "gamma_out", "E_mV")
    results = _format.records(keys, names, z, c_in, c_out, g_in, g_out, E)
    columns = [_ION, _C_IN, _C_OUT, ("gamma_in", "gamma_in", "{:.4f}".format, "")]
    columns += [("gamma_out", "gamma_out", "{:.4f}".format, ""), _E]
    ionic = ", ".join(
        f"{side} {', '.join(f'{n} {c:g}' for n, c in comp.items())} mM"
        for side, comp in (("inside", inside), ("outside", outside))
    )
    lines = [
        f"Nernst potential with activities ({args.activity}), {cm.temperature_line(T)}",
        *_format.table(results, columns),
        f"  (gamma of each side from its composition: {ionic})",
    ]
    result = {"quantity": "nernst", **cm.temperature_json(T), "activity_model": args.activity}
    result.update(inside_mM=inside, outside_mM=outside)
    return {**result, "results": results}, lines


def range_note(model: str, sides: dict[str, dict[str, float]], T: float) -> str | None:
    """One line saying which inputs lie outside the declared validity range of the activity
    ``model`` (:func:`ionsweep.activity.validity_range`), or None. ``sides``: each side's
    composition, mM by ion name; T in K."""
    from ionsweep.activity import ionic_strength, mM_to_molality, validity_range

    names = tuple(dict.fromkeys(n for comp in sides.values() for n in comp))
    rng = validity_range(model, names)
    T_low, T_high, I_high = rng.bounds()
    found = [f"T = {T:g} K"] if not T_low <= T <= T_high else []
    for side, comp in sides.items():
        I = float(mM_to_molality(ionic_strength(comp), T))  # noqa: E741
        if I > I_high:
            found.append(f"I {side} = {I:.4g} mol/kg")
    if not found:
        return None
    verb = "is" if len(found) == 1 else "are"
    return (
        f"activity model {model!r} is stated for {rng.describe()} ({rng.source}); "
        f"{' and '.join(found)} {verb} outside: gamma is extrapolated, the result kept"
    )


def _kernel(c_in, c_out, T, *, ions, species, model):
    import jax.numpy as jnp

    from ionsweep.activity import activity_coefficients, mM_to_molality
    from ionsweep.physics import nernst

    def gammas(c, names):
        molality = {n: mM_to_molality(c[k], T) for k, n in enumerate(names)}
        g = activity_coefficients(model, molality, T, neutrality_rtol=None)
        return jnp.stack([g[i] for i in ions]), jnp.stack([c[names.index(i)] for i in ions])

    (g_in, a), (g_out, b) = gammas(c_in, species[0]), gammas(c_out, species[1])
    from ionsweep import ions as table

    z = jnp.asarray([table.valence(i) for i in ions], c_in.dtype)
    return nernst(a, b, z, T, g_in, g_out), g_in, g_out
