r"""Surface potential of a charged membrane in a symmetric electrolyte (Gouy–Chapman).

A membrane carrying a fixed surface charge density σ gathers a diffuse layer of
counter-ions. For a z:z electrolyte of concentration c (each of its ions at c), the
Poisson–Boltzmann equation integrates once to the Grahame equation

.. math:: \sigma = \sqrt{8 \varepsilon_r \varepsilon_0 R T c}\;
          \sinh\!\left(\frac{z F \psi_0}{2 R T}\right),

solved here for the surface potential ψ₀ (relative to the bulk solution):

.. math:: \psi_0 = \frac{2RT}{zF}\,\operatorname{asinh}
          \frac{\sigma}{\sqrt{8 \varepsilon_r \varepsilon_0 R T c}},

with the Debye length :math:`\lambda_D = \sqrt{\varepsilon_r \varepsilon_0 R T /
(2 z^2 F^2 c)}` the thickness of the layer (McLaughlin 1989, Annu. Rev. Biophys. Biophys.
Chem. 18:113). c in mM is mol/m³, the SI unit these formulas take. ε_r is that of water at
T (Bradley & Pitzer 1979; ``physics/_water.py``). A cation's concentration at the surface is
its bulk value times exp(−z_i F ψ₀ / RT): a negative membrane (ψ₀ < 0) concentrates cations
at its surface and shifts the voltage its channels sense by ψ₀.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import FARADAY, GAS_CONSTANT, R_OVER_F_MV
from ionsweep.physics._water import VACUUM_PERMITTIVITY, water_permittivity

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float

__all__ = ["debye_length", "surface_potential"]

#: 8 ε₀ R in SI units, folded into one constant: √(_GRAHAME · ε_r T c) is in C/m² for c in
#: mol/m³ (= mM) and T in K.
_GRAHAME = 8 * VACUUM_PERMITTIVITY * GAS_CONSTANT
#: ε₀ R / (2 F²) in nm² · (mol/m³)/K: λ_D² = _DEBYE · ε_r T / (z² c).
_DEBYE = 1e18 * VACUUM_PERMITTIVITY * GAS_CONSTANT / (2 * FARADAY**2)


def _valid(c_salt, z, T):
    return (c_salt > 0) & (c_salt < jnp.inf) & (z != 0) & jnp.isfinite(z) & (T > 0)


@with_units({"sigma": "C/m**2", "c_salt": "mM", "z": "", "T": "K"})
def surface_potential(
    sigma: Float[ArrayLike, "*#batch"],
    c_salt: Float[ArrayLike, "*#batch"],
    z: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
) -> Float[Array, "*batch"]:
    """Gouy–Chapman surface potential of a charged membrane (the Grahame equation).

    Parameters
    ----------
    sigma : array_like
        Surface charge density, C/m² (negative for an anionic membrane; one elementary
        charge per nm², i.e. per 100 Å², is 0.1602 C/m²).
    c_salt : array_like
        Concentration of the symmetric z:z electrolyte (each of its ions), mM.
    z : array_like
        Valence of the electrolyte's ions (its magnitude is used: 1 for NaCl, 2 for MgSO₄).
    T : array_like
        Temperature, K.

    Returns
    -------
    jax.Array
        ψ₀, the potential at the surface relative to the bulk solution, mV; NaN where
        ``c_salt`` ≤ 0, ``z`` = 0 or ``T`` ≤ 0.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.physics.surface_potential(-0.05, 150.0, 1, 310.15)), 2)
    -51.12
    """
    sigma, c, z, T = as_float(sigma, c_salt, z, T)
    ok = _valid(c, z, T)
    z, T = jnp.where(ok, jnp.abs(z), 1), jnp.where(ok, T, 298.15)
    scale = jnp.sqrt(_GRAHAME * water_permittivity(T) * T * jnp.where(ok, c, 1))
    psi = 2 * R_OVER_F_MV * T / z * jnp.arcsinh(sigma / scale)
    return jnp.where(ok, psi, jnp.nan)


@with_units({"c_salt": "mM", "z": "", "T": "K"})
def debye_length(
    c_salt: Float[ArrayLike, "*#batch"],
    z: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
) -> Float[Array, "*batch"]:
    """Debye screening length of a symmetric z:z electrolyte in water.

    Parameters
    ----------
    c_salt : array_like
        Concentration of the electrolyte (each of its ions), mM.
    z : array_like
        Valence of its ions (the magnitude is used).
    T : array_like
        Temperature, K.

    Returns
    -------
    jax.Array
        λ_D, nm; NaN where ``c_salt`` ≤ 0, ``z`` = 0 or ``T`` ≤ 0.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.physics.debye_length(150.0, 1, 310.15)), 3)
    0.779
    """
    c, z, T = as_float(c_salt, z, T)
    ok = _valid(c, z, T)
    z, T = jnp.where(ok, z, 1), jnp.where(ok, T, 298.15)
    lam2 = _DEBYE * water_permittivity(T) * T / (z * z * jnp.where(ok, c, 1))
    return jnp.where(ok, jnp.sqrt(lam2), jnp.nan)
