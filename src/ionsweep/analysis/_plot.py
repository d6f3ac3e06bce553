"""Figures of sweep results: 1-D lines facetted by categorical axes and 2-D heatmaps with a
contour at a chosen |value| (e.g. |ΔE| = 5 mV). Axes are labelled from the ``long_name`` and
``units`` attributes of the store. Functions return :class:`matplotlib.figure.Figure`
objects built without pyplot, so they work headless and leave no global state.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ionsweep.analysis._plot_labels import (
    label,
    select,
    selection_text,
    store_text_as_text,
    unit_text,
    value_text,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure


__all__ = ["auto", "heatmap", "lines"]

_MAX_FACETS = 24


def _is_numeric(da: xr.DataArray, dim: str) -> bool:
    return dim in da.coords and da[dim].dtype.kind in "fiu"


def _geometric(values) -> bool:
    v = np.asarray(values, np.float64)
    if v.size < 3 or np.any(v <= 0):
        return False
    r = v[1:] / v[:-1]
    return bool(np.allclose(r, r[0], rtol=1e-4) and abs(r[0] - 1) > 1e-6)


def _edges(values, log: bool) -> np.ndarray:
    v = np.log(values) if log else np.asarray(values, np.float64)
    if v.size == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = 0.5 * (v[1:] + v[:-1])
        e = np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    return np.exp(e) if log else e


def _facets(da: xr.DataArray, dims: list[str]):
    """(figure grid shape, list of (row, col, selection dict, title)) for facet dims."""
    if not dims:
        return (1, 1), [(0, 0, {}, "")]
    if len(dims) == 1:
        (d,) = dims
        k = da.sizes[d]
        nrows = math.ceil(k / 4)
        ncols = math.ceil(k / nrows)
        cells = [
            (i // ncols, i % ncols, {d: i}, value_text(da, d, da[d].values[i])) for i in range(k)
        ]
        return (nrows, ncols), cells
    rd, cd = dims
    cells = []
    for i in range(da.sizes[rd]):
        for j in range(da.sizes[cd]):
            title = (
                f"{value_text(da, rd, da[rd].values[i])}, {value_text(da, cd, da[cd].values[j])}"
            )
            cells.append((i, j, {rd: i, cd: j}, title))
    return (da.sizes[rd], da.sizes[cd]), cells


def _figure(shape, panel=(3.6, 2.9), share=True):
    from matplotlib.figure import Figure

    nrows, ncols = shape
    if nrows * ncols > _MAX_FACETS:
        raise ValueError(
            f"{nrows * ncols} panels are too many for one figure; select along a dimension"
        )
    fig = Figure(figsize=(panel[0] * ncols + 1.2, panel[1] * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=share, sharey=share)
    return fig, axes


def _hide_unused(axes, cells, xlabel=None):
    """Hide empty panels; the panel above an empty one gets the x tick labels and label."""
    used = {(r, c) for r, c, _, _ in cells}
    for (r, c), ax in np.ndenumerate(axes):
        if (r, c) not in used:
            ax.set_visible(False)
            if r > 0 and (r - 1, c) in used:
                above = axes[r - 1, c]
                above.xaxis.set_tick_params(labelbottom=True)
                if xlabel:
                    above.set_xlabel(xlabel)


@store_text_as_text
def lines(
    data: xr.DataArray,
    x: str | None = None,
    *,
    hue: str | None = None,
    facets: Sequence[str] | None = None,
    sel: Mapping[str, Any] | None = None,
) -> Figure:
    """Line plot of ``data`` against ``x``, one panel per value of the categorical dims.

    Parameters
    ----------
    data : xarray.DataArray
        A stored variable (with ``units``/``long_name`` attributes).
    x : str, optional
        Dimension on the horizontal axis; the first numeric dimension by default.
    hue : str, optional
        Dimension drawn as several lines in each panel; the remaining numeric dimension by
        default.
    facets : list of str, optional
        Up to two dimensions laid out as panels; the remaining ones by default (categorical
        ones such as ``activity_model`` or ``ion``).
    sel : mapping, optional
        Coordinates to select first (:func:`select`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> E = xr.DataArray(
    ...     [[-89.0, -70.5], [-88.9, -70.4]], dims=("activity_model", "c_out"), name="E_K",
    ...     coords={"activity_model": ["ideal", "davies"],
    ...             "c_out": ("c_out", [5.0, 10.0], {"units": "mM", "long_name": "K+ outside"})},
    ...     attrs={"units": "mV", "long_name": "E_K"})
    >>> fig = lines(E, x="c_out")                   # one panel per activity model
    >>> [ax.get_title() for ax in fig.axes], fig.axes[0].get_xlabel()
    (['activity_model = ideal', 'activity_model = davies'], 'K+ outside [mM]')
    """
    da = select(data, sel)
    dims = [str(d) for d in da.dims if da.sizes[d] > 1]
    if x is None:
        numeric = [d for d in dims if _is_numeric(da, d)]
        if not numeric:
            raise ValueError(f"{da.name!r} has no numeric dimension to plot along")
        x = numeric[0]
    if x not in da.dims:
        raise ValueError(
            f"{x!r} is not a dimension of {da.name!r} ({', '.join(map(str, da.dims))})"
        )
    rest = [d for d in dims if d != x]
    if hue is None:
        numeric = [d for d in rest if _is_numeric(da, d) and d not in (facets or [])]
        hue = numeric[0] if numeric else None
    facet_dims = list(facets) if facets is not None else [d for d in rest if d != hue]
    if len(facet_dims) > 2 or set(rest) - set(facet_dims) - {hue}:
        raise ValueError(
            f"{da.name!r} varies along {', '.join(rest)} besides {x!r}: select some of them "
            "(sel / --sel dim=value)"
        )
    da = da.squeeze(drop=False)
    shape, cells = _facets(da, facet_dims)
    fig, axes = _figure(shape)
    for r, c, isel, title in cells:
        ax = axes[r, c]
        panel = da.isel(isel)
        series = [panel] if hue is None else [panel.isel({hue: i}) for i in range(panel.sizes[hue])]
        for s in series:
            lbl = value_text(da, hue, s[hue].values, False) if hue is not None else None
            ax.plot(s[x].values, s.transpose(x).values, label=lbl)
        if _geometric(da[x].values):
            ax.set_xscale("log")
        ax.set_title(title, fontsize="small")
        ax.grid(alpha=0.3)
    xlabel = label(da[x], x, 40)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(label(da, str(da.name), 40))
    if hue is not None:
        hue_title = _legend_title(da, hue)
        axes[0, -1].legend(fontsize="x-small", title=hue_title, title_fontsize="x-small")
    _hide_unused(axes, cells, xlabel)
    chosen = selection_text(da, sel)
    if chosen:
        fig.suptitle(chosen, fontsize="small")
    return fig


def _legend_title(da: xr.DataArray, dim: str) -> str:
    """A legend title: the coordinate's name and units, never "ion (zip axis) [1]"."""
    units = unit_text(str(da[dim].attrs.get("units", "")))
    return f"{dim} [{units}]" if units and units != "dimensionless" else dim


@store_text_as_text
def heatmap(
    data: xr.DataArray,
    x: str | None = None,
    y: str | None = None,
    *,
    contour: float | None = None,
    facets: Sequence[str] | None = None,
    sel: Mapping[str, Any] | None = None,
    cmap: str | None = None,
) -> Figure:
    """Heatmap of ``data`` over two dimensions, with a contour where |data| = ``contour``.

    Parameters
    ----------
    data : xarray.DataArray
        A stored variable.
    x, y : str, optional
        Dimensions of the horizontal and vertical axes; the first two numeric dimensions by
        default. Geometrically spaced coordinates get logarithmic axes.
    contour : float, optional
        Draw the line |data| = contour (e.g. 5 for |ΔE| = 5 mV), in the units of ``data``.
    facets : list of str, optional
        Up to two dimensions laid out as panels; the remaining ones by default.
    sel : mapping, optional
        Coordinates to select first (:func:`select`).
    cmap : str, optional
        Colormap; a diverging one centred on 0 when the data change sign, else viridis.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per facet, a shared colorbar labelled with the units of ``data``, the line
        |data| = contour and the region beyond it hatched.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> I = np.geomspace(0.01, 0.5, 6)
    >>> coord = lambda side: (side, I, {"units": "M", "long_name": f"ionic strength {side}"})
    >>> dE = xr.DataArray(7 * np.log(I[:, None] / I[None, :]), dims=("I_in", "I_out"),
    ...                   coords={"I_in": coord("I_in"), "I_out": coord("I_out")},
    ...                   name="dE_K", attrs={"units": "mV", "long_name": "activity error"})
    >>> fig = heatmap(dE, x="I_out", y="I_in", contour=5.0)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_xscale(), fig.axes[1].get_ylabel()
    ('ionic strength I_out [M]', 'log', 'activity error [mV]')
    """
    da = select(data, sel)
    x, y, facet_dims = _heatmap_dims(da, x, y, facets)
    da = da.squeeze(drop=False)
    logx, logy = _geometric(da[x].values), _geometric(da[y].values)
    ex, ey = _edges(da[x].values, logx), _edges(da[y].values, logy)
    shape, cells = _facets(da, facet_dims)
    panels = [np.asarray(da.isel(isel).transpose(y, x).values, np.float64) for *_, isel, _ in cells]
    ranges = [_colour_range(z) for z in panels]
    shared = _shared_range(ranges)
    fig, axes = _figure(shape, panel=(3.4, 3.0) if shared else (3.9, 3.0))
    mesh = None
    for (r, c, _, title), z, (lo, hi) in zip(cells, panels, ranges, strict=True):
        ax = axes[r, c]
        lo, hi = shared or (lo, hi)
        cm = cmap or ("RdBu_r" if lo < 0 < hi else "viridis")
        mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(z), cmap=cm, vmin=lo, vmax=hi)
        # Scales first: contours and their labels are laid out in the final coordinates.
        ax.set_xscale("log" if logx else "linear")
        ax.set_yscale("log" if logy else "linear")
        if contour is not None and np.nanmax(np.abs(z)) > contour > np.nanmin(np.abs(z)):
            _contour(ax, da, x, y, np.abs(z), contour)
        ax.set_title(title, fontsize="small")
        if not shared:  # one colour range per panel: say so on each colour bar
            fig.colorbar(mesh, ax=ax, label=label(da, str(da.name), 28), shrink=0.9)
    xlabel = label(da[x], x, 40)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(label(da[y], y, 40))
    _hide_unused(axes, cells, xlabel)
    if shared:
        cbar_label = label(da, str(da.name), 50)
        fig.colorbar(mesh, ax=axes.ravel().tolist(), label=cbar_label, shrink=0.9)
    title = _heatmap_title(da, contour, selection_text(da, sel), shared)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig


def _heatmap_dims(da: xr.DataArray, x, y, facets):
    """``(x, y, facet dims)`` of a heatmap: the first two numeric dimensions where ``x`` or
    ``y`` is not given; ``ValueError`` where they are missing or categorical, or where
    ``da`` varies along more than two dimensions besides them."""
    dims = [str(d) for d in da.dims if da.sizes[d] > 1]
    numeric = [d for d in dims if _is_numeric(da, d)]
    x = x or next((d for d in numeric if d != y), None)
    y = y or next((d for d in numeric if d != x), None)
    for name, d in (("x", x), ("y", y)):
        if d is None or d not in da.dims:
            raise ValueError(f"heatmap needs two dimensions of {da.name!r}; {name} = {d!r}")
        if not _is_numeric(da, d):
            raise ValueError(f"heatmap axes need numeric dimensions; {d!r} is categorical")
    rest = [d for d in dims if d not in (x, y)]
    facet_dims = list(facets) if facets is not None else rest
    if len(facet_dims) > 2 or set(rest) - set(facet_dims):
        raise ValueError(
            f"{da.name!r} varies along {', '.join(rest)} besides {x!r} and {y!r}: select some "
            "of them (sel / --sel dim=value)"
        )
    return x, y, facet_dims


def _contour(ax, da: xr.DataArray, x: str, y: str, az: np.ndarray, contour: float) -> None:
    """The line |data| = ``contour`` on one panel (labelled), the region beyond it hatched."""
    xs, ys = da[x].values, da[y].values
    ax.contourf(xs, ys, az, levels=[contour, np.inf], colors="none", hatches=["//"])
    cs = ax.contour(xs, ys, az, levels=[contour], colors="k")
    unit = unit_text(str(da.attrs.get("units", "")))
    ax.clabel(cs, fmt={contour: f"|{da.name}| = {contour:g} {unit}".rstrip()}, fontsize=7)


def _heatmap_title(da: xr.DataArray, contour, chosen: str, shared) -> str:
    """A heatmap's title: what the contour line and hatching mean, the selection, and
    whether each panel has a colour scale of its own."""
    title = []
    if contour is not None:
        level = f"{contour:g} {unit_text(da.attrs.get('units', ''))}".rstrip()
        title.append(f"black line: |{da.name}| = {level}; hatched: |{da.name}| > {level}")
    if chosen:
        title.append(chosen)
    if not shared:
        title.append("colour scale per panel")
    return "\n".join(title)


#: Panels share one colour range unless the largest panel range exceeds the smallest by
#: this factor (then a shared scale would wash out the small ones).
_WASHOUT = 5.0


def _colour_range(z: np.ndarray) -> tuple[float, float]:
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:  # diverging: centred on 0
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    return lo, hi


def _shared_range(ranges) -> tuple[float, float] | None:
    """One colour range for all panels, or None when one panel's would wash out others."""
    spans = [hi - lo for lo, hi in ranges]
    positive = [s for s in spans if s > 0]
    if len(positive) > 1 and max(positive) > _WASHOUT * min(positive):
        return None
    return _colour_range(np.array([v for r in ranges for v in r], np.float64))


@store_text_as_text
def auto(
    ds: xr.Dataset,
    var: str,
    *,
    x: str | None = None,
    y: str | None = None,
    contour: float | None = None,
    sel: Mapping[str, Any] | None = None,
) -> Figure:
    """The natural figure of ``ds[var]``: bar chart for Sobol/Morris indices, histogram for
    a Monte Carlo result, heatmap when ``y`` or ``contour`` is given, else lines."""
    from ionsweep.analysis._plot_indices import histogram, indices

    if var not in ds.data_vars:
        raise ValueError(f"no variable {var!r}; variables: {', '.join(map(str, ds.data_vars))}")
    out = (sel or {}).get("output")
    if var in ("S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma"):
        kind = "sobol" if var.startswith("S") else "morris"
        return indices(ds, kind=kind, output=out)
    if var in ("histogram", "quantiles"):
        return histogram(ds, output=out)
    da = ds[var]
    if y is not None or contour is not None:
        return heatmap(da, x, y, contour=contour, sel=sel)
    return lines(da, x, sel=sel)
