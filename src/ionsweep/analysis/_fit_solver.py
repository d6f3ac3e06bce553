"""Batched solves of permeability-ratio fits: groups, padding, compiled solvers.

Groups and padding
    A fit is a batch of G independent least-squares problems ("groups": one per cell, or a
    single group for a pooled fit) of at most m rows each. Rows are gathered into arrays of
    shape (G, m, ...) with a boolean mask; padded rows copy a real row of their group (so
    every number stays finite) and get zero residual. G and m are rounded up to powers of
    two (multiples of 1024 beyond), and every small batch to one shape, :data:`SMALL`, so
    that fits of similar size share one compiled kernel.

Solve
    From a linear initial estimate (:func:`ionsweep.analysis._fit_model.initial`),
    ``optimistix.least_squares`` with exact forward-mode Jacobians (``jac="fwd"``),
    vmapped over groups and jitted together with the evaluation of the residuals and JᵀJ
    at the optimum, with a fixed ``max_steps`` so the batched loop is bounded. ``"auto"``
    runs Gauss–Newton (normal equations) on every group, then Levenberg–Marquardt, from the
    same start, on the groups where Gauss–Newton did not converge or ended above its start
    (rank-deficient or badly started problems).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep.analysis._fit_model import Model, initial, predict, residuals, spd_solve

__all__ = [
    "CONVERGED",
    "MAX_STEPS",
    "METHODS",
    "STATUS_TEXT",
    "build_groups",
    "padded_indices",
    "solve",
]

#: Solver choices of :func:`ionsweep.fit_permeability_ratios`.
METHODS = ("auto", "levenberg-marquardt", "gauss-newton")

#: Solver status codes returned per group.
CONVERGED, MAX_STEPS, FAILED = 0, 1, 2
STATUS_TEXT = {
    CONVERGED: "converged",
    MAX_STEPS: "maximum number of steps reached",
    FAILED: "solver failed (non-finite values or singular system)",
}


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


@functools.cache
def _small_cholesky():
    """A lineax solver for small positive-definite systems by :func:`spd_solve`; it
    reports a singular system when the solution is not finite."""
    import lineax as lx

    class SmallCholesky(lx.AbstractLinearSolver):
        def init(self, operator, options):
            return operator.as_matrix()

        def compute(self, state, vector, options):
            x = spd_solve(state, vector)
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
        solver: optx.AbstractLeastSquaresSolver = optx.GaussNewton(
            rtol, atol, linear_solver=lx.Normal(_small_cholesky())
        )
    else:
        solver = optx.LevenbergMarquardt(rtol, atol)

    def fn(theta, g):
        return residuals(theta, g, model)

    def cost(r):
        return jnp.where(jnp.all(jnp.isfinite(r)), r @ r, jnp.inf)

    def fit_one(theta0, g, start):
        # `start` is not batched, so this stays a real branch under vmap
        theta0 = jax.lax.cond(start, lambda: initial(g, model), lambda: theta0)
        sol: optx.Solution = optx.least_squares(
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


def solve(
    theta0, groups, model: Model, method: str, rtol: float, atol: float, max_steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
