"""Zarr storage of sweep results: layout, manifest of finished chunks, provenance."""

from ionsweep.store._summary import summary
from ionsweep.store._zarr import StoreError, open_results

__all__ = ["StoreError", "open_results", "summary"]
