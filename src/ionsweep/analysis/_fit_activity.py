"""Activities of the fitted ions for an activity-corrected permeability-ratio fit."""

from __future__ import annotations

import functools
import warnings

import jax
import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.analysis._fit_data import Measurements
from ionsweep.analysis._fit_errors import FitInputError, FitWarning, _listed

__all__ = ["activities"]


def _warn(message: str) -> None:
    warnings.warn(message, FitWarning, stacklevel=4)  # user -> fit -> activities -> here


def activities(meas: Measurements, model: str | None, parameters=None):
    """Activities γ·c of the fitted ions on each side (mM), or the concentrations.

    The Pitzer temperature range is checked on the concrete temperatures of the table before
    the jitted evaluation (where T is traced and cannot be inspected).
    """
    if model is None:
        if parameters is not None:
            raise FitInputError("parameters", "a Pitzer parameter set needs activity_model")
        return meas.c_in, meas.c_out
    from ionsweep.activity import (
        NEUTRALITY_RTOL,
        check_pitzer_temperature,
        get_activity_model,
        log_gamma,
        mM_to_molality,
        pitzer_parameters,
    )
    from ionsweep.activity._pitzer_sets import split_model

    try:
        get_activity_model(model)
        kind, set_name = split_model(model)
        if parameters is not None and (kind != "pitzer" or set_name is not None):
            raise ValueError(f"parameters= applies to activity_model 'pitzer' only, not {model!r}")
        if kind == "pitzer":
            params = pitzer_parameters(set_name if parameters is None else parameters)
    except (ValueError, TypeError) as exc:
        raise FitInputError("activity_model", str(exc)) from None
    names = meas.ions + meas.background
    if kind == "pitzer":
        try:
            check_pitzer_temperature(names, meas.T, params)
        except ValueError as exc:
            raise FitInputError("activity_model", str(exc)) from None
        model, parameters = "pitzer", params
    z = np.array([*meas.z, *(_valence(b) for b in meas.background)], dtype=float)
    k = len(meas.ions)
    out = []
    for side, c, b in (("inside", meas.c_in, meas.b_in), ("outside", meas.c_out, meas.b_out)):
        c_all = np.concatenate([c, b], axis=1)
        net, total = c_all @ z, 0.5 * (c_all @ np.abs(z))
        off = np.flatnonzero(np.abs(net) > NEUTRALITY_RTOL * total)
        if off.size:
            _warn(
                f"activity correction: the {side} solution is not electroneutral with the "
                f"ions {', '.join(names)} at {_listed([meas.row_names[i] for i in off])} "
                f"(net charge {net[off[0]]:+g} mM); its ionic strength counts only these "
                "ions — list the other ions of each solution in background_ions"
            )
        try:
            m = mM_to_molality(c_all, meas.T[:, None])
            ln_g = _log_gamma(log_gamma)(model, names, m, meas.T, parameters=parameters)
            ln_g = np.asarray(ln_g, dtype=float)
        except (ValueError, KeyError, NotImplementedError) as exc:
            msg = exc.args[0] if exc.args else str(exc)
            raise FitInputError("activity_model", f"activity model {model!r}: {msg}") from None
        bad = np.flatnonzero(~np.all(np.isfinite(ln_g), axis=1))
        if bad.size:
            raise FitInputError(
                "activity_model",
                f"activity model {model!r} gave no finite activity coefficient {side} at "
                f"{_listed([meas.row_names[i] for i in bad])} (outside its range?)",
            )
        out.append(c * np.exp(ln_g[:, :k]))
    return out[0], out[1]


@functools.cache
def _log_gamma(log_gamma):
    """``log_gamma`` jitted with the model and ion names static: one compilation per model
    and composition instead of op-by-op dispatch."""
    return jax.jit(log_gamma, static_argnums=(0, 1), static_argnames=("parameters",))


def _valence(name: str) -> int:
    return ion_table.valence(name)
