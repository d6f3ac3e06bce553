"""Warnings of a permeability-ratio fit: what the data cannot tell, and where the fit failed."""

from __future__ import annotations

import warnings

import numpy as np

from ionsweep.analysis import _fit_stats as stats
from ionsweep.analysis._fit_errors import FitWarning, _listed
from ionsweep.analysis._fit_solver import CONVERGED, MAX_STEPS, STATUS_TEXT

__all__ = ["bounded", "report"]


def _warn(message: str) -> None:
    warnings.warn(message, FitWarning, stacklevel=4)  # user -> fit -> report/bounded -> here


#: Condition number of the Jacobian above which a fit is reported as ill-conditioned.
ILL_CONDITIONED = 1e6


def bounded(st, theta, H, meas, ref, gid, n_groups):
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


def report(meas, ref, gid, names, cells, st, code, max_steps, weighted) -> None:
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
    unconverged = np.flatnonzero(code != CONVERGED)
    if unconverged.size:
        why = STATUS_TEXT[int(code[unconverged[0]])]
        if code[unconverged[0]] == MAX_STEPS:
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
