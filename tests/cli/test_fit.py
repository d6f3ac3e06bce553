"""Tests of ``ionsweep fit``.

Two cases run the installed console script in a subprocess (exit status, stdout/stderr,
files written); the rest call ``ionsweep.cli.main`` in process, the function the console
script runs, to keep the file fast.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ionsweep.data
from ionsweep.cli import main

EXAMPLE = ionsweep.data.example_fit_path()


def _script() -> list[str]:
    exe = shutil.which("ionsweep", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "ionsweep"]


def _rows() -> list[dict[str, str]]:
    with open(EXAMPLE, newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["fit", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_console_script_writes_json_and_plot(tmp_path):
    out, png = tmp_path / "result.json", tmp_path / "fit.png"
    cmd = [
        *_script(),
        "fit",
        str(EXAMPLE),
        "--ions",
        "K+,Na+,Cl-",
        "--reference",
        "K+",
        "--plot",
        str(png),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Permeability ratios P/P_K+, pooled fit of 48 measurements, 6 cells" in proc.stdout
    assert "Na+" in proc.stdout and "status: converged" in proc.stdout
    result = json.loads(out.read_text())
    (cell,) = result["cells"]  # a pooled fit is one entry of the list of fits
    for key in ("ratios", "stderr", "ci95", "log_ratio", "covariance", "correlation"):
        assert key in cell
    assert "residuals" in result["measurements"] and result["status"] == "converged"
    assert cell["ratios"]["K+"] == 1.0 and cell["stderr"]["K+"] == 0.0
    assert abs(cell["ratios"]["Na+"] - 0.04) < 2 * cell["stderr"]["Na+"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_console_script_bad_input_exits_2_with_one_line(tmp_path):
    rows = _rows()
    rows[3]["Na+_out"] = "-5"
    path = _write(tmp_path / "bad.csv", rows)
    cmd = [*_script(), "fit", str(path), "--ions", "K+,Na+,Cl-"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ionsweep fit: error: DATA: negative concentration")
    assert "'Na+_out'" in lines[0] and "line 5" in lines[0]


def test_text_json_and_per_cell(capsys):
    code, out, err = run(capsys, EXAMPLE, "--ions", "K,Na,Cl", "--per-cell", "--offset")
    assert code == 0 and err == ""
    assert "per-cell fits of 6 cells" in out and "cell6" in out and "offset mV" in out
    code, out, _ = run(capsys, EXAMPLE, "--ions", "K+,Na+,Cl-", "--json")
    data = json.loads(out)
    assert data["per_cell"] is False and data["reference"] == "K+"
    assert data["parameters"] == ["P_Na+/P_K+", "P_Cl-/P_K+"]


def test_activity_and_bootstrap(capsys):
    code, out, _ = run(
        capsys,
        EXAMPLE,
        "--ions",
        "K+,Na+,Cl-",
        "--activity",
        "davies",
        "--offset",
        "--bootstrap",
        "200",
        "--seed",
        "3",
    )
    assert code == 0
    assert "activity model: davies" in out and "boot SE" in out and "200 residual" in out


def test_celsius_matching_the_table_is_accepted(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--ions", "K+,Na+,Cl-", "--celsius", "22")
    assert code == 0 and "T = 295.15 K" in out


def test_reference_other_than_potassium(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--ions", "Na+,K+,Cl-", "--reference", "Na+")
    assert code == 0 and "P/P_Na+" in out
    K = next(line for line in out.splitlines() if line.strip().startswith("K+"))
    assert 20 < float(K.split()[1]) < 30  # P_K/P_Na = 1/0.04


def test_unidentifiable_ratio_warns_on_stderr(capsys, tmp_path):
    rows = _rows()
    for row in rows:
        row["Li+_in"] = row["Li+_out"] = "0"
    path = _write(tmp_path / "li.csv", rows)
    code, out, err = run(capsys, path, "--ions", "K+,Na+,Li+,Cl-")
    assert code == 0
    assert "ionsweep fit: warning: P_Li+/P_K+ is not identifiable: Li+ is absent" in err
    assert "nan" in out


def _bad(tmp_path, change) -> Path:
    rows = _rows()
    rows = change(rows) or rows
    return _write(tmp_path / "bad.csv", rows)


@pytest.mark.parametrize(
    ("change", "extra", "message"),
    [
        (
            lambda rows: [r.pop("Cl-_out") for r in rows] and None,
            [],
            "DATA: missing column(s) 'Cl-_out'",
        ),
        (
            lambda rows: rows[0].__setitem__("V_rev", ""),
            [],
            "DATA: column 'V_rev' has NaN, infinite or empty values at line 2",
        ),
        (lambda rows: rows[6].__setitem__("K+_in", "nan"), [], "DATA: column 'K+_in' has NaN"),
        (
            lambda rows: rows[2].__setitem__("K+_out", "-1"),
            [],
            "DATA: negative concentration in column 'K+_out' at line 4",
        ),
        (lambda rows: rows[:1], [], "DATA: fewer measurements (1) than parameters"),
        (
            lambda rows: rows[:9],
            ["--per-cell"],
            "DATA: fewer measurements than parameters in cell(s) cell2 (1)",
        ),
        (None, ["--celsius", "37"], "--celsius: the given temperature (310.15 K) disagrees"),
        (None, ["--reference", "Ca2+"], "--reference: reference Ca2+ is not among the ions"),
        (None, ["--activity", "nonsense"], "--activity: unknown activity model 'nonsense'"),
        (None, ["--bootstrap", "-2"], "--bootstrap: must be >= 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, change, extra, message):
    path = _bad(tmp_path, change) if change else EXAMPLE
    code, out, err = run(capsys, path, "--ions", "K+,Na+,Cl-", *extra)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ionsweep fit: error: ")
    assert message in lines[0]


def test_missing_temperature_and_file(capsys, tmp_path):
    rows = _rows()
    for r in rows:
        r.pop("celsius")
    path = _write(tmp_path / "noT.csv", rows)
    code, _, err = run(capsys, path, "--ions", "K+,Na+,Cl-")
    assert code == 2 and "--celsius: required: the table has no 'celsius' column" in err
    code, out, _ = run(capsys, path, "--ions", "K+,Na+,Cl-", "--kelvin", "295.15")
    assert code == 0 and "T = 295.15 K" in out
    code, _, err = run(capsys, tmp_path / "absent.csv", "--ions", "K+,Na+,Cl-")
    assert code == 2 and "DATA: no such file" in err
    code, _, err = run(capsys, EXAMPLE, "--ions", "K+,Na+,Cl-", "--out", tmp_path / "x" / "r.json")
    assert code == 2 and "--out: directory" in err


def test_help_lists_fit(capsys):
    assert main(["--help"]) == 0
    assert "fit" in capsys.readouterr().out
    assert main(["fit", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--per-cell" in text and "V_rev_sd" in text


def test_zero_concentration_is_valid(capsys, tmp_path):
    rows = _rows()
    assert any(float(r["Na+_out"]) == 0 for r in rows)  # the K150 solution has no Na+
    code, _, _ = run(capsys, EXAMPLE, "--ions", "K+,Na+,Cl-")
    assert code == 0
    assert np.isfinite([float(r["V_rev"]) for r in rows]).all()
