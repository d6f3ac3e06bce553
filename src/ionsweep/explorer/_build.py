"""What the explorer shows, as pure functions of a Dataset (no browser, no Panel).

The app asks these functions which quantities and statistics a store offers
(:func:`quantities`), which axes to start with (:func:`default_axes`), takes the displayed
slice (:func:`take_slice`, reading only that slice from disk) and turns it into files
(:func:`slice_csv`, :func:`slice_netcdf`); :mod:`ionsweep.explorer._columns` turns it into the
columns of a plot.

Examples
--------
>>> import numpy as np, xarray as xr
>>> ds = xr.Dataset(
...     {"E": (("c_out", "celsius"), np.zeros((3, 2)), {"units": "mV", "long_name": "E"})},
...     coords={"c_out": ("c_out", [1.0, 10.0, 100.0], {"units": "mM"}),
...             "celsius": ("celsius", [20.0, 30.0], {"units": "degC"})})
>>> quantities(ds)
{'E': {'value': 'E'}}
>>> default_axes(ds, "E")
('c_out', 'celsius')
>>> is_log_spaced(ds.c_out.values), is_log_spaced(ds.celsius.values)
(True, False)
"""

from __future__ import annotations

import io
import re
import tomllib
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ionsweep._stats import STATISTICS

__all__ = [
    "Selection",
    "axis_values",
    "coord_text",
    "default_axes",
    "fixed_coords",
    "is_log_spaced",
    "is_numeric",
    "quantities",
    "slice_csv",
    "slice_netcdf",
    "slice_x",
    "store_kind",
    "take_slice",
    "unit_text",
    "var_label",
]

_UNITS = {"degC": "°C", "1": "", "dimensionless": ""}
#: Reduce-mode statistics: variable-name suffix -> label in the statistic selector.
_STATS = {k: s.label for k, s in STATISTICS.items() if s.final is not None} | {"hist": "histogram"}
_STAT_RE = re.compile(r"^(?P<base>.+)_(?P<stat>min|max|mean|std|hist|count|arg(?:min|max)_.+)$")


def unit_text(units) -> str:
    """Units as shown in the app (``degC`` → ``°C``; dimensionless → empty).

    >>> unit_text("degC"), unit_text("1"), unit_text("mV")
    ('°C', '', 'mV')
    """
    return _UNITS.get(str(units), str(units))


def var_label(obj, name: str | None = None) -> str:
    """``"name — long name [units]"`` of a variable or coordinate (units omitted if none)."""
    attrs = getattr(obj, "attrs", {})
    name = name or str(getattr(obj, "name", ""))
    long = attrs.get("long_name")
    units = unit_text(attrs.get("units", ""))
    text = f"{name} — {long}" if long and long != name else name
    return f"{text} [{units}]" if units else text


def store_kind(ds: xr.Dataset) -> str:
    """``"sweep"``, ``"reduce"`` or ``"sensitivity"`` from the store's ``ionsweep_mode``."""
    mode = str(ds.attrs.get("ionsweep_mode", "store"))
    if mode.startswith("reduce"):
        return "reduce"
    return "sensitivity" if mode == "sensitivity" else "sweep"


def _spec_outputs(ds: xr.Dataset) -> list[str]:
    """The outputs named in the stored spec (``[outputs] variables``), if readable."""
    try:
        spec = tomllib.loads(str(ds.attrs.get("ionsweep_spec", "")))
    except tomllib.TOMLDecodeError:
        return []
    return [str(v) for v in spec.get("outputs", {}).get("variables", [])]


def quantities(ds: xr.Dataset) -> dict[str, dict[str, str]]:
    """Quantity -> {statistic label: variable name}: spec outputs first, then by name.

    A sweep or sensitivity store offers each variable with the one statistic ``"value"``
    (``valid`` and the ``*_conf`` half-widths of sensitivity indices are not offered on
    their own). A reduce-mode store groups ``V_rev_min``, ``V_rev_max``, ``V_rev_mean``,
    ``V_rev_std``, ``V_rev_hist``, ``V_rev_count`` and ``V_rev_argmax_P_Na`` under
    ``V_rev`` with the statistics ``min``, ``max``, ``mean``, ``std``, ``histogram``,
    ``count`` and ``argmax P_Na``.
    """
    names = [str(n) for n in ds.data_vars]
    out: dict[str, dict[str, str]] = {}
    kind = store_kind(ds)
    bases = set(_spec_outputs(ds)) if kind == "reduce" else set()
    for name in names:
        if name == "valid" or (name.endswith("_conf") and name[:-5] in names):
            continue
        m = _STAT_RE.match(name) if kind == "reduce" else None
        if m and (m["base"] in bases or not bases):
            stat = m["stat"]
            label = _STATS.get(stat) or stat.replace("_", " ", 1)
            out.setdefault(m["base"], {})[label] = name
        else:
            out.setdefault(name, {})["value"] = name
    first = _spec_outputs(ds) + ["S1", "ST", "mu_star", "sigma", "histogram", "quantiles"]
    rank = {name: i for i, name in enumerate(first)}
    order = sorted(out, key=lambda q: (rank.get(q, len(rank)), q))
    return {q: dict(sorted(out[q].items(), key=lambda kv: _stat_rank(kv[0]))) for q in order}


def _stat_rank(label: str) -> tuple:
    known = ["value", "min", "max", "mean", "std", "histogram", "count"]
    return (known.index(label) if label in known else len(known), label)


def is_numeric(ds: xr.Dataset, dim: str) -> bool:
    """Whether ``dim`` has numeric values (its coordinate, or none: positions)."""
    values, _ = axis_values(ds, dim)
    return values.dtype.kind in "fiu"


def axis_values(ds: xr.Dataset, dim: str) -> tuple[np.ndarray, xr.DataArray | None]:
    """The values along ``dim`` and the coordinate holding them.

    The dimension coordinate if there is one; else a numeric coordinate along ``dim`` alone
    (a histogram's ``bin_center`` along ``bin``); else the positions 0, 1, 2, ... (None).
    """
    if dim in ds.coords:
        return np.asarray(ds[dim].values), ds[dim]
    for name, c in ds.coords.items():
        if c.dims == (dim,) and c.dtype.kind in "fiu":
            return np.asarray(c.values), ds[name]
    return np.arange(ds.sizes[dim]), None


def slice_x(ds: xr.Dataset, dim: str) -> str | None:
    """A numeric coordinate over ``dim`` and other dimensions, for a ``dim`` without values
    of its own: a Monte Carlo histogram's ``bin_center`` over ``(output, bin)``, which a
    slice at one output holds along ``bin``. None where ``dim`` has its own values."""
    if axis_values(ds, dim)[1] is not None:
        return None
    for name, c in ds.coords.items():
        if dim in c.dims and c.ndim > 1 and c.dtype.kind in "fi":
            return str(name)
    return None


def is_log_spaced(values) -> bool:
    """True for positive values in geometric progression spanning more than a factor 10.

    >>> is_log_spaced(np.logspace(-1, 2.5, 71)), is_log_spaced([1.0, 2.0, 3.0])
    (True, False)
    """
    v = np.asarray(values)
    if v.dtype.kind not in "fiu" or v.size < 3:
        return False
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        return False
    r = v[1:] / v[:-1]
    return bool(np.allclose(r, r[0], rtol=1e-3) and abs(r[0] - 1) > 1e-6 and v.max() / v.min() > 10)


def default_axes(ds: xr.Dataset, var: str) -> tuple[str, str | None]:
    """The x and y dimensions to start with: the longest numeric ones (y None if only one).

    A histogram's bin dimension and a sensitivity store's ``parameter`` go on x first.
    """
    dims = [str(d) for d in ds[var].dims]
    first = [d for d in dims if d.endswith("_bin") or d in ("bin", "parameter", "quantile")]
    if first:
        return first[0], None
    numeric = sorted(
        (d for d in dims if is_numeric(ds, d) and ds.sizes[d] > 1),
        key=lambda d: -ds.sizes[d],
    )
    if not numeric:
        return dims[0], None
    return numeric[0], (numeric[1] if len(numeric) > 1 else None)


@dataclass(frozen=True)
class Selection:
    """One view of one variable: axes, facet, the index along every other dimension.

    Attributes
    ----------
    var : str
        Variable name in the store.
    x : str
        Dimension on the horizontal axis.
    y : str or None
        Dimension on the vertical axis of a heatmap; None draws lines.
    facet : str or None
        Categorical dimension drawn as one panel per value; None selects one value.
    index : dict
        Position along each remaining dimension (missing ones: 0).
    mask_valid : bool
        Hide points whose ``valid`` flag is 0 (reads ``valid`` too; outputs of undefined
        points are NaN already).
    overlay : str or None
        Categorical dimension drawn as one coloured line per value (lines only).
    """

    var: str
    x: str
    y: str | None = None
    facet: str | None = None
    index: dict = field(default_factory=dict)
    mask_valid: bool = True
    overlay: str | None = None


def take_slice(ds: xr.Dataset, sel: Selection) -> xr.DataArray:
    """The displayed slice, read from disk: dims ``(facet, overlay, y, x)`` present, rest
    fixed.

    Only the chunks covering the slice are read. The fixed dimensions stay as scalar
    coordinates (for hover text, titles and exports). With ``mask_valid`` and a ``valid``
    variable over the same dims, points with ``valid == 0`` become NaN.
    """
    da = ds[sel.var]
    shown = [d for d in (sel.facet, sel.overlay, sel.y, sel.x) if d is not None]
    for d in shown:
        if d not in da.dims:
            raise KeyError(
                f"{d!r} is not a dimension of {sel.var} ({', '.join(map(str, da.dims))})"
            )
    fixed = {d: int(sel.index.get(d, 0)) for d in da.dims if d not in shown}
    out = da.isel(fixed).load()
    if sel.mask_valid and "valid" in ds.data_vars and set(ds["valid"].dims) <= set(da.dims):
        valid = ds["valid"].isel({d: i for d, i in fixed.items() if d in ds["valid"].dims})
        out = out.where(valid.load() != 0)
        out.attrs = dict(da.attrs)
    out = out.transpose(*shown)
    aux = [c for c in ds.coords if c not in out.coords and set(ds[c].dims) <= set(fixed)]
    for c in aux:  # zip-axis members (c_in along ion) at the chosen position
        out = out.assign_coords({c: ds[c].isel({d: fixed[d] for d in ds[c].dims})})
    return out


def coord_text(da: xr.DataArray, name: str, value=None) -> str:
    """``"celsius = 37 °C"``: a coordinate's (scalar) value with its units."""
    c = da[name]
    value = c.values if value is None else value
    value = value.item() if hasattr(value, "item") else value
    units = unit_text(c.attrs.get("units", ""))
    if isinstance(value, str):
        return f"{name} = {value}"
    return f"{name} = {value:.6g}" + (f" {units}" if units else "")


def fixed_coords(da: xr.DataArray) -> list[str]:
    """Texts of every scalar coordinate of a slice (the fixed dims and their zip members)."""
    return [coord_text(da, str(c)) for c in da.coords if da[c].ndim == 0]


def slice_csv(da: xr.DataArray) -> str:
    """The slice as CSV: one row per point, a column per shown dim, the value, and the
    fixed coordinates; units in the header (``E [mV]``)."""
    name = str(da.name or "value")
    df = da.to_dataframe(name=name).reset_index()
    df.columns = [_inert(_header(da, str(c), name)) for c in df.columns]
    for col in df.columns:
        if df[col].dtype.kind in "OUT":
            df[col] = [_inert(str(v)) for v in df[col]]
    return df.to_csv(index=False)


def _inert(text: str) -> str:
    """Store text as a spreadsheet shows it, never as a formula: a cell that a spreadsheet
    would evaluate (``=``, ``+``, ``-``, ``@``, tab or carriage return first) gets a
    leading ``'`` (OWASP's advice on CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _header(da: xr.DataArray, col: str, name: str) -> str:
    attrs = da.attrs if col == name else (da[col].attrs if col in da.coords else {})
    units = unit_text(attrs.get("units", ""))
    return f"{col} [{units}]" if units else col


def slice_netcdf(da: xr.DataArray, ds: xr.Dataset) -> bytes:
    """The slice as a netCDF (classic, via scipy) file: the variable with its attributes and
    coordinates, and the store's title and spec."""
    name = str(da.name or "value")
    out = da.to_dataset(name=name)
    for c in list(out.coords):
        if out[c].dtype.kind == "U":  # netCDF3 has no strings: fixed-width chars
            out[c] = out[c].astype("S")
    out.attrs = {
        k: str(ds.attrs[k]) for k in ("title", "ionsweep_spec", "ionsweep_model") if k in ds.attrs
    }
    buf = io.BytesIO(out.to_netcdf(engine="scipy"))
    return buf.getvalue()
