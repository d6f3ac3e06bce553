"""A reduction over every axis: zero-dimensional statistics, in a store and in memory,
with the reduced axes in one chunk and spread over many."""

import numpy as np
import pytest

from ionsweep.store import open_results, summary
from ionsweep.sweep import parse_spec, run, run_sweep
from ionsweep.sweep._plan import mode

# SI defining constants (CODATA 2018), independent of ionsweep.constants.
R = 6.02214076e23 * 1.380649e-23  # N_A k, exact since the 2019 SI
F = 6.02214076e23 * 1.602176634e-19  # N_A e, exact

SPEC = """
[model]
name = "nernst"
[axes]
c_out = {{ logspace = [0, 2, 37] }}
celsius = {{ linspace = [5, 40, 11] }}
z = [1, 2, -1]
[fixed]
c_in = 7
[outputs]
variables = ["E"]
[run]
{run}
[reduce]
over = ["z", "c_out", "celsius"]
stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["abs(E) > 20", "E < 0"]
histogram = {{ E = {{ bins = 7, range = [-60, 60] }} }}
"""
AXES = ("c_out", "celsius", "z")


def reference():
    """E over the grid (float64, the Nernst equation written out) and the axis values,
    each array indexed (c_out, celsius, z)."""
    c_out = np.logspace(0, 2, 37)[:, None, None]
    celsius = np.linspace(5, 40, 11)[None, :, None]
    z = np.array([1.0, 2.0, -1.0])[None, None, :]
    E = 1000 * R * (celsius + 273.15) / (z * F) * np.log(c_out / 7.0)
    return E, np.broadcast_arrays(c_out, celsius, z)


def assert_matches_reference(ds):
    """Min, max, positions, counts and histogram exactly; mean and std to within 4 units in
    the last place of the statistic's dtype relative to the spread (the README's rule)."""
    E, coords = reference()
    flat = E.ravel()
    # No value lies within float32 rounding of a threshold or bin edge, so the counts and
    # the histogram of the float32 values must be those of the float64 ones; min and max
    # are unique, so their positions are too.
    edges = np.linspace(-60, 60, 8)
    assert np.abs(np.abs(flat)[:, None] - np.r_[20.0, 0.0, np.abs(edges)]).min() > 1e-4
    assert np.sum(flat == flat.min()) == 1 and np.sum(flat == flat.max()) == 1
    for name in ds.data_vars:
        assert ds[name].dims == (() if name != "E_hist" else ("E_bin",)), name
    eps = np.finfo(ds.E_mean.dtype).eps
    spread = flat.max() - flat.min()
    np.testing.assert_allclose(ds.E_min.values, flat.min(), rtol=4 * eps)
    np.testing.assert_allclose(ds.E_max.values, flat.max(), rtol=4 * eps)
    assert abs(float(ds.E_mean) - flat.mean()) <= 4 * eps * spread
    assert abs(float(ds.E_std) - flat.std()) <= 4 * eps * spread
    assert int(ds.E_count) == E.size == 37 * 11 * 3
    assert int(ds.count_abs_E_20) == np.sum(np.abs(flat) > 20)
    assert int(ds.count_E_0) == np.sum(flat < 0)
    np.testing.assert_array_equal(ds.E_hist.values, np.histogram(flat, 7, (-60, 60))[0])
    for stat, at in (("argmin", np.argmin(E)), ("argmax", np.argmax(E))):
        where = np.unravel_index(at, E.shape)
        for name, values in zip(AXES, coords, strict=True):
            got = float(ds[f"E_{stat}_{name}"])
            np.testing.assert_allclose(got, values[where], rtol=1e-6, err_msg=f"{stat} {name}")


@pytest.mark.parametrize(
    ("run_table", "expected_mode", "min_chunks"),
    [
        ("chunks = { c_out = 37, celsius = 11, z = 3 }", "reduce-direct", 1),
        ("memory = '8kB'", "reduce-accumulate", 8),  # 19 chunks, the last c_out one padded
    ],
    ids=["one-chunk", "many-chunks"],
)
def test_a_reduction_over_every_axis_equals_numpy(tmp_path, run_table, expected_mode, min_chunks):
    spec = SPEC.format(run=run_table)
    plan = parse_spec(spec)
    assert mode(plan) == expected_mode
    assert plan.n_chunks >= min_chunks
    assert plan.shape[plan.dims.index("c_out")] % plan.chunks[plan.dims.index("c_out")] or (
        min_chunks == 1
    )
    in_memory = run_sweep(spec)
    run(plan, tmp_path / "r.zarr", progress=False)
    stored = open_results(tmp_path / "r.zarr").load()
    assert stored.attrs["ionsweep_complete"] is True
    info = summary(tmp_path / "r.zarr")  # what `ionsweep info` prints: complete, honestly
    merged = f"all {plan.n_chunks} chunks merged into the statistics, complete"
    assert (merged if expected_mode == "reduce-accumulate" else "1/1 finished") in info
    for ds in (in_memory, stored):
        assert_matches_reference(ds)
    for name in in_memory.data_vars:  # and the two agree bit for bit
        np.testing.assert_array_equal(in_memory[name].values, stored[name].values, name)
