"""Bokeh figures of a :class:`~ionsweep.explorer._plan.Plan`: lines (one coloured line per
value of an overlay dimension, with a legend), heatmaps with contour, bars with confidence
intervals; several panels as one grid with one toolbar and linked x (and shared y) ranges.

:func:`build` returns the root model and one dict of handles per panel; :func:`update`
pushes a new plan of the same layout into those handles, so a slider move redraws without
new figures. Figures are named ``ionsweep-figure-<panel>`` (a grid of them
``ionsweep-grid``), data sources ``ionsweep-data-<panel>`` (``ionsweep-data-<panel>-<line>``
for overlaid lines) and ``ionsweep-contour-<panel>``, so a browser test can read what is
plotted. Titles and axis labels hold store text: they are :class:`~bokeh.models.PlainText`,
which Bokeh never parses for TeX (a bare string with ``$$…$$`` would be typeset), and
tooltip values are escaped (:mod:`ionsweep.explorer._text`).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from bokeh.layouts import gridplot
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    FactorRange,
    FixedTicker,
    HoverTool,
    LayoutDOM,
    Legend,
    LegendItem,
    LinearColorMapper,
    PlainText,
    Range1d,
    Title,
    Whisker,
)
from bokeh.plotting import figure

from ionsweep.explorer._build import axis_values, coord_text
from ionsweep.explorer._columns import (
    bar_columns,
    contour_lines,
    heatmap_columns,
    heatmap_image,
    is_uniform,
    line_columns,
)
from ionsweep.explorer._plan import (
    NCOLS,
    PanelPlan,
    Plan,
    axis_label,
    label_rotation,
    line_colors,
    palette,
    value_label,
)
from ionsweep.explorer._text import html_text

__all__ = ["build", "tooltips", "update"]

_TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
_NUM = "{%.6g}"
_HEIGHT = 380


def _plain(text: str) -> PlainText:
    """Store text for a Bokeh title or axis label: drawn as it is, never parsed as TeX."""
    return PlainText(text=text)


def tooltips(da: xr.DataArray, ds: xr.Dataset, x: str, y: str | None = None) -> list:
    """Hover lines: the value with units, the x (and y) coordinate, every fixed coordinate.

    An image heatmap reports the pointer's coordinates (``$x``, ``$y``) in the hovered cell.
    """
    image = y is not None and _as_image(ds, x, y)
    px, py = ("$x", "$y") if image else ("@x", "@y")
    rows = [(value_label(da), ("@image" if image else "@value") + _NUM)]
    numeric_x = axis_values(ds, x)[0].dtype.kind in "fiu"
    rows.append((axis_label(ds, x), px + (_NUM if numeric_x else "")))
    if y is not None:
        rows.append((axis_label(ds, y), py + _NUM))
    for c in da.coords:  # labels are set as text; values are HTML templates: escaped
        if da[c].ndim == 0:
            rows.append((str(c), html_text(coord_text(da, str(c))[len(str(c)) + 3 :])))
    return rows


def _hover(da, ds, x, y=None) -> HoverTool:
    fields = ["@value", "@image", "@x", "@y", "$x", "$y"]
    return HoverTool(tooltips=tooltips(da, ds, x, y), formatters=dict.fromkeys(fields, "printf"))


def _figure(plan: Plan, ds: xr.Dataset, panel: PanelPlan, k: int, x_range, y_range):
    fig = figure(
        name=f"ionsweep-figure-{k}",
        title=Title(text=_plain(panel.title)),
        x_range=x_range,
        y_range=y_range,
        x_axis_type="log" if plan.x_log else ("auto" if plan.factors else "linear"),
        y_axis_type="log" if plan.y_log else "linear",
        x_axis_label=_plain(axis_label(ds, plan.x)),
        y_axis_label=_plain(axis_label(ds, plan.y) if plan.y else value_label(panel.da)),
        tools=_TOOLS,
        height=_height(plan),
        min_width=300,
        sizing_mode="stretch_width",
    )
    for axis, ticks in ((fig.xaxis, plan.x_ticks), (fig.yaxis, plan.y_ticks)):
        if ticks:  # 1-2-5 (or powers of ten) at both ends of the range, labelled plainly
            axis.ticker = FixedTicker(ticks=list(ticks), minor_ticks=_minor(ticks))
            axis.major_label_overrides = {t: f"{t:g}" for t in ticks}
    return fig


def _height(plan: Plan) -> int:
    """Figure height in px: the plot's, plus a line per extra line of the longest title."""
    return _HEIGHT + 16 * max(p.title.count("\n") for p in plan.panels)


def _minor(ticks) -> list[float]:
    lo, hi = np.floor(np.log10(min(ticks))) - 1, np.ceil(np.log10(max(ticks))) + 1
    return [float(m * 10**e) for e in np.arange(lo, hi + 1) for m in range(1, 10)]


def build(plan: Plan, ds: xr.Dataset) -> tuple[LayoutDOM, list[dict]]:
    """The figures of ``plan`` (one, or a grid with one toolbar) and each panel's handles.

    Panels share one x range (linked zoom and pan) and, when ``plan.shared``, one y range
    (lines, bars) or one colour mapper (heatmaps).
    """
    x_range = FactorRange(*plan.factors) if plan.factors else _range(plan.x_range)
    first = plan.panels[0]
    if plan.kind == "heatmap":
        y_shared = _range(plan.y_axis_range)
        mapper = _mapper(plan, first) if plan.shared else None
    else:
        y_shared = _range(first.y_range) if plan.shared else None
    figs, handles = [], []
    for k, p in enumerate(plan.panels):
        y_range = y_shared or _range(p.y_range)
        fig = _figure(plan, ds, p, k, x_range, y_range)
        h = {"fig": fig, "y_range": y_range}
        if plan.kind == "heatmap":
            h |= _heatmap(fig, plan, ds, p, k, mapper if plan.shared else _mapper(plan, p))
        elif plan.kind == "bars":
            h |= _bars(fig, plan, ds, p, k)
        else:
            h |= _lines(fig, plan, ds, p, k)
        figs.append(fig)
        handles.append(h)
    if len(figs) == 1:
        return figs[0], handles
    grid = gridplot(
        figs, ncols=NCOLS, merge_tools=True, toolbar_location="right", sizing_mode="stretch_width"
    )
    grid.name = "ionsweep-grid"
    return grid, handles


def _range(ends: tuple[float, float] | None) -> Range1d:
    if ends is None:
        raise ValueError("a numeric axis needs its extent")
    return Range1d(*ends)


def _colors(plan: Plan, panel: PanelPlan) -> dict:
    """The colour mapper's palette, low and high of a heatmap panel."""
    lo, hi = panel.color or (0.0, 1.0)
    return {"palette": palette(plan.cmap or "viridis"), "low": lo, "high": hi}


def _mapper(plan: Plan, panel: PanelPlan) -> LinearColorMapper:
    return LinearColorMapper(nan_color="#d9d9d9", **_colors(plan, panel))


def _heat_columns(plan: Plan, ds: xr.Dataset, da: xr.DataArray) -> tuple[bool, dict]:
    """Whether a heatmap is one image, and its columns."""
    x, y = plan.x, plan.y or ""
    image = _as_image(ds, x, y)
    return image, (heatmap_image if image else heatmap_columns)(da, ds, x, y)


def _line_sources(plan: Plan, ds, panel: PanelPlan, k: int) -> list[dict]:
    if plan.overlay is None:
        return [line_columns(panel.da, ds, plan.x)]
    parts = [panel.da.isel({plan.overlay: j}) for j in range(panel.da.sizes[plan.overlay])]
    return [line_columns(part, ds, plan.x) for part in parts]


def _lines(fig, plan: Plan, ds, panel: PanelPlan, k: int) -> dict:
    cols = _line_sources(plan, ds, panel, k)
    colors = line_colors(len(cols))
    sources, items = [], []
    for j, c in enumerate(cols):
        name = f"ionsweep-data-{k}" if plan.overlay is None else f"ionsweep-data-{k}-{j}"
        src = ColumnDataSource(c, name=name)
        line = fig.line("x", "value", source=src, line_width=2, color=colors[j])
        dots = fig.scatter("x", "value", source=src, size=5, color=colors[j])
        sources.append(src)
        if plan.overlay is not None:
            items.append(LegendItem(label=plan.overlay_labels[j], renderers=[line, dots]))
    if items:
        legend = Legend(items=items, title=plan.overlay, click_policy="hide")
        legend.label_text_font_size = legend.title_text_font_size = "11px"
        fig.add_layout(legend, "right")
    fig.add_tools(_hover(panel.da, ds, plan.x))
    return {"lines": sources}


def _heatmap(fig, plan: Plan, ds, panel: PanelPlan, k: int, mapper) -> dict:
    x, y, da = plan.x, plan.y or "", panel.da
    image, cols = _heat_columns(plan, ds, da)
    source = ColumnDataSource(cols, name=f"ionsweep-data-{k}")
    if image:  # one pixel per cell: fast for large slices
        fig.image(image="image", x="x", y="y", dw="dw", dh="dh", source=source, color_mapper=mapper)
    else:  # unevenly spaced coordinates: one quad per cell
        fig.quad(
            left="left",
            right="right",
            bottom="bottom",
            top="top",
            source=source,
            fill_color={"field": "value", "transform": mapper},
            line_color={"field": "value", "transform": mapper},  # no seams between cells
            line_width=0.5,
        )
    fig.grid.visible = False
    bar = ColorBar(color_mapper=mapper, title=_plain(value_label(da)), width=12)
    fig.add_layout(bar, "right")
    contour = ColumnDataSource(_contour(da, ds, x, y, plan), name=f"ionsweep-contour-{k}")
    fig.multi_line("xs", "ys", source=contour, line_color="black", line_width=2)
    fig.add_tools(_hover(da, ds, x, y))
    return {"data": source, "contour": contour, "mapper": mapper}


def _bars(fig, plan: Plan, ds, panel: PanelPlan, k: int) -> dict:
    """Bars over the categorical x with whiskers at value ± the confidence half-width."""
    source = ColumnDataSource(
        bar_columns(panel.da, ds, plan.x, panel.conf), name=f"ionsweep-data-{k}"
    )
    fig.vbar(x="x", top="value", width=0.7, source=source)
    if panel.conf is not None:
        whisker = Whisker(source=source, base="x", upper="upper", lower="lower", level="overlay")
        fig.add_layout(whisker)  # over the bar: the lower half shows, as in the PNG
    fig.xaxis.major_label_orientation = math.radians(label_rotation(source.data["x"]))
    fig.add_tools(_hover(panel.da, ds, plan.x))
    return {"data": source}


def _as_image(ds, x, y) -> bool:
    return is_uniform(axis_values(ds, x)[0]) and is_uniform(axis_values(ds, y)[0])


def _contour(da, ds, x, y, plan: Plan) -> dict:
    if plan.level is None:
        return {"xs": [], "ys": []}
    return contour_lines(da, ds, x, y, plan.level)


def update(handles: list[dict], plan: Plan, ds: xr.Dataset) -> None:
    """Show a new plan of the same layout in existing figures (no new models)."""
    x, y = plan.x, plan.y
    for k, (h, p) in enumerate(zip(handles, plan.panels, strict=True)):
        if plan.kind == "heatmap":
            h["data"].data = _heat_columns(plan, ds, p.da)[1]
            h["mapper"].update(**_colors(plan, p))
            h["contour"].data = _contour(p.da, ds, x, y or "", plan)
        elif plan.kind == "bars":
            h["data"].data = bar_columns(p.da, ds, x, p.conf)
        else:
            for src, cols in zip(h["lines"], _line_sources(plan, ds, p, k), strict=True):
                src.data = cols
        if p.y_range is not None:
            h["y_range"].update(start=p.y_range[0], end=p.y_range[1])
        h["fig"].title.text = _plain(p.title)
        h["fig"].height = _height(plan)  # a title of more lines: a new layout, not clipped
        h["fig"].select_one(HoverTool).tooltips = tooltips(p.da, ds, x, y)
