"""The columns of the explorer's plots, as pure functions of a slice (no browser, no
Bokeh): points of a line (:func:`line_columns`), one quad per cell or one image of a heatmap
(:func:`heatmap_columns`, :func:`heatmap_image`), the contour |value| = level
(:func:`contour_lines`) and bars with confidence intervals (:func:`bar_columns`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ionsweep.explorer._build import axis_values, is_log_spaced, slice_x

__all__ = [
    "bar_columns",
    "contour_lines",
    "edges",
    "heatmap_columns",
    "heatmap_image",
    "is_uniform",
    "line_columns",
]


def line_columns(da: xr.DataArray, ds: xr.Dataset, x: str) -> dict:
    """Columns of a line plot of the 1-D slice ``da`` over ``x``: ``x``, ``value``. The
    slice's own coordinate along ``x`` (:func:`~ionsweep.explorer._build.slice_x`) gives
    the positions where the store has none along ``x`` alone."""
    own = slice_x(ds, x)
    values = da[own].values if own in da.coords and da[own].ndim == 1 else axis_values(ds, x)[0]
    if values.dtype.kind not in "fiu":
        values = np.asarray([str(v) for v in values])
    return {"x": values, "value": np.asarray(da.values, np.float64)}


def edges(values, log: bool) -> np.ndarray:
    """Cell edges around centres ``values`` (midpoints; geometric midpoints if ``log``)."""
    v = np.log(np.asarray(values, np.float64)) if log else np.asarray(values, np.float64)
    if v.size == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = 0.5 * (v[1:] + v[:-1])
        e = np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    return np.exp(e) if log else e


def heatmap_columns(da: xr.DataArray, ds: xr.Dataset, x: str, y: str) -> dict:
    """Columns of a heatmap of the 2-D slice ``da`` (dims ``(y, x)``) as one quad per cell:
    ``left``, ``right``, ``bottom``, ``top`` (edges), ``x``, ``y`` (centres), ``value``.
    Log-spaced axes get geometric edges."""
    xv = np.asarray(axis_values(ds, x)[0], np.float64)
    yv = np.asarray(axis_values(ds, y)[0], np.float64)
    xe, ye = edges(xv, is_log_spaced(xv)), edges(yv, is_log_spaced(yv))
    ny, nx = yv.size, xv.size
    ix, iy = np.tile(np.arange(nx), ny), np.repeat(np.arange(ny), nx)
    return {
        "left": xe[ix],
        "right": xe[ix + 1],
        "bottom": ye[iy],
        "top": ye[iy + 1],
        "x": xv[ix],
        "y": yv[iy],
        "value": np.asarray(da.values, np.float64).reshape(-1),
    }


def is_uniform(values) -> bool:
    """Evenly spaced, linearly or (log-spaced) geometrically: one image pixel per cell.

    >>> is_uniform([1.0, 2.0, 3.0]), is_uniform([1.0, 10.0, 100.0]), is_uniform([1.0, 0.9, 0.75])
    (True, True, False)
    """
    v = np.asarray(values)
    if v.dtype.kind not in "fiu" or v.size < 2:
        return v.dtype.kind in "fiu"
    d = np.diff(v.astype(np.float64))
    return bool(np.allclose(d, d[0], rtol=1e-3, atol=0) or is_log_spaced(v))


def heatmap_image(da: xr.DataArray, ds: xr.Dataset, x: str, y: str) -> dict:
    """The 2-D slice ``da`` (dims ``(y, x)``) as one image over evenly spaced axes:
    ``image`` (one array), ``x``, ``y`` (lower-left corner), ``dw``, ``dh`` (extent).

    On a log axis a log-spaced coordinate is evenly spaced on screen, so its cells are the
    image's pixels there too.
    """
    xv = np.asarray(axis_values(ds, x)[0], np.float64)
    yv = np.asarray(axis_values(ds, y)[0], np.float64)
    xe, ye = edges(xv, is_log_spaced(xv)), edges(yv, is_log_spaced(yv))
    values = np.asarray(da.values)
    dtype = np.float32 if values.dtype == np.float32 else np.float64  # float32: half the bytes
    img = values.astype(dtype, copy=False).reshape(yv.size, xv.size)
    if xe[0] > xe[-1]:  # decreasing coordinate: flip to increasing
        xe, img = xe[::-1], img[:, ::-1]
    if ye[0] > ye[-1]:
        ye, img = ye[::-1], img[::-1, :]
    return {
        "image": [img],
        "x": [xe[0]],
        "y": [ye[0]],
        "dw": [xe[-1] - xe[0]],
        "dh": [ye[-1] - ye[0]],
    }


def contour_lines(da: xr.DataArray, ds: xr.Dataset, x: str, y: str, level: float) -> dict:
    """Lines where ``|da| = level`` on the 2-D slice (dims ``(y, x)``): ``{"xs", "ys"}``.

    Contours are traced in the axes' own scale (log10 of a log-spaced coordinate), so a
    line drawn on log axes passes through the same cells as the data.
    """
    import contourpy

    xv = np.asarray(axis_values(ds, x)[0], np.float64)
    yv = np.asarray(axis_values(ds, y)[0], np.float64)
    lx, ly = is_log_spaced(xv), is_log_spaced(yv)
    z = np.abs(np.asarray(da.values, np.float64))
    if z.shape != (yv.size, xv.size) or min(z.shape) < 2:
        return {"xs": [], "ys": []}
    gen = contourpy.contour_generator(
        np.log10(xv) if lx else xv, np.log10(yv) if ly else yv, np.ma.masked_invalid(z)
    )
    xs, ys = [], []
    for line in gen.lines(float(level)):
        pts = np.asarray(line)  # (n, 2) points of one line
        xs.append(10 ** pts[:, 0] if lx else pts[:, 0])
        ys.append(10 ** pts[:, 1] if ly else pts[:, 1])
    return {"xs": xs, "ys": ys}


def bar_columns(da: xr.DataArray, ds: xr.Dataset, x: str, conf: xr.DataArray | None) -> dict:
    """Columns of a bar chart over the categorical ``x``: ``x`` (labels), ``value``,
    ``lower``, ``upper`` (value ∓ the confidence half-width ``conf``, else value)."""
    labels = [str(v) for v in axis_values(ds, x)[0]]
    value = np.asarray(da.values, np.float64)
    half = np.zeros_like(value) if conf is None else np.asarray(conf.values, np.float64)
    return {"x": labels, "value": value, "lower": value - half, "upper": value + half}
