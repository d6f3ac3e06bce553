"""Sweepable activity-aware models: activity-corrected Nernst potentials and their error.

The composition of each side is given ion by ion (``K_in``, ``K_out``, ``Na_in``, …, mM);
each side's activity coefficients come from that side's whole composition. With
``balance = "Cl-"`` the balancing ion's concentration on each side is not an input but
follows from electroneutrality, so sweeping one ion keeps every grid point neutral.

Pitzer parameter sets are model values: ``models = ["pitzer:hmw84", "pitzer:phreeqc"]`` makes
the set a categorical axis (or an uncertain input of a sensitivity run). ``"pitzer"`` is the
default set; further sets come from PHREEQC-format databases declared in a spec's
``[activity.databases]`` table (``phreeqc = "pitzer.dat"``, path relative to the spec), which
take precedence over built-in names. Every set of the axis is evaluated at every point and
the one of the point selected (one compiled kernel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep import physics
from ionsweep._errors import SpecError
from ionsweep._fastmath import exp_keep_nan
from ionsweep._ions import ions as ion_table
from ionsweep.activity import (
    MODELS,
    check_pitzer_temperature,
    delta_E,
    ionic_strength,
    log_gamma,
    mM_to_molality,
    pitzer_parameters,
    read_phreeqc_pitzer,
    select_model,
    validity_range,
)
from ionsweep.activity._pitzer_sets import split_model
from ionsweep.activity._registry import model_index
from ionsweep.models._base import FLAG, Input, Model, Output
from ionsweep.models._builtin import _T, _ion_list, symbol

#: Codes of "pitzer:<set>" labels on an activity_model axis start here (plain model names keep
#: their index in MODELS).
SET_CODE_BASE = 100


def label_code(label: str, choices) -> int:
    """Integer value of an activity-model label on an ``activity_model`` axis.

    >>> label_code("davies", ("davies",)), label_code("pitzer:hmw84", ("ideal", "pitzer:hmw84"))
    (4, 101)
    """
    if split_model(label)[1] is None:
        return model_index(label)
    return SET_CODE_BASE + tuple(choices).index(label)


def _params(label, databases):
    """The PitzerParameters of a Pitzer label ("pitzer" or "pitzer:<set>"), else None."""
    kind, name = split_model(label)
    if kind != "pitzer":
        return None
    return pitzer_parameters(name, databases)


def spec_databases(table, here):
    """``{name: PitzerParameters}`` from a spec's ``[activity]`` table (None if absent).

    ``[activity.databases]`` maps set names to PHREEQC-format files, relative to the spec's
    directory ``here``; a problem raises :class:`~ionsweep._errors.SpecError` naming its field.
    """
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - {"databases"}:
        raise SpecError("[activity]", "only a [activity.databases] table is allowed")
    dbs = table.get("databases", {})
    if not isinstance(dbs, dict):
        raise SpecError("[activity.databases]", "must map set names to database files")
    out = {}
    for name, path in dbs.items():
        if not isinstance(path, str):
            raise SpecError(
                f"[activity.databases] {name}", f"must be a file path (text), got {path!r}"
            )
        full = Path(path) if here is None else Path(here) / path
        if not full.is_file():
            raise SpecError(f"[activity.databases] {name}", f"no such file {str(full)!r}")
        try:
            out[name] = read_phreeqc_pitzer(full, name)
        except (ValueError, OSError) as exc:
            raise SpecError(f"[activity.databases] {name}", str(exc)) from exc
    return out


def _check_models(models, names, databases=None):
    models = tuple(models)
    if not models:
        raise ValueError("model option 'models' must list at least one activity model")
    for m in models:
        if m not in MODELS and split_model(m)[1] is None:
            raise ValueError(
                f"unknown activity model {m!r}; known: {', '.join(MODELS)} and 'pitzer:<set>'"
            )
        _params(m, databases)  # an unknown set is refused here, naming it
        if not databases and (m, tuple(names)) in _TREATS:
            continue
        m_arr = jax.ShapeDtypeStruct((len(names),), jnp.float32)
        try:
            jax.eval_shape(
                lambda x, m=m: log_gamma(m, names, x, 298.15, databases=databases), m_arr
            )
        except (ValueError, KeyError, NotImplementedError) as exc:
            raise ValueError(
                f"activity model {m!r} cannot treat this composition: {exc}; list the models "
                "that can in the model option 'models'"
            ) from None
        if not databases:
            _TREATS.add((m, tuple(names)))
    return models


#: (built-in model, ions) pairs whose trial trace passed in this process: a trace of a
#: Pitzer model takes a tenth of a second, and specs are parsed again and again in a
#: notebook. (Sets from a spec's databases are read afresh with each spec, so not kept.)
_TREATS: set[tuple[str, tuple[str, ...]]] = set()


def _range_check(names, models, reference, databases=None):
    """``Model.check``: Pitzer temperatures outside each used parameter set's stated range."""

    def check(values):
        used = {reference}
        idx = np.unique(np.asarray(values.get("activity_model", []), dtype=int))
        used |= {name for name in models if label_code(name, models) in idx}
        sets = {id(p): p for p in (_params(u, databases) for u in used) if p is not None}
        if not sets or "T" not in values:
            return []
        out = []
        for p in sets.values():
            out += check_pitzer_temperature(names, values["T"], p, warn=False)
        return out

    return check


def range_flag(idx, models, reference, names, strengths, T, databases=None):
    """Each point's code under ``models._base.FLAG``: 2 where ``T`` or an ionic strength of
    ``strengths`` (mol/kg, one per side) lies outside the declared validity range
    (:func:`~ionsweep.activity.validity_range`) of the point's activity model (``idx``: its
    code on the ``activity_model`` axis) or of the ``reference`` model, 1 elsewhere.

    The bounds are selected at the shape of ``idx`` and compared with ``T`` at its own shape
    (both axes, or fixed), so only the ionic strengths are compared point by point.
    """
    idx = jnp.asarray(idx)
    T = jnp.asarray(T)
    dtype = jnp.result_type(T, *strengths, jnp.float32)
    T_low = jnp.full(idx.shape, -jnp.inf, dtype)
    T_high = jnp.full(idx.shape, jnp.inf, dtype)
    I_high = jnp.full(idx.shape, jnp.inf, dtype)
    for name in models:
        lo, hi, i_max = validity_range(name, names, databases).bounds()
        hit = idx == label_code(name, models)
        T_low, T_high = jnp.where(hit, lo, T_low), jnp.where(hit, hi, T_high)
        I_high = jnp.where(hit, i_max, I_high)
    # Outside either range = outside their intersection.
    lo, hi, i_max = validity_range(reference, names, databases).bounds()
    T_low, T_high = jnp.maximum(T_low, lo), jnp.minimum(T_high, hi)
    I_high = jnp.minimum(I_high, i_max)
    out = (T < T_low) | (T > T_high)
    for I in strengths:
        out = out | (I > I_high)
    return jnp.where(out, 2, 1).astype(jnp.uint8)


def _nernst_outputs(report, reference) -> list[Output]:
    """ΔE, E and both sides' γ of each reported ion."""
    outputs = []
    for ion in report:
        s = symbol(ion)
        outputs += [
            Output(f"dE_{s}", "mV", f"activity error of E_{s}: E(activity_model) - E({reference})"),
            Output(f"E_{s}", "mV", f"{ion} equilibrium potential with activities"),
            Output(f"gamma_in_{s}", "1", f"{ion} activity coefficient inside"),
            Output(f"gamma_out_{s}", "1", f"{ion} activity coefficient outside"),
        ]
    return outputs


def _composition(names, balance):
    if balance is not None:
        balance = ion_table.canonical(balance)
        if balance not in names:
            raise ValueError(f"model option 'balance' = {balance!r} is not one of 'ions'")
    inputs = []
    for ion in names:
        if ion == balance:
            continue
        s = symbol(ion)
        inputs.append(Input(f"{s}_in", "mM", f"{ion} concentration inside", None, "nonnegative"))
        inputs.append(Input(f"{s}_out", "mM", f"{ion} concentration outside", None, "nonnegative"))
    return balance, inputs


def _side(x, names, balance, side):
    """Concentrations (..., n) of one side, the balancing ion filled in, at the broadcast
    shape of that side's own inputs (an inside composition swept along one axis is not
    repeated along the outside's axes)."""
    cols: list[Any] = [None if ion == balance else x[f"{symbol(ion)}_{side}"] for ion in names]
    shape = jnp.broadcast_shapes(*(jnp.shape(c) for c in cols if c is not None))
    cols = [None if c is None else jnp.broadcast_to(c, shape) for c in cols]
    if balance is not None:
        k = names.index(balance)
        charge = sum(
            ion_table.valence(i) * c for i, c in zip(names, cols, strict=True) if c is not None
        )
        cols[k] = -charge / ion_table.valence(balance)
    return jnp.stack(jnp.broadcast_arrays(*cols), axis=-1)


def _potentials(x, names, balance, models, reference, report, databases=None):
    """E under the swept model, its ΔE from the reference, and both γ, for each reported ion."""
    T = x["T"]
    sides = []
    for side in ("in", "out"):  # each at its own shape, with T broadcast against it
        c = _side(x, names, balance, side)
        lead = jnp.broadcast_shapes(jnp.shape(T), c.shape[:-1])
        Tb = jnp.broadcast_to(T, lead)
        c = jnp.broadcast_to(c, (*lead, c.shape[-1]))
        sides.append((c, mM_to_molality(c, Tb[..., None]), Tb))
    (c_in, m_in, T_in), (c_out, m_out, T_out) = sides
    strengths = [ionic_strength(m, names) for _, m, _ in sides]
    flag = range_flag(x["activity_model"], models, reference, names, strengths, T, databases)
    z = jnp.asarray([ion_table.valence(i) for i in names], c_in.dtype)
    idx = jnp.asarray(x["activity_model"])
    codes = [label_code(name, models) for name in models]

    def lg(model, m, Tb):
        return log_gamma(model, names, m, Tb, databases=databases)

    def select(m, Tb):  # one model per point, by its code on the activity_model axis
        index = jnp.expand_dims(idx, -1) if idx.ndim else idx  # the ion axis of the results
        return select_model(index, models, lambda model: lg(model, m, Tb), codes=codes)

    lg_in, lg_out = select(m_in, T_in), select(m_out, T_out)
    ref_in, ref_out = lg(reference, m_in, T_in), lg(reference, m_out, T_out)
    # Neutral sides (no negative balancing concentration), each at its own shape: a
    # reported ion's concentration is NaN on a side that is not, which makes E and ΔE NaN.
    ok_in = ok_out = jnp.ones((), bool)
    if balance is not None:
        k = names.index(balance)
        ok_in, ok_out = c_in[..., k] >= 0, c_out[..., k] >= 0
    res = {}
    for ion in report:
        k = names.index(ion)
        ci = jnp.where(ok_in, c_in[..., k], jnp.nan)
        co = jnp.where(ok_out, c_out[..., k], jnp.nan)
        g_in, g_out = exp_keep_nan(lg_in[..., k]), exp_keep_nan(lg_out[..., k])
        E = physics.nernst(ci, co, z[k], T, g_in, g_out)
        dE = delta_E(
            z[k], T, lg_in[..., k], lg_out[..., k], ref_in[..., k], ref_out[..., k],
            c_in=ci, c_out=co,
        )  # fmt: skip
        neutral = ok_in & ok_out
        res[ion] = (E, dE, jnp.where(neutral, g_in, jnp.nan), jnp.where(neutral, g_out, jnp.nan))
    return res, flag


def activity_error(
    ions=("K+", "Na+", "Cl-"),
    report=None,
    balance=None,
    models=MODELS,
    reference="ideal",
    databases=None,
) -> Model:
    """ΔE = E(model) − E(reference) of each reported ion, with both sides' γ from their
    full compositions; also E under the model and the activity coefficients. ``models`` may
    name Pitzer parameter sets (``"pitzer:hmw84"``); ``databases`` maps further set names to
    :class:`~ionsweep.activity.PitzerParameters` (a spec's ``[activity.databases]``)."""
    names = _ion_list(ions)
    balance, comp = _composition(names, balance)
    models = _check_models(models, names, databases)
    reference = _check_models([reference], names, databases)[0]
    report = tuple(ion_table.canonical(i) for i in (report or names))
    for ion in report:
        if ion not in names:
            raise ValueError(f"model option 'report' names {ion!r}, which is not in 'ions'")

    def fn(x):
        res, flag = _potentials(x, names, balance, models, reference, report, databases)
        out = {FLAG: flag}
        for ion, (E, dE, g_in, g_out) in res.items():
            s = symbol(ion)
            out[f"dE_{s}"] = dE
            out[f"E_{s}"] = E
            out[f"gamma_in_{s}"] = g_in
            out[f"gamma_out_{s}"] = g_out
        return out

    outputs = _nernst_outputs(report, reference)
    return Model(
        "activity_error",
        (
            *comp,
            _T(),
            Input(
                "activity_model",
                "1",
                "activity-coefficient model",
                None,
                labels="activity_model",
                differentiable=False,
                choices=models,
            ),
        ),
        tuple(outputs),
        fn,
        f"activity error of Nernst potentials relative to {reference!r}",
        check=_range_check(names, models, reference, databases),
        flags=(2,),
    )


def nernst_activity(
    ions=("K+", "Na+", "Cl-"), report=None, balance=None, models=MODELS, databases=None
) -> Model:
    """Activity-corrected Nernst potential of each reported ion (outputs ``E_<ion>``)."""
    base = activity_error(ions, report, balance, models, reference="ideal", databases=databases)
    outputs = tuple(o for o in base.outputs if not o.name.startswith("dE_"))

    def fn(x):
        out = base.fn(x)
        return {FLAG: out[FLAG], **{o.name: out[o.name] for o in outputs}}

    return Model(
        "nernst_activity",
        base.inputs,
        outputs,
        fn,
        "activity-corrected Nernst potentials",
        check=base.check,
        flags=base.flags,
    )
