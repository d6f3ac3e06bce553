r"""The stationary Nernst–Planck liquid junction (internal).

The problem JLJP and LJPcalc solve (Marino et al. 2014, arXiv:1403.3640): across a junction
x ∈ [0, 1] from the pipette to the bath, each ion's flux ``J_i = −D_i (c_i' + z_i c_i φ')``
(φ in units of RT/F) is constant, the solution is electroneutral everywhere
(Σ z_i c_i = 0) and carries no net current (Σ z_i J_i = 0). Electroneutrality gives
φ' = −Σ z g / w with g_i = J_i/D_i and w = Σ z² c > 0, so φ is monotone.

Reduction used here. Take the potential itself as the coordinate, τ = φ/V ∈ [0, 1] with
V = φ(1) − φ(0) the junction potential, and the reduced fluxes h_i = V·g_i / Σ z g (finite
as V → 0). The transport equations become *linear with constant coefficients*:

.. math:: \frac{dc_i}{d\tau} = h_i\,w - V z_i c_i, \qquad V = \sum_i z_i h_i,

so that c_i(1) = e^{−z_i V} c_{P,i} + h_i K_{z_i}, where
K_ζ = ∫_0^1 e^{−ζV(1−s)} w(s) ds depends on the ion only through its valence ζ. Summing
the ions of each valence ζ (totals C_ζ, fluxes H_ζ) gives a closed system of m equations
for the m distinct valences, however many ions there are:

* dC_ζ/dτ = H_ζ w − ζ V C_ζ,  dK_ζ/dτ = w − ζ V K_ζ,  w = Σ ζ² C_ζ, C(0) = C_P, K(0) = 0;
* the bath boundary C_ζ(1) = C_B,ζ (one of these follows from the others by
  electroneutrality, so a multiplier λ is added to keep the system square: the residual is
  C(1) − C_B + ζ λ, and λ = 0 at a solution between neutral solutions);
* zero current Σ z_i D_i h_i = 0, with h_i = (c_B,i − e^{−z_i V} c_P,i)/K_{z_i}, i.e.
  Σ_ζ ζ (Σ_{i∈ζ} D_i c_B,i − e^{−ζV} Σ_{i∈ζ} D_i c_P,i)/K_ζ = 0.

The unknowns (H_ζ, λ) are found by Newton's method from the Henderson solution, the linear
system integrated exactly enough by Taylor steps of order :data:`TAYLOR_ORDER` (step count
from the batch's largest rate), and gradients come from the implicit-function theorem. The
cost per junction is set by the number of distinct valences, not the number of ions.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ionsweep.physics._junction_linalg import solve as linsolve

__all__ = ["nernst_planck"]

#: Order of the Taylor steps of the linear transport system.
TAYLOR_ORDER = 16
#: Largest rate × step of a Taylor step: its local error is ≲ 1.5¹⁷/17! ≈ 3·10⁻¹²,
#: relative.
STEP_RATE = 1.5
#: Newton iterations at most; points not converged by then are NaN.
MAX_NEWTON = 40
#: The Jacobian is kept while every step is at most this fraction of the one before.
CONTRACTION = 0.25
#: A Newton step raises the rate estimate of the system by at most its value plus this.
RATE_GROWTH = 8.0
#: Halvings of a Newton step at most, where the residuals do not decrease.
HALVINGS = 12
#: Bounds of the number of Taylor steps.
MIN_STEPS, MAX_STEPS = 2, 256
#: On CPU, batches are solved this many points at a time (each block's work in cache, and
#: each block iterates only as long as its own points need).
BLOCK_POINTS = 256


def _rate(h, zetas):
    """An estimate of the spread of growth rates of the transport system (per unit τ), per
    point: its modes grow or decay like e^(±ζVτ) and e^(Σζ²H·τ), and the non-normal
    coupling of the fluxes adds a little."""
    v = sum(zeta * hk for zeta, hk in zip(zetas, h, strict=True))
    big = max(zeta * zeta for zeta in zetas)
    eig = jnp.abs(sum(zeta * zeta * hk for zeta, hk in zip(zetas, h, strict=True)))
    mixing = 0.25 * big * sum(jnp.abs(hk) for hk in h)
    return 2 * (jnp.abs(v) * max(abs(zeta) for zeta in zetas) + eig + mixing)


def _flow(h, zetas, c_p, n):
    """(C(1), K(1), V) of the linear transport system, per valence, in ``n`` Taylor steps
    (a static int, or a traced one for the fallback)."""
    m = len(zetas)
    v = sum(zeta * hk for zeta, hk in zip(zetas, h, strict=True))
    z2 = [zeta * zeta for zeta in zetas]
    zv = [zeta * v for zeta in zetas]
    dt = 1 / jnp.asarray(n, v.dtype)

    def deriv(y):
        c, k = y[:m], y[m:]
        w = sum(q * ci for q, ci in zip(z2, c, strict=True))
        dc = [hk * w - a * ci for hk, a, ci in zip(h, zv, c, strict=True)]
        dk = [w - a * ki for a, ki in zip(zv, k, strict=True)]
        return dc + dk

    def order(j, state):
        term, acc = state
        term = [(dt / j.astype(dt.dtype)) * t for t in deriv(term)]
        return term, [a + t for a, t in zip(acc, term, strict=True)]

    def step(_, y):
        return lax.fori_loop(1, TAYLOR_ORDER + 1, order, (y, y))[1]

    y = list(c_p) + [jnp.zeros_like(v)] * m
    y = lax.fori_loop(0, n, step, y)
    return y[:m], y[m:], v


def _residual(theta, zetas, params, n):
    """The m + 1 residuals: bath boundary per valence (+ ζλ) and zero current."""
    c_p, c_b, d_p, d_b = params
    m = len(zetas)
    c1, k1, v = _flow(theta[:m], zetas, c_p, n)
    lam = theta[m]
    res = [c - cb + zeta * lam for c, cb, zeta in zip(c1, c_b, zetas, strict=True)]
    current = sum(
        zeta * (db - jnp.exp(-zeta * v) * dp) / k
        for zeta, db, dp, k in zip(zetas, d_b, d_p, k1, strict=True)
    )
    return res + [current]


def _jacobian(theta, zetas, params, n):
    """(residuals, their Jacobian as rows of columns): forward mode in the H (one pass with
    the m tangents side by side), and the λ column (ζ in the boundary rows, 0 in the
    current row) as it stands."""
    m = len(zetas)
    eye = [[jnp.full_like(theta[0], float(i == j)) for i in range(len(theta))] for j in range(m)]
    basis = [jnp.stack([e[i] for e in eye]) for i in range(len(theta))]

    def along(tangent):
        return jax.jvp(lambda th: _residual(th, zetas, params, n), (theta,), (tangent,))

    res, cols = jax.vmap(along, out_axes=(None, 0))(basis)
    zero = jnp.zeros_like(theta[0])
    rows = [[cols[i][j] for j in range(m)] + [zero + zeta] for i, zeta in enumerate(zetas)]
    return res, rows + [[cols[m][j] for j in range(m)] + [zero]]


def _steps_for(theta, zetas, active):
    """Taylor steps for the worst active point of the batch."""
    rate = jnp.where(active, _rate(theta[: len(zetas)], zetas), 0)
    worst = jnp.max(jnp.where(jnp.isfinite(rate), rate, 0))
    n = jnp.clip(jnp.ceil(worst / STEP_RATE), MIN_STEPS, MAX_STEPS).astype(jnp.int32)
    return lax.stop_gradient(n)


def _norm(res):
    return sum(jnp.abs(r) for r in res)


def _line_search(theta, step, res, zetas, params, active):
    """Halve the step where the residuals do not decrease (at most :data:`HALVINGS` times);
    (new theta, its residuals, the steps' lengths taken, the Taylor steps used)."""
    base = _norm(res)

    def trial(alpha):
        new = [t + alpha * q for t, q in zip(theta, step, strict=True)]
        n = _steps_for(new, zetas, active)
        return new, _residual(new, zetas, params, n), n

    def cond(state):
        k, _, _, _, _, accepted = state
        return (k < HALVINGS) & ~jnp.all(accepted | ~active)

    def body(state):
        k, alpha, _, _, _, accepted = state
        alpha = jnp.where(accepted, alpha, 0.5 * alpha)
        new, res_new, n = trial(alpha)
        return k + 1, alpha, new, res_new, n, jnp.isfinite(_norm(res_new))

    alpha = jnp.ones_like(base)
    new, res_new, n = trial(alpha)
    ok = _norm(res_new) <= (1 - 1e-4) * base
    ok |= _norm(step) <= 1e3 * jnp.finfo(base.dtype).eps * (1 + _norm(theta))
    state = (jnp.asarray(0), alpha, new, res_new, n, ok)
    _, alpha, new, res_new, n, _ = lax.while_loop(
        lambda st: cond(st) & ~jnp.all(st[5] | ~active),
        lambda st: _decrease(body(st), base),
        state,
    )
    return new, res_new, alpha, n


def _decrease(state, base):
    """Mark the points whose trial residuals decreased."""
    k, alpha, new, res_new, n, _ = state
    return k, alpha, new, res_new, n, _norm(res_new) <= (1 - 1e-4 * alpha) * base


def _newton(theta0, zetas, params, active):
    """Newton's method: the Jacobian kept while full steps shrink by :data:`CONTRACTION` or
    better (chord steps), computed afresh otherwise, and with a fresh Jacobian the step
    halved until the residuals decrease; until every active point has converged (a step
    at rounding level from residuals at rounding level) or failed. (theta, converged)."""
    eps = jnp.finfo(theta0[0].dtype).eps
    res_scale = 1 + sum(jnp.abs(p) for side in params for p in side)

    def cond(state):
        return (state[0] < MAX_NEWTON) & ~jnp.all(state[-2])

    def body(state):
        i, theta, res, jac, n, last, slow, done, conv = state

        def refresh(_):
            return _jacobian(theta, zetas, params, _steps_for(theta, zetas, ~done))

        res_j, jac = lax.cond(slow, refresh, lambda _: (res, jac), None)
        step = _capped(linsolve(jac, [-r for r in res_j]), theta, zetas)
        size = _norm(step)
        small = size <= 1e3 * eps * (1 + _norm(theta))
        small &= _norm(res_j) <= 1e4 * eps * res_scale
        fresh = slow
        new, res_new, alpha, n = lax.cond(
            fresh,
            lambda _: _line_search(theta, step, res_j, zetas, params, ~done),
            lambda _: _full_step(theta, step, zetas, params, ~done),
            None,
        )
        ok = jnp.isfinite(_norm(res_new)) & jnp.isfinite(size)
        descent = _norm(res_new) < _norm(res_j)
        move = ~done & ok & (descent | small)
        theta = [jnp.where(move, q, t) for t, q in zip(theta, new, strict=True)]
        res = [jnp.where(move, q, r) for r, q in zip(res_j, res_new, strict=True)]
        conv = conv | (~done & ok & small)
        done = done | small | (fresh & ~ok)
        # A stale Jacobian whose full step did not shrink fast enough (or made things worse)
        # is refreshed for the next iteration.
        slow = jnp.any(~done & ((size > CONTRACTION * last) | ~descent | (alpha < 1)))
        return i + 1, theta, res, jac, n, jnp.where(done, last, size), slow, done, conv

    k = len(theta0)
    zero = jnp.zeros_like(theta0[0])
    jac0 = [[zero] * k for _ in range(k)]
    n0 = jnp.asarray(MIN_STEPS, jnp.int32)
    res0 = [zero] * k  # the first iteration refreshes the Jacobian, and the residuals with it
    start = (jnp.asarray(0), list(theta0), res0, jac0, n0, zero + jnp.inf, jnp.asarray(True))
    out = lax.while_loop(cond, body, (*start, ~active, jnp.zeros_like(active)))
    theta = out[1]
    within = _rate(theta[: len(zetas)], zetas) <= MAX_STEPS * STEP_RATE  # accurate there
    return theta, out[-1] & within & jnp.isfinite(sum(theta))


def _capped(step, theta, zetas):
    """The step, shortened where it would raise the system's rate by more than
    :data:`RATE_GROWTH` (the rate is a norm of the fluxes: a far step would cost many
    Taylor steps and land where Newton's model no longer holds)."""
    m = len(zetas)
    grow = _rate(step[:m], zetas)
    room = RATE_GROWTH + _rate(theta[:m], zetas)
    scale = jnp.where(grow > room, room / jnp.where(grow > room, grow, 1), 1)
    return [scale * q for q in step]


def _full_step(theta, step, zetas, params, active):
    """The chord step as it stands: (new theta, its residuals, 1, the Taylor steps used)."""
    new = [t + q for t, q in zip(theta, step, strict=True)]
    n = _steps_for(new, zetas, active)
    return new, _residual(new, zetas, params, n), jnp.ones_like(theta[0]), n


def _blocked(theta0, zetas, params, active):
    """:func:`_newton` over flat (N,) arrays, :data:`BLOCK_POINTS` points at a time."""
    total = active.shape[0]
    nb = -(-total // BLOCK_POINTS)
    pad = nb * BLOCK_POINTS - total

    def cut(x):
        x = jnp.concatenate([x, jnp.repeat(x[-1:], pad)]) if pad else x
        return x.reshape(nb, BLOCK_POINTS)

    blocks = jax.tree_util.tree_map(cut, (theta0, params, active))
    theta, conv = lax.map(lambda b: _newton(b[0], zetas, b[1], b[2]), blocks)
    return [t.reshape(-1)[:total] for t in theta], conv.reshape(-1)[:total]


def _solve_any(theta0, zetas, params, active):
    """:func:`_newton` on the batch, by blocks on CPU when it is large."""
    shape = active.shape
    total = math.prod(shape)
    if total <= 2 * BLOCK_POINTS:
        return _newton(theta0, zetas, params, active)
    flat = jax.tree_util.tree_map(lambda x: x.reshape(-1), (theta0, params, active))
    theta, conv = lax.platform_dependent(
        *flat,
        cpu=lambda t, p, a: _blocked(t, zetas, p, a),
        default=lambda t, p, a: _newton(t, zetas, p, a),
    )
    return [t.reshape(shape) for t in theta], conv.reshape(shape)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _solve(zetas, theta0, active, params):
    """(theta, converged): the root of the residuals, differentiable in ``params`` only."""
    return _solve_any(theta0, zetas, params, active)


@_solve.defjvp
def _solve_jvp(zetas, primals, tangents):
    """Implicit-function tangents, dθ = −J⁻¹·(∂r/∂p)·dp, with ∂r/∂p formed from primal
    values only, so that the tangent map has no loop in it and transposes (reverse mode)."""
    theta0, active, params = primals
    d_cp, d_cb, d_dp, d_db = tangents[2]
    theta, converged = _solve(zetas, theta0, active, params)
    m = len(zetas)
    n = _steps_for(theta, zetas, active & converged)
    _, jac = _jacobian(theta, zetas, params, n)
    by_cp = _sensitivity_to_start(theta, zetas, params, n)
    _, k1, v = _flow(theta[:m], zetas, params[0], n)
    dres = [sum(by_cp[i][j] * d_cp[j] for j in range(m)) for i in range(m + 1)]
    dres = [dr - db for dr, db in zip(dres[:m], d_cb, strict=True)] + [
        dres[m]
        + sum(
            (zeta / k) * (ddb - jnp.exp(-zeta * v) * ddp)
            for zeta, k, ddb, ddp in zip(zetas, k1, d_db, d_dp, strict=True)
        )
    ]
    dtheta = linsolve(jac, [-r for r in dres])
    dtheta = [jnp.where(converged, d, 0) for d in dtheta]
    return (theta, converged), (dtheta, np.zeros(converged.shape, dtype=jax.dtypes.float0))


def _sensitivity_to_start(theta, zetas, params, n):
    """∂r_i/∂C_P,j (rows i of the m + 1 residuals, columns j of the m valences) by forward
    mode, the m tangents side by side."""
    m = len(zetas)
    c_p = params[0]
    basis = [
        jnp.stack([jnp.full_like(c, float(i == j)) for j in range(m)]) for i, c in enumerate(c_p)
    ]

    def along(tangent):
        def res(cp):
            return _residual(theta, zetas, (cp, *params[1:]), n)

        return jax.jvp(res, (list(c_p),), (tangent,))[1]

    cols = jax.vmap(along)(basis)
    return [[cols[i][j] for j in range(m)] for i in range(m + 1)]


def _safe_totals(zetas, like):
    """Neutral group totals used in place of invalid points (each sign sums to 1)."""
    pos = sum(1 for z in zetas if z > 0) or 1
    neg = sum(1 for z in zetas if z < 0) or 1
    return [jnp.full_like(like, 1 / (abs(z) * (pos if z > 0 else neg))) for z in zetas]


def nernst_planck(c_p, c_b, z, D, v_guess, valid):
    """Stationary Nernst–Planck junction potential φ_bath − φ_pipette in units of RT/F.

    Parameters
    ----------
    c_p, c_b : jax.Array, shape (..., n)
        Pipette and bath concentrations (any common unit), each side neutral.
    z : tuple of int
        Valences (static); ions with z = 0 do not take part.
    D : jax.Array, shape (..., n) or (n,)
        Diffusion coefficients (any common unit).
    v_guess : jax.Array, shape (...)
        Starting value of V, RT/F (the Henderson junction).
    valid : jax.Array of bool, shape (...)
        Points to solve; the others are NaN.

    Returns
    -------
    jax.Array, shape (...)
        V in units of RT/F; NaN where invalid or where Newton's method did not converge.
    """
    zetas = tuple(sorted({int(q) for q in z if q != 0}))
    D = jnp.broadcast_to(D, c_p.shape)
    groups = [[i for i, q in enumerate(z) if q == zeta] for zeta in zetas]

    def total(x, idx):
        return sum(x[..., i] for i in idx)

    ref = 0.5 * sum(abs(q) * (c_p[..., i] + c_b[..., i]) for i, q in enumerate(z))
    ref = jnp.where(valid, ref, 1)
    d_ref = sum(abs(q) * D[..., i] * (c_p[..., i] + c_b[..., i]) for i, q in enumerate(z))
    d_ref = jnp.where(valid, d_ref / (2 * ref), 1)
    safe = _safe_totals(zetas, ref)
    dp = D * c_p
    db = D * c_b

    def group(x, scale):
        return [
            jnp.where(valid, total(x, idx) / scale, s) for idx, s in zip(groups, safe, strict=True)
        ]

    params = (group(c_p, ref), group(c_b, ref), group(dp, ref * d_ref), group(db, ref * d_ref))
    theta0 = _initial(zetas, params, jnp.where(valid, v_guess, 0))
    theta, converged = _solve(zetas, theta0, valid, params)
    v = sum(zeta * h for zeta, h in zip(zetas, theta[: len(zetas)], strict=True))
    return jnp.where(valid & converged, v, jnp.nan)


def _initial(zetas, params, v):
    """Reduced fluxes of linear profiles at the Henderson potential, and λ = 0."""
    c_p, c_b, _, _ = params
    mean = [(a + b) / 2 for a, b in zip(c_p, c_b, strict=True)]
    w = sum(zeta * zeta * c for zeta, c in zip(zetas, mean, strict=True))
    h = [(b - a + v * zeta * c) / w for a, b, zeta, c in zip(c_p, c_b, zetas, mean, strict=True)]
    return h + [jnp.zeros_like(v)]
