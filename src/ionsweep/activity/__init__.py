"""Activity coefficients: ionic strength, single-ion models, and activity-corrected potentials.

Models (registry order, :data:`MODELS`): ``"ideal"``, ``"debye_huckel"`` (limiting law),
``"extended_debye_huckel"`` (Kielland's å), ``"truesdell_jones"`` (WATEQ å, b),
``"davies"`` (c = 0.3; ``"davies_0.2"`` for c = 0.2) and ``"pitzer"`` (parameter
sets ``"phreeqc"`` — the default, PHREEQC's ``pitzer.dat`` — and ``"hmw84"``, or any
PHREEQC database read with :func:`read_phreeqc_pitzer`; ``"pitzer:hmw84"`` names model and
set). Every model is a pure JAX function ``(names, molality, T) -> ln γ``;
:func:`log_gamma` picks one by name and :func:`log_gamma_indexed` by a traced integer index
(one kernel for a model sweep axis; :func:`select_model` is that dispatch for any
evaluation). :func:`ionic_strength` and :func:`delta_E` (the activity error of a Nernst
potential from ln γ) are the one implementation of each quantity.

Units: molality mol/kg of water, concentrations mM, temperature K, potentials mV. The
Debye–Hückel constants follow T through the density and permittivity of water, valid
0–100 °C at 1 atm. :func:`validity_range` gives each model's stated range (temperature,
ionic strength), which ``calc`` warns about and sweeps flag (``valid`` = 2).

>>> import ionsweep
>>> g = ionsweep.activity.activity_coefficients("davies", {"K+": 0.1, "Cl-": 0.1}, 298.15)
>>> round(float(g["K+"]), 3)
0.781

:func:`activity_coefficients` called on concrete values runs as one cached compiled program
per model, parameter set and list of ions (see ``ionsweep._eager``).
"""

from collections.abc import Mapping
from functools import partial

from ionsweep._eager import eager as _eager
from ionsweep.activity._coefficients import (
    activity_coefficients,
    mean_activity_coefficient,
    osmotic_coefficient,
)
from ionsweep.activity._composition import (
    NEUTRALITY_RTOL,
    canonical_names as _canonical_names,
    charge_imbalance,
    check_composition as _check_composition,
    check_temperature as _check_temperature,
    ionic_strength,
    mM_to_molality,
    molality_to_mM,
    parse_salt,
)
from ionsweep.activity._corrected import ghk_voltage_activity, nernst_activity
from ionsweep.activity._debye_huckel import (
    log10_gamma_davies,
    log10_gamma_debye_huckel,
    log10_gamma_extended_debye_huckel,
    log10_gamma_truesdell_jones,
    nernst_davies,
)
from ionsweep.activity._error import activity_error, delta_E
from ionsweep.activity._junction import (
    henderson_terms,
    liquid_junction_potential,
    relative_mobility,
)
from ionsweep.activity._models import (
    log_gamma_davies,
    log_gamma_davies_1938,
    log_gamma_debye_huckel,
    log_gamma_extended_debye_huckel,
    log_gamma_ideal,
    log_gamma_truesdell_jones,
)
from ionsweep.activity._phreeqc import read_phreeqc_pitzer
from ionsweep.activity._pitzer import PitzerTemperatureWarning, check_pitzer_temperature
from ionsweep.activity._pitzer_params import PitzerParameters
from ionsweep.activity._pitzer_sets import (
    BUILTIN_SETS,
    DEFAULT_SET,
    pitzer_parameters,
    split_model as _split_model,
)
from ionsweep.activity._registry import (
    MODELS,
    get_activity_model,
    ion_form,
    log_gamma,
    log_gamma_indexed,
    model_index,
    registered_models,
    select_model,
    validity_range,
)
from ionsweep.activity._validity import ValidityRange
from ionsweep.physics._water import (
    debye_huckel_A,
    debye_huckel_Aphi,
    debye_huckel_B,
    water_density,
    water_permittivity,
)


def _concrete_checks(model, molality, T, *, parameters=None, convention="unscaled",
                     neutrality_rtol=NEUTRALITY_RTOL):  # fmt: skip
    """:func:`activity_coefficients`' checks of concrete values, in its order, before its
    compiled program; the Pitzer temperature warning after it (once the inputs passed)."""
    names = _canonical_names(list(molality))
    _check_composition(molality, "molality", neutrality_rtol)
    _check_temperature(T)
    if isinstance(model, str) and (model == "pitzer" or model.startswith("pitzer:")):
        params = parameters if model == "pitzer" else _split_model(model)[1]
        return partial(check_pitzer_temperature, names, T, params)
    return None


def _not_a_composition(model, molality, *args, **kwargs) -> bool:
    """A ``molality`` that is no non-empty mapping: the kernel refuses it itself."""
    return not isinstance(molality, Mapping) or not molality


activity_coefficients = _eager(
    activity_coefficients,
    static_argnames=("model", "parameters", "convention"),
    check=_concrete_checks,
    bypass=_not_a_composition,
    module=__name__,
)

__all__ = [
    "BUILTIN_SETS",
    "DEFAULT_SET",
    "MODELS",
    "PitzerParameters",
    "pitzer_parameters",
    "read_phreeqc_pitzer",
    "NEUTRALITY_RTOL",
    "PitzerTemperatureWarning",
    "ValidityRange",
    "activity_coefficients",
    "activity_error",
    "charge_imbalance",
    "check_pitzer_temperature",
    "debye_huckel_A",
    "debye_huckel_Aphi",
    "debye_huckel_B",
    "delta_E",
    "get_activity_model",
    "ghk_voltage_activity",
    "henderson_terms",
    "ion_form",
    "ionic_strength",
    "liquid_junction_potential",
    "log10_gamma_davies",
    "log10_gamma_debye_huckel",
    "log10_gamma_extended_debye_huckel",
    "log10_gamma_truesdell_jones",
    "nernst_davies",
    "log_gamma",
    "log_gamma_davies",
    "log_gamma_davies_1938",
    "log_gamma_debye_huckel",
    "log_gamma_extended_debye_huckel",
    "log_gamma_ideal",
    "log_gamma_indexed",
    "log_gamma_truesdell_jones",
    "mM_to_molality",
    "mean_activity_coefficient",
    "model_index",
    "molality_to_mM",
    "nernst_activity",
    "osmotic_coefficient",
    "parse_salt",
    "registered_models",
    "relative_mobility",
    "select_model",
    "validity_range",
    "water_density",
    "water_permittivity",
]
