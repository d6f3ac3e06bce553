"""ionsweep: membrane electrochemistry over huge parameter grids, with JAX.

Units everywhere: potentials in mV (V = φ_in − φ_out), concentrations in mM, temperatures in
K, permeabilities in cm/s (or relative), current densities in mA/cm² (outward positive).
"""

from importlib.metadata import PackageNotFoundError, version

from ionsweep._ions import Ion, IonTable, ions
from ionsweep.constants import FARADAY, GAS_CONSTANT, ZERO_CELSIUS, thermal_voltage
from ionsweep.physics import (
    donnan,
    donnan_osmotic_imbalance,
    driving_force,
    ghk_current,
    ghk_voltage,
    nernst,
    pump_leak_voltage,
)

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
    "__version__",
    "donnan",
    "donnan_osmotic_imbalance",
    "driving_force",
    "ghk_current",
    "ghk_voltage",
    "ions",
    "nernst",
    "pump_leak_voltage",
    "thermal_voltage",
]
