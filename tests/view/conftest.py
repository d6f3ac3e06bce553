"""Stores for the explorer tests: the quickstart sweep, a small reduce-mode sweep, and a
sensitivity-shaped Dataset. Built once per session (the sweeps take about a second each)."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("panel", reason="the explorer needs the view extra: ionsweep[view]")

ROOT = Path(__file__).resolve().parents[2]

REDUCE_SPEC = {
    "title": "GHK reversal potential statistics (test)",
    "model": {"name": "ghk_voltage", "ions": ["K+", "Na+", "Cl-"]},
    "axes": {
        "P_Na": {"logspace": [-3, 0, 6]},
        "K_out": {"linspace": [2, 20, 4]},
        "celsius": {"linspace": [20, 40, 3]},
    },
    "fixed": {
        "P_K": 1.0,
        "P_Cl": 0.1,
        "K_in": 140.0,
        "Na_in": 12.0,
        "Na_out": 145.0,
        "Cl_in": 7.0,
        "Cl_out": 120.0,
    },
    "outputs": {"variables": ["V_rev"]},
    "reduce": {
        "over": ["P_Na"],
        "stats": ["min", "max", "mean", "std"],
        "histogram": {"V_rev": {"bins": 10, "range": [-100, 50]}},
    },
}


@pytest.fixture(scope="session")
def quickstart_store(tmp_path_factory):
    import ionsweep

    out = tmp_path_factory.mktemp("view") / "quickstart.zarr"
    ionsweep.run_sweep(str(ROOT / "sweeps" / "quickstart.toml"), store=out)
    return out


@pytest.fixture(scope="session")
def reduce_store(tmp_path_factory):
    import ionsweep

    out = tmp_path_factory.mktemp("view") / "reduce.zarr"
    ionsweep.run_sweep(REDUCE_SPEC, store=out)
    return out


@pytest.fixture
def sensitivity_ds():
    """Sobol indices with confidence half-widths, laid out as ionsweep sensitivity stores."""
    rng = np.random.default_rng(0)
    params = ["I_in", "I_out", "celsius"]
    outputs = ["dE_K", "dE_Cl"]
    st = rng.uniform(0, 1, (2, 3))
    conf = rng.uniform(0, 0.1, (2, 3))
    return xr.Dataset(
        {
            "ST": (("output", "parameter"), st, {"units": "1", "long_name": "total-order index"}),
            "ST_conf": (("output", "parameter"), conf, {"units": "1", "long_name": "CI"}),
            "histogram": (
                ("output", "bin"),
                rng.uniform(0, 1, (2, 5)),
                {"units": "1/mV", "long_name": "probability density"},
            ),
        },
        coords={
            "output": ("output", outputs, {"units": "1", "long_name": "model output"}),
            "parameter": ("parameter", params, {"units": "1", "long_name": "input"}),
            "bin_center": ("bin", np.linspace(-4, 4, 5), {"units": "mV", "long_name": "bin"}),
        },
        attrs={"ionsweep_mode": "sensitivity", "ionsweep_complete": True, "title": "t"},
    )
