"""Many small chunks: a call of the kernel evaluates a group of chunks (a loop inside the
program), with ``where`` built for the whole group at once and the results handled per
group; every value is the one a call per chunk gives, bit for bit."""

import jax
import numpy as np
import pytest

from ionsweep.store import open_results
from ionsweep.sweep import _executor, _feeds, _kernel, _launch, parse_spec, run
from ionsweep.sweep._feeds import chunk_where
from ionsweep.sweep._in_memory import evaluate, reduce_in_memory
from ionsweep.sweep._launch import Launcher, chunk_wheres, group_size

GHK = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-"]
[axes]
P_Na = {{ logspace = [-3, 0, 23] }}
K_out = {{ linspace = [2, 20, 7] }}
celsius = [20.0, 37.0]
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
{grad}
{reduce}
[run]
dtype = "float32"
chunks = {{ {chunks} }}
"""

STATS = """[reduce]
over = [{over}]
stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["V_rev > -60"]
histogram = {{ V_rev = {{ bins = 8, range = [-90, 0] }} }}"""

#: Store mode; direct reduction (the reduced axis whole in each chunk); accumulated (the
#: reduced axis split over chunks).
CASES = {
    "store": dict(grad='grad = ["P_Na"]', reduce="", chunks="P_Na = 5, K_out = 2, celsius = 1"),
    "direct": dict(grad="", reduce=STATS.format(over='"P_Na"'), chunks="K_out = 2, celsius = 1"),
    "accumulate": dict(
        grad="", reduce=STATS.format(over='"P_Na", "celsius"'), chunks="P_Na = 5, K_out = 2"
    ),
}


def plan_of(case):
    return parse_spec(GHK.format(**CASES[case]))


@pytest.fixture
def grouped(monkeypatch):
    """Group chunks even in these small plans (as in a plan of thousands of chunks)."""
    monkeypatch.setattr(_launch, "GROUP_MIN_CHUNKS", 1)
    monkeypatch.setattr(_launch, "GROUP_MAX", 3)  # several groups, a short last one
    _kernel._CACHE.clear()
    yield
    _kernel._CACHE.clear()


def ungrouped(plan, fn):
    """``fn()`` with one chunk per call, restoring grouping afterwards."""
    saved = _launch.GROUP_MIN_CHUNKS
    _launch.GROUP_MIN_CHUNKS = 10**9
    _kernel._CACHE.clear()
    try:
        assert group_size(plan) == 1
        return fn()
    finally:
        _launch.GROUP_MIN_CHUNKS = saved
        _kernel._CACHE.clear()


def load(path):
    return open_results(path).load()


def assert_same(a, b):
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_group_size_follows_the_plan():
    few = plan_of("direct")
    assert few.n_chunks == 8 and group_size(few) == 1  # grouping would cost more compile
    many = parse_spec(
        GHK.format(**CASES["store"])
        .replace("celsius = [20.0, 37.0]", "celsius = { linspace = [0, 40, 400] }")
        .replace("P_Na = 5, ", "")
    )
    assert many.n_chunks >= _launch.GROUP_MIN_CHUNKS
    size = group_size(many)
    assert 1 < size <= _launch.GROUP_MAX
    assert size * np.prod(many.chunks) <= _launch.GROUP_POINTS


def test_group_size_keeps_to_the_memory_budget_and_the_flush_interval(grouped, monkeypatch):
    plan = plan_of("accumulate")
    monkeypatch.setattr(_launch, "GROUP_MAX", 256)
    assert group_size(plan) > 2
    monkeypatch.setattr(_launch, "flush_every", lambda plan: 2)
    assert group_size(plan) == 2
    tiny = parse_spec(GHK.format(**CASES["store"]).replace("[run]", '[run]\nmemory = "200"'))
    assert group_size(tiny) == 1  # one chunk is all the budget allows


def test_wheres_of_a_group_equal_each_chunks_where():
    plan = plan_of("store")
    chunks = list(np.ndindex(*plan.chunk_grid))[-7:]  # edge chunks included
    for resident in (True, False):
        got = chunk_wheres(plan, chunks, 5, resident=resident)
        want = [
            chunk_where(plan, index, resident=resident, active=j < 5)
            for j, index in enumerate(chunks)
        ]
        np.testing.assert_array_equal(got, np.stack(want))
        assert got.dtype == np.int32


@pytest.mark.parametrize("case", list(CASES))
def test_a_grouped_run_writes_the_store_of_a_run_per_chunk(tmp_path, grouped, case):
    plan = plan_of(case)
    launch = Launcher(plan, jax.devices()[:1])
    assert launch.group == 3 and plan.n_chunks % 3  # a short last group, padded
    run(plan, tmp_path / "grouped.zarr", progress=False)
    ungrouped(plan, lambda: run(plan, tmp_path / "single.zarr", progress=False))
    assert_same(load(tmp_path / "grouped.zarr"), load(tmp_path / "single.zarr"))


@pytest.mark.parametrize("case", ["direct", "accumulate"])
def test_grouped_statistics_in_memory_equal_a_call_per_chunk(grouped, case):
    plan = plan_of(case)
    got = reduce_in_memory(plan).results()
    want = ungrouped(plan, lambda: reduce_in_memory(plan).results())
    for name, (values, *_) in want.items():
        np.testing.assert_array_equal(got[name][0], values, err_msg=name)


def test_grouped_evaluation_in_memory_equals_a_call_per_chunk(grouped):
    plan = plan_of("store")
    got, _ = evaluate(plan)
    want, _ = ungrouped(plan, lambda: evaluate(plan))
    for name, values in want.items():
        np.testing.assert_array_equal(got[name], values, err_msg=name)


@pytest.mark.parametrize("case", ["store", "direct"])
def test_grouped_shards_and_a_resume_write_the_store_of_one_run(tmp_path, grouped, case):
    """Each shard's chunks fall into other groups (and other places within a group) than
    in one run over all chunks: a chunk's values do not depend on its group."""
    plan = plan_of(case)
    run(plan, tmp_path / "one.zarr", progress=False)
    for i in range(3):
        run(plan, tmp_path / "shards.zarr", shard=(i, 3), progress=False)
    assert_same(load(tmp_path / "shards.zarr"), load(tmp_path / "one.zarr"))
    run(plan, tmp_path / "resumed.zarr", shard=(1, 4), progress=False)
    run(plan, tmp_path / "resumed.zarr", resume=True, progress=False)
    assert_same(load(tmp_path / "resumed.zarr"), load(tmp_path / "one.zarr"))


def test_grouped_chunks_fed_from_the_host_equal_resident_feeds(tmp_path, grouped, monkeypatch):
    plan = plan_of("store")
    run(plan, tmp_path / "resident.zarr", progress=False)
    monkeypatch.setattr(_feeds, "RESIDENT_SHARE", 10**12)
    _kernel._CACHE.clear()
    assert not Launcher(plan, jax.devices()[:1]).resident
    run(plan, tmp_path / "sliced.zarr", progress=False)
    assert_same(load(tmp_path / "sliced.zarr"), load(tmp_path / "resident.zarr"))


def test_a_group_is_one_call_and_one_transfer(grouped, monkeypatch):
    plan = plan_of("direct")
    launch = Launcher(plan, jax.devices()[:1])
    calls, sent = [], []
    kernel, put = launch.kernel, jax.device_put
    monkeypatch.setattr(launch, "kernel", lambda *a: calls.append(1) or kernel(*a))
    monkeypatch.setattr(
        jax, "device_put", lambda x, *a, **k: sent.append(np.asarray(x).nbytes) or put(x, *a, **k)
    )
    monkeypatch.setattr(_executor, "Launcher", lambda plan, devices: launch)
    reduce_in_memory(plan)
    assert len(calls) == len(sent) == -(-plan.n_chunks // 3)
    assert max(sent) == 3 * 4 * len(plan.dims) * 4  # `where` of 3 chunks, int32


TWO_DEVICES = r"""
import sys
import numpy as np
import jax
from ionsweep.sweep import _kernel, _launch, parse_spec
from ionsweep.sweep._in_memory import evaluate, reduce_in_memory
assert len(jax.devices()) == 2
out = {}
for grouped in (False, True):
    _launch.GROUP_MIN_CHUNKS = 1 if grouped else 10**9
    _launch.GROUP_MAX = 3
    _kernel._CACHE.clear()
    store = parse_spec(sys.argv[1])
    direct = parse_spec(sys.argv[2])
    acc = parse_spec(sys.argv[3])
    assert _launch.group_size(store) == (3 if grouped else 1)
    out[grouped] = (
        evaluate(store)[0],
        reduce_in_memory(direct).results(),
        reduce_in_memory(acc).results(),
    )
a, b = out[False], out[True]
for name in a[0]:
    np.testing.assert_array_equal(a[0][name], b[0][name], err_msg=name)
for x, y in ((a[1], b[1]), (a[2], b[2])):  # chunks dealt to the devices in the same order
    for name in x:
        np.testing.assert_array_equal(x[name][0], y[name][0], err_msg=name)
print("ok")
"""


def test_two_devices_grouped_equal_two_devices_a_chunk_each():
    import os
    import subprocess
    import sys

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2"
    specs = [GHK.format(**CASES[c]) for c in ("store", "direct", "accumulate")]
    r = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES, *specs], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
