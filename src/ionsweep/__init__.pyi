# The public names of ``ionsweep``: the one list of them. ``__init__.py`` reads this stub
# (lazy_loader's ``attach_stub``) and loads each name on first use, so that
# ``import ionsweep`` and the command line's ``--help`` do not import JAX, xarray or zarr;
# type checkers and IDEs read it as the module's interface.

from . import (
    activity as activity,
    analysis as analysis,
    constants as constants,
    explorer as explorer,
    models as models,
    physics as physics,
    plot as plot,
    sensitivity as sensitivity,
    store as store,
    sweep as sweep,
)
from ._allocator import tune_cpu_allocator as tune_cpu_allocator
from ._ions import Ion as Ion, IonTable as IonTable, ions as ions
from ._units import TemperatureUnitWarning as TemperatureUnitWarning, celsius as celsius
from .activity import (
    activity_coefficients as activity_coefficients,
    activity_error as activity_error,
    ghk_voltage_activity as ghk_voltage_activity,
    liquid_junction_potential as liquid_junction_potential,
    mean_activity_coefficient as mean_activity_coefficient,
    nernst_activity as nernst_activity,
    osmotic_coefficient as osmotic_coefficient,
)
from .analysis import (
    PermeabilityFit as PermeabilityFit,
    fit_permeability_ratios as fit_permeability_ratios,
)
from .constants import (
    FARADAY as FARADAY,
    GAS_CONSTANT as GAS_CONSTANT,
    ZERO_CELSIUS as ZERO_CELSIUS,
    thermal_voltage as thermal_voltage,
)
from .explorer import view as view
from .physics import (
    donnan as donnan,
    donnan_osmotic_imbalance as donnan_osmotic_imbalance,
    driving_force as driving_force,
    ghk_current as ghk_current,
    ghk_voltage as ghk_voltage,
    nernst as nernst,
    pump_leak_steady_state as pump_leak_steady_state,
    pump_leak_voltage as pump_leak_voltage,
)
from .store import open_results as open_results
from .sweep import run_sweep as run_sweep

__version__: str
