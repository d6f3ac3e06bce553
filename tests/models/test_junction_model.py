"""The ``liquid_junction`` sweep model: values and gradients equal the kernel's, points that
are not electroneutral flagged, reductions, and bad specs refused naming the field."""

from pathlib import Path

import jax
import numpy as np
import pytest

import ionsweep
from ionsweep.sweep import SpecError, parse_spec

BATH = {"Na+": 145.0, "K+": 5.0, "Cl-": 150.0}

SPEC = """
[model]
name = "liquid_junction"
pipette = ["K+", "Gluconate-", "Cl-"]
pipette_balance = "K+"
bath = ["Na+", "K+", "Cl-"]
[axes]
Gluconate_pipette = [100.0, 120.0]
Cl_pipette = [10.0, 30.0]
T = [295.15, 308.15]
[fixed]
Na_bath = 145.0
K_bath = 5.0
Cl_bath = 150.0
[outputs]
variables = ["ljp", "ljp_henderson"]
grad = ["Gluconate_pipette", "T"]
"""


def _kernel(gluconate, cl, T, method="nernst-planck"):
    pipette = {"K+": gluconate + cl, "Gluconate-": gluconate, "Cl-": cl}
    return ionsweep.liquid_junction_potential(pipette, BATH, T, method=method)


@pytest.fixture(scope="module")
def ds():
    return ionsweep.run_sweep(SPEC, dtype="float64")


def test_sweep_equals_the_eager_kernel_point_by_point(ds):
    assert ds.ljp.dims == ("Gluconate_pipette", "Cl_pipette", "T")
    for i, g in enumerate([100.0, 120.0]):
        for j, cl in enumerate([10.0, 30.0]):
            for k, T in enumerate([295.15, 308.15]):
                for name, method in (("ljp", "nernst-planck"), ("ljp_henderson", "henderson")):
                    want = float(_kernel(g, cl, T, method))
                    assert float(ds[name][i, j, k]) == pytest.approx(want, abs=1e-9), name
    assert (ds.valid.values == 1).all()
    # K-gluconate against a NaCl bath: the bath is positive, some +10 to +16 mV
    assert (ds.ljp.values > 8).all() and (ds.ljp.values < 17).all()
    assert ds.ljp.attrs["units"] == "mV" and ds.Gluconate_pipette.attrs["units"] == "mM"


def test_engine_gradients_equal_jax_grad_of_the_kernel(ds):
    # jax.grad as a user calls it, on the eager kernel
    d_gluc = jax.grad(_kernel, argnums=0)
    d_T = jax.grad(_kernel, argnums=2)
    for i, g, k, T in ((0, 100.0, 0, 295.15), (1, 120.0, 1, 308.15)):
        got = float(ds["dljp_dGluconate_pipette"][i, 1, k])
        assert got == pytest.approx(float(d_gluc(g, 30.0, T)), rel=1e-9, abs=1e-12)
        got = float(ds["dljp_dT"][i, 1, k])
        assert got == pytest.approx(float(d_T(g, 30.0, T)), rel=1e-9, abs=1e-12)
    assert np.isfinite(ds["dljp_dGluconate_pipette"].values).all()


def test_non_neutral_points_are_nan_with_code_3():
    spec = SPEC.replace('pipette_balance = "K+"\n', "").replace(
        "[fixed]\n", "[fixed]\nK_pipette = 130.0\n"
    )
    spec = spec.replace('grad = ["Gluconate_pipette", "T"]', "")
    ds = ionsweep.run_sweep(spec, dtype="float64")
    neutral = np.array([[False, True], [True, False]])  # 130 = 100 + 30 = 120 + 10
    assert (ds.valid.values[neutral] == 1).all() and (ds.valid.values[~neutral] == 3).all()
    assert np.isnan(ds.ljp.values[~neutral]).all() and np.isfinite(ds.ljp.values[neutral]).all()
    assert float(ds.ljp[1, 0, 0]) == pytest.approx(float(_kernel(120.0, 10.0, 295.15)), abs=1e-9)


def test_reduction_over_the_composition_axes():
    spec = SPEC.replace('grad = ["Gluconate_pipette", "T"]', "")
    spec += '[reduce]\nover = ["Gluconate_pipette", "Cl_pipette"]\nstats = ["min", "max"]\n'
    ds = ionsweep.run_sweep(spec, dtype="float64")
    for k, T in enumerate([295.15, 308.15]):
        values = [float(_kernel(g, c, T)) for g in (100.0, 120.0) for c in (10.0, 30.0)]
        assert float(ds.ljp_min[k]) == pytest.approx(min(values), abs=1e-9)
        assert float(ds.ljp_max[k]) == pytest.approx(max(values), abs=1e-9)


@pytest.mark.parametrize(
    "change, new, name, message",
    [
        ('pipette_balance = "K+"\n', "", "K_pipette", "needs input"),
        ("K_bath = 5.0", "K_bath = 50.0", "Na_bath, K_bath, Cl_bath", "not electroneutral"),
        ("Cl_bath = 150.0", "Cl_bath = -150.0", "Cl_bath", ">= 0"),
        ('bath = ["Na+", "K+", "Cl-"]', 'bath = ["Na+", "K+", "Cl-", "Xq-"]', "model", "Xq-"),
        ('pipette_balance = "K+"', 'pipette_balance = "Na+"', "model", "pipette_balance"),
    ],
)
def test_bad_specs_are_refused_naming_the_field(change, new, name, message):
    with pytest.raises(SpecError) as err:
        parse_spec(SPEC.replace(change, new), source="s.toml")
    assert name in str(err.value) and message in str(err.value), str(err.value)


def test_shipped_spec_is_valid():
    path = Path(__file__).parents[2] / "sweeps" / "liquid_junction.toml"
    plan = parse_spec(path.read_text(), source=str(path))
    assert plan.dims == ("Gluconate_pipette", "Cl_pipette", "celsius")
    assert plan.shape == (29, 29, 2)


def test_mobility_factors_scale_the_tabulated_mobilities():
    from ionsweep.activity import relative_mobility

    spec = SPEC.replace('bath = ["Na+", "K+", "Cl-"]', 'bath = ["Na+", "K+", "Cl-"]\n'
                        'method = "henderson"\nmobility_factors = true')  # fmt: skip
    spec = spec.replace("T = [295.15, 308.15]", "u_Gluconate = [0.95, 1.05]")
    spec = spec.replace('variables = ["ljp", "ljp_henderson"]', 'variables = ["ljp"]')
    spec = spec.replace('grad = ["Gluconate_pipette", "T"]', "")
    ds = ionsweep.run_sweep(spec, dtype="float64")
    assert "ljp_henderson" not in ds and ds.u_Gluconate.attrs["units"] == "1"
    u0 = relative_mobility("Gluconate-")
    for k, factor in enumerate([0.95, 1.05]):
        pipette = {"K+": 130.0, "Gluconate-": 120.0, "Cl-": 10.0}
        want = ionsweep.liquid_junction_potential(
            pipette, BATH, 310.15, method="henderson", mobilities={"Gluconate-": factor * u0}
        )
        assert float(ds.ljp[1, 0, k]) == pytest.approx(float(want), abs=1e-9)
    assert float(ds.ljp[1, 0, 1]) < float(ds.ljp[1, 0, 0])  # a faster gluconate: a smaller LJP
