"""Zarr storage of sweep results: layout, manifest of finished chunks, provenance; opening
a store (or a netCDF file written from one) with netCDF-safe attributes."""

from ionsweep.store._attrs import decode_attrs, encode_attrs
from ionsweep.store._open import open_results
from ionsweep.store._summary import summary
from ionsweep.store._zarr import StoreError

__all__ = ["StoreError", "decode_attrs", "encode_attrs", "open_results", "summary"]
