"""Tests of ``ionsweep calc ljp``: the printed junction potential against published values
and an independent Henderson computation, each ion's contribution, and the exit codes."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ionsweep.cli import main

KGLUC = "K+=130,gluconate-=110,Cl-=20"
ACSF = "Na+=145,K+=5,Cl-=150"


def _script() -> list[str]:
    exe = shutil.which("ionsweep", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "ionsweep"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["calc", "ljp", *args])
    out, err = capsys.readouterr()
    return code, out, err


def ljp_json(capsys, *args: str) -> dict:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("method", ["henderson", "nernst-planck"])
@pytest.mark.parametrize(
    ("pipette", "bath", "published"),
    [
        # Ng, B. & Barry, P. H. (1995) J. Neurosci. Methods 56:37-41, Table 2 (25 °C), the
        # potential of the bath (second solution) relative to the pipette (first), as ours.
        ("Na+=50,Cl-=50", "K+=50,Cl-=50", -4.3),
        ("Na+=100,Cl-=100", "Mg2+=100,Cl-=200", 10.0),
    ],
)
def test_published_junctions_within_half_a_millivolt(capsys, method, pipette, bath, published):
    out = ljp_json(
        capsys, "--pipette", pipette, "--bath", bath, "--celsius", "25", "--method", method
    )
    assert out["ljp_mV"] == pytest.approx(published, abs=0.5)
    assert out["method"] == method and out["T_K"] == pytest.approx(298.15)


def _henderson_terms(pipette: dict, bath: dict, T: float) -> dict:
    """Generalized Henderson equation (Barry & Lynch 1991) term by term, plain Python, with
    JPCalc's mobilities relative to K+ (Barry 1994): K+ 1, Na+ 0.682, Cl- 1.0388,
    gluconate- 0.33."""
    u = {"K+": 1.0, "Na+": 0.682, "Cl-": 1.0388, "Gluconate-": 0.33}
    z = {"K+": 1, "Na+": 1, "Cl-": -1, "Gluconate-": -1}
    dc = {i: bath.get(i, 0.0) - pipette.get(i, 0.0) for i in u}
    A = sum(z[i] ** 2 * u[i] * pipette.get(i, 0.0) for i in u)
    B = sum(z[i] ** 2 * u[i] * bath.get(i, 0.0) for i in u)
    kT = 8.314462618 * T / 96485.33212 * 1e3  # RT/F, mV
    scale = kT * math.log(A / B) / sum(z[i] ** 2 * u[i] * dc[i] for i in u)
    return {i: z[i] * u[i] * dc[i] * scale for i in u}


def test_contributions_are_the_henderson_terms(capsys):
    out = ljp_json(capsys, "--pipette", KGLUC, "--bath", ACSF, "--celsius", "22")
    pipette = {"K+": 130.0, "Gluconate-": 110.0, "Cl-": 20.0}
    bath = {"Na+": 145.0, "K+": 5.0, "Cl-": 150.0}
    want = _henderson_terms(pipette, bath, 295.15)
    got = {e["ion"]: e["henderson_term_mV"] for e in out["results"]}
    assert set(got) == set(want) - set()  # every ion of either side
    for ion, term in want.items():
        assert got[ion] == pytest.approx(term, abs=0.03), ion
    assert sum(got.values()) == pytest.approx(out["henderson_ljp_mV"], abs=1e-9)
    # K-gluconate against ACSF: +14 to +16 mV (bath positive: gluconate is slow)
    assert 13.0 < out["ljp_mV"] < 16.5
    assert abs(out["ljp_mV"] - out["henderson_ljp_mV"]) < 1.0
    assert out["correction"] == "V_membrane = V_recorded - ljp_mV"


def test_console_script_prints_ljp_correction_and_each_ion():
    cmd = [*_script(), "calc", "ljp", "--pipette", KGLUC, "--bath", ACSF, "--celsius", "25"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Liquid junction potential (Nernst-Planck), T = 298.15 K")
    assert lines[1].startswith("  LJP = +") and "bath relative to the pipette" in lines[1]
    assert "V_membrane = V_recorded - LJP" in lines[2]
    V = float(lines[1].split()[2])
    assert f"membrane {-60 - V:+.2f} mV" in lines[2]
    for ion in ("K+", "Gluconate-", "Cl-", "Na+"):
        assert any(line.lstrip().startswith(ion) and "term =" in line for line in lines), ion


def _no_mobility_ion() -> str | None:
    from ionsweep import ions
    from ionsweep.activity import relative_mobility

    for name in ions:
        try:
            relative_mobility(name)
        except (KeyError, ValueError):
            return name
    return None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--pipette", "K+=130,Cl-=20", "--bath", ACSF], "--pipette: the pipette solution is "
         "not electroneutral (sum z*c = +110 mM)"),
        (["--pipette", KGLUC, "--bath", "Na+=145,Cl-=140"], "--bath: the bath solution is not "
         "electroneutral (sum z*c = +5 mM)"),
        (["--pipette", "Xq+=1,Cl-=1", "--bath", ACSF], "--pipette: unknown ion 'Xq+'"),
        (["--pipette", KGLUC, "--bath", "Na+=-5,Cl-=-5"], "--bath: concentration of Na+ is -5 "
         "mM; it must be >= 0"),
        (["--pipette", "K+=1,K=2,Cl-=3", "--bath", ACSF], "--pipette: K+ is listed twice"),
        (["--pipette", KGLUC, "--bath", ACSF, "--activity", "nope"], "--activity: unknown"),
        (["--pipette", KGLUC, "--bath", ACSF, "--method", "goldman"], "--method"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(capsys, args, expected):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1, err


def test_ion_without_mobility_exits_2_naming_it(capsys):
    ion = _no_mobility_ion()
    if ion is None:
        pytest.skip("every ion of the table has a mobility")
    from ionsweep import ions

    z = ions.valence(ion)
    counter = "Cl-" if z > 0 else "Na+"
    code, out, err = run(capsys, "--pipette", f"{ion}=1,{counter}={abs(z)}", "--bath", ACSF)
    assert code == 2 and f"no mobility is tabulated for {ion}" in err
