"""Validity ranges of the activity models: cited bounds, the Pitzer sets', and the check."""

import math

import numpy as np
import pytest

import ionsweep
from ionsweep.activity import registered_models, validity_range


@pytest.mark.parametrize(
    ("model", "I_max"),
    [
        # Stumm & Morgan, Aquatic Chemistry (3rd ed. 1996), Table 3.3: limiting law
        # I < 10^-2.3, extended law I < 0.1, Davies I < 0.5 mol/kg.
        ("debye_huckel", 0.005),
        ("extended_debye_huckel", 0.1),
        ("davies", 0.5),
        # Truesdell & Jones (1974): b fitted to single-salt data up to I ~ 2 mol/kg.
        ("truesdell_jones", 2.0),
    ],
)
def test_published_ionic_strength_limits(model, I_max):
    r = validity_range(model)
    assert r.I_max == I_max
    # Water at 1 atm is liquid from 0 to 100 °C: the range of A(T), B(T).
    assert (r.T_min, r.T_max) == (273.15, 373.15)


def test_every_model_has_a_range_and_ideal_is_never_outside():
    for model in registered_models():
        assert isinstance(validity_range(model, ("K+", "Cl-")), ionsweep.activity.ValidityRange)
    ideal = validity_range("ideal")
    assert not bool(ideal.outside(1e6, 999.0)) and ideal.describe().startswith("any")
    with pytest.raises(ValueError, match="unknown activity model"):
        validity_range("nosuch")


def test_outside_is_false_at_nan_and_has_half_a_kelvin_of_slack():
    r = validity_range("davies")
    got = r.outside(
        np.array([0.1, 0.6, np.nan, 0.1, 0.1]), np.array([298.15, 298.15, 298.15, 373.5, 373.7])
    )
    assert got.tolist() == [False, True, False, False, True]


def test_pitzer_ranges_follow_each_set():
    # HMW84: 25 °C only (Harvie, Moller & Weare 1984, Table 1).
    hmw = validity_range("pitzer:hmw84", ("Ca2+", "Cl-"))
    assert (hmw.T_min, hmw.T_max) == (298.15, 298.15)
    # pitzer.dat states 0-200 °C for Ca-Cl; ionsweep declares 0-100 °C (water at 1 atm).
    dat = validity_range("pitzer", ("Ca2+", "Cl-"))
    assert (dat.T_min, dat.T_max) == (273.15, 373.15)
    # Ca-HCO3 is given at 25 °C only in pitzer.dat: a mixture holding it is stated there only.
    assert validity_range("pitzer", ("Ca2+", "Cl-", "HCO3-")).T_max == 298.15


def test_ten_molal_calcium_chloride_is_outside_every_pitzer_set():
    # gamma_+- = 272 at 10 m CaCl2 (I = 30 mol/kg), beyond CaCl2's saturation (~7.4 m) and
    # the data the sets were fitted to; 6 m (I = 18) is inside.
    for model in ("pitzer", "pitzer:hmw84"):
        r = validity_range(model, ("Ca2+", "Cl-"))
        assert bool(r.outside(30.0, 298.15)) and not bool(r.outside(18.0, 298.15))
        assert math.isfinite(r.I_max)
