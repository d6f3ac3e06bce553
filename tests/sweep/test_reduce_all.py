"""A reduction over every axis: zero-dimensional statistics, in a store and in memory,
with the reduced axes in one chunk and spread over many."""

import numpy as np
import pytest

from ionsweep.store import open_results, summary
from ionsweep.sweep import parse_spec, run, run_sweep
from ionsweep.sweep._executor import shard_chunks
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
    assert stored.attrs["ionsweep_complete"] == 1
    info = summary(tmp_path / "r.zarr")  # what `ionsweep info` prints: complete, honestly
    merged = f"all {plan.n_chunks} chunks merged into the statistics, complete"
    assert (merged if expected_mode == "reduce-accumulate" else "1/1 finished") in info
    for ds in (in_memory, stored):
        assert_matches_reference(ds)
    for name in in_memory.data_vars:  # and the two agree bit for bit
        np.testing.assert_array_equal(in_memory[name].values, stored[name].values, name)


# --- the same reduction split across processes ------------------------------------------

#: 19 chunks (the last one along c_out padded): more than 8, as the issue asks.
MANY = SPEC.format(run="memory = '8kB'")


def _assert_same_statistics(a, b):
    """The equality rule of a split run: every statistic identical to the single-process
    store's, but the mean and the standard deviation, within 4 units in the last place of
    their dtype relative to the spread (the order of the merges changes their rounding)."""
    assert sorted(a.data_vars) == sorted(b.data_vars)
    spread = float(a.E_max - a.E_min)
    for name in a.data_vars:
        if name in ("E_mean", "E_std"):
            eps = np.finfo(a[name].dtype).eps
            assert abs(float(a[name]) - float(b[name])) <= 4 * eps * spread, name
        else:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The spec file and the store of one process computing every chunk."""
    where = tmp_path_factory.mktemp("single")
    (where / "s.toml").write_text(MANY)
    plan = parse_spec(MANY)
    assert mode(plan) == "reduce-accumulate" and plan.n_chunks >= 8
    run(plan, where / "one.zarr", progress=False)
    ds = open_results(where / "one.zarr").load()
    assert_matches_reference(ds)
    return where / "s.toml", ds


def _shard(spec, out, i, n, **env):
    """``ionsweep run SPEC --out OUT --shard I/N`` in a process of its own (started)."""
    import os
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "ionsweep", "run", str(spec), "--out", str(out)]
        + ["--shard", f"{i}/{n}", "--quiet"],
        env={**os.environ, "JAX_PLATFORMS": "cpu", **env},
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc):
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def test_four_shard_processes_one_after_another_equal_one_process(tmp_path, single):
    spec, one = single
    plan = parse_spec(MANY)
    out = tmp_path / "sharded.zarr"
    for i in range(4):
        rc, err = _finish(_shard(spec, out, i, 4))
        assert rc == 0, err
        complete = open_results(out).attrs.get("ionsweep_complete", 0) == 1
        assert complete is (i == 3)  # the shard finishing the last chunk writes them
        if i < 3:  # what `ionsweep info` says meanwhile
            covered = sum(len(shard_chunks(plan, (j, 4))) for j in range(i + 1))
            line = f"{covered}/{plan.n_chunks} covered by {i + 1} saved partial state"
            assert line in summary(out)
    shards = open_results(out).load()
    assert_matches_reference(shards)
    _assert_same_statistics(one, shards)
    saved = sorted(p.name for p in (out / ".ionsweep" / "partials").iterdir())
    assert saved == [f"shard-{i}-of-4.npz" for i in range(4)]


def test_four_shard_processes_two_at_once_equal_one_process(tmp_path, single):
    spec, one = single
    out = tmp_path / "sharded.zarr"
    for pair in ((0, 1), (2, 3)):
        procs = [_shard(spec, out, i, 4) for i in pair]
        for proc in procs:
            rc, err = _finish(proc)
            assert rc == 0, err
    _assert_same_statistics(one, open_results(out).load())


@pytest.mark.parametrize("at", ["reduce state saved", "final variable E_std created"])
def test_a_killed_shard_run_again_leaves_the_store_equal(tmp_path, single, at):
    # SIGKILL the last shard after it saved its state (before it could write the
    # statistics), or while it writes them; running it again finishes the store.
    spec, one = single
    out = tmp_path / "sharded.zarr"
    for i in range(3):
        assert _finish(_shard(spec, out, i, 4))[0] == 0
    rc, _ = _finish(_shard(spec, out, 3, 4, IONSWEEP_FAULT_AT=at))
    assert rc == -9  # SIGKILL
    assert open_results(out).attrs.get("ionsweep_complete") != 1
    rc, err = _finish(_shard(spec, out, 3, 4))
    assert rc == 0, err
    _assert_same_statistics(one, open_results(out).load())


def test_a_shard_resumes_from_its_saved_state(tmp_path, single, monkeypatch):
    # A shard saving its state after every chunk is stopped after its third save; run
    # again, it computes only the chunks its saved state does not cover.
    from ionsweep._faults import InjectedFault
    from ionsweep.store import _partials
    from ionsweep.sweep import _accumulate, _executor

    _, one = single
    plan = parse_spec(MANY)
    mine = len(_executor.shard_chunks(plan, (1, 4)))
    assert mine >= 4
    monkeypatch.setattr(_accumulate, "flush_every", lambda plan: 1)
    monkeypatch.setattr(_accumulate, "_CHECKPOINT_S", -1.0)
    saves = []
    real = _partials.save_partial

    def save_then_stop(*args):
        real(*args)
        saves.append(int(args[-1].sum()))
        if len(saves) == 3:
            raise InjectedFault("stopped after the third save")

    monkeypatch.setattr(_partials, "save_partial", save_then_stop)
    out = tmp_path / "sharded.zarr"
    with pytest.raises(InjectedFault):
        run(plan, out, shard=(1, 4), progress=False)
    assert saves == [1, 2, 3]  # chunks covered by each save
    monkeypatch.setattr(_partials, "save_partial", real)
    resumed = run(plan, out, shard=(1, 4), progress=False)
    assert resumed["computed_chunks"] == mine - 3
    for i in (0, 2, 3):
        run(plan, out, shard=(i, 4), progress=False)
    _assert_same_statistics(one, open_results(out).load())


def test_resume_in_one_process_finishes_what_shards_left(tmp_path, single):
    # Shards 0 and 2 of 4 ran; `--resume` in one process computes the rest and merges.
    spec, one = single
    plan = parse_spec(MANY)
    out = tmp_path / "sharded.zarr"
    for i in (0, 2):
        run(plan, out, shard=(i, 4), progress=False)
    left = plan.n_chunks - sum(len(shard_chunks(plan, (i, 4))) for i in (0, 2))
    result = run(plan, out, resume=True, progress=False)
    assert result["computed_chunks"] == left and result["complete"]
    _assert_same_statistics(one, open_results(out).load())


def test_dask_local_cluster_reduces_over_every_axis(tmp_path, single):
    pytest.importorskip("distributed")
    from ionsweep.sweep import run_dask

    _, one = single
    plan = parse_spec(MANY)
    out = tmp_path / "dask.zarr"
    cache = tmp_path / "jax-cache"
    result = run_dask(plan, out, "local", progress=False, n_workers=2, compilation_cache=str(cache))
    assert result["computed_chunks"] == plan.n_chunks and result["complete"]
    assert any(cache.iterdir())  # the workers kept their programs in the cache given
    ds = open_results(out).load()
    assert_matches_reference(ds)
    _assert_same_statistics(one, ds)
    saved = list((out / ".ionsweep" / "partials").iterdir())
    assert saved and all(p.name.startswith("dask-") for p in saved)


def test_a_shard_says_how_many_chunks_its_store_has_covered(tmp_path, capsys, single):
    from ionsweep.cli import main

    spec, _ = single
    plan = parse_spec(MANY)
    out = tmp_path / "sharded.zarr"
    assert main(["run", str(spec), "--out", str(out), "--shard", "0/4", "--quiet"]) == 0
    mine = len(shard_chunks(plan, (0, 4)))
    assert f"{mine}/{plan.n_chunks} chunks of the store are finished" in capsys.readouterr().out
