"""Units at the public Python boundary: pint Quantities, the kelvin trap, ionsweep.celsius."""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pint
import pytest

import ionsweep

Q = pint.UnitRegistry().Quantity
# CODATA 2018, exact since the 2019 SI: R = N_A k, F = N_A e.
R, F = 6.02214076e23 * 1.380649e-23, 6.02214076e23 * 1.602176634e-19


def nernst_ref(c_in, c_out, z, T):
    """Independent scalar Nernst potential, mV."""
    return 1000 * R * T / (z * F) * math.log(c_out / c_in)


def test_celsius_helper():
    assert ionsweep.celsius(37) == pytest.approx(310.15)
    np.testing.assert_allclose(ionsweep.celsius([0, 25]), [273.15, 298.15])
    E = float(ionsweep.nernst(140.0, 5.0, 1, ionsweep.celsius(37)))
    assert E == pytest.approx(nernst_ref(140, 5, 1, 310.15), abs=1e-9)


def test_quantities_are_converted_to_the_documented_units():
    # The example: 0.14 M inside, 5 mM outside, 310.15 K gives E_K = -89 mV, not +95.
    E = float(ionsweep.nernst(Q(0.14, "M"), Q(5, "mM"), 1, Q(310.15, "K")))
    assert E == pytest.approx(nernst_ref(140, 5, 1, 310.15), abs=1e-9)
    E = float(ionsweep.nernst(Q(140, "mmol/L"), Q(5, "mM"), 1, T=Q(37, "degC")))
    assert E == pytest.approx(nernst_ref(140, 5, 1, 310.15), abs=1e-9)
    assert float(ionsweep.driving_force(Q(-0.065, "V"), Q(-89, "mV"))) == pytest.approx(24.0)


def test_ghk_current_and_voltage_convert_permeability_and_voltage():
    # GHK current density, mA/cm2, at V = -50 mV: independent closed form.
    V, P, ci, co, T = -50.0, 1e-6, 140.0, 5.0, 310.15
    u = V / (1000 * R * T / F)
    ref = P * F * u * (ci - co * math.exp(-u)) / (1 - math.exp(-u)) * 1e-3  # mM*cm/s*C/mol
    got = ionsweep.ghk_current(Q(-0.05, "V"), Q(1e-8, "m/s"), Q(0.14, "M"), 5.0, 1, T)
    assert float(got) == pytest.approx(ref, rel=1e-12)
    V1 = ionsweep.ghk_voltage(Q([1, 0.04], ""), [140.0, 12.0], [5.0, 145.0], [1, 1], Q(37, "degC"))
    V2 = ionsweep.ghk_voltage([1, 0.04], [140.0, 12.0], [5.0, 145.0], [1, 1], 310.15)
    assert float(V1) == float(V2)


def test_donnan_and_pump_leak_convert():
    V1, c1 = ionsweep.donnan(Q([0.15, 0.15], "M"), [1, -1], Q(-50, "mM"), Q(310.15, "K"))
    V2, c2 = ionsweep.donnan([150.0, 150.0], [1, -1], -50.0, 310.15)
    assert float(V1) == pytest.approx(float(V2))
    np.testing.assert_allclose(c1, c2)
    args = (140.0, 5.0, 12.0, 145.0)
    a = ionsweep.pump_leak_voltage(Q(1e-6, "cm/s"), Q(4e-8, "cm/s"), *args, Q(37, "degC"))
    b = ionsweep.pump_leak_voltage(1.0, 0.04, *args, 310.15)
    assert float(a) == pytest.approx(float(b), abs=1e-9)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: ionsweep.nernst(Q(140, "mV"), 5.0, 1, 310.15), "c_in"),
        (lambda: ionsweep.nernst(140.0, 5.0, 1, Q(1, "m")), "T"),
        (lambda: ionsweep.nernst(140.0, Q(5, "mol"), 1, 310.15), "c_out"),  # mol/kg: molal
        (lambda: ionsweep.ghk_current(Q(1, "mA"), 1.0, 1.0, 1.0, 1, 310.15), "V"),
        (lambda: ionsweep.donnan([150.0, 150.0], [1, -1], Q(-50, "K"), 310.15), "fixed_charge"),
    ],
)
def test_wrong_dimension_is_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"{argument} is given in .* cannot be converted"):
        call()


def test_temperature_below_200_K_warns_on_eager_calls():
    with pytest.warns(ionsweep.TemperatureUnitWarning, match=r"T = 37 K .*ionsweep.celsius\(37\)"):
        E = ionsweep.nernst(140, 5, 1, 37)
    assert float(E) == pytest.approx(nernst_ref(140, 5, 1, 37.0), rel=1e-6)  # still computed
    for call in (
        lambda: ionsweep.ghk_voltage([1.0], [140.0], [5.0], [1], np.array([25.0, 310.0])),
        lambda: ionsweep.donnan([150.0, 150.0], [1, -1], -50.0, 37.0),
        lambda: ionsweep.pump_leak_voltage(1.0, 0.04, 140, 5, 12, 145, 37),
        lambda: ionsweep.ghk_current(-50.0, 1.0, 140.0, 5.0, 1, [37.0]),
    ):
        with pytest.warns(ionsweep.TemperatureUnitWarning):
            call()


def test_no_warning_for_plausible_invalid_or_traced_temperatures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ionsweep.nernst(140, 5, 1, 310.15)
        assert math.isnan(float(ionsweep.nernst(140, 5, 1, 0.0)))  # T <= 0 is NaN, not a unit slip
        ionsweep.nernst(140, 5, 1, jnp.asarray(37.0))  # JAX arrays are never read back
        jax.jit(ionsweep.nernst)(140.0, 5.0, 1, 37.0)  # traced: never warns
        jax.grad(ionsweep.nernst, argnums=3)(140.0, 5.0, 1.0, 37.0)


def test_quantity_conversion_happens_outside_jit_only():
    # Under jit the arguments are tracers; the wrapper must leave them alone (no retrace
    # per call either: a second call with new values reuses the compiled function).
    f = jax.jit(ionsweep.nernst)
    f(140.0, 5.0, 1, 310.15)
    size = f._cache_size()
    f(150.0, 4.0, 1, 300.0)
    assert f._cache_size() == size


def test_a_molality_is_converted_with_the_density_of_water_at_the_calls_temperature():
    # c = m·ρ_w(T), ρ_w at 37 °C = 0.993333 kg/L (Kell 1975, J. Chem. Eng. Data 20:97,
    # eq. 16; 993.33 kg/m³ in the CRC Handbook's table of the density of water)
    c_in = 0.14 * 0.993333 * 1e3  # mM
    expected = float(ionsweep.nernst(c_in, 5.0, 1, 310.15))
    got = ionsweep.nernst(Q(0.14, "mol/kg"), Q(5, "mM"), "K+", Q(37, "degC"))
    assert float(got) == pytest.approx(expected, abs=2e-4)  # 6 digits of ρ_w: ±1e-6 relative
    kw = ionsweep.nernst(c_in=Q(140, "mmol/kg"), c_out=5.0, z=1, T=310.15)
    assert float(kw) == pytest.approx(float(got), rel=1e-12)


def test_a_molality_without_a_temperature_is_refused_naming_the_argument():
    from ionsweep._units import with_units

    @with_units({"c": "mM"}, temperature=None)
    def f(c):
        return c

    with pytest.raises(ValueError, match="f: c is given in mole / kilogram, a molality"):
        f(Q(0.1, "mol/kg"))
