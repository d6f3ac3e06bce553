"""The liquid junction potential of each row of a permeability-ratio fit.

A recorded reversal potential is the membrane potential plus the liquid junction potential
(LJP) between the pipette and the bath the amplifier was zeroed in, V_recorded = V_membrane
+ LJP, with the LJP as :func:`ionsweep.liquid_junction_potential` gives it (the bath
relative to the pipette). The pipette solution is the inside of the membrane (whole-cell,
outside-out). Each row's LJP comes from its own pipette and bath compositions: the
``<ion>_in`` and ``<ion>_out`` columns of the fitted and background ions, or one pipette
composition for every row and the ``<ion>_out`` columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.activity import NEUTRALITY_RTOL
from ionsweep.analysis._fit_data import Measurements
from ionsweep.analysis._fit_errors import FitInputError, _listed

__all__ = ["JUNCTION_METHODS", "junction_pipette", "row_junctions"]

#: Methods of :func:`ionsweep.liquid_junction_potential` a fit may use.
JUNCTION_METHODS = ("nernst-planck", "henderson")


def junction_pipette(junction) -> dict[str, float] | None:
    """The one pipette composition of ``junction`` (mM by canonical ion name), checked, or
    None when the pipette comes from the table (``True``) or there is no junction."""
    if junction is None or isinstance(junction, bool | np.bool_):
        return None
    if not isinstance(junction, Mapping):
        raise FitInputError(
            "junction",
            "junction must be True (pipette and bath from the table's columns) or a "
            f"mapping of ion names to mM (the pipette solution); got {type(junction).__name__}",
        )
    if not junction:
        raise FitInputError("junction", "the pipette composition is empty")
    out: dict[str, float] = {}
    for name, value in junction.items():
        try:
            canon = ion_table.canonical(str(name))
        except KeyError as exc:
            raise FitInputError("junction", f"pipette: {exc.args[0]}") from None
        try:
            c = float(value)
        except (TypeError, ValueError):
            raise FitInputError("junction", f"pipette {canon}: {value!r} is not a number") from None
        if not math.isfinite(c) or c < 0:
            raise FitInputError(
                "junction", f"pipette {canon}: concentration {c:g} mM; it must be finite and >= 0"
            )
        if canon in out:
            raise FitInputError("junction", f"pipette: {canon} is listed twice")
        out[canon] = c
    return out


def row_junctions(
    meas: Measurements, junction, pipette: Mapping[str, float] | None, method: str
) -> np.ndarray | None:
    """LJP of every row (n,), mV, or None without a junction correction.

    Raises :class:`FitInputError` (field ``"junction"``) naming the rows where a side is not
    electroneutral, and where the LJP has no finite value.
    """
    if junction is None or junction is False:
        return None
    names = meas.ions + meas.background
    pip = dict(zip(names, np.concatenate([meas.c_in, meas.b_in], axis=1).T, strict=True))
    bath = dict(zip(names, np.concatenate([meas.c_out, meas.b_out], axis=1).T, strict=True))
    for ion, c in (pipette or {}).items():
        pip.setdefault(ion, np.full(meas.n, c))
    for side, comp in (("pipette", pip), ("bath", bath)):
        _check_neutral(side, comp, meas)
    from ionsweep.activity import liquid_junction_potential

    try:
        mv = liquid_junction_potential(pip, bath, meas.T, method=method)
    except (ValueError, KeyError) as exc:
        raise FitInputError("junction", str(exc.args[0] if exc.args else exc)) from None
    ljp = np.asarray(mv, dtype=float).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(ljp))
    if bad.size:
        raise FitInputError(
            "junction",
            f"no liquid junction potential ({method}) at "
            f"{_listed([meas.row_names[i] for i in bad])}",
        )
    return ljp


def _check_neutral(side: str, comp: Mapping[str, np.ndarray], meas: Measurements) -> None:
    z = np.array([ion_table.valence(ion) for ion in comp], dtype=float)
    c = np.stack(list(comp.values()), axis=-1)
    net, total = c @ z, 0.5 * (c @ np.abs(z))
    off = np.flatnonzero(np.abs(net) > NEUTRALITY_RTOL * np.maximum(total, 1e-300))
    if off.size:
        i = int(off[0])
        raise FitInputError(
            "junction",
            f"the {side} solution is not electroneutral at "
            f"{_listed([meas.row_names[k] for k in off])} (sum z*c = {net[i]:+g} mM at "
            f"{meas.row_names[i]}, ions {', '.join(comp)}); list its other ions in "
            "background_ions (with columns) or in the pipette composition",
        )
