"""``ionsweep sensitivity`` and ``ionsweep plot`` as a user runs them: the real console
script in subprocesses (exit codes, messages, files written)."""

import subprocess
import sys
from pathlib import Path

import pytest

from ionsweep.store import open_results

SPEC = """
title = "E_K sensitivity"
[model]
name = "nernst"
[inputs]
c_out = { uniform = [2.0, 10.0] }
celsius = { uniform = [20.0, 40.0] }
gamma_out = { relative = 0.05 }
[fixed]
c_in = 140.0
ion = "K+"
[sobol]
n = 256
[uncertainty]
n = 2000
thresholds = [80.0]
"""

SWEEP = """
[model]
name = "activity_error_ghk"
ions = ["K+", "Na+", "Cl-"]
balance = "Cl-"
fill = "Na+"
models = ["davies", "truesdell_jones"]
[axes]
activity_model = ["davies", "truesdell_jones"]
I_in = { geomspace = [0.01, 0.5, 6] }
I_out = { geomspace = [0.01, 0.5, 6] }
celsius = [5.0, 37.0]
[fixed]
K_in = 2.0
K_out = 2.0
[outputs]
variables = ["dE_K"]
"""


def ionsweep(*args, cwd):
    exe = str(Path(sys.executable).with_name("ionsweep"))
    return subprocess.run(
        [exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "spec.toml").write_text(SPEC)
    (d / "sweep.toml").write_text(SWEEP)
    r = ionsweep("sensitivity", "spec.toml", "--out", "s.zarr", cwd=d)
    assert r.returncode == 0, r.stderr
    r2 = ionsweep("run", "sweep.toml", "--out", "sweep.zarr", "--quiet", cwd=d)
    assert r2.returncode == 0, r2.stderr
    return d, r


def test_sensitivity_prints_tables_and_writes_a_store(work):
    d, r = work
    assert "ionsweep sensitivity spec.toml: nernst, sobol, uncertainty over 3 inputs" in r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Sobol indices of E [mV] (± 95 % bootstrap CI):"
    assert lines[1].split() == ["parameter", "S1", "ST"]
    assert [ln.split()[0] for ln in lines[2:5]] == ["c_out", "celsius", "gamma_out"]
    assert "P(|E| > 80) =" in r.stdout
    assert "wrote s.zarr" in lines[-1]
    ds = open_results(d / "s.zarr")
    assert ds.attrs["ionsweep_mode"] == "sensitivity"
    assert ds.attrs["ionsweep_spec"] == SPEC
    assert ds.ST.attrs["units"] == "1" and ds.quantiles.attrs["units"] == "mV"
    info = ionsweep("info", "s.zarr", cwd=d)
    assert info.returncode == 0 and "mode: sensitivity" in info.stdout
    assert "chunks: 1/1 finished (100.0 %), complete" in info.stdout


def test_plot_store_variables_to_png_and_svg(work):
    d, _ = work
    r = ionsweep("plot", "s.zarr", "ST", "-o", "sobol.png", cwd=d)
    assert r.returncode == 0, r.stderr
    assert (d / "sobol.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = ionsweep(
        "plot",
        "sweep.zarr",
        "dE_K",
        "--x",
        "I_out",
        "--y",
        "I_in",
        "--contour",
        "5",
        "--sel",
        "celsius=37",
        "-o",
        "map.svg",
        cwd=d,
    )
    assert r.returncode == 0, r.stderr
    assert "<svg" in (d / "map.svg").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plot", "s.zarr", "ST", "-o", "x.txt"), "-o: x.txt: the file must end in .png"),
        (("plot", "s.zarr", "nope", "-o", "x.png"), "VAR: s.zarr has no variable 'nope'"),
        (("plot", "missing.zarr", "ST", "-o", "x.png"), "STORE: missing.zarr is not an ionsweep"),
        (
            ("plot", "sweep.zarr", "dE_K", "--sel", "celsius", "-o", "x.png"),
            "--sel: expected DIM=VALUE",
        ),
        (
            ("plot", "sweep.zarr", "dE_K", "--y", "activity_model", "-o", "x.png"),
            "--y: 'activity_model' is categorical",
        ),
        (
            (
                "plot",
                "sweep.zarr",
                "dE_K",
                "--x",
                "I_out",
                "--y",
                "I_in",
                "--sel",
                "celsius=5",
                "activity_model=pitzer",
                "-o",
                "x.png",
            ),
            "--sel: activity_model has no label 'pitzer'",
        ),
        (("sensitivity", "spec.toml", "--out", "s.zarr"), "--out: s.zarr already exists"),
        (("sensitivity", "bad.toml"), "SPEC: bad.toml: [inputs] c_out: give a distribution"),
    ],
)
def test_bad_input_exits_2_with_one_line(work, args, message):
    d, _ = work
    (d / "bad.toml").write_text(SPEC.replace("{ uniform = [2.0, 10.0] }", "5.0"))
    (d / "x.png").unlink(missing_ok=True)
    r = ionsweep(*args, cwd=d)
    assert r.returncode == 2
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], r.stderr
    assert not (d / "x.png").exists()
