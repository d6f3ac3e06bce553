"""Store-mode writes: every variable of a chunk written at once through zarr's asynchronous
API, the arrays opened once per run; the store is the one variable-by-variable writes
make, and a failed write leaves its chunk unmarked (and nothing still writing)."""

import errno
import os

import numpy as np
import pytest
import zarr

from ionsweep.store import _zarr as zstore, open_results
from ionsweep.sweep import parse_spec, run
from ionsweep.sweep._store import write_chunk

SPEC = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-"]
[axes]
P_Na = { logspace = [-3, 0, 11] }
K_out = { linspace = [2, 20, 6] }
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
grad = ["P_Na", "K_out"]
[run]
dtype = "float32"
chunks = { P_Na = 4, K_out = 4 }
"""


def _arrays(path):
    group = zarr.open_group(str(path), mode="r")
    return {name: group[name][...] for name in group.array_keys()}


def _assert_same(a, b):
    x, y = _arrays(a), _arrays(b)
    assert sorted(x) == sorted(y)
    for name in x:
        np.testing.assert_array_equal(x[name], y[name], err_msg=name)


def _one_by_one(group, plan, out, index, host):
    """The reference: each variable written by itself, in turn, then the manifest."""
    region = plan.chunk_region(index)
    for name, values in host.items():
        zstore.writable(group[name])[region] = values
    zstore.mark_done(out, index)


def test_writing_a_chunks_variables_at_once_equals_writing_them_in_turn(tmp_path, monkeypatch):
    plan = parse_spec(SPEC)
    assert plan.n_chunks == 6
    run(plan, tmp_path / "at_once.zarr", progress=False)
    from ionsweep.sweep import _executor

    monkeypatch.setattr(_executor, "write_chunk", _one_by_one)
    run(plan, tmp_path / "in_turn.zarr", progress=False)
    _assert_same(tmp_path / "at_once.zarr", tmp_path / "in_turn.zarr")
    ds = open_results(tmp_path / "at_once.zarr")
    assert ds.attrs["ionsweep_complete"] == 1
    assert set(ds.data_vars) == {"V_rev", "dV_rev_dP_Na", "dV_rev_dK_out", "valid"}


def test_write_chunk_takes_the_group_or_its_arrays_opened_once(tmp_path):
    plan = parse_spec(SPEC)
    run(plan, tmp_path / "ref.zarr", progress=False)
    ref = _arrays(tmp_path / "ref.zarr")
    for kind in ("group", "arrays"):
        out = tmp_path / f"{kind}.zarr"
        run(plan, out, progress=False)
        for f in (out / ".ionsweep" / "done").iterdir():
            f.unlink()
        group = zstore.open_group_rw(out)
        names = [n for n in ref if n in {"V_rev", "dV_rev_dP_Na", "dV_rev_dK_out", "valid"}]
        target = group if kind == "group" else zstore.writable_arrays(group, names)
        for index in np.ndindex(*plan.chunk_grid):
            region = plan.chunk_region(index)
            host = {name: np.full_like(ref[name][region], 7) for name in names}
            write_chunk(target, plan, out, index, host)
        assert len(zstore.finished_chunks(out)) == plan.n_chunks
        for name in names:
            assert (_arrays(out)[name] == 7).all(), (kind, name)


def test_a_failed_write_leaves_its_chunk_unmarked_and_the_store_resumes(tmp_path, monkeypatch):
    """The disk fills while one variable of the third chunk is written (its siblings'
    writes go through): the run raises the error once every write of the chunk has ended,
    the chunk is not in the manifest, and a resume completes the store as a clean run."""
    plan = parse_spec(SPEC)
    run(plan, tmp_path / "ref.zarr", progress=False)
    real = zarr.storage.LocalStore.set
    seen = {"n": 0}

    async def full(self, key, value):
        if key.startswith("dV_rev_dK_out/c/"):
            seen["n"] += 1
            if seen["n"] == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), key)
        return await real(self, key, value)

    monkeypatch.setattr(zarr.storage.LocalStore, "set", full)
    out = tmp_path / "full.zarr"
    with pytest.raises(OSError, match="No space left"):
        run(plan, out, progress=False)
    monkeypatch.undo()
    done = zstore.finished_chunks(out)
    assert "1_0" not in done  # the third chunk
    assert {"0_0", "0_1"} <= done  # those before it, each marked once its data were written
    run(plan, out, resume=True, progress=False)
    _assert_same(tmp_path / "ref.zarr", out)
