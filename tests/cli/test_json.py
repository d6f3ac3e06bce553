"""JSON written by the command line reads back: sensitivity results as an xarray Dataset,
fit results in one shape (a list of fits) whether pooled or per cell."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr

from ionsweep.cli import main
from ionsweep.data import example_fit_path
from ionsweep.store import open_results

SPEC = """
title = "E_K sensitivity"
[model]
name = "nernst"
[inputs]
c_out = { uniform = [2.0, 10.0] }
celsius = { uniform = [20.0, 40.0] }
[fixed]
c_in = 140.0
ion = "K+"
[sobol]
n = 64
[uncertainty]
n = 200
thresholds = [80.0]
"""


def test_sensitivity_json_is_dataset_to_dict(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    store = tmp_path / "s.zarr"
    assert main(["sensitivity", str(spec), "--out", str(store), "--json", "--quiet"]) == 0
    out = capsys.readouterr().out
    back = xr.Dataset.from_dict(json.loads(out))
    stored = open_results(store).load()
    assert set(back.data_vars) == set(stored.data_vars)
    for name in stored.data_vars:
        np.testing.assert_allclose(back[name].values, stored[name].values, equal_nan=True)
        assert back[name].attrs.get("units") == stored[name].attrs.get("units")
    assert list(back.parameter.values) == list(stored.parameter.values)


@pytest.mark.parametrize("extra", [[], ["--per-cell", "--offset"]])
def test_fit_json_has_one_shape(capsys, extra):
    args = ["fit", str(example_fit_path()), "--ions", "K+,Na+,Cl-", "--json", *extra]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    cells = data["cells"]
    assert isinstance(cells, list) and len(cells) == (6 if extra else 1)
    assert data["fitted_as"]["P_Na+/P_K+"] == "log_ratio"
    assert "estimates" not in data and "estimates" not in cells[0]
    for cell in cells:
        assert set(cell["ratios"]) == {"K+", "Na+", "Cl-"}
        for ion in ("Na+", "Cl-"):  # log_ratio is ln of the ratio it reports
            assert cell["log_ratio"][ion] == pytest.approx(math.log(cell["ratios"][ion]))
        assert cell["log_ratio"]["K+"] == 0.0
        p = len(data["parameters"])
        assert np.shape(cell["covariance"]) == (p, p)
    assert (cells[0]["cell"] is None) == (not extra)
    assert len(data["measurements"]["measured"]) == 48
