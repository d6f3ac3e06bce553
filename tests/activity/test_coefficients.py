# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""activity_coefficients, mean_activity_coefficient, osmotic_coefficient on compositions."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
from ionsweep.activity import (
    activity_coefficients,
    debye_huckel_A,
    mean_activity_coefficient,
    osmotic_coefficient,
)


def davies_log10(z, I, T):
    s = math.sqrt(I)
    return -float(debye_huckel_A(T)) * z * z * (s / (1 + s) - 0.3 * I)


def test_activity_coefficients_dict_shapes_aliases():
    mol = {
        "Na": jnp.array([0.1, 0.15, 0.2]),
        "Ca++": 0.002,
        "chloride": jnp.array([0.104, 0.154, 0.204]),
    }
    g = activity_coefficients("davies", mol, jnp.array([[298.15], [310.15]]))
    assert list(g) == ["Na+", "Ca2+", "Cl-"]
    assert all(v.shape == (2, 3) for v in g.values())
    I = 0.5 * (0.15 + 4 * 0.002 + 0.154)
    assert float(g["Ca2+"][1, 1]) == pytest.approx(10 ** davies_log10(2, I, 310.15), rel=1e-12)
    # The physiological range of the seed: γ ≈ 0.7–0.9 for monovalent ions at I ≈ 0.15.
    assert 0.7 < float(g["Na+"][1, 1]) < 0.9
    # Exports.
    assert ionsweep.activity_coefficients is activity_coefficients


def test_activity_coefficients_bad_input():
    with pytest.raises(ValueError, match="not electroneutral"):
        activity_coefficients("davies", {"K+": 0.1, "Cl-": 0.05}, 298.15)
    with pytest.raises(ValueError, match=r"molality\['K\+'\].*≥ 0"):
        activity_coefficients("davies", {"K+": -0.1, "Cl-": -0.1}, 298.15)
    with pytest.raises(KeyError, match="Zz"):
        activity_coefficients("davies", {"Zz+": 0.1, "Cl-": 0.1}, 298.15)
    with pytest.raises(ValueError, match="'nonsense'"):
        activity_coefficients("nonsense", {"K+": 0.1, "Cl-": 0.1}, 298.15)
    with pytest.raises(ValueError, match="T must be"):
        activity_coefficients("davies", {"K+": 0.1, "Cl-": 0.1}, -1.0)
    with pytest.raises(TypeError, match="mapping"):
        activity_coefficients("davies", [0.1, 0.1], 298.15)
    # The check can be switched off; the result is then computed as given.
    g = activity_coefficients("davies", {"K+": 0.1}, 298.15, neutrality_rtol=None)
    assert float(g["K+"]) == pytest.approx(10 ** davies_log10(1, 0.05, 298.15))


def test_traced_inputs_are_not_checked_and_give_nan_for_negative_molality():
    f = jax.jit(lambda k, cl: activity_coefficients("davies", {"K+": k, "Cl-": cl}, 298.15)["K+"])
    assert np.isnan(f(-0.1, -0.1))
    assert np.isfinite(f(0.1, 0.05))  # non-neutral, unchecked under jit
    g = jax.grad(lambda k: activity_coefficients("davies", {"K+": k, "Cl-": k}, 298.15)["K+"])
    assert float(g(0.1)) < 0


def test_mean_activity_coefficient_davies_by_hand():
    # CaCl2 at 0.01 mol/kg: I = 0.03; γ± = (γ₊ γ₋²)^(1/3).
    lp, lm = davies_log10(2, 0.03, 298.15), davies_log10(1, 0.03, 298.15)
    expected = 10 ** ((lp + 2 * lm) / 3)
    got = mean_activity_coefficient("CaCl2", 0.01, 298.15, model="davies")
    assert float(got) == pytest.approx(expected, rel=1e-12)
    # 1:1 salt: γ± = γ.
    got = mean_activity_coefficient("KCl", jnp.array([0.01, 0.1]), 298.15, model="davies")
    np.testing.assert_allclose(got, [10 ** davies_log10(1, I, 298.15) for I in (0.01, 0.1)])
    assert ionsweep.mean_activity_coefficient is mean_activity_coefficient
    with pytest.raises(ValueError, match="molality of NaCl"):
        mean_activity_coefficient("NaCl", -0.1, 298.15, model="davies")
    with pytest.raises(ValueError, match="salt"):
        mean_activity_coefficient("NaBr2", 0.1, 298.15, model="davies")


def test_mean_activity_coefficient_pitzer_against_robinson_stokes():
    # Robinson & Stokes (1959), Appendix 8.10, 25 °C: γ± at 0.1 and 1.0 mol/kg —
    # NaCl 0.778, 0.657; KCl 0.770, 0.604; CaCl2 0.518, 0.500; MgCl2 0.529, 0.570.
    table = {"NaCl": (0.778, 0.657), "KCl": (0.770, 0.604), "CaCl2": (0.518, 0.500),
             "MgCl2": (0.529, 0.570)}  # fmt: skip
    for salt, expected in table.items():
        got = mean_activity_coefficient(salt, jnp.array([0.1, 1.0]), 298.15)
        np.testing.assert_allclose(got, expected, rtol=0.02, err_msg=salt)


def test_osmotic_coefficient_delegates_to_pitzer():
    # Robinson & Stokes (1959), Appendix 8.3: φ(NaCl, 0.1 mol/kg, 25 °C) = 0.9324.
    phi = osmotic_coefficient({"Na+": 0.1, "Cl-": 0.1}, 298.15)
    assert float(phi) == pytest.approx(0.9324, abs=2e-3)
    assert ionsweep.osmotic_coefficient is osmotic_coefficient
    with pytest.raises(ValueError, match="not electroneutral"):
        osmotic_coefficient({"Na+": 0.1, "Cl-": 0.2}, 298.15)
