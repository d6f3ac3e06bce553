"""Nernst equilibrium potential and the electrochemical driving force."""

from __future__ import annotations

import jax.numpy as jnp

from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV

__all__ = ["driving_force", "nernst"]


def nernst(c_in, c_out, z, T, gamma_in=1.0, gamma_out=1.0):
    r"""Nernst (equilibrium) potential of one ion.

    .. math:: E = \frac{RT}{zF}\ln\frac{\gamma_{out} c_{out}}{\gamma_{in} c_{in}}

    with V = φ_in − φ_out: a cation more concentrated outside has a positive E.

    Parameters
    ----------
    c_in, c_out : array_like
        Concentrations inside and outside, mM. Must be > 0.
    z : array_like
        Signed valence (integer-valued). ``z = 0`` is undefined.
    T : array_like
        Absolute temperature, K.
    gamma_in, gamma_out : array_like, optional
        Activity coefficients (dimensionless) on each side; 1 (ideal) by default.

    Returns
    -------
    jax.Array
        E in mV, broadcast over all arguments. Points where E is undefined (z = 0, a
        concentration or activity coefficient ≤ 0, T ≤ 0, non-finite input) are NaN.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.nernst(140.0, 5.0, 1, 310.15)), 2)   # E_K at 37 °C
    -89.06
    """
    c_in, c_out, z, T, g_in, g_out = as_float(c_in, c_out, z, T, gamma_in, gamma_out)
    a_in = g_in * c_in
    a_out = g_out * c_out
    valid = (z != 0) & (a_in > 0) & (a_out > 0) & (T > 0)
    valid &= jnp.isfinite(a_in) & jnp.isfinite(a_out) & jnp.isfinite(z) & jnp.isfinite(T)
    # "Double where": invalid points see harmless values, so neither the value nor the
    # gradient of the discarded branch can be NaN or inf.
    one = jnp.ones_like(a_in)
    ratio = jnp.where(valid, a_out, one) / jnp.where(valid, a_in, one)
    z_safe = jnp.where(valid, z, jnp.ones_like(z))
    E = (R_OVER_F_MV * T / z_safe) * jnp.log(ratio)
    return jnp.where(valid, E, jnp.nan)


def driving_force(V, E):
    """Electrochemical driving force V − E.

    Parameters
    ----------
    V : array_like
        Membrane potential, mV (φ_in − φ_out).
    E : array_like
        The ion's equilibrium (Nernst) or reversal potential, mV.

    Returns
    -------
    jax.Array
        V − E in mV. Positive: the net passive flux of a cation is outward (outward
        current); for an anion the flux is inward but the current is still outward.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.driving_force(-65.0, -89.0)), 1)
    24.0
    """
    V, E = as_float(V, E)
    return V - E
