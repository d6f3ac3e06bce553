"""The model of a permeability-ratio fit: parameters, GHK potentials, initial estimate.

Parameters
    The parameters of a group are θ = (ln(P_j/P_ref) for the fitted ions j ≠ ref, and the
    offset in mV if fitted). For valences |z| ≤ 2 the GHK reversal potential is the
    positive root x = exp(−FV/RT) of A x² − B x − C = 0 (see :func:`ionsweep.ghk_voltage`)
    whose coefficients are linear in P; their per-row factors are computed once
    (:func:`row_factors`), so a model evaluation is a few dot products, a square root and a
    log per row (two logs for monovalent ions only: the Goldman equation). With an ion of
    |z| ≥ 3 the model calls :func:`ionsweep.ghk_voltage` (implicit-gradient root solve).

Every function here works on one group (one least-squares problem, rows padded to m with
a boolean ``mask``); the solver (:mod:`ionsweep.analysis._fit_solver`) vmaps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics import ghk_voltage

__all__ = ["Model", "initial", "predict", "residuals", "row_factors", "spd_solve"]


@dataclass(frozen=True)
class Model:
    """Static description of the fitted model (hashable: it keys the compiled kernels)."""

    z: tuple[int, ...]  # valences of the k ions
    fit_idx: tuple[int, ...]  # positions of the ions whose ratio is fitted
    offset: bool  # whether a junction-potential offset (mV) is fitted

    @property
    def k(self) -> int:
        return len(self.z)

    @property
    def n_params(self) -> int:
        return len(self.fit_idx) + int(self.offset)

    @property
    def general(self) -> bool:
        """Whether an ion with |z| ≥ 3 needs the general (root-solving) GHK voltage."""
        return any(abs(z) > 2 for z in self.z)


def row_factors(a_in: np.ndarray, a_out: np.ndarray, z: np.ndarray, T: np.ndarray) -> dict:
    """Per-row arrays of the model: A = Qw·P, C = Cw·P, B = Bm·P (only with a divalent
    ion), kT = RT/F in mV, and the activities (and T, with |z| ≥ 3) for the rest."""
    cation = z > 0
    p = np.where(cation, a_in, a_out)  # carries outward current
    q = np.where(cation, a_out, a_in)  # carries inward current
    mono = np.abs(z) == 1
    w = np.where(mono, 1.0, z.astype(float) ** 2)
    rows = {"Qw": w * q, "Cw": w * p, "a_in": a_in, "a_out": a_out, "kT": R_OVER_F_MV * T}
    if not mono.all():
        rows["Bm"] = np.where(mono, p - q, 0.0)
    if np.any(np.abs(z) > 2):
        rows["T"] = T
    return rows


def _ghk(P, g, model: Model):
    if model.general:
        return ghk_voltage(P, g["a_in"], g["a_out"], jnp.asarray(model.z, P.dtype), g["T"])
    A, C = g["Qw"] @ P, g["Cw"] @ P
    if all(abs(z) == 1 for z in model.z):  # Goldman: B = C − A, x = C/A
        return g["kT"] * (jnp.log(A) - jnp.log(C))
    B = g["Bm"] @ P
    root = jnp.sqrt(B * B + 4 * A * C)
    x = jnp.where(B >= 0, (B + root) / (2 * A), 2 * C / (root - B))
    return -g["kT"] * jnp.log(x)


def predict(theta, g, model: Model):
    """Model reversal potentials (m,) in mV of one group for parameters ``theta`` (p,)."""
    q = len(model.fit_idx)
    idx = jnp.asarray(model.fit_idx, dtype=jnp.int32)
    P = jnp.ones(model.k, theta.dtype).at[idx].set(jnp.exp(theta[:q]))
    V = _ghk(P, g, model)
    return V + theta[q] if model.offset else V


def residuals(theta, g, model: Model):
    """Weighted residuals (model − measured)/sd of one group, 0 on padded rows."""
    r = (predict(theta, g, model) - g["V"]) * g["w"]
    return jnp.where(g["mask"], r, jnp.zeros_like(r))


def _unit_currents(g, model: Model, V):
    """(m, k) GHK current of each ion per unit permeability at V, up to a constant factor:
    z·B(u)·(c_in·eᵘ − c_out) with u = zFV/RT and B(u) = u/(eᵘ − 1) (1 − u/2 near 0).
    The same as ``ionsweep.ghk_current`` / (P·1e-3·F), with fewer operations."""
    z = jnp.asarray(model.z, V.dtype)
    u = z * (V / g["kT"])[:, None]
    small = jnp.abs(u) < 1e-6
    safe = jnp.where(small, 1.0, u)
    B = jnp.where(small, 1.0 - u / 2, safe / jnp.expm1(safe))
    return z * B * (g["a_in"] * jnp.exp(u) - g["a_out"])


def spd_solve(H, b):
    """Solve H x = b for a small symmetric positive-definite H by an unrolled Cholesky
    factorization (elementwise operations, which XLA fuses across a vmapped batch);
    non-finite where H is not positive definite."""
    q = H.shape[-1]
    if q > 6:
        return jnp.linalg.solve(H, b)
    L: list[list[Any]] = [[None] * q for _ in range(q)]
    for i in range(q):
        for j in range(i + 1):
            s = H[i, j] - sum((L[i][k] * L[j][k] for k in range(j)), 0.0)
            L[i][j] = jnp.sqrt(s) if i == j else s / L[j][j]
    y: list = []
    for i in range(q):
        y.append((b[i] - sum((L[i][k] * y[k] for k in range(i)), 0.0)) / L[i][i])
    x: list = [None] * q
    for i in reversed(range(q)):
        x[i] = (y[i] - sum((L[k][i] * x[k] for k in range(i + 1, q)), 0.0)) / L[i][i]
    return jnp.stack(x)


def _linear_ratios(g, model: Model, V, rounds: int = 3):
    """Log ratios (q,) of one group with Σ P_i f_i(V) ≈ 0 on every row (see :func:`initial`)."""
    f, slope = jax.jvp(lambda v: _unit_currents(g, model, v), (V,), (jnp.ones_like(V),))
    ok = g["mask"] & jnp.all(jnp.isfinite(f) & jnp.isfinite(slope), axis=-1)
    f = jnp.where(ok[:, None], f, 0.0)
    slope = jnp.where(ok[:, None], slope, 0.0)
    fit = list(model.fit_idx)
    ref = next(i for i in range(model.k) if i not in fit)
    idx = jnp.asarray(fit, dtype=jnp.int32)
    eye = jnp.eye(len(fit), dtype=V.dtype)
    P = jnp.ones(model.k, V.dtype)
    for _ in range(rounds):
        G = slope @ P  # a row's current error / G ≈ its error in V
        w = jnp.where(ok & (G > 0), 1.0 / jnp.where(G > 0, G, 1.0), 0.0)
        A, b = f[:, fit] * w[:, None], -f[:, ref] * w
        H = A.T @ A
        p = spd_solve(H + 1e-12 * (jnp.trace(H) + 1e-300) * eye, A.T @ b)
        p = jnp.where(jnp.isfinite(p) & (p > 0), p, 0.01)
        P = P.at[idx].set(jnp.clip(p, 1e-4, 1e4))
    return jnp.log(P[idx])


def initial(g, model: Model):
    """Starting parameters (p,) of one group from the zero-current condition, linear in P.

    At the measured V each ion's GHK current per unit permeability, f_i, is known and
    Σ P_i f_i = 0 on every row: with P_ref = 1 this is a linear least-squares problem for
    the other P_i. Its rows are weighted by 1/Σ P_i g_i (g_i = df_i/dV, the slope
    conductances), so that a row's error approximates an error in V; three rounds update
    the weights with the estimate. Exact for noise-free data; non-positive or non-finite
    values start at 0.01, and starts are kept within 1e-4 … 1e4. With an offset, the
    ratios are estimated from V − o for o on a grid (±40 mV in steps of 2.5 mV), and the
    o whose ratios fit best (least squares) starts the fit.
    """
    V = g["V"]
    if not model.offset:
        return _linear_ratios(g, model, V)
    plain = Model(model.z, model.fit_idx, False)

    def fit_at(o):
        theta = _linear_ratios(g, model, V - o)
        dev = jnp.where(g["mask"], V - o - predict(theta, g, plain), 0.0)
        cost = jnp.where(jnp.all(jnp.isfinite(dev)), dev @ dev, jnp.inf)
        return cost, theta

    grid = jnp.arange(-40.0, 40.1, 2.5, dtype=V.dtype)
    cost, theta = jax.vmap(fit_at)(grid)
    i = jnp.argmin(cost)
    return jnp.concatenate([theta[i], grid[i][None]])
