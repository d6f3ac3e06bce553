r"""The stationary Nernst–Planck liquid junction: the Newton solve (internal).

The junction's transport equations, reduced to a linear system per valence, are in
:mod:`ionsweep.physics._junction_flow` (with the derivation). Here the unknowns (H_ζ, λ) are
found by damped Newton steps from the Henderson solution, batches are solved in blocks on CPU,
and gradients come from the implicit-function theorem.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ionsweep.physics._junction_flow import (
    MAX_STEPS,
    MIN_STEPS,
    STEP_RATE,
    flow,
    jacobian,
    rate,
    residual,
    steps_for,
)
from ionsweep.physics._junction_linalg import solve as linsolve

__all__ = ["nernst_planck"]

#: Newton iterations at most; points not converged by then are NaN.
MAX_NEWTON = 40
#: The Jacobian is kept while every step is at most this fraction of the one before.
CONTRACTION = 0.25
#: A Newton step raises the rate estimate of the system by at most its value plus this.
RATE_GROWTH = 8.0
#: Halvings of a Newton step at most, where the residuals do not decrease.
HALVINGS = 12
#: On CPU, batches are solved this many points at a time (each block's work in cache, and
#: each block iterates only as long as its own points need).
BLOCK_POINTS = 256


def _norm(res):
    return sum(jnp.abs(r) for r in res)


def _line_search(theta, step, res, zetas, params, active):
    """Halve the step where the residuals do not decrease (at most :data:`HALVINGS` times);
    (new theta, its residuals, the steps' lengths taken, the Taylor steps used)."""
    base = _norm(res)

    def trial(alpha):
        new = [t + alpha * q for t, q in zip(theta, step, strict=True)]
        n = steps_for(new, zetas, active)
        return new, residual(new, zetas, params, n), n

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
            return jacobian(theta, zetas, params, steps_for(theta, zetas, ~done))

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
    within = rate(theta[: len(zetas)], zetas) <= MAX_STEPS * STEP_RATE  # accurate there
    return theta, out[-1] & within & jnp.isfinite(sum(theta))


def _capped(step, theta, zetas):
    """The step, shortened where it would raise the system's rate by more than
    :data:`RATE_GROWTH` (the rate is a norm of the fluxes: a far step would cost many
    Taylor steps and land where Newton's model no longer holds)."""
    m = len(zetas)
    grow = rate(step[:m], zetas)
    room = RATE_GROWTH + rate(theta[:m], zetas)
    scale = jnp.where(grow > room, room / jnp.where(grow > room, grow, 1), 1)
    return [scale * q for q in step]


def _full_step(theta, step, zetas, params, active):
    """The chord step as it stands: (new theta, its residuals, 1, the Taylor steps used)."""
    new = [t + q for t, q in zip(theta, step, strict=True)]
    n = steps_for(new, zetas, active)
    return new, residual(new, zetas, params, n), jnp.ones_like(theta[0]), n


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
    n = steps_for(theta, zetas, active & converged)
    _, jac = jacobian(theta, zetas, params, n)
    by_cp = _sensitivity_to_start(theta, zetas, params, n)
    _, k1, v = flow(theta[:m], zetas, params[0], n)
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
            return residual(theta, zetas, (cp, *params[1:]), n)

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
