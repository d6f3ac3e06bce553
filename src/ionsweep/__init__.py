"""ionsweep: membrane electrochemistry over huge parameter grids, with JAX.

Units everywhere: potentials in mV (V = φ_in − φ_out), concentrations in mM, temperatures in
K, permeabilities in cm/s (or relative), current densities in mA/cm² (outward positive).
"""

from importlib.metadata import PackageNotFoundError, version

from ionsweep import activity, plot, sensitivity
from ionsweep._allocator import tune_cpu_allocator
from ionsweep._ions import Ion, IonTable, ions
from ionsweep._units import TemperatureUnitWarning, celsius
from ionsweep.activity import (
    activity_coefficients,
    activity_error,
    ghk_voltage_activity,
    mean_activity_coefficient,
    nernst_activity,
    osmotic_coefficient,
)
from ionsweep.analysis import PermeabilityFit, fit_permeability_ratios
from ionsweep.constants import FARADAY, GAS_CONSTANT, ZERO_CELSIUS, thermal_voltage
from ionsweep.physics import (
    donnan,
    donnan_osmotic_imbalance,
    driving_force,
    ghk_current,
    ghk_voltage,
    nernst,
    pump_leak_steady_state,
    pump_leak_voltage,
)
from ionsweep.store import open_results
from ionsweep.sweep import run_sweep
from ionsweep.view import view  # the app itself (panel, bokeh) loads on first call

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
