"""Properties of liquid water at 1 atm and the Debye–Hückel constants derived from them.

* Density: Kell (1975), J. Chem. Eng. Data 20:97, eq. for 0–150 °C at 1 atm.
* Relative permittivity (dielectric constant): Bradley & Pitzer (1979), J. Phys. Chem.
  83:1599, valid 0–350 °C and up to 5 kbar; evaluated here at 1.01325 bar.
* Debye–Hückel constants from their definitions with CODATA 2018 constants:

  - ``A_phi = (1/3) (2π N_A ρ_w)^½ (e² / (4π ε₀ ε_r k T))^{3/2}`` — Pitzer's osmotic
    coefficient constant, natural-log basis, (kg/mol)^½; 0.3915 at 25 °C.
  - ``A = 3 A_phi / ln 10`` — the log10-basis constant of ``log10 γ = −A z² √I``,
    (kg/mol)^½; 0.510 at 25 °C with this permittivity (0.509 with the older value
    ε_r = 78.54).
  - ``B = (2 N_A ρ_w e² / (ε₀ ε_r k T))^½`` — the constant of the extended law's
    denominator ``1 + B å √I``, (kg/mol)^½ per Å; 0.3285 at 25 °C.

Range: the activity models use these from 0 to 100 °C at 1 atm. There, A(T) agrees within
1 % with the classic tables (Robinson & Stokes 1959, App. 7.1; Beynon & Easterby 1996), which
used the Malmberg & Maryott (1956) permittivity: A ∝ ε_r^(−3/2), so the two differ by
exactly (ε_MM/ε_BP)^{3/2}, −0.2 % at 0 °C to +0.7 % at 100 °C (tests/activity/test_water.py).

All functions are pure JAX, broadcast over ``T`` and keep its floating dtype.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._units import water_density as kell_water_density
from ionsweep._util import as_float
from ionsweep.constants import AVOGADRO, BOLTZMANN, ELEMENTARY_CHARGE

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = [
    "debye_huckel_A",
    "debye_huckel_Aphi",
    "debye_huckel_B",
    "water_density",
    "water_permittivity",
]

#: Vacuum permittivity ε₀, F/m (CODATA 2018).
VACUUM_PERMITTIVITY = 8.8541878128e-12
_ATM_BAR = 1.01325

# Bradley & Pitzer (1979), Table I.
_U = (3.4279e2, -5.0866e-3, 9.4690e-7, -2.0525, 3.1159e3, -1.8289e2, -8.0325e3, 4.2142e6, 2.1417)


def water_density(T: Float[ArrayLike, "*#batch"]) -> Float[Array, "*batch"]:
    """Density of air-free water at 1 atm (Kell 1975), kg/m³, for T in K (0–150 °C).

    >>> round(float(water_density(298.15)), 1)
    997.0
    """
    (T,) = as_float(T)
    return kell_water_density(T)


def water_permittivity(T: Float[ArrayLike, "*#batch"]) -> Float[Array, "*batch"]:
    """Relative permittivity of water at 1 atm (Bradley & Pitzer 1979), for T in K.

    >>> round(float(water_permittivity(298.15)), 2)
    78.38
    """
    (T,) = as_float(T)
    u1, u2, u3, u4, u5, u6, u7, u8, u9 = _U
    eps1000 = u1 * jnp.exp(u2 * T + u3 * T * T)
    C = u4 + u5 / (u6 + T)
    B = u7 + u8 / T + u9 * T
    return eps1000 + C * jnp.log((B + _ATM_BAR) / (B + 1000.0))


#: e² / (ε₀ k), m·K. Folded into one Python constant: the product ε₀ ε_r k T (~3e-30) is
#: representable in float32 but its square, which its derivative needs, underflows.
_E2_OVER_EPS0_K = ELEMENTARY_CHARGE**2 / (VACUUM_PERMITTIVITY * BOLTZMANN)


def _kappa_factor(T: ArrayLike) -> tuple[Array, Array]:
    """(e² / (ε₀ ε_r k T)) in m, and ρ_w in kg/m³."""
    (T,) = as_float(T)
    eps = water_permittivity(T)
    return _E2_OVER_EPS0_K / (eps * T), water_density(T)


def debye_huckel_Aphi(T: Float[ArrayLike, "*#batch"]) -> Float[Array, "*batch"]:
    """Pitzer's Debye–Hückel osmotic constant A_φ (natural log), (kg/mol)^½, T in K.

    >>> round(float(debye_huckel_Aphi(298.15)), 3)
    0.391
    """
    lb, rho = _kappa_factor(T)  # lb = 4π × Bjerrum length
    return (1 / 3) * jnp.sqrt(2 * math.pi * AVOGADRO * rho) * (lb / (4 * math.pi)) ** 1.5


def debye_huckel_A(T: Float[ArrayLike, "*#batch"]) -> Float[Array, "*batch"]:
    """Debye–Hückel constant A of ``log10 γ = −A z² √I``, (kg/mol)^½, T in K.

    >>> round(float(debye_huckel_A(298.15)), 3)
    0.51
    """
    return 3 * debye_huckel_Aphi(T) / math.log(10)


def debye_huckel_B(T: Float[ArrayLike, "*#batch"]) -> Float[Array, "*batch"]:
    """Debye–Hückel constant B of ``1 + B å √I``, (kg/mol)^½ Å⁻¹, T in K.

    >>> round(float(debye_huckel_B(298.15)), 4)
    0.3285
    """
    lb, rho = _kappa_factor(T)
    return jnp.sqrt(2 * AVOGADRO * rho * lb) * 1e-10
