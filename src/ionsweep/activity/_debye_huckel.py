# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""Single-ion activity coefficients that depend on the ionic strength alone.

The Debye–Hückel family and Davies' equation give ``log10 γ`` of an ion of valence ``z``
from the ionic strength ``I`` (mol/kg) of its solution and the temperature, through the
temperature-dependent constants of :mod:`ionsweep.activity._water`:

* limiting law:        ``log10 γ = −A z² √I``
* extended law:        ``log10 γ = −A z² √I / (1 + B å √I)``           (å: ion size, Å)
* Truesdell–Jones:     ``log10 γ = −A z² √I / (1 + B å √I) + b I``    (WATEQ å and b)
* Davies:              ``log10 γ = −A z² (√I / (1 + √I) − c I)``     (c = 0.3, or 0.2)

All are pure JAX, broadcast over their arguments and keep the floating dtype of the inputs.
A(T) and B(T) come from the density and permittivity of water (:mod:`._water`) and are
meant for 0–100 °C at 1 atm; the per-ion parameters (å, b) are taken as independent of T.
"""

from __future__ import annotations

import jax.numpy as jnp

from ionsweep._util import as_float
from ionsweep.activity._water import debye_huckel_A, debye_huckel_B

__all__ = [
    "log10_gamma_davies",
    "log10_gamma_debye_huckel",
    "log10_gamma_extended_debye_huckel",
    "log10_gamma_truesdell_jones",
]


def _sqrt_I(I):
    # I < 0 is meaningless: NaN; the where keeps sqrt's gradient finite at I = 0 too.
    safe = jnp.where(I > 0, I, jnp.ones_like(I))
    return jnp.where(I > 0, jnp.sqrt(safe), jnp.where(I == 0, 0, jnp.nan))


def log10_gamma_debye_huckel(z, I, T):
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


def log10_gamma_extended_debye_huckel(z, a, I, T):
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


def log10_gamma_truesdell_jones(z, a, b, I, T):
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


def log10_gamma_davies(z, I, T, coefficient=0.3):
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
