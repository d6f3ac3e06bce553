"""Sweep model ``liquid_junction``: the liquid junction potential between pipette and bath.

Each side's composition is given ion by ion, ``<ion>_pipette`` and ``<ion>_bath`` (mM,
``K_pipette``, ``Gluconate_pipette``, ``Cl_bath``, …), with the ions of each side listed in
the model options ``pipette`` and ``bath``. With ``pipette_balance = "K+"`` (or
``bath_balance``) that ion's concentration is no input but follows from electroneutrality,
so sweeping gluconate and Cl⁻ in the pipette keeps every point neutral; a point where the
balancing concentration would be negative, or a side without a balancing ion that is not
electroneutral, is NaN with ``valid = 3``. The potential is that of the bath relative to
the pipette (V_membrane = V_recorded − LJP), by :func:`ionsweep.liquid_junction_potential`'s
methods and mobility table; with ``mobility_factors = true`` every ion also gets an input
``u_<ion>``, a factor (default 1) on its tabulated mobility, for studies of the mobility
uncertainty.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from ionsweep import physics
from ionsweep._ions import ions as ion_table
from ionsweep.activity import relative_mobility
from ionsweep.models._base import FLAG, Input, Model, Output
from ionsweep.models._builtin import _T, _ion_list, symbol

__all__ = ["liquid_junction"]

#: Methods of the ``method`` option.
METHODS = ("nernst-planck", "henderson")
#: |Σ z·c| ≤ rtol·½Σ|z|·c counts as electroneutral (that of the kernel).
NEUTRALITY_RTOL = 1e-3


def _balance(names, balance, option):
    if balance is None:
        return None
    balance = ion_table.canonical(balance)
    if balance not in names:
        raise ValueError(f"model option {option!r} = {balance!r} is not one of its side's ions")
    return balance


def _side_inputs(names, balance, side):
    return [
        Input(f"{symbol(i)}_{side}", "mM", f"{i} concentration in the {side}", None, "nonnegative")
        for i in names
        if i != balance
    ]


def _concentrations(x, names, balance, side):
    """(..., k) concentrations of one side at the broadcast shape of its own inputs, the
    balancing ion filled in, and whether the side is electroneutral (with c_balance ≥ 0)."""
    cols: list[Any] = [
        None if i == balance else jnp.asarray(x[f"{symbol(i)}_{side}"]) for i in names
    ]
    z = [ion_table.valence(i) for i in names]
    if balance is not None:
        k = names.index(balance)
        charge = sum(zi * c for zi, c in zip(z, cols, strict=True) if c is not None)
        cols[k] = -charge / z[k]
    c = jnp.stack(jnp.broadcast_arrays(*cols), axis=-1)
    zs = jnp.asarray(z, c.dtype)
    net, total = c @ zs, 0.5 * (c @ jnp.abs(zs))
    neutral = (jnp.abs(net) <= NEUTRALITY_RTOL * total) & jnp.all(c >= 0, axis=-1)
    return c, neutral


def _refuse(pipette, bath, balances):
    """``Model.refuse``: a side fixed (not swept) at a net charge, with no balancing ion."""

    def refuse(values):
        for side, names, balance in (
            ("pipette", pipette, balances[0]),
            ("bath", bath, balances[1]),
        ):
            keys = [f"{symbol(i)}_{side}" for i in names]
            if balance is not None or not all(np.ndim(values.get(k, 1.0)) == 0 for k in keys):
                continue
            if any(k not in values for k in keys):
                continue
            c = np.array([float(values[k]) for k in keys])
            z = np.array([ion_table.valence(i) for i in names], dtype=float)
            if abs(c @ z) > NEUTRALITY_RTOL * 0.5 * (c @ np.abs(z)):
                return (
                    ", ".join(keys),
                    f"the {side} solution is not electroneutral (sum z*c = {c @ z:+g} mM); "
                    f"give every ion of the {side}, or set the model option '{side}_balance'",
                )
        return None

    return refuse


def liquid_junction(
    pipette=("K+", "Gluconate-", "Cl-"),
    bath=("Na+", "Cl-"),
    pipette_balance=None,
    bath_balance=None,
    method="nernst-planck",
    mobility_factors=False,
) -> Model:
    """Liquid junction potential (mV, bath relative to pipette) over compositions and T.

    Outputs ``ljp`` by ``method`` and, with ``method = "nernst-planck"``, also
    ``ljp_henderson`` (the generalized Henderson value) for comparison.
    """
    if method not in METHODS:
        raise ValueError(f"model option 'method' = {method!r}; use one of {', '.join(METHODS)}")
    pip, bth = _ion_list(pipette), _ion_list(bath)
    balances = (
        _balance(pip, pipette_balance, "pipette_balance"),
        _balance(bth, bath_balance, "bath_balance"),
    )
    names = tuple(dict.fromkeys(pip + bth))
    z = tuple(ion_table.valence(i) for i in names)
    u_table = np.array([relative_mobility(i) for i in names])  # D/D_K+: only ratios matter
    inputs = [*_side_inputs(pip, balances[0], "pipette"), *_side_inputs(bth, balances[1], "bath")]
    inputs.append(_T())
    if mobility_factors:
        inputs += [
            Input(f"u_{symbol(i)}", "1", f"factor on the mobility of {i}", 1.0, "positive")
            for i in names
        ]
    methods = (method, "henderson") if method == "nernst-planck" else (method,)

    def fn(x):
        c_p, ok_p = _concentrations(x, pip, balances[0], "pipette")
        c_b, ok_b = _concentrations(x, bth, balances[1], "bath")
        u = jnp.asarray(u_table, c_p.dtype)
        if mobility_factors:
            u = u * jnp.stack(jnp.broadcast_arrays(*(x[f"u_{symbol(i)}"] for i in names)), -1)
        T = jnp.asarray(x["T"], c_p.dtype)
        lead = jnp.broadcast_shapes(c_p.shape[:-1], c_b.shape[:-1], T.shape, u.shape[:-1])
        c_p = jnp.broadcast_to(_widen(c_p, pip, names), (*lead, len(names)))
        c_b = jnp.broadcast_to(_widen(c_b, bth, names), (*lead, len(names)))
        u, T = jnp.broadcast_to(u, (*lead, len(names))), jnp.broadcast_to(T, lead)
        neutral = ok_p & ok_b
        out = {}
        for key, m in zip(("ljp", "ljp_henderson"), methods, strict=False):
            V, code = physics.junction_potential(c_p, c_b, z, u, T, method=m, with_code=True)
            out[key] = jnp.where(neutral, V, jnp.nan)
        out[FLAG] = jnp.where(neutral, code, 3).astype(jnp.uint8)
        return out

    outputs = [
        Output("ljp", "mV", f"liquid junction potential, bath relative to pipette ({method})")
    ]
    if method == "nernst-planck":
        outputs.append(
            Output("ljp_henderson", "mV", "liquid junction potential by the Henderson equation")
        )
    return Model(
        "liquid_junction",
        tuple(inputs),
        tuple(outputs),
        fn,
        "liquid junction potential between a pipette solution and the bath",
        refuse=_refuse(pip, bth, balances),
        flags=(3,),
    )


def _widen(c, side_names, names):
    """(..., k_side) → (..., k): a side's concentrations on the common ion axis (0 where the
    side has no such ion)."""
    zero = jnp.zeros(c.shape[:-1], c.dtype)
    cols = [c[..., side_names.index(i)] if i in side_names else zero for i in names]
    return jnp.stack(cols, axis=-1)
