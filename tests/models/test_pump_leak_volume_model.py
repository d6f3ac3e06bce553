"""The ``pump_leak_volume`` sweep model: values equal the kernel's, bad inputs refused."""

from pathlib import Path

import numpy as np
import pytest

import ionsweep
from ionsweep.sweep import SpecError, parse_spec

SPEC = """
[model]
name = "pump_leak_volume"
[axes]
pump_flux = [0.0, 10.0, 20.0, 60.0]
P_Na = [4e-8, 5e-8]
[fixed]
impermeant = 400.0
z_impermeant = -1.0
celsius = 37.0
[outputs]
variables = ["V", "Na_in", "K_in", "Cl_in", "volume"]
"""


def test_sweep_matches_the_kernel():
    ds = ionsweep.run_sweep(SPEC, dtype="float64")
    p = np.array([0.0, 10.0, 20.0, 60.0])[:, None]
    P_Na = np.array([4e-8, 5e-8])[None, :]
    # Defaults of the model: P_K 1e-6, P_Cl 1e-6, bath 5 K / 145 Na / 150 Cl mM, r = 1.5.
    want = ionsweep.pump_leak_steady_state(
        p, 1e-6, P_Na, 1e-6, 5.0, 145.0, 150.0, 400.0, -1.0, 310.15
    )
    for name in ("V", "Na_in", "K_in", "Cl_in", "volume"):
        np.testing.assert_allclose(ds[name].values, getattr(want, name), rtol=1e-12)
    np.testing.assert_array_equal(ds.valid.values.astype(bool), np.asarray(want.valid))
    # pump stopped: unbounded volume; 60 pmol/(cm² s) outruns the Na+ leak: no state.
    assert not ds.valid.values[0].any() and not ds.valid.values[3].any()
    assert ds.valid.values[1].all() and ds.valid.values[2, 1]
    assert ds.volume.attrs["units"] == "um" and ds.pump_flux.attrs["units"] == "pmol/cm2/s"
    assert ds.volume.values[2, 1] < ds.volume.values[1, 1]  # a faster pump shrinks the cell


@pytest.mark.parametrize(
    "change, new, name, message",
    [
        ("pump_flux = [0.0, 10.0, 20.0, 60.0]", "pump_flux = [-1.0, 10.0]", "pump_flux", ">= 0"),
        ("z_impermeant = -1.0", "z_impermeant = 0.0", "z_impermeant", "must be non-zero"),
        ("celsius = 37.0", "T = 0.0", "T", "must be > 0 K"),
        ("impermeant = 400.0", "impermeant = 400.0\nNa_out = -5.0", "Na_out", "must be >= 0"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(change, new, name, message):
    with pytest.raises(SpecError) as err:
        parse_spec(SPEC.replace(change, new), source="s.toml")
    assert f"{name}:" in str(err.value) and message in str(err.value)


def test_shipped_spec_is_valid():
    path = Path(__file__).parents[2] / "sweeps" / "pump_leak_volume.toml"
    plan = parse_spec(path.read_text(), source=str(path))
    assert plan.dims == ("pump_flux", "P_Na") and plan.shape == (40, 9)
