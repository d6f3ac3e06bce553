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

import functools

import jax.numpy as jnp

from ionsweep import physics
from ionsweep._fastmath import exp_keep_nan
from ionsweep._ions import ions as ion_table
from ionsweep.activity import (
    MODELS,
    delta_E,
    ion_form,
    ionic_strength,
    log_gamma,
    mM_to_molality,
    select_model,
)
from ionsweep.models._activity import (
    _check_models,
    _nernst_outputs,
    _range_check,
    label_code,
    range_flag,
)
from ionsweep.models._base import FLAG, Input, Model, Output
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
    """Concentrations of one side in mM, one array per ion (fill and balance solved for)."""
    cols = {}
    for ion in names:
        if ion not in (balance, fill):
            cols[ion] = jnp.broadcast_to(jnp.asarray(x[f"{symbol(ion)}_{side}"], dtype), lead)
    q = sum((ion_table.valence(i) * c for i, c in cols.items()), jnp.zeros(lead, dtype))
    if fill is not None:
        zf, zb = ion_table.valence(fill), ion_table.valence(balance)
        two_i = 2000.0 * jnp.broadcast_to(jnp.asarray(x[f"I_{side}"], dtype), lead)  # 2I, mM
        s = 2 * ionic_strength(cols) if cols else jnp.zeros(lead, dtype)  # of the others
        cols[fill] = (two_i - s + zb * q) * (1.0 / (zf * (zf - zb)))
        q = q + zf * cols[fill]
    if balance is not None:
        cols[balance] = q * (-1.0 / ion_table.valence(balance))
    ok = functools.reduce(jnp.logical_and, [c >= 0 for c in cols.values()])
    return {i: cols[i] for i in names}, ok


def _ln_gamma(model, names, c, T, wanted, databases=None):
    """ln γ of the ``wanted`` ions (dict) under ``model``; ``c`` maps ions to mM.

    The models whose γ depends on the composition only through the ionic strength (the
    Debye–Hückel family and Davies: :func:`~ionsweep.activity.ion_form`) are evaluated from
    I, converted to mol/kg once (:func:`~ionsweep.activity.mM_to_molality`), for the wanted
    ions only — the same numbers as :func:`ionsweep.activity.log_gamma` (a test checks it)
    without an ion axis, whose short reductions are slow on XLA:CPU. Other models (Pitzer)
    go through :func:`~ionsweep.activity.log_gamma`.
    """
    form = ion_form(model)
    if form is None:
        m = mM_to_molality(jnp.stack([c[i] for i in names], axis=-1), T[..., None])
        lg = log_gamma(model, names, m, T, databases=databases)
        return {w: lg[..., names.index(w)] for w in wanted}
    t_ok = (T > 0) & jnp.isfinite(T)
    valid = t_ok
    for i in names:
        valid &= (c[i] >= 0) & jnp.isfinite(c[i])
    # T masked by its own validity only: both sides then share one A(T), B(T) (CSE)
    T = jnp.where(t_ok, T, 298.15)
    I = mM_to_molality(ionic_strength({i: jnp.where(valid, c[i], 0) for i in names}), T)
    return {w: jnp.where(valid, form(w, I, T), jnp.nan) for w in wanted}


def _nernst_results(report, c_in, c_out, T, lg, lg_ref) -> dict:
    """ΔE, E and γ on both sides of each reported ion, from ln γ of the swept model ``lg``
    and of the reference ``lg_ref`` (each a pair inside, outside)."""
    (lg_in, lg_out), (ref_in, ref_out) = lg, lg_ref
    res = {}
    for ion in report:
        s, zi = symbol(ion), ion_table.valence(ion)
        g_in, g_out = exp_keep_nan(lg_in[ion]), exp_keep_nan(lg_out[ion])
        res[f"dE_{s}"] = delta_E(
            zi, T, lg_in[ion], lg_out[ion], ref_in[ion], ref_out[ion],
            c_in=c_in[ion], c_out=c_out[ion],
        )  # fmt: skip
        res[f"E_{s}"] = physics.nernst(c_in[ion], c_out[ion], zi, T, g_in, g_out)
        res[f"gamma_in_{s}"] = g_in
        res[f"gamma_out_{s}"] = g_out
    return res


def _ghk_voltage(permeant, P, c_in, c_out, T, lg, within_two: bool, dtype):
    """GHK reversal potential (mV) of the ``permeant`` ions with activities γc, from ln γ
    ``lg`` (a pair inside, outside); ``within_two``: every permeant valence is ±1 or ±2;
    valences in ``dtype``."""
    lgi, lgo = lg
    zz = jnp.asarray([ion_table.valence(p) for p in permeant], dtype)
    a_in = jnp.stack([exp_keep_nan(lgi[p]) * c_in[p] for p in permeant], -1)
    a_out = jnp.stack([exp_keep_nan(lgo[p]) * c_out[p] for p in permeant], -1)
    return physics.ghk_voltage(P, a_in, a_out, zz, T, valences_within_two=within_two)


def _outputs(report, permeant, reference) -> tuple[Output, ...]:
    """The model's outputs: Nernst errors of ``report``, the GHK potential of ``permeant``
    and its error (if any), and the ionic strengths."""
    outputs = _nernst_outputs(report, reference)
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
    return tuple(outputs)


def activity_error_ghk(
    ions=("K+", "Na+", "Cl-"),
    permeant=(),
    report=None,
    balance=None,
    fill=None,
    models=MODELS,
    reference="ideal",
    databases=None,
) -> Model:
    """Activity errors ΔE of Nernst potentials and, with ``permeant``, of the GHK potential.

    Options: ``ions`` (the composition), ``permeant`` (ions of the GHK voltage equation;
    none by default), ``report`` (ions whose Nernst errors are output; all by default),
    ``balance`` (ion set by electroneutrality), ``fill`` (ion set by the ionic strength
    inputs ``I_in``/``I_out``, M), ``models`` (the ``activity_model`` axis) and
    ``reference`` (``"ideal"`` by default). ``models`` may name Pitzer parameter sets
    (``"pitzer:hmw84"``); ``databases`` maps further set names to parameter sets.
    """
    names = _ion_list(ions)
    balance, fill, permeant, report = _options(names, balance, fill, permeant, report)
    models = _check_models(models, names, databases)
    reference = _check_models([reference], names, databases)[0]
    wanted = tuple(dict.fromkeys(report + permeant))
    # The permeant ions' valences are fixed here: the GHK closed form is exact for ±1, ±2.
    within_two = all(abs(ion_table.valence(p)) in (1, 2) for p in permeant)

    def fn(x):
        lead = jnp.broadcast_shapes(*(jnp.shape(v) for v in x.values()))
        dtype = jnp.result_type(*x.values(), 0.0)
        T = jnp.broadcast_to(jnp.asarray(x["T"], dtype), lead)
        c_in, ok_in = _side(x, names, balance, fill, "in", lead, dtype)
        c_out, ok_out = _side(x, names, balance, fill, "out", lead, dtype)
        ok = ok_in & ok_out
        idx = jnp.broadcast_to(x["activity_model"], lead)
        codes = [label_code(name, models) for name in models]

        def swept(c, factor):  # one model per point, by its code on the activity_model axis
            out = select_model(
                idx, models, lambda m: _ln_gamma(m, names, c, T, wanted, databases), codes=codes
            )
            return {w: v + jnp.log(factor) for w, v in out.items()}

        lg_in, lg_out = swept(c_in, x["gamma_factor_in"]), swept(c_out, x["gamma_factor_out"])
        ref_in = _ln_gamma(reference, names, c_in, T, wanted, databases)
        ref_out = _ln_gamma(reference, names, c_out, T, wanted, databases)
        res = _nernst_results(report, c_in, c_out, T, (lg_in, lg_out), (ref_in, ref_out))
        if permeant:
            P = jnp.stack([jnp.broadcast_to(x[f"P_{symbol(p)}"], lead) for p in permeant], -1)
            V, V_ref = (
                _ghk_voltage(permeant, P, c_in, c_out, T, lg, within_two, dtype)
                for lg in ((lg_in, lg_out), (ref_in, ref_out))
            )
            res["V_rev"] = V
            res["dV_rev"] = V - V_ref
        strengths = [mM_to_molality(ionic_strength(c), T) for c in (c_in, c_out)]
        res["ionic_strength_in"], res["ionic_strength_out"] = strengths
        res = {k: jnp.where(ok, v, jnp.nan) for k, v in res.items()}
        res[FLAG] = range_flag(
            x["activity_model"], models, reference, names, strengths, x["T"], databases
        )
        return res

    outputs = _outputs(report, permeant, reference)
    return Model(
        "activity_error_ghk",
        _inputs(names, balance, fill, permeant, models),
        outputs,
        fn,
        f"activity error of Nernst and GHK potentials relative to {reference!r}",
        check=_range_check(names, models, reference, databases),
        flags=(2,),
    )


#: The factory ``_registry._FACTORIES`` lists under ``"activity_error_ghk"``.
factory = activity_error_ghk
