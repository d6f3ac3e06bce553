"""Open a result as an :class:`xarray.Dataset`: an ionsweep store, or a netCDF file written
from one (``ds.to_netcdf``), read the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from ionsweep._errors import StoreError
from ionsweep.store._attrs import cf_attrs, encode_attrs
from ionsweep.store._read import FORMAT, store_kind

if TYPE_CHECKING:
    import os


__all__ = ["open_results"]


def open_results(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a result as a lazy (dask-backed) :class:`xarray.Dataset`.

    Parameters
    ----------
    path : str or Path
        A store directory written by ``ionsweep run`` or ``ionsweep sensitivity``, or a
        netCDF file written from one with :meth:`xarray.Dataset.to_netcdf`.

    Returns
    -------
    xarray.Dataset
        Variables carry ``units`` and ``long_name`` attributes (CF: no ``units`` on text
        coordinates such as ``ion`` and on flag variables such as ``valid``, whose
        ``flag_values``/``flag_meanings`` name their values); the root attributes carry
        the spec, versions, backend, dtype and timings. Every attribute is one that netCDF
        holds, so ``ds.to_netcdf(...)`` writes the result with any engine (netcdf4,
        h5netcdf, scipy): tables and lists are JSON text, booleans the integers 0 and 1
        (``ionsweep.store.decode_attrs(ds.attrs)`` gives their Python values).
        ``attrs["ionsweep_complete"]`` is 1 when every chunk has been written (unwritten
        points read as NaN), else 0. The integer ``{dim}_code`` twins of text coordinates,
        stored for readers without a text type, are left out (plain ``xr.open_zarr``
        shows them).

    Raises
    ------
    StoreError
        ``path`` is neither an ionsweep store nor a netCDF file of ionsweep results.

    Examples
    --------
    >>> import ionsweep
    >>> ds = ionsweep.open_results("quickstart.zarr")  # doctest: +SKIP
    >>> ds.to_netcdf("quickstart.nc")  # doctest: +SKIP
    >>> ionsweep.open_results("quickstart.nc").identical(ds)  # doctest: +SKIP
    True
    """
    ds = _open_file(Path(path)) if Path(path).is_file() else _open_store(path)
    # Integer twins of text coordinates serve readers without a text type (tensorstore);
    # here the labels themselves are read.
    twins = [f"{d}_code" for d in ds.dims if f"{d}_code" in ds.coords and d in ds.coords]
    ds = ds.drop_vars(twins)
    for v in ds.variables.values():
        v.attrs = cf_attrs(v.attrs, v.dtype, typed_flags=True)
    ds.attrs = encode_attrs(ds.attrs)  # a store written before attributes were encoded
    return ds


def _open_store(path: str | os.PathLike[str]) -> xr.Dataset:
    kind = store_kind(path)
    if kind == "missing":
        raise StoreError(f"{path} is not an ionsweep store (no such directory)")
    if kind != "ionsweep":
        raise StoreError(f"{path} is not an ionsweep store (no ionsweep zarr.json and manifest)")
    consolidated = "consolidated_metadata" in json.loads((Path(path) / "zarr.json").read_text())
    try:  # consolidated metadata lists the variables in the spec's order
        return xr.open_zarr(str(path), consolidated=consolidated)
    except (ValueError, KeyError, OSError) as exc:
        raise StoreError(f"{path}: cannot be read as a dataset: {exc}") from None


def _open_file(path: Path) -> xr.Dataset:
    """A netCDF file of ionsweep results (its ``ionsweep_format`` attribute)."""
    try:
        ds = xr.open_dataset(path, chunks={})
    except (ValueError, OSError) as exc:
        raise StoreError(f"{path} is not an ionsweep store nor a netCDF file: {exc}") from None
    if ds.attrs.get("ionsweep_format") != FORMAT:
        ds.close()
        raise StoreError(f"{path} is a file without ionsweep results (no ionsweep_format)")
    return ds
