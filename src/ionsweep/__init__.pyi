# The public names of ``ionsweep``: the one list of them. ``__init__.py`` reads this stub
# (lazy_loader's ``attach_stub``) and loads each name on first use, so that
# ``import ionsweep`` and the command line's ``--help`` do not import JAX, xarray or zarr;
# type checkers and IDEs read it as the module's interface.

from . import (
    activity as activity,
)
from . import (
    analysis as analysis,
)
from . import (
    constants as constants,
)
from . import (
    explorer as explorer,
)
from . import (
    models as models,
)
from . import (
    physics as physics,
)
from . import (
    plot as plot,
)
from . import (
    sensitivity as sensitivity,
)
from . import (
    store as store,
)
from . import (
    sweep as sweep,
)
from ._allocator import tune_cpu_allocator as tune_cpu_allocator
from ._ions import Ion as Ion
from ._ions import IonTable as IonTable
from ._ions import ions as ions
from ._units import TemperatureUnitWarning as TemperatureUnitWarning
from ._units import celsius as celsius
from .activity import (
    activity_coefficients as activity_coefficients,
)
from .activity import (
    activity_error as activity_error,
)
from .activity import (
    ghk_voltage_activity as ghk_voltage_activity,
)
from .activity import (
    liquid_junction_potential as liquid_junction_potential,
)
from .activity import (
    mean_activity_coefficient as mean_activity_coefficient,
)
from .activity import (
    nernst_activity as nernst_activity,
)
from .activity import (
    osmotic_coefficient as osmotic_coefficient,
)
from .analysis import (
    PermeabilityFit as PermeabilityFit,
)
from .analysis import (
    fit_permeability_ratios as fit_permeability_ratios,
)
from .constants import (
    FARADAY as FARADAY,
)
from .constants import (
    GAS_CONSTANT as GAS_CONSTANT,
)
from .constants import (
    ZERO_CELSIUS as ZERO_CELSIUS,
)
from .constants import (
    thermal_voltage as thermal_voltage,
)
from .explorer import view as view
from .physics import (
    donnan as donnan,
)
from .physics import (
    donnan_osmotic_imbalance as donnan_osmotic_imbalance,
)
from .physics import (
    driving_force as driving_force,
)
from .physics import (
    ghk_current as ghk_current,
)
from .physics import (
    ghk_voltage as ghk_voltage,
)
from .physics import (
    nernst as nernst,
)
from .physics import (
    pump_leak_steady_state as pump_leak_steady_state,
)
from .physics import (
    pump_leak_voltage as pump_leak_voltage,
)
from .store import open_results as open_results
from .sweep import run_sweep as run_sweep

__version__: str
