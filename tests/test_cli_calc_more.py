"""``ionsweep calc`` additions: Donnan impermeant valence, activity models, GHK current at a
given V, molality input, per-command help; checked against independent calculations."""

from __future__ import annotations

import json
import math

import pytest
from scipy.optimize import brentq

from ionsweep.cli import main

# CODATA 2018, exact since the 2019 SI: R = N_A k, F = N_A e.
R, F = 6.02214076e23 * 1.380649e-23, 6.02214076e23 * 1.602176634e-19
T37 = 310.15


def run(capsys, args: str) -> tuple[int, str, str]:
    code = main(args.split())
    out, err = capsys.readouterr()
    return code, out, err


def calc_json(capsys, args: str) -> dict:
    code, out, err = run(capsys, f"calc {args} --json")
    assert code == 0, err
    return json.loads(out)


def donnan_ref(c_bath, z, rho, T=T37):
    """Independent Donnan solve: sum z c exp(-z u) + rho = 0; returns c_in, mM."""
    f = lambda u: sum(zi * c * math.exp(-zi * u) for zi, c in zip(z, c_bath, strict=True)) + rho  # noqa: E731
    u = brentq(f, -40, 40, xtol=1e-15)
    return [c * math.exp(-zi * u) for zi, c in zip(z, c_bath, strict=True)]


# --- Donnan: the impermeant species from its valence ------------------------------------


def test_donnan_impermeant_from_its_valence(capsys):
    base = "donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50"
    derived = calc_json(capsys, f"{base} --z-impermeant -1")
    given = calc_json(capsys, f"{base} --impermeant 50")
    c_in = donnan_ref([150, 150], [1, -1], -50)
    expected = sum(c_in) - 300 + 50  # 50 mM of a monovalent protein
    assert derived["osmotic_imbalance_mOsm_per_L"] == pytest.approx(expected, rel=1e-12)
    assert given["osmotic_imbalance_mOsm_per_L"] == derived["osmotic_imbalance_mOsm_per_L"]
    assert derived["impermeant_mM"] == 50 and derived["impermeant_source"] == "fixed charge / (-1)"
    divalent = calc_json(capsys, f"{base} --z-impermeant -2")
    assert divalent["osmotic_imbalance_mOsm_per_L"] == pytest.approx(expected - 25, rel=1e-12)
    zero = calc_json(
        capsys, "donnan --ion K+,Cl- --bath 150,150 --fixed-charge 0 --z-impermeant -2"
    )
    assert zero["osmotic_imbalance_mOsm_per_L"] == pytest.approx(0.0, abs=1e-12)


def test_donnan_impermeant_errors(capsys):
    base = "calc donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50"
    code, _, err = run(capsys, f"{base} --z-impermeant 1")
    assert code == 2 and "--z-impermeant" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, f"{base} --z-impermeant -1 --impermeant 50")
    assert code == 2 and "not allowed" in err
    code, out, _ = run(capsys, base)
    assert code == 0 and "--z-impermeant" in out  # says how to get the osmotic imbalance
