"""ionsweep: membrane electrochemistry over huge parameter grids, with JAX.

Units everywhere: potentials in mV (V = φ_in − φ_out), concentrations in mM, temperatures in
K, permeabilities in cm/s (or relative), current densities in mA/cm² (outward positive).
"""

import importlib
import importlib.util
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from ionsweep._ions import Ion, IonTable, ions

# Public names load on first use (PEP 562), so that `import ionsweep` and the command line's
# `--help` do not import JAX, xarray or zarr. Name -> module defining it (a module's own name
# for the subpackages `activity`, `plot` and `sensitivity`).
_LAZY = {
    "activity": "ionsweep.activity",
    "plot": "ionsweep.plot",
    "sensitivity": "ionsweep.sensitivity",
    "tune_cpu_allocator": "ionsweep._allocator",
    "TemperatureUnitWarning": "ionsweep._units",
    "celsius": "ionsweep._units",
    **dict.fromkeys(
        (
            "activity_coefficients",
            "activity_error",
            "ghk_voltage_activity",
            "liquid_junction_potential",
            "mean_activity_coefficient",
            "nernst_activity",
            "osmotic_coefficient",
        ),
        "ionsweep.activity",
    ),
    "PermeabilityFit": "ionsweep.analysis",
    "fit_permeability_ratios": "ionsweep.analysis",
    **dict.fromkeys(
        ("FARADAY", "GAS_CONSTANT", "ZERO_CELSIUS", "thermal_voltage"), "ionsweep.constants"
    ),
    **dict.fromkeys(
        (
            "donnan",
            "donnan_osmotic_imbalance",
            "driving_force",
            "ghk_current",
            "ghk_voltage",
            "nernst",
            "pump_leak_steady_state",
            "pump_leak_voltage",
        ),
        "ionsweep.physics",
    ),
    "open_results": "ionsweep.store",
    "run_sweep": "ionsweep.sweep",
    "view": "ionsweep.view",  # the app itself (panel, bokeh) loads on first call
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        # A subpackage used as an attribute (`ionsweep.physics.nernst`), as when every
        # subpackage was imported eagerly.
        if name.startswith("_") or importlib.util.find_spec(f"ionsweep.{name}") is None:
            raise AttributeError(f"module 'ionsweep' has no attribute {name!r}")
        return importlib.import_module(f"ionsweep.{name}")
    mod = importlib.import_module(module)
    value = mod if module == f"ionsweep.{name}" and name != "view" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Keeps ``ionsweep.view`` the function once the ``ionsweep.view`` subpackage is imported.

    Importing a submodule sets it as an attribute of its package; for ``view``, whose
    function shares the subpackage's name, the function stays the public face (as when it
    was imported eagerly here).
    """

    def __setattr__(self, name: str, value) -> None:
        if name == "view" and isinstance(value, types.ModuleType):
            value = value.view
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # the names above, for type checkers and IDEs
    from ionsweep import activity, plot, sensitivity
    from ionsweep._allocator import tune_cpu_allocator
    from ionsweep._units import TemperatureUnitWarning, celsius
    from ionsweep.activity import (
        activity_coefficients,
        activity_error,
        ghk_voltage_activity,
        liquid_junction_potential,
        mean_activity_coefficient,
        nernst_activity,
        osmotic_coefficient,
    )
    from ionsweep.analysis import PermeabilityFit, fit_permeability_ratios
    from ionsweep.constants import FARADAY, GAS_CONSTANT, ZERO_CELSIUS, thermal_voltage
    from ionsweep.physics import (
        donnan_osmotic_imbalance,
        driving_force,
        ghk_current,
        ghk_voltage,
        pump_leak_steady_state,
        pump_leak_voltage,
    )
    from ionsweep.physics.donnan import donnan  # (ionsweep.physics.donnan is also a module)
    from ionsweep.physics.nernst import nernst
    from ionsweep.store import open_results
    from ionsweep.sweep import run_sweep
    from ionsweep.view import view

try:
    __version__ = version("ionsweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "ZERO_CELSIUS",
    "Ion",
    "IonTable",
    "PermeabilityFit",
    "TemperatureUnitWarning",
    "__version__",
    "activity",
    "activity_coefficients",
    "activity_error",
    "celsius",
    "donnan",
    "donnan_osmotic_imbalance",
    "driving_force",
    "fit_permeability_ratios",
    "ghk_current",
    "ghk_voltage",
    "ghk_voltage_activity",
    "ions",
    "liquid_junction_potential",
    "mean_activity_coefficient",
    "nernst",
    "nernst_activity",
    "open_results",
    "osmotic_coefficient",
    "plot",
    "pump_leak_steady_state",
    "pump_leak_voltage",
    "run_sweep",
    "sensitivity",
    "thermal_voltage",
    "tune_cpu_allocator",
    "view",
]
