"""Every kind of store exports to netCDF with each of xarray's three engines and reads back
equal: root attributes that netCDF cannot hold (tables, lists, booleans) written as JSON text
and integers, CF's conventions kept (no units on text or flag variables)."""

import json
import shutil

import numpy as np
import pytest
import xarray as xr

import ionsweep
from ionsweep.sensitivity import run_sensitivity
from ionsweep.store import decode_attrs, encode_attrs, open_results
from ionsweep.store._read import read_attrs

pytest.importorskip("netCDF4")
pytest.importorskip("h5netcdf")

ENGINES = ("netcdf4", "h5netcdf", "scipy")

SWEEP = """
[model]
name = "nernst"
[axes.ion]
ion = ["K+", "Na+"]
c_in = [140.0, 12.0]
[axes]
c_out = [1.0, 10.0, 100.0]
celsius = [20, 37]
[outputs]
variables = ["E"]
grad = ["c_out"]
"""
REDUCE = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-"]
[axes]
P_Na = { logspace = [-3, 0, 4] }
K_out = { linspace = [2, 20, 3] }
[fixed]
P_K = 1.0
P_Cl = 0.4
K_in = 140.0
Na_in = 12.0
Na_out = 145.0
Cl_in = 7.0
Cl_out = 120.0
[outputs]
variables = ["V_rev"]
[reduce]
over = ["P_Na"]
stats = ["min", "mean", "argmax"]
count = ["V_rev > -50"]
histogram = { V_rev = { bins = 5, range = [-100, 50] } }
"""
PUMP_LEAK = """
[model]
name = "pump_leak_volume"
[axes]
pump_flux = [5.0, 20.0]
P_Na = [2e-8, 5e-8]
[fixed]
P_K = 1e-6
Na_out = 145.0
K_out = 5.0
Cl_out = 150.0
impermeant = 400.0
z_impermeant = -1.0
celsius = 37.0
[outputs]
variables = ["V", "volume"]
"""
CATEGORICAL = """
[model]
name = "activity_error_ghk"
ions = ["K+", "Na+", "Cl-"]
balance = "Cl-"
fill = "Na+"
permeant = ["K+", "Na+", "Cl-"]
models = ["davies", "truesdell_jones"]
[axes]
I_out = [0.05, 0.2]
[fixed]
activity_model = "davies"
I_in = 0.15
celsius = 37.0
K_in = 140.0
K_out = 5.0
P_K = 1.0
P_Na = 0.05
P_Cl = 0.45
[outputs]
variables = ["dE_K"]
"""
_NERNST_INPUTS = {
    "model": {"name": "nernst"},
    "inputs": {"c_out": {"uniform": [2.0, 10.0]}, "celsius": {"uniform": [20, 40]}},
    "fixed": {"c_in": 140.0, "ion": "K+"},
}
SENSITIVITY = {**_NERNST_INPUTS, "sobol": {"n": 16}, "morris": {"n": 4}}
MONTE_CARLO = {**_NERNST_INPUTS, "uncertainty": {"n": 64, "thresholds": [5.0]}}

KINDS = ("sweep", "reduce", "pump_leak", "categorical", "sensitivity", "monte_carlo")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """One store per kind, made on first use and shared by the module's tests."""
    made = {}
    root = tmp_path_factory.mktemp("stores")

    def store(kind):
        if kind not in made:
            out = root / f"{kind}.zarr"
            sweeps = {
                "sweep": SWEEP,
                "reduce": REDUCE,
                "pump_leak": PUMP_LEAK,
                "categorical": CATEGORICAL,
            }
            if kind in sweeps:
                ionsweep.run_sweep(sweeps[kind], out)
            else:
                spec = SENSITIVITY if kind == "sensitivity" else MONTE_CARLO
                run_sensitivity(spec, out)
            made[kind] = out
        return made[kind]

    return store


def _is_text(v) -> bool:
    return v.dtype.kind in "UOST"


def _check_cf(ds):
    """CF: text and flag variables have no units, every other variable has them; flag
    values are an array of the variable's own type."""
    for name, v in ds.variables.items():
        flags = "flag_values" in v.attrs
        if _is_text(v) or flags:
            assert "units" not in v.attrs, name
        else:
            assert v.attrs.get("units"), name
        assert v.attrs.get("long_name"), name
        if flags:
            values = np.asarray(v.attrs["flag_values"])
            assert values.ndim == 1 and values.dtype == v.dtype, name
            assert len(v.attrs["flag_meanings"].split()) == values.size, name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", ENGINES)
def test_open_results_writes_netcdf_and_reads_it_back_equal(stores, tmp_path, kind, engine):
    store = stores(kind)
    ds = open_results(store)
    nc = tmp_path / f"{kind}.nc"
    ds.to_netcdf(nc, engine=engine)
    back = open_results(nc)
    xr.testing.assert_identical(ds.load(), back.load())
    _check_cf(back)
    # the file itself, read by plain xarray: JSON text and 0/1, as the store's zarr.json
    raw = xr.open_dataset(nc, engine=engine)
    assert raw.attrs["ionsweep_complete"] == 1
    assert isinstance(raw.attrs["ionsweep_complete"], int | np.integer)
    assert decode_attrs(raw.attrs) == decode_attrs(ds.attrs)
    assert decode_attrs(raw.attrs)["ionsweep_complete"] is True
    assert json.loads(raw.attrs["ionsweep_warnings"]) == read_attrs(store)["ionsweep_warnings"]
    raw.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", ENGINES)
def test_plain_xarray_writes_a_store_to_netcdf(stores, tmp_path, kind, engine):
    store = stores(kind)
    nc = tmp_path / f"{kind}.nc"
    xr.open_zarr(store).to_netcdf(nc, engine=engine)  # the {dim}_code twins included
    xr.testing.assert_identical(open_results(store).load(), open_results(nc).load())


def test_structured_attributes_decode_to_their_values(stores, tmp_path):
    sweep = open_results(stores("sweep"))
    identity = json.loads(sweep.attrs["ionsweep_identity"])
    assert identity["shape"] == [2, 3, 2] and identity["model"] == "nernst"
    assert sweep.attrs["ionsweep_json_attrs"].split() == ["ionsweep_warnings", "ionsweep_identity"]
    assert sweep.attrs["ionsweep_bool_attrs"] == "ionsweep_complete"
    sens = open_results(stores("sensitivity"))
    sens.to_netcdf(tmp_path / "s.nc", engine="scipy")
    attrs = decode_attrs(open_results(tmp_path / "s.nc").attrs)
    assert attrs["ionsweep_methods"] == ["sobol", "morris"]
    assert attrs["sobol_distributions"] == ["c_out: uniform(2, 10)", "celsius: uniform(20, 40)"]
    assert attrs["ionsweep_complete"] is True and attrs["sobol_n_base"] == 16


def test_a_store_written_before_attributes_were_encoded_still_opens_and_exports(stores, tmp_path):
    """A store of an earlier version holds its tables and booleans as JSON values in
    ``zarr.json``: it opens, resumes and exports as a new one."""
    old = tmp_path / "old.zarr"
    shutil.copytree(stores("sweep"), old)
    doc = json.loads((old / "zarr.json").read_text())
    doc["attributes"] = decode_attrs(doc["attributes"])  # dict, list and bool values
    assert doc["attributes"]["ionsweep_complete"] is True
    (old / "zarr.json").write_text(json.dumps(doc))
    assert read_attrs(old)["ionsweep_identity"]["model"] == "nernst"
    ds = open_results(old)
    assert ds.attrs == open_results(stores("sweep")).attrs
    ds.to_netcdf(tmp_path / "old.nc", engine="netcdf4")
    xr.testing.assert_identical(ds.load(), open_results(tmp_path / "old.nc").load())


def test_encoding_is_idempotent_and_json_text_is_checked():
    attrs = {"done": np.True_, "shape": (2, 3), "none": None, "n": np.int64(4), "t": "x"}
    once = encode_attrs(attrs)
    assert once == encode_attrs(once)
    assert once["done"] == 1 and once["shape"] == "[2, 3]" and once["none"] == "null"
    assert type(once["n"]) is int
    assert decode_attrs(once) == {"done": True, "shape": [2, 3], "none": None, "n": 4, "t": "x"}
    with pytest.raises(ValueError, match="'shape' is listed as JSON"):
        decode_attrs({"shape": "[2,", "ionsweep_json_attrs": "shape"})


def test_a_netcdf_file_without_ionsweep_results_is_refused(tmp_path):
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(tmp_path / "other.nc", engine="scipy")
    with pytest.raises(ionsweep.store.StoreError, match="without ionsweep results"):
        open_results(tmp_path / "other.nc")
    (tmp_path / "text.nc").write_text("not netCDF")
    with pytest.raises(ionsweep.store.StoreError, match="nor a netCDF file"):
        open_results(tmp_path / "text.nc")


def test_text_coordinates_and_flags_carry_no_units_and_titles_read_plainly(stores):
    ds = open_results(stores("sweep"))
    assert "units" not in ds.ion.attrs and "units" not in ds.valid.attrs
    assert ds.valid.attrs["flag_meanings"].split()[:2] == ["undefined", "valid"]
    title = ds.E.sel(ion="K+", celsius=37.0).isel(c_out=0)._title_for_slice()
    assert "ion = K+," in title and "[1]" not in title
    plain = xr.open_zarr(stores("sweep"))  # the zarr attributes themselves
    assert "units" not in plain.ion.attrs and "units" not in plain.ion_code.attrs
    assert "units" not in ionsweep.run_sweep(SWEEP).ion.attrs  # in memory too


def test_a_fixed_categorical_input_is_stored_as_its_label(stores):
    ds = open_results(stores("categorical"))
    assert ds.activity_model.dims == () and ds.activity_model.item() == "davies"
    assert "units" not in ds.activity_model.attrs
    assert ds.activity_model.attrs["long_name"].endswith("(fixed)")
    assert float(ds.T) == pytest.approx(310.15)  # numeric fixed inputs stay numbers


def test_info_of_a_netcdf_file_says_what_it_is(stores, tmp_path):
    from ionsweep.store import summary

    open_results(stores("reduce")).to_netcdf(tmp_path / "r.nc", engine="h5netcdf")
    text = summary(tmp_path / "r.nc")
    assert "netCDF file written from a store, complete" in text
    assert "V_rev_min" in text and "chunks:" not in text
