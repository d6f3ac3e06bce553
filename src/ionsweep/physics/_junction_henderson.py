"""The generalized Henderson liquid junction (closed form; internal).

Henderson's assumption: every concentration varies linearly across the junction, from the
pipette (x = 0) to the bath (x = 1), and so does every ln γ where activities are used. The
flux of ion i is ``J_i = −D_i (c_i' + c_i (ln γ_i)' + z_i c_i φ')`` with φ in units of RT/F;
zero net current, ``Σ z_i J_i = 0``, gives φ'(x) = −(a + b x)/(s + B x) with

* a = Σ z D Δc + Σ z D c_P δ,   b = Σ z D Δc δ,   (δ = Δ ln γ, Δ = bath − pipette)
* s = Σ z² D c_P,   B = Σ z² D Δc,

whose integral is the junction potential φ_bath − φ_pipette = −(a·L + b·M)/s, where
r = B/s, M = (r − ln(1 + r))/r² and L = 1 − r·M = ln(1 + r)/r. With δ = 0 this is the
generalized Henderson equation of Barry & Lynch (1991, J. Membr. Biol. 121:101) used by
JPCalc (Barry 1994, J. Neurosci. Methods 51:107):
V = (Σ z D Δc / Σ z² D Δc) · ln(Σ z² D c_P / Σ z² D c_B).
"""

from __future__ import annotations

import jax.numpy as jnp

from ionsweep.physics._ionaxis import ion_sum

__all__ = ["henderson", "henderson_terms"]

#: Below this |r| the functions of r use their Taylor series.
_SERIES_R = 0.1
_SERIES_TERMS = 16


def _m_of_r(r):
    """M(r) = (r − ln(1 + r))/r², smooth through r = 0 (its series below |r| = 0.1)."""
    small = jnp.abs(r) < _SERIES_R
    r_safe = jnp.where(small, _SERIES_R, r)
    direct = (r_safe - jnp.log1p(r_safe)) / (r_safe * r_safe)
    series = jnp.zeros_like(r)
    for k in reversed(range(_SERIES_TERMS)):  # Σ (−r)^k / (k + 2), by Horner
        series = 1 / (k + 2) - r * series
    return jnp.where(small, series, direct)


def henderson(c_p, c_b, z, D, delta=None):
    """Henderson junction potential φ_bath − φ_pipette in units of RT/F.

    Parameters
    ----------
    c_p, c_b : jax.Array, shape (..., n)
        Pipette and bath concentrations (any common unit).
    z : jax.Array, shape (n,)
        Valences.
    D : jax.Array, shape (..., n) or (n,)
        Diffusion coefficients (any common unit).
    delta : jax.Array, shape (..., n), optional
        ln γ_bath − ln γ_pipette per ion; None for ideal solutions.

    Returns
    -------
    jax.Array, shape (...)
        The potential in units of RT/F; NaN where a side has no ions.
    """
    dc = c_b - c_p
    zd = z * D
    a = ion_sum(zd * dc)
    s = ion_sum(z * zd * c_p)
    big_b = ion_sum(z * zd * dc)
    b = None
    if delta is not None:
        a = a + ion_sum(zd * c_p * delta)
        b = ion_sum(zd * dc * delta)
    r = big_b / s
    m = _m_of_r(r)
    numer = a * (1 - r * m)
    if b is not None:
        numer = numer + b * m
    return -numer / s


def henderson_terms(c_p, c_b, z, D, delta=None):
    """Each ion's term of :func:`henderson`, shape (..., n), RT/F; they sum to it.

    The potential is linear in the per-ion sums a and b: ion i contributes
    −(z_i D_i (Δc_i + c_P,i δ_i)·L + z_i D_i Δc_i δ_i·M)/s (δ = 0 when ideal).
    """
    dc = c_b - c_p
    zd = z * D
    s = ion_sum(z * zd * c_p)
    r = ion_sum(z * zd * dc) / s
    m = _m_of_r(r)
    a_i = zd * dc
    if delta is not None:
        a_i = a_i + zd * c_p * delta
    terms = a_i * (1 - r * m)[..., None]
    if delta is not None:
        terms = terms + (zd * dc * delta) * m[..., None]
    return -terms / s[..., None]
