"""Tests of the ``ionsweep`` command line.

A few cases run the real console script (and ``python -m ionsweep``) in a subprocess: exit
codes, stdout/stderr and the installed entry point. The rest call ``ionsweep.cli.main`` in
process, which is the function the console script runs, to keep the file fast (every
subprocess imports JAX). Printed values are checked against independent calculations below.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.optimize import brentq

import ionsweep
from ionsweep.cli import _jax, main

# CODATA 2018 recommended values (NIST, https://physics.nist.gov/cuu/Constants/; exact since
# the 2019 SI redefinition, shown here to 10 significant digits).
R = 8.314462618  # J/(mol K)
F = 96485.33212  # C/mol
T37 = 310.15  # K, 37 °C


def nernst_mv(c_in: float, c_out: float, z: int, T: float = T37) -> float:
    """E = (RT/zF) ln(c_out/c_in), mV."""
    return 1e3 * R * T / (z * F) * math.log(c_out / c_in)


def ghk_root_mv(P, c_in, c_out, z, T: float = T37) -> float:
    """Zero of the summed GHK currents (Brent's method on [-500, 500] mV), mV.

    Each ion contributes its GHK current density divided by F,
    P·z·u·(c_in − c_out·e^(−u))/(1 − e^(−u)) with u = zFV/RT (the limit P·z·(c_in − c_out)
    at u = 0).
    """

    def net_current(V_mV: float) -> float:
        total = 0.0
        for p, ci, co, zi in zip(P, c_in, c_out, z, strict=True):
            u = zi * F * V_mV * 1e-3 / (R * T)
            flux = (ci - co) if u == 0 else u * (ci - co * math.exp(-u)) / -math.expm1(-u)
            total += p * zi * flux
        return total

    return brentq(net_current, -500.0, 500.0, xtol=1e-12)


def goldman_mv(P, c_in, c_out, z, T: float = T37) -> float:
    """Goldman equation for monovalent ions, mV."""
    num = sum(p * (co if zi > 0 else ci) for p, ci, co, zi in zip(P, c_in, c_out, z, strict=True))
    den = sum(p * (ci if zi > 0 else co) for p, ci, co, zi in zip(P, c_in, c_out, z, strict=True))
    return 1e3 * R * T / F * math.log(num / den)


def cli(args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``ionsweep ARGS`` (the installed script, or ``python -m ionsweep``)."""
    if script:
        exe = shutil.which("ionsweep", path=str(Path(sys.executable).parent))
        assert exe is not None, "the ionsweep console script is not installed next to python"
        cmd = [exe]
    else:
        cmd = [sys.executable, "-m", "ionsweep"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*cmd, *shlex.split(args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def run_main(capsys, args: str) -> tuple[int, str, str]:
    """Call ``main`` in process on the words of ``args``; return (status, stdout, stderr)."""
    status = main(shlex.split(args))
    out, err = capsys.readouterr()
    return status, out, err


def calc_json(capsys, args: str) -> dict:
    status, out, err = run_main(capsys, f"calc {args} --json")
    assert status == 0, err
    return json.loads(out)


def assert_one_line_error(status: int, out: str, err: str, argument: str, prog: str) -> None:
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"{prog}: error: "), err
    assert argument in err, err


# --- the real console script ------------------------------------------------------------


def test_console_script_prints_nernst_potential():
    proc = cli("calc nernst --ion K+ --inside 140 --outside 5 --celsius 37", script=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "T = 310.15 K (37.00 °C)" in proc.stdout
    match = re.search(r"E = ([+-]\d+\.\d\d) mV", proc.stdout)
    assert match is not None, proc.stdout
    assert float(match.group(1)) == round(nernst_mv(140, 5, 1), 2) == -89.06


def test_version():
    proc = cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"ionsweep {ionsweep.__version__}"


def test_nernst_json_several_ions_with_activity_coefficients():
    proc = cli(
        "calc nernst --ion potassium,Na,Cl-,Ca++ --inside 140,12,7,1e-4 --outside 5,145,120,2 "
        "--gamma-in 0.75 --gamma-out 0.8,0.8,0.8,0.5 --kelvin 300 --json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["quantity"] == "nernst"
    assert data["T_K"] == 300.0
    assert data["T_C"] == pytest.approx(26.85)
    expected = [
        ("K+", 1, 140, 5, 0.8),
        ("Na+", 1, 12, 145, 0.8),
        ("Cl-", -1, 7, 120, 0.8),
        ("Ca2+", 2, 1e-4, 2, 0.5),
    ]
    assert len(data["results"]) == len(expected)
    for row, (ion, z, ci, co, g_out) in zip(data["results"], expected, strict=True):
        assert (row["ion"], row["z"], row["c_in_mM"], row["c_out_mM"]) == (ion, z, ci, co)
        assert (row["gamma_in"], row["gamma_out"]) == (0.75, g_out)
        E = nernst_mv(0.75 * ci, g_out * co, z, 300.0)
        assert row["E_mV"] == pytest.approx(E, rel=1e-10)


def test_ghk_json_matches_goldman_equation():
    P, c_in, c_out, z = [1, 0.04, 0.45], [140, 12, 7], [5, 145, 120], [1, 1, -1]
    proc = cli(
        "calc ghk --ion K+,Na+,Cl- --inside 140,12,7 --outside 5,145,120 --perm 1,0.04,0.45 --json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["T_K"] == pytest.approx(T37)
    assert data["V_rev_mV"] == pytest.approx(goldman_mv(P, c_in, c_out, z), rel=1e-10)
    assert [r["P"] for r in data["results"]] == P
    assert data["results"][0]["E_mV"] == pytest.approx(nernst_mv(140, 5, 1), rel=1e-10)


def test_donnan_json_with_osmotic_imbalance():
    proc = cli("calc donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50 --impermeant 50 --json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    # Monovalent closed form: K_in·Cl_in = c², K_in − Cl_in − 50 = 0.
    k_in = (50 + math.sqrt(50**2 + 4 * 150**2)) / 2
    cl_in = 150**2 / k_in
    assert data["V_mV"] == pytest.approx(1e3 * R * T37 / F * math.log(150 / k_in), rel=1e-9)
    assert [r["c_in_mM"] for r in data["results"]] == pytest.approx([k_in, cl_in], rel=1e-9)
    assert data["fixed_charge_mM"] == -50 and data["impermeant_mM"] == 50
    imbalance = k_in + cl_in + 50 - 300
    assert data["osmotic_imbalance_mOsm_per_L"] == pytest.approx(imbalance, rel=1e-9)


def test_driving_force_text_names_directions():
    proc = cli(
        "calc driving-force --vm -65 --ion K+,Cl- --inside 140,7 --outside 5,120 --celsius 37"
    )
    assert proc.returncode == 0, proc.stderr
    k_line, cl_line = (line for line in proc.stdout.splitlines() if "V - E =" in line)
    assert f"V - E = {-65 - nernst_mv(140, 5, 1):+.2f} mV" in k_line
    assert "+24.06 mV" in k_line
    assert "K+ moves out of the cell (outward flux), outward current" in k_line
    assert f"V - E = {-65 - nernst_mv(7, 120, -1):+.2f} mV" in cl_line
    assert "Cl- moves into the cell (inward flux), outward current" in cl_line


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ("calc nernst --ion K+ --inside -140 --outside 5", "--inside"),
        ("calc nernst --ion Kx --inside 140 --outside 5", "did you mean K"),
        ("calc ghk --ion K+ --inside 1 --outside 1 --perm 1 --bogus", "--bogus"),
        ("calc donnan --ion K+,Cl- --bath 150,150", "--fixed-charge"),
    ],
)
def test_bad_input_subprocess_one_line_status_2(args, argument):
    proc = cli(args)
    prog = "ionsweep " + " ".join(args.split()[:2])
    assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, argument, prog)


def test_help_has_units_and_example():
    proc = cli("calc ghk --help")
    assert proc.returncode == 0
    assert "mV" in proc.stdout and "mM" in proc.stdout and "cm/s" in proc.stdout
    assert "example:\n  ionsweep calc ghk --ion K+,Na+,Cl-" in proc.stdout


# --- in process: values -----------------------------------------------------------------


def test_kelvin_and_celsius_agree(capsys):
    args = "nernst --ion K+,Cl- --inside 140,7 --outside 5,120"
    by_celsius = calc_json(capsys, f"{args} --celsius 25")
    by_kelvin = calc_json(capsys, f"{args} --kelvin 298.15")
    default = calc_json(capsys, args)
    assert by_celsius["T_K"] == pytest.approx(by_kelvin["T_K"], rel=1e-15)
    for a, b in zip(by_celsius["results"], by_kelvin["results"], strict=True):
        assert a["E_mV"] == pytest.approx(b["E_mV"], rel=1e-12)
    assert default["T_K"] == pytest.approx(T37) and default["T_C"] == pytest.approx(37.0)
    assert default["results"][0]["E_mV"] == pytest.approx(nernst_mv(140, 5, 1), rel=1e-10)


@pytest.mark.parametrize(
    ("args", "z"),
    [
        ("--ion K+,Na+,Ca2+ --inside 140,12,1e-4 --outside 5,145,2 --perm 1,0.05,0.3", [1, 1, 2]),
        # bi-ionic: zero concentrations are allowed for GHK
        ("--ion La3+,K+ --inside 0,140 --outside 10,0 --perm 1,1", [3, 1]),
        # an ion the table does not know, with its valence from --z
        ("--ion Y,Cl- --z -2,-1 --inside 1,100 --outside 20,4 --perm 1,0.5", [-2, -1]),
    ],
)
def test_ghk_any_valence_matches_root_of_summed_currents(capsys, args, z):
    data = calc_json(capsys, f"ghk {args}")
    words = args.split()
    P, c_in, c_out = (
        [float(x) for x in words[words.index(flag) + 1].split(",")]
        for flag in ("--perm", "--inside", "--outside")
    )
    assert data["V_rev_mV"] == pytest.approx(ghk_root_mv(P, c_in, c_out, z), abs=1e-8)
    assert [r["z"] for r in data["results"]] == z


def test_ghk_text_marks_undefined_nernst_potentials(capsys):
    args = "calc ghk --ion Na+,K+ --inside 0,140 --outside 145,0 --perm 1,1"
    status, out, err = run_main(capsys, args)
    assert status == 0, err
    assert f"V_rev = {ghk_root_mv([1, 1], [0, 140], [145, 0], [1, 1]):+.2f} mV" in out
    assert out.count("E = undefined") == 2


def test_donnan_divalent_matches_independent_root(capsys):
    args = "donnan --ion Ca2+,Cl- --bath 50,100 --fixed-charge -30 --celsius 20"
    data = calc_json(capsys, args)
    vt = 1e3 * R * 293.15 / F

    def inside_charge(V):
        return 2 * 50 * math.exp(-2 * V / vt) - 100 * math.exp(V / vt) - 30

    V = brentq(inside_charge, -200, 200, xtol=1e-13)
    assert data["V_mV"] == pytest.approx(V, abs=1e-8)
    expected_c_in = [50 * math.exp(-2 * V / vt), 100 * math.exp(V / vt)]
    assert [r["c_in_mM"] for r in data["results"]] == pytest.approx(expected_c_in, rel=1e-9)


def test_pump_leak_and_goldman_values(capsys):
    args = "pump-leak --k-in 140 --k-out 5 --na-in 12 --na-out 145 --p-na 0.04"
    data = calc_json(capsys, f"{args} --ratio 1.5")
    vt = 1e3 * R * T37 / F
    expected = vt * math.log((1.5 * 5 + 0.04 * 145) / (1.5 * 140 + 0.04 * 12))
    assert data["V_mV"] == pytest.approx(expected, rel=1e-10)
    goldman = goldman_mv([1, 0.04], [140, 12], [5, 145], [1, 1])
    assert data["V_goldman_mV"] == pytest.approx(goldman, rel=1e-10)
    assert (data["P_K"], data["P_Na"], data["ratio"]) == (1.0, 0.04, 1.5)
    status, out, _ = run_main(capsys, f"calc {args}")  # default ratio 1.5
    assert status == 0
    assert f"V (r = 1.5) = {expected:+.2f} mV" in out
    assert f"V (r = 1)   = {goldman:+.2f} mV" in out


def test_driving_force_from_given_potentials(capsys):
    # "--e -80,-65,-50" starts with a minus sign and is still read as a value.
    data = calc_json(capsys, "driving-force --vm -65 --ion Na+,Cl-,X --z 1,-1,-2 --e -80,-65,-50")
    rows = data["results"]
    assert [r["driving_force_mV"] for r in rows] == [15.0, 0.0, -15.0]
    directions = [(r["flux"], r["current"]) for r in rows]
    assert directions == [("outward", "outward"), ("none", "none"), ("outward", "inward")]
    assert all(r["E_source"] == "given" and "c_in_mM" not in r for r in rows)


# --- in process: bad input -------------------------------------------------------------

IONS2 = "--ion K+,Na+"
NERNST = f"calc nernst {IONS2} --inside 140,12 --outside 5,145"
GHK = f"calc ghk {IONS2} --inside 140,12 --outside 5,145"
DONNAN = "calc donnan --ion K+,Cl- --fixed-charge -50"
PUMP = "calc pump-leak --k-in 140 --k-out 5 --na-in 12 --na-out 145"
DRIVE = "calc driving-force --vm -65 --ion K+"


@pytest.mark.parametrize(
    ("args", "argument", "text"),
    [
        (f"calc nernst {IONS2} --inside 140,0 --outside 5,145", "--inside", "0 mM"),
        (f"{NERNST} --gamma-out 0", "--gamma-out", "> 0"),
        (f"{DRIVE} --inside 140 --outside 0", "--outside", "0 mM"),
        (f"{DRIVE} --outside 5", "--inside", "required"),
        (f"{DRIVE} --e -89 --inside 140", "--inside", "--e"),
        ("calc nernst --ion Foo --inside 1 --outside 2", "--ion", "--z"),
        (f"{NERNST} --z 1,0", "--z", "z = 0"),
        (f"{NERNST} --z 1,1.5", "--z", "integer"),
        (f"{NERNST} --z 1", "--z", "1 value for 2 ions"),
        (f"{NERNST} --kelvin 0", "--kelvin", "> 0 K"),
        (f"{NERNST} --celsius -273.15", "--celsius", "absolute zero"),
        (f"{NERNST} --celsius 20 --kelvin 300", "--kelvin", "not allowed"),
        (f"calc nernst {IONS2} --inside 140 --outside 5,145", "--inside", "1 value for 2 ions"),
        (f"calc nernst {IONS2} --inside 140,x --outside 5,145", "--inside", "'x'"),
        (f"{GHK} --perm 1,-0.1", "--perm", ">= 0"),
        (f"{GHK} --perm 0,0", "--perm", "all permeabilities are 0"),
        (f"{GHK} --perm 1", "--perm", "1 value for 2 ions"),
        (f"calc ghk {IONS2} --inside 0,0 --outside 5,145 --perm 1,1", "--inside", "outward"),
        (f"{DONNAN} --bath 160,150", "--bath", "net charge sum(z*c) = +10 mM"),
        (f"{DONNAN} --bath 150,-150", "--bath", ">= 0"),
        (f"{DONNAN} --bath 150,150 --impermeant -1", "--impermeant", ">= 0"),
        (f"{PUMP} --p-na 0.04 --ratio 0", "--ratio", "> 0"),
        (f"{PUMP} --p-na 0 --p-k 0", "--p-k/--p-na", "both permeabilities"),
        (f"{PUMP} --p-na -1", "--p-na", ">= 0"),
        (PUMP, "--p-na", "required"),
    ],
)
def test_bad_input_is_refused_before_computing(capsys, monkeypatch, args, argument, text):
    def fail():
        raise AssertionError("computed before validating")

    monkeypatch.setattr(_jax, "float64_kernels", fail)
    status, out, err = run_main(capsys, args)
    prog = "ionsweep " + " ".join(args.split()[:2])
    assert_one_line_error(status, out, err, argument, prog)
    assert text in err


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        # |V| would exceed the solvers' bracket of 30 RT/F: no defined potential.
        (
            "calc ghk --ion La3+,Cl- --inside 1e-40,100 --outside 100,1e-40 --perm 1,1e-30",
            "--inside/--outside/--perm",
        ),
        ("calc donnan --ion K+,Cl- --bath 1,1 --fixed-charge -1e20", "--fixed-charge"),
    ],
)
def test_no_solution_is_a_user_error(capsys, args, argument):
    status, out, err = run_main(capsys, args)
    assert_one_line_error(status, out, err, argument, "ionsweep " + " ".join(args.split()[:2]))
    assert "30 RT/F" in err


@pytest.mark.parametrize(
    ("args", "prog"), [("", "ionsweep"), ("calc", "ionsweep calc"), ("calc pH", "ionsweep calc")]
)
def test_missing_or_unknown_command(capsys, args, prog):
    status, out, err = run_main(capsys, args)
    assert_one_line_error(status, out, err, "", prog)


@pytest.mark.parametrize("quantity", ["nernst", "ghk", "donnan", "pump-leak", "driving-force"])
def test_every_quantity_has_help_with_units_and_example(capsys, quantity):
    status, out, _ = run_main(capsys, f"calc {quantity} --help")
    assert status == 0
    assert "mV" in out and "mM" in out and "--celsius" in out and "--json" in out
    assert f"example:\n  ionsweep calc {quantity} " in out
