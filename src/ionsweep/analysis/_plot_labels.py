"""Text of figures and the data they show: axis labels ``"long name [units]"`` from store
attributes, coordinate values as written in titles, the selection of coordinates by value
(exact labels, nearest numbers) with the text of the grid values actually used, and store
text drawn as plain text (never mathtext).
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Mapping

import numpy as np
import xarray as xr

__all__ = ["label", "select", "selection_text", "store_text_as_text", "unit_text", "value_text"]


_UNIT_TEXT = {"degC": "°C", "1": "dimensionless", "": ""}


def store_text_as_text(draw):
    """Make ``draw``'s figure with mathtext and TeX off: its titles and labels are store
    text (anyone's), so a ``$`` in them is a dollar sign, never markup and never an error.
    Text the caller adds to the returned figure afterwards follows their own settings."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
            return draw(*args, **kwargs)

    return wrapper


def unit_text(units: str) -> str:
    """Units as printed on an axis (``degC`` → ``°C``, ``1`` → ``dimensionless``)."""
    return _UNIT_TEXT.get(units, units)


def label(
    obj: xr.DataArray | xr.Dataset | object, name: str | None = None, width: int | None = None
) -> str:
    """Axis label ``"long name [units]"`` from a DataArray's or coordinate's attributes.

    ``width`` wraps the label onto lines of at most that many characters.

    >>> import xarray as xr
    >>> label(xr.DataArray([1.0], attrs={"long_name": "potential", "units": "mV"}))
    'potential [mV]'
    """
    attrs = getattr(obj, "attrs", {})
    text = attrs.get("long_name") or name or getattr(obj, "name", None) or ""
    units = str(attrs.get("units", ""))
    if units == "1":
        out = f"{text} (dimensionless)"
    else:
        out = f"{text} [{unit_text(units)}]" if units else str(text)
    return textwrap.fill(out, width, break_long_words=False) if width else out


def value_text(da: xr.DataArray, dim: str, value, with_dim: bool = True) -> str:
    """A value of coordinate ``dim`` as written in a title: ``dim = 35 °C``, ``ion = K+``."""
    units = unit_text(str(da[dim].attrs.get("units", "")))
    prefix = f"{dim} = " if with_dim else ""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a scalar coordinate's values
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str | np.str_):
        return f"{prefix}{value}"
    suffix = f" {units}" if units and units != "dimensionless" else ""
    return f"{prefix}{float(value):.4g}{suffix}"


def select(data: xr.DataArray, sel: Mapping | None) -> xr.DataArray:
    """``data`` at the coordinates in ``sel``: exact labels, nearest numbers.

    Values given as text (from a command line) are converted to numbers for numeric
    coordinates; a dimension not in ``data`` raises ValueError naming it, and so does a
    number outside the grid's range (naming the range). The grid value actually used stays
    as a scalar coordinate; :func:`selection_text` writes it for a title.

    >>> import xarray as xr
    >>> T = xr.DataArray([1.0, 2.0], dims="celsius", name="E",
    ...                  coords={"celsius": ("celsius", [35.0, 40.0], {"units": "degC"})})
    >>> selection_text(select(T, {"celsius": "37"}), {"celsius": "37"})
    'celsius = 35 °C (nearest grid value to 37)'
    """
    for dim, value in (sel or {}).items():
        if dim not in data.dims:
            raise ValueError(
                f"cannot select {dim}={value}: {data.name!r} has dims {list(data.dims)}"
            )
        coord = data[dim]
        if coord.dtype.kind in "fiu":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{dim} is numeric; cannot select {value!r}") from None
            _check_range(coord, dim, number)
            data = data.sel({dim: number}, method="nearest")
        else:
            labels = [str(v) for v in coord.values]
            if str(value) not in labels:
                raise ValueError(f"{dim} has no label {value!r}; labels: {', '.join(labels)}")
            data = data.isel({dim: labels.index(str(value))})
    return data


def _check_range(coord: xr.DataArray, dim: str, number: float) -> None:
    values = np.asarray(coord.values, np.float64)
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    slack = 1e-9 * max(abs(lo), abs(hi), 1.0)
    if not lo - slack <= number <= hi + slack:
        units = unit_text(str(coord.attrs.get("units", "")))
        units = f" {units}" if units and units != "dimensionless" else ""
        raise ValueError(
            f"{dim} = {number:g} is outside the grid: {dim} runs from {lo:.4g} to "
            f"{hi:.4g}{units} ({values.size} values)"
        )


def selection_text(da: xr.DataArray, sel: Mapping | None) -> str:
    """The coordinates selected from ``sel`` as actually used: ``celsius = 35 °C (nearest
    grid value to 37)`` where the grid has no value equal to the request."""
    parts = []
    for dim, asked in (sel or {}).items():
        if dim not in da.coords or da[dim].ndim != 0:
            continue
        text = value_text(da, dim, da[dim].values)
        if da[dim].dtype.kind in "fiu":
            got, want = float(da[dim].values), float(asked)
            if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
                text += f" (nearest grid value to {want:g})"
        parts.append(text)
    return "; ".join(parts)
