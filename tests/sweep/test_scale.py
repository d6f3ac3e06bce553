"""Scale-out: several devices, shards (job arrays) and Dask give the single-process result."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ionsweep.store import open_results
from ionsweep.sweep import parse_spec, run, run_dask

SPEC = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-", "Ca2+"]
[axes]
P_Na = { logspace = [-3, 0, 13] }
K_out = { linspace = [2, 20, 7] }
celsius = [20, 37]
[fixed]
P_K = 1
P_Cl = 0.4
P_Ca = 0.05
K_in = 140
Na_in = 12
Na_out = 145
Cl_in = 7
Cl_out = 120
Ca_in = 1e-4
Ca_out = 2
[outputs]
grad = ["K_out"]
[run]
chunks = { P_Na = 4, K_out = 3 }
"""

REDUCE = (
    SPEC.replace('[outputs]\ngrad = ["K_out"]', '[outputs]\nvariables = ["V_rev"]')
    + """
[reduce]
over = ["P_Na", "celsius"]
stats = ["min", "max", "mean", "std", "argmax"]
count = ["V_rev > -60"]
histogram = { V_rev = { bins = 8, range = [-100, 0] } }
"""
)

CMD = [str(Path(sys.executable).with_name("ionsweep"))]


def _equal(a_path, b_path, grouped=False):
    """Stores equal bit for bit; ``grouped``: accumulated reductions over other groupings of
    the chunks (as on several devices), whose means and standard deviations agree to within
    4 units in the last place of float32, the rule the README states."""
    a = open_results(a_path).load()
    b = open_results(b_path).load()
    assert set(a.data_vars) == set(b.data_vars)
    for v in a.data_vars:
        if grouped and v.endswith(("_mean", "_std")):
            eps = np.finfo(a[v].dtype).eps
            np.testing.assert_allclose(a[v].values, b[v].values, rtol=4 * eps, err_msg=v)
        else:
            np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    assert b.attrs["ionsweep_complete"] == 1


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    run(parse_spec(SPEC), d / "ref.zarr", progress=False)
    run(
        parse_spec(REDUCE.replace("chunks = { P_Na = 4, K_out = 3 }", "")),
        d / "red.zarr",
        progress=False,
    )
    run(parse_spec(REDUCE), d / "red_chunked.zarr", progress=False)
    return d


def test_union_of_shards_equals_single_run(tmp_path, reference):
    plan = parse_spec(SPEC)
    assert plan.n_chunks == 4 * 3 * 1
    out = tmp_path / "s.zarr"
    for i in (2, 0, 1):  # any order; the first creates the store, the others join it
        r = run(plan, out, shard=(i, 3), progress=False)
        assert r["computed_chunks"] == 4
    _equal(reference / "ref.zarr", out)


def test_concurrent_shards_initialize_one_store_without_races(tmp_path, reference):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "c.zarr"
    procs = [
        subprocess.Popen(
            [*CMD, "run", str(spec), "--out", str(out), "--shard", f"{i}/4", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert not list(tmp_path.glob("c.zarr.init-*"))  # losers cleaned up their drafts
    _equal(reference / "ref.zarr", out)


def test_missing_shard_is_finished_by_resume(tmp_path, reference):
    plan = parse_spec(SPEC)
    out = tmp_path / "m.zarr"
    for i in (0, 2):  # shard 1 of 3 "died" before starting
        run(plan, out, shard=(i, 3), progress=False)
    assert open_results(out).attrs["ionsweep_complete"] == 0
    r = run(plan, out, resume=True, progress=False)
    assert r["computed_chunks"] == 4
    _equal(reference / "ref.zarr", out)


def test_reduce_mode_direct_with_shards_equals_accumulated_single_run(tmp_path, reference):
    plan = parse_spec(REDUCE.replace("chunks = { P_Na = 4, K_out = 3 }", "chunks = { K_out = 2 }"))
    from ionsweep.sweep._executor import mode

    assert mode(plan) == "reduce-direct" and plan.n_chunks == 4
    acc = parse_spec(
        REDUCE.replace("chunks = { P_Na = 4, K_out = 3 }", "chunks = { P_Na = 5, K_out = 2 }")
    )
    assert mode(acc) == "reduce-accumulate"
    run(acc, tmp_path / "acc.zarr", progress=False)
    for i in (1, 0):
        run(plan, tmp_path / "direct.zarr", shard=(i, 2), progress=False)
    a = open_results(tmp_path / "acc.zarr").load()
    b = open_results(tmp_path / "direct.zarr").load()
    for v in a.data_vars:
        np.testing.assert_allclose(a[v].values, b[v].values, rtol=1e-5, err_msg=v)


#: Run in a process with four devices: each spec (argv: spec, store, ...) into its store,
#: then the reduce specs again in memory (``run_sweep`` without a store), which must equal
#: their stores bit for bit; prints the number of XLA compilations of the sharded kernel.
FOUR_DEVICES = """
import io, logging, sys, jax, numpy as np
from ionsweep import run_sweep
from ionsweep.store import open_results
from ionsweep.sweep import load_spec, run
assert len(jax.devices()) == 4
log = io.StringIO()
logging.getLogger("jax").addHandler(logging.StreamHandler(log))
jax.config.update("jax_log_compiles", True)
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
for spec, store in pairs:
    run(load_spec(spec), store, progress=False)
for spec, store in pairs[1:]:
    memory, stored = run_sweep(spec), open_results(store).load()
    for v in stored.data_vars:
        np.testing.assert_array_equal(memory[v].values, stored[v].values, err_msg=v)
print(sum("Finished XLA compilation of jit(per_device)" in line
          for line in log.getvalue().splitlines()))
"""


def test_four_simulated_devices_equal_one(tmp_path, reference):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    (tmp_path / "r.toml").write_text(REDUCE)  # accumulated over chunks of P_Na
    direct = REDUCE.replace("chunks = { P_Na = 4, K_out = 3 }", "")  # chunks span P_Na whole
    (tmp_path / "rd.toml").write_text(direct)
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=4"
    env = dict(os.environ, XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-c", FOUR_DEVICES, str(spec), str(tmp_path / "d.zarr")]
        + [str(tmp_path / "r.toml"), str(tmp_path / "r.zarr")]
        + [str(tmp_path / "rd.toml"), str(tmp_path / "rd.zarr")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # JAX logs every XLA compilation: the four devices share one program per spec, which
    # the in-memory runs reuse.
    assert proc.stdout.split()[-1] == "3"
    assert open_results(tmp_path / "d.zarr").attrs["n_devices"] == 4
    _equal(reference / "ref.zarr", tmp_path / "d.zarr")
    _equal(reference / "red_chunked.zarr", tmp_path / "r.zarr", grouped=True)
    _equal(reference / "red.zarr", tmp_path / "rd.zarr", grouped=True)


def test_dask_local_cluster_equals_single_run(tmp_path, reference):
    pytest.importorskip("distributed")
    r = run_dask(parse_spec(SPEC), tmp_path / "k.zarr", "local", progress=False, n_workers=2)
    assert r["computed_chunks"] == 12
    _equal(reference / "ref.zarr", tmp_path / "k.zarr")
