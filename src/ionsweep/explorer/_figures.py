"""Bokeh figures of a slice: lines, heatmap with contour, bars with confidence intervals.

Each ``*_figure`` function returns ``(figure, sources)``; :func:`update` pushes a new slice
of the same shape into those sources, so a slider move redraws without new figures.
Data sources are named ``ionsweep-data-<panel>`` (and ``ionsweep-contour-<panel>``) so a
browser test can read what is plotted. Titles and axis labels hold store text: they are
:class:`~bokeh.models.PlainText`, which Bokeh never parses for TeX (a bare string with
``$$…$$`` would be typeset), and tooltip values are escaped (:mod:`ionsweep.explorer._text`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    FactorRange,
    HoverTool,
    LinearColorMapper,
    PlainText,
    Title,
    Whisker,
)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from ionsweep.explorer._build import axis_values, coord_text, is_log_spaced, unit_text
from ionsweep.explorer._columns import (
    bar_columns,
    contour_lines,
    heatmap_columns,
    heatmap_image,
    is_uniform,
    line_columns,
)
from ionsweep.explorer._text import html_text

__all__ = ["bars_figure", "heatmap_figure", "line_figure", "tooltips", "update"]

_TOOLS = "pan,wheel_zoom,box_zoom,reset"
_NUM = "{%.6g}"


def _plain(text: str) -> PlainText:
    """Store text for a Bokeh title or axis label: drawn as it is, never parsed as TeX."""
    return PlainText(text=text)


def _axis_label(ds: xr.Dataset, dim: str) -> str:
    _, coord = axis_values(ds, dim)
    attrs = coord.attrs if coord is not None else {}
    units = unit_text(attrs.get("units", ""))
    name = dim if coord is None or coord.name == dim else str(coord.name)
    return f"{name} [{units}]" if units else name


def _value_label(da: xr.DataArray) -> str:
    units = unit_text(da.attrs.get("units", ""))
    return f"{da.name} [{units}]" if units else str(da.name)


def tooltips(da: xr.DataArray, ds: xr.Dataset, x: str, y: str | None = None) -> list:
    """Hover lines: the value with units, the x (and y) coordinate, every fixed coordinate.

    An image heatmap reports the pointer's coordinates (``$x``, ``$y``) in the hovered cell.
    """
    image = y is not None and _as_image(ds, x, y)
    px, py = ("$x", "$y") if image else ("@x", "@y")
    rows = [(_value_label(da), ("@image" if image else "@value") + _NUM)]
    numeric_x = axis_values(ds, x)[0].dtype.kind in "fiu"
    rows.append((_axis_label(ds, x), px + (_NUM if numeric_x else "")))
    if y is not None:
        rows.append((_axis_label(ds, y), py + _NUM))
    for c in da.coords:  # labels are set as text; values are HTML templates: escaped
        if da[c].ndim == 0:
            rows.append((str(c), html_text(coord_text(da, str(c))[len(str(c)) + 3 :])))
    return rows


def _hover(da, ds, x, y=None) -> HoverTool:
    fields = ["@value", "@image", "@x", "@y", "$x", "$y"]
    return HoverTool(tooltips=tooltips(da, ds, x, y), formatters=dict.fromkeys(fields, "printf"))


def _figure(ds, x, y, title, *, x_range=None, **kw):
    xv = axis_values(ds, x)[0]
    if x_range is not None:
        kw["x_range"] = x_range
    return figure(
        title=Title(text=_plain(title)),
        x_axis_type="log" if is_log_spaced(xv) and x_range is None else "linear",
        y_axis_type="log" if y is not None and is_log_spaced(axis_values(ds, y)[0]) else "linear",
        x_axis_label=_plain(_axis_label(ds, x)),
        tools=_TOOLS,
        height=380,
        sizing_mode="stretch_width",
        **kw,
    )


def line_figure(da: xr.DataArray, ds: xr.Dataset, x: str, title: str, panel: int = 0):
    """Line and markers of the 1-D slice ``da`` over the numeric ``x``."""
    source = ColumnDataSource(line_columns(da, ds, x), name=f"ionsweep-data-{panel}")
    fig = _figure(ds, x, None, title, y_axis_label=_plain(_value_label(da)))
    fig.line("x", "value", source=source, line_width=2)
    fig.scatter("x", "value", source=source, size=5)
    fig.add_tools(_hover(da, ds, x))
    return fig, {"data": source}


def heatmap_figure(
    da: xr.DataArray,
    ds: xr.Dataset,
    x: str,
    y: str,
    title: str,
    panel: int = 0,
    *,
    level: float | None = None,
    limits: tuple[float, float] | None = None,
):
    """One quad per cell of the 2-D slice ``da`` (dims ``(y, x)``), colour bar with units,
    and the line ``|value| = level`` in black."""
    image = _as_image(ds, x, y)
    cols = heatmap_image(da, ds, x, y) if image else heatmap_columns(da, ds, x, y)
    source = ColumnDataSource(cols, name=f"ionsweep-data-{panel}")
    lo, hi = limits or _limits(da)
    mapper = LinearColorMapper(palette=Viridis256, low=lo, high=hi, nan_color="#d9d9d9")
    fig = _figure(ds, x, y, title, y_axis_label=_plain(_axis_label(ds, y)))
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
    fig.x_range.range_padding = fig.y_range.range_padding = 0
    fig.grid.visible = False
    bar = ColorBar(color_mapper=mapper, title=_plain(_value_label(da)), width=12)
    fig.add_layout(bar, "right")
    contour = ColumnDataSource(_contour(da, ds, x, y, level), name=f"ionsweep-contour-{panel}")
    fig.multi_line("xs", "ys", source=contour, line_color="black", line_width=2)
    fig.add_tools(_hover(da, ds, x, y))
    return fig, {"data": source, "contour": contour, "mapper": mapper}


def bars_figure(da: xr.DataArray, ds: xr.Dataset, x: str, title: str, panel: int = 0, conf=None):
    """Bars over the categorical ``x`` with whiskers at value ± ``conf`` (if given)."""
    cols = bar_columns(da, ds, x, conf)
    source = ColumnDataSource(cols, name=f"ionsweep-data-{panel}")
    fig = _figure(ds, x, None, title, x_range=FactorRange(*cols["x"]))
    fig.yaxis.axis_label = _plain(_value_label(da))
    fig.vbar(x="x", top="value", width=0.7, source=source)
    if conf is not None:
        fig.add_layout(Whisker(source=source, base="x", upper="upper", lower="lower"))
    fig.xaxis.major_label_orientation = 0.6
    fig.add_tools(_hover(da, ds, x))
    return fig, {"data": source}


def _as_image(ds, x, y) -> bool:
    return is_uniform(axis_values(ds, x)[0]) and is_uniform(axis_values(ds, y)[0])


def _limits(da: xr.DataArray) -> tuple[float, float]:
    v = np.asarray(da.values, np.float64)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _contour(da, ds, x, y, level) -> dict:
    if level is None:
        return {"xs": [], "ys": []}
    return contour_lines(da, ds, x, y, level)


def update(fig, sources: dict, da: xr.DataArray, ds: xr.Dataset, shape: dict) -> None:
    """Show a new slice of the same layout in an existing figure (no new models)."""
    x, y, kind = shape["x"], shape["y"], shape["kind"]
    if kind == "heatmap":
        image = _as_image(ds, x, y)
        cols = heatmap_image(da, ds, x, y) if image else heatmap_columns(da, ds, x, y)
        sources["data"].data = cols
        lo, hi = shape.get("limits") or _limits(da)
        sources["mapper"].update(low=lo, high=hi)
        sources["contour"].data = _contour(da, ds, x, y, shape.get("level"))
    elif kind == "bars":
        sources["data"].data = bar_columns(da, ds, x, shape.get("conf"))
    else:
        sources["data"].data = line_columns(da, ds, x)
    fig.title.text = _plain(shape["title"])
    hover = fig.select_one(HoverTool)
    hover.tooltips = tooltips(da, ds, x, y)
