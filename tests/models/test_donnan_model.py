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


# --- the bath must be electroneutral, as `calc donnan` requires --------------------------

BATHS = """
[model]
name = "donnan"
ions = ["K+", "Ca2+", "Cl-"]
z_impermeant = -1
[axes]
fixed_charge = [-50.0, 0.0]
[axes.bath]
labels = ["neutral", "dilute", "K150_Cl10", "slightly_off"]
K_bath = [150.0, 15.0, 150.0, 300.0]
Ca_bath = [2.0, 0.2, 0.0, 4.0]
Cl_bath = [154.0, 15.4, 10.0, 308.0001]
[fixed]
celsius = 37.0
"""


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_bath_with_a_net_charge_is_flagged_per_point(dtype):
    # Before: K_bath = 150, Cl_bath = 10 gave V = +19.95 mV with valid = 1.
    ds = ionsweep.run_sweep(BATHS, dtype=dtype)
    meanings = ds.valid.attrs["flag_meanings"].split()
    assert meanings[3] == "bath_not_electroneutral" and ds.valid.attrs["flag_values"][3] == 3
    assert ds.valid.sel(bath="neutral").values.tolist() == [1, 1]
    assert ds.valid.sel(bath="dilute").values.tolist() == [1, 1]  # 15 + 2(0.2) = 15.4, rounded
    # |net| = 140 mM and 1e-4 mM: both beyond calc's tolerance (1e-9 of sum |z|c, float64;
    # 16 float32 epsilons = 1.9e-6 in float32, where 1e-4/616 = 1.6e-7 is within).
    off = 1 if dtype == "float32" else 3
    assert ds.valid.sel(bath="K150_Cl10").values.tolist() == [3, 3]
    assert ds.valid.sel(bath="slightly_off").values.tolist() == [off, off]
    for name in ("V", "K_in", "Ca_in", "Cl_in", "osmotic_imbalance"):
        assert np.isnan(ds[name].sel(bath="K150_Cl10").values).all(), name
    V, _ = donnan_ref([150.0, 2.0, 154.0], [1, 2, -1], -50.0, 310.15)
    got = float(ds.V.sel(bath="neutral", fixed_charge=-50.0))
    assert got == pytest.approx(V, abs=1e-4 if dtype == "float32" else 1e-9)


def test_a_fixed_bath_with_a_net_charge_is_refused_naming_its_fields(capsys, tmp_path):
    from ionsweep.cli import main

    spec = SPEC.format(option="z_impermeant = -1", fixed="").replace(
        "Cl_bath = 150.0", "Cl_bath = 10.0"
    )
    with pytest.raises(
        SpecError, match=r"\[fixed\] K_bath, Cl_bath: the bath is not electroneutral"
    ):
        ionsweep.run_sweep(spec)
    path = tmp_path / "bath.toml"
    path.write_text(spec)
    assert main(["run", str(path), "--out", str(tmp_path / "bath.zarr")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "net charge sum(z*c) = +140 mM" in err
    assert not (tmp_path / "bath.zarr").exists()
