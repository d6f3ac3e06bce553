"""Membrane-physics kernels: pure, broadcasting, jittable and differentiable JAX functions.

The public kernels exported here run as one cached compiled program when called on concrete
values (NumPy arrays, Python numbers, JAX arrays), and as themselves under ``jit``, ``vmap``
and ``grad`` (see ``ionsweep._eager``).

Their annotations give dtype kinds and shapes in jaxtyping's notation: ``*#batch`` is any
batch shape that broadcasts with the other arguments', ``*batch`` the broadcast result and
``n_ions`` the ion axis (last, unless ``axis`` says otherwise).
"""

from ionsweep._eager import eager as _eager
from ionsweep.physics.donnan import (
    BATH_NEUTRALITY_RTOL,
    bath_neutral,
    donnan,
    donnan_osmotic_imbalance,
)
from ionsweep.physics.ghk import ghk_current, ghk_voltage
from ionsweep.physics.junction import junction_potential
from ionsweep.physics.nernst import driving_force, nernst
from ionsweep.physics.pump_leak import pump_leak_voltage
from ionsweep.physics.pump_leak_volume import PumpLeakState, pump_leak_steady_state
from ionsweep.physics.surface import debye_length, surface_potential

donnan = _eager(donnan, static_argnames=("axis",), temperature="T", module=__name__)
driving_force = _eager(driving_force, module=__name__)
ghk_current = _eager(ghk_current, temperature="T", module=__name__)
ghk_voltage = _eager(
    ghk_voltage,
    static_argnames=("axis", "valences_within_two"),
    temperature="T",
    module=__name__,
)
junction_potential = _eager(
    junction_potential,
    static_argnames=("z", "method", "with_code"),
    temperature="T",
    module=__name__,
)
nernst = _eager(nernst, temperature="T", module=__name__)
pump_leak_steady_state = _eager(pump_leak_steady_state, module=__name__)
surface_potential = _eager(surface_potential, temperature="T", module=__name__)
debye_length = _eager(debye_length, temperature="T", module=__name__)

__all__ = [
    "BATH_NEUTRALITY_RTOL",
    "PumpLeakState",
    "bath_neutral",
    "debye_length",
    "donnan",
    "donnan_osmotic_imbalance",
    "driving_force",
    "ghk_current",
    "ghk_voltage",
    "junction_potential",
    "nernst",
    "pump_leak_steady_state",
    "pump_leak_voltage",
    "surface_potential",
]
