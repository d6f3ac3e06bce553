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

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ionsweep.physics._junction_linalg import solve as linsolve

__all__ = ["nernst_planck"]

#: Order of the Taylor steps of the linear transport system.
TAYLOR_ORDER = 8
#: Largest rate × step of a Taylor step: its local error is ≲ 0.5⁹/9! ≈ 5·10⁻⁹.
STEP_RATE = 0.5
#: Bounds of the number of Taylor steps.
MIN_STEPS, MAX_STEPS = 2, 512
#: Newton iterations at most; points not converged by then are NaN.
MAX_NEWTON = 40


def _flow(theta, zetas, c_p):
    """(C(1), K(1)) of the linear transport system, per valence, for unknowns ``theta``."""
    m = len(zetas)
    h = theta[:m]
    v = sum(zeta * hk for zeta, hk in zip(zetas, h, strict=True))
    z2 = [zeta * zeta for zeta in zetas]
    zv = [zeta * v for zeta in zetas]
    rate = jnp.abs(v) * max(abs(zeta) for zeta in zetas)
    rate = rate + sum(q * (1 + jnp.abs(hk)) for q, hk in zip(z2, h, strict=True))
    worst = jnp.max(jnp.where(jnp.isfinite(rate), rate, 0))
    n = jnp.clip(jnp.ceil(worst / STEP_RATE), MIN_STEPS, MAX_STEPS).astype(jnp.int32)
    n = lax.stop_gradient(n)
    dt = 1 / n.astype(v.dtype)

    def deriv(y):
        c, k = y[:m], y[m:]
        w = sum(q * ci for q, ci in zip(z2, c, strict=True))
        dc = [hk * w - a * ci for hk, a, ci in zip(h, zv, c, strict=True)]
        dk = [w - a * ki for a, ki in zip(zv, k, strict=True)]
        return dc + dk

    def step(_, y):
        term, acc = y, y
        for j in range(1, TAYLOR_ORDER + 1):
            term = [dt / j * t for t in deriv(term)]
            acc = [a + t for a, t in zip(acc, term, strict=True)]
        return acc

    y0 = list(c_p) + [jnp.zeros_like(v)] * m
    y = lax.fori_loop(0, n, step, y0)
    return y[:m], y[m:], v


def _residual(theta, zetas, params):
    """The m + 1 residuals: bath boundary per valence (+ ζλ) and zero current."""
    c_p, c_b, d_p, d_b = params
    m = len(zetas)
    c1, k1, v = _flow(theta, zetas, c_p)
    lam = theta[m]
    res = [c - cb + zeta * lam for c, cb, zeta in zip(c1, c_b, zetas, strict=True)]
    current = sum(
        zeta * (db - jnp.exp(-zeta * v) * dp) / k
        for zeta, db, dp, k in zip(zetas, d_b, d_p, k1, strict=True)
    )
    return res + [current]


def _jacobian(theta, zetas, params):
    """(residuals, their Jacobian as rows of columns) by forward mode, one pass per unknown."""
    k = len(theta)
    cols = []
    res = None
    for j in range(k):
        tangent = [jnp.ones_like(t) if i == j else jnp.zeros_like(t) for i, t in enumerate(theta)]
        res, col = jax.jvp(lambda th: _residual(th, zetas, params), (theta,), (tangent,))
        cols.append(col)
    return res, [[cols[j][i] for j in range(k)] for i in range(k)]


def _newton(theta0, zetas, params, active):
    """Newton's method from ``theta0``; (theta, converged) per batch element."""
    tol = 1e3 * jnp.finfo(theta0[0].dtype).eps

    def cond(state):
        i, _, done = state
        return (i < MAX_NEWTON) & ~jnp.all(done)

    def body(state):
        i, theta, done = state
        res, jac = _jacobian(theta, zetas, params)
        step = linsolve(jac, [-r for r in res])
        size = sum(jnp.abs(s) for s in step)
        scale = 1 + sum(jnp.abs(t) for t in theta)
        ok = jnp.isfinite(size)
        new = [jnp.where(done | ~ok, t, t + s) for t, s in zip(theta, step, strict=True)]
        done = done | (ok & (size <= tol * scale)) | ~ok
        return i + 1, new, done

    state = (jnp.asarray(0), list(theta0), ~active)
    _, theta, _ = lax.while_loop(cond, body, state)
    res = _residual(theta, zetas, params)
    tol_res = 1e4 * jnp.finfo(theta0[0].dtype).eps
    converged = sum(jnp.abs(r) for r in res) <= tol_res * (1 + sum(jnp.abs(t) for t in theta))
    return theta, converged


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _solve(zetas, theta0, active, params):
    """(theta, converged): the root of the residuals, differentiable in ``params`` only."""
    return _newton(theta0, zetas, params, active)


@_solve.defjvp
def _solve_jvp(zetas, primals, tangents):
    theta0, active, params = primals
    dparams = tangents[2]
    theta, converged = _solve(zetas, theta0, active, params)
    _, jac = _jacobian(theta, zetas, params)
    _, dres = jax.jvp(lambda p: _residual(theta, zetas, p), (params,), (dparams,))
    dtheta = linsolve(jac, [-r for r in dres])
    dtheta = [jnp.where(converged, d, 0) for d in dtheta]
    return (theta, converged), (dtheta, np.zeros(converged.shape, dtype=jax.dtypes.float0))


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
