"""Physical constants and the thermal voltage against published values."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
from ionsweep import constants

# CODATA 2018 (NIST, https://physics.nist.gov/cuu/Constants/, May 2019). N_A, k and e are
# exact since the 2019 SI redefinition; R = N_A k and F = N_A e are therefore exact, and NIST
# prints them as 8.314 462 618... J/(mol K) and 96 485.332 12... C/mol.
CODATA_NA = 6.02214076e23
CODATA_K = 1.380649e-23
CODATA_E = 1.602176634e-19
CODATA_R = 8.314462618
CODATA_F = 96485.33212


def test_exact_si_constants():
    assert constants.AVOGADRO == CODATA_NA
    assert constants.BOLTZMANN == CODATA_K
    assert constants.ELEMENTARY_CHARGE == CODATA_E


def test_gas_and_faraday_constants_match_codata_2018():
    # NIST prints R and F truncated to 10 significant digits.
    assert ionsweep.GAS_CONSTANT == pytest.approx(CODATA_R, rel=2e-10)
    assert ionsweep.FARADAY == pytest.approx(CODATA_F, rel=2e-10)
    assert ionsweep.ZERO_CELSIUS == 273.15


def test_thermal_voltage_seed_value():
    # Seed text: "在哺乳动物的体温（约 37°C 或 310 K）下，RT/F 的值约为 26.7 mV".
    assert round(float(ionsweep.thermal_voltage(310.0)), 1) == 26.7
    assert round(float(ionsweep.thermal_voltage(310.15)), 1) == 26.7


@pytest.mark.parametrize("T", [273.15, 293.15, 300.0, 310.0, 310.15, 323.15])
def test_thermal_voltage_closed_form(T):
    # RT/F in mV from the CODATA values above.
    expected = 1000.0 * CODATA_R * T / CODATA_F
    assert float(ionsweep.thermal_voltage(T)) == pytest.approx(expected, rel=1e-9)


def test_thermal_voltage_is_k_over_e():
    # k T / e is the same number (R/F = k/e exactly): 25.852 mV at 300 K.
    assert float(ionsweep.thermal_voltage(300.0)) == pytest.approx(
        1000.0 * CODATA_K * 300.0 / CODATA_E, rel=1e-12
    )
    assert math.isclose(1000.0 * CODATA_K * 300.0 / CODATA_E, 25.852, abs_tol=5e-4)


def test_thermal_voltage_invalid_temperature_is_nan():
    out = np.asarray(ionsweep.thermal_voltage(jnp.array([0.0, -1.0, jnp.inf, jnp.nan, 300.0])))
    assert np.isnan(out[:4]).all()
    assert np.isfinite(out[4])


def test_thermal_voltage_dtype():
    assert ionsweep.thermal_voltage(jnp.float32(310.0)).dtype == jnp.float32
    assert ionsweep.thermal_voltage(jnp.float64(310.0)).dtype == jnp.float64
