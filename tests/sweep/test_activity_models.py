"""Activity-aware sweep models and elasticity outputs."""

import numpy as np
import pytest

import ionsweep
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
    assert list(ds.attrs["ionsweep_warnings"]) == [note]
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
