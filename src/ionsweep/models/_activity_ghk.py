"""Activity error of Nernst and GHK reversal potentials, with compositions set by ionic strength.

The sweep model ``activity_error_ghk`` extends ``activity_error`` in three ways:

* **GHK reversal potentials** of several permeant ions (option ``permeant``, inputs
  ``P_<ion>``): outputs ``V_rev`` (GHK voltage equation with activities a = γ·c under the
  swept model) and ``dV_rev`` = V_rev(model) − V_rev(reference).
* **Ionic strength as an axis** (option ``fill``): one ion's concentration on each side
  follows from the ionic strength asked for (inputs ``I_in``, ``I_out`` on the molar scale,
  mol/L) while the ``balance`` ion keeps the side electroneutral. With fill ``Na+`` and
  balance ``Cl-``, each side is a NaCl solution holding the other ions at their given
  concentrations. Points where the fixed ions alone exceed the ionic strength asked for
  (a negative fill or balance concentration) are NaN.
* **Relative uncertainty of γ** (inputs ``gamma_factor_in``, ``gamma_factor_out``, default
  1): the swept model's activity coefficients of every ion on that side are multiplied by
  this factor (the reference's are not), so a sensitivity spec can give γ a relative error.

Every side's activity coefficients come from that side's full composition. Outputs also
include each side's ionic strength in mol/kg (what the activity models see).
"""

from __future__ import annotations

import jax.numpy as jnp

from ionsweep import physics
from ionsweep._ions import ions as ion_table
from ionsweep.activity import MODELS, log_gamma, mM_to_molality
from ionsweep.activity._registry import model_index
from ionsweep.constants import R_OVER_F_MV
from ionsweep.models._activity import _check_models
from ionsweep.models._base import Input, Model, Output
from ionsweep.models._builtin import _T, _ion_list, symbol

__all__ = ["activity_error_ghk"]


def _options(names, balance, fill, permeant, report):
    """Validate the ion options; return (balance, fill, permeant, report) canonicalized."""

    def one(option, value):
        if value is None:
            return None
        ion = ion_table.canonical(value)
        if ion not in names:
            raise ValueError(f"model option {option!r} = {ion!r} is not one of 'ions'")
        return ion

    balance, fill = one("balance", balance), one("fill", fill)
    if fill is not None:
        if balance is None:
            raise ValueError("model option 'fill' needs 'balance' (keeps each side neutral)")
        if fill == balance:
            raise ValueError("model options 'fill' and 'balance' must name different ions")
        if ion_table.valence(fill) * ion_table.valence(balance) > 0:
            raise ValueError(
                f"model options 'fill' ({fill}) and 'balance' ({balance}) need charges of "
                "opposite sign"
            )
        if any(symbol(i) == "I" for i in names):
            raise ValueError("option 'fill' uses inputs I_in/I_out, which iodide's would clash")
    permeant = tuple(one("permeant", p) for p in (permeant or ()))
    if len(set(permeant)) != len(permeant):
        raise ValueError(f"model option 'permeant' lists an ion twice: {list(permeant)}")
    report = tuple(one("report", r) for r in (report or names))
    return balance, fill, permeant, report


def _inputs(names, balance, fill, permeant, models):
    out = []
    for ion in names:
        if ion in (balance, fill):
            continue
        s = symbol(ion)
        out.append(Input(f"{s}_in", "mM", f"{ion} concentration inside", None, "nonnegative"))
        out.append(Input(f"{s}_out", "mM", f"{ion} concentration outside", None, "nonnegative"))
    if fill is not None:
        for side, where in (("in", "inside"), ("out", "outside")):
            out.append(
                Input(f"I_{side}", "M", f"ionic strength {where} (molar scale)", None, "positive")
            )
    for ion in permeant:
        out.append(
            Input(f"P_{symbol(ion)}", "1", f"{ion} permeability (relative)", None, "nonnegative")
        )
    out.append(_T())
    out.append(
        Input(
            "activity_model",
            "1",
            "activity-coefficient model",
            None,
            labels="activity_model",
            differentiable=False,
            choices=models,
        )
    )
    for side, where in (("in", "inside"), ("out", "outside")):
        out.append(
            Input(
                f"gamma_factor_{side}",
                "1",
                f"factor on the model's activity coefficients {where}",
                1.0,
                "positive",
            )
        )
    return tuple(out)


def _side(x, names, balance, fill, side, lead, dtype):
    """Concentrations (..., n) of one side in mM, fill and balance ions solved for."""
    cols = {}
    for ion in names:
        if ion not in (balance, fill):
            cols[ion] = jnp.broadcast_to(jnp.asarray(x[f"{symbol(ion)}_{side}"], dtype), lead)
    q = sum((ion_table.valence(i) * c for i, c in cols.items()), jnp.zeros(lead, dtype))
    s = sum((ion_table.valence(i) ** 2 * c for i, c in cols.items()), jnp.zeros(lead, dtype))
    if fill is not None:
        zf, zb = ion_table.valence(fill), ion_table.valence(balance)
        two_i = 2000.0 * jnp.broadcast_to(jnp.asarray(x[f"I_{side}"], dtype), lead)  # 2I, mM
        cols[fill] = (two_i - s + zb * q) / (zf * (zf - zb))
        q = q + zf * cols[fill]
    if balance is not None:
        cols[balance] = -q / ion_table.valence(balance)
    c = jnp.stack([cols[i] for i in names], axis=-1)
    ok = jnp.all(c >= 0, axis=-1)
    return c, ok


def activity_error_ghk(
    ions=("K+", "Na+", "Cl-"),
    permeant=(),
    report=None,
    balance=None,
    fill=None,
    models=MODELS,
    reference="ideal",
) -> Model:
    """Activity errors ΔE of Nernst potentials and, with ``permeant``, of the GHK potential.

    Options: ``ions`` (the composition), ``permeant`` (ions of the GHK voltage equation;
    none by default), ``report`` (ions whose Nernst errors are output; all by default),
    ``balance`` (ion set by electroneutrality), ``fill`` (ion set by the ionic strength
    inputs ``I_in``/``I_out``, M), ``models`` (the ``activity_model`` axis) and
    ``reference`` (``"ideal"`` by default).
    """
    names = _ion_list(ions)
    balance, fill, permeant, report = _options(names, balance, fill, permeant, report)
    models = _check_models(models, names)
    reference = _check_models([reference], names)[0]
    z = [ion_table.valence(i) for i in names]

    def fn(x):
        lead = jnp.broadcast_shapes(*(jnp.shape(v) for v in x.values()))
        dtype = jnp.result_type(*x.values(), 0.0)
        T = jnp.broadcast_to(jnp.asarray(x["T"], dtype), lead)
        c_in, ok_in = _side(x, names, balance, fill, "in", lead, dtype)
        c_out, ok_out = _side(x, names, balance, fill, "out", lead, dtype)
        ok = ok_in & ok_out
        m_in, m_out = mM_to_molality(c_in, T[..., None]), mM_to_molality(c_out, T[..., None])
        idx = jnp.broadcast_to(x["activity_model"], lead)

        def swept(m):
            out = jnp.full(m.shape, jnp.nan, m.dtype)
            for name in models:
                lg = log_gamma(name, names, m, T)
                out = jnp.where((idx == model_index(name))[..., None], lg, out)
            return out

        lg_in = swept(m_in) + jnp.log(x["gamma_factor_in"])[..., None]
        lg_out = swept(m_out) + jnp.log(x["gamma_factor_out"])[..., None]
        ref_in, ref_out = log_gamma(reference, names, m_in, T), log_gamma(reference, names, m_out, T)
        res = {}
        vt = R_OVER_F_MV * T  # RT/F, mV
        for ion in report:
            k, s = names.index(ion), symbol(ion)
            E = physics.nernst(
                c_in[..., k], c_out[..., k], z[k], T, jnp.exp(lg_in[..., k]), jnp.exp(lg_out[..., k])
            )
            diff = (lg_out[..., k] - lg_in[..., k]) - (ref_out[..., k] - ref_in[..., k])
            dE = jnp.where(jnp.isfinite(E), vt / z[k] * diff, jnp.nan)
            res[f"dE_{s}"] = dE
            res[f"E_{s}"] = E
            res[f"gamma_in_{s}"] = jnp.exp(lg_in[..., k])
            res[f"gamma_out_{s}"] = jnp.exp(lg_out[..., k])
        if permeant:
            kk = [names.index(p) for p in permeant]
            P = jnp.stack([jnp.broadcast_to(x[f"P_{symbol(p)}"], lead) for p in permeant], -1)
            zz = jnp.asarray([z[k] for k in kk], dtype)

            def ghk(lgi, lgo):
                a_in = jnp.exp(lgi[..., kk]) * c_in[..., kk]
                a_out = jnp.exp(lgo[..., kk]) * c_out[..., kk]
                return physics.ghk_voltage(P, a_in, a_out, zz, T)

            V = ghk(lg_in, lg_out)
            res["V_rev"] = V
            res["dV_rev"] = V - ghk(ref_in, ref_out)
        m_z2 = jnp.asarray([zi * zi for zi in z], dtype)
        res["ionic_strength_in"] = 0.5 * jnp.sum(m_in * m_z2, axis=-1)
        res["ionic_strength_out"] = 0.5 * jnp.sum(m_out * m_z2, axis=-1)
        return {k: jnp.where(ok, v, jnp.nan) for k, v in res.items()}

    outputs = []
    for ion in report:
        s = symbol(ion)
        outputs += [
            Output(f"dE_{s}", "mV", f"activity error of E_{s}: E(activity_model) - E({reference})"),
            Output(f"E_{s}", "mV", f"{ion} equilibrium potential with activities"),
            Output(f"gamma_in_{s}", "1", f"{ion} activity coefficient inside"),
            Output(f"gamma_out_{s}", "1", f"{ion} activity coefficient outside"),
        ]
    if permeant:
        ions_text = ", ".join(permeant)
        outputs += [
            Output("V_rev", "mV", f"GHK reversal potential of {ions_text} with activities"),
            Output(
                "dV_rev",
                "mV",
                f"activity error of the GHK reversal potential: V_rev(activity_model) - "
                f"V_rev({reference})",
            ),
        ]
    outputs += [
        Output("ionic_strength_in", "mol/kg", "ionic strength inside"),
        Output("ionic_strength_out", "mol/kg", "ionic strength outside"),
    ]
    return Model(
        "activity_error_ghk",
        _inputs(names, balance, fill, permeant, models),
        tuple(outputs),
        fn,
        f"activity error of Nernst and GHK potentials relative to {reference!r}",
    )


#: The factory ``_registry._FACTORIES`` lists under ``"activity_error_ghk"``.
factory = activity_error_ghk
