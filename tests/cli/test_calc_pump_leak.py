"""``ionsweep calc pump-leak-volume``: the real console script, values checked against the
flux, charge and osmotic balances computed here; bad input gives exit 2 naming the flag.

Two cases run the installed script in a subprocess (every subprocess imports JAX); the
other bad inputs call ``ionsweep.cli.main``, the function the script runs, in process.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ionsweep.cli import main

# R = N_A k, F = N_A e from the exact 2019 SI defining constants (CODATA 2018).
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19

ARGS = "calc pump-leak-volume --pump 12 --p-na 5e-8 --p-k 1e-6 --impermeant 400 --celsius 37"


def script(args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ionsweep", path=str(Path(sys.executable).parent))
    assert exe is not None, "the ionsweep console script is not installed next to python"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [exe, *shlex.split(args)], capture_output=True, text=True, env=env, timeout=120
    )


def test_console_script_prints_a_balanced_steady_state():
    proc = script(ARGS + " --json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    T, V = res["T_K"], res["V_mV"]
    v = V * F / (1000 * R * T)
    B = lambda u: u / math.expm1(u)  # noqa: E731  Bernoulli function
    # GHK leaks (cm/s · mM = µmol/(cm² s) = 1e6 pmol/(cm² s)) balance the 3:2 pump.
    na_in = 5e-8 * (145.0 * B(v) - res["Na_in_mM"] * B(-v)) * 1e6
    k_out = 1e-6 * (res["K_in_mM"] * B(-v) - 5.0 * B(v)) * 1e6
    assert na_in == pytest.approx(12.0, rel=1e-10)
    assert k_out == pytest.approx(12.0 / 1.5, rel=1e-10)
    assert res["Cl_in_mM"] == pytest.approx(150.0 * math.exp(v), rel=1e-12)  # Cl- at rest
    c_X = 400.0 / res["volume_um"]
    inside = res["Na_in_mM"] + res["K_in_mM"] + res["Cl_in_mM"]
    assert inside + c_X == pytest.approx(300.0, rel=1e-12)  # isosmotic
    assert res["Na_in_mM"] + res["K_in_mM"] - res["Cl_in_mM"] - c_X == pytest.approx(
        0, abs=1e-10
    )  # electroneutral with z = -1
    assert -80 < V < -30


def test_console_script_refuses_a_negative_flux():
    proc = script(ARGS.replace("--pump 12", "--pump -3"))
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "--pump" in proc.stderr and "must be >= 0" in proc.stderr


@pytest.mark.parametrize(
    "old, new, flag, needle",
    [
        ("--impermeant 400", "--impermeant 400 --na-out -1", "--na-out", "must be >= 0"),
        ("--impermeant 400", "--impermeant 400 --z-impermeant 0", "--z-impermeant", "!= 0"),
        ("--celsius 37", "--kelvin 0", "--kelvin", "> 0 K"),
        ("--celsius 37", "--celsius -280", "--celsius", "absolute zero"),
        ("--p-na 5e-8", "--p-na 0", "--p-na", "> 0"),
        ("--pump 12", "--pump 500", "--pump", "no steady state"),
        ("--pump 12", "--pump 0", "--pump", "swells without bound"),
    ],
)
def test_bad_input_exit_2_naming_the_flag(capsys, old, new, flag, needle):
    status = main(shlex.split(ARGS.replace(old, new)))
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert flag in err and needle in err, err


def test_text_output(capsys):
    assert main(shlex.split(ARGS)) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pump-leak-Donnan steady state, T = 310.15 K")
    assert "volume =" in out and "[Na]i  =" in out
