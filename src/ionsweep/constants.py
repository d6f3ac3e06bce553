"""Physical constants (CODATA 2018, SI exact values) and the thermal voltage.

Since the 2019 SI redefinition the Avogadro constant, the Boltzmann constant and the
elementary charge are exact, so the gas constant ``R = N_A k`` and the Faraday constant
``F = N_A e`` are exact too. These are the values CODATA 2018 lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._util import as_float as _as_float

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = [
    "AVOGADRO",
    "BOLTZMANN",
    "ELEMENTARY_CHARGE",
    "FARADAY",
    "GAS_CONSTANT",
    "R_OVER_F_MV",
    "ZERO_CELSIUS",
    "thermal_voltage",
]

#: Avogadro constant N_A, 1/mol (exact).
AVOGADRO = 6.02214076e23
#: Boltzmann constant k, J/K (exact).
BOLTZMANN = 1.380649e-23
#: Elementary charge e, C (exact).
ELEMENTARY_CHARGE = 1.602176634e-19
#: Molar gas constant R = N_A k, J/(mol K) (exact; CODATA 2018: 8.314462618...).
GAS_CONSTANT = AVOGADRO * BOLTZMANN
#: Faraday constant F = N_A e, C/mol (exact; CODATA 2018: 96485.33212...).
FARADAY = AVOGADRO * ELEMENTARY_CHARGE
#: 0 degrees Celsius in kelvin.
ZERO_CELSIUS = 273.15

#: R/F in mV/K (= k/e), the factor that turns a temperature into a thermal voltage.
R_OVER_F_MV = 1000.0 * GAS_CONSTANT / FARADAY


def thermal_voltage(T: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
    """Thermal voltage RT/F.

    Parameters
    ----------
    T : array_like
        Absolute temperature, K.

    Returns
    -------
    jax.Array
        RT/F in mV, with the floating dtype of ``T`` (float32 unless x64 is enabled and
        ``T`` is float64). Non-positive or non-finite temperatures give NaN.

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.thermal_voltage(310.15)), 3)
    26.727
    """
    (T,) = _as_float(T)
    return jnp.where((T > 0) & (T < jnp.inf), R_OVER_F_MV * T, jnp.nan)
