"""The root solve of the pump–leak volume model: v = FV/RT at the steady state.

The equations, the guarded residual, uniqueness and the certificate of no steady state are
in the module docstring of :mod:`ionsweep.physics.pump_leak_volume`. Here: the GHK factor
w(v) and its slopes, the straight-line Halley path (:func:`_fast`, one fused loop), the
safeguarded Newton–bisection for the points it leaves undecided, and the gradient of the
root by the implicit-function theorem (:func:`solve`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ionsweep._fastmath import exp_fused as _exp, recip_fused as _recip
from ionsweep.physics._root import implicit_root

__all__ = ["FLUX_OVER_P_TO_MM", "V_BRACKET", "ghk_w", "inv_v", "solve"]

#: Bracket of the solve, in units of RT/F (≈ ±800 mV at 37 °C).
V_BRACKET = 30.0
#: pmol/(cm²·s) divided by cm/s is pmol/cm³ = 1e-9 mol/L = 1e-6 mM.
FLUX_OVER_P_TO_MM = 1e-6


#: Taylor coefficients of w(v) = (1 − e^(−v))/v = Σ (−v)^k/(k+1)!: 17 terms reach double
#: precision for |v| < 1/2 (the first omitted term is below 1e-20 there).
_W_TAYLOR = tuple((-1.0) ** k / math.factorial(k + 1) for k in range(17))
#: Below this |v| the closed forms of w′ and w″ cancel too much; short series are used.
_SMALL_V = 1e-3


def inv_v(v):
    """1/v where |v| ≥ 10⁻³, else 1 (double where: finite values and gradients)."""
    return _recip(jnp.where(jnp.abs(v) < _SMALL_V, 1, v))


def ghk_w(v, x, inv):
    """w(v) = (1 − e^(−v))/v, the GHK factor (= 1/k(v)), to rounding: given x = e^(−v) and
    ``inv`` = :func:`inv_v`, (1 − x)/v for |v| ≥ 1/2 and the Taylor series below, where
    1 − x cancels (one exp, the caller's, and no expm1)."""
    small = jnp.abs(v) < 0.5
    vp = jnp.where(small, v, 0)
    series: float | jax.Array = _W_TAYLOR[-1]
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
    w = ghk_w(v, x, 1 / jnp.where(jnp.abs(v) < _SMALL_V, 1, v))
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
    """Guarded residual, increasing through every stable admissible root (see
    :mod:`ionsweep.physics.pump_leak_volume`). The guards are −Na_i/O and ∓c_X/O with
    c_X = (Cl_i − Na_i − K_i)/z from neutrality."""
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
        x, inv = _exp(-v), inv_v(v)
        w = _w_rough(v, x, inv)
        w1, w2 = _w_slopes(v, x, w, inv)
        C, ax = Cl_o * _recip(x), A * x
        g = zm * (ax + d * w) + zp * C - zO
        g1 = zm * (d * w1 - ax) + zp * C
        g2 = zm * (ax + d * w2) + zp * C
        v = jnp.clip(v - 2 * g * g1 / (2 * g1 * g1 - g * g2), -V_BRACKET, V_BRACKET)
    x, inv = _exp(-v), inv_v(v)
    w = ghk_w(v, x, inv)
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
    # The pump outruns the Na⁺ leak, certified at this v (``pump_leak_volume``, "No steady state").
    H = zm * K_i + zp * C - zO
    h_round = 64 * eps * (jnp.abs(zm * K_i) + jnp.abs(zp * C) + jnp.abs(zO))
    outrun = (jnp.abs(z) <= 1) & (Na_i < -64 * eps * (x * Na_o + phi_na * w)) & (H < -h_round)
    bracketed = _bracketed(Na_o, K_o, Cl_o, phi_na, phi_k, z, O)
    none = ~valid | ~bracketed | (ok & unbounded) | outrun
    return jnp.where(none, jnp.inf, jnp.where(ok, v - g / g1, jnp.nan))


def _prepare(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra, *, fused=True):
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
def solve(*inputs):
    """v = FV/RT at the steady state, NaN where there is none, for the 12 inputs of
    ``pump_leak_volume._steady_state``: the fast Halley path (:func:`_fast`) for every
    point; if it left some point undecided, ``lax.cond`` runs it again with 4 Halley steps,
    and if one still is, the safeguarded :func:`_robust` solve of the guarded residual (see
    :mod:`ionsweep.physics.pump_leak_volume`), whose values replace those points only."""
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


@solve.defjvp
def _solve_jvp(primals, tangents):
    # Implicit-function theorem: dv = −(∂f/∂θ · dθ) / (∂f/∂v) at the root.
    v = solve(*primals)
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
    # float64 log below (XLA:CPU's are slower than its exp: benchmarks/RESULTS.md).
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
