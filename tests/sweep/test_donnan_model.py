"""The ``donnan`` sweep model's osmotic imbalance counts the impermeant species explicitly."""

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

import ionsweep
from ionsweep.sweep import SpecError

SPECS = Path(__file__).parents[2] / "sweeps"
R, F = 6.02214076e23 * 1.380649e-23, 6.02214076e23 * 1.602176634e-19  # CODATA 2018, exact


def donnan_ref(c_bath, z, rho, T):
    """Independent scalar Donnan solve: sum z c_bath exp(-z u) + rho = 0, u = FV/RT."""
    f = lambda u: sum(zi * ci * np.exp(-zi * u) for zi, ci in zip(z, c_bath, strict=True)) + rho  # noqa: E731
    u = brentq(f, -40, 40, xtol=1e-14)
    c_in = [ci * np.exp(-zi * u) for zi, ci in zip(z, c_bath, strict=True)]
    return 1000 * R * T / F * u, c_in


def test_shipped_donnan_spec_has_no_imbalance_at_zero_fixed_charge():
    ds = ionsweep.run_sweep(SPECS / "donnan.toml")
    osm = ds.osmotic_imbalance
    np.testing.assert_allclose(osm.sel(fixed_charge=0.0).values, 0.0, atol=1e-3)
    assert "fixed_charge/(-2)" in osm.attrs["long_name"]
    # At -150 mM of charge: 75 mM of protein plus the redistributed ions (independent solve).
    bath = ds.sel(bath="physiological", fixed_charge=-150.0)
    c_bath, z = [150.0, 2.0, 154.0], [1, 2, -1]
    _, c_in = donnan_ref(c_bath, z, -150.0, 310.15)
    expected = sum(c_in) - sum(c_bath) + 75.0
    assert float(bath.osmotic_imbalance) == pytest.approx(expected, rel=1e-4)


SPEC = """
[model]
name = "donnan"
ions = ["K+", "Cl-"]
{option}
[axes]
fixed_charge = [-50.0, 0.0]
[fixed]
K_bath = 150.0
Cl_bath = 150.0
{fixed}
"""


def test_explicit_impermeant_concentration_still_works():
    # The example: -50 mM of a monovalent protein adds its 50 mOsm/L.
    ds = ionsweep.run_sweep(SPEC.format(option="", fixed="c_impermeant = 50.0"))
    assert "c_impermeant" in ds.osmotic_imbalance.attrs["long_name"]
    _, c_in = donnan_ref([150.0, 150.0], [1, -1], -50.0, 310.15)
    expected = sum(c_in) - 300.0 + 50.0  # 54.14 mOsm/L at 37 °C
    assert float(ds.osmotic_imbalance.sel(fixed_charge=-50.0)) == pytest.approx(expected, rel=1e-5)


def test_impermeant_is_required_without_its_valence():
    # Before: c_impermeant silently defaulted to 0 (3.96 instead of 53.96 mOsm/L).
    with pytest.raises(SpecError, match="c_impermeant"):
        ionsweep.run_sweep(SPEC.format(option="", fixed=""))


@pytest.mark.parametrize("bad", ["0", "1.5", '"minus two"'])
def test_bad_impermeant_valence_is_refused(bad):
    with pytest.raises((SpecError, ValueError), match="z_impermeant"):
        ionsweep.run_sweep(SPEC.format(option=f"z_impermeant = {bad}", fixed=""))
