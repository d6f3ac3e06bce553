"""Nernst equilibrium potential and the electrochemical driving force."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from ionsweep._ions import ions
from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float, Real


__all__ = ["driving_force", "nernst"]


_MM, _ONE = "mM", ""


@with_units({"c_in": _MM, "c_out": _MM, "z": _ONE, "T": "K", "gamma_in": _ONE, "gamma_out": _ONE})
def nernst(
    c_in: Float[ArrayLike, "*#batch"],
    c_out: Float[ArrayLike, "*#batch"],
    z: Real[ArrayLike, "*#batch"] | str,
    T: Float[ArrayLike, "*#batch"],
    gamma_in: Float[ArrayLike, "*#batch"] = 1.0,
    gamma_out: Float[ArrayLike, "*#batch"] = 1.0,
) -> Float[Array, "*batch"]:
    r"""Nernst (equilibrium) potential of one ion.

    .. math:: E = \frac{RT}{zF}\ln\frac{\gamma_{out} c_{out}}{\gamma_{in} c_{in}}

    with V = φ_in − φ_out: a cation more concentrated outside has a positive E.

    Parameters
    ----------
    c_in, c_out : array_like
        Concentrations inside and outside, mM. Must be > 0.
    z : array_like or str
        Signed valence (integer-valued), or an ion's name (``"K+"``, ``"Ca2+"``, any name
        of :data:`ionsweep.ions`) for its valence. ``z = 0`` is undefined.
    T : array_like
        Absolute temperature, K (`ionsweep.celsius(37)` for 37 °C). Concrete values below
        200 K warn (:class:`ionsweep.TemperatureUnitWarning`): they are likely °C.
    gamma_in, gamma_out : array_like, optional
        Activity coefficients (dimensionless) on each side; 1 (ideal) by default.

    Returns
    -------
    jax.Array
        E in mV, broadcast over all arguments. Points where E is undefined (z = 0, a
        concentration or activity coefficient ≤ 0, T ≤ 0, non-finite input) are NaN.

    Raises
    ------
    ValueError
        ``z`` names no known ion.

    Notes
    -----
    Every public kernel converts pint Quantities to the units above at the call (``0.14 M``
    becomes 140 mM, ``37 degC`` 310.15 K) and refuses one of the wrong dimension with a
    ``ValueError`` naming the argument; JAX arrays and traced values pass through untouched.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.nernst(140.0, 5.0, 1, 310.15)), 2)   # E_K at 37 °C
    -89.06
    >>> round(float(ionsweep.nernst(140.0, 5.0, "K+", 310.15)), 2)  # the ion's valence
    -89.06
    """
    c_in, c_out, z, T, g_in, g_out = as_float(c_in, c_out, _valence(z), T, gamma_in, gamma_out)
    # z and T are usually scalars: their checks, and RT/(zF), cost nothing per point.
    ok = (z != 0) & (T > 0) & jnp.isfinite(z) & jnp.isfinite(T)
    k = jnp.where(ok, R_OVER_F_MV * jnp.where(ok, T, 1) / jnp.where(ok, z, 1), jnp.nan)
    return _scaled_log_ratio(k, g_in * c_in, g_out * c_out)


def _valence(z):
    """``z``, or the valence of the ion named ``z``."""
    if not isinstance(z, str):
        return z
    try:
        return ions.valence(z)
    except KeyError as exc:
        raise ValueError(f"z: {exc.args[0]}") from None


def _log_positive(a):
    """ln a where a is positive and finite, else NaN: at the shape of ``a`` alone."""
    return jnp.where((a > 0) & (a < jnp.inf), jnp.log(a), jnp.nan)


@jax.custom_jvp
def _scaled_log_ratio(k, a_in, a_out):
    """k·(ln a_out − ln a_in) where both activities are positive and finite (and k is a
    number), else NaN.

    Each logarithm is taken at its own argument's shape, before broadcasting: over a grid
    of inside × outside concentrations the logarithms cost one per axis value and the
    points one subtraction and one product (ln(a_out/a_in) costs a division and a
    logarithm per point). In float32 the difference of logarithms loses a little near
    E = 0, where ln(a_out/a_in) is exact to ε = 6·10⁻⁸ but ln a_out − ln a_in only to
    about ε·|ln a|: over 10⁻³–10⁵ mM at 37 °C the largest error is 7·10⁻⁵ mV (the ratio
    form: 5·10⁻⁵ mV), and 2·10⁻⁵ mV where |E| < 1 mV (2·10⁻⁶ mV), as
    ``tests/physics/test_nernst.py`` measures. The
    derivative rule below is zero at invalid points, so they never poison the gradients
    of valid ones (what the "double where" does, without its selects in the forward pass).
    """
    return k * (_log_positive(a_out) - _log_positive(a_in))


def _positive_finite(a):
    return (a > 0) & (a < jnp.inf)


@_scaled_log_ratio.defjvp
def _scaled_log_ratio_jvp(primals, tangents):
    k, a_in, a_out = primals
    dk, da_in, da_out = tangents
    out = _scaled_log_ratio(k, a_in, a_out)
    ok_in, ok_out = _positive_finite(a_in), _positive_finite(a_out)
    a_in_safe = jnp.where(ok_in, a_in, 1)
    a_out_safe = jnp.where(ok_out, a_out, 1)
    k_safe = jnp.where(jnp.isnan(k), 0, k)
    ln_ratio = jnp.log(a_out_safe) - jnp.log(a_in_safe)
    d = dk * ln_ratio + k_safe * (da_out / a_out_safe - da_in / a_in_safe)
    return out, jnp.where(jnp.isnan(out), 0, d)


@with_units({"V": "mV", "E": "mV"}, temperature=None)
def driving_force(
    V: Float[ArrayLike, "*#batch"], E: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch"]:
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
