"""Statistics of a permeability-ratio fit at its optimum, and the residual bootstrap."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionsweep.analysis._fit_errors import FitInputError, FitWarning
from ionsweep.analysis._fit_solver import CONVERGED, padded_indices, solve

__all__ = [
    "MAX_BOOTSTRAP",
    "MAX_SEED",
    "MIN_BOOTSTRAP",
    "Statistics",
    "bootstrap_fits",
    "check_bootstrap",
    "bootstrap_summary",
    "condition_number",
    "statistics",
    "unbounded",
]


@dataclass(frozen=True)
class Statistics:
    """Per-group statistics at the optimum (arrays with a leading group axis)."""

    rss: np.ndarray  # Σ r² (weighted residuals)
    n: np.ndarray  # measurements
    dof: np.ndarray  # n − rank(J)
    sigma2: np.ndarray  # residual variance factor of the covariance (1 when weighted)
    covariance: np.ndarray  # (G, p, p), NaN rows/columns for unidentifiable parameters
    stderr: np.ndarray  # (G, p)
    correlation: np.ndarray  # (G, p, p)
    identifiable: np.ndarray  # (G, p) bool
    confounded: np.ndarray  # (G, p, p) bool: parameters sharing a null direction


#: |ln(ratio)| beyond which an estimate has run off to 0 or infinity (ratio outside
#: 1e-22 … 1e22): the data do not bound it, whatever the rank test says.
MAX_LOG_RATIO = 50.0


def unbounded(st: Statistics, theta: np.ndarray, n_ratios: int, ref_absent: np.ndarray):
    """``st`` with estimates the data cannot bound marked unidentifiable (NaN).

    Every ratio of a group whose reference ion is absent everywhere (only ratios among the
    other ions are then defined), and every log ratio beyond :data:`MAX_LOG_RATIO`.
    """
    runaway = np.zeros_like(st.identifiable)
    runaway[:, :n_ratios] = np.abs(theta[:, :n_ratios]) > MAX_LOG_RATIO
    runaway[:, :n_ratios] |= ref_absent[:, None]
    if not runaway.any():
        return st
    bad = runaway | ~st.identifiable
    nan2 = bad[:, :, None] | bad[:, None, :]
    return Statistics(
        st.rss,
        st.n,
        st.dof,
        st.sigma2,
        np.where(nan2, np.nan, st.covariance),
        np.where(bad, np.nan, st.stderr),
        np.where(nan2, np.nan, st.correlation),
        ~bad,
        st.confounded,
    )


def condition_number(H: np.ndarray, identifiable: np.ndarray) -> np.ndarray:
    """Condition number of J (√ of JᵀJ's) over the identifiable parameters, per group."""
    out = np.ones(H.shape[0])
    for g in range(H.shape[0]):
        keep = np.flatnonzero(identifiable[g])
        if keep.size > 1 and np.all(np.isfinite(H[g])):
            lam = np.linalg.eigvalsh(H[g][np.ix_(keep, keep)])
            out[g] = np.sqrt(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
    return out


def statistics(r, H, mask, weighted: bool, rcond: float) -> Statistics:
    """Covariance (JᵀJ)⁻¹σ² with rank-deficient directions removed.

    From the eigen-decomposition of ``H`` = JᵀJ (eigenvalues s² for the singular values s
    of J; shape (G, p, p)):
    an eigenvalue below ``rcond²`` times the largest marks a direction of parameter space
    the data do not constrain; every parameter with a component above 1e-3 along such a
    direction is unidentifiable (NaN standard error, correlation and covariance).
    """
    n = mask.sum(axis=1)
    rss = np.sum(r * r, axis=1)
    finite = np.all(np.isfinite(H), axis=(1, 2)) & np.isfinite(rss)
    H = np.where(finite[:, None, None], H, 0.0)
    lam, vec = np.linalg.eigh(H)  # ascending eigenvalues
    null = lam <= rcond**2 * lam[:, -1:]
    dof = n - np.sum(~null, axis=1)  # n − rank(J)
    weight = null[:, None, :] * vec
    share = np.einsum("gji,gki->gjk", weight, weight)  # projector onto the null space
    involved = np.abs(np.diagonal(share, axis1=1, axis2=2)) > 1e-6
    identifiable = finite[:, None] & ~involved
    confounded = involved[:, :, None] & involved[:, None, :] & (np.abs(share) > 1e-6)
    inv = np.where(null, 0.0, 1.0 / np.where(null, 1.0, lam))
    cov0 = np.einsum("gji,gi,gki->gjk", vec, inv, vec)
    if weighted:
        sigma2 = np.ones_like(rss)
    else:
        sigma2 = np.where(dof > 0, rss / np.maximum(dof, 1), np.nan)
    cov = cov0 * sigma2[:, None, None]
    bad = ~identifiable
    cov = np.where(bad[:, :, None] | bad[:, None, :], np.nan, cov)
    stderr = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2), 0.0))  # NaN stays NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / (stderr[:, :, None] * stderr[:, None, :])
    return Statistics(rss, n, dof, sigma2, cov, stderr, corr, identifiable, confounded)


#: Most residual-bootstrap resamples of one fit: each is a refit, and their parameters are
#: held in memory (resamples × fits × parameters float64).
MAX_BOOTSTRAP = 100_000
#: Fewest resamples that give a standard error (a sample standard deviation needs two).
MIN_BOOTSTRAP = 2
#: Below this many resamples the bootstrap errors are rough, and a :class:`FitWarning`
#: says so (the 2.5–97.5 % interval is then set by the extreme resamples).
FEW_BOOTSTRAP = 20
#: Largest bootstrap seed (a signed 64-bit integer, as JSON and other tools store it).
MAX_SEED = 2**63 - 1


def check_bootstrap(bootstrap, seed) -> None:
    """Refuse a resample count outside 0 (none) or :data:`MIN_BOOTSTRAP` …
    :data:`MAX_BOOTSTRAP`, or a seed outside 0 … :data:`MAX_SEED` (:class:`FitInputError`);
    warn below :data:`FEW_BOOTSTRAP` resamples."""
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise FitInputError("bootstrap", f"bootstrap must be an integer >= 0; got {bootstrap!r}")
    if 0 < bootstrap < MIN_BOOTSTRAP or bootstrap > MAX_BOOTSTRAP:
        raise FitInputError(
            "bootstrap",
            f"bootstrap takes 0 (none) or {MIN_BOOTSTRAP} to {MAX_BOOTSTRAP:,} resamples (a "
            f"standard error needs two; each is a refit); got {bootstrap:,}",
        )
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_SEED
    ):
        raise FitInputError("seed", f"seed must be an integer from 0 to 2**63 - 1; got {seed!r}")
    if 0 < bootstrap < FEW_BOOTSTRAP:
        warnings.warn(
            f"bootstrap errors from {bootstrap} resamples are rough; ask for at least "
            f"{FEW_BOOTSTRAP} (a few hundred for the 95 % interval)",
            FitWarning,
            stacklevel=3,  # user -> fit_permeability_ratios -> here
        )


def bootstrap_fits(theta, groups, fitted, r, model, settings, n_resamples, seed, n_groups):
    """Residual bootstrap: refit every group to fitted + resampled residuals.

    Residuals (weighted) of each group are resampled with replacement among its own rows,
    inflated by √(n/(n−p)), and added back to the fitted potentials (in mV, through the
    row's sd when weighted); the design (concentrations, T) stays fixed. All resamples of
    all groups are fitted in batched calls, from the original estimates. Returns the
    parameters (n_resamples, G, p), NaN where a refit did not converge.
    """
    rng = np.random.default_rng(seed)
    real = {key: v[:n_groups] for key, v in groups.items()}
    mask, w = real["mask"], real["w"]
    n = mask.sum(axis=1)
    p = theta.shape[-1]
    inflate = np.sqrt(n / np.maximum(n - p, 1))
    rows = mask.shape[1]
    chunk = max(1, 2_000_000 // max(n_groups * rows, 1))
    out = np.full((n_resamples, n_groups, p), np.nan)
    for b0 in range(0, n_resamples, chunk):
        b = min(b0 + chunk, n_resamples) - b0
        pick = np.floor(rng.random((b, n_groups, rows)) * n[None, :, None]).astype(int)
        r_star = np.take_along_axis(np.broadcast_to(r, pick.shape), pick, axis=2)
        V_star = fitted - r_star * inflate[None, :, None] / w[None]
        idx = padded_indices(np.arange(b * n_groups), rows)
        big = {key: np.concatenate([v] * b)[idx] for key, v in real.items() if key != "V"}
        big["V"] = V_star.reshape(b * n_groups, rows)[idx]
        t, code, *_ = solve(np.tile(theta, (b, 1))[idx], big, model, *settings)
        t = np.where((code == CONVERGED)[:, None], t, np.nan)[: b * n_groups]
        out[b0 : b0 + b] = t.reshape(b, n_groups, p)
    return out


def bootstrap_summary(samples, ions, fit_idx, ident, offset, per, seed) -> dict[str, Any]:
    """Bootstrap standard errors and 2.5–97.5 percentile intervals of the ratios (and the
    offset) from the refitted parameters ``samples`` (n_resamples, G, p); NaN for
    unidentifiable parameters; ``per`` turns per-group arrays into the result's values."""
    n_failed = int(np.sum(~np.all(np.isfinite(samples) | ~ident[None], axis=2)))
    samples = np.where(ident[None], samples, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        sd = np.nanstd(samples, axis=0, ddof=1)
        lo, hi = np.nanpercentile(samples, [2.5, 97.5], axis=0)
        ratio = np.exp(samples[..., : len(fit_idx)])
        rsd = np.nanstd(ratio, axis=0, ddof=1)
    out: dict[str, Any] = {
        "n_resamples": samples.shape[0],
        "seed": seed,
        "n_failed": n_failed,
        "stderr": {ions[i]: per(rsd[:, j]) for j, i in enumerate(fit_idx)},
        "ci95": {
            ions[i]: (per(np.exp(lo[:, j])), per(np.exp(hi[:, j]))) for j, i in enumerate(fit_idx)
        },
    }
    if offset:
        out["offset_stderr"] = per(sd[:, -1])
        out["offset_ci95"] = (per(lo[:, -1]), per(hi[:, -1]))
    return out
