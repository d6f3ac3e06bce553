"""The command line's one map from error tiers to exit statuses, and one ``ionsweep run``
checking its store once and laying it out once."""

import errno
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import ionsweep.sweep
import ionsweep.sweep._store_check as store_check
import ionsweep.sweep._store_layout as store_layout
from ionsweep._errors import SpecError, StoreError, UserModelError, missing_extra
from ionsweep._stop import Stopped
from ionsweep.cli import exit_status, main
from ionsweep.constants import FARADAY, GAS_CONSTANT
from ionsweep.store import open_results

SWEEP = """
[model]
name = "nernst"
[axes]
c_out = [2.5, 5.0, 10.0]
celsius = [20.0, 37.0]
[fixed]
c_in = 140.0
z = 1
[run]
dtype = "float64"
chunks = { c_out = 1 }
"""

SENSITIVITY = """
[model]
name = "nernst"
[inputs]
c_out = { uniform = [3.0, 6.0] }
[fixed]
c_in = 140.0
z = 1
[sobol]
n = 8
"""


def _cli(*args, cwd):
    """``ionsweep ARGS`` as a user runs it: (exit status, stderr)."""
    exe = Path(sys.executable).with_name("ionsweep")
    r = subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    return r.returncode, r.stderr


def _missing_bokeh() -> ImportError:
    try:
        raise ModuleNotFoundError("No module named 'bokeh'", name="bokeh")
    except ImportError as exc:
        return missing_extra(exc, "view", "view")


@pytest.mark.parametrize(
    ("exc", "message", "status"),
    [
        (SpecError("--inside", "3 values for 2 ions"), "--inside: 3 values for 2 ions", 2),
        (SpecError("[axes] c_out", "axis is empty", "s.toml"), "s.toml: [axes] c_out: axis", 2),
        (ValueError("choose `resume=True` or `overwrite=True`, not both"), "choose", 2),
        (TypeError("ions must be a list of names"), "ions must be a list of names", 2),
        (_missing_bokeh(), 'view: needs the view extra (bokeh is missing): pip install "', 2),
        (StoreError("out.zarr was written from a different spec"), "out.zarr was written", 2),
        (OSError(errno.EACCES, "Permission denied", "data.csv"), "data.csv: Permission denied", 2),
        (UserModelError("m:f", ZeroDivisionError("division by zero")), "model 'm:f' failed", 1),
        (KeyboardInterrupt(), "interrupted (SIGINT)", 130),
        (Stopped(15), "terminated (SIGTERM)", 143),
        (RuntimeError("boom"), "unexpected error: RuntimeError: boom", 1),
        # A broken import of ionsweep's own is a bug, not a package to install.
        (ImportError("cannot import name 'x'", name="ionsweep.store"), "unexpected error", 1),
    ],
)
def test_each_tier_has_one_exit_status(exc, message, status):
    shown, code = exit_status(exc)
    assert code == status and shown.startswith(message), shown


def test_a_store_error_is_an_os_error_and_a_spec_error_a_value_error():
    assert issubclass(StoreError, OSError) and not issubclass(StoreError, RuntimeError)
    err = SpecError("[axes] c_out", "values must be\nfinite", "a.toml")
    assert isinstance(err, ValueError) and (err.field, err.source) == ("[axes] c_out", "a.toml")
    assert str(err) == "a.toml: [axes] c_out: values must be\\nfinite"  # one line, literal


@pytest.mark.parametrize(
    ("command", "text", "hint"),
    [
        ("run", SENSITIVITY, "[inputs]: a sensitivity spec's table"),
        ("sensitivity", SWEEP, "[axes]: a sweep spec's table"),
    ],
)
def test_a_spec_of_the_other_kind_names_the_command_that_runs_it(tmp_path, command, text, hint):
    (tmp_path / "spec.toml").write_text(text)
    code, err = _cli(command, "spec.toml", cwd=tmp_path)
    other = "sensitivity" if command == "run" else "run"
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"ionsweep {command}: error: SPEC: spec.toml: {hint}"), err
    assert f"run it with `ionsweep {other}`" in err and "unknown key" not in err
    assert not (tmp_path / "spec.zarr").exists()


def test_contradicting_flags_are_bad_input_named_as_flags(tmp_path):
    (tmp_path / "spec.toml").write_text(SWEEP)
    code, err = _cli("run", "spec.toml", "--repair", cwd=tmp_path)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "ionsweep run: error: --repair recomputes damaged chunks" in err and "--resume" in err
    assert not (tmp_path / "spec.zarr").exists()


@pytest.mark.skipif(
    any(d.platform == "gpu" for d in jax.devices()), reason="this machine has a GPU"
)
def test_a_device_that_is_not_there_is_bad_input_named_as_its_flag(tmp_path):
    (tmp_path / "spec.toml").write_text(SWEEP)
    code, err = _cli("run", "spec.toml", "--device", "gpu", cwd=tmp_path)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("ionsweep run: error: --device gpu: no such device available"), err
    assert not (tmp_path / "spec.zarr").exists()


def _counting(monkeypatch, module, name, calls):
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] = calls.get(name, 0) + 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize("reduce", ["", '[reduce]\nover = ["c_out"]\nstats = ["mean"]\n'])
def test_one_run_checks_its_store_once_and_lays_it_out_once(tmp_path, monkeypatch, reduce):
    spec = tmp_path / "spec.toml"
    spec.write_text(SWEEP + reduce)
    calls: dict[str, int] = {}
    _counting(monkeypatch, store_check, "check_store", calls)
    _counting(monkeypatch, store_layout, "lay_out", calls)
    monkeypatch.setattr(ionsweep.sweep, "check_store", store_check.check_store)
    out = tmp_path / "out.zarr"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    assert calls == {"check_store": 1, "lay_out": 1}
    # The store holds the Nernst potential, written independently here.
    T = np.array([20.0, 37.0]) + 273.15
    c_out = np.array([2.5, 5.0, 10.0])[:, None]
    E = 1e3 * GAS_CONSTANT * T[None, :] / FARADAY * np.log(c_out / 140.0)
    ds = open_results(out)
    got = ds["E_mean"].values if reduce else ds["E"].values
    want = E.mean(axis=0) if reduce else E
    np.testing.assert_allclose(got, want, rtol=1e-12)
