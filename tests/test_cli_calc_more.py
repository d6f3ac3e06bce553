"""``ionsweep calc`` additions: Donnan impermeant valence, activity models, GHK current at a
given V, molality input, per-command help; checked against independent calculations."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

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


# --- a fast calculator: no JAX for help, no xarray/zarr for calc, one cached program ------

PROBE = """
import collections, json, sys
import ionsweep.cli._common as cm
from ionsweep.cli import main
events = collections.Counter()
enable = cm.enable_compilation_cache
def listen(jax):  # called once JAX is imported, before anything is compiled
    from jax import monitoring
    monitoring.register_event_listener(lambda name, **kw: events.update([name]))
    monitoring.register_event_duration_secs_listener(lambda name, d, **kw: events.update([name]))
    return enable(jax)
cm.enable_compilation_cache = listen
code = main(sys.argv[1:])
heavy = [m for m in ("jax", "xarray", "zarr", "matplotlib", "pandas") if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy, "events": events}), file=sys.stderr)
"""


def probe(args: list[str], tmp_path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "IONSWEEP_JAX_CACHE"}
    environ.update(XDG_CACHE_HOME=str(tmp_path), **env)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=environ, capture_output=True, text=True
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_help_imports_no_jax(tmp_path):
    for args in (["--help"], ["calc", "--help"], ["calc", "nernst", "--help"], ["fit", "--help"]):
        result = probe(args, tmp_path)
        assert result["code"] == 0 and result["heavy"] == [], args


def test_calc_compiles_one_program_and_reuses_it_from_disk(tmp_path):
    args = ["calc", "ghk", "--ion", "K+,Na+", "--inside", "140,12", "--outside", "5,145"]
    args += ["--perm", "1,0.05"]
    first = probe(args, tmp_path)
    assert first["code"] == 0
    assert first["heavy"] == ["jax"]  # neither xarray nor zarr
    events = first["events"]
    assert events["/jax/core/compile/jaxpr_trace_duration"] == 1  # one program per command
    assert events["/jax/compilation_cache/cache_misses"] == 1
    assert any((tmp_path / "ionsweep" / "jax").iterdir())  # written to the user's cache dir
    second = probe(args, tmp_path)["events"]
    assert second["/jax/compilation_cache/cache_hits"] == 1
    assert second.get("/jax/compilation_cache/cache_misses", 0) == 0


def test_compilation_cache_opt_out(tmp_path, monkeypatch):
    from ionsweep.cli import _common

    class Config:  # records what would be set on jax.config
        def __init__(self):
            self.values = {}

        def update(self, name, value):
            self.values[name] = value

    fake = type("FakeJax", (), {"config": Config()})()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("IONSWEEP_JAX_CACHE", "0")
    assert not _common.enable_compilation_cache(fake) and fake.config.values == {}
    monkeypatch.delenv("IONSWEEP_JAX_CACHE")
    assert _common.enable_compilation_cache(fake)
    assert fake.config.values["jax_compilation_cache_dir"] == str(tmp_path / "ionsweep" / "jax")
    assert fake.config.values["jax_persistent_cache_min_compile_time_secs"] == 0
