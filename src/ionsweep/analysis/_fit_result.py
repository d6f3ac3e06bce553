"""The result of a permeability-ratio fit: its fields, text summary, JSON and plot."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PermeabilityFit"]


def _jsonable(x: Any) -> Any:
    """Plain Python values for JSON: arrays to lists, NaN and inf to None."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _g(x: float, digits: int = 4) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.{digits}g}"


@dataclass(frozen=True, repr=False, eq=False)
class PermeabilityFit:
    """Permeability ratios fitted to reversal potentials (see
    :func:`ionsweep.fit_permeability_ratios`).

    In a pooled fit every per-parameter field is a float; in a per-cell fit it is an
    array with one entry per cell, in the order of :attr:`cells`. Ratios are
    P_ion/P_reference (the reference's ratio is 1, its standard error 0). An
    unidentifiable parameter has NaN ratio, standard error and interval (a warning said
    why). Potentials are in mV.

    Attributes
    ----------
    reference : str
        The reference ion.
    ions : tuple of str
        The fitted ions (canonical names), reference included.
    parameters : tuple of str
        Names of the fitted parameters, in the order of :attr:`estimates`:
        ``"P_Na+/P_K+"`` (fitted as its natural log) for each ion but the reference,
        then ``"offset"`` (mV) if one was fitted.
    per_cell : bool
        Whether each cell was fitted on its own.
    cells : tuple of str or None
        Cell ids (per-cell fits, or pooled fits of a table with a ``cell`` column).
    ratios, stderr : dict of str to float or ndarray
        Estimated P_ion/P_reference and its standard error (delta method,
        ratio × SE of the log ratio).
    ci95 : dict of str to (lower, upper)
        95 % intervals of the ratios, exp(log ratio ± q·SE) with q the 97.5 % quantile of
        Student's t with ``dof`` degrees of freedom (of the normal distribution when the
        table gave ``V_rev_sd``).
    offset, offset_stderr : float or ndarray or None
        Fitted offset (mV, added to the GHK potential: a liquid-junction or electrode
        offset) and its standard error; None when not fitted.
    offset_ci95 : tuple or None
        95 % interval of the offset, mV.
    estimates : ndarray, shape (..., p)
        The solver's parameters (log ratios, then the offset); entries of unidentifiable
        parameters are arbitrary.
    covariance, correlation : ndarray, shape (..., p, p)
        Of :attr:`estimates`; NaN rows and columns for unidentifiable parameters.
    identifiable : dict of str to bool or ndarray
        Per parameter name.
    n_measurements, dof : int or ndarray
        Measurements and residual degrees of freedom (measurements − parameters).
    rms : float or ndarray
        Root-mean-square residual, mV.
    chi2, reduced_chi2 : float or ndarray or None
        Σ((measured − fitted)/V_rev_sd)² and chi2/dof, when the table gave ``V_rev_sd``.
    sigma : float or ndarray or None
        Residual standard deviation estimated from the fit, mV (without ``V_rev_sd``).
    status : str
        ``"converged"``, or what went wrong.
    converged : bool or ndarray
        Per fit.
    n_steps : int or ndarray
        Solver steps.
    measured, fitted, residuals : ndarray, shape (n,)
        Per table row: measured V_rev, fitted V_rev and measured − fitted, mV (with a
        junction correction: recorded potentials, the fitted one including the LJP).
    row_cell : ndarray of str or None
        Cell id of each row.
    sd : ndarray or None
        V_rev_sd of each row, mV.
    T : ndarray, shape (n,)
        Temperature of each row, K.
    activity_model : str or None
        Activity model of the fit (None: concentrations).
    method : str
        Solver method.
    bootstrap : dict or None
        With ``bootstrap=N``: ``n_resamples``, ``seed``, ``n_failed``, and ``stderr``,
        ``ci95`` (2.5 and 97.5 percentiles) of the ratios, ``offset_stderr`` and
        ``offset_ci95``.
    ljp : ndarray, shape (n,), or None
        With ``junction=``: the liquid junction potential of each row, mV (the bath
        relative to the pipette); the model fitted measured − ljp, and :attr:`fitted` is
        the model's membrane potential plus ljp.
    junction_method : str or None
        How the LJP was computed (``"nernst-planck"`` or ``"henderson"``).
    """

    reference: str
    ions: tuple[str, ...]
    parameters: tuple[str, ...]
    per_cell: bool
    cells: tuple[str, ...] | None
    ratios: dict[str, Any]
    stderr: dict[str, Any]
    ci95: dict[str, tuple[Any, Any]]
    offset: Any
    offset_stderr: Any
    offset_ci95: tuple[Any, Any] | None
    estimates: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    identifiable: dict[str, Any]
    n_measurements: Any
    dof: Any
    rms: Any
    chi2: Any
    reduced_chi2: Any
    sigma: Any
    status: str
    converged: Any
    n_steps: Any
    measured: np.ndarray
    fitted: np.ndarray
    residuals: np.ndarray
    row_cell: np.ndarray | None
    sd: np.ndarray | None
    T: np.ndarray
    activity_model: str | None
    method: str
    bootstrap: dict[str, Any] | None = None
    ljp: np.ndarray | None = None
    junction_method: str | None = None

    def __repr__(self) -> str:
        kind = f"per-cell, {len(self.cells or ())} cells" if self.per_cell else "pooled"
        if self.per_cell:
            shown = {ion: f"median {_g(float(np.nanmedian(v)))}" for ion, v in self.ratios.items()}
        else:
            shown = {ion: _g(v) for ion, v in self.ratios.items()}
        body = ", ".join(f"{ion}: {v}" for ion, v in shown.items())
        return f"PermeabilityFit({kind}; {body}; status={self.status!r})"

    # --- JSON ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready plain values (NaN and infinities as null).

        One shape whatever ``per_cell``: ``"cells"`` is a list with one entry per fit
        (a pooled fit has one, whose ``"cell"`` is null), each with the ratios, their
        standard errors and intervals, the fitted ``"log_ratio"`` of every ion
        (ln P_ion/P_reference, the solver's parameters; 0 for the reference, null where
        unidentifiable), the offset, ``"covariance"`` and ``"correlation"`` of the
        parameters (in the order of ``"parameters"``: the log ratios, then the offset) and
        the goodness of fit. ``"measurements"`` holds the per-row data and ``"units"`` the
        units of every quantity.
        """
        n = len(self.cells or ()) if self.per_cell else 1
        cells = [self._cell_dict(c) for c in range(n)]
        rows = {
            "cell": self.row_cell,
            "T": self.T,
            "measured": self.measured,
            "fitted": self.fitted,
            "residuals": self.residuals,
            "sd": self.sd,
            "ljp": self.ljp,
        }
        out = {
            "format": "ionsweep.fit/2",
            "reference": self.reference,
            "ions": self.ions,
            "parameters": self.parameters,
            "fitted_as": {p: "offset" if p == "offset" else "log_ratio" for p in self.parameters},
            "per_cell": self.per_cell,
            "activity_model": self.activity_model,
            "method": self.method,
            "junction_method": self.junction_method,
            "status": self.status,
            "cells": cells,
            "measurements": rows,
            "bootstrap": self.bootstrap,
            "units": {
                "ratios": "P_ion/P_reference",
                "log_ratio": "ln(P_ion/P_reference)",
                "offset": "mV",
                "covariance": "of the fitted log ratios (dimensionless) and offset (mV)",
                "rms": "mV",
                "sigma": "mV",
                "measured": "mV",
                "fitted": "mV",
                "residuals": "mV (measured - fitted)",
                "sd": "mV",
                "ljp": "mV (bath relative to pipette; V_membrane = V_recorded - ljp)",
                "T": "K",
            },
        }
        return _jsonable(out)

    def _cell_dict(self, c: int) -> dict[str, Any]:
        """The per-fit fields of fit ``c`` (the only one of a pooled fit)."""

        def at(x):
            return x[c] if self.per_cell and x is not None else x

        estimates = np.asarray(at(self.estimates), dtype=float)
        log_ratio: dict[str, float | None] = {self.reference: 0.0}
        for k, name in enumerate(self.parameters):
            if name != "offset":
                ion = name.split("/P_")[0][2:]
                log_ratio[ion] = estimates[k] if bool(at(self.identifiable[name])) else None
        ci95 = {ion: [at(lo), at(hi)] for ion, (lo, hi) in self.ci95.items()}
        offset_ci95 = None if self.offset_ci95 is None else [at(v) for v in self.offset_ci95]
        return {
            "cell": self.cells[c] if self.per_cell and self.cells is not None else None,
            "ratios": {ion: at(v) for ion, v in self.ratios.items()},
            "stderr": {ion: at(v) for ion, v in self.stderr.items()},
            "ci95": ci95,
            "log_ratio": log_ratio,
            "offset": at(self.offset),
            "offset_stderr": at(self.offset_stderr),
            "offset_ci95": offset_ci95,
            "covariance": at(self.covariance),
            "correlation": at(self.correlation),
            "identifiable": {p: at(v) for p, v in self.identifiable.items()},
            "n_measurements": at(self.n_measurements),
            "dof": at(self.dof),
            "rms": at(self.rms),
            "chi2": at(self.chi2),
            "reduced_chi2": at(self.reduced_chi2),
            "sigma": at(self.sigma),
            "converged": at(self.converged),
            "n_steps": at(self.n_steps),
        }

    def to_json(self, path: str | Path) -> None:
        """Write :meth:`to_dict` to ``path`` as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    # --- text ------------------------------------------------------------------------

    def summary(self) -> str:
        """A text table of the ratios ± SE and the quality of the fit."""
        from ionsweep.analysis._fit_summary import summary_lines

        return "\n".join(summary_lines(self))

    # --- plot ------------------------------------------------------------------------

    def plot(self, ax=None):
        """Measured against fitted reversal potentials, with the identity line.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure otherwise.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.8, 4.4), layout="constrained")
        cells = np.asarray(
            self.row_cell if self.row_cell is not None else [""] * len(self.measured)
        )
        labels = list(dict.fromkeys(cells.tolist()))
        for label in labels:
            rows = cells == label
            yerr = None if self.sd is None else self.sd[rows]
            name = label if label and len(labels) <= 10 else None
            ax.errorbar(
                self.fitted[rows],
                self.measured[rows],
                yerr=yerr,
                fmt="o",
                ms=4,
                capsize=2,
                label=name,
                alpha=0.8,
            )
        both = np.concatenate([self.fitted, self.measured])
        lo, hi = np.nanmin(both), np.nanmax(both)
        pad = 0.05 * (hi - lo or 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=1, label="measured = fitted")
        ax.set_xlabel("fitted V_rev (mV)")
        ax.set_ylabel("measured V_rev (mV)")
        if not self.per_cell:
            text = ", ".join(
                f"P_{ion}/P_{self.reference} = {_g(self.ratios[ion], 3)}"
                for ion in self.ions
                if ion != self.reference
            )
            ax.set_title(text, fontsize=9)
        ax.legend(fontsize=8)
        return ax
