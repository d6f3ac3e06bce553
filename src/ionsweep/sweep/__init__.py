"""Sweeps: TOML spec → validated plan → chunked JAX evaluation into a zarr store."""

from importlib import import_module

from ionsweep.sweep._plan import Axis, Plan, PlanWarning, Reduction, SpecError

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

#: Public names defined in submodules that import the store layer, loaded on first use so
#: that ``ionsweep.store`` and ``ionsweep.sweep`` can import each other's modules in any
#: order.
_LAZY = {
    "run_sweep": "_api",
    "run_dask": "_dask",
    "RunResult": "_executor",
    "check_store": "_executor",
    "dry_run": "_executor",
    "parse_shard": "_executor",
    "run": "_executor",
    "load_spec": "_spec",
    "parse_spec": "_spec",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f"ionsweep.sweep.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ionsweep.sweep' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
