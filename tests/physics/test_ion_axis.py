"""The ion axis is explicit: ``axis=`` puts it anywhere, and a length that does not match it is
an error naming the argument, never a broadcast read as another layout."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

import ionsweep
from ionsweep.activity import charge_imbalance, ionic_strength

# R = N_A k, F = N_A e from the exact 2019 SI defining constants (CODATA 2018).
RT_F = 6.02214076e23 * 1.380649e-23 / (6.02214076e23 * 1.602176634e-19) * 1e3  # mV/K


def scalar_ghk(P, ci, co, z, T):
    """Zero of the summed textbook GHK current of one point (python floats), mV."""

    def current(v):
        return sum(p * zz * zz * v * (a - b * math.exp(-zz * v)) / -math.expm1(-zz * v)
                   for p, a, b, zz in zip(P, ci, co, z, strict=True))  # fmt: skip

    return RT_F * T * brentq(current, -40.0, 40.0, xtol=1e-14, rtol=1e-14)


# Three ions (K+, Na+, Cl-) along the FIRST axis, five points along the second; the
# concentrations vary along the points, so each ion's own Nernst potential (what reading the
# points as ions gave) differs from the GHK potential.
Z = np.array([1, 1, -1])
P = np.array([[1.0], [0.04], [0.45]]) * np.ones((3, 5))
CI = np.array([[140.0, 120, 100, 80, 60], [10, 15, 20, 25, 30], [10, 12, 14, 16, 18]])
CO = np.array([[5.0, 6, 7, 8, 9], [145, 140, 135, 130, 125], [110, 120, 130, 140, 150]])
T = 310.15


def test_ions_along_the_first_axis_with_axis_0():
    want = [scalar_ghk(P[:, j], CI[:, j], CO[:, j], Z, T) for j in range(5)]
    got = ionsweep.ghk_voltage(P, CI, CO, Z, T, axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # The same under jit (axis static), with a valence per point too, and transposed.
    f = jax.jit(functools.partial(ionsweep.ghk_voltage, axis=0))
    np.testing.assert_allclose(f(P, CI, CO, Z[:, None] * np.ones((1, 5)), T), want, rtol=1e-12)
    np.testing.assert_allclose(ionsweep.ghk_voltage(P.T, CI.T, CO.T, Z, T), want, rtol=1e-12)
    # An axis in the middle, T along the last axis: shape (2 points, 3 ions, 2 temperatures).
    Ts = np.array([290.0, 310.0])
    x = [np.broadcast_to(a[:, :2].T[:, :, None], (2, 3, 2)) for a in (P, CI, CO)]
    got = ionsweep.ghk_voltage(*x, Z, Ts, axis=1)
    want = [[scalar_ghk(P[:, j], CI[:, j], CO[:, j], Z, t) for t in Ts] for j in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "axis", "match"),
    [
        # The layout of the issue: ions along the first axis, the default axis=-1.
        ((P, CI, CO, Z), -1, r"P has 5 entries along the ion axis \(axis=-1\), but z has 3"),
        ((P, CI, CO, Z[:, None]), -1, r"P has 5 entries .*\(axis=-1\), but z has 1"),
        ((P, CI, CO, Z[:2]), 0, r"P has 3 entries .*\(axis=0\), but z has 2"),
        ((P, CI, CO, np.ones(5)), 0, r"P has 3 entries .*\(axis=0\), but z has 5"),
        ((P, CI, CO, 1.0), 0, r"z needs one valence per ion along the ion axis \(axis=0\)"),
        ((P[:2], CI, CO, Z), 0, r"P has 2 entries along the ion axis \(axis=0\), but z has 3"),
        ((np.ones(5), CI, CO, Z), 0, r"P has 5 entries .*\(axis=0\), but z has 3"),
        ((P, CI, CO, Z), 2, r"axis=2 is out of range for 2-d arrays"),
        ((P, CI, CO, Z), -3, r"axis=-3 is out of range"),
    ],
)
def test_a_mismatch_names_the_argument_and_the_axis(args, axis, match):
    with pytest.raises(ValueError, match=match):
        ionsweep.ghk_voltage(*args, T, axis=axis)


def test_axis_must_be_an_integer():
    with pytest.raises(TypeError, match="axis must be an integer"):
        ionsweep.ghk_voltage(P, CI, CO, Z, T, axis=0.0)


def test_donnan_with_ions_along_the_first_axis():
    # 1:1 bath c, fixed charge ρ: c e^(−v) − c e^(v) + ρ = 0, so e^(−v) = (−ρ + √(ρ² + 4c²))/2c.
    c = np.array([150.0, 100.0, 50.0])
    rho = np.array([-50.0, -20.0, 10.0])
    x = (-rho + np.sqrt(rho**2 + 4 * c**2)) / (2 * c)
    bath = np.stack([c, c])  # (2 ions, 3 points)
    V, c_in = ionsweep.donnan(bath, [1, -1], rho, T, axis=0)
    np.testing.assert_allclose(V, -RT_F * T * np.log(x), rtol=1e-9)
    assert c_in.shape == (2, 3)  # the ion axis where it was given
    np.testing.assert_allclose(c_in, [c * x, c / x], rtol=1e-9)
    d = ionsweep.donnan_osmotic_imbalance(bath, [1, -1], rho, T, 0.0, axis=0)
    np.testing.assert_allclose(d, c * x + c / x - 2 * c, rtol=1e-9)
    with pytest.raises(ValueError, match=r"donnan: c_bath has 3 entries .*axis=-1.*z has 2"):
        ionsweep.donnan(bath, [1, -1], rho, T)
    baths = np.array([[150.0, 150.0, 150.0], [150.0, 10.0, 140.0]])  # (Na+, Cl-) × 3 baths
    assert ionsweep.physics.bath_neutral(baths, [1, -1], axis=0).tolist() == [True, False, False]
    with pytest.raises(ValueError, match=r"bath_neutral: c_bath has 3 entries .*z has 2"):
        ionsweep.physics.bath_neutral(baths, [1, -1])


def test_activity_corrected_ghk_with_P_along_the_first_axis():
    c_in = {"K+": np.array([140.0, 100.0]), "Na+": 10.0, "Cl-": np.array([150.0, 110.0])}
    c_out = {"K+": 5.0, "Na+": 145.0, "Cl-": 150.0}
    P = np.array([[1.0, 1.0], [0.05, 0.02]])  # (2 ions, 2 points)
    got = ionsweep.ghk_voltage_activity(("K+", "Na+"), P, c_in, c_out, T, "ideal", axis=0)
    want = [scalar_ghk(P[:, j], [c_in["K+"][j], 10.0], [5.0, 145.0], [1, 1], T) for j in (0, 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"P of shape \(2, 2\).*3 entries.*axis=0"):
        ionsweep.ghk_voltage_activity(("K+", "Na+", "Cl-"), P, c_in, c_out, T, "ideal", axis=0)


def test_ionic_strength_along_the_first_axis():
    m = jnp.array([[0.01, 0.02, 0.03], [0.02, 0.04, 0.06]])  # (Ca2+, Cl-) × 3 points
    names = ("Ca2+", "Cl-")
    np.testing.assert_allclose(ionic_strength(m, names, axis=0), 3 * m[0], rtol=1e-15)
    np.testing.assert_allclose(charge_imbalance(m, names, axis=0), 0.0, atol=1e-15)
    with pytest.raises(ValueError, match=r"ion axis \(the last axis\) must have 2 entries"):
        ionic_strength(m, names)  # three points read as three ions
