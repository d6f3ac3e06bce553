"""PNG of the current view, drawn on the server with matplotlib from the screen's plan.

The browser's own canvas export would need a browser on the server (Bokeh's
``export_png``); this draws the same :class:`~ionsweep.explorer._plan.Plan` the screen
shows: the same wrapped titles (with the slice), panels in the same grid, the same value
ranges (shared or each its own), colour map and limits, log ticks, categorical labels and
overlaid lines with their legend. Store text in titles and labels is drawn as it is:
mathtext and TeX are off while the figure is made and saved (a ``$`` in a title is a
dollar sign, and an unbalanced one is no error).
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ionsweep.explorer._build import axis_values
from ionsweep.explorer._columns import bar_columns, contour_lines, edges, line_columns
from ionsweep.explorer._plan import (
    NCOLS,
    PanelPlan,
    Plan,
    axis_label,
    label_rotation,
    line_colors,
    value_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plan_figure", "plan_png"]

_NAN = "#d9d9d9"


def plan_png(plan: Plan, ds: xr.Dataset, dpi: int = 120) -> bytes:
    """PNG bytes of ``plan`` (the explorer's current view of ``ds``)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = plan_figure(plan, ds)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def plan_figure(plan: Plan, ds: xr.Dataset) -> Figure:
    """The :class:`matplotlib.figure.Figure` of ``plan``: one axes per panel, in rows of
    ``NCOLS`` as on screen, x shared, y shared when the plan's scale is."""
    from matplotlib.figure import Figure

    n = len(plan.panels)
    ncols = NCOLS if n > 1 else 1
    nrows = math.ceil(n / ncols)
    lines = max(p.title.count("\n") + 1 for p in plan.panels)
    width = 6.8 if ncols > 1 else 9.0
    fig = Figure(figsize=(width * ncols, (3.9 + 0.2 * lines) * nrows), layout="constrained")
    share_y = plan.shared and plan.kind != "heatmap"
    share_y = share_y or plan.kind == "heatmap"
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=share_y)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.remove()
            continue
        ax.tick_params(labelleft=True, labelbottom=True)  # every panel labelled, as on screen
        panel = plan.panels[k]
        {"heatmap": _heatmap, "bars": _bars}.get(plan.kind, _lines)(fig, ax, plan, ds, panel)
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(axis_label(ds, plan.x))
        ax.set_ylabel(axis_label(ds, plan.y) if plan.y else value_label(panel.da))
        if panel.y_range is not None:
            ax.set_ylim(*panel.y_range)
        _axes_scales(ax, plan)
    return fig


def _axes_scales(ax, plan: Plan) -> None:
    """Log axes with the screen's ticks labelled plainly, and the screen's extents."""
    from matplotlib.ticker import FixedLocator, NullFormatter

    pairs = (
        (plan.x_log, plan.x_ticks, ax.xaxis, ax.set_xscale),
        (plan.y_log, plan.y_ticks, ax.yaxis, ax.set_yscale),
    )
    for log, ticks, axis, set_scale in pairs:
        if log:
            set_scale("log")
            axis.set_major_locator(FixedLocator(list(ticks or ())))
            axis.set_ticklabels([f"{t:g}" for t in ticks or ()])
            axis.set_minor_formatter(NullFormatter())
    if plan.x_range is not None:
        ax.set_xlim(*plan.x_range)
    if plan.y_axis_range is not None:
        ax.set_ylim(*plan.y_axis_range)


def _lines(fig, ax, plan: Plan, ds: xr.Dataset, panel: PanelPlan) -> None:
    if plan.overlay is None:
        cols = line_columns(panel.da, ds, plan.x)
        ax.plot(cols["x"], cols["value"], "o-", color=line_colors(1)[0], lw=2, ms=3)
        return
    colors = line_colors(len(plan.overlay_labels))
    for j, label in enumerate(plan.overlay_labels):
        cols = line_columns(panel.da.isel({plan.overlay: j}), ds, plan.x)
        ax.plot(cols["x"], cols["value"], "o-", color=colors[j], lw=2, ms=3, label=label)
    legend = {"fontsize": 8, "title_fontsize": 8, "loc": "center left"}
    ax.legend(title=plan.overlay, bbox_to_anchor=(1.01, 0.5), **legend)  # right of the plot


def _heatmap(fig, ax, plan: Plan, ds: xr.Dataset, panel: PanelPlan) -> None:
    from matplotlib import colormaps

    y = plan.y or ""
    xv = np.asarray(axis_values(ds, plan.x)[0], np.float64)
    yv = np.asarray(axis_values(ds, y)[0], np.float64)
    cmap = colormaps[plan.cmap or "viridis"].with_extremes(bad=_NAN)
    z = np.ma.masked_invalid(np.asarray(panel.da.values, np.float64))
    lo, hi = panel.color or (None, None)
    mesh = ax.pcolormesh(
        edges(xv, plan.x_log), edges(yv, plan.y_log), z, cmap=cmap, vmin=lo, vmax=hi
    )
    fig.colorbar(mesh, ax=ax, label=value_label(panel.da))
    if plan.level is not None:
        cont = contour_lines(panel.da, ds, plan.x, y, plan.level)
        for xs, ys in zip(cont["xs"], cont["ys"], strict=True):
            ax.plot(xs, ys, color="black", lw=2)


def _bars(fig, ax, plan: Plan, ds: xr.Dataset, panel: PanelPlan) -> None:
    cols = bar_columns(panel.da, ds, plan.x, panel.conf)
    err = None
    if panel.conf is not None:
        err = [cols["value"] - cols["lower"], cols["upper"] - cols["value"]]
    ax.bar(cols["x"], cols["value"], yerr=err, capsize=3, width=0.7, color=line_colors(1)[0])
    rotation = label_rotation(cols["x"])
    ax.tick_params(axis="x", labelrotation=rotation)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right" if rotation else "center")
