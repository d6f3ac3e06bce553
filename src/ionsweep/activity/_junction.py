"""Liquid junction potential from two compositions by ion name (mobility table, activities).

The array kernel is :func:`ionsweep.physics.junction.junction_potential`; this module names
the ions, takes their diffusion coefficients from the shipped table
(``ionsweep/data/mobilities.csv``) or the caller's relative mobilities, their activity
coefficients from an activity model, and checks concrete inputs. It sits with the activity
models because it uses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from ionsweep._eager import eager
from ionsweep._ions import ions
from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.activity._composition import (
    _concrete,
    canonical_names,
    check_composition,
    check_temperature,
    mM_to_molality,
)
from ionsweep.activity._registry import log_gamma
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._junction_data import (
    MOBILITY_REFERENCE,
    diffusion_coefficient,
    mobility_table,
)
from ionsweep.physics._junction_henderson import henderson_terms as _terms
from ionsweep.physics.junction import JUNCTION_NEUTRALITY_RTOL, junction_potential as _kernel

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = ["henderson_terms", "liquid_junction_potential", "relative_mobility"]


def relative_mobility(name: str) -> float:
    """Mobility of the ion ``name`` relative to K⁺ (D/D_K+, JPCalc's convention), from the
    shipped table; KeyError if it has none.

    >>> round(relative_mobility("Na+"), 3), round(relative_mobility("Ca2+"), 3)
    (0.682, 0.405)
    """
    return diffusion_coefficient(name) / diffusion_coefficient(MOBILITY_REFERENCE)


def _names(pipette, bath) -> tuple[str, ...]:
    """Canonical names of every ion of either side (pipette's order, then the bath's)."""
    for what, side in (("pipette", pipette), ("bath", bath)):
        if not isinstance(side, Mapping) or not side:
            raise TypeError(f"{what} must be a non-empty mapping of ion names to mM")
        try:
            canonical_names(list(side))  # unknown ions, and an ion given twice, are refused
        except KeyError as err:
            raise ValueError(f"{what}: {err.args[0]}") from None
    names = [ions.canonical(n) for n in pipette]
    return tuple(names + [n for n in (ions.canonical(b) for b in bath) if n not in names])


def _mobilities(names, mobilities):
    """Relative mobility per ion (K⁺ = 1): the caller's where given, else the table's."""
    given = {}
    for key, value in (mobilities or {}).items():
        try:
            given[ions.canonical(key)] = value
        except KeyError as err:
            raise ValueError(f"mobilities: {err.args[0]}") from None
    extra = [n for n in given if n not in names]
    if extra:
        raise ValueError(f"mobilities names {', '.join(map(repr, extra))}, in neither side")
    out = []
    for n in names:
        if n in given:
            out.append(given[n])
        elif n in mobility_table():
            out.append(relative_mobility(n))
        else:
            raise ValueError(
                f"no mobility for ion {n!r} in the table; pass mobilities={{{n!r}: u}} "
                f"with u its mobility relative to K+ (= D/D_K+)"
            )
    return out


def _check_neutral(side: Mapping, what: str) -> None:
    """Refuse a concrete side whose net charge exceeds the junction tolerance."""
    values = {ions.canonical(k): _concrete(v) for k, v in side.items()}
    if any(v is None for v in values.values()):
        return
    shape = np.broadcast_shapes(*(v.shape for v in values.values()))
    net = np.asarray(sum(ions.valence(n) * np.broadcast_to(v, shape) for n, v in values.items()))
    half = 0.5 * np.asarray(
        sum(abs(ions.valence(n)) * np.broadcast_to(v, shape) for n, v in values.items())
    )
    bad = np.abs(net) > JUNCTION_NEUTRALITY_RTOL * half
    if np.any(bad):
        i = np.unravel_index(np.argmax(np.where(bad, np.abs(net), -1.0)), shape)
        where = f" at index {tuple(int(j) for j in i)}" if shape else ""
        raise ValueError(
            f"{what} is not electroneutral: Σz·c = {float(net[i]):+.6g} mM{where} "
            f"(tolerance {JUNCTION_NEUTRALITY_RTOL:g} of ½Σ|z|·c = {float(half[i]):.6g} mM)"
        )


def _check_mobilities(names, values) -> None:
    for n, u in zip(names, values, strict=True):
        v = _concrete(u)
        if v is not None and np.any(~(v > 0) | ~np.isfinite(v)):
            raise ValueError(f"mobilities[{n!r}] must be finite and > 0; got {v.ravel()[0]!r}")


def _validate(pipette, bath, T=298.15, *, method="nernst-planck", mobilities=None,
              activity=None):  # fmt: skip
    """Every check of concrete inputs (also run before the eager program)."""
    names = _names(pipette, bath)
    _check_mobilities(names, _mobilities(names, mobilities))
    for what, side in (("pipette", pipette), ("bath", bath)):
        check_composition(side, what, neutrality_rtol=None)
        _check_neutral(side, what)
    check_temperature(T)
    return names


@with_units({"T": "K"})
def liquid_junction_potential(
    pipette: Mapping[str, ArrayLike],
    bath: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"] = 298.15,
    *,
    method: str = "nernst-planck",
    mobilities: Mapping[str, ArrayLike] | None = None,
    activity: str | None = None,
) -> Float[Array, "*batch"]:
    r"""Liquid junction potential between a pipette solution and the bath, mV.

    Sign convention (that of JPCalc and LJPcalc): the potential of the bath relative to the
    pipette. A patch or intracellular recording zeroed with the pipette in the bath
    carries this offset, so the membrane potential is **V_membrane = V_recorded − LJP**.
    Example: a K-gluconate pipette against ACSF gives LJP ≈ +14 mV (gluconate is slower
    than K⁺, so the bath side charges positive); a recorded −60 mV is then −74 mV.

    Parameters
    ----------
    pipette, bath : mapping of str to array_like
        Concentrations, mM (≥ 0), by ion name in any of ``ionsweep.ions``' notations
        (``"K+"``, ``"gluconate-"``, ``"HEPES-"``, ``"EGTA2-"``, ``"SO4 2-"``, ``"MeSO3-"``;
        organic names in any letter case). An ion missing on one side is 0 there. Values
        broadcast together. Each side must be electroneutral within 10⁻³ of ½Σ|z|·c.
    T : array_like, optional
        Temperature, K; 298.15 by default. It enters as RT/F (the mobilities are those of
        25 °C; their ratios barely change with temperature).
    method : {"nernst-planck", "henderson"}, keyword-only
        ``"nernst-planck"`` (default): the stationary Nernst–Planck junction with
        electroneutrality and zero current, the problem LJPcalc/JLJP solve (Marino et al.
        2014), solved to machine precision with implicit gradients. ``"henderson"``: the
        generalized Henderson equation (JPCalc; Barry & Lynch 1991), closed form.
    mobilities : mapping of str to array_like, optional, keyword-only
        Mobilities relative to K⁺ (u = D/D_K+, JPCalc's convention), overriding the
        shipped table per ion (``ionsweep/data/mobilities.csv``: D = RTλ/(|z|F²) from
        limiting equivalent conductivities λ, each row cited). Needed for an ion the table
        lacks. Values may be arrays (for uncertainty studies).
    activity : str, optional, keyword-only
        An activity model name (:func:`ionsweep.activity.activity_coefficients`); None or
        ``"ideal"`` (default) uses concentrations, as the published tables do. With a
        model, each side's γ come from its whole composition and the diffusion term uses
        ln a = ln γc: Henderson takes ln γ linear across the junction like the
        concentrations; Nernst–Planck adds that Henderson activity correction to its
        ideal junction.

    Returns
    -------
    jax.Array
        The LJP, mV, of the broadcast shape of the inputs. Under ``jit`` (no checks
        possible) invalid points are NaN; :func:`ionsweep.physics.junction_potential`
        with ``with_code=True`` also returns why.

    Raises
    ------
    ValueError
        On concrete input: a side not electroneutral (naming it and its Σz·c), a negative
        concentration, an ion without mobility, a bad method.
        An unknown ion name (naming the side) is a ValueError too.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.liquid_junction_potential({"Na+": 50, "Cl-": 50},
    ...                                               {"K+": 50, "Cl-": 50})), 2)
    -4.36
    >>> pipette = {"K+": 130, "Na+": 11, "Mg2+": 2, "Gluconate-": 110, "HEPES-": 5,
    ...            "EGTA2-": 1, "Cl-": 24, "ATP2-": 2}
    >>> acsf = {"Na+": 152.2, "K+": 3, "Ca2+": 2.4, "Mg2+": 1.5, "Cl-": 133.8,
    ...         "SO4 2-": 1.5, "H2PO4-": 1.2, "HCO3-": 25}
    >>> round(float(ionsweep.liquid_junction_potential(pipette, acsf)), 1)
    13.5
    """
    names = _validate(pipette, bath, T, method=method, mobilities=mobilities)
    z, c_p, c_b, u, T, kw = _prepare(names, pipette, bath, T, mobilities, activity)
    return _kernel(c_p, c_b, z, u, T, method=method, **kw)


def _prepare(names, pipette, bath, T, mobilities, activity):
    """(z, c_pipette, c_bath, relative mobilities, T, ln γ keywords) as the kernel takes them."""
    z = tuple(ions.valence(n) for n in names)
    u = _mobilities(names, mobilities)
    by_p = {ions.canonical(k): v for k, v in pipette.items()}
    by_b = {ions.canonical(k): v for k, v in bath.items()}
    n = len(names)
    values = as_float(T, *u, *(by_p.get(k, 0.0) for k in names), *(by_b.get(k, 0.0) for k in names))
    T, u, cp, cb = values[0], values[1 : n + 1], values[n + 1 : 2 * n + 1], values[2 * n + 1 :]
    shape = jnp.broadcast_shapes(T.shape, *(v.shape for v in (*cp, *cb)))
    c_p = jnp.stack([jnp.broadcast_to(v, shape) for v in cp], axis=-1)
    c_b = jnp.stack([jnp.broadcast_to(v, shape) for v in cb], axis=-1)
    u_shape = jnp.broadcast_shapes(*(v.shape for v in u))
    u = jnp.stack([jnp.broadcast_to(v, u_shape) for v in u], axis=-1)
    T = jnp.broadcast_to(T, shape)
    kw = {}
    if activity not in (None, "ideal"):
        kw["ln_gamma_pipette"] = log_gamma(activity, names, mM_to_molality(c_p, T[..., None]), T)
        kw["ln_gamma_bath"] = log_gamma(activity, names, mM_to_molality(c_b, T[..., None]), T)
    return z, c_p, c_b, u, T, kw


def henderson_terms(
    pipette: Mapping[str, ArrayLike],
    bath: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"] = 298.15,
    *,
    mobilities: Mapping[str, ArrayLike] | None = None,
    activity: str | None = None,
) -> dict[str, Array]:
    """Each ion's contribution to the Henderson liquid junction potential, mV.

    The generalized Henderson potential is a sum over ions,
    term_i = (RT/F)·z_i u_i Δc_i / Σ_j z_j² u_j Δc_j · ln(Σ z²u c_pipette / Σ z²u c_bath)
    (Δ = bath − pipette; with an activity model, the ln γ terms of each ion are added as
    in :func:`liquid_junction_potential`). The terms sum to its ``method="henderson"``
    value; the Nernst–Planck potential has no such split.

    Parameters
    ----------
    pipette, bath, T, mobilities, activity
        As in :func:`liquid_junction_potential` (mM, K, relative to K⁺, a model name).

    Returns
    -------
    dict of str to jax.Array
        Canonical ion name -> its term, mV (pipette ions first, then the bath's).

    Examples
    --------
    >>> t = henderson_terms({"Na+": 50, "Cl-": 50}, {"K+": 50, "Cl-": 50})
    >>> {k: round(float(v), 2) for k, v in t.items()}
    {'Na+': 9.34, 'Cl-': 0.0, 'K+': -13.7}
    """
    names = _validate(pipette, bath, T, mobilities=mobilities)
    z, c_p, c_b, u, T_K, kw = _prepare(names, pipette, bath, T, mobilities, activity)
    delta = None
    if kw:
        delta = kw["ln_gamma_bath"] - kw["ln_gamma_pipette"]
    terms = _terms(c_p, c_b, jnp.asarray(z, c_p.dtype), u, delta)
    terms = R_OVER_F_MV * T_K[..., None] * terms
    return {n: terms[..., i] for i, n in enumerate(names)}


def _check_before_program(*args, **kwargs):
    _validate(*args, **kwargs)


liquid_junction_potential = eager(
    liquid_junction_potential,
    static_argnames=("method", "activity"),
    temperature="T",
    check=_check_before_program,
    module="ionsweep",
)
