"""Fitting permeability ratios to measured reversal potentials with the GHK voltage equation.

Input problems raise :class:`~ionsweep.analysis.FitInputError` (a ValueError) naming the
argument or column: a missing column, a NaN or empty value, a negative concentration
(zero is fine: an ion absent on one side, as in bi-ionic recordings), a row where no
fitted ion can carry outward or inward current, fewer measurements than parameters
(overall, or in a cell of a per-cell fit), an unknown ion, reference, method or activity
model; with ``junction=``, a pipette or bath that is not electroneutral (naming the rows),
an ``<ion>_in`` column that disagrees with a given pipette, or a row without a finite
junction potential (field ``"junction"``). Numerical problems found by the fit — an
unidentifiable parameter, a solve that did not converge, no residual degrees of freedom —
give a :class:`FitWarning` and NaN where a number would be a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from ionsweep.analysis import _fit_stats as stats
from ionsweep.analysis._fit_activity import activities
from ionsweep.analysis._fit_data import Measurements, read_measurements
from ionsweep.analysis._fit_errors import FitInputError, FitWarning, _listed
from ionsweep.analysis._fit_junction import JUNCTION_METHODS, junction_pipette, row_junctions
from ionsweep.analysis._fit_model import Model, row_factors
from ionsweep.analysis._fit_report import bounded, report
from ionsweep.analysis._fit_result import PermeabilityFit
from ionsweep.analysis._fit_solver import CONVERGED, METHODS, STATUS_TEXT, build_groups, solve

__all__ = ["FitWarning", "fit_permeability_ratios"]


def fit_permeability_ratios(
    data: Any,
    ions: Sequence[str],
    reference: str = "K+",
    T: Any = None,
    *,
    activity_model: str | None = None,
    parameters: Any = None,
    background_ions: Sequence[str] = (),
    junction: bool | Mapping[str, float] | None = None,
    junction_method: str = "nernst-planck",
    fit_offset: bool = False,
    per_cell: bool = False,
    method: str = "auto",
    bootstrap: int = 0,
    seed: int = 0,
    max_steps: int = 256,
    rtol: float | None = None,
    atol: float | None = None,
    rcond: float | None = None,
) -> PermeabilityFit:
    r"""Fit permeability ratios P_ion/P_reference to measured reversal potentials.

    Each measurement is modelled by the GHK zero-current potential of the fitted ions
    (any mix of valences), optionally from activities, plus an optional offset. The
    parameters are ln(P_ion/P_reference), so ratios stay positive without bounds; the
    weighted least-squares problem is solved by Gauss–Newton / Levenberg–Marquardt
    (optimistix) with exact forward-mode Jacobians from JAX. With ``per_cell`` every cell
    is fitted on its own in one batched (vmapped) call; otherwise one pooled fit shares
    the ratios among all rows.

    Standard errors come from the covariance (JᵀJ)⁻¹σ² at the optimum, with σ² the
    residual variance (RSS/(n − rank J)), or σ² = 1 when the table gives ``V_rev_sd`` (the
    residuals are then divided by it). Parameters along directions that the data do not
    constrain (singular values of J below ``rcond`` times the largest — e.g. an ion that
    is absent on both sides in every measurement, or two ions whose concentrations always
    change together) get a :class:`FitWarning` naming them and NaN ratio and error.

    Parameters
    ----------
    data : str, path, pandas.DataFrame, xarray.Dataset or mapping
        The measurement table, one row per reversal potential, with columns
        ``<ion>_in`` and ``<ion>_out`` (mM) for every ion in ``ions`` and
        ``background_ions``, ``V_rev`` (mV) and optionally ``V_rev_sd`` (mV, > 0),
        ``celsius`` (°C) and ``cell`` (recording id). Other columns are ignored.
    ions : sequence of str or str
        The permeant ions (names or aliases; a comma-separated string works too).
    reference : str, optional
        The ion the ratios are relative to (``"K+"``); it must be among ``ions``.
    T : float or array_like, optional
        Temperature, K (one value, or one per row). Needed when the table has no
        ``celsius`` column; if it has one, T may be given only if it agrees with it.
    activity_model : str, optional
        Activity-coefficient model (any name of
        :func:`ionsweep.activity.registered_models`, e.g. ``"davies"``, ``"pitzer"``); the
        GHK equation then uses activities γ·c, each side's γ from its composition (the
        fitted and background ions, molality ≈ mM/ρ_w(T)). None uses concentrations.
    parameters : str or PitzerParameters, optional
        Pitzer parameter set (``"phreeqc"`` default, ``"hmw84"``, or one read with
        :func:`ionsweep.activity.read_phreeqc_pitzer`); Pitzer models only.
    background_ions : sequence of str, optional
        Impermeant ions whose columns enter the ionic strength of an activity-corrected
        fit (a :class:`FitWarning` says when a side is not electroneutral without them).
    junction : bool or mapping, optional
        Correct each measurement for the liquid junction potential (LJP) between the
        pipette and the bath (:func:`ionsweep.liquid_junction_potential`; the pipette
        solution is the inside, as in whole-cell and outside-out recordings): the model
        then fits V_rev − LJP, the membrane potential, row by row. ``True``: each row's
        pipette is its inside (the ``<ion>_in`` columns) and its bath the outside (the
        ``<ion>_out`` columns), of the fitted and background ions. A mapping of ion names
        to mM: one pipette solution for every row (the ``<ion>_in`` columns are then
        optional and must agree with it), the bath from the ``<ion>_out`` columns; ions
        of the pipette without a column are absent from the bath. Every side must be
        electroneutral (list the impermeant ions, such as gluconate⁻ or HEPES⁻, in
        ``background_ions``). The LJP is computed from concentrations (ideal), as
        published LJP tables are; :attr:`PermeabilityFit.ljp` holds it per row.
    junction_method : {"nernst-planck", "henderson"}, optional
        How the LJP is computed (see :func:`ionsweep.liquid_junction_potential`).
    fit_offset : bool, optional
        Also fit an offset (mV) added to every modelled potential (an electrode offset,
        or a liquid junction potential that is the same in every row), shared by all rows
        of a fit.
    per_cell : bool, optional
        Fit each cell (``cell`` column) separately, all in one batched call.
    method : {"auto", "levenberg-marquardt", "gauss-newton"}, optional
        ``"auto"``: Gauss–Newton, then Levenberg–Marquardt for the fits where it failed.
    bootstrap : int, optional
        Number of residual-bootstrap resamples: 0 (none), or 2 to 100,000; their fits are
        batched too. Below 20 a :class:`FitWarning` says the errors are rough.
    seed : int, optional
        Seed of the bootstrap resampling, 0 to 2**63 - 1.
    max_steps : int, optional
        Maximum solver steps per fit.
    rtol, atol : float, optional
        Solver tolerances (default 1e-8 in float64, 1e-5 in float32).
    rcond : float, optional
        Relative singular-value cutoff of the rank test (default 10·√eps of the dtype:
        1.5e-7 in float64).

    Returns
    -------
    PermeabilityFit
        Ratios, standard errors, 95 % intervals, covariance, correlation, residuals,
        χ²/RMS, status, and bootstrap results on request; ``summary()`` prints them.

    Raises
    ------
    FitInputError
        Bad input (see the module docstring); its ``field`` names the argument or column.

    Notes
    -----
    Computations follow JAX's default dtype; enable float64
    (``jax.config.update("jax_enable_x64", True)``) for tight estimates and errors.

    Examples
    --------
    Squid axon at 6.3 °C, P_K : P_Na : P_Cl = 1 : 0.04 : 0.45 (Hodgkin & Katz 1949),
    recovered from noise-free potentials at four external K⁺ concentrations:

    >>> import numpy as np, ionsweep
    >>> K_out = np.array([10.0, 20.0, 50.0, 100.0])
    >>> table = {"K+_in": [400.0] * 4, "K+_out": K_out, "Na+_in": [50.0] * 4,
    ...          "Na+_out": 460.0 - K_out, "Cl-_in": [40.0] * 4, "Cl-_out": [560.0] * 4}
    >>> table["V_rev"] = ionsweep.ghk_voltage(
    ...     [1.0, 0.04, 0.45], np.stack([table[f"{i}_in"] for i in ("K+", "Na+", "Cl-")], -1),
    ...     np.stack([table[f"{i}_out"] for i in ("K+", "Na+", "Cl-")], -1), [1, 1, -1], 279.45)
    >>> fit = ionsweep.fit_permeability_ratios(table, ["K+", "Na+", "Cl-"], "K+", T=279.45)
    >>> {ion: round(float(r), 3) for ion, r in fit.ratios.items()}
    {'K+': 1.0, 'Na+': 0.04, 'Cl-': 0.45}
    """
    _check_settings(method, bootstrap, seed, max_steps, junction_method)
    pipette = junction_pipette(junction)
    meas, ref = read_measurements(data, ions, reference, T, background_ions, inside=pipette)
    problem = _problem(meas, ref, fit_offset, per_cell)
    ljp = row_junctions(meas, junction, pipette, junction_method)
    a_in, a_out = activities(meas, activity_model, parameters)
    V = meas.V if ljp is None else meas.V - ljp  # the membrane potential
    groups, index = _groups(problem, a_in, a_out, V)
    eps = float(jnp.finfo(jnp.result_type(float)).eps)
    tol = 1e-8 if eps < 1e-10 else 1e-5
    settings = (method, rtol or tol, atol or tol, int(max_steps))
    sol = _Solution(*solve(None, groups, problem.model, *settings), groups["mask"], groups["V"])
    sol = sol.first(problem.n_groups)
    weighted = meas.sd is not None
    st = stats.statistics(sol.r, sol.H, sol.mask, weighted, rcond or 10 * eps**0.5)
    st = bounded(st, sol.theta, sol.H, meas, ref, problem.gid, problem.n_groups)
    cells = problem.cells if per_cell else None
    report(meas, ref, problem.gid, problem.names, cells, st, sol.code, max_steps, weighted)
    boot = None
    if bootstrap:
        samples = stats.bootstrap_fits(
            sol.theta, groups, sol.V, sol.r, problem.model, settings, bootstrap, seed,
            problem.n_groups,
        )  # fmt: skip
        ident = st.identifiable
        boot = stats.bootstrap_summary(
            samples, meas.ions, problem.model.fit_idx, ident, problem.model.offset, problem.per,
            seed,
        )  # fmt: skip
    fitted = np.empty(meas.n)
    fitted[index[: problem.n_groups][sol.mask]] = sol.V[sol.mask]
    if ljp is not None:
        fitted += ljp  # the recorded potential the model predicts
    return _result(problem, sol, st, fitted, ljp, boot, activity_model, method, junction_method)


@dataclass(frozen=True)
class _Problem:
    """What is fitted: the table, the model, its parameter names and the groups of rows."""

    meas: Measurements
    ref: int
    model: Model
    names: tuple[str, ...]
    cells: tuple[str, ...] | None
    gid: np.ndarray  # (n,) group of each row
    n_groups: int
    per_cell: bool

    def per(self, x):
        """A per-group array as the result holds it: a float (pooled) or the array."""
        return x if self.per_cell else (x[0].item() if np.ndim(x[0]) == 0 else x[0])


@dataclass(frozen=True)
class _Solution:
    """The solver's output per group (see :func:`~ionsweep.analysis._fit_solver.solve`)."""

    theta: np.ndarray
    code: np.ndarray
    steps: np.ndarray
    r: np.ndarray
    H: np.ndarray
    V: np.ndarray  # model potentials (G, m), mV
    mask: np.ndarray  # (G, m) real rows
    data: np.ndarray  # (G, m) the potentials fitted, mV

    def first(self, n_groups: int) -> _Solution:
        """The real groups (padding groups dropped), θ as float64."""
        theta = self.theta[:n_groups].astype(float)
        rest = (self.code, self.steps, self.r, self.H, self.V, self.mask, self.data)
        return _Solution(theta, *(a[:n_groups] for a in rest))


def _check_settings(method, bootstrap, seed, max_steps, junction_method) -> None:
    if method not in METHODS:
        raise FitInputError("method", f"unknown method {method!r}; use one of {METHODS}")
    stats.check_bootstrap(bootstrap, seed)
    if not isinstance(max_steps, int | np.integer) or max_steps < 1:
        raise FitInputError("max_steps", f"max_steps must be a positive integer; got {max_steps!r}")
    if junction_method not in JUNCTION_METHODS:
        raise FitInputError(
            "junction_method",
            f"unknown junction method {junction_method!r}; use one of {JUNCTION_METHODS}",
        )


def _problem(meas: Measurements, ref: int, fit_offset: bool, per_cell: bool) -> _Problem:
    """The model and groups of a fit, refused when a group has fewer rows than parameters."""
    fit_idx = tuple(i for i in range(len(meas.ions)) if i != ref)
    model = Model(meas.z, fit_idx, bool(fit_offset))
    names = tuple(f"P_{meas.ions[i]}/P_{meas.ions[ref]}" for i in fit_idx)
    names += ("offset",) * model.offset
    if model.n_params == 0:
        raise FitInputError(
            "ions", "nothing to fit: give an ion besides the reference, or fit an offset"
        )
    cells, gid = _cell_groups(meas, per_cell)
    n_groups = len(cells) if per_cell else 1
    _check_counts(gid, n_groups, names, cells if per_cell else None)
    return _Problem(meas, ref, model, names, cells, gid, n_groups, per_cell)


def _groups(problem: _Problem, a_in, a_out, V):
    """Padded group arrays of the model's row factors, the fitted potentials and weights."""
    meas = problem.meas
    rows = row_factors(a_in, a_out, np.asarray(meas.z), meas.T)
    rows["V"] = V
    rows["w"] = np.ones(meas.n) if meas.sd is None else 1.0 / meas.sd
    return build_groups(rows, problem.gid, problem.n_groups)


def _intervals(st, theta, weighted: bool):
    """Estimates (NaN where unidentifiable) and their 95 % bounds, per group."""
    from scipy import stats as sps  # imported here: `import ionsweep` stays light

    if weighted:
        q = np.full((theta.shape[0], 1), sps.norm.ppf(0.975))
    else:  # Student's t quantile for each distinct dof
        dofs, which = np.unique(st.dof, return_inverse=True)
        q = sps.t.ppf(0.975, np.where(dofs > 0, dofs, np.nan))[which.reshape(-1)][:, None]
    est = np.where(st.identifiable, theta, np.nan)
    return est, est - q * st.stderr, est + q * st.stderr


def _ratio_fields(problem: _Problem, st, est, lo, hi):
    """Ratios, their standard errors and 95 % intervals by ion (the reference's: 1, 0)."""
    per, ions, G = problem.per, problem.meas.ions, problem.n_groups
    nq = len(problem.model.fit_idx)
    ratio, ratio_se = np.exp(est[:, :nq]), np.exp(est[:, :nq]) * st.stderr[:, :nq]
    ref = ions[problem.ref]
    ratios, stderr = {ref: per(np.ones(G))}, {ref: per(np.zeros(G))}
    ci95 = {ref: (per(np.ones(G)), per(np.ones(G)))}
    for j, i in enumerate(problem.model.fit_idx):
        ratios[ions[i]], stderr[ions[i]] = per(ratio[:, j]), per(ratio_se[:, j])
        ci95[ions[i]] = (per(np.exp(lo[:, j])), per(np.exp(hi[:, j])))
    return ratios, stderr, ci95


def _status(problem: _Problem, code) -> str:
    bad = int(np.sum(code != CONVERGED))
    if bad == 0:
        return "converged"
    if problem.per_cell:
        return f"{bad} of {problem.n_groups} cells did not converge"
    return STATUS_TEXT[int(code[0])]


def _result(problem, sol, st, fitted, ljp, boot, activity_model, method, junction_method):
    """The :class:`PermeabilityFit` of a solved problem."""
    meas, per, offset = problem.meas, problem.per, problem.model.offset
    weighted = meas.sd is not None
    est, lo, hi = _intervals(st, sol.theta, weighted)
    ratios, stderr, ci95 = _ratio_fields(problem, st, est, lo, hi)
    dev = np.where(sol.mask, sol.V - sol.data, 0.0)  # mV, unweighted
    chi2 = st.rss if weighted else None
    return PermeabilityFit(
        reference=meas.ions[problem.ref],
        ions=meas.ions,
        parameters=problem.names,
        per_cell=problem.per_cell,
        cells=problem.cells,
        ratios=ratios,
        stderr=stderr,
        ci95=ci95,
        offset=per(est[:, -1]) if offset else None,
        offset_stderr=per(st.stderr[:, -1]) if offset else None,
        offset_ci95=(per(lo[:, -1]), per(hi[:, -1])) if offset else None,
        estimates=per(sol.theta),
        covariance=per(st.covariance),
        correlation=per(st.correlation),
        identifiable={name: per(st.identifiable[:, j]) for j, name in enumerate(problem.names)},
        n_measurements=per(st.n),
        dof=per(st.dof),
        rms=per(np.sqrt(np.sum(dev**2, axis=1) / st.n)),
        chi2=None if chi2 is None else per(chi2),
        reduced_chi2=None if chi2 is None else per(chi2 / np.where(st.dof > 0, st.dof, np.nan)),
        sigma=None if weighted else per(np.sqrt(st.sigma2)),
        status=_status(problem, sol.code),
        converged=per(sol.code == CONVERGED),
        n_steps=per(sol.steps),
        measured=meas.V.copy(),
        fitted=fitted,
        residuals=meas.V - fitted,
        row_cell=meas.cell,
        sd=None if meas.sd is None else meas.sd.copy(),
        T=meas.T.copy(),
        activity_model=activity_model,
        method=method,
        bootstrap=boot,
        ljp=ljp,
        junction_method=None if ljp is None else junction_method,
    )


def _cell_groups(meas: Measurements, per_cell: bool):
    if meas.cell is None:
        if per_cell:
            raise FitInputError("cell", "a per-cell fit needs a 'cell' column in the table")
        return None, np.zeros(meas.n, dtype=np.int64)
    labels, first, inverse = np.unique(meas.cell, return_index=True, return_inverse=True)
    order = np.argsort(first)  # cells in the order of their first row
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    cells = tuple(labels[order].tolist())
    if not per_cell:
        return cells, np.zeros(meas.n, dtype=np.int64)
    return cells, rank[inverse.reshape(-1)].astype(np.int64)


def _check_counts(gid, n_groups, names, cells) -> None:
    counts = np.bincount(gid, minlength=n_groups)
    p = len(names)
    short = np.flatnonzero(counts < p)
    if short.size == 0:
        return
    what = f"{p} parameter{'s' * (p > 1)} ({', '.join(names)})"
    if cells is None:
        raise FitInputError(
            "data", f"fewer measurements ({counts[0]}) than parameters: {what} need at least {p}"
        )
    listed = _listed([f"{cells[i]} ({counts[i]})" for i in short])
    raise FitInputError(
        "cell", f"fewer measurements than parameters in cell(s) {listed}: {what} need {p} each"
    )
