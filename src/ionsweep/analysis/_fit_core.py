"""Numerics of the permeability-ratio fit: the model, its initial estimate, batched solves.

Groups and padding
    A fit is a batch of G independent least-squares problems ("groups": one per cell, or a
    single group for a pooled fit) of at most m rows each. Rows are gathered into arrays of
    shape (G, m, ...) with a boolean mask; padded rows copy a real row of their group (so
    every number stays finite) and get zero residual. G and m are rounded up to powers of
    two (multiples of 1024 beyond), and every small batch to one shape, :data:`SMALL`, so
    that fits of similar size share one compiled kernel.

Model
    The parameters of a group are θ = (ln(P_j/P_ref) for the fitted ions j ≠ ref, and the
    offset in mV if fitted). For valences |z| ≤ 2 the GHK reversal potential is the
    positive root x = exp(−FV/RT) of A x² − B x − C = 0 (see :func:`ionsweep.ghk_voltage`)
    whose coefficients are linear in P; their per-row factors are computed once, so a
    model evaluation is a few dot products, a square root and a log per row (two logs
    for monovalent ions only: the Goldman equation). With an ion of |z| ≥ 3 the model
    calls :func:`ionsweep.ghk_voltage` (implicit-gradient root solve).

Solve
    From a linear initial estimate (:func:`initial`), ``optimistix.least_squares`` with
    exact forward-mode Jacobians (``jac="fwd"``), vmapped over groups and jitted together
    with the evaluation of the residuals and JᵀJ at the optimum, with a fixed
    ``max_steps`` so the batched loop is bounded. ``"auto"`` runs Gauss–Newton (normal
    equations) on every group, then Levenberg–Marquardt, from the same start, on the
    groups where Gauss–Newton did not converge or ended above its start (rank-deficient
    or badly started problems).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics import ghk_voltage

__all__ = ["METHODS", "Model", "build_groups", "padded_indices", "row_factors", "solve"]

#: Solver choices of :func:`ionsweep.fit_permeability_ratios`.
METHODS = ("auto", "levenberg-marquardt", "gauss-newton")

#: Solver status codes returned per group.
CONVERGED, MAX_STEPS, FAILED = 0, 1, 2
STATUS_TEXT = {
    CONVERGED: "converged",
    MAX_STEPS: "maximum number of steps reached",
    FAILED: "solver failed (non-finite values or singular system)",
}


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


def _bucket(n: int) -> int:
    """``n`` rounded up to a power of two (up to 1024), else to a multiple of 1024."""
    return 1 << max(n - 1, 0).bit_length() if n <= 1024 else -(-n // 1024) * 1024


#: Every problem of at most this many groups × rows is padded to this one shape.
SMALL = (8, 64)


def padded_shape(n_groups: int, n_rows: int) -> tuple[int, int]:
    """Padded (G, m) of a batch: small batches share :data:`SMALL`, others use buckets."""
    G, m = _bucket(n_groups), _bucket(n_rows)
    return SMALL if G <= SMALL[0] and m <= SMALL[1] else (G, m)


def build_groups(rows: dict[str, np.ndarray], group_of_row: np.ndarray, n_groups: int):
    """Gather per-row arrays (leading axis n) into padded (G, m, ...) group arrays.

    Returns the dict of NumPy arrays (with ``"mask"``) and the (G, m) row-index table
    (real groups first, real rows first in each group; padding repeats real rows).
    """
    order = np.argsort(group_of_row, kind="stable")
    counts = np.bincount(group_of_row, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(order)) - starts[group_of_row[order]]
    G, m = padded_shape(n_groups, int(counts.max()))
    index = np.empty((G, m), dtype=np.int64)
    mask = np.zeros((G, m), dtype=bool)
    index[:n_groups] = order[starts][:, None]  # pad with the group's first row
    index[group_of_row[order], pos] = order
    mask[group_of_row[order], pos] = True
    index[n_groups:], mask[n_groups:] = index[0], mask[0]  # padded groups copy group 0
    groups = {key: value[index] for key, value in rows.items()}
    groups["mask"] = mask
    return groups, index


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


def _spd_solve(H, b):
    """Solve H x = b for a small symmetric positive-definite H by an unrolled Cholesky
    factorization (elementwise operations, which XLA fuses across a vmapped batch);
    non-finite where H is not positive definite."""
    q = H.shape[-1]
    if q > 6:
        return jnp.linalg.solve(H, b)
    L = [[None] * q for _ in range(q)]
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
        p = _spd_solve(H + 1e-12 * (jnp.trace(H) + 1e-300) * eye, A.T @ b)
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


@functools.cache
def _small_cholesky():
    """A lineax solver for small positive-definite systems by :func:`_spd_solve`; it
    reports a singular system when the solution is not finite."""
    import lineax as lx

    class SmallCholesky(lx.AbstractLinearSolver):
        def init(self, operator, options):
            return operator.as_matrix()

        def compute(self, state, vector, options):
            x = _spd_solve(state, vector)
            ok = jnp.all(jnp.isfinite(x))
            return x, lx.RESULTS.where(ok, lx.RESULTS.successful, lx.RESULTS.singular), {}

        def transpose(self, state, options):
            return state.T, options

        def conj(self, state, options):
            return state, options

        def assume_full_rank(self):
            return True

    return SmallCholesky()


@functools.lru_cache(maxsize=64)
def _solver(model: Model, method: str, rtol: float, atol: float, max_steps: int):
    """Jitted, vmapped fit of every group ``(θ0, groups, start)``, from :func:`initial` if
    the scalar ``start`` is true, else from the given θ0: returns θ0, θ, status, steps,
    costs at θ0 and θ, and the residuals, JᵀJ and model potentials at θ."""
    import lineax as lx  # imported here: `import ionsweep` stays light
    import optimistix as optx

    if method == "gauss-newton":
        # Normal equations JᵀJ δ = Jᵀr with an unrolled Cholesky: fastest for these small
        # p; a singular JᵀJ fails the step, and "auto" hands the fit to Levenberg–Marquardt.
        solver = optx.GaussNewton(rtol, atol, linear_solver=lx.Normal(_small_cholesky()))
    else:
        solver = optx.LevenbergMarquardt(rtol, atol)

    def fn(theta, g):
        return residuals(theta, g, model)

    def cost(r):
        return jnp.where(jnp.all(jnp.isfinite(r)), r @ r, jnp.inf)

    def fit_one(theta0, g, start):
        # `start` is not batched, so this stays a real branch under vmap
        theta0 = jax.lax.cond(start, lambda: initial(g, model), lambda: theta0)
        sol = optx.least_squares(
            fn, solver, theta0, g, options={"jac": "fwd"}, max_steps=max_steps, throw=False
        )
        ok = sol.result == optx.RESULTS.successful
        maxed = sol.result == optx.RESULTS.nonlinear_max_steps_reached
        code = jnp.where(ok, CONVERGED, jnp.where(maxed, MAX_STEPS, FAILED))
        theta = sol.value
        r = fn(theta, g)
        J = jax.jacfwd(fn)(theta, g)
        return (
            theta0,
            theta,
            code,
            sol.stats["num_steps"],
            cost(fn(theta0, g)),
            cost(r),
            r,
            J.T @ J,
            predict(theta, g, model),
        )

    return jax.jit(jax.vmap(fit_one, in_axes=(0, 0, None)))


def padded_indices(idx: np.ndarray, n_rows: int) -> np.ndarray:
    """``idx`` padded (repeating its first entry) to the group count of its shape."""
    G, _ = padded_shape(len(idx), n_rows)
    return np.concatenate([idx, np.full(G - len(idx), idx[0])])


def solve(theta0, groups, model: Model, method: str, rtol: float, atol: float, max_steps: int):
    """Fit every group, from ``theta0`` (G, p) or, if it is None, from :func:`initial`.

    Returns NumPy arrays: θ (G, p), status codes (G,), steps (G,), and at θ the weighted
    residuals (G, m), JᵀJ (G, p, p) of the Jacobians J and model potentials (G, m).
    """
    dtype = jnp.result_type(float)
    g = {key: jnp.asarray(v, dtype if v.dtype.kind == "f" else None) for key, v in groups.items()}
    start = theta0 is None
    if start:
        theta0 = np.zeros((groups["mask"].shape[0], model.n_params))
    first = "gauss-newton" if method == "auto" else method
    kernel = _solver(model, first, rtol, atol, max_steps)
    out = [np.array(a) for a in kernel(jnp.asarray(theta0, dtype), g, start)]
    theta0, theta, code, steps, c0, c1 = out[:6]
    # a fit that failed, or ended above its start (beyond roundoff at an exact start)
    worse = ~(c1 <= c0 * (1 + 1e-6) + 1e-12)
    retry = (code != CONVERGED) | ~np.all(np.isfinite(theta), axis=-1) | worse
    if method == "auto" and retry.any():
        idx = np.flatnonzero(retry)
        pidx = padded_indices(idx, groups["mask"].shape[1])
        lm = _solver(model, "levenberg-marquardt", rtol, atol, max_steps)
        again = lm(jnp.asarray(theta0[pidx], dtype), {key: v[pidx] for key, v in g.items()}, False)
        for a, b in zip(out, again, strict=True):
            a[idx] = np.asarray(b)[: len(idx)]
        out[3][idx] += steps[idx]
    _, theta, code, steps, _, _, r, H, V = out
    return theta, code, steps, r.astype(float), H.astype(float), V.astype(float)
