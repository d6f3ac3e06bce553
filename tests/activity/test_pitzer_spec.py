"""Parameter sets as values of a sweep's activity_model axis, with databases from the spec."""

import shutil

import numpy as np
import pytest

import ionsweep
from ionsweep.activity import nernst_activity
from ionsweep.sweep import SpecError, parse_spec

SPEC = """
[activity.databases]
mydb = "db/pitzer.dat"        # relative to this file
[model]
name = "activity_error"
ions = ["K+", "Na+", "Cl-", "Ca2+"]
balance = "Cl-"
models = ["pitzer:hmw84", "pitzer", "pitzer:mydb"]
[axes]
activity_model = ["pitzer:hmw84", "pitzer", "pitzer:mydb"]
[fixed]
K_in = 140
Na_in = 12
Ca_in = 0.0001
K_out = 5
Na_out = 145
Ca_out = 2
celsius = 25
[outputs]
variables = ["E_K", "E_Ca"]
"""


def _spec_file(tmp_path, text=SPEC):
    (tmp_path / "db").mkdir(exist_ok=True)
    from importlib import resources

    with resources.as_file(resources.files("ionsweep.activity") / "data" / "pitzer.dat") as p:
        shutil.copy(p, tmp_path / "db" / "pitzer.dat")
    path = tmp_path / "sets.toml"
    path.write_text(text)
    return path


def test_parameter_sets_as_a_categorical_axis(tmp_path):
    ds = ionsweep.run_sweep(_spec_file(tmp_path), dtype="float64")
    c_in = {"K+": 140.0, "Na+": 12.0, "Ca2+": 0.0001, "Cl-": 152.0002}
    c_out = {"K+": 5.0, "Na+": 145.0, "Ca2+": 2.0, "Cl-": 154.0}
    labels = list(ds["activity_model"].attrs.get("labels", [])) or list(ds["activity_model"].values)
    assert len(ds["E_K"]) == 3
    for k, params in enumerate(["hmw84", "phreeqc", "phreeqc"]):
        for ion, var in (("K+", "E_K"), ("Ca2+", "E_Ca")):
            ref = nernst_activity(ion, c_in, c_out, 298.15, "pitzer", parameters=params)
            assert float(ds[var][k]) == pytest.approx(float(ref), abs=1e-9), (labels, k, var)
    # The database read from the spec's directory equals the built-in copy of pitzer.dat.
    np.testing.assert_allclose(ds["E_Ca"][1], ds["E_Ca"][2], rtol=1e-12)
    assert abs(float(ds["E_Ca"][0] - ds["E_Ca"][1])) > 0.01  # HMW84 vs PHREEQC, mV


def test_bad_database_declarations(tmp_path):
    path = _spec_file(tmp_path, SPEC.replace("db/pitzer.dat", "db/missing.dat"))
    with pytest.raises(SpecError, match=r"\[activity.databases\] mydb: no such file"):
        parse_spec(path.read_text(), source=str(path))
    path = _spec_file(tmp_path, SPEC.replace('"pitzer:mydb"]', '"pitzer:other"]'))
    with pytest.raises(SpecError, match="unknown Pitzer parameter set 'other'"):
        parse_spec(path.read_text(), source=str(path))


def test_parameter_set_sobol_spec_plans():
    """sweeps/activity_parameter_set_sobol.toml: the set is a categorical input of a Sobol run
    next to ionic strength and temperature, and the plan warns about HMW84's 25 °C range."""
    from pathlib import Path

    from ionsweep.sensitivity import load_sensitivity_spec

    path = Path(__file__).parents[2] / "sweeps" / "activity_parameter_set_sobol.toml"
    plan = load_sensitivity_spec(path)
    inputs = {ri.key: ri for ri in plan.inputs}
    assert set(inputs) == {"I_in", "I_out", "celsius", "activity_model"}
    assert plan.model.input("activity_model").choices == ("pitzer:hmw84", "pitzer:phreeqc")
    assert plan.n_evaluations == 256 * (4 + 2)
    assert any("hmw84" in w and "outside the range" in w for w in plan.warnings)
    assert not any("phreeqc" in w for w in plan.warnings)  # pitzer.dat: chlorides 0-60+ °C
