"""PNG of the current view, drawn on the server with matplotlib from the same slice.

The browser's own canvas export would need a browser on the server (Bokeh's
``export_png``); this draws the slice the app shows with :mod:`ionsweep.plot`, labelled
with the stored units, and needs nothing beyond matplotlib. Store text in titles and
labels is drawn as it is: mathtext and TeX are off while the figure is made and saved
(a ``$`` in a title is a dollar sign, and an unbalanced one is no error).
"""

from __future__ import annotations

import io

import xarray as xr

from ionsweep.explorer._build import Selection, fixed_coords, is_numeric

__all__ = ["slice_png"]


def slice_png(ds: xr.Dataset, sel: Selection, da: xr.DataArray, level=None, dpi=120) -> bytes:
    """PNG bytes of the slice ``da`` (as returned by ``take_slice(ds, sel)``).

    Heatmaps keep the contour ``|value| = level``; bars over a categorical axis carry the
    ``<var>_conf`` whiskers when the store has them; facets become panels.
    """
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw(ds, sel, da, level, dpi)


def _draw(ds: xr.Dataset, sel: Selection, da: xr.DataArray, level, dpi) -> bytes:
    from ionsweep import plot

    facets = [sel.facet] if sel.facet else None
    if sel.y is not None:
        fig = plot.heatmap(da, sel.x, sel.y, contour=level, facets=facets)
    elif is_numeric(ds, sel.x) and sel.x in da.coords and da.sizes[sel.x] > 1:
        fig = plot.lines(da, sel.x, facets=facets)
    else:
        fig = _bars(ds, sel, da)
    fixed = ", ".join(fixed_coords(da))
    if fixed and sel.y is None:
        fig.suptitle(fixed, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _bars(ds: xr.Dataset, sel: Selection, da: xr.DataArray):
    from matplotlib.figure import Figure

    from ionsweep.explorer._build import take_slice, unit_text
    from ionsweep.explorer._columns import bar_columns

    conf = None
    if f"{sel.var}_conf" in ds.data_vars:
        conf = take_slice(ds, Selection(f"{sel.var}_conf", sel.x, None, sel.facet, sel.index))
    panels = range(da.sizes[sel.facet]) if sel.facet else [None]
    fig = Figure(figsize=(6.4, 3.6 * len(panels)), layout="constrained")
    for k, i in enumerate(panels):
        part = da if i is None else da.isel({sel.facet: i})
        pc = conf if conf is None or i is None else conf.isel({sel.facet: i})
        cols = bar_columns(part, ds, sel.x, pc)
        ax = fig.add_subplot(len(panels), 1, k + 1)
        err = None if pc is None else [cols["value"] - cols["lower"], cols["upper"] - cols["value"]]
        ax.bar(cols["x"], cols["value"], yerr=err, capsize=3, color="C0")
        units = unit_text(da.attrs.get("units", ""))
        ax.set_ylabel(f"{da.name} [{units}]" if units else str(da.name))
        ax.set_title(", ".join(fixed_coords(part)), fontsize=9)
        ax.tick_params(axis="x", labelrotation=30)
    return fig
