"""Kill a run at every point where it changes its store, then resume: the result must equal
an uninterrupted run (store mode, both reduce modes, shards).

The kills are injected (``ionsweep._faults``), not timed: each checkpoint a clean run passes
is enumerated, and the run is stopped there in turn. In-process the "kill" is an exception
that no ionsweep code catches, raised again at every later checkpoint in any thread, so
nothing after it reaches the disk; two tests at the end send a real SIGKILL at a named point.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from ionsweep import _faults
from ionsweep.store import open_results
from ionsweep.sweep import parse_spec, run

NERNST = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [2, 20, 7] }}
celsius = [20.0, 30.0, 37.0]
[fixed]
c_in = 140.0
ion = "K+"
[outputs]
grad = ["c_out"]
[run]
chunks = {{ {chunks} }}
{extra}
"""

REDUCE = """
[reduce]
over = ["c_out"]
stats = ["min", "mean", "argmax"]
count = ["E < -60"]
histogram = { E = { bins = 4, range = [-100.0, 0.0] } }
"""


def _plan(chunks, extra=""):
    return parse_spec(NERNST.format(chunks=chunks, extra=extra), source="kill.toml")


def _arrays(path) -> dict:
    """Every array of a store with its attributes, read with zarr alone (fast)."""
    group = zarr.open_group(str(path), mode="r")
    return {name: (arr[...], dict(arr.attrs)) for name, arr in group.arrays()}


def _assert_same(ref, got):
    assert zarr.open_group(str(got), mode="r").attrs["ionsweep_complete"] is True
    a, b = _arrays(ref), _arrays(got)
    assert sorted(a) == sorted(b)
    for name, (values, attrs) in a.items():
        np.testing.assert_array_equal(values, b[name][0], err_msg=name)
        assert attrs == b[name][1], name


def _checkpoints(plan, out, **kw) -> list[str]:
    record: list[str] = []
    _faults.arm(None, record)
    try:
        run(plan, out, **kw)
    finally:
        _faults.disarm()
    return record


def _kill_at(k, plan, out, **kw) -> str:
    """Run ``plan`` into ``out`` and "kill" it at its ``k``-th checkpoint (1-based)."""
    record: list[str] = []
    _faults.arm(k, record)
    try:
        with pytest.raises(_faults.InjectedFault):
            run(plan, out, **kw)
    finally:
        _faults.disarm()
    return record[k - 1]


def _one_of_each_kind(points) -> list[int]:
    """1-based positions of the first checkpoint of each kind, plus the last manifest entry
    and the last final write: every distinct step of the store's life, once.

    A kind is the label without its chunk index and array name ("chunk 0_1 E" and
    "chunk 1_1 dE_dc_out" are one kind: a chunk's variable written).
    """
    kinds, chosen = set(), []
    for k, label in enumerate(points, 1):
        words = label.split()
        kind = (words[0], *(w for w in words[1:] if w in {"created", "written", "saved"}))
        if words[0] in {"create", "final"}:
            kind = (*kind, words[1])
        if kind not in kinds:
            kinds.add(kind)
            chosen.append(k)
    for prefix in ("chunk-done", "final variable"):
        last = [k for k, label in enumerate(points, 1) if label.startswith(prefix)]
        chosen += last[-1:]
    return sorted(set(chosen))


def _finish(plan, out, **kw):
    """What a user does next: resume the store if it exists, else start again."""
    resume = out.exists()
    result = run(plan, out, resume=resume, **kw)
    leftovers = list(out.parent.glob(f"{out.name}.init-*"))
    assert not leftovers, "a temporary directory of a killed creation was left behind"
    return result


@pytest.mark.parametrize(
    "chunks, extra, mode",
    [
        ("c_out = 3", "", "store"),
        ("celsius = 1", REDUCE, "reduce-direct"),
        ("c_out = 3", REDUCE, "reduce-accumulate"),
    ],
)
def test_kill_at_every_checkpoint_then_resume_equals_a_clean_run(tmp_path, chunks, extra, mode):
    plan = _plan(chunks, extra)
    from ionsweep.sweep._executor import mode as run_mode

    assert run_mode(plan) == mode
    ref = tmp_path / "ref.zarr"
    points = _checkpoints(plan, ref)
    # Creation, every chunk's variables and manifest entry, final writes and completion.
    assert any(p.startswith("create") for p in points) and points[-1] == "complete"
    if mode == "reduce-accumulate":
        assert any(p.startswith("final coord E_bin") for p in points)
    chosen = _one_of_each_kind(points)
    assert len(chosen) >= 8
    for k in chosen:
        out = tmp_path / f"k{k}.zarr"
        assert _kill_at(k, plan, out) == points[k - 1]
        _finish(plan, out)
        _assert_same(ref, out)
        shutil.rmtree(out)


def test_accumulated_run_resumed_from_a_mid_run_flush_equals_a_clean_run(tmp_path, monkeypatch):
    # The device state is read every 2 chunks here and saved at every read; a run killed
    # after its second save resumes from there, and groups and flushes its remaining chunks
    # as the clean run did, so even the floating-point sums agree bit for bit.
    from ionsweep.sweep import _executor

    monkeypatch.setattr(_executor, "flush_every", lambda plan: 2)
    monkeypatch.setattr(_executor, "_CHECKPOINT_S", 0.0)
    plan = _plan("c_out = 1", REDUCE.replace('"min", "mean"', '"min", "mean", "std"'))
    assert _executor.mode(plan) == "reduce-accumulate" and plan.n_chunks == 7
    ref = tmp_path / "ref.zarr"
    points = _checkpoints(plan, ref)
    saves = [k for k, label in enumerate(points, 1) if label == "reduce state saved"]
    assert len(saves) == 4  # after chunks 2, 4 and 6, and at the end
    out = tmp_path / "k.zarr"
    _kill_at(saves[1], plan, out)  # just after the save that follows chunk 4
    assert _finish(plan, out)["computed_chunks"] == 3
    _assert_same(ref, out)


def test_kills_in_one_shard_then_join_equals_a_single_run(tmp_path):
    plan = _plan("c_out = 2")
    ref = tmp_path / "ref.zarr"
    run(plan, ref)
    out = tmp_path / "s.zarr"
    run(plan, tmp_path / "probe.zarr", shard=(0, 2))
    points = _checkpoints(plan, tmp_path / "probe.zarr", shard=(1, 2))
    assert points[-1] == "complete"
    for k in _one_of_each_kind(points):
        run(plan, out, shard=(0, 2))
        _kill_at(k, plan, out, shard=(1, 2))
        run(plan, out, shard=(1, 2))
        _assert_same(ref, out)
        shutil.rmtree(out)


def _cmd():
    return [str(Path(sys.executable).with_name("ionsweep"))]


@pytest.mark.parametrize(
    "point, extra",
    [("create coord", ""), ("final variable E_hist created", REDUCE)],
)
def test_real_sigkill_at_a_named_point_resumes(tmp_path, point, extra):
    chunks = "c_out = 3"
    spec = tmp_path / "s.toml"
    spec.write_text(NERNST.format(chunks=chunks, extra=extra))
    out = tmp_path / "s.zarr"
    env = dict(os.environ, IONSWEEP_FAULT_AT=point)
    r = subprocess.run([*_cmd(), "run", str(spec), "--out", str(out), "--quiet"], env=env)
    assert r.returncode == -9  # SIGKILL
    plan = parse_spec(spec.read_text(), source=str(spec))
    ref = tmp_path / "ref.zarr"
    run(plan, ref)
    if point.startswith("create"):
        assert not out.exists() and list(tmp_path.glob("s.zarr.init-*"))
    else:
        assert out.exists() and open_results(out).attrs["ionsweep_complete"] is False
    _finish(plan, out)
    _assert_same(ref, out)
