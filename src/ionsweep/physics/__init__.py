"""Membrane-physics kernels: pure, broadcasting, jittable and differentiable JAX functions."""

from ionsweep.physics.donnan import (
    BATH_NEUTRALITY_RTOL,
    bath_neutral,
    donnan,
    donnan_osmotic_imbalance,
)
from ionsweep.physics.ghk import ghk_current, ghk_voltage
from ionsweep.physics.nernst import driving_force, nernst
from ionsweep.physics.pump_leak import pump_leak_voltage
from ionsweep.physics.pump_leak_volume import PumpLeakState, pump_leak_steady_state

__all__ = [
    "BATH_NEUTRALITY_RTOL",
    "PumpLeakState",
    "bath_neutral",
    "donnan",
    "donnan_osmotic_imbalance",
    "driving_force",
    "ghk_current",
    "ghk_voltage",
    "nernst",
    "pump_leak_steady_state",
    "pump_leak_voltage",
]
