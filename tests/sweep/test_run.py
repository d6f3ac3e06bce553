"""The executor: stored values, gradients, chunking, reductions, attributes, store safety."""

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest

from ionsweep.models import Input, Model, Output, register_model
from ionsweep.store import StoreError, decode_attrs, encode_attrs, open_results
from ionsweep.sweep import parse_spec, run
from ionsweep.sweep._kernel import cells_per_step

# SI defining constants (CODATA 2018), independent of ionsweep.constants.
R = 6.02214076e23 * 1.380649e-23  # N_A k, exact since the 2019 SI
F = 6.02214076e23 * 1.602176634e-19  # N_A e, exact

NERNST = """
title = "test"
[model]
name = "nernst"
[axes]
ion = ["K+", "Ca2+", "Cl-"]
c_out = {{ logspace = [0, 2, 7] }}
celsius = [5, 20.5, 37, 40]
[fixed]
c_in = 10
[outputs]
grad = ["c_out", "T"]
[run]
dtype = "{dtype}"
{run}
"""


def nernst_ref(z, c_in, c_out, T):
    return 1000 * R * T / (z * F) * np.log(c_out / c_in)


def grid():
    z = np.array([1, 2, -1.0])[:, None, None]
    c_out = np.logspace(0, 2, 7)[None, :, None]
    T = (np.array([5, 20.5, 37, 40]) + 273.15)[None, None, :]
    return z, c_out, T


def test_store_matches_closed_form_and_gradients(tmp_path):
    plan = parse_spec(NERNST.format(dtype="float64", run=""))
    run(plan, tmp_path / "s.zarr", progress=False)
    ds = open_results(tmp_path / "s.zarr").load()
    z, c_out, T = grid()
    np.testing.assert_allclose(ds.E.values, nernst_ref(z, 10.0, c_out, T), rtol=1e-12)
    # dE/dc_out = RT/(zF c_out); dE/dT = R/(zF) ln(c_out/c_in), in mV/mM and mV/K
    np.testing.assert_allclose(ds.dE_dc_out.values, 1000 * R * T / (z * F * c_out), rtol=1e-12)
    np.testing.assert_allclose(ds.dE_dT.values, nernst_ref(z, 10.0, c_out, T) / T, rtol=1e-12)
    assert ds.valid.values.all()
    assert ds.ion.values.tolist() == ["K+", "Ca2+", "Cl-"]
    np.testing.assert_allclose(ds.celsius.values, [5, 20.5, 37, 40])
    assert ds.attrs["ionsweep_complete"] == 1
    assert ds.attrs["dtype"] == "float64"
    for key in (
        "ionsweep_spec",
        "jax_version",
        "numpy_version",
        "xarray_version",
        "zarr_version",
        "backend",
        "device",
        "started",
        "finished",
        "wall_time_s",
        "points_per_s",
    ):
        assert key in ds.attrs, key


def test_chunked_run_equals_single_chunk_run_exactly(tmp_path):
    whole = parse_spec(NERNST.format(dtype="float32", run=""))
    # chunks that do not divide the axes: edge chunks are padded, then cut
    parts = parse_spec(
        NERNST.format(dtype="float32", run="chunks = {ion = 2, c_out = 3, celsius = 3}")
    )
    assert parts.n_chunks == 2 * 3 * 2
    run(whole, tmp_path / "a.zarr", progress=False)
    run(parts, tmp_path / "b.zarr", progress=False)
    a = open_results(tmp_path / "a.zarr").load()
    b = open_results(tmp_path / "b.zarr").load()
    assert a.E.dtype == np.float32
    for v in ("E", "dE_dc_out", "dE_dT", "valid"):
        np.testing.assert_array_equal(a[v].values, b[v].values)


def test_invalid_points_are_nan_and_flagged(tmp_path):
    text = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+"]
[axes]
K_in = [0, 140]
[fixed]
K_out = 5
Na_in = 0
Na_out = 145
P_K = 1
P_Na = 0.05
"""
    run(parse_spec(text), tmp_path / "g.zarr", progress=False)
    ds = open_results(tmp_path / "g.zarr").load()
    # With no K+ or Na+ inside, no ion can carry outward current: no reversal potential.
    assert np.isnan(ds.V_rev.values[0]) and ds.valid.values[0] == 0
    assert np.isfinite(ds.V_rev.values[1]) and ds.valid.values[1] == 1


MODEL_SPECS = {
    "nernst": "[axes]\nc_out=[1,2]\n[fixed]\nc_in=1\nion='K+'",
    "ghk_current": "[axes]\nV=[-10,10]\n[fixed]\nP=1e-6\nc_in=140\nc_out=5\nion='K+'",
    "ghk_voltage": "ions=['K+','Na+','Cl-','Ca2+']\n[axes]\nP_Na=[0.01,0.05]\n[fixed]\n"
    "K_in=140\nK_out=5\nNa_in=12\nNa_out=145\nCl_in=7\nCl_out=120\n"
    "Ca_in=1e-4\nCa_out=2\nP_K=1\nP_Cl=0.4\nP_Ca=0.1",
    "donnan": "ions=['K+','Cl-']\n[axes]\nfixed_charge=[-50,-10]\n[fixed]\nK_bath=150\n"
    "Cl_bath=150\nc_impermeant=50",
    "pump_leak": "[axes]\nP_Na=[0.01,0.05]\n[fixed]\nK_in=140\nK_out=5\nNa_in=12\nNa_out=145",
    "driving_force": "[axes]\nV=[-65,-50]\n[fixed]\nc_in=140\nc_out=5\nion='K+'",
}


@pytest.mark.parametrize("name", sorted(MODEL_SPECS))
def test_every_variable_and_coordinate_has_units_and_long_name(tmp_path, name):
    body = MODEL_SPECS[name]
    head, _, rest = body.partition("[axes]")
    text = f"[model]\nname='{name}'\n{head}[axes]{rest}\n[outputs]\ngrad=['T']\n"
    run(parse_spec(text), tmp_path / "m.zarr", progress=False)
    ds = open_results(tmp_path / "m.zarr")
    assert len(ds.data_vars) >= 2
    for vname, var in {**ds.data_vars, **ds.coords}.items():
        # CF: text labels and flag variables (flag_values) have no units
        unitless = var.dtype.kind in "UOT" or "flag_values" in var.attrs
        assert bool(var.attrs.get("units")) != unitless, (name, vname)
        assert var.attrs.get("long_name"), (name, vname)
    assert bool(ds.valid.all())


# Chunks that split the reduced axes (host accumulation); tiny memory budgets whose chunks
# hold the reduced axes whole but whose kernel loops over the kept cells in steps of one
# cell, and of two cells with the last step padded.
@pytest.mark.parametrize(
    ("run_table", "steps"),
    [
        ("chunks = {ion = 2, c_out = 2, celsius = 3}", None),
        ("memory = '4kB'", 1),
        ("memory = '7.5kB'", 2),
    ],
)
def test_reduce_mode_matches_numpy_on_the_full_grid(tmp_path, run_table, steps):
    base = NERNST.format(dtype="float64", run=run_table)
    red = base.replace('[outputs]\ngrad = ["c_out", "T"]', '[outputs]\nvariables = ["E"]')
    red += """
[reduce]
over = ["c_out", "celsius"]
stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["abs(E) > 20", "E < 0"]
histogram = { E = { bins = 5, range = [-60, 60] } }
"""
    plan = parse_spec(red)
    if steps is not None:
        assert plan.chunks == (3, 7, 4)
        assert cells_per_step(plan) == steps
    run(plan, tmp_path / "r.zarr", progress=False)
    ds = open_results(tmp_path / "r.zarr").load()
    assert set(ds.dims) == {"ion", "E_bin"}
    z, c_out, T = grid()
    E = nernst_ref(z, 10.0, c_out, T).reshape(3, -1)
    np.testing.assert_allclose(ds.E_min.values, E.min(1), rtol=1e-12)
    np.testing.assert_allclose(ds.E_max.values, E.max(1), rtol=1e-12)
    np.testing.assert_allclose(ds.E_mean.values, E.mean(1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ds.E_std.values, E.std(1), rtol=1e-10)
    np.testing.assert_array_equal(ds.E_count.values, [28, 28, 28])
    np.testing.assert_array_equal(ds.count_abs_E_20.values, (np.abs(E) > 20).sum(1))
    np.testing.assert_array_equal(ds.count_E_0.values, (E < 0).sum(1))
    hist = np.stack([np.histogram(e, bins=5, range=(-60, 60))[0] for e in E])
    np.testing.assert_array_equal(ds.E_hist.values, hist)
    c_flat = np.broadcast_to(np.logspace(0, 2, 7)[:, None], (7, 4)).ravel()
    t_flat = np.broadcast_to(np.array([5, 20.5, 37, 40])[None, :], (7, 4)).ravel()
    np.testing.assert_allclose(ds.E_argmin_c_out.values, c_flat[E.argmin(1)])
    np.testing.assert_allclose(ds.E_argmax_celsius.values, t_flat[E.argmax(1)])
    for var in ds.data_vars.values():
        assert var.attrs["units"] and var.attrs["long_name"]


def test_existing_store_is_not_touched_without_a_flag(tmp_path):
    plan = parse_spec(NERNST.format(dtype="float32", run=""))
    out = tmp_path / "s.zarr"
    run(plan, out, progress=False)
    before = open_results(out).E.values.copy()
    with pytest.raises(StoreError, match="already exists"):
        run(plan, out, progress=False)
    other = parse_spec(NERNST.format(dtype="float32", run="").replace("c_in = 10", "c_in = 20"))
    with pytest.raises(StoreError, match="different spec"):
        run(other, out, resume=True, progress=False)
    np.testing.assert_array_equal(open_results(out).E.values, before)
    r = run(plan, out, resume=True, progress=False)
    assert r["already_complete"]
    run(other, out, overwrite=True, progress=False)
    assert not np.array_equal(open_results(out).E.values, before)


def test_refuses_to_delete_a_directory_that_is_not_a_store(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "data.txt").write_text("keep me")
    plan = parse_spec(NERNST.format(dtype="float32", run=""))
    with pytest.raises(StoreError, match="not an ionsweep store"):
        run(plan, tmp_path / "precious", overwrite=True, progress=False)
    assert (tmp_path / "precious" / "data.txt").read_text() == "keep me"


def test_kernel_compiles_once_per_run(tmp_path):
    traces = []

    def factory():
        def fn(x):
            traces.append(1)
            return {"y": x["a"] * x["b"]}

        return Model(
            "traced",
            (Input("a", "1", "a"), Input("b", "1", "b")),
            (Output("y", "1", "product"),),
            fn,
        )

    register_model("traced_test_model", factory)
    text = (
        "[model]\nname='traced_test_model'\n[axes]\na={linspace=[0,1,50]}\n"
        "b={linspace=[0,1,7]}\n[run]\nchunks={a=8,b=3}\n"
    )
    plan = parse_spec(text)
    assert plan.n_chunks == 7 * 3
    run(plan, tmp_path / "t.zarr", progress=False)
    assert len(traces) == 1
    ds = open_results(tmp_path / "t.zarr").load()
    np.testing.assert_allclose(
        ds.y.values, np.outer(np.linspace(0, 1, 50), np.linspace(0, 1, 7)), rtol=1e-6
    )


def test_user_module_function_model(tmp_path, monkeypatch):
    (tmp_path / "my_membrane.py").write_text(
        "import jax.numpy as jnp\ndef ohmic(g, V, E=-80.0):\n    return {'I': g * (V - E)}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = """
[model]
name = "my_membrane:ohmic"
outputs = ["I"]
units = { g = "mS/cm2", V = "mV", E = "mV" }
output_units = { I = "uA/cm2" }
[axes]
V = [-100, -80, 0]
[fixed]
g = 0.5
[outputs]
grad = ["V", "g"]
"""
    run(parse_spec(text), tmp_path / "u.zarr", progress=False)
    ds = open_results(tmp_path / "u.zarr").load()
    np.testing.assert_allclose(ds.I.values, [-10, 0, 40])
    np.testing.assert_allclose(ds.dI_dV.values, [0.5] * 3)
    np.testing.assert_allclose(ds.dI_dg.values, [-20, 0, 80])
    assert ds.I.attrs["units"] == "uA/cm2" and ds.V.attrs["units"] == "mV"
    assert math.isclose(ds.attrs["ionsweep_n_points"], 3)


def _direct(name, x):
    """The model's outputs by calling the public kernels directly on scalars."""
    import ionsweep

    if name == "nernst":
        return {
            "E": ionsweep.nernst(
                x["c_in"], x["c_out"], x["z"], x["T"], x["gamma_in"], x["gamma_out"]
            )
        }
    if name == "ghk_current":
        return {"I": ionsweep.ghk_current(x["V"], x["P"], x["c_in"], x["c_out"], x["z"], x["T"])}
    if name == "ghk_voltage":
        ions = ["K", "Na", "Cl", "Ca"]
        P = jnp.stack([x[f"P_{i}"] for i in ions])
        ci = jnp.stack([x[f"{i}_in"] for i in ions])
        co = jnp.stack([x[f"{i}_out"] for i in ions])
        z = jnp.stack([x[f"z_{i}"] for i in ions])
        return {"V_rev": ionsweep.ghk_voltage(P, ci, co, z, x["T"])}
    if name == "donnan":
        V, c_in = ionsweep.donnan(
            jnp.stack([x["K_bath"], x["Cl_bath"]]),
            jnp.stack([x["z_K"], x["z_Cl"]]),
            x["fixed_charge"],
            x["T"],
        )
        osm = ionsweep.donnan_osmotic_imbalance(
            jnp.stack([x["K_bath"], x["Cl_bath"]]),
            jnp.stack([x["z_K"], x["z_Cl"]]),
            x["fixed_charge"],
            x["T"],
            x["c_impermeant"],
        )
        return {"V": V, "K_in": c_in[0], "Cl_in": c_in[1], "osmotic_imbalance": osm}
    if name == "pump_leak":
        return {
            "V": ionsweep.pump_leak_voltage(
                x["P_K"], x["P_Na"], x["K_in"], x["K_out"], x["Na_in"], x["Na_out"], x["T"], x["r"]
            )
        }
    E = ionsweep.nernst(x["c_in"], x["c_out"], x["z"], x["T"])
    return {"E": E, "driving_force": ionsweep.driving_force(x["V"], E)}


SWEPT = {
    "nernst": "c_out",
    "ghk_current": "V",
    "ghk_voltage": "P_Na",
    "donnan": "fixed_charge",
    "pump_leak": "P_Na",
    "driving_force": "V",
}


@pytest.mark.parametrize("name", sorted(MODEL_SPECS))
def test_stored_values_and_gradients_equal_direct_kernel_calls(tmp_path, name):
    import jax

    body = MODEL_SPECS[name]
    head, _, rest = body.partition("[axes]")
    text = (
        f"[model]\nname='{name}'\n{head}[axes]{rest}\n"
        f"[outputs]\ngrad=['{SWEPT[name]}', 'T']\n[run]\ndtype='float64'\n"
    )
    plan = parse_spec(text)
    run(plan, tmp_path / "m.zarr", progress=False)
    ds = open_results(tmp_path / "m.zarr").load()
    (axis,) = plan.axes
    for k in range(axis.size):
        x = {n: jnp.asarray(v, jnp.float64) for n, v in plan.fixed.items()}
        for n, vals in axis.feeds.items():
            x[n] = jnp.asarray(vals[k], jnp.float64)
        direct = _direct(name, x)
        for out in plan.outputs:
            np.testing.assert_allclose(ds[out].values[k], direct[out], rtol=1e-12, atol=1e-12)
            for g in (SWEPT[name], "T"):

                def f(v, out=out, g=g, x=x):
                    return _direct(name, {**x, g: v})[out]

                expected = jax.grad(f)(x[g])
                np.testing.assert_allclose(
                    ds[f"d{out}_d{g}"].values[k], expected, rtol=1e-10, atol=1e-12
                )


def test_two_runs_give_identical_stores(tmp_path):
    plan = parse_spec(NERNST.format(dtype="float32", run="chunks = {c_out = 2}"))
    run(plan, tmp_path / "a.zarr", progress=False)
    run(plan, tmp_path / "b.zarr", progress=False)
    a = open_results(tmp_path / "a.zarr").load()
    b = open_results(tmp_path / "b.zarr").load()
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values)


def test_run_sweep_in_memory_and_from_a_dict(tmp_path):
    from ionsweep import run_sweep

    spec = {
        "model": {"name": "nernst"},
        "axes": {"c_out": [5.0, 10.0], "solution": {"labels": ["a", "b"], "c_in": [140.0, 100.0]}},
        "fixed": {"ion": "K+", "celsius": 37.0},
    }
    ds = run_sweep(spec, dtype="float64")
    T = 310.15
    np.testing.assert_allclose(
        ds.E.values,
        nernst_ref(1, np.array([140.0, 100.0])[None, :], np.array([5.0, 10.0])[:, None], T),
        rtol=1e-12,
    )
    assert ds.solution.values.tolist() == ["a", "b"]
    assert "c_in" in ds.coords
    on_disk = run_sweep(spec, store=tmp_path / "d.zarr")
    assert on_disk.E.dtype == np.float32


def test_stores_are_self_describing_for_plain_xarray(tmp_path):
    """Plain ``xr.open_zarr`` (consolidated metadata, no warning) sees CF attributes, the
    fixed inputs as scalar coordinates and the variables in the spec's order; the manifest
    group stays out of the listed members."""
    import warnings

    import xarray as xr
    import zarr

    spec = NERNST.format(dtype="float32", run="")
    run(parse_spec(spec), tmp_path / "n.zarr", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(tmp_path / "n.zarr")
    assert ds.attrs["Conventions"].startswith("CF-")
    assert ds.valid.attrs["flag_values"] == [0, 1, 2, 3]
    assert ds.valid.attrs["flag_meanings"] == (
        "undefined valid outside_validity_range bath_not_electroneutral"
    )
    assert list(ds.data_vars) == ["E", "dE_dc_out", "dE_dT", "valid"]
    assert ds["c_in"].ndim == 0 and ds["c_in"].attrs["units"] == "mM"
    assert float(ds["c_in"]) == 10.0
    assert ".ionsweep" not in zarr.open_group(str(tmp_path / "n.zarr"), mode="r")
    # Readers of zarr v3's core data types alone (tensorstore has no text type) label the
    # ion axis from its integer twin: every other array is of a core type.
    core = {"bool", "uint8", "int32", "int64", "float32", "float64"}
    for meta in (tmp_path / "n.zarr").glob("*/zarr.json"):
        dtype = json.loads(meta.read_text()).get("data_type", "bool")  # a group has none
        assert dtype in core or meta.parent.name == "ion", (meta.parent.name, dtype)
    assert ds.ion_code.values.tolist() == [0, 1, 2]
    assert ds.ion_code.attrs["flag_values"] == [0, 1, 2]
    assert ds.ion_code.attrs["flag_meanings"].split() == ds.ion.values.tolist()


def test_same_reductions_for_every_order_of_the_axes():
    """The chunk layout puts the reduced axes last whatever their order in the spec; every
    permutation of the three axes gives the closed form's statistics (float64)."""
    import itertools

    from ionsweep import run_sweep

    axes = {
        "ion": ["K+", "Ca2+", "Cl-"],
        "c_out": {"logspace": [0, 2, 7]},
        "celsius": [5, 20.5, 37, 40],
    }
    z, c_out, T = grid()
    E = nernst_ref(z, 10.0, c_out, T).reshape(3, -1)  # (ion, c_out × celsius)
    for order in itertools.permutations(axes):
        ds = run_sweep(
            {
                "model": {"name": "nernst"},
                "axes": {k: axes[k] for k in order},
                "fixed": {"c_in": 10.0},
                "run": {"dtype": "float64"},
                "reduce": {"over": ["celsius", "c_out"], "stats": ["min", "mean", "argmax"]},
            }
        )
        np.testing.assert_allclose(ds.E_min.values, E.min(1), rtol=1e-13, err_msg=str(order))
        np.testing.assert_allclose(ds.E_mean.values, E.mean(1), atol=1e-12, err_msg=str(order))
        t_flat = np.broadcast_to(np.array([5, 20.5, 37, 40])[None, :], (7, 4)).ravel()
        np.testing.assert_array_equal(ds.E_argmax_celsius.values, t_flat[E.argmax(1)])


@pytest.mark.parametrize(
    "chunks", ["{ c_out = 24 }", "{ c_out = 5 }"], ids=["direct", "accumulate"]
)
def test_a_reduce_sweep_in_memory_equals_its_store(tmp_path, chunks):
    """``run_sweep`` without a store evaluates a ``[reduce]`` sweep straight into memory:
    the same statistics (bit for bit), coordinates, dtypes and attributes as the store a run
    writes, whether each chunk holds the reduced axis whole or the statistics accumulate
    over chunks; only the run's timings, and the store's format and identity records,
    differ."""
    import xarray as xr

    from ionsweep import run_sweep
    from ionsweep.sweep._plan import mode

    spec = f"""
[model]
name = "nernst"
[axes]
c_out = {{ geomspace = [0.5, 300.0, 24] }}
ion = ["K+", "Na+", "Cl-", "Ca2+"]
celsius = [20.0, 37.0]
[fixed]
c_in = 10.0
[outputs]
variables = ["E"]
[run]
chunks = {chunks}
[reduce]
over = ["c_out"]
stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["abs(E) > 50"]
histogram = {{ E = {{ bins = 8, range = [-150, 150] }} }}
"""
    expected = "reduce-direct" if chunks == "{ c_out = 24 }" else "reduce-accumulate"
    assert mode(parse_spec(spec)) == expected
    got = run_sweep(spec)
    stored = run_sweep(spec, store=tmp_path / "r.zarr").load()
    timings = ("started", "finished", "wall_time_s", "points_per_s")
    for ds in (got, stored):
        for key in timings:
            assert key in ds.attrs
            del ds.attrs[key]
    for key in ("ionsweep_format", "ionsweep_identity"):  # the on-disk store's own records
        del stored.attrs[key]
    stored.attrs = encode_attrs(decode_attrs(stored.attrs))  # (no longer listed as JSON)
    xr.testing.assert_identical(got, stored)
    for name in got.data_vars:  # (text labels come back from zarr as NumPy's StringDType)
        assert got[name].dtype == stored[name].dtype, name
    # and the statistics are those of the values (float64 NumPy reference, CODATA 2018)
    c_out = np.geomspace(0.5, 300.0, 24).astype(np.float32).astype(np.float64)
    z = np.array([1, 1, -1, 2])
    T = np.array([20.0, 37.0]) + 273.15
    E = (8.314462618 * T[None, None, :] / (z[None, :, None] * 96485.33212) * 1e3
         * np.log(c_out[:, None, None] / 10.0))  # fmt: skip
    np.testing.assert_allclose(got.E_mean, E.mean(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(got.E_std, E.std(0), rtol=1e-5)
    np.testing.assert_array_equal(got.E_argmax_c_out, c_out[E.argmax(0)])
    np.testing.assert_array_equal(got.count_abs_E_50, (abs(E) > 50).sum(0))
