"""Figures of sensitivity results: Sobol and Morris bar charts with confidence intervals, and
the Monte Carlo histogram of an output with its quantiles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ionsweep.analysis._plot import _figure
from ionsweep.analysis._plot_labels import label, store_text_as_text, unit_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure


__all__ = ["histogram", "indices"]


def _outputs(ds: xr.Dataset, output):
    """[(title, units, sub-dataset)] for the requested output(s)."""
    if "output" not in ds.dims:
        return [("", None, ds)]
    names = [str(o) for o in ds.output.values]
    if output is not None:
        if str(output) not in names:
            raise ValueError(f"no output {output!r}; outputs: {', '.join(names)}")
        names = [str(output)]
    res = []
    for k, name in enumerate(ds.output.values):
        if str(name) not in names:
            continue
        sub = ds.isel(output=k)
        units = str(sub.output_units.values) if "output_units" in sub.coords else None
        long = str(sub.output_long_name.values) if "output_long_name" in sub.coords else ""
        res.append((f"{name}: {long}" if long else str(name), units, sub))
    return res


#: Widest figure of bar charts, in (a PNG at 150 dpi: 1,650 px): wide panels stack.
_MAX_WIDTH_IN = 11.0


def _grid(n, panel_width=3.6):
    """(rows, columns) for ``n`` panels of ``panel_width`` in: at most 3 columns, and no
    more than fit :data:`_MAX_WIDTH_IN` (at least one)."""
    fit = int((_MAX_WIDTH_IN - 1.2) // panel_width)
    ncols = max(1, min(n, 3, fit))
    return (-(-n // ncols), ncols)


@store_text_as_text
def indices(ds: xr.Dataset, *, kind: str | None = None, output: str | None = None) -> Figure:
    """Bar chart of Sobol indices (S1 and ST) or Morris μ* and σ, with confidence intervals.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`ionsweep.sensitivity.sobol`, :func:`~ionsweep.sensitivity.morris`
        or :func:`~ionsweep.sensitivity.run_sensitivity`.
    kind : {"sobol", "morris"}, optional
        Which indices; Sobol where both are present.
    output : str, optional
        Only this output (one panel per output by default).

    Returns
    -------
    matplotlib.figure.Figure
        Error bars are the bootstrap confidence intervals (``S1_conf``, ``ST_conf``,
        ``mu_star_conf``).

    Examples
    --------
    >>> from ionsweep import sensitivity
    >>> ds = sensitivity.sobol(lambda x: x["a"] + 0.3 * x["b"], {"a": (0, 1), "b": (0, 1)},
    ...                        n=256)
    >>> fig = indices(ds)
    >>> fig.axes[0].get_ylabel()
    'Sobol index (dimensionless)'
    """
    kind = kind or ("sobol" if "S1" in ds else "morris")
    need = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    if kind not in ("sobol", "morris") or not all(v in ds for v in need):
        raise ValueError(f"the dataset has no {kind} indices ({', '.join(need)})")
    panels = _outputs(ds, output)
    size = (0.55 * ds.sizes["parameter"] + 1.6, 3.2)
    fig, axes = _figure(_grid(len(panels), size[0]), panel=size, share=False)
    params = [str(p) for p in ds.parameter.values]
    units = ds["parameter_units"].values if "parameter_units" in ds.coords else [""] * len(params)
    ticks = [
        f"{p}\n[{unit_text(str(u))}]" if str(u) not in ("", "1") else p
        for p, u in zip(params, units, strict=True)
    ]
    pos = np.arange(len(params))
    for ax, (title, out_units, sub) in zip(axes.ravel(), panels, strict=False):
        if kind == "sobol":
            for dx, var, color in ((-0.2, "S1", "tab:blue"), (0.2, "ST", "tab:orange")):
                ax.bar(
                    pos + dx,
                    sub[var].values,
                    0.4,
                    yerr=sub[f"{var}_conf"].values,
                    capsize=3,
                    color=color,
                    label=var,
                )
            ax.set_ylabel(label(sub["ST"].assign_attrs(long_name="Sobol index")))
            ax.axhline(0, color="k", lw=0.6)
        else:
            ax.bar(
                pos - 0.2,
                sub.mu_star.values,
                0.4,
                yerr=sub.mu_star_conf.values,
                capsize=3,
                color="tab:blue",
                label="μ*",
            )
            ax.bar(pos + 0.2, sub.sigma.values, 0.4, color="tab:gray", label="σ")
            u = out_units or str(sub.mu_star.attrs.get("units", ""))
            ax.set_ylabel(label(xr.DataArray(0, attrs={"long_name": "μ*, σ", "units": u})))
        ax.set_xticks(pos, ticks, fontsize="small", rotation=30, ha="right")
        ax.set_xlabel("input")  # each input's units are under its name
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="x-small")
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    conf = ds.attrs.get("conf_level", ds.attrs.get(f"{kind}_conf_level", 0.95))
    fig.suptitle(f"{kind.capitalize()} indices; error bars: {100 * conf:g} % bootstrap intervals")
    return fig


@store_text_as_text
def histogram(
    ds: xr.Dataset, *, output: str | None = None, quantiles: Sequence[float] = (0.025, 0.5, 0.975)
) -> Figure:
    """Monte Carlo distribution of an output: density histogram and quantile lines.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`ionsweep.sensitivity.propagate` or of a spec with
        ``[uncertainty]``.
    output : str, optional
        Only this output (one panel per output by default).
    quantiles : sequence of float, optional
        Stored quantiles to mark with vertical lines.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import ionsweep
    >>> from ionsweep import sensitivity
    >>> ds = sensitivity.propagate(lambda x: ionsweep.nernst(140.0, x["K_out"], 1, 310.15),
    ...                            {"K_out": sensitivity.relative(5.0, 0.05)}, n=2000,
    ...                            units="mV")
    >>> histogram(ds).axes[0].get_xlabel()
    'output [mV]'
    """
    if "histogram" not in ds:
        raise ValueError("the dataset has no Monte Carlo histogram")
    panels = _outputs(ds, output)
    fig, axes = _figure(_grid(len(panels)), panel=(3.8, 2.8), share=False)
    for ax, (title, out_units, sub) in zip(axes.ravel(), panels, strict=False):
        centers = np.asarray(sub.bin_center.values, np.float64)
        width = centers[1] - centers[0] if centers.size > 1 else 1.0
        ax.bar(centers, sub.histogram.values, width, color="tab:blue", alpha=0.7)
        u = out_units or str(sub["mean"].attrs.get("units", ""))
        for q in quantiles:
            if q in sub["quantile"].values:
                v = float(sub.quantiles.sel(quantile=q))
                ax.axvline(v, color="k", ls="--" if q != 0.5 else "-", lw=0.8)
                ax.annotate(
                    f"q{100 * q:g}",
                    (v, 1),
                    xycoords=("data", "axes fraction"),
                    fontsize=6,
                    ha="center",
                    va="bottom",
                )
        if "p_exceed" in sub:
            text = "\n".join(
                f"P(|x| > {float(t):g}) = {float(p):.3f}"
                for t, p in zip(sub.threshold.values, sub.p_exceed.values, strict=True)
            )
            ax.text(0.02, 0.95, text, transform=ax.transAxes, va="top", fontsize="x-small")
        name = str(sub.output.values) if "output" in sub.coords else "output"
        ax.set_xlabel(label(xr.DataArray(0, attrs={"long_name": name, "units": u})))
        ax.set_ylabel(label(sub.histogram.assign_attrs(long_name="probability density")))
        ax.set_title(title, fontsize="small", pad=12)  # above the quantile labels
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    n = ds.attrs.get("n_samples", ds.attrs.get("uncertainty_n_samples"))
    fig.suptitle("Monte Carlo distribution" + (f" ({n:,} samples)" if n else ""))
    return fig
