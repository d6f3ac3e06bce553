"""Ionic strength, mM ↔ molality, salt formulas, composition checks."""

import jax.numpy as jnp
import numpy as np
import pytest

from ionsweep.activity import (
    charge_imbalance,
    ionic_strength,
    mM_to_molality,
    molality_to_mM,
    parse_salt,
    water_density,
)
from ionsweep.activity._composition import canonical_names, check_composition


def test_ionic_strength_of_physiological_saline():
    # 0.9 % (w/v) NaCl = 9 g/L / 58.44 g/mol = 154.0 mM; at 25 °C m = c/ρ_w = 0.15446 mol/kg,
    # and for a 1:1 salt I = m.
    c = 9.0 / 58.443 * 1000.0
    assert c == pytest.approx(154.0, abs=0.05)
    m = float(mM_to_molality(c, 298.15))
    assert m == pytest.approx(154.0 / 997.047, rel=1e-4)
    assert float(ionic_strength({"Na+": m, "chloride": m})) == pytest.approx(m, rel=1e-12)
    # Ringer-like extracellular fluid, mM: I = ½(145 + 5 + 4·2 + 4·1 + 130 + 26) = 159 mM.
    ecf = {"Na+": 145.0, "K+": 5.0, "Ca2+": 2.0, "Mg2+": 1.0, "Cl-": 130.0, "HCO3-": 26.0}
    assert float(ionic_strength(ecf)) == pytest.approx(159.0)


def test_ionic_strength_forms_and_broadcasting():
    names = ("Ca2+", "Cl-")
    arr = jnp.array([[0.01, 0.02], [0.1, 0.2]])
    np.testing.assert_allclose(ionic_strength(arr, names), [0.03, 0.3], rtol=1e-12)
    out = ionic_strength({"Ca": jnp.array([0.01, 0.1]), "Cl": 0.02})
    np.testing.assert_allclose(out, [0.03, 0.21], rtol=1e-12)
    with pytest.raises(TypeError, match="names"):
        ionic_strength(arr)
    with pytest.raises(ValueError, match="last axis"):
        ionic_strength(arr, ("Ca2+",))
    with pytest.raises(KeyError, match="Xx"):
        ionic_strength({"Xx+": 1.0})
    with pytest.raises(ValueError, match="given twice"):
        ionic_strength({"K": 1.0, "K+": 1.0})


def test_mM_molality_round_trip_and_temperature():
    T = jnp.array([273.15, 298.15, 310.15, 373.15])
    c = jnp.array([1.0, 150.0, 140.0, 5.0])
    m = mM_to_molality(c, T)
    np.testing.assert_allclose(m, c / water_density(T), rtol=1e-14)
    np.testing.assert_allclose(molality_to_mM(m, T), c, rtol=1e-14)
    # Hot water is less dense: the same 100 mM is 4 % more molal at 100 °C than at 4 °C.
    assert float(mM_to_molality(100.0, 373.15) / mM_to_molality(100.0, 277.15)) > 1.04


def test_charge_imbalance():
    assert float(charge_imbalance({"Ca2+": 1.0, "Cl-": 2.0})) == 0.0
    assert float(charge_imbalance({"K+": 1.0})) == 2.0
    assert float(charge_imbalance({"K+": 1.0, "Cl-": 0.9})) == pytest.approx(0.1 / 0.95)


@pytest.mark.parametrize(
    "salt, expected",
    [
        ("NaCl", (("Na+", 1), ("Cl-", 1))),
        ("KCl", (("K+", 1), ("Cl-", 1))),
        ("CaCl2", (("Ca2+", 1), ("Cl-", 2))),
        ("MgCl2", (("Mg2+", 1), ("Cl-", 2))),
        ("Na2SO4", (("Na+", 2), ("SO4 2-", 1))),
        ("Ca(NO3)2", (("Ca2+", 1), ("NO3-", 2))),
        ("(NH4)2SO4", (("NH4+", 2), ("SO4 2-", 1))),
        ("MgSO4", (("Mg2+", 1), ("SO4 2-", 1))),
    ],
)
def test_parse_salt(salt, expected):
    assert parse_salt(salt) == expected


@pytest.mark.parametrize("salt", ["", "NaCl2", "Xy", "ClNa", 42])
def test_parse_salt_refuses(salt):
    with pytest.raises(ValueError, match="salt"):
        parse_salt(salt)


def test_check_composition():
    check_composition({"Na+": 150.0, "Cl-": 150.0}, "c_out")
    check_composition({"Na+": 150.0, "Cl-": 150.1}, "c_out")  # 0.07 % off: within 1e-3
    with pytest.raises(ValueError, match=r"c_out is not electroneutral.*Na\+, Cl-"):
        check_composition({"Na+": 150.0, "Cl-": 140.0}, "c_out")
    with pytest.raises(ValueError, match=r"index \(1,\)"):
        check_composition({"Na+": np.array([150.0, 150.0]), "Cl-": [150.0, 100.0]}, "c_in")
    check_composition({"Na+": 150.0, "Cl-": 140.0}, "c_out", neutrality_rtol=None)
    with pytest.raises(ValueError, match=r"c_in\['K\+'\] must be finite and ≥ 0"):
        check_composition({"K+": -1.0, "Cl-": -1.0}, "c_in")
    with pytest.raises(ValueError, match="≥ 0"):
        check_composition({"K+": np.nan, "Cl-": 1.0}, "c_in")


def test_canonical_names():
    assert canonical_names(["K", "chloride", "Ca++"]) == ("K+", "Cl-", "Ca2+")
    with pytest.raises(TypeError):
        canonical_names("K+")
