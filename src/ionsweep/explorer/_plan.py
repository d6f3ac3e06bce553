"""What one view shows, decided once for the screen (Bokeh) and the PNG (matplotlib).

:func:`make_plan` turns the displayed slice into a :class:`Plan`: one :class:`PanelPlan`
per facet value with its wrapped title, the value-axis range (shared by every panel, or
each its own), the colour scale of a heatmap (a diverging map centred on 0 for values of
both signs), the fixed ticks of log axes and the x factors of a categorical axis. Both
renderers draw the plan as it is, so the PNG shows what the screen shows.

Examples
--------
>>> log_ticks(0.01, 0.5)
(0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
>>> log_ticks(0.1, 316.0)
(0.1, 1.0, 10.0, 100.0)
>>> color_scale([-3.0, 1.0]), color_scale([1.0, 3.0])
(('RdBu_r', -3.0, 3.0), ('viridis', 1.0, 3.0))
>>> wrap_title("first-order Sobol index at output = dE_K, output_units = mV", 30)
'first-order Sobol index at\\noutput = dE_K, output_units =\\nmV'
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ionsweep.explorer._build import (
    axis_values,
    fixed_coords,
    is_log_spaced,
    is_numeric,
    slice_x,
    unit_text,
)
from ionsweep.explorer._columns import edges

__all__ = [
    "NCOLS",
    "PanelPlan",
    "Plan",
    "axis_label",
    "color_scale",
    "line_colors",
    "log_ticks",
    "make_plan",
    "padded",
    "palette",
    "value_label",
    "wrap_title",
]

#: Panels per row of a facet grid (screen and PNG).
NCOLS = 2
#: Characters per title line: one panel across the page, or one of a row of NCOLS.
_TITLE_WIDTH = {1: 100, NCOLS: 55}
_SIGNED, _SEQUENTIAL = "RdBu_r", "viridis"
_KEEP = "\u00a0"  # no-break space: joins the words of "name = value units" while wrapping


@dataclass(frozen=True)
class PanelPlan:
    """One panel: its slice, confidence half-widths, title and scales.

    Attributes
    ----------
    da : xarray.DataArray
        The panel's slice, dims ``(overlay, x)``, ``(y, x)`` or ``(x,)``.
    conf : xarray.DataArray or None
        Confidence half-widths of bars (same dims as ``da``).
    title : str
        Title wrapped into lines joined by ``"\\n"``.
    y_range : tuple of float or None
        Value axis (lines, bars), in the variable's units; None for a heatmap.
    color : tuple of float or None
        Low and high end of a heatmap's colour scale, in the variable's units.
    """

    da: xr.DataArray
    conf: xr.DataArray | None
    title: str
    y_range: tuple[float, float] | None
    color: tuple[float, float] | None


@dataclass(frozen=True)
class Plan:
    """A whole view: kind, axes, panels and what they share.

    Attributes
    ----------
    kind : str
        ``"lines"``, ``"heatmap"`` or ``"bars"``.
    x, y, overlay : str or None
        Dimensions on x, on y (heatmap) and drawn as coloured lines (overlay).
    panels : tuple of PanelPlan
        One per facet value (one without a facet).
    shared : bool
        All panels show the same value range (lines, bars) or colour scale (heatmap).
    cmap : str or None
        Matplotlib name of the heatmap's colour map (Bokeh gets the same colours).
    x_range, y_axis_range : tuple of float or None
        Numeric x extent; y extent of a heatmap (cell edges).
    x_log, y_log : bool
        Log axes (log-spaced coordinates).
    x_ticks, y_ticks : tuple of float or None
        Major ticks of a log axis (:func:`log_ticks`).
    factors : tuple of str or None
        Labels of a categorical x axis, in order.
    overlay_labels : tuple of str
        Legend labels of the overlaid lines, in order.
    level : float or None
        Contour ``|value| = level`` of a heatmap, in the variable's units.
    """

    kind: str
    x: str
    y: str | None
    overlay: str | None
    panels: tuple[PanelPlan, ...]
    shared: bool
    cmap: str | None
    x_range: tuple[float, float] | None
    y_axis_range: tuple[float, float] | None
    x_log: bool
    y_log: bool
    x_ticks: tuple[float, ...] | None
    y_ticks: tuple[float, ...] | None
    factors: tuple[str, ...] | None
    overlay_labels: tuple[str, ...]
    level: float | None = None


def axis_label(ds: xr.Dataset, dim: str) -> str:
    """``"c_out [mM]"``: a dimension's coordinate name and units (``bin_center [mV]`` for
    ``bin``, whose values are the slice's, :func:`~ionsweep.explorer._build.slice_x`)."""
    _, coord = axis_values(ds, dim)
    own = slice_x(ds, dim)
    coord = ds[own] if own else coord
    attrs = coord.attrs if coord is not None else {}
    units = unit_text(attrs.get("units", ""))
    name = dim if coord is None or coord.name == dim else str(coord.name)
    return f"{name} [{units}]" if units else name


def value_label(da: xr.DataArray) -> str:
    """``"E [mV]"``: a variable's name and units."""
    units = unit_text(da.attrs.get("units", ""))
    return f"{da.name} [{units}]" if units else str(da.name)


def log_ticks(lo: float, hi: float) -> tuple[float, ...]:
    """Major ticks of a log axis from ``lo`` to ``hi``: 1, 2 and 5 per decade when the
    range spans fewer than two decades, else the powers of ten inside it."""
    if not (0 < lo < hi and math.isfinite(hi)):
        return ()
    mantissas = (1, 2, 5) if hi / lo < 100 else (1,)
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in mantissas:
            t = float(f"{m}e{e}")  # exact decimal: 0.02, not 2 * 0.01
            if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9):
                out.append(t)
    return tuple(out)


def color_scale(values: ArrayLike) -> tuple[str, float, float]:
    """Colour map and its ends for ``values``: ``RdBu_r`` from −max|v| to +max|v| when the
    finite values have both signs, else ``viridis`` from min to max."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return _SEQUENTIAL, 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if lo < 0 < hi:
        m = max(-lo, hi)
        return _SIGNED, -m, m
    return (_SEQUENTIAL, lo, hi) if hi > lo else (_SEQUENTIAL, lo - 0.5, hi + 0.5)


def palette(name: str, n: int = 256) -> list[str]:
    """``n`` hex colours of the matplotlib colour map ``name`` (for a Bokeh colour mapper)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[name]
    return [to_hex(cmap(i / (n - 1))) for i in range(n)]


def label_rotation(labels: Sequence[object]) -> float:
    """Degrees to turn categorical x labels: 0 for a few short ones, 35 where they would
    run into each other (more than 6, or one longer than 12 characters)."""
    return 35.0 if len(labels) > 6 or max((len(str(v)) for v in labels), default=0) > 12 else 0.0


def wrap_title(text: str, width: int) -> str:
    """``text`` broken at spaces into lines of at most ``width`` characters (``"\\n"``);
    no break at a no-break space (U+00A0, shown as a space)."""
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace(_KEEP, " ")


def padded(lo: float, hi: float, frac: float = 0.05) -> tuple[float, float]:
    """``(lo, hi)`` widened by ``frac`` of its span on each side (±0.5 if empty)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi <= lo:
        return lo - 0.5, hi + 0.5
    d = frac * (hi - lo)
    return lo - d, hi + d


def _value_range(da: xr.DataArray, conf, kind: str) -> tuple[float, float]:
    v = np.asarray(da.values, np.float64)
    parts = [v]
    if conf is not None:
        c = np.asarray(conf.values, np.float64)
        parts += [v - c, v + c]
    if kind == "bars":
        parts.append(np.zeros(1))  # bars start at 0
    allv = np.concatenate([p.ravel() for p in parts])
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        return 0.0, 1.0
    return padded(float(allv.min()), float(allv.max()))


def _title(da: xr.DataArray, kind: str, conf, level, width: int) -> str:
    text = da.attrs.get("long_name") or str(da.name)
    fixed = ", ".join(c.replace(" ", _KEEP) for c in fixed_coords(da))  # "T = 20 °C" whole
    title = f"{text} at {fixed}" if fixed else text
    if kind == "bars" and conf is not None:
        title += " (whiskers: 95 % confidence interval)"
    if kind == "heatmap" and level is not None:
        title += f" — black line: |{da.name}| = {level:g}"
    return wrap_title(title, width)


def _axis(ds: xr.Dataset, dim: str, cells: bool, da: xr.DataArray):
    """Extent, log flag and log ticks of a numeric axis (cell edges of a heatmap; the
    slice's own values of a dimension without a coordinate of its own)."""
    own = slice_x(ds, dim)
    if own and own in da.coords and not cells:
        v = np.asarray(da[own].values, np.float64)
        v = v[np.isfinite(v)]
        return (padded(float(v.min()), float(v.max()), 0.02) if v.size else (0.0, 1.0)), False, None
    v = np.asarray(axis_values(ds, dim)[0], np.float64)
    log = is_log_spaced(v)
    if cells:
        e = edges(v, log)
        lo, hi = float(e.min()), float(e.max())
    elif log:
        span = math.log10(v.max() / v.min())
        lo, hi = float(v.min() / 10 ** (0.02 * span)), float(v.max() * 10 ** (0.02 * span))
    else:
        lo, hi = padded(float(v.min()), float(v.max()), 0.02)
    ticks = log_ticks(float(v.min()), float(v.max())) if log else None
    return (lo, hi), log, ticks


def make_plan(
    ds: xr.Dataset,
    kind: str,
    dims: dict,
    da: xr.DataArray,
    conf: xr.DataArray | None = None,
    level: float | None = None,
    shared: bool = True,
) -> Plan:
    """The plan of a view of the slice ``da`` (dims ``(facet, overlay or y, x)``).

    ``dims`` names the ``x``, ``y``, ``facet`` and ``overlay`` dimensions (None: absent);
    ``conf`` holds the confidence half-widths of bars, ``level`` the contour of a heatmap.
    """
    x: str = dims["x"]
    y, facet, overlay = (dims.get(k) for k in ("y", "facet", "overlay"))
    index = list(range(da.sizes[facet])) if facet else [None]
    width = _TITLE_WIDTH[NCOLS if facet else 1]
    parts = [(da if i is None else da.isel({facet: i}), _part(conf, facet, i)) for i in index]
    cmap, lo, hi = color_scale(da.values) if kind == "heatmap" else (None, 0.0, 1.0)
    value = _value_range(da, conf, kind) if kind != "heatmap" else None
    panels = []
    for p, c in parts:
        if kind == "heatmap":
            color, yr = ((lo, hi) if shared else _own_scale(p, cmap)), None
        else:
            color, yr = None, (value if shared else _value_range(p, c, kind))
        panels.append(PanelPlan(p, c, _title(p, kind, c, level, width), yr, color))
    numeric = is_numeric(ds, x)
    xr_, xlog, xt = _axis(ds, x, kind == "heatmap", da) if numeric else (None, False, None)
    yr_, ylog, yt = _axis(ds, y, True, da) if y else (None, False, None)
    factors = None if numeric else tuple(str(v) for v in axis_values(ds, x)[0])
    labels = tuple(str(v) for v in axis_values(ds, overlay)[0]) if overlay else ()
    return Plan(
        kind=kind,
        x=x,
        y=y,
        overlay=overlay,
        panels=tuple(panels),
        shared=shared,
        cmap=cmap,
        x_range=xr_,
        y_axis_range=yr_,
        x_log=xlog,
        y_log=ylog,
        x_ticks=xt,
        y_ticks=yt,
        factors=factors,
        overlay_labels=labels,
        level=level if kind == "heatmap" else None,
    )


def _own_scale(da: xr.DataArray, cmap) -> tuple[float, float]:
    """A panel's own colour scale in the view's colour map (symmetric if diverging)."""
    v = np.asarray(da.values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    if cmap == _SIGNED:
        m = float(np.abs(v).max()) or 1.0
        return -m, m
    return padded(float(v.min()), float(v.max()), 0.0)


def line_colors(n: int) -> list[str]:
    """Colours of ``n`` overlaid lines: matplotlib's ``tab10`` (Bokeh's Category10), cycled."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    tab = [to_hex(colormaps["tab10"](i)) for i in range(10)]
    return [tab[i % len(tab)] for i in range(n)]


def _part(conf, facet, i):
    return conf if conf is None or i is None else conf.isel({facet: i})
