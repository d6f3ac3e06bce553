"""Zarr storage of sweep results: layout, manifest of finished chunks, provenance."""

from ionsweep.store._zarr import StoreError, open_results, summary

__all__ = ["StoreError", "open_results", "summary"]
