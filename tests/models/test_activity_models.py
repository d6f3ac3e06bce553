"""Activity-aware sweep models and elasticity outputs."""

import numpy as np
import pytest

import ionsweep
from ionsweep.store import decode_attrs
from ionsweep.sweep import SpecError, parse_spec

SPEC = """
[model]
name = "activity_error"
ions = ["K+", "Na+", "Cl-", "Ca2+"]
balance = "Cl-"
models = ["ideal", "davies", "pitzer"]
[axes]
activity_model = ["ideal", "davies", "pitzer"]
K_out = [5.0, 40.0]
[fixed]
K_in = 140
Na_in = 12
Ca_in = 0.0001
Na_out = 145
Ca_out = 2
celsius = 37
[outputs]
variables = ["dE_K", "E_K", "gamma_out_K"]
grad = ["K_out"]
elasticity = ["K_out"]
"""


def _compositions(k_out):
    # Cl- balances each side (the spec's balance option), mM.
    c_in = {"K+": 140.0, "Na+": 12.0, "Ca2+": 1e-4, "Cl-": 140 + 12 + 2e-4}
    c_out = {"K+": k_out, "Na+": 145.0, "Ca2+": 2.0, "Cl-": k_out + 145 + 4}
    return c_in, c_out


def test_activity_error_matches_nernst_activity():
    ds = ionsweep.run_sweep(SPEC, dtype="float64")
    assert ds.activity_model.values.tolist() == ["ideal", "davies", "pitzer"]
    np.testing.assert_array_equal(ds.dE_K.sel(activity_model="ideal").values, 0.0)
    for model in ("davies", "pitzer"):
        for k_out in (5.0, 40.0):
            c_in, c_out = _compositions(k_out)
            e = ionsweep.nernst_activity("K+", c_in, c_out, 310.15, model=model)
            e0 = ionsweep.nernst(140.0, k_out, 1, 310.15)
            got = ds.sel(activity_model=model, K_out=k_out)
            np.testing.assert_allclose(got.E_K.values, e, rtol=1e-10)
            np.testing.assert_allclose(got.dE_K.values, e - e0, rtol=1e-8, atol=1e-12)
    # elasticity (x/E) dE/dx from the stored gradient
    np.testing.assert_allclose(
        ds.E_K_elasticity_K_out.values,
        ds.K_out.values * ds.dE_K_dK_out.values / ds.E_K.values,
        rtol=1e-12,
    )
    assert ds.dE_K.attrs["units"] == "mV" and ds.E_K_elasticity_K_out.attrs["units"] == "1"


def test_ideal_elasticities_match_closed_form():
    ds = ionsweep.run_sweep(
        {
            "model": {"name": "nernst"},
            "axes": {"c_out": [2.0, 5.0, 20.0], "celsius": [20.0, 37.0]},
            "fixed": {"c_in": 140.0, "ion": "K+"},
            "outputs": {"elasticity": ["c_out", "T"]},
        },
        dtype="float64",
    )
    # E = (RT/F) ln(c_out/c_in): (c_out/E) dE/dc_out = (RT/F)/E = 1/ln(c_out/c_in); T: 1
    expected = 1 / np.log(np.array([2.0, 5.0, 20.0]) / 140.0)
    np.testing.assert_allclose(
        ds.E_elasticity_c_out.values, expected[:, None] * np.ones(2), rtol=1e-12
    )
    np.testing.assert_allclose(ds.E_elasticity_T.values, 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            (
                'activity_model = ["ideal", "davies", "pitzer"]',
                'activity_model = ["ideal", "nonsense"]',
            ),
            "not among this model's activity models",
        ),
        (
            ('models = ["ideal", "davies", "pitzer"]', 'models = ["ideal", "bogus"]'),
            "unknown activity model 'bogus'",
        ),
        (('balance = "Cl-"', 'balance = "Br-"'), "'balance'"),
        (('elasticity = ["K_out"]', 'elasticity = ["activity_model"]'), "categorical"),
    ],
)
def test_bad_activity_specs(edit, needle):
    with pytest.raises(SpecError, match=needle):
        parse_spec(SPEC.replace(*edit))


SULFATE_SPEC = """
[model]
name = "activity_error"
ions = ["Na+", "Ca2+", "Cl-", "SO4 2-"]
balance = "Cl-"
models = MODELS
[axes]
activity_model = MODELS
celsius = CELSIUS
[fixed]
Na_in = 12
Ca_in = 0.0001
SO4_in = 1
Na_out = 145
Ca_out = 2
SO4_out = 1
[outputs]
variables = ["dE_Ca"]
"""


def _sulfate_spec(models, celsius):
    return SULFATE_SPEC.replace("MODELS", repr(models).replace("'", '"')).replace(
        "CELSIUS", repr(celsius)
    )


def test_pitzer_temperature_outside_range_is_flagged_in_plan_run_and_attrs():
    from ionsweep.sweep import PlanWarning

    # Ca2+–SO4 2- parameters of the HMW84 set are stated at 25 °C only.
    plan = parse_spec(_sulfate_spec(["davies", "pitzer:hmw84"], [25.0, 37.0]))
    (note,) = plan.warnings
    assert "298.15–310.15 K" in note and "(HMW84 Table 1 (25 °C)" in note
    with pytest.warns(PlanWarning, match="HMW84 Table 1"):
        ds = ionsweep.run_sweep(_sulfate_spec(["davies", "pitzer:hmw84"], [25.0, 37.0]))
    assert decode_attrs(ds.attrs)["ionsweep_warnings"] == [note]
    assert np.isfinite(ds.dE_Ca.values).all()  # a warning, not NaN: the values are kept
    # Within range, or without the Pitzer model, nothing to say.
    assert parse_spec(_sulfate_spec(["davies", "pitzer:hmw84"], [25.0])).warnings == ()
    assert parse_spec(_sulfate_spec(["davies", "truesdell_jones"], [25.0, 37.0])).warnings == ()


def test_cli_prints_plan_warnings_on_one_line(tmp_path):
    import subprocess
    import sys

    spec = tmp_path / "sulfate.toml"
    spec.write_text(_sulfate_spec(["pitzer:hmw84"], [37.0]))
    out = subprocess.run(
        [sys.executable, "-m", "ionsweep", "run", str(spec), "--out", str(tmp_path / "s.zarr")],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("ionsweep: warning:")]
    assert len(lines) == 1
    assert lines[0].startswith("ionsweep: warning: Pitzer (hmw84): T = 310.15 K")


# --- validity ranges: flagged in `valid`, values kept; `valid` = 0 means every output NaN ---

RANGE_SPEC = """
[model]
name = "activity_error_ghk"
ions = ["K+", "Na+", "Cl-"]
balance = "Cl-"
fill = "Na+"
models = ["davies", "debye_huckel"]
[axes]
activity_model = ["davies", "debye_huckel"]
I_out = [0.1, 0.45, 0.6, 3.0, 1000.0]
[fixed]
I_in = 0.15
K_in = 5.0
K_out = 5.0
celsius = 25
[outputs]
variables = ["dE_K", "E_K", "gamma_out_K", "ionic_strength_out"]
"""


def _davies_gamma(I, T=298.15):
    """Davies (1962), c = 0.3, z = 1, with ionsweep's A(T) (its water model), mol/kg."""
    A = float(ionsweep.activity.debye_huckel_A(T))
    return 10 ** (-A * (np.sqrt(I) / (1 + np.sqrt(I)) - 0.3 * I))


def test_points_outside_an_activity_models_range_are_flagged_and_kept():
    ds = ionsweep.run_sweep(RANGE_SPEC, dtype="float64")
    assert ds.valid.attrs["flag_values"] == [0, 1, 2, 3]
    assert ds.valid.attrs["flag_meanings"].split()[2] == "outside_validity_range"
    I_molal = ds.ionic_strength_out.sel(activity_model="davies").values
    # Davies: I < 0.5 mol/kg (Stumm & Morgan 1996, Table 3.3); 0.45 M is 0.451 mol/kg.
    davies = ds.sel(activity_model="davies")
    assert davies.valid.values[:4].tolist() == [1, 1, 2, 2]
    # Kept as computed: gamma = 1.37 at I = 3 (the closed form, independently).
    np.testing.assert_allclose(
        davies.gamma_out_K.values[:4], _davies_gamma(I_molal[:4]), rtol=1e-12
    )
    assert davies.gamma_out_K.values[3] == pytest.approx(1.37, abs=0.005)
    # The limiting law: I < 10^-2.3 mol/kg; I_in = 0.15 M alone is outside, everywhere.
    dh = ds.sel(activity_model="debye_huckel")
    assert dh.valid.values.tolist() == [2, 2, 2, 2, 2]
    assert np.isfinite(dh.E_K.values).all()  # at I = 1000 mol/kg too: flagged, not removed


def test_valid_zero_means_every_output_is_nan_in_store_and_reduce():
    # float32, Davies at I = 1000 M: ln gamma = 356 overflows exp, so gamma_out_K = inf while
    # dE_K (from ln gamma) stayed finite (56,052 mV) at a point whose valid was 0.
    ds = ionsweep.run_sweep(RANGE_SPEC, dtype="float32")
    point = ds.sel(activity_model="davies", I_out=1000.0)
    assert int(point.valid) == 0
    for name in ("dE_K", "E_K", "gamma_out_K", "ionic_strength_out"):
        assert np.isnan(ds[name].values[ds.valid.values == 0]).all(), name
        assert np.isfinite(ds[name].values[ds.valid.values != 0]).all(), name
    # Reduce mode counts the same points for every output: valid 1 and 2, not 0.
    red = ionsweep.run_sweep(
        RANGE_SPEC + '[reduce]\nover = ["I_out"]\nstats = ["mean"]\n', dtype="float32"
    )
    want = (ds.valid.values != 0).sum(axis=list(ds.valid.dims).index("I_out"))
    for name in ("dE_K", "E_K", "gamma_out_K"):
        np.testing.assert_array_equal(red[f"{name}_count"].values, want)
    mean = np.nanmean(ds.dE_K.values.astype(np.float64), axis=list(ds.dE_K.dims).index("I_out"))
    np.testing.assert_allclose(red.dE_K_mean.values, mean, rtol=1e-5)


def test_pitzer_sets_flag_temperatures_outside_their_stated_range():
    # HMW84 is stated at 25 °C only; pitzer.dat (0-200 °C in its header) is declared 0-100 °C,
    # where ionsweep, evaluating water at 1 atm, agrees with PHREEQC.
    spec = SPEC.replace('["ideal", "davies", "pitzer"]', '["pitzer:hmw84", "pitzer"]')
    spec = spec.replace("K_out = [5.0, 40.0]", "celsius = [25.0, 37.0, 100.0, 150.0]")
    spec = spec.replace("celsius = 37\n", "K_out = 5.0\n").replace('grad = ["K_out"]', "")
    spec = spec.replace('elasticity = ["K_out"]', "")
    with pytest.warns(ionsweep.sweep.PlanWarning):
        ds = ionsweep.run_sweep(spec, dtype="float64")
    assert ds.valid.sel(activity_model="pitzer:hmw84").values.tolist() == [1, 2, 2, 2]
    assert ds.valid.sel(activity_model="pitzer").values.tolist() == [1, 1, 1, 2]
    assert np.isfinite(ds.E_K.values).all()


@pytest.mark.parametrize("temperature", ["T = 1e-30", "T = 1e30", "celsius = 1e30", "T = 1001"])
def test_absurd_temperatures_are_refused_at_parse_time(temperature):
    spec = SPEC.replace("celsius = 37", temperature)
    with pytest.raises(
        SpecError, match=r"\[fixed\] (T|celsius): temperature must be within 1-1000 K"
    ):
        parse_spec(spec)
