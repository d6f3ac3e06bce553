"""Sweeps: TOML spec → validated plan → chunked JAX evaluation into a zarr store."""

from ionsweep.sweep._api import run_sweep
from ionsweep.sweep._dask import run_dask
from ionsweep.sweep._dry_run import dry_run
from ionsweep.sweep._executor import RunResult, check_store, parse_shard, run
from ionsweep.sweep._plan import Axis, Plan, PlanWarning, Reduction, SpecError
from ionsweep.sweep._spec import load_spec, parse_spec

__all__ = [
    "Axis",
    "Plan",
    "Reduction",
    "RunResult",
    "PlanWarning",
    "SpecError",
    "check_store",
    "dry_run",
    "load_spec",
    "parse_spec",
    "parse_shard",
    "run",
    "run_dask",
    "run_sweep",
]
