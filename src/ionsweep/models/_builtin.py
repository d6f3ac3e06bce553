"""The built-in sweepable models, one factory per physical quantity.

Multi-ion models take the ion list as an option (``ions = ["K+", "Na+", "Cl-"]``) and name
their per-ion inputs after the ion's symbol without its charge: ``K_in``, ``K_out``,
``P_K``, ``z_K`` (``Ca2+`` → ``Ca``, ``SO4 2-`` → ``SO4``).
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np

from ionsweep import physics
from ionsweep._ions import ions as ion_table
from ionsweep.models._base import FLAG, Input, Model, Output
from ionsweep.models._kernels import temperature, valence


def symbol(ion: str) -> str:
    """Variable-name stem of an ion: its canonical name without the charge (``Ca2+`` → ``Ca``,
    ``SO4 2-`` → ``SO4``, ``HCO3-`` → ``HCO3``: a monovalent ion's digits are its formula's).
    """
    name = ion_table.canonical(ion)
    if abs(ion_table.valence(name)) == 1:
        return re.sub(r"[+-]$", "", name)
    return re.sub(r"\s*\d*[+-]+$", "", name)


_T, _z = temperature, valence


def _ion_list(ions) -> tuple[str, ...]:
    if isinstance(ions, str) or not ions:
        raise ValueError("model option 'ions' must be a non-empty list of ion names")
    names = tuple(ion_table.canonical(i) for i in ions)
    if len(set(names)) != len(names):
        raise ValueError(f"model option 'ions' lists an ion twice: {list(ions)}")
    return names


def _per_ion_inputs(names, *, conc=("in", "out"), perm=True):
    out = []
    for ion in names:
        s = symbol(ion)
        for side in conc:
            where = {"in": "inside", "out": "outside", "bath": "in the bath"}[side]
            out.append(
                Input(f"{s}_{side}", "mM", f"{ion} concentration {where}", None, "nonnegative")
            )
        if perm:
            out.append(
                Input(
                    f"P_{s}",
                    "cm/s",
                    f"{ion} permeability (absolute or relative)",
                    None,
                    "nonnegative",
                )
            )
        out.append(_z(f"z_{s}", float(ion_table.valence(ion))))
    return out


def _lead(x) -> tuple[int, ...]:
    """Common broadcast shape of all inputs (the grid points of this evaluation)."""
    return jnp.broadcast_shapes(*(jnp.shape(v) for v in x.values()))


def _stack(x, names, fmt, lead=None):
    """Per-ion inputs stacked on a new last (ion) axis.

    Broadcast to ``lead`` if given, else only to the common shape of these inputs: valences
    fixed for the whole sweep stay one ``(n_ions,)`` vector and permeabilities that vary
    along three axes stay three-dimensional, so a kernel that broadcasts (GHK) never
    writes grid-sized copies of inputs that do not vary over the grid.
    """
    keys = [fmt.format(symbol(i)) for i in names]
    if lead is None:
        lead = jnp.broadcast_shapes(*(jnp.shape(x[k]) for k in keys))
    return jnp.stack([jnp.broadcast_to(x[k], lead) for k in keys], -1)


def ghk_voltage(ions=("K+", "Na+", "Cl-")) -> Model:
    names = _ion_list(ions)

    def voltage(x, within_two):
        P = _stack(x, names, "P_{}")
        c_in = _stack(x, names, "{}_in")
        c_out = _stack(x, names, "{}_out")
        z = _stack(x, names, "z_{}")
        V = physics.ghk_voltage(P, c_in, c_out, z, x["T"], valences_within_two=within_two)
        return {"V_rev": jnp.broadcast_to(V, _lead(x))}

    def fn(x):
        return voltage(x, within_two=False)

    def fn_within_two(x):
        return voltage(x, within_two=True)

    return Model(
        "ghk_voltage",
        (*_per_ion_inputs(names), _T()),
        (Output("V_rev", "mV", "GHK reversal (zero-current) potential"),),
        fn,
        f"GHK voltage equation for {', '.join(names)}",
        fn_within_two=fn_within_two,
    )


def donnan(ions=("K+", "Cl-"), z_impermeant=None) -> Model:
    """Donnan equilibrium; the osmotic imbalance counts the impermeant species explicitly.

    With the model option ``z_impermeant`` (the valence of the impermeant species, e.g. −2
    for a protein carrying two negative charges) its concentration is derived as
    ``fixed_charge / z_impermeant``; without it the input ``c_impermeant`` is required, so
    that no fixed charge is ever left without its particles. The output's ``long_name``
    says which.
    """
    names = _ion_list(ions)
    z_imp = _impermeant_valence(z_impermeant)

    def fn(x):
        c = _stack(x, names, "{}_bath", _lead(x))
        z = _stack(x, names, "z_{}", _lead(x))
        rho = jnp.broadcast_to(x["fixed_charge"], _lead(x))
        T = jnp.broadcast_to(x["T"], _lead(x))
        V, c_in = physics.donnan(c, z, rho, T)
        c_imp = x["c_impermeant"] if z_imp is None else rho / z_imp
        osm = jnp.sum(c_in, axis=-1) - jnp.sum(c, axis=-1) + c_imp
        # A derived concentration < 0 means fixed charge of the other sign: undefined.
        out = {"V": V, "osmotic_imbalance": jnp.where(c_imp >= 0, osm, jnp.nan)}
        # A bath with a net charge: no real solution; the sweep sets every output to NaN.
        neutral = physics.bath_neutral(_stack(x, names, "{}_bath"), _stack(x, names, "z_{}"))
        out[FLAG] = jnp.where(neutral, 1, 3).astype(jnp.uint8)
        for k, ion in enumerate(names):
            out[f"{symbol(ion)}_in"] = c_in[..., k]
        return out

    if z_imp is None:
        impermeant = "c_impermeant"
        inputs: tuple[Input, ...] = (
            Input(
                "c_impermeant",
                "mM",
                "impermeant species concentration inside (required unless the model option "
                "z_impermeant derives it from fixed_charge)",
                None,
                "nonnegative",
            ),
        )
    else:
        impermeant = f"fixed_charge/({z_imp:+d}), an impermeant species of valence {z_imp:+d}"
        inputs = ()
    outputs = [Output("V", "mV", "Donnan potential")]
    outputs += [
        Output(f"{symbol(i)}_in", "mM", f"{i} concentration inside at equilibrium") for i in names
    ]
    outputs.append(
        Output(
            "osmotic_imbalance",
            "mOsm/L",
            f"osmolarity inside minus bath (ideal), incl. impermeant species at {impermeant} mM",
        )
    )
    return Model(
        "donnan",
        (
            *_per_ion_inputs(names, conc=("bath",), perm=False),
            Input("fixed_charge", "mM", "impermeant charge inside (signed, mM of charge)"),
            *inputs,
            _T(),
        ),
        tuple(outputs),
        fn,
        f"Donnan equilibrium with an infinite bath of {', '.join(names)}",
        refuse=_fixed_bath_refusal(names),
        flags=(3,),
    )


def _fixed_bath_refusal(names):
    """``Model.refuse`` of the Donnan model: a bath whose concentrations and valences are all
    fixed (none swept) and not electroneutral, within the tolerance of
    :func:`ionsweep.physics.bath_neutral` in float64 (what ``calc donnan`` uses)."""
    keys = [f"{symbol(i)}_bath" for i in names]
    zkeys = [f"z_{symbol(i)}" for i in names]

    def refuse(values):
        if any(k not in values or np.ndim(values[k]) > 0 for k in keys + zkeys):
            return None  # something is swept: each point is flagged on its own
        c = np.asarray([float(values[k]) for k in keys])
        z = np.asarray([float(values[k]) for k in zkeys])
        net, total = float(np.sum(z * c)), float(np.sum(np.abs(z) * c))
        if abs(net) <= physics.BATH_NEUTRALITY_RTOL * total:
            return None
        return (
            f"[fixed] {', '.join(keys)}",
            f"the bath is not electroneutral: net charge sum(z*c) = {net:+g} mM (must be 0)",
        )

    return refuse


def _impermeant_valence(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"model option 'z_impermeant' must be a non-zero integer, got {value!r}")
    if value == 0:
        raise ValueError("model option 'z_impermeant' is 0: an impermeant charge needs z != 0")
    return int(value)


def pump_leak() -> Model:
    def fn(x):
        V = physics.pump_leak_voltage(
            x["P_K"], x["P_Na"], x["K_in"], x["K_out"], x["Na_in"], x["Na_out"], x["T"], x["r"]
        )
        return {"V": V}

    return Model(
        "pump_leak",
        (
            Input("P_K", "cm/s", "K+ permeability (absolute or relative)", 1.0, "nonnegative"),
            Input("P_Na", "cm/s", "Na+ permeability (absolute or relative)", None, "nonnegative"),
            Input("K_in", "mM", "K+ concentration inside", None, "nonnegative"),
            Input("K_out", "mM", "K+ concentration outside", None, "nonnegative"),
            Input("Na_in", "mM", "Na+ concentration inside", None, "nonnegative"),
            Input("Na_out", "mM", "Na+ concentration outside", None, "nonnegative"),
            _T(),
            Input("r", "1", "pump coupling ratio Na+ out : K+ in", 1.5, "positive"),
        ),
        (Output("V", "mV", "pump-leak steady-state potential (Mullins-Noda)"),),
        fn,
        "Mullins-Noda pump-leak steady-state potential",
    )


def driving_force() -> Model:
    def fn(x):
        E = physics.nernst(x["c_in"], x["c_out"], x["z"], x["T"])
        return {"E": E, "driving_force": physics.driving_force(x["V"], E)}

    return Model(
        "driving_force",
        (
            Input("V", "mV", "membrane potential"),
            Input("c_in", "mM", "concentration inside", None, "positive"),
            Input("c_out", "mM", "concentration outside", None, "positive"),
            _z(),
            _T(),
        ),
        (
            Output("E", "mV", "Nernst equilibrium potential"),
            Output("driving_force", "mV", "electrochemical driving force V - E"),
        ),
        fn,
        "Electrochemical driving force V - E",
    )
