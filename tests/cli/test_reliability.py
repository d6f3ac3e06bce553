"""Nothing lost, nothing silent: hostile uses of ``ionsweep run``/``calc``/``fit``/``info``.

Each case is one regression: a store's identity on resume and shard joins, ``--overwrite``
on directories ionsweep did not write, validation before anything is created, I/O failures
and signals as one line with an exit status, and numbers that must not be printed.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from ionsweep.cli import main
from ionsweep.store import open_results

SPEC = """
[model]
name = "nernst"
[axes]
c_out = { linspace = [1, 20, 40] }
celsius = { linspace = [5, 40, 8] }
[fixed]
c_in = 140.0
ion = "K+"
[outputs]
grad = ["c_out"]
"""


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC)
    return tmp_path


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _values(path) -> dict:
    ds = open_results(path).load()
    return {k: ds[k].values for k in ds.data_vars}


def _same(a, b):
    va, vb = _values(a), _values(b)
    assert sorted(va) == sorted(vb)
    for k in va:
        np.testing.assert_array_equal(va[k], vb[k], err_msg=k)


def _done(path) -> int:
    return len(list((Path(path) / ".ionsweep" / "done").iterdir()))


def _partial(out, n_chunks, *flags):
    """A store with only its first ``n_chunks`` chunks written (a run stopped early)."""
    from ionsweep import _faults

    record: list = []
    _faults.arm(None, record)
    try:
        assert main(["run", "s.toml", "--out", str(out), "--quiet", *flags]) == 0
    finally:
        _faults.disarm()
    done = [i for i, label in enumerate(record, 1) if label.startswith("chunk-done")]
    import shutil

    shutil.rmtree(out)
    _faults.arm(done[n_chunks - 1] + 1)
    try:
        with pytest.raises(_faults.InjectedFault):
            main(["run", "s.toml", "--out", str(out), "--quiet", *flags])
    finally:
        _faults.disarm()
    assert _done(out) == n_chunks


# --- 1. a store's identity -------------------------------------------------------------


def test_resume_with_another_memory_budget_adopts_the_stores_chunks(work, capsys):
    main(["run", "s.toml", "--out", "ref.zarr", "--quiet"])
    _partial(work / "m.zarr", 5, "--memory", "2kB")
    capsys.readouterr()
    assert main(["run", "s.toml", "--out", "m.zarr", "--resume", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "using the store's chunk shape" in captured.err
    attrs = open_results("m.zarr").attrs
    assert attrs["ionsweep_complete"] == 1
    assert _done("m.zarr") == attrs["ionsweep_n_chunks"]
    _same("ref.zarr", "m.zarr")


def test_shards_with_different_memory_budgets_fill_one_store(work, capsys):
    main(["run", "s.toml", "--out", "ref.zarr", "--quiet"])
    assert main(["run", "s.toml", "--out", "sh.zarr", "--shard", "0/2", "--memory", "2kB"]) == 0
    assert main(["run", "s.toml", "--out", "sh.zarr", "--shard", "1/2", "--quiet"]) == 0
    assert "using the store's chunk shape" in capsys.readouterr().err
    assert open_results("sh.zarr").attrs["ionsweep_complete"] == 1
    _same("ref.zarr", "sh.zarr")


def test_resume_with_another_dtype_is_refused_and_writes_nothing(work, capsys):
    _partial(work / "d.zarr", 1, "--memory", "2kB")
    before = sorted(p.name for p in (work / "d.zarr").rglob("*"))
    capsys.readouterr()
    rc = main(["run", "s.toml", "--out", "d.zarr", "--resume", "--dtype", "float64"])
    assert rc == 2
    err = _err(capsys)
    assert "float32 values" in err and "float64" in err
    assert sorted(p.name for p in (work / "d.zarr").rglob("*")) == before


def test_resume_of_a_missing_store_is_an_error(work, capsys):
    assert main(["run", "s.toml", "--out", "none.zarr", "--resume"]) == 2
    assert "no store to resume" in _err(capsys)
    assert not (work / "none.zarr").exists()


# --- 2. --overwrite deletes only ionsweep's own stores ------------------------------------


def _foreign_zarr(path):
    g = zarr.open_group(str(path), mode="w")
    g.create_array("x", shape=(3,), dtype="f8")[...] = [1.0, 2.0, 3.0]
    (path / "README").write_text("my data")


@pytest.mark.parametrize("flag", ["--overwrite", None])
def test_a_zarr_store_ionsweep_did_not_write_is_never_deleted(work, capsys, flag):
    _foreign_zarr(work / "theirs.zarr")
    args = ["run", "s.toml", "--out", "theirs.zarr", "--quiet"] + ([flag] if flag else [])
    assert main(args) == 2
    err = _err(capsys)
    assert "ionsweep did not write" in err and "different spec" not in err
    assert (work / "theirs.zarr" / "README").read_text() == "my data"


def test_a_folder_with_a_stray_zarr_json_is_never_deleted(work, capsys):
    d = work / "thesis"
    (d / "data").mkdir(parents=True)
    (d / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    (d / "thesis.tex").write_text("\\documentclass{article}")
    (d / "data" / "raw.csv").write_text("a,b\n1,2\n")
    assert main(["run", "s.toml", "--out", "thesis", "--overwrite"]) == 2
    assert "refusing" in _err(capsys)
    assert (d / "thesis.tex").exists() and (d / "data" / "raw.csv").exists()


def test_overwrite_refuses_an_ionsweep_store_holding_other_files(work, capsys):
    main(["run", "s.toml", "--out", "mine.zarr", "--quiet"])
    (work / "mine.zarr" / "notes.txt").write_text("keep me")
    assert main(["run", "s.toml", "--out", "mine.zarr", "--overwrite"]) == 2
    assert "notes.txt" in _err(capsys)
    assert (work / "mine.zarr" / "notes.txt").exists()


def test_overwrite_never_deletes_through_a_symlink(work, capsys):
    main(["run", "s.toml", "--out", "real.zarr", "--quiet"])
    os.symlink(work / "real.zarr", work / "link.zarr")
    assert main(["run", "s.toml", "--out", "link.zarr", "--overwrite"]) == 2
    assert "symbolic link" in _err(capsys)
    assert open_results("real.zarr").attrs["ionsweep_complete"] == 1


def test_overwrite_replaces_an_ionsweep_store(work, capsys):
    main(["run", "s.toml", "--out", "mine.zarr", "--quiet"])
    assert main(["run", "s.toml", "--out", "mine.zarr", "--overwrite", "--quiet"]) == 0
    assert open_results("mine.zarr").attrs["ionsweep_complete"] == 1


# --- 4. validation before anything is created ------------------------------------------

BAD_MODELS = {
    "raises": ("def f(x):\n    raise RuntimeError('boom')\n", "RuntimeError: boom"),
    "shape": ("import jax.numpy as jnp\ndef f(x):\n    return jnp.stack([x, x])\n", "shape"),
    "key": ("def f(x):\n    return {'other': x}\n", "returns no 'value'"),
    "type": ("def f(x):\n    return 'text'\n", "value"),
    "import": ("raise ImportError('missing dependency')\ndef f(x):\n    return x\n", "missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_a_broken_user_model_is_refused_before_any_file_is_written(work, capsys, case):
    code, needle = BAD_MODELS[case]
    (work / f"bad_{case}.py").write_text(code)
    (work / "u.toml").write_text(f"[model]\nname = 'bad_{case}:f'\n[axes]\nx = [1.0, 2.0]\n")
    before = sorted(os.listdir(work))
    assert main(["run", "u.toml", "--out", "u.zarr"]) == 2
    err = _err(capsys)
    assert "u.toml" in err and "[model]" in err and needle in err, err
    assert sorted(os.listdir(work)) == before  # no store, no temporary directory


def test_a_user_model_beside_the_spec_is_found(tmp_path, capsys, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mymodel.py").write_text("def f(x):\n    return 2 * x\n")
    (tmp_path / "specs" / "u.toml").write_text("[model]\nname = 'mymodel:f'\n[axes]\nx = [1.0]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "specs/u.toml", "--out", "u.zarr", "--quiet"]) == 0
    assert float(open_results("u.zarr")["value"].values[0]) == 2.0


@pytest.mark.parametrize(
    "outputs, field",
    [('variables = ["E", "E"]', "[outputs] variables"), ('grad = ["T", "celsius"]', "grad")],
)
def test_duplicate_outputs_are_refused_without_leftovers(work, capsys, outputs, field):
    (work / "dup.toml").write_text(SPEC.replace('grad = ["c_out"]', outputs))
    assert main(["run", "dup.toml", "--out", "dup.zarr"]) == 2
    assert field in _err(capsys)
    assert sorted(os.listdir(work)) == ["dup.toml", "s.toml"]


def test_a_grid_too_large_for_one_run_is_refused_before_work(work, capsys):
    huge = SPEC.replace("linspace = [1, 20, 40]", "linspace = [1, 20, 100000]").replace(
        "celsius = { linspace = [5, 40, 8] }",
        "celsius = { linspace = [5, 40, 100000] }\ngamma_out = { linspace = [0.5, 1, 100000] }",
    )
    (work / "huge.toml").write_text(huge)
    t = time.perf_counter()
    assert main(["run", "huge.toml", "--out", "huge.zarr"]) == 2
    assert "chunks" in _err(capsys) and time.perf_counter() - t < 60
    assert not (work / "huge.zarr").exists()


def test_a_store_larger_than_the_free_disk_is_refused(work, capsys, monkeypatch):
    import shutil

    usage = shutil.disk_usage(work)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1000))
    assert main(["run", "s.toml", "--out", "big.zarr"]) == 2
    assert "free" in _err(capsys)
    assert not (work / "big.zarr").exists()


# --- 5. I/O failures and signals -------------------------------------------------------


def test_disk_full_while_writing_is_one_line_and_the_store_resumes(work, capsys, monkeypatch):
    from ionsweep.sweep import _executor

    main(["run", "s.toml", "--out", "ref.zarr", "--quiet", "--memory", "2kB"])
    real = _executor.write_chunk
    calls = {"n": 0}

    def full(group, plan, out, index, host):
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / "E"))
        real(group, plan, out, index, host)

    monkeypatch.setattr(_executor, "write_chunk", full)
    assert main(["run", "s.toml", "--out", "f.zarr", "--quiet", "--memory", "2kB"]) == 2
    err = _err(capsys)
    assert "No space left on device" in err and "f.zarr" in err
    monkeypatch.setattr(_executor, "write_chunk", real)
    assert main(["run", "s.toml", "--out", "f.zarr", "--resume", "--quiet"]) == 0
    _same("ref.zarr", "f.zarr")


def test_unwritable_output_paths_are_one_line(work, capsys):
    (work / "afile").write_text("x")
    assert main(["run", "s.toml", "--out", "afile/sub.zarr"]) == 2
    assert "afile" in _err(capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_directory_is_one_line(work, capsys):
    (work / "ro").mkdir()
    (work / "ro").chmod(0o555)
    try:
        assert main(["run", "s.toml", "--out", "ro/x.zarr"]) == 2
        assert "permission" in _err(capsys)
    finally:
        (work / "ro").chmod(0o755)


@pytest.mark.parametrize("command", [["run", "s.toml", "--out", "c.zarr", "--resume"], ["info"]])
def test_corrupt_metadata_is_one_line(work, capsys, command):
    main(["run", "s.toml", "--out", "c.zarr", "--quiet"])
    (work / "c.zarr" / "zarr.json").write_text('{"zarr_format": 3, "attrib')
    assert main(command + (["c.zarr"] if command == ["info"] else [])) == 2
    assert "corrupt metadata" in _err(capsys)


def test_fit_outputs_to_an_unwritable_place_are_one_line(work, capsys):
    from ionsweep.data import example_fit_path

    (work / "afile").write_text("x")
    for flag in ("--out", "--plot"):
        args = ["fit", str(example_fit_path()), "--ions", "K+,Na+,Cl-", flag, "afile/r.json"]
        if flag == "--plot":
            args[-1] = "afile/r.png"
        assert main(args) == 2, flag
        assert "afile" in _err(capsys)


SLOW = """
import time
import jax
import jax.numpy as jnp


def _pause(x):
    time.sleep(0.05)
    return x


def slow(c_out, T):
    E = 26.7 * jnp.log(c_out / 140.0) * T / 310.15
    return E + 0 * jax.pure_callback(_pause, jax.ShapeDtypeStruct(jnp.shape(E), E.dtype), E)
"""


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_stop_with_one_line_and_a_resumable_store(tmp_path, sig, status):
    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "slow.toml").write_text(
        "[model]\nname = 'slow:slow'\n[axes]\nc_out = { linspace = [1, 20, 60] }\n"
        "T = [300.0, 310.0]\n[run]\nchunks = { c_out = 1 }\n"
    )
    cmd = [str(Path(sys.executable).with_name("ionsweep")), "run", "slow.toml", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    done = tmp_path / "slow.zarr" / ".ionsweep" / "done"
    deadline = time.time() + 60
    while time.time() < deadline and not (done.exists() and len(list(done.iterdir())) >= 3):
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--resume" in lines[0], err
    r = subprocess.run([*cmd, "--resume"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ds = open_results(tmp_path / "slow.zarr")
    assert ds.attrs["ionsweep_complete"] == 1
    expect = 26.7 * np.log(np.linspace(1, 20, 60)[:, None] / 140.0) * np.array([300.0, 310.0])
    np.testing.assert_allclose(ds["value"].values, expect / 310.15, rtol=1e-5)


# --- 6. numbers that must not be printed -----------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["nernst", "--ion", "K+", "--inside", "1e308", "--outside", "1e-308"], "float64 range"),
        (["nernst", "--ion", "K+", "--inside", "1e308", "--outside", "1e-308", "--json"], "range"),
        (["nernst", "--ion", "X", "--z", "9" * 20, "--inside", "1", "--outside", "2"], "--z"),
        (["ghk", "--ion", "K+,Na+", "--inside", "140,12", "--outside", "5,145",
          "--perm", "1e308,1e308"], "--perm"),
        (["nernst", "--ion", "K+", "--inside", "1_40", "--outside", "5"], "--inside"),
        (["nernst", "--ion", "K+", "--inside", "\uff11\uff14\uff10", "--outside", "5"], "--inside"),
        (["nernst", "--ion", "K+", "--inside", "inf", "--outside", "5"], "--inside"),
    ],
)  # fmt: skip
def test_calc_refuses_inputs_it_cannot_represent(capsys, args, needle):
    assert main(["calc", *args]) == 2
    err = _err(capsys)
    assert needle in err
    assert capsys.readouterr().out == ""


def test_calc_json_is_strict_json(capsys):
    assert (
        main(["calc", "nernst", "--ion", "K+", "--inside", "140", "--outside", "5", "--json"]) == 0
    )
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_fit_refuses_a_concentration_that_overflows():
    from ionsweep import fit_permeability_ratios
    from ionsweep.analysis import FitInputError

    data = {
        "K+_in": [140.0, 140.0, 1e308],
        "K+_out": [5.0, 20.0, 40.0],
        "Na+_in": [10.0, 10.0, 10.0],
        "Na+_out": [145.0, 145.0, 145.0],
        "V_rev": [-70.0, -40.0, -30.0],
    }
    with pytest.raises(FitInputError, match="K\\+_in.*100 M"):
        fit_permeability_ratios(data, ["K+", "Na+"], T=310.15)


def test_fit_with_the_reference_absent_everywhere_gives_nan_and_a_warning():
    from ionsweep import fit_permeability_ratios
    from ionsweep.analysis import FitWarning

    rt = 8.314462618 * 310.15 / 96485.33212 * 1000
    na_out = np.array([145.0, 100.0, 50.0, 20.0])
    cl_out = np.array([120.0, 120.0, 60.0, 140.0])
    # Exact GHK potentials of Na+ and Cl- with P_Cl/P_Na = 2 (K+ absent on both sides).
    V = rt * np.log((na_out + 2 * 7.0) / (12.0 + 2 * cl_out))
    data = {
        "K+_in": np.zeros(4),
        "K+_out": np.zeros(4),
        "Na+_in": np.full(4, 12.0),
        "Na+_out": na_out,
        "Cl-_in": np.full(4, 7.0),
        "Cl-_out": cl_out,
        "V_rev": V,
    }
    with pytest.warns(FitWarning, match="reference K\\+ is absent"):
        fit = fit_permeability_ratios(data, ["K+", "Na+", "Cl-"], reference="K+", T=310.15)
    assert np.isnan(fit.ratios["Na+"]) and np.isnan(fit.ratios["Cl-"])
    assert np.isnan(fit.stderr["Cl-"])


def test_gradients_are_nan_where_the_value_is_nan():
    import ionsweep

    ds = ionsweep.run_sweep(
        {
            "model": {"name": "ghk_voltage", "ions": ["K+", "Na+"]},
            "axes": {"K_in": [0.0, 140.0]},
            "fixed": {"K_out": 5.0, "Na_in": 0.0, "Na_out": 145.0, "P_K": 1.0, "P_Na": 0.05},
            "outputs": {"grad": ["P_Na"]},
        }
    )
    V, dV = ds["V_rev"].values, ds["dV_rev_dP_Na"].values
    assert np.isnan(V[0]) and np.isnan(dV[0]) and ds["valid"].values[0] == 0
    assert np.isfinite(V[1]) and np.isfinite(dV[1])


# --- 7. strict spec types; sensitivity settings checked before work --------------------


@pytest.mark.parametrize(
    "change, field, needle",
    [
        (("c_out = { linspace = [1, 20, 40] }", "c_out = [true, 5.0]"), "[axes] c_out", "true"),
        (('grad = ["c_out"]', 'grad = ["c_out"]\n[run]\nchunks = { c_out = true }'),
         "[run] chunks c_out", "positive integer"),
        (('ion = "K+"', "z = 1.5"), "[fixed] z", "whole number"),
        (('ion = "K+"', "z = 1"), None, None),
        (("celsius = { linspace = [5, 40, 8] }", "celsius = [-300]"), "[axes] celsius",
         "-300 °C"),
        (('grad = ["c_out"]', 'grad = ["c_out"]\n[run]\nmemory = true'), "[run] memory", "size"),
    ],
)  # fmt: skip
def test_sweep_specs_are_strictly_typed(change, field, needle):
    from ionsweep.sweep import SpecError, parse_spec

    text = SPEC.replace(*change)
    if field is None:
        parse_spec(text, source="s.toml")
        return
    with pytest.raises(SpecError) as err:
        parse_spec(text, source="s.toml")
    assert str(err.value).startswith(f"s.toml: {field}:") and needle in str(err.value)


SENS = """
[model]
name = "nernst"
[inputs]
c_out = { uniform = [2.0, 10.0] }
[fixed]
c_in = 140.0
ion = "K+"
"""


@pytest.mark.parametrize(
    "method, field",
    [
        ('[sobol]\nn = 8\nconf_level = "high"', "[sobol] conf_level"),
        ("[sobol]\nn = 1000000000000", "[sobol] n"),
        ("[morris]\nn = true", "[morris] n"),
        ("[uncertainty]\nn = 8\nquantiles = [0.5, 2.0]", "[uncertainty] quantiles"),
        ('[uncertainty]\nn = 8\nquantiles = ["a"]', "[uncertainty] quantiles"),
        ("[uncertainty]\nn = 8\nrange = [5.0, 1.0]", "[uncertainty] range"),
        ("[uncertainty]\nn = 8\nrange = [1.0]", "[uncertainty] range"),
        ("[uncertainty]\nn = 8\nthresholds = [-1.0]", "[uncertainty] thresholds"),
        ('[uncertainty]\nn = 8\nkeep_samples = "yes"', "[uncertainty] keep_samples"),
    ],
)
def test_sensitivity_settings_are_checked_before_work(work, capsys, method, field):
    (work / "sens.toml").write_text(SENS + method + "\n")
    t = time.perf_counter()
    assert main(["sensitivity", "sens.toml", "--out", "sens.zarr"]) == 2
    err = _err(capsys)
    assert "sens.toml" in err and field in err, err
    assert time.perf_counter() - t < 30 and not (work / "sens.zarr").exists()
