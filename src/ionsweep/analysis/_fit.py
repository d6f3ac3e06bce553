"""Fitting permeability ratios to measured reversal potentials with the GHK voltage equation.

Input problems raise :class:`~ionsweep.analysis.FitInputError` (a ValueError) naming the
argument or column: a missing column, a NaN or empty value, a negative concentration
(zero is fine: an ion absent on one side, as in bi-ionic recordings), a row where no
fitted ion can carry outward or inward current, fewer measurements than parameters
(overall, or in a cell of a per-cell fit), an unknown ion, reference, method or activity
model. Numerical problems found by the fit — an unidentifiable parameter, a solve that did
not converge, no residual degrees of freedom — give a :class:`FitWarning` and NaN where a
number would be a guess.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from ionsweep.analysis import _fit_core as core
from ionsweep.analysis import _fit_stats as stats
from ionsweep.analysis._fit_activity import activities
from ionsweep.analysis._fit_data import (
    FitInputError,
    FitWarning,
    Measurements,
    _listed,
    read_measurements,
)
from ionsweep.analysis._fit_result import PermeabilityFit

__all__ = ["FitWarning", "fit_permeability_ratios"]


def _warn(message: str) -> None:
    warnings.warn(message, FitWarning, stacklevel=4)  # user -> fit -> _report -> here


def fit_permeability_ratios(
    data: Any,
    ions: Sequence[str],
    reference: str = "K+",
    T: Any = None,
    *,
    activity_model: str | None = None,
    parameters: Any = None,
    background_ions: Sequence[str] = (),
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
    fit_offset : bool, optional
        Also fit an offset (mV) added to every modelled potential (a liquid-junction or
        electrode offset), shared by all rows of a fit.
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
    if method not in core.METHODS:
        raise FitInputError("method", f"unknown method {method!r}; use one of {core.METHODS}")
    stats.check_bootstrap(bootstrap, seed)
    if not isinstance(max_steps, int | np.integer) or max_steps < 1:
        raise FitInputError("max_steps", f"max_steps must be a positive integer; got {max_steps!r}")
    meas, ref = read_measurements(data, ions, reference, T, background_ions)
    fit_idx = tuple(i for i in range(len(meas.ions)) if i != ref)
    model = core.Model(meas.z, fit_idx, bool(fit_offset))
    names = tuple(f"P_{meas.ions[i]}/P_{meas.ions[ref]}" for i in fit_idx)
    names += ("offset",) * model.offset
    if model.n_params == 0:
        raise FitInputError(
            "ions", "nothing to fit: give an ion besides the reference, or fit an offset"
        )
    cells, gid = _cell_groups(meas, per_cell)
    n_groups = len(cells) if per_cell else 1
    _check_counts(gid, n_groups, names, cells if per_cell else None)

    a_in, a_out = activities(meas, activity_model, parameters)
    rows = core.row_factors(a_in, a_out, np.asarray(meas.z), meas.T)
    rows["V"] = meas.V
    rows["w"] = np.ones(meas.n) if meas.sd is None else 1.0 / meas.sd
    groups, index = core.build_groups(rows, gid, n_groups)
    eps = float(jnp.finfo(jnp.result_type(float)).eps)
    tol = 1e-8 if eps < 1e-10 else 1e-5
    settings = (method, rtol or tol, atol or tol, int(max_steps))

    theta, code, steps, r, H, V_fit = core.solve(None, groups, model, *settings)
    theta, code, steps = theta[:n_groups].astype(float), code[:n_groups], steps[:n_groups]
    r, H, V_fit = r[:n_groups], H[:n_groups], V_fit[:n_groups]
    mask = groups["mask"][:n_groups]
    weighted = meas.sd is not None
    st = stats.statistics(r, H, mask, weighted, rcond or 10 * eps**0.5)
    st = _bounded(st, theta, H, meas, ref, gid, n_groups)
    ident = st.identifiable
    _report(meas, ref, gid, names, cells if per_cell else None, st, code, max_steps, weighted)

    from scipy import stats as sps  # imported here: `import ionsweep` stays light

    if weighted:
        q = np.full((n_groups, 1), sps.norm.ppf(0.975))
    else:  # Student's t quantile for each distinct dof
        dofs, which = np.unique(st.dof, return_inverse=True)
        q = sps.t.ppf(0.975, np.where(dofs > 0, dofs, np.nan))[which.reshape(-1)][:, None]
    est = np.where(ident, theta, np.nan)
    lo, hi = est - q * st.stderr, est + q * st.stderr
    nq = len(fit_idx)
    ratio, ratio_se = np.exp(est[:, :nq]), np.exp(est[:, :nq]) * st.stderr[:, :nq]

    fitted = np.empty(meas.n)
    fitted[index[:n_groups][mask]] = V_fit[mask]
    resid = meas.V - fitted
    n = st.n
    dev = np.where(mask, V_fit - groups["V"][:n_groups], 0.0)
    rms = np.sqrt(np.sum(dev**2, axis=1) / n)
    chi2 = st.rss if weighted else None

    def per(x):  # per-group array -> float (pooled) or array (per cell)
        return x if per_cell else (x[0].item() if np.ndim(x[0]) == 0 else x[0])

    ions_ = meas.ions
    ratios = {ions_[ref]: per(np.ones(n_groups))}
    stderr = {ions_[ref]: per(np.zeros(n_groups))}
    ci95 = {ions_[ref]: (per(np.ones(n_groups)), per(np.ones(n_groups)))}
    for j, i in enumerate(fit_idx):
        ratios[ions_[i]], stderr[ions_[i]] = per(ratio[:, j]), per(ratio_se[:, j])
        ci95[ions_[i]] = (per(np.exp(lo[:, j])), per(np.exp(hi[:, j])))
    boot = None
    if bootstrap:
        samples = stats.bootstrap_fits(
            theta, groups, V_fit, r, model, settings, bootstrap, seed, n_groups
        )
        boot = stats.bootstrap_summary(samples, ions_, fit_idx, ident, model.offset, per, seed)

    converged = code == core.CONVERGED
    bad = int(np.sum(~converged))
    if bad == 0:
        status = "converged"
    elif per_cell:
        status = f"{bad} of {n_groups} cells did not converge"
    else:
        status = core.STATUS_TEXT[int(code[0])]
    return PermeabilityFit(
        reference=ions_[ref],
        ions=ions_,
        parameters=names,
        per_cell=per_cell,
        cells=cells,
        ratios=ratios,
        stderr=stderr,
        ci95=ci95,
        offset=per(est[:, -1]) if model.offset else None,
        offset_stderr=per(st.stderr[:, -1]) if model.offset else None,
        offset_ci95=(per(lo[:, -1]), per(hi[:, -1])) if model.offset else None,
        estimates=per(theta),
        covariance=per(st.covariance),
        correlation=per(st.correlation),
        identifiable={name: per(ident[:, j]) for j, name in enumerate(names)},
        n_measurements=per(n),
        dof=per(st.dof),
        rms=per(rms),
        chi2=None if chi2 is None else per(chi2),
        reduced_chi2=None if chi2 is None else per(chi2 / np.where(st.dof > 0, st.dof, np.nan)),
        sigma=None if weighted else per(np.sqrt(st.sigma2)),
        status=status,
        converged=per(converged),
        n_steps=per(steps),
        measured=meas.V.copy(),
        fitted=fitted,
        residuals=resid,
        row_cell=meas.cell,
        sd=None if meas.sd is None else meas.sd.copy(),
        T=meas.T.copy(),
        activity_model=activity_model,
        method=method,
        bootstrap=boot,
    )


#: Condition number of the Jacobian above which a fit is reported as ill-conditioned.
ILL_CONDITIONED = 1e6


def _bounded(st, theta, H, meas, ref, gid, n_groups):
    """Mark estimates the data cannot bound (reference ion absent, runaway ratios) as
    unidentifiable, and warn when the rest of the problem is ill-conditioned."""
    here = (meas.c_in > 0) | (meas.c_out > 0)
    ref_absent = np.bincount(gid, here[:, ref], n_groups) == 0
    st = stats.unbounded(st, theta, len(meas.ions) - 1, ref_absent)
    cond = stats.condition_number(H, st.identifiable)
    worst = float(np.max(cond))
    if worst > ILL_CONDITIONED:
        _warn(
            f"the fit is ill-conditioned (condition number of the Jacobian {worst:.3g}): "
            "the data barely separate some ratios, so their estimates are strongly correlated "
            "and uncertain; add measurements that vary those ions"
        )
    return st


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


def _report(meas, ref, gid, names, cells, st, code, max_steps, weighted) -> None:
    """Warn about unidentifiable parameters, unconverged fits and missing dof."""
    n_groups = st.identifiable.shape[0]
    here = (meas.c_in > 0) | (meas.c_out > 0)
    present = np.stack([np.bincount(gid, here[:, i], n_groups) for i in range(len(meas.ions))], 1)
    absent = present == 0  # an ion absent on both sides in every row of a group
    fit_idx = [i for i in range(len(meas.ions)) if i != ref]

    def where(groups) -> str:
        if cells is None:
            return ""
        return f" in {len(groups)} of {n_groups} cells ({_listed([cells[g] for g in groups])})"

    for j, name in enumerate(names):
        groups = np.flatnonzero(~st.identifiable[:, j])
        if groups.size == 0:
            continue
        g = groups[0]
        ion = meas.ions[fit_idx[j]] if j < len(fit_idx) else None
        partners = [names[k] for k in np.flatnonzero(st.confounded[g, j]) if k != j]
        if ion is not None and absent[g, fit_idx[j]]:
            why = f"{ion} is absent (0 mM) on both sides in every measurement"
        elif absent[g, ref]:
            why = f"the reference {meas.ions[ref]} is absent (0 mM) in every measurement"
        elif partners:
            others = ", ".join(partners)
            why = f"the Jacobian is rank-deficient: it cannot be told apart from {others}"
        else:
            why = (
                "the measurements do not bound it (its estimate runs off to 0 or infinity, "
                "or its column of the Jacobian vanishes)"
            )
        _warn(
            f"{name} is not identifiable{where(groups)}: {why}; its estimate, standard error "
            "and interval are NaN"
        )
    unconverged = np.flatnonzero(code != core.CONVERGED)
    if unconverged.size:
        why = core.STATUS_TEXT[int(code[unconverged[0]])]
        if code[unconverged[0]] == core.MAX_STEPS:
            why += f" ({max_steps}); an estimate may be running to 0 or infinity"
        _warn(f"the fit did not converge{where(unconverged)}: {why}")
    if weighted:
        _misfit(st, where)
    no_dof = np.flatnonzero(st.dof == 0)
    if no_dof.size and not weighted:
        _warn(
            f"no residual degrees of freedom{where(no_dof)} (as many measurements as "
            "parameters): the standard errors are NaN; add measurements or V_rev_sd"
        )


#: Probability of a χ² at least as large, under the model, below which the fit is rejected.
MISFIT_P = 1e-3


def _misfit(st, where) -> None:
    """Warn when χ² (weighted by V_rev_sd) says the model does not describe the data."""
    from scipy.stats import chi2 as chi2_dist

    dof = np.asarray(st.dof)
    chi2 = np.asarray(st.rss)  # weighted residuals: the sum of squares is χ²
    p = np.where(dof > 0, chi2_dist.sf(chi2, np.maximum(dof, 1)), np.nan)
    level = MISFIT_P / p.size  # Bonferroni: one chance in 1000 of a false alarm per fit call
    bad = np.flatnonzero(p < level)
    if bad.size == 0:
        return
    worst = bad[np.argmax(chi2[bad] / dof[bad])]
    _warn(
        f"the model does not fit the data{where(bad)}: reduced chi2 = "
        f"{chi2[worst] / dof[worst]:.3g} for {dof[worst]} dof (probability of a chi2 this "
        f"large {max(p[worst], 1e-300):.2g} < {level:.2g}); an ion may be missing from the "
        "fit, the V_rev_sd too small, or the GHK model inadequate, so the standard errors "
        "understate the uncertainty"
    )
