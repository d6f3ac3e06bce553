"""Pump–leak steady state (Mullins & Noda 1963)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = ["pump_leak_voltage"]


@with_units(
    {"P_K": "cm/s", "P_Na": "cm/s", "K_in": "mM", "K_out": "mM", "Na_in": "mM", "Na_out": "mM"}
    | {"T": "K", "r": ""}
)
def pump_leak_voltage(
    P_K: Float[ArrayLike, "*#batch"],
    P_Na: Float[ArrayLike, "*#batch"],
    K_in: Float[ArrayLike, "*#batch"],
    K_out: Float[ArrayLike, "*#batch"],
    Na_in: Float[ArrayLike, "*#batch"],
    Na_out: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    r: Float[ArrayLike, "*#batch"] = 1.5,
) -> Float[Array, "*batch"]:
    r"""Steady-state membrane potential of a cell with K⁺ and Na⁺ leaks and an electrogenic pump.

    Mullins & Noda (1963, J. Gen. Physiol. 47:117): when the Na⁺/K⁺ pump moves ``r`` Na⁺
    out per K⁺ in and the passive GHK fluxes balance the pumped ones,

    .. math:: V = \frac{RT}{F}\ln\frac{r P_K [K]_o + P_{Na}[Na]_o}{r P_K [K]_i + P_{Na}[Na]_i}

    With ``r = 1`` this is the Goldman equation for K⁺ and Na⁺; the 3 Na : 2 K pump
    (``r = 3/2``, the default) hyperpolarizes the cell beyond it.

    Parameters
    ----------
    P_K, P_Na : array_like
        Permeabilities, cm/s or relative (≥ 0).
    K_in, K_out, Na_in, Na_out : array_like
        Concentrations, mM (≥ 0).
    T : array_like
        Absolute temperature, K (`ionsweep.celsius(37)` for 37 °C). Concrete values below
        200 K warn (:class:`ionsweep.TemperatureUnitWarning`): they are likely °C.
    r : array_like, optional
        Pump coupling ratio Na⁺ out : K⁺ in (> 0), 3/2 by default.

    Returns
    -------
    jax.Array
        Steady-state potential in mV (φ_in − φ_out); NaN for invalid input or when a
        logarithm's argument vanishes.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.pump_leak_voltage(1.0, 0.04, 140.0, 5.0, 12.0, 145.0, 310.15)), 1)
    -73.8
    """
    P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r = as_float(
        P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r
    )
    num = r * P_K * K_out + P_Na * Na_out
    den = r * P_K * K_in + P_Na * Na_in
    valid = (T > 0) & (r > 0) & (num > 0) & (den > 0)
    for a in (P_K, P_Na, K_in, K_out, Na_in, Na_out):
        valid &= (a >= 0) & jnp.isfinite(a)
    valid &= jnp.isfinite(T) & jnp.isfinite(r)
    one = jnp.ones_like(num)
    ratio = jnp.where(valid, num, one) / jnp.where(valid, den, one)
    return jnp.where(valid, R_OVER_F_MV * T * jnp.log(ratio), jnp.nan)
