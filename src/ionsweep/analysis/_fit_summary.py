"""The text summary of a permeability-ratio fit (:meth:`PermeabilityFit.summary`)."""

from __future__ import annotations

import numpy as np

from ionsweep.analysis._fit_result import _g

__all__ = ["summary_lines"]


def summary_lines(fit) -> list[str]:
    """Lines of the summary: the ratios ± SE, the quality of the fit, the junction."""
    lines = _per_cell_lines(fit) if fit.per_cell else _pooled_lines(fit)
    return lines + _junction_lines(fit)


def _header(fit) -> str:
    n = int(np.sum(fit.n_measurements))
    if fit.per_cell:
        what = f"per-cell fits of {len(fit.cells or ())} cells ({n} measurements)"
    else:
        cells = f", {len(fit.cells)} cells" if fit.cells else ""
        what = f"pooled fit of {n} measurements{cells}"
    return f"Permeability ratios P/P_{fit.reference}, {what}"


def _footer(fit) -> list[str]:
    T = np.unique(np.round(fit.T, 2))
    temp = f"{T[0]:.2f} K" if T.size == 1 else f"{T.min():.2f}-{T.max():.2f} K"
    act = fit.activity_model or "none (concentrations)"
    return [
        f"  T = {temp}; activity model: {act}; method: {fit.method}, exact JAX Jacobians",
        f"  status: {fit.status}",
    ]


def _pooled_lines(fit) -> list[str]:
    boot = fit.bootstrap
    head = ["ion", "ratio", "SE", "95% CI"] + (["boot SE", "boot 95% CI"] if boot else [])
    rows = [head]
    for ion in fit.ions:
        if ion == fit.reference:
            rows.append([ion, "1", "(reference)", ""] + (["", ""] if boot else []))
            continue
        lo, hi = fit.ci95[ion]
        row = [ion, _g(fit.ratios[ion]), _g(fit.stderr[ion], 2), f"[{_g(lo)}, {_g(hi)}]"]
        if boot:
            blo, bhi = boot["ci95"][ion]
            row += [_g(boot["stderr"][ion], 2), f"[{_g(blo)}, {_g(bhi)}]"]
        rows.append(row)
    if fit.offset is not None:
        lo, hi = fit.offset_ci95
        row = [
            "offset",
            f"{fit.offset:+.3g} mV",
            f"{_g(fit.offset_stderr, 2)} mV",
            f"[{lo:+.3g}, {hi:+.3g}] mV",
        ]
        if boot:
            blo, bhi = boot["offset_ci95"]
            row += [f"{_g(boot['offset_stderr'], 2)} mV", f"[{blo:+.3g}, {bhi:+.3g}] mV"]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [_header(fit)]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    if fit.chi2 is not None:
        quality = f"chi2 = {fit.chi2:.4g} for {fit.dof} dof (reduced {_g(fit.reduced_chi2, 3)})"
    else:
        quality = f"sigma = {_g(fit.sigma, 3)} mV from the residuals ({fit.dof} dof)"
    lines.append(f"  fit: {quality}; RMS residual {_g(fit.rms, 3)} mV")
    if boot:
        lines.append(
            f"  bootstrap: {boot['n_resamples']} residual resamples (seed {boot['seed']}), "
            f"{boot['n_failed']} failed"
        )
    names = [p for p in fit.parameters]
    if len(names) > 1:
        short = [p.split("/")[0].removeprefix("P_") for p in names]
        what = "log ratios, offset" if fit.offset is not None else "log ratios"
        lines.append(f"  correlation of the estimates ({what}):")
        width = max(len(s) for s in short) + 2
        lines.append(" " * (width + 2) + "".join(s.rjust(9) for s in short))
        for s, row in zip(short, fit.correlation, strict=True):
            lines.append("  " + s.ljust(width) + "".join(f"{v:9.3f}" for v in row))
    return lines + _footer(fit)


def _per_cell_lines(fit) -> list[str]:
    others = [ion for ion in fit.ions if ion != fit.reference]
    head = ["cell", *(f"{ion} (± SE)" for ion in others)]
    head += ["offset mV"] if fit.offset is not None else []
    head += ["RMS mV", "status"]
    rows = [head]
    for c, cell in enumerate(fit.cells or ()):
        row = [cell]
        row += [f"{_g(fit.ratios[i][c])} ± {_g(fit.stderr[i][c], 2)}" for i in others]
        if fit.offset is not None:
            row.append(f"{fit.offset[c]:+.3g} ± {_g(fit.offset_stderr[c], 2)}")
        ok = bool(fit.converged[c])
        row += [_g(fit.rms[c], 3), "converged" if ok else "NOT converged"]
        rows.append(row)
    median = ["median", *(_g(float(np.nanmedian(fit.ratios[i]))) for i in others)]
    if fit.offset is not None:
        median.append(f"{float(np.nanmedian(fit.offset)):+.3g}")
    rows.append(median + [_g(float(np.nanmedian(fit.rms)), 3), ""])
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(head))]
    lines = [_header(fit)]
    for r in rows:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)))
        lines[-1] = lines[-1].rstrip()
    return lines + _footer(fit)


def _junction_lines(fit) -> list[str]:
    """The liquid junction potential of each row and the membrane potential fitted."""
    if fit.ljp is None:
        return []
    head = ["row", *(["cell"] if fit.row_cell is not None else []), "LJP mV"]
    head += ["V_recorded mV", "V_membrane mV", "fitted mV"]
    rows = [head]
    for i, ljp in enumerate(fit.ljp):
        cell = [str(fit.row_cell[i])] if fit.row_cell is not None else []
        V = fit.measured[i]
        rows.append([str(i), *cell, f"{ljp:+.2f}", f"{V:.2f}", f"{V - ljp:.2f}"])
        rows[-1].append(f"{fit.fitted[i] - ljp:.2f}")
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines = [
        f"  liquid junction potential ({fit.junction_method}; bath relative to pipette), "
        "V_membrane = V_recorded - LJP:"
    ]
    lines += ["    " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines
