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
one fused loop (see ``_fast``); its root agrees with the safeguarded solve's to rounding.

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

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from ionsweep._fastmath import exp_fused as _exp
from ionsweep._fastmath import recip_fused as _recip
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._root import implicit_root

__all__ = ["PumpLeakState", "pump_leak_steady_state"]

#: Bracket of the solve, in units of RT/F (≈ ±800 mV at 37 °C).
V_BRACKET = 30.0
#: pmol/(cm²·s) divided by cm/s is pmol/cm³ = 1e-9 mol/L = 1e-6 mM.
FLUX_OVER_P_TO_MM = 1e-6


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


#: Taylor coefficients of w(v) = (1 − e^(−v))/v = Σ (−v)^k/(k+1)!: 17 terms reach double
#: precision for |v| < 1/2 (the first omitted term is below 1e-20 there).
_W_TAYLOR = tuple((-1.0) ** k / math.factorial(k + 1) for k in range(17))
#: Below this |v| the closed forms of w′ and w″ cancel too much; short series are used.
_SMALL_V = 1e-3


def _inv_v(v):
    """1/v where |v| ≥ 10⁻³, else 1 (double where: finite values and gradients)."""
    return _recip(jnp.where(jnp.abs(v) < _SMALL_V, 1, v))


def _w(v, x, inv):
    """w(v) = (1 − e^(−v))/v, the GHK factor (= 1/k(v)), to rounding: given x = e^(−v) and
    ``inv`` = :func:`_inv_v`, (1 − x)/v for |v| ≥ 1/2 and the Taylor series below, where
    1 − x cancels (one exp, the caller's, and no expm1)."""
    small = jnp.abs(v) < 0.5
    vp = jnp.where(small, v, 0)
    series = _W_TAYLOR[-1]
    for c in _W_TAYLOR[-2::-1]:
        series = series * vp + c
    return jnp.where(small, series, (1 - x) * inv)


def _w_rough(v, x, inv):
    """w(v) to ~eps/|v| relative (for early iterations): (1 − x)/v, a series below 10⁻³."""
    small = jnp.abs(v) < _SMALL_V
    return jnp.where(small, 1 + v * (-1 / 2 + v * (1 / 6 - v / 24)), (1 - x) * inv)


def _w_slopes(v, x, w, inv):
    """w′ = (x − w)/v and w″ = −(x + 2w′)/v, series below |v| = 10⁻³; relative error
    ~eps/v² at worst, plenty for the slopes of Newton and Halley steps."""
    small = jnp.abs(v) < _SMALL_V
    w1 = jnp.where(small, -1 / 2 + v * (1 / 3 - v / 8), (x - w) * inv)
    w2 = jnp.where(small, 1 / 3 - v / 4, -(x + 2 * w1) * inv)
    return w1, w2


def _state(v, Na_o, K_o, Cl_o, phi_na, phi_k):
    """(Na_i, K_i, Cl_i) in mM at v = FV/RT: with x = e^(−v) and w(v) = (1 − x)/v,
    Na_i = x·Na_o − φ_Na·w, K_i = x·K_o + φ_K·w, Cl_i = Cl_o/x."""
    # jnp.exp and a division: this serves the safeguarded solve and the gradients, where
    # the fused forms (_exp, _recip) would only lengthen compilation.
    x = jnp.exp(-v)
    w = _w(v, x, 1 / jnp.where(jnp.abs(v) < _SMALL_V, 1, v))
    return x * Na_o - phi_na * w, x * K_o + phi_k * w, Cl_o * jnp.exp(v)


def _sides(S, C, z, O):
    """G = Pos − Neg with Pos, Neg ≥ 0 wherever S ≥ 0 (the terms of G sorted by sign)."""
    pos = jnp.maximum(-z, 0) * O + jnp.maximum(z + 1, 0) * C + jnp.maximum(z - 1, 0) * S
    neg = jnp.maximum(z, 0) * O + jnp.maximum(-z - 1, 0) * C + jnp.maximum(1 - z, 0) * S
    return pos, neg


def _log_residual(v, Na_o, K_o, Cl_o, phi_na, phi_k, z, O):
    Na_i, K_i, C = _state(v, Na_o, K_o, Cl_o, phi_na, phi_k)
    pos, neg = _sides(Na_i + K_i, C, z, O)
    info = jnp.finfo(v.dtype)
    # One log of the ratio (clipped to the finite range; only the sign matters far out).
    ratio = jnp.clip(jnp.maximum(pos, info.tiny) / jnp.maximum(neg, info.tiny), info.tiny, info.max)
    return jnp.log(ratio), Na_i, K_i, C


def _residual(v, *args):
    """Guarded residual, increasing through every stable admissible root (see module doc).
    The guards are −Na_i/O and ∓c_X/O with c_X = (Cl_i − Na_i − K_i)/z from neutrality."""
    f, Na_i, K_i, C = _log_residual(v, *args)
    z, O = args[5], args[6]
    c_neu = (C - Na_i - K_i) / (z * O)  # impermeant concentration / O, from neutrality
    na_guard = -Na_i / O
    neg_z = jnp.maximum(jnp.maximum(f, -c_neu), na_guard)
    pos_z = jnp.maximum(jnp.minimum(f, c_neu), na_guard)
    return jnp.where(z < 0, neg_z, pos_z)


_fallback = implicit_root(_residual)


def _robust(active, *args):
    """Root of the guarded residual by the safeguarded Newton–bisection of
    :mod:`ionsweep.physics._root` (a ``while_loop``: one compiled body) from :func:`_start`;
    NaN where [−30, 30] RT/F does not bracket a root. Only for the points the Halley path
    leaves undecided, so robustness matters here, not speed."""
    v0 = _start(*args)
    lo = jnp.full_like(v0, -V_BRACKET)
    return _fallback(lo, -lo, v0, active, *args)


#: e^(∓30) and w(±30): the state at the bracket ends needs no transcendental function.
_ENDS = tuple((math.exp(-v), math.exp(v), -math.expm1(-v) / v) for v in (-V_BRACKET, V_BRACKET))


def _bracketed(Na_o, K_o, Cl_o, phi_na, phi_k, z, O):
    """residual(−30) ≤ 0 ≤ residual(30) for the guarded residual, from signs alone: the
    log of the ratio is replaced by max(Pos, tiny) − max(Neg, tiny), of the same sign, and
    the guards (``max``/``min`` against 0) depend only on the signs of their terms, so
    they are taken without the divisions by O and z·O (O > 0)."""
    tiny = jnp.finfo(O.dtype).tiny
    sign = []
    for x, inv_x, w in _ENDS:
        Na_i, K_i, C = x * Na_o - phi_na * w, x * K_o + phi_k * w, Cl_o * inv_x
        pos, neg = _sides(Na_i + K_i, C, z, O)
        f = jnp.maximum(pos, tiny) - jnp.maximum(neg, tiny)
        c_neu = (C - Na_i - K_i) * jnp.sign(z)
        na_guard = -Na_i
        neg_z = jnp.maximum(jnp.maximum(f, -c_neu), na_guard)
        pos_z = jnp.maximum(jnp.minimum(f, c_neu), na_guard)
        sign.append(jnp.where(z < 0, neg_z, pos_z))
    return (sign[0] <= 0) & (sign[1] >= 0)


def _fast(*inputs, steps=2):
    """Straight-line solve of G(v) = 0: :func:`_start`, ``steps`` Halley steps (one exp
    each, with the rough w), and a Newton step (exact w) whose size δ = G/G′ corrects the
    result and decides acceptance, as in :func:`ionsweep.physics._root`: |δ| below √tol/4 (quadratic
    convergence then puts the result within ~tol), G′ > 0 (an upward crossing), Na_i > 0
    and c_X > 0 (no guard active, so the guarded residual has the same root), |v| < 30.

    Returns one array: the root where accepted, NaN where not, +inf where there is no
    steady state: invalid input, no root bracketed by [−30, 30] RT/F (:func:`_bracketed`),
    or an accepted root with c_X within rounding of 0 (:func:`_admissible`).

    Written for XLA:CPU's loop fusion, which materializes an exp, log or division used
    more than once (an array written to and read from memory) and recomputes the cheap
    code feeding it in every consumer: every division here has one use, exp and 1/x are
    :func:`_exp` and :func:`_recip`, and the output is a single array, so the whole
    function compiles to one loop over the batch."""
    valid, (Na_o, K_o, Cl_o, phi_na, phi_k, z, O) = _prepare(*inputs)
    A, d, zm, zp, zO = Na_o + K_o, phi_k - phi_na, z - 1, z + 1, z * O
    v = _start(Na_o, K_o, Cl_o, phi_na, phi_k, z, O)
    for _ in range(steps):
        # The rough w (and e^v as 1/x) suffice: the final Newton step uses the exact ones.
        x, inv = _exp(-v), _inv_v(v)
        w = _w_rough(v, x, inv)
        w1, w2 = _w_slopes(v, x, w, inv)
        C, ax = Cl_o * _recip(x), A * x
        g = zm * (ax + d * w) + zp * C - zO
        g1 = zm * (d * w1 - ax) + zp * C
        g2 = zm * (ax + d * w2) + zp * C
        v = jnp.clip(v - 2 * g * g1 / (2 * g1 * g1 - g * g2), -V_BRACKET, V_BRACKET)
    x, inv = _exp(-v), _inv_v(v)
    w = _w(v, x, inv)
    w1, _ = _w_slopes(v, x, w, inv)
    Na_i, K_i, C = x * Na_o - phi_na * w, x * K_o + phi_k * w, Cl_o * _exp(v)
    S = Na_i + K_i
    g = zm * S + zp * C - zO
    g1 = zm * (d * w1 - A * x) + zp * C
    tol = 8 * jnp.finfo(v.dtype).eps
    # |δ| = |G/G′| ≤ √tol/4 (1 + |v|) with G′ > 0, and c_X = (C − S)/z > 0, division-free.
    ok = (jnp.abs(g) <= 0.25 * jnp.sqrt(tol) * (1 + jnp.abs(v)) * g1) & (g1 > 0)
    ok &= (Na_i > 0) & ((C - S) * z > 0) & (jnp.abs(v) < V_BRACKET)
    eps = jnp.finfo(v.dtype).eps
    # c_X ≤ 256 eps O (as in _admissible; c_X = (C − S)/z for |z| ≥ 1, else O − S − C).
    unbounded = jnp.where(
        jnp.abs(z) >= 1,
        (C - S) * jnp.sign(z) <= 256 * eps * O * jnp.abs(z),
        O - S - C <= 256 * eps * O,
    )
    # The pump outruns the Na⁺ leak, certified at this v (module doc, "No steady state").
    H = zm * K_i + zp * C - zO
    h_round = 64 * eps * (jnp.abs(zm * K_i) + jnp.abs(zp * C) + jnp.abs(zO))
    outrun = (jnp.abs(z) <= 1) & (Na_i < -64 * eps * (x * Na_o + phi_na * w)) & (H < -h_round)
    bracketed = _bracketed(Na_o, K_o, Cl_o, phi_na, phi_k, z, O)
    none = ~valid | ~bracketed | (ok & unbounded) | outrun
    return jnp.where(none, jnp.inf, jnp.where(ok, v - g / g1, jnp.nan))


def _prepare(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra, fused=True):
    """``(valid, args)``: where the inputs are valid, and the solver's arguments
    ``(Na_o, K_o, Cl_o, φ_Na, φ_K, z, O)`` with masked divisors (invalid points then give
    finite values, discarded later). Called again wherever needed, rather than passed on:
    XLA:CPU materializes the arrays it shares with a ``lax.cond`` operand."""
    valid = (P_K > 0) & (P_Na > 0) & (X > 0) & (z != 0) & (T > 0) & (r > 0)
    for a in (p, P_Cl, K_o, Na_o, Cl_o, extra):
        valid &= a >= 0
    for a in (p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra):
        valid &= jnp.isfinite(a)
    one = jnp.ones_like(valid, dtype=p.dtype)
    # For _fast, _recip: XLA:CPU materializes a division with several uses (see _fast);
    # elsewhere (safeguarded solve, gradients) a division, quicker to compile.
    recip = _recip if fused else jnp.reciprocal
    phi_na = FLUX_OVER_P_TO_MM * p * recip(jnp.where(valid, P_Na, one))
    phi_k = FLUX_OVER_P_TO_MM * p * recip(jnp.where(valid, r * P_K, one))
    z_safe = jnp.where(valid, z, -one)
    O = Na_o + K_o + Cl_o + extra
    O_safe = jnp.where(valid & (O > 0), O, one)
    return valid, (Na_o, K_o, Cl_o, phi_na, phi_k, z_safe, O_safe)


def _c_X(Na_i, K_i, Cl_i, z, O):
    """Impermeant concentration (mM) from whichever balance loses less to rounding:
    neutrality (Cl − Na − K)/z for |z| ≥ 1, else isosmosis O − Na − K − Cl."""
    return jnp.where(jnp.abs(z) >= 1, (Cl_i - Na_i - K_i) * _recip(z), O - Na_i - K_i - Cl_i)


def _admissible(v, *args):
    """A root of the main branch (not a guard), Na⁺ not negative, and an impermeant
    concentration above the rounding of the osmotic balance (else: unbounded volume)."""
    Na_i, K_i, Cl_i = _state(v, *args[:5])
    z, O = args[5], args[6]
    pos, neg = _sides(Na_i + K_i, Cl_i, z, O)
    eps = jnp.finfo(v.dtype).eps
    c_X = _c_X(Na_i, K_i, Cl_i, z, O)
    return (jnp.abs(pos - neg) <= jnp.sqrt(eps) * neg) & (Na_i >= 0) & (c_X > 256 * eps * O)


@jax.custom_jvp
def _solve(*inputs):
    """v = FV/RT at the steady state, NaN where there is none, for the 12 inputs of
    :func:`_steady_state`: the fast Halley path (:func:`_fast`) for every point; if it
    left some point undecided, ``lax.cond`` runs it again with 4 Halley steps, and if one
    still is, the safeguarded :func:`_robust` solve of the guarded residual (see the module
    doc), whose values replace those points only."""
    v = _fast(*inputs)
    need = jnp.isnan(v)

    def stage2(_):
        v2 = _fast(*inputs, steps=4)
        need2 = need & jnp.isnan(v2)
        return lax.cond(
            jnp.any(need2), lambda _: _safeguarded(inputs, v2, need2), lambda _: v2, None
        )

    v = lax.cond(jnp.any(need), stage2, lambda _: v, None)
    return jnp.where(jnp.isfinite(v), v, jnp.nan)


def _safeguarded(inputs, v, need):
    """``v`` with the points in ``need`` replaced by the :func:`_robust` root (+inf where it
    is not a state): up to k = max(64, n/64) of them at a time are gathered and solved
    together (a ``while_loop`` over such groups, one compiled solve), so that a few hard
    points cost little in a large batch."""
    shape, n = v.shape, v.size
    k = min(n, max(64, n // 64))
    flat = [jnp.broadcast_to(a, shape).ravel() for a in inputs]

    def group(state):
        v, need = state
        idx = jnp.nonzero(need, size=k, fill_value=n)[0]  # n: no point (dropped below)
        take = jnp.minimum(idx, n - 1)
        args = _prepare(*(a[take] for a in flat), fused=False)[1]
        r = _robust(idx < n, *args)
        r = jnp.where(_admissible(jnp.where(jnp.isfinite(r), r, 0), *args), r, jnp.inf)
        return v.at[idx].set(r, mode="drop"), need.at[idx].set(False, mode="drop")

    v, _ = lax.while_loop(lambda state: jnp.any(state[1]), group, (v.ravel(), need.ravel()))
    return v.reshape(shape)


def _guarded(v, *inputs):
    return _residual(v, *_prepare(*inputs, fused=False)[1])


@_solve.defjvp
def _solve_jvp(primals, tangents):
    # Implicit-function theorem: dv = −(∂f/∂θ · dθ) / (∂f/∂v) at the root.
    v = _solve(*primals)
    _, df_dtheta = jax.jvp(lambda *a: _guarded(v, *a), primals, tangents)
    _, df_dv = jax.jvp(lambda y: _guarded(y, *primals), (v,), (jnp.ones_like(v),))
    return v, -df_dtheta / jnp.where(df_dv != 0, df_dv, 1)


def _start(Na_o, K_o, Cl_o, phi_na, phi_k, z, O, *_):
    """Start: v_a = (φ_K − φ_Na)/(Na_o + K_o) (exact for z = −1 and a neutral bath), then
    G with k(v) frozen at k(v_a) — a quadratic in x = e^(−v) — solved for x."""
    A = Na_o + K_o
    d = phi_k - phi_na
    v_a = jnp.clip(d * _recip(jnp.where(A > 0, A, 1)), -25, 25)
    # Accuracy matters little in a start: exp − 1 (eps/|v| relative), no expm1 and no
    # float64 log below (XLA:CPU's are ~4× slower than its exp).
    tiny = jnp.abs(v_a) < _SMALL_V
    k_a = jnp.where(tiny, 1 + v_a / 2, (_exp(v_a) - 1) * _recip(jnp.where(tiny, 1, v_a)))
    a = (1 - z) * (A + d * k_a)
    b = z * O
    c = -(1 + z) * Cl_o
    q = -0.5 * (b + jnp.where(b >= 0, 1, -1) * jnp.sqrt(jnp.maximum(b * b - 4 * a * c, 0)))
    # The roots are r1 = q/a and r2 = c/q; which one is wanted (the larger for z < 0, else
    # the smaller if positive) is decided from signs, so that one division remains, with
    # one use (every exp, sqrt, log and division here has one: see _fast).
    r1_larger = (q * q - a * c) * (a * q) > 0
    small_positive = jnp.where(r1_larger, c * q, q * a) > 0
    use_r1 = jnp.where((z < 0) | ~small_positive, r1_larger, ~r1_larger)
    num, den = jnp.where(use_r1, q, c), jnp.where(use_r1, a, q)
    ok = (num * den > 0) & jnp.isfinite(num * den)  # x = num/den > 0
    x = jnp.where(ok, num, 1) / jnp.where(ok, den, 1)
    v0 = jnp.where(ok, -jnp.log(x.astype(jnp.float32)).astype(x.dtype), v_a)  # log to ~1e-7
    return jnp.clip(v0, -V_BRACKET, V_BRACKET)


def pump_leak_steady_state(
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
    r=1.5,
    osmolyte_out=0.0,
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
def _steady_state(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra):
    v = _solve(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra)
    ok = jnp.isfinite(v)
    v = jnp.where(ok, v, 0)
    # Each output from v and the raw inputs (invalid points give discarded values), each
    # term written once: shared array-valued intermediates would be materialized by
    # XLA:CPU between the output loops (see _fast).
    x = _exp(-v)
    w = _w(v, x, _inv_v(v))
    Cl_i = Cl_o * _exp(v)
    phi_na_w = FLUX_OVER_P_TO_MM * p * _recip(P_Na) * w
    phi_k_w = FLUX_OVER_P_TO_MM * p * _recip(r * P_K) * w
    Na_i = x * Na_o - phi_na_w
    K_i = x * K_o + phi_k_w
    # c_X as in _c_X, from the terms of Na_i + K_i (not from Na_i, K_i themselves).
    # (Sums ordered unlike _prepare's, which XLA would otherwise share and materialize.)
    S = x * Na_o + x * K_o + (phi_k_w - phi_na_w)
    c_X = jnp.where(jnp.abs(z) >= 1, (Cl_i - S) * _recip(z), (Cl_o + extra) + Na_o + K_o - S - Cl_i)
    nan = jnp.full_like(v, jnp.nan)

    def out(a):
        return jnp.where(ok, a, nan)

    return (
        out(R_OVER_F_MV * T * v),
        out(Na_i),
        out(K_i),
        out(Cl_i),
        out(X / jnp.where(ok, c_X, 1)),
        ok,
    )
