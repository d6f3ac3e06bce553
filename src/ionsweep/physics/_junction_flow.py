r"""The stationary Nernst–Planck liquid junction as a linear transport system (internal).

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

This module integrates the linear system by Taylor steps of order :data:`TAYLOR_ORDER`
(step count from the batch's largest rate) and gives its residuals and their Jacobian;
:mod:`ionsweep.physics._junction_np` finds the unknowns (H_ζ, λ). The cost per junction is set
by the number of distinct valences, not the number of ions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

__all__ = [
    "MAX_STEPS",
    "MIN_STEPS",
    "STEP_RATE",
    "TAYLOR_ORDER",
    "flow",
    "jacobian",
    "rate",
    "residual",
    "steps_for",
]

#: Order of the Taylor steps of the linear transport system.
TAYLOR_ORDER = 16
#: Largest rate × step of a Taylor step: its local error is ≲ 1.5¹⁷/17! ≈ 3·10⁻¹²,
#: relative.
STEP_RATE = 1.5
#: Bounds of the number of Taylor steps.
MIN_STEPS, MAX_STEPS = 2, 256


def rate(h, zetas):
    """An estimate of the spread of growth rates of the transport system (per unit τ), per
    point: its modes grow or decay like e^(±ζVτ) and e^(Σζ²H·τ), and the non-normal
    coupling of the fluxes adds a little."""
    v = sum(zeta * hk for zeta, hk in zip(zetas, h, strict=True))
    big = max(zeta * zeta for zeta in zetas)
    eig = jnp.abs(sum(zeta * zeta * hk for zeta, hk in zip(zetas, h, strict=True)))
    mixing = 0.25 * big * sum(jnp.abs(hk) for hk in h)
    return 2 * (jnp.abs(v) * max(abs(zeta) for zeta in zetas) + eig + mixing)


def flow(h, zetas, c_p, n):
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


def residual(theta, zetas, params, n):
    """The m + 1 residuals: bath boundary per valence (+ ζλ) and zero current."""
    c_p, c_b, d_p, d_b = params
    m = len(zetas)
    c1, k1, v = flow(theta[:m], zetas, c_p, n)
    lam = theta[m]
    res = [c - cb + zeta * lam for c, cb, zeta in zip(c1, c_b, zetas, strict=True)]
    current = sum(
        zeta * (db - jnp.exp(-zeta * v) * dp) / k
        for zeta, db, dp, k in zip(zetas, d_b, d_p, k1, strict=True)
    )
    return res + [current]


def jacobian(theta, zetas, params, n):
    """(residuals, their Jacobian as rows of columns): forward mode in the H (one pass with
    the m tangents side by side), and the λ column (ζ in the boundary rows, 0 in the
    current row) as it stands."""
    m = len(zetas)
    eye = [[jnp.full_like(theta[0], float(i == j)) for i in range(len(theta))] for j in range(m)]
    basis = [jnp.stack([e[i] for e in eye]) for i in range(len(theta))]

    def along(tangent):
        return jax.jvp(lambda th: residual(th, zetas, params, n), (theta,), (tangent,))

    res, cols = jax.vmap(along, out_axes=(None, 0))(basis)
    zero = jnp.zeros_like(theta[0])
    rows = [[cols[i][j] for j in range(m)] + [zero + zeta] for i, zeta in enumerate(zetas)]
    return res, rows + [[cols[m][j] for j in range(m)] + [zero]]


def steps_for(theta, zetas, active):
    """Taylor steps for the worst active point of the batch."""
    rates = jnp.where(active, rate(theta[: len(zetas)], zetas), 0)
    worst = jnp.max(jnp.where(jnp.isfinite(rates), rates, 0))
    n = jnp.clip(jnp.ceil(worst / STEP_RATE), MIN_STEPS, MAX_STEPS).astype(jnp.int32)
    return lax.stop_gradient(n)
