"""``ionsweep run`` / ``ionsweep info`` as a user runs them: real console script, subprocesses."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ionsweep.cli import main
from ionsweep.store import open_results

SLOW_MODEL = """
import time
import jax
import jax.numpy as jnp
import ionsweep


def _pause(x):
    time.sleep(0.03)
    return x


def slow_nernst(c_out, T, c_in=140.0):
    E = ionsweep.nernst(c_in, c_out, 1, T)
    # A host callback that only waits: it makes each chunk slow enough to be killed mid-run.
    e0 = jax.lax.stop_gradient(E)
    return E + 0 * jax.pure_callback(_pause, jax.ShapeDtypeStruct(jnp.shape(E), E.dtype), e0)
"""

SPEC = """
[model]
name = "slow_model:slow_nernst"
outputs = ["value"]
units = {{ c_out = "mM", T = "K", c_in = "mM" }}
output_units = {{ value = "mV" }}
[axes]
c_out = {{ linspace = [1, 20, 40] }}
T = {{ linspace = [280, 320, 9] }}
[fixed]
c_in = {c_in}
[outputs]
grad = ["c_out"]
[run]
chunks = {{ c_out = 1 }}
"""


def ionsweep_cmd():
    return [str(Path(sys.executable).with_name("ionsweep"))]


@pytest.fixture
def env(tmp_path):
    (tmp_path / "slow_model.py").write_text(SLOW_MODEL)
    (tmp_path / "spec.toml").write_text(SPEC.format(c_in=140))
    e = dict(os.environ)
    e["PYTHONPATH"] = str(tmp_path) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def test_killed_run_resumes_to_the_same_result(tmp_path, env):
    spec = str(tmp_path / "spec.toml")
    ref = tmp_path / "ref.zarr"
    out = tmp_path / "killed.zarr"
    subprocess.run(
        [*ionsweep_cmd(), "run", spec, "--out", str(ref), "--quiet"],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [*ionsweep_cmd(), "run", spec, "--out", str(out), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done_dir = out / ".ionsweep" / "done"
    deadline = time.time() + 60
    while time.time() < deadline:
        if done_dir.exists() and len(list(done_dir.iterdir())) >= 5:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_done = len(list(done_dir.iterdir()))
    assert 5 <= n_done < 40, "the run should have been killed part-way"
    assert open_results(out).attrs["ionsweep_complete"] == 0

    r = subprocess.run([*ionsweep_cmd(), "info", str(out)], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and f"chunks: {n_done}/40 finished" in r.stdout
    assert "INCOMPLETE" in r.stdout

    # Resuming from a changed spec is refused and touches nothing.
    (tmp_path / "other.toml").write_text(SPEC.format(c_in=100))
    r = subprocess.run(
        [*ionsweep_cmd(), "run", str(tmp_path / "other.toml"), "--out", str(out), "--resume"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "different spec" in r.stderr
    assert len(list(done_dir.iterdir())) == n_done

    r = subprocess.run(
        [*ionsweep_cmd(), "run", spec, "--out", str(out), "--resume", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    a = open_results(ref).load()
    b = open_results(out).load()
    assert b.attrs["ionsweep_complete"] == 1
    for v in ("value", "dvalue_dc_out", "valid"):
        np.testing.assert_array_equal(a[v].values, b[v].values)
    # The values themselves: E = (RT/F) ln(c_out/c_in) with exact SI constants.
    rt_f = 1000 * 6.02214076e23 * 1.380649e-23 / (6.02214076e23 * 1.602176634e-19)
    c_out = np.linspace(1, 20, 40)[:, None]
    T = np.linspace(280, 320, 9)[None, :]
    np.testing.assert_allclose(a.value.values, rt_f * T * np.log(c_out / 140), rtol=2e-6)


def test_bad_spec_exits_2_naming_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nname='nernst'\n[axes]\nc_out=[5, -1]\n[fixed]\nc_in=140\nz=1\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "x.zarr")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and "[axes] c_out" in err and "must be > 0" in err
    assert not (tmp_path / "x.zarr").exists()
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read spec" in capsys.readouterr().err


def test_dry_run_and_info(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(
        "[model]\nname='nernst'\n[axes]\nc_out={linspace=[1,10,10]}\n"
        "celsius=[20,37]\n[fixed]\nc_in=140\nion='K+'\n"
    )
    out = tmp_path / "s.zarr"
    assert main(["run", str(spec), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "20 points" in text and "estimated run" in text
    assert not out.exists()
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "E " in text and "[mV]" in text and "complete" in text
    # The flag variable has no units (CF), and info shows none rather than "[]".
    valid = next(line for line in text.splitlines() if line.strip().startswith("valid "))
    assert "[" not in valid.split("(")[0] and "uint8" in valid
    assert main(["info", str(tmp_path)]) == 2
    assert "not an ionsweep store" in capsys.readouterr().err
