"""The Panel app: controls built from a store's metadata around Bokeh figures of one slice.

Changing the variable, statistic, axes or facet builds new figures; moving a slider (or
the contour level, or the ``valid`` mask) reads the new slice and pushes it into the
existing figures' data sources.
"""

from __future__ import annotations

import io
from dataclasses import replace

import panel as pn
import xarray as xr

from ionsweep.explorer import _figures
from ionsweep.explorer._build import (
    Selection,
    axis_values,
    default_axes,
    fixed_coords,
    is_log_spaced,
    is_numeric,
    quantities,
    slice_csv,
    slice_netcdf,
    store_kind,
    take_slice,
    unit_text,
    var_label,
)
from ionsweep.explorer._plan import Plan, make_plan
from ionsweep.explorer._text import html_text

__all__ = ["Explorer"]

_NONE = ""
_MAX_FACETS = 8
_MAX_OVERLAY = 10
_SHARED, _OWN = "shared", "independent"


def _fmt(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    return str(value) if isinstance(value, str) else f"{value:.6g}"


class Explorer:
    """Explore one result Dataset: ``Explorer(ds).layout`` is the Panel object.

    Parameters
    ----------
    ds : xarray.Dataset
        A store opened with :func:`ionsweep.open_results` (lazy; only shown slices are read).
    """

    def __init__(self, ds: xr.Dataset):
        self.ds = ds
        self.kind = store_kind(ds)
        self.quantities = quantities(ds)
        if not self.quantities:
            raise ValueError("the store has no variables to show")
        self._dim_widgets: dict[str, pn.widgets.Widget] = {}
        self._shape: tuple | None = None
        self._panels: list[dict] = []
        self._building = False
        self._make_widgets()
        self.plots = pn.Column(sizing_mode="stretch_width")
        self.status = pn.pane.HTML("", css_classes=["ionsweep-status"])
        self.layout = pn.Row(
            self._sidebar(),
            pn.Column(self.plots, self.status, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        self._on_quantity()

    # --- controls ---------------------------------------------------------------------

    def _make_widgets(self) -> None:
        ds = self.ds
        labels = {}
        for q, stats in self.quantities.items():
            first = ds[next(iter(stats.values()))]
            labels[var_label(first, q) if list(stats) == ["value"] else self._stat_label(q)] = q
        self.quantity = pn.widgets.Select(label="Variable", options=labels, width=280)
        self.stat = pn.widgets.Select(label="Statistic", options=[], width=280)
        self.x = pn.widgets.Select(label="x axis", options=[], width=280)
        self.y = pn.widgets.Select(label="y axis (heatmap)", options=[], width=280)
        self.facet = pn.widgets.Select(label="Facet: one panel per value", options=[], width=280)
        self.scale = pn.widgets.Select(
            label="Facet scale (y range, colours)",
            options={"shared by all panels": _SHARED, "each panel its own": _OWN},
            value=_SHARED,
            width=280,
        )
        self.overlay = pn.widgets.Select(
            label="Overlay: one coloured line per value", options=[], width=280
        )
        self.contour = pn.widgets.FloatInput(
            label="Contour where |value| =", value=None, placeholder="none", width=280
        )
        self.mask = pn.widgets.Checkbox(
            label="Hide points with valid = 0", value=False, visible="valid" in ds.data_vars
        )
        self.dims_box = pn.Column(width=300)
        self.csv = pn.widgets.FileDownload(
            callback=self._csv, filename="slice.csv", label="CSV", color="light", width=88
        )
        self.netcdf = pn.widgets.FileDownload(
            callback=self._netcdf,
            filename="slice.nc",
            label="netCDF",
            color="light",
            width=88,
        )
        self.png = pn.widgets.FileDownload(
            callback=self._png, filename="view.png", label="PNG", color="light", width=88
        )
        self.quantity.param.watch(lambda e: self._on_quantity(), "value")
        self.stat.param.watch(lambda e: self._on_structure(reset_axes=True), "value")
        for w in (self.x, self.y, self.facet, self.overlay, self.scale):
            w.param.watch(lambda e: self._on_structure(), "value")
        for w in (self.contour, self.mask):
            w.param.watch(lambda e: self.redraw(), "value")

    def _stat_label(self, q: str) -> str:
        units = next(
            (
                self.ds[v].attrs.get("units")
                for v in self.quantities[q].values()
                if self.ds[v].attrs.get("units") not in (None, "1")
            ),
            "",
        )
        return f"{q} — statistics [{unit_text(units)}]" if units else f"{q} — statistics"

    def _sidebar(self) -> pn.Column:
        self.dims_head = pn.pane.Markdown("**Other dimensions**", width=300)
        self.export_head = pn.pane.Markdown("**Export**: current view (PNG) or slice", width=300)
        a = self.ds.attrs
        sizes = " × ".join(f"{d} {n}" for d, n in self.ds.sizes.items())
        head = (  # store text: escaped, never Markdown (its links survive escaping)
            f"<h3>{html_text(a.get('title') or 'ionsweep results')}</h3>"
            f"<p>{self.kind} store · model <code>{html_text(a.get('ionsweep_model', '?'))}"
            f"</code> · {html_text(sizes)}</p>"
        )
        return pn.Column(
            pn.pane.HTML(head, width=300),
            self.quantity,
            self.stat,
            self.x,
            self.y,
            self.overlay,
            self.facet,
            self.scale,
            self.contour,
            self.mask,
            self.dims_head,
            self.dims_box,
            self.export_head,
            pn.Row(self.png, self.csv, self.netcdf),
            width=320,
        )

    @property
    def var(self) -> str:
        stats = self.quantities[self.quantity.value]
        return stats.get(self.stat.value) or next(iter(stats.values()))

    def _on_quantity(self) -> None:
        stats = list(self.quantities[self.quantity.value])
        self._building = True
        self.stat.options = stats
        self.stat.value = "mean" if "mean" in stats else stats[0]
        self.stat.visible = stats != ["value"]
        self._building = False
        self._on_structure(reset_axes=True)

    def _on_structure(self, reset_axes: bool = False) -> None:
        """Axes, facet and sliders consistent with the variable, then new figures."""
        if self._building:
            return
        self._building = True
        try:
            self._set_axes(reset_axes)
        finally:
            self._building = False
        self._shape = None
        self.redraw()

    def _set_axes(self, reset: bool) -> None:
        ds, da = self.ds, self.ds[self.var]
        dims = [str(d) for d in da.dims]
        shown = (self.x, self.dims_head, self.export_head, self.png, self.csv, self.netcdf)
        for w in shown:  # a number: no axes, no other dimensions, no export
            w.visible = bool(dims)
        if not dims:
            for w in (self.y, self.facet, self.scale, self.overlay, self.contour):
                w.visible = False
            self.dims_box.objects = []
            return
        x0, y0 = default_axes(ds, self.var)
        x = self.x.value if not reset and self.x.value in dims else x0
        self.x.options = {_label(ds, d): d for d in dims}
        self.x.value = x
        heat = [d for d in dims if d != x and is_numeric(ds, d) and is_numeric(ds, x)]
        if not reset and (self.y.value in heat or self.y.value == _NONE):
            y = self.y.value
        else:
            y = y0 if y0 in heat else _NONE
        self.y.options = {"(none: lines)": _NONE, **{_label(ds, d): d for d in heat}}
        self.y.value = y
        self.y.visible = bool(heat)
        f, o = self._set_groups([d for d in dims if d not in (x, y) and not is_numeric(ds, d)])
        self.contour.visible = bool(y)
        placed = (x, y, f, o)
        self.dims_box.objects = [self._dim_widget(d) for d in dims if d not in placed]

    def _set_groups(self, cats: list[str]) -> tuple[str, str]:
        """Facet and overlay choices among the categorical dims ``cats`` (never the same)."""
        lines = not self.y.value and is_numeric(self.ds, self.x.value)
        over = [d for d in cats if self.ds.sizes[d] <= _MAX_OVERLAY] if lines else []
        o = self.overlay.value if self.overlay.value in over else _NONE
        facets = [d for d in cats if self.ds.sizes[d] <= _MAX_FACETS and d != o]
        f = self.facet.value if self.facet.value in facets else _NONE
        self.overlay.options = {"(none)": _NONE, **{d: d for d in over if d != f}}
        self.overlay.value = o
        self.overlay.visible = bool(over)
        self.facet.options = {"(none)": _NONE, **{d: d for d in facets}}
        self.facet.value = f
        self.facet.visible = bool(facets)
        self.scale.visible = bool(f)
        return f, o

    def _dim_widget(self, dim: str) -> pn.widgets.Widget:
        if dim in self._dim_widgets:
            return self._dim_widgets[dim]
        values, coord = axis_values(self.ds, dim)
        units = unit_text(coord.attrs.get("units", "")) if coord is not None else ""
        name = f"{dim} [{units}]" if units else dim
        options = {_fmt(v): i for i, v in enumerate(values)}
        if values.dtype.kind in "fiu" and len(values) > 1:
            # Panel draws a discrete slider's label and value as HTML; a select's are text.
            options = {html_text(k): i for k, i in options.items()}
            w = pn.widgets.DiscreteSlider(
                label=html_text(name), options=options, value=0, width=280
            )
        else:
            w = pn.widgets.Select(label=name, options=options, value=0, width=280)
        w.param.watch(lambda e: self.redraw(), "value")
        self._dim_widgets[dim] = w
        return w

    # --- data and figures ---------------------------------------------------------------

    def selection(self) -> Selection:
        """The current choice of variable, axes, facet and slider positions."""
        return Selection(
            var=self.var,
            x=self.x.value,
            y=self.y.value or None,
            facet=self.facet.value or None,
            index={d: w.value for d, w in self._dim_widgets.items()},
            mask_valid=bool(self.mask.value),
            overlay=self.overlay.value or None,
        )

    def current_slice(self) -> xr.DataArray:
        """The displayed slice, read from the store (dims facet, y, x)."""
        return take_slice(self.ds, self.selection())

    def plan(self) -> Plan:
        """What the current view shows (read from the store): the screen's and the PNG's."""
        return self._view()[0]

    def _view(self) -> tuple[Plan, xr.DataArray]:
        ds, sel = self.ds, self.selection()
        da = take_slice(ds, sel)
        conf, conf_name = None, f"{sel.var}_conf"
        if conf_name in ds.data_vars and not is_numeric(ds, sel.x) and sel.y is None:
            conf = take_slice(ds, replace(sel, var=conf_name))
        kind = "heatmap" if sel.y else ("lines" if is_numeric(ds, sel.x) else "bars")
        dims = {"x": sel.x, "y": sel.y, "facet": sel.facet, "overlay": sel.overlay}
        shared = self.scale.value == _SHARED
        return make_plan(ds, kind, dims, da, conf, self.contour.value, shared), da

    def redraw(self) -> None:
        """Read the current slice and show it (new figures only when the layout changed)."""
        if self._building:
            return
        if self.ds[self.var].ndim == 0:
            self._show_numbers()
            return
        sel = self.selection()
        plan, da = self._view()
        conf = plan.panels[0].conf is not None
        key = (sel.var, sel.x, sel.y, sel.facet, sel.overlay, plan.kind, plan.shared, conf)
        if self._shape != key:
            root, self._panels = _figures.build(plan, self.ds)
            self._shape = key
            self.plots.objects = [pn.pane.Bokeh(root, sizing_mode="stretch_width")]
        else:
            _figures.update(self._panels, plan, self.ds)
        self.status.object = self._status(da, sel)

    def _show_numbers(self) -> None:
        """Statistics over every axis are numbers: the quantity's as a table (escaped)."""
        rows = []
        for label, name in self.quantities[self.quantity.value].items():
            v = self.ds[name]
            if v.ndim == 0:
                units = unit_text(v.attrs.get("units", ""))
                value = html_text(f"{_fmt(v.values)} {units}".strip())
                rows.append(f"<tr><th>{html_text(label)}</th><td>{value}</td></tr>")
        self._shape = None
        self.plots.objects = [pn.pane.HTML(f"<table>{''.join(rows)}</table>")]
        what = self.ds[self.var].attrs.get("long_name") or self.var
        self.status.object = html_text(f"{what}: one number over every point of the grid")

    def _status(self, da: xr.DataArray, sel: Selection) -> str:
        import numpy as np

        v = np.asarray(da.values, np.float64)
        finite = v[np.isfinite(v)]
        units = unit_text(da.attrs.get("units", ""))
        shape = " × ".join(f"{d} {n}" for d, n in da.sizes.items())
        if finite.size:
            rng = f"min {finite.min():.6g} {units} · max {finite.max():.6g} {units}"
        else:
            rng = "no finite values"
        logs = [d for d in (sel.x, sel.y) if d and is_log_spaced(axis_values(self.ds, d)[0])]
        log = f" · log axis: {', '.join(logs)}" if logs else ""
        fixed = ", ".join(fixed_coords(da))
        at = f" at {fixed}" if fixed else ""
        rest = f"{at}: {shape} points · {finite.size} finite · {rng}{log}"
        return f"slice of <b>{html_text(da.name)}</b>{html_text(rest)}"  # HTML: escaped

    # --- exports ------------------------------------------------------------------------

    def _csv(self):
        return io.StringIO(slice_csv(self.current_slice()))

    def _netcdf(self):
        return io.BytesIO(slice_netcdf(self.current_slice(), self.ds))

    def _png(self):
        from ionsweep.explorer._png import plan_png

        return io.BytesIO(plan_png(self.plan(), self.ds))


def _label(ds: xr.Dataset, dim: str) -> str:
    values, coord = axis_values(ds, dim)
    units = unit_text(coord.attrs.get("units", "")) if coord is not None else ""
    return f"{dim} [{units}]" if units else dim
