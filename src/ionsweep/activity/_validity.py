# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""Validity ranges of the activity-coefficient models: temperature (K) and ionic strength.

Each model of the registry declares where it is stated to hold (:class:`ValidityRange`, kept
beside the model's function in ``_registry``). Nothing is refused or removed for lying
outside: ``ionsweep calc`` warns, and sweeps flag such points in their ``valid`` variable
(code 2) while keeping their values.

Every model except ``ideal`` evaluates the properties of water at 1 atm (the Debye–Hückel
A(T), B(T) and A_φ of ``_water``), where liquid water exists from 0 to 100 °C; so no model's
range reaches beyond 273.15–373.15 K. (PHREEQC evaluates water at its saturation pressure
above 100 °C and adds a pressure term, so ionsweep's Pitzer values with PHREEQC's
``pitzer.dat`` agree with PHREEQC only up to 100 °C, although the file states 0–200 °C.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp

__all__ = ["PITZER_I_MAX", "TEMPERATURE_SLACK_K", "WATER_1ATM_K", "ValidityRange", "pitzer_range"]

#: Liquid water at 1 atm, K: the temperatures at which ionsweep evaluates water's properties.
WATER_1ATM_K = (273.15, 373.15)

#: Slack of the temperature bounds, K (the Pitzer sets' own check uses the same).
TEMPERATURE_SLACK_K = 0.5

#: Highest ionic strength of the Pitzer sets, mol/kg. HMW84 (Harvie, Møller & Weare 1984,
#: "to high ionic strengths") fitted solubility, isopiestic and emf data up to the salts'
#: saturation at 25 °C, ionic strengths up to about 20 mol/kg (CaCl₂ saturates near 7.4 m,
#: I ≈ 22; MgCl₂ near 5.8 m, I ≈ 17); PHREEQC's ``pitzer.dat`` (Plummer et al. 1988; Appelo
#: 2015) carries the same parameters. No data lie beyond: 10 m CaCl₂ (I = 30) is outside.
PITZER_I_MAX = 20.0


@dataclass(frozen=True)
class ValidityRange:
    """Where an activity model is stated to hold.

    Attributes
    ----------
    T_min, T_max : float
        Temperature range, K (checked with :data:`TEMPERATURE_SLACK_K` of slack).
    I_max : float
        Highest ionic strength, mol/kg (``inf``: no bound).
    source : str
        Where the bounds come from.

    Examples
    --------
    >>> r = ValidityRange(273.15, 373.15, 0.5, "Davies")
    >>> r.describe()
    '273.15-373.15 K, I <= 0.5 mol/kg'
    >>> bool(r.outside(3.0, 298.15)), bool(r.outside(0.1, 298.15))
    (True, False)
    """

    T_min: float
    T_max: float
    I_max: float
    source: str = ""

    def describe(self) -> str:
        """The range as text (ASCII, for one-line messages)."""
        parts = []
        if self.T_min > 0 or math.isfinite(self.T_max):
            if self.T_min == self.T_max:
                parts.append(f"{self.T_min:g} K")
            else:
                parts.append(f"{self.T_min:g}-{self.T_max:g} K")
        if math.isfinite(self.I_max):
            parts.append(f"I <= {self.I_max:g} mol/kg")
        return ", ".join(parts) or "any temperature and ionic strength"

    def bounds(self) -> tuple[float, float, float]:
        """``(T_low, T_high, I_high)``: the extreme values a point may take (K, K, mol/kg),
        temperature slack included; ``-inf``/``inf`` where there is no bound."""
        lo = self.T_min - TEMPERATURE_SLACK_K if self.T_min > 0 else -math.inf
        return lo, self.T_max + TEMPERATURE_SLACK_K, self.I_max

    def outside(self, I, T):
        """True where the ionic strength ``I`` (mol/kg) or ``T`` (K) lies outside the range
        (broadcast shape of both); False at NaN, which is undefined rather than outside."""
        T_low, T_high, I_high = self.bounds()
        out = jnp.zeros(jnp.broadcast_shapes(jnp.shape(I), jnp.shape(T)), bool)
        if math.isfinite(T_low):
            out = out | (T < T_low)
        if math.isfinite(T_high):
            out = out | (T > T_high)
        if math.isfinite(I_high):
            out = out | (I > I_high)
        return out


def pitzer_range(params, names=()) -> ValidityRange:
    """The range of a Pitzer parameter set for the ions ``names`` (canonical).

    Temperatures: where every cation–anion parameter used for ``names`` is stated
    (:meth:`~ionsweep.activity.PitzerParameters.validity`; 25 °C for HMW84), within water at
    1 atm (:data:`WATER_1ATM_K`). Ionic strength: :data:`PITZER_I_MAX`.
    """
    lo, hi = params.validity(names)
    lo, hi = max(lo, WATER_1ATM_K[0]), min(hi, WATER_1ATM_K[1])
    source = f"set {params.name}: its stated temperatures, water at 1 atm; HMW84's data"
    return ValidityRange(lo, hi, PITZER_I_MAX, source)
