# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""Single-ion activity coefficients that depend on the ionic strength alone.

The Debye–Hückel family and Davies' equation give ``log10 γ`` of an ion of valence ``z``
from the ionic strength ``I`` (mol/kg) of its solution and the temperature, through the
temperature-dependent constants of :mod:`ionsweep.physics._water`:

* limiting law:        ``log10 γ = −A z² √I``
* extended law:        ``log10 γ = −A z² √I / (1 + B å √I)``           (å: ion size, Å)
* Truesdell–Jones:     ``log10 γ = −A z² √I / (1 + B å √I) + b I``    (WATEQ å and b)
* Davies:              ``log10 γ = −A z² (√I / (1 + √I) − c I)``     (c = 0.3, or 0.2)

and :func:`nernst_davies`, the Davies-corrected Nernst potential from the ionic strength of
each side.

All are pure JAX, broadcast over their arguments and keep the floating dtype of the inputs.
A(T) and B(T) come from the density and permittivity of water (:mod:`._water`) and are
meant for 0–100 °C at 1 atm; the per-ion parameters (å, b) are taken as independent of T.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._water import debye_huckel_A, debye_huckel_B
from ionsweep.physics.nernst import _scaled_log_ratio

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = [
    "log10_gamma_davies",
    "log10_gamma_debye_huckel",
    "log10_gamma_extended_debye_huckel",
    "log10_gamma_truesdell_jones",
    "nernst_davies",
]

_LN10 = math.log(10.0)


def _sqrt_I(I: Array) -> Array:
    # I < 0 is meaningless: NaN; the where keeps sqrt's gradient finite at I = 0 too.
    safe = jnp.where(I > 0, I, jnp.ones_like(I))
    return jnp.where(I > 0, jnp.sqrt(safe), jnp.where(I == 0, 0, jnp.nan))


def log10_gamma_debye_huckel(
    z: Float[ArrayLike, "*#batch"], I: Float[ArrayLike, "*#batch"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch"]:
    """Debye–Hückel limiting law, log10 γ (dimensionless).

    Parameters
    ----------
    z : array_like
        Signed valence.
    I : array_like
        Ionic strength, mol/kg (≥ 0).
    T : array_like
        Temperature, K (A follows T).

    Returns
    -------
    jax.Array
        log10 γ (dimensionless); NaN for I < 0. Exact only as I → 0 (I ≲ 0.005 mol/kg).

    Examples
    --------
    >>> round(float(log10_gamma_debye_huckel(1, 0.001, 298.15)), 5)
    -0.01613
    """
    z, I, T = as_float(z, I, T)
    return -debye_huckel_A(T) * z * z * _sqrt_I(I)


def log10_gamma_extended_debye_huckel(
    z: Float[ArrayLike, "*#batch"],
    a: Float[ArrayLike, "*#batch"],
    I: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
) -> Float[Array, "*batch"]:
    """Extended Debye–Hückel law, log10 γ = −A z² √I / (1 + B å √I).

    Parameters
    ----------
    z : array_like
        Signed valence.
    a : array_like
        Ion-size parameter å, Å (Kielland 1937: ``ionsweep.ions[name].kielland_a``).
    I : array_like
        Ionic strength, mol/kg (≥ 0); the law is meant for I ≲ 0.1 mol/kg.
    T : array_like
        Temperature, K (A and B follow T).

    Returns
    -------
    jax.Array
        log10 γ (dimensionless); NaN for I < 0.

    Examples
    --------
    >>> round(float(log10_gamma_extended_debye_huckel(2, 6.0, 0.03, 298.15)), 4)
    -0.2634
    """
    z, a, I, T = as_float(z, a, I, T)
    s = _sqrt_I(I)
    return -debye_huckel_A(T) * z * z * s / (1 + debye_huckel_B(T) * a * s)


def log10_gamma_truesdell_jones(
    z: Float[ArrayLike, "*#batch"],
    a: Float[ArrayLike, "*#batch"],
    b: Float[ArrayLike, "*#batch"],
    I: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
) -> Float[Array, "*batch"]:
    """Truesdell–Jones (WATEQ) equation, log10 γ = −A z² √I / (1 + B å √I) + b I.

    Parameters
    ----------
    z : array_like
        Signed valence.
    a : array_like
        Ion-size parameter å, Å (``ionsweep.ions[name].truesdell_jones_a``).
    b : array_like
        Linear coefficient, kg/mol (``ionsweep.ions[name].truesdell_jones_b``).
    I : array_like
        Ionic strength, mol/kg (≥ 0); fitted up to I ≈ 2 mol/kg for the major ions.
    T : array_like
        Temperature, K (A and B follow T; b is taken as independent of T, as in WATEQ).

    Returns
    -------
    jax.Array
        log10 γ (dimensionless); NaN for I < 0.

    Examples
    --------
    >>> round(float(log10_gamma_truesdell_jones(1, 4.0, 0.075, 0.1, 298.15)), 4)
    -0.1064
    """
    z, a, b, I, T = as_float(z, a, b, I, T)
    return log10_gamma_extended_debye_huckel(z, a, I, T) + b * I


def log10_gamma_davies(
    z: Float[ArrayLike, "*#batch"],
    I: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    coefficient: Float[ArrayLike, "*#batch"] = 0.3,
) -> Float[Array, "*batch"]:
    """Davies equation, log10 γ = −A z² (√I/(1+√I) − c·I).

    Parameters
    ----------
    z : array_like
        Signed valence.
    I : array_like
        Ionic strength, mol/kg (≥ 0); Davies is meant for I ≲ 0.5 mol/kg.
    T : array_like
        Temperature, K (A follows T).
    coefficient : array_like, optional
        The linear term's coefficient c: 0.3 (Davies 1962, default) or 0.2 (Davies 1938).

    Returns
    -------
    jax.Array
        log10 γ (dimensionless); NaN for I < 0.

    Examples
    --------
    >>> round(float(log10_gamma_davies(1, 0.1, 298.15)), 4)
    -0.1072
    """
    z, I, T, c = as_float(z, I, T, coefficient)
    s = _sqrt_I(I)
    return -debye_huckel_A(T) * z * z * (s / (1 + s) - c * I)


def nernst_davies(
    c_in: Float[ArrayLike, "*#batch"],
    c_out: Float[ArrayLike, "*#batch"],
    z: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    I_in: Float[ArrayLike, "*#batch"],
    I_out: Float[ArrayLike, "*#batch"],
    coefficient: Float[ArrayLike, "*#batch"] = 0.3,
) -> Float[Array, "*batch"]:
    r"""Nernst potential of activities with Davies γ on each side, from the ionic strengths.

    .. math:: E = \frac{RT}{F}\left[\frac{1}{z}\ln\frac{c_{out}}{c_{in}}
              - \ln 10\, A(T)\, z\,\bigl(f(I_{out}) - f(I_{in})\bigr)\right],\quad
              f(I) = \frac{\sqrt I}{1 + \sqrt I} - cI

    which is :func:`ionsweep.nernst` with ``gamma = 10**log10_gamma_davies(z, I, T, c)`` on
    each side, rearranged so that no γ is ever exponentiated: one logarithm per point, and
    A(T) evaluated on ``T`` as given (once, for a scalar temperature). For the ionic strengths
    of a full composition use :func:`ionsweep.nernst_activity` instead.

    Parameters
    ----------
    c_in, c_out : array_like
        Concentrations of the ion inside and outside, mM (> 0).
    z : array_like
        Signed valence (non-zero).
    T : array_like
        Temperature, K (0–100 °C for A(T)).
    I_in, I_out : array_like
        Ionic strength inside and outside, mol/kg (≥ 0; Davies is meant for I ≲ 0.5).
    coefficient : array_like, optional
        Davies' linear coefficient c: 0.3 (default) or 0.2.

    Returns
    -------
    jax.Array
        E in mV (V = φ_in − φ_out), the broadcast shape of the inputs; NaN where undefined
        (z = 0, a concentration ≤ 0, I < 0, T ≤ 0, non-finite input).

    Examples
    --------
    >>> import ionsweep
    >>> from ionsweep.activity import nernst_davies
    >>> round(float(nernst_davies(140.0, 5.0, 1, 310.15, 0.17, 0.16)), 2)   # E_K at 37 °C
    -88.96
    """
    c_in, c_out, z, T, I_in, I_out, c = as_float(c_in, c_out, z, T, I_in, I_out, coefficient)
    # z and T are usually scalars: their checks, RT/(zF) and A(T) cost nothing per point.
    ok = (z != 0) & (T > 0) & jnp.isfinite(z) & jnp.isfinite(T)
    z_safe = jnp.where(ok, z, 1)
    T_safe = jnp.where(ok, T, 1)
    k = jnp.where(ok, R_OVER_F_MV * T_safe / z_safe, jnp.nan)  # mV; NaN carries through
    k_davies = k * _LN10 * debye_huckel_A(T_safe) * z_safe * z_safe

    def side(I: Array) -> Array:  # each side at its own shape; NaN for I < 0 carries through
        s = _sqrt_I(I)
        return s / (1 + s) - c * I

    return _scaled_log_ratio(k, c_in, c_out) - k_davies * (side(I_out) - side(I_in))
