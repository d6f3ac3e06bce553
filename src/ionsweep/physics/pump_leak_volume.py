r"""Pump–leak–Donnan steady state: potential, internal ions and cell volume.

The pump–leak model of cell volume (Tosteson & Hoffman 1960, J. Gen. Physiol. 44:169;
Keener & Sneyd, *Mathematical Physiology*, 2nd ed., §2.8; Kay 2017, J. Neurosci. 37:2823).
A cell holds ``impermeant`` (content per membrane area, mM·µm) of impermeant solute of mean
valence ``z``; Na⁺, K⁺ and Cl⁻ leak through the membrane with GHK fluxes; the Na⁺/K⁺ pump
extrudes ``pump_flux`` Na⁺ and takes up ``pump_flux / r`` K⁺. At the steady state

* every ion's net flux vanishes. With ``v = FV/RT``, ``x = e^{-v}``,
  ``k(v) = (e^v - 1)/v`` (= 1/B(v), B the Bernoulli function) and the flux-to-concentration
  conversions ``φ_Na = 10⁻⁶·pump_flux/P_Na`` and ``φ_K = 10⁻⁶·pump_flux/(r·P_K)`` (mM), the
  GHK flux balances give

  .. math:: [Na]_i = x([Na]_o - φ_{Na} k),\quad [K]_i = x([K]_o + φ_K k),\quad
            [Cl]_i = [Cl]_o / x;

* the inside is electroneutral, ``Na + K − Cl + z·c_X = 0`` with ``c_X = impermeant/volume``;
* the inside is isosmotic with the outside (ideal solutions, osmotic coefficient 1,
  water freely permeable): ``Na + K + Cl + c_X = O`` with
  ``O = Na_o + K_o + Cl_o + osmolyte_out``.

Eliminating ``c_X`` leaves one equation in ``v``:
``G(v) = (z−1)·S + (z+1)·C − z·O = 0`` with ``S = Na_i + K_i`` and ``C = Cl_i``.

Solve. With ``k`` frozen at ``k(v_a)``, ``v_a = (φ_K − φ_Na)/(Na_o + K_o)``, ``G·x`` is a
quadratic in ``x``; its root starts two Halley steps on ``G`` (one exp each; derivatives of
``G`` share it), and a Newton step ``δ = G/G′`` at the result both corrects it and, as an
error estimate, decides whether the point is settled (|δ| ≤ √(8ε)/4·(1 + |v|), ``G′ > 0``,
``Na_i > 0``, ``c_X > 0``). Over physiological inputs every point is; elsewhere the rest get
4 Halley steps, then a safeguarded Newton–bisection (``lax.cond``: only when some point
needs it) on the log form ``ln Pos − ln Neg = 0`` (``G = Pos − Neg`` with both sides
positive), nearly linear in ``v`` and guarded as below. The straight-line path compiles to
one fused loop (see ``_pump_leak_solve._fast``); its root agrees with the safeguarded
solve's to rounding.

Uniqueness. The physically admissible interval is where ``Na_i ≥ 0`` and ``c_X > 0``; on it
``S`` decreases and ``C`` increases with ``v``. For ``0 < |z| ≤ 1`` the coefficients of
``S`` and ``C`` in ``G`` then make ``G`` strictly increasing, so the steady state is unique
when it exists. For ``|z| > 1`` the two terms pull in opposite directions and more than one
state can exist; in randomized searches (10⁴ cases with 1 ≤ |z| ≤ 4, 6·10³ with 4 ≤ |z| ≤ 20,
physiological and far wider ranges) this happened only at |z| ≈ 11 with V > 0. The residual
is guarded outside the admissible interval (``max(G, −c_X, −Na_i)``-type combinations) so
that it has one sign change per admissible root, and the safeguarded solve keeps
``residual(lo) < 0 < residual(hi)``: it always returns a root where the residual crosses
zero *upwards* (the Halley path accepts only such roots, inside the admissible
interval). Along the electroneutral curve the osmotic excess inside, as a function of
``c_X``, then increases, so the returned state is the one stable against slow volume
changes; the unstable intermediate state of a multiple-root case is never returned.

No steady state. For ``0 < |z| ≤ 1`` the Halley path also certifies that the pump outruns
the Na⁺ leak, so that such points never need the safeguarded solve. ``Na_i`` decreases
wherever ``Na_i ≥ 0`` (there ``Na_i′ ≤ −φ_Na (1 − w)/v < 0``, ``w = (1 − e^{−v})/v``), so
``Na_i ≥ 0`` exactly on some ``(−∞, v_Na]``, where ``G`` increases (``K_i`` decreases and
``C`` increases everywhere). At any ``u`` with ``Na_i(u) < 0``, so ``u > v_Na``, the same
monotonicity gives ``G(v_Na) ≤ H(u) = (z−1)·K_i(u) + (z+1)·C(u) − z·O``; ``H(u) < 0``
then leaves ``G < 0`` wherever ``Na_i ≥ 0``: no state exists. At a root of ``G`` with
``Na_i < 0``, ``H = (1 − z)·Na_i < 0``, so the certificate holds wherever Newton lands there.

``pump_flux = 0`` is the Donnan limit: every ion is at equilibrium and, with no outside
osmolyte and an electroneutral bath, the only solution has ``c_X = 0`` — the cell swells
without bound. For small pump fluxes the volume grows like ``1/pump_flux`` (for z = −1 and
``Cl_out = Na_out + K_out`` exactly ``v = (φ_K − φ_Na)/(Na_out + K_out)``) and the ions
approach the bath, as :func:`ionsweep.donnan`'s distribution for the same impermeant charge
does (the two differ by O(pump_flux)); at ``pump_flux = 0`` itself the kernel reports no
steady state. With ``osmolyte_out > 0`` the pump-free state is a finite Donnan equilibrium:
it is returned, equals :func:`ionsweep.donnan`'s, and is the limit of the pumped states.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp

from ionsweep._fastmath import exp_fused as _exp, recip_fused as _recip
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._pump_leak_solve import FLUX_OVER_P_TO_MM, ghk_w, inv_v, solve

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = ["PumpLeakState", "pump_leak_steady_state"]


class PumpLeakState(NamedTuple):
    """Pump–leak steady state (see :func:`pump_leak_steady_state`)."""

    #: Membrane potential φ_in − φ_out, mV.
    V: jax.Array
    #: Internal Na⁺, mM.
    Na_in: jax.Array
    #: Internal K⁺, mM.
    K_in: jax.Array
    #: Internal Cl⁻, mM.
    Cl_in: jax.Array
    #: Cell volume per membrane area, µm.
    volume: jax.Array
    #: True where a physically valid steady state exists (all other fields finite).
    valid: jax.Array


def pump_leak_steady_state(
    pump_flux: Float[ArrayLike, "*#batch"],
    P_K: Float[ArrayLike, "*#batch"],
    P_Na: Float[ArrayLike, "*#batch"],
    P_Cl: Float[ArrayLike, "*#batch"],
    K_out: Float[ArrayLike, "*#batch"],
    Na_out: Float[ArrayLike, "*#batch"],
    Cl_out: Float[ArrayLike, "*#batch"],
    impermeant: Float[ArrayLike, "*#batch"],
    z_impermeant: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    r: Float[ArrayLike, "*#batch"] = 1.5,
    osmolyte_out: Float[ArrayLike, "*#batch"] = 0.0,
) -> PumpLeakState:
    r"""Steady state of the pump–leak model of cell volume.

    Solves for the membrane potential, the internal Na⁺, K⁺ and Cl⁻ and the cell volume at
    which every ion's passive GHK leak balances the Na⁺/K⁺ pump (Cl⁻ at zero net flux), the
    inside is electroneutral and isosmotic with the outside. The equations, the reduction to
    one scalar equation, uniqueness and the Donnan limit are in the module docstring of
    ``ionsweep.physics.pump_leak_volume``: Halley steps in ``v = FV/RT`` from a closed-form
    start, a safeguarded Newton–bisection on ±30 RT/F for the points they do not settle,
    gradients by the implicit-function theorem. All inputs broadcast against each other.

    Unit conversions: a GHK flux ``P·c`` in (cm/s)·mM is µmol/(cm²·s) = 10⁶ pmol/(cm²·s),
    so the pump enters the balances as ``10⁻⁶·pump_flux/P`` mM. A volume per membrane area
    of 1 µm holding 1 mM is 1 mM·µm of content (a sphere of radius R has volume/area R/3).

    Parameters
    ----------
    pump_flux : array_like
        Na⁺ extruded by the pump, pmol/(cm²·s) (≥ 0); the pump takes up ``pump_flux / r``
        K⁺.
    P_K, P_Na : array_like
        K⁺ and Na⁺ permeabilities, cm/s (> 0). Only ``pump_flux / P`` enters, so relative
        permeabilities need a pump flux scaled to match.
    P_Cl : array_like
        Cl⁻ permeability, cm/s (≥ 0). With zero net Cl⁻ flux, Cl⁻ is at equilibrium for any
        ``P_Cl > 0``, so the state does not depend on it; ``P_Cl = 0`` returns that
        ``P_Cl → 0⁺`` limit (Cl⁻ content is otherwise not determined).
    K_out, Na_out, Cl_out : array_like
        Outside concentrations, mM (≥ 0).
    impermeant : array_like
        Impermeant solute content per membrane area, mM·µm (> 0): its concentration times
        the volume-to-area ratio (400 mM·µm ≈ 120 mM in a sphere of radius 10 µm).
    z_impermeant : array_like
        Mean valence of the impermeant solute (≠ 0; may be fractional, e.g. −0.85).
    T : array_like
        Absolute temperature, K (> 0).
    r : array_like, optional
        Pump coupling ratio Na⁺ out : K⁺ in (> 0), 3/2 by default.
    osmolyte_out : array_like, optional
        Extra impermeant osmolyte outside (e.g. sucrose, or the anions that balance
        ``Na_out + K_out − Cl_out``), mM (≥ 0); 0 by default.

    Returns
    -------
    PumpLeakState
        ``V`` (mV, φ_in − φ_out), ``Na_in``, ``K_in``, ``Cl_in`` (mM), ``volume`` (volume per
        membrane area, µm) and ``valid`` (bool). Where no physically valid steady state
        exists — the pump outruns the largest possible Na⁺ leak (Na_in would be negative),
        the impermeant concentration would be ≤ 0 (unbounded volume, e.g. ``pump_flux = 0``
        without outside osmolyte), |V| > 30 RT/F, or invalid input — every field is NaN and
        ``valid`` is False. Where several states exist (only possible for
        ``|z_impermeant| > 1``), one at which the residual crosses zero upwards (stable to
        slow volume changes) is returned.

    Notes
    -----
    float32 error against float64, measured over 10⁴ physiological cells in
    ``tests/physics/test_float32.py``: at most 1.1e-5 mV in V, 6e-7 relative in the
    internal concentrations and 5e-6 relative in the volume. The volume's relative error is about
    3·ε·O/c_X (ε the float32 epsilon, O the outside osmolarity, c_X the impermeant
    concentration), so it grows as the cell swells toward the Donnan limit.

    Examples
    --------
    >>> import ionsweep
    >>> s = ionsweep.pump_leak_steady_state(20.0, 1e-6, 5e-8, 1e-6, 5.0, 145.0, 150.0,
    ...                                     400.0, -1, 310.15)
    >>> round(float(s.V), 1), round(float(s.Na_in), 2), round(float(s.volume), 3)
    (-68.9, 21.22, 2.886)
    """
    args = as_float(
        pump_flux,
        P_K,
        P_Na,
        P_Cl,
        K_out,
        Na_out,
        Cl_out,
        impermeant,
        z_impermeant,
        T,
        r,
        osmolyte_out,
    )
    return PumpLeakState(*_steady_state(*args))


# jit here although the library otherwise leaves jit to its callers: the root solve's
# while_loop is otherwise compiled anew on every eager call. Inlined inside a caller's jit.
@jax.jit
def _steady_state(
    p: Array,
    P_K: Array,
    P_Na: Array,
    P_Cl: Array,
    K_o: Array,
    Na_o: Array,
    Cl_o: Array,
    X: Array,
    z: Array,
    T: Array,
    r: Array,
    extra: Array,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    v = solve(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra)
    ok = jnp.isfinite(v)
    v = jnp.where(ok, v, 0)
    # Each output from v and the raw inputs (invalid points give discarded values), each
    # term written once: shared array-valued intermediates would be materialized by
    # XLA:CPU between the output loops (see ``_pump_leak_solve._fast``).
    x = _exp(-v)
    w = ghk_w(v, x, inv_v(v))
    Cl_i = Cl_o * _exp(v)
    phi_na_w = FLUX_OVER_P_TO_MM * p * _recip(P_Na) * w
    phi_k_w = FLUX_OVER_P_TO_MM * p * _recip(r * P_K) * w
    Na_i = x * Na_o - phi_na_w
    K_i = x * K_o + phi_k_w
    # c_X as in _c_X, from the terms of Na_i + K_i (not from Na_i, K_i themselves).
    # (Sums ordered unlike ``_pump_leak_solve._prepare``'s, which XLA would otherwise share
    # and materialize.)
    S = x * Na_o + x * K_o + (phi_k_w - phi_na_w)
    c_X = jnp.where(jnp.abs(z) >= 1, (Cl_i - S) * _recip(z), (Cl_o + extra) + Na_o + K_o - S - Cl_i)
    nan = jnp.full_like(v, jnp.nan)

    def out(a: Array) -> Array:
        return jnp.where(ok, a, nan)

    return (
        out(R_OVER_F_MV * T * v),
        out(Na_i),
        out(K_i),
        out(Cl_i),
        out(X / jnp.where(ok, c_X, 1)),
        ok,
    )
