"""Activity-corrected Nernst and GHK potentials from the full composition of each side.

Each side's activity coefficients come from that side's whole composition (its ionic
strength, and for Pitzer its specific interactions): the concentrations in mM are turned
into molalities with the density of water at T (:func:`~ionsweep.activity.mM_to_molality`),
the model gives γ, and the potentials use activities a = γ·c. Because the mM→molality
factor 1/ρ_w(T) is the same on both sides, it cancels from every ratio of activities, so
with the ``"ideal"`` model these functions return exactly :func:`ionsweep.nernst` and
:func:`ionsweep.ghk_voltage`.

Checks on concrete inputs (negative concentration, non-neutral side, T ≤ 0) are those of
:func:`~ionsweep.activity.activity_coefficients`; traced inputs are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from ionsweep._fastmath import exp_keep_nan
from ionsweep._ions import ions as ion_table
from ionsweep._util import as_float
from ionsweep.activity._composition import (
    NEUTRALITY_RTOL,
    canonical_names,
    check_composition,
    check_temperature,
    mM_to_molality,
)
from ionsweep.activity._registry import log_gamma
from ionsweep.physics import ghk_voltage, nernst

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float

    from ionsweep.activity._pitzer_params import PitzerParameters


__all__ = ["ghk_voltage_activity", "nernst_activity"]


def _side(c_mM: Mapping, T, what: str, wanted: Sequence[str], model: str, neutrality_rtol,
          parameters=None, convention="unscaled"):  # fmt: skip
    """(c of the wanted ions (..., k), ln γ of the wanted ions (..., k)) for one side."""
    if not isinstance(c_mM, Mapping) or not c_mM:
        raise TypeError(f"{what} must be a non-empty mapping of ion names to concentrations (mM)")
    names = canonical_names(list(c_mM))
    missing = [w for w in wanted if w not in names]
    if missing:
        raise KeyError(f"{what} has no concentration for {', '.join(map(repr, missing))}")
    check_composition(c_mM, what, neutrality_rtol)
    values = as_float(T, *c_mM.values())
    T, values = values[0], values[1:]
    shape = jnp.broadcast_shapes(T.shape, *(v.shape for v in values))
    c = jnp.stack([jnp.broadcast_to(v, shape) for v in values], axis=-1)
    T = jnp.broadcast_to(T, shape)
    ln_g = log_gamma(model, names, mM_to_molality(c, T[..., None]), T, parameters=parameters,
                     convention=convention)  # fmt: skip
    idx = jnp.asarray([names.index(w) for w in wanted])
    return c[..., idx], ln_g[..., idx]


def _ions_last(P, k: int, axis: int) -> jax.Array:
    """P with its ion axis (``axis``; a 1-d P's only one) last, checked to hold k ions."""
    (P,) = as_float(P)
    what = f"ghk_voltage_activity: P of shape {P.shape}"
    if P.ndim >= 2 and -P.ndim <= axis < P.ndim:
        P = jnp.moveaxis(P, axis, -1)
    elif P.ndim >= 2 or axis not in (0, -1):
        raise ValueError(f"{what}: axis={axis} is out of range")
    if P.ndim == 0 or P.shape[-1] != k:
        where = "the last axis" if axis == -1 else f"axis={axis}"
        raise ValueError(f"{what} must have {k} entries along its ion axis ({where})")
    return P


def nernst_activity(
    ion: str,
    c_in: Mapping[str, ArrayLike],
    c_out: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"],
    model: str = "davies",
    *,
    parameters: str | PitzerParameters | None = None,
    convention: str = "unscaled",
    neutrality_rtol: float | None = NEUTRALITY_RTOL,
) -> Float[Array, "*batch"]:
    r"""Nernst potential of ``ion`` from activities, each side's γ from its full composition.

    .. math:: E = \frac{RT}{zF}\ln\frac{\gamma_{out} c_{out}}{\gamma_{in} c_{in}}

    Parameters
    ----------
    ion : str
        The ion (name or alias); it must appear in both ``c_in`` and ``c_out``.
    c_in, c_out : mapping of str to array_like
        Full composition of the inside and the outside, mM per ion (all the ions, so the
        ionic strength is right); each side electroneutral. Arrays broadcast together.
    T : array_like
        Temperature, K (0–100 °C).
    model : str, optional
        Activity model (see :func:`ionsweep.activity.activity_coefficients`); ``"davies"``
        by default, which needs no per-ion parameters.
    parameters : str or PitzerParameters, optional, keyword-only
        Pitzer parameter set (``"phreeqc"`` default, ``"hmw84"``, or a database read with
        :func:`~ionsweep.activity.read_phreeqc_pitzer`). Pitzer model only.
    convention : {"unscaled", "macinnes"}, keyword-only
        Single-ion convention of the Pitzer γ. ``"unscaled"`` (default) uses the ln γ_i of
        Pitzer's equations as they stand; ``"macinnes"`` reproduces PHREEQC's single-ion
        activities (each ion shifted by z_i(ln γ_Cl − ln γ±,KCl) of its side). A single-ion
        γ is not measurable, so the choice is a convention: the default keeps E equal to
        what the model's own equations give, independent of the K–Cl parameters; the two
        differ in E by (RT/F)Δ(shift) between the sides (≲ 0.1 mV for physiological media).
    neutrality_rtol : float or None, keyword-only
        Tolerance of the electroneutrality check of each side; None skips it.

    Returns
    -------
    jax.Array
        E in mV (V = φ_in − φ_out), the broadcast shape of all inputs; NaN where undefined.

    Examples
    --------
    >>> import ionsweep
    >>> c_in = {"K+": 140.0, "Na+": 10.0, "Mg2+": 0.5, "Cl-": 10.0, "HPO4 2-": 20.0,
    ...         "Gluconate-": 101.0}                          # I ≈ 0.171 mol/kg
    >>> c_out = {"Na+": 145.0, "K+": 5.0, "Ca2+": 2.0, "Mg2+": 1.0, "Cl-": 130.0,
    ...          "HCO3-": 26.0}                               # I ≈ 0.160 mol/kg
    >>> round(float(ionsweep.nernst_activity("K+", c_in, c_out, 310.15, "ideal")), 2)
    -89.06
    >>> round(float(ionsweep.nernst_activity("K+", c_in, c_out, 310.15, "davies")), 2)
    -88.93
    """
    (name,) = canonical_names([ion])
    check_temperature(T)
    kw = dict(parameters=parameters, convention=convention)
    a, ln_g_in = _side(c_in, T, "c_in", (name,), model, neutrality_rtol, **kw)
    b, ln_g_out = _side(c_out, T, "c_out", (name,), model, neutrality_rtol, **kw)
    return nernst(
        a[..., 0], b[..., 0], ion_table.valence(name), T, exp_keep_nan(ln_g_in[..., 0]),
        exp_keep_nan(ln_g_out[..., 0]),
    )  # fmt: skip


def ghk_voltage_activity(
    ions: Sequence[str],
    P: Float[ArrayLike, "*#batch n_ions"],
    c_in: Mapping[str, ArrayLike],
    c_out: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"],
    model: str = "davies",
    *,
    parameters: str | PitzerParameters | None = None,
    convention: str = "unscaled",
    neutrality_rtol: float | None = NEUTRALITY_RTOL,
    axis: int = -1,
) -> Float[Array, "*batch"]:
    """GHK reversal potential from the activities a = γ·c of the permeant ions.

    Parameters
    ----------
    ions : sequence of str
        The permeant ions (names or aliases), k of them; each must appear in both
        compositions.
    P : array_like, shape (..., k) (ion axis at ``axis``)
        Permeabilities of ``ions`` along the ion axis, cm/s or relative (≥ 0): exactly k
        entries along it (a mismatch is a ValueError naming P and the axis).
    c_in, c_out : mapping of str to array_like
        Full composition of each side, mM per ion, permeant or not (as for
        :func:`nernst_activity`).
    T : array_like
        Temperature, K.
    model : str, optional
        Activity model; ``"davies"`` by default.
    parameters, convention : keyword-only
        Pitzer parameter set and single-ion convention, as for :func:`nernst_activity`.
    neutrality_rtol : float or None, keyword-only
        Tolerance of the electroneutrality check of each side; None skips it.
    axis : int, keyword-only
        The ion axis of ``P`` (static under ``jit``); −1 by default. A 1-d ``P`` is one
        value per ion whatever ``axis`` says.

    Returns
    -------
    jax.Array
        Reversal potential in mV, the broadcast of ``P``'s shape without its ion axis, the
        compositions and ``T``; NaN where no zero-current potential exists.

    Examples
    --------
    >>> import ionsweep
    >>> c_in = {"K+": 140.0, "Na+": 10.0, "Mg2+": 0.5, "Cl-": 10.0, "HPO4 2-": 20.0,
    ...         "Gluconate-": 101.0}
    >>> c_out = {"Na+": 145.0, "K+": 5.0, "Ca2+": 2.0, "Mg2+": 1.0, "Cl-": 130.0,
    ...          "HCO3-": 26.0}
    >>> V = ionsweep.ghk_voltage_activity(("K+", "Na+", "Cl-"), [1.0, 0.05, 0.45],
    ...                                   c_in, c_out, 310.15, "davies")
    >>> round(float(V), 2)
    -66.09
    """
    if isinstance(ions, str):
        ions = (ions,)
    names = canonical_names(ions)
    check_temperature(T)
    kw = dict(parameters=parameters, convention=convention)
    c_i, ln_g_in = _side(c_in, T, "c_in", names, model, neutrality_rtol, **kw)
    c_o, ln_g_out = _side(c_out, T, "c_out", names, model, neutrality_rtol, **kw)
    P = _ions_last(P, len(names), axis)
    z = jnp.asarray([ion_table.valence(n) for n in names])
    a_in = exp_keep_nan(ln_g_in) * c_i  # NaN γ stays NaN in float32 (see exp_keep_nan)
    a_out = exp_keep_nan(ln_g_out) * c_o
    lead = jnp.broadcast_shapes(P.shape[:-1], a_in.shape[:-1], a_out.shape[:-1])
    return ghk_voltage(P, a_in, a_out, z, jnp.broadcast_to(jnp.asarray(T), lead))
