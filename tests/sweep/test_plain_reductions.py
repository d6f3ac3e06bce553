"""Reductions take the plain path (no masks) on steps where every point is valid and in
bounds, and the masked path elsewhere: both give the statistics of the valid points.

The spec sweeps ΔE_K (Davies vs ideal) with Na⁺ balancing each side, so the points where
Cl⁻ < K⁺ + … have no neutral composition and are NaN: with K_in = 50 mM every point of a
kept cell is valid (plain path), with K_in = 150 mM some are NaN (masked path). The
reference is NumPy's NaN-aware reductions of the same sweep run in store mode.
"""

import jax
import numpy as np
import pytest

from ionsweep.sweep import _chunk_eval, _kernel, parse_spec
from ionsweep.sweep._in_memory import evaluate, reduce_in_memory

SPEC = """
[model]
name = "activity_error"
ions = ["K+", "Na+", "Cl-"]
balance = "Na+"
report = ["K+"]
models = ["davies"]
[axes]
K_in = [50.0, 150.0]
Cl_in = {{ linspace = [100, 200, 7] }}
Cl_out = {{ linspace = [120, 160, 5] }}
[fixed]
activity_model = "davies"
K_out = 5.0
[outputs]
variables = ["dE_K"]
[run]
dtype = "float64"
{chunks}
{reduce}
"""
REDUCE = """[reduce]
over = ["Cl_in", "Cl_out"]
stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["dE_K > 0.1"]
histogram = { dE_K = { bins = 8, range = [-1, 1] } }"""
#: Whole reduced axes per chunk (one step per kept cell), and reduced axes split over
#: chunks that do not divide them (edge chunks padded: the masked path's case).
CHUNKS = ["", "chunks = { K_in = 1 }", "chunks = { K_in = 1, Cl_in = 3, Cl_out = 2 }"]


@pytest.fixture(scope="module")
def grid():
    values, _ = evaluate(parse_spec(SPEC.format(chunks="", reduce="")))
    return values["dE_K"].reshape(2, -1)


def _stats(plan):
    return {k: np.asarray(v) for k, (v, *_) in reduce_in_memory(plan).results().items()}


@pytest.mark.parametrize("chunks", CHUNKS)
def test_statistics_of_valid_points(grid, chunks):
    assert np.isnan(grid[1]).any() and not np.isnan(grid[0]).any()
    got = _stats(parse_spec(SPEC.format(chunks=chunks, reduce=REDUCE)))
    np.testing.assert_array_equal(got["dE_K_min"], np.nanmin(grid, 1))
    np.testing.assert_array_equal(got["dE_K_max"], np.nanmax(grid, 1))
    np.testing.assert_allclose(got["dE_K_mean"], np.nanmean(grid, 1), rtol=1e-12)
    np.testing.assert_allclose(got["dE_K_std"], np.nanstd(grid, 1), rtol=1e-9)
    np.testing.assert_array_equal(got["dE_K_count"], np.sum(~np.isnan(grid), 1))
    np.testing.assert_array_equal(got["count_dE_K_0_1"], np.sum(grid > 0.1, 1))
    cl_in, cl_out = np.linspace(100, 200, 7), np.linspace(120, 160, 5)
    for stat, find in [("argmin", np.nanargmin), ("argmax", np.nanargmax)]:
        i, j = np.unravel_index(find(grid, 1), (7, 5))  # coordinates of the first extremum
        np.testing.assert_array_equal(got[f"dE_K_{stat}_Cl_in"], cl_in[i])
        np.testing.assert_array_equal(got[f"dE_K_{stat}_Cl_out"], cl_out[j])
    hist = [np.histogram(row[~np.isnan(row)], 8, (-1, 1))[0] for row in grid]
    np.testing.assert_array_equal(got["dE_K_hist"], hist)


@pytest.mark.parametrize("chunks", CHUNKS)
def test_plain_and_masked_paths_agree(monkeypatch, chunks):
    """The same statistics with the plain path turned off: bit for bit, except means and
    standard deviations, summed in another order (the equality rule of merged statistics).
    """
    plan = parse_spec(SPEC.format(chunks=chunks, reduce=REDUCE))
    assert _chunk_eval._plain_first(plan)
    _kernel._CACHE.clear()
    plain = _stats(plan)
    monkeypatch.setattr(_chunk_eval, "_plain_first", lambda plan: False)
    _kernel._CACHE.clear()
    masked = _stats(plan)
    _kernel._CACHE.clear()
    assert plain.keys() == masked.keys()
    for k in plain:
        if k.endswith(("_mean", "_std")):
            np.testing.assert_allclose(plain[k], masked[k], rtol=1e-14, err_msg=k)
        else:
            np.testing.assert_array_equal(plain[k], masked[k], err_msg=k)


def test_clean_check_sees_nan_and_infinity():
    """The plain pass's own results flag a step holding NaN or ±inf as not clean."""
    from ionsweep.sweep._partials import reduce_clean

    plan = parse_spec(SPEC.format(chunks="", reduce=REDUCE))
    lengths = np.asarray(plan.chunks, np.int32)
    for bad, clean in [(0.5, True), (np.nan, False), (np.inf, False), (-np.inf, False)]:
        v = np.full((1, 35), 0.25)
        v[0, 17] = bad
        _, ok = jax.jit(lambda v: reduce_clean(plan, {"dE_K": v}, lengths, 1))(v)
        assert bool(ok) is clean, bad
