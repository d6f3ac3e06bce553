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
from ionsweep.cli import _jax
from ionsweep.cli import main
events = collections.Counter()
enable = _jax.enable_compilation_cache
def listen(jax):  # called once JAX is imported, before anything is compiled
    from jax import monitoring
    monitoring.register_event_listener(lambda name, **kw: events.update([name]))
    monitoring.register_event_duration_secs_listener(lambda name, d, **kw: events.update([name]))
    return enable(jax)
_jax.enable_compilation_cache = listen
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
    from ionsweep.cli import _jax

    class Config:  # records what would be set on jax.config
        def __init__(self):
            self.values = {}

        def update(self, name, value):
            self.values[name] = value

    fake = type("FakeJax", (), {"config": Config()})()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("IONSWEEP_JAX_CACHE", "0")
    assert not _jax.enable_compilation_cache(fake) and fake.config.values == {}
    monkeypatch.delenv("IONSWEEP_JAX_CACHE")
    assert _jax.enable_compilation_cache(fake)
    assert fake.config.values["jax_compilation_cache_dir"] == str(tmp_path / "ionsweep" / "jax")
    assert fake.config.values["jax_persistent_cache_min_compile_time_secs"] == 0


# --- calc nernst --activity, ghk-current, --molal ------------------------------------------


def test_nernst_with_an_activity_model(capsys):
    import jax

    import ionsweep

    jax.config.update("jax_enable_x64", True)
    args = "nernst --ion K+ --inside 140 --outside 5 --activity davies"
    got = calc_json(capsys, f"{args} --inside-ions Na+=12,Cl-=152 --outside-ions Na+=145,Cl-=150")
    inside, outside = (
        {"K+": 140.0, "Na+": 12.0, "Cl-": 152.0},
        {"K+": 5.0, "Na+": 145.0, "Cl-": 150.0},
    )
    expected = float(ionsweep.nernst_activity("K+", inside, outside, T37, "davies"))
    (k,) = got["results"]
    assert k["E_mV"] == pytest.approx(expected, abs=1e-9)
    # Independent Davies (c = 0.3) with A(37 °C) from ionsweep's water model, molality c/rho_w:
    A = float(ionsweep.activity.debye_huckel_A(T37))
    rho = float(ionsweep.activity.molality_to_mM(1.0, T37))  # mM per mol/kg

    def gamma(comp):
        I = 0.5 * sum(c / rho for c in comp.values())
        return 10 ** (-A * (math.sqrt(I) / (1 + math.sqrt(I)) - 0.3 * I))

    assert k["gamma_in"] == pytest.approx(gamma(inside), rel=1e-9)
    assert k["gamma_out"] == pytest.approx(gamma(outside), rel=1e-9)
    E = 1e3 * R * T37 / F * math.log(gamma(outside) * 5 / (gamma(inside) * 140))
    assert k["E_mV"] == pytest.approx(E, abs=1e-9)


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        ("--activity davies", "--inside-ions"),  # one side's composition is not neutral
        ("--activity nosuch --inside-ions Cl-=140 --outside-ions Cl-=5", "--activity"),
        ("--inside-ions Cl-=140", "--inside-ions"),  # composition without --activity
        ("--activity davies --gamma-in 0.7 --inside-ions Cl-=140", "--gamma-in"),
        ("--activity davies --inside-ions K+=150,Cl-=150 --outside-ions Cl-=5", "--inside-ions"),
    ],
)
def test_nernst_activity_errors(capsys, extra, flag):
    code, _, err = run(capsys, f"calc nernst --ion K+ --inside 140 --outside 5 {extra}")
    assert code == 2 and len(err.splitlines()) == 1 and f"error: {flag}:" in err


def test_ghk_current_at_a_given_potential(capsys):
    args = "ghk-current --vm -60 --ion K+,Na+,Ca2+ --inside 140,12,0.0001 --outside 5,145,2"
    got = calc_json(capsys, f"{args} --perm 1e-6,4e-8,1e-7")
    total = 0.0
    for entry, P in zip(got["results"], (1e-6, 4e-8, 1e-7), strict=True):
        z, ci, co = entry["z"], entry["c_in_mM"], entry["c_out_mM"]
        u = z * F * -60e-3 / (R * T37)
        # GHK current density: P z F u (c_in - c_out e^-u) / (1 - e^-u); mM cm/s C/mol -> mA/cm2
        ref = P * z * F * u * (ci - co * math.exp(-u)) / (1 - math.exp(-u)) * 1e-3
        assert entry["I_mA_per_cm2"] == pytest.approx(ref, rel=1e-12)
        assert entry["current"] == ("outward" if ref > 0 else "inward")
        total += ref
    assert got["total_I_mA_per_cm2"] == pytest.approx(total, rel=1e-12)


def test_molal_input(capsys):
    import ionsweep

    mM = calc_json(capsys, "nernst --ion K+ --inside 140 --outside 5")
    molal = calc_json(capsys, "nernst --ion K+ --inside 0.14 --outside 0.005 --molal")
    rho = float(ionsweep.activity.molality_to_mM(1.0, T37))  # mM per mol/kg at 37 °C
    assert molal["results"][0]["c_in_mM"] == pytest.approx(0.14 * rho, rel=1e-12)
    assert molal["input_units"].startswith("mol/kg")
    assert molal["results"][0]["E_mV"] == pytest.approx(mM["results"][0]["E_mV"], abs=1e-9)


def test_per_command_help_lists_only_its_options(capsys):
    texts = {}
    for quantity in ("nernst", "pump-leak", "ghk-current", "driving-force"):
        assert main(["calc", quantity, "--help"]) == 0
        texts[quantity] = capsys.readouterr().out
    assert "permeabilit" not in texts["nernst"]  # nernst has no permeabilities
    assert "--ion" not in texts["pump-leak"] and "--molal" not in texts["pump-leak"]
    assert "--molal" in texts["nernst"] and "--activity" in texts["nernst"]
    assert "mA/cm2" in texts["ghk-current"] and "--vm" in texts["ghk-current"]
    for text in texts.values():
        assert "float64" in text and "float32" in text  # calc vs the Python API, stated


# --- fit: the shipped example, a misfit warning, the correlation header -------------------


def test_fit_example_misfit_and_correlation_header(capsys):
    from ionsweep.data import example_fit_path

    code, out, err = run(capsys, "fit --example")
    assert code == 0 and str(example_fit_path()) in err
    assert "correlation of the estimates (log ratios):" in out  # no offset was fitted
    assert "warning" not in err
    # Two ions fitted to three-ion data: reduced chi2 ~ 383, no longer silently "converged".
    code, out, err = run(capsys, "fit --example --ions K+,Na+")
    assert code == 0 and "reduced 383" in out
    assert "warning: the model does not fit the data: reduced chi2 = 383" in err


def test_lazy_package_keeps_every_public_name():
    import ionsweep

    for name in ionsweep.__all__:
        assert getattr(ionsweep, name) is not None, name
    assert callable(ionsweep.view)  # the function, not the subpackage of the same name
    assert ionsweep.physics.nernst is ionsweep.nernst  # subpackages as attributes
    assert set(ionsweep.__all__) <= set(dir(ionsweep))
    with pytest.raises(AttributeError, match="nope"):
        ionsweep.nope  # noqa: B018


def test_kelvin_below_200_warns(capsys):
    import ionsweep

    with pytest.warns(ionsweep.TemperatureUnitWarning, match="--celsius 37"):
        got = calc_json(capsys, "nernst --ion K+ --inside 140 --outside 5 --kelvin 37")
    assert got["T_K"] == 37.0  # still computed as asked


# --- the impossible refused, the out-of-range warned about ---------------------------------

NERNST_K = "calc nernst --ion K+ --inside 140 --outside 5"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        # Before: a 301-digit temperature and potential, exit 0.
        (f"{NERNST_K} --kelvin 1e300", "--kelvin"),
        (f"{NERNST_K} --celsius 1e300", "--celsius"),
        (f"{NERNST_K} --kelvin 1001", "--kelvin"),
        (f"{NERNST_K} --kelvin 1e-30", "--kelvin"),
        (f"{NERNST_K} --celsius -273.1", "--celsius"),  # 0.05 K
        (
            "calc ghk --ion K+,Na+ --inside 140,12 --outside 5,145 --perm 1,0.05 --kelvin 5000",
            "--kelvin",
        ),
        ("calc donnan --ion K+,Cl- --bath 150,150 --fixed-charge -50 --celsius 1000", "--celsius"),
        # Before: "--inside: concentration of K+ is -1.06449e+06 mM" (water's density < 0).
        ("calc nernst --ion K+ --inside 0.14 --outside 0.005 --molal --kelvin 5000", "--kelvin"),
        ("calc nernst --ion K+ --inside 0.14 --outside 0.005 --molal --kelvin 800", "--molal"),
    ],
)
def test_impossible_temperatures_are_refused_naming_the_field(capsys, args, flag):
    code, out, err = run(capsys, args)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert f"error: {flag}:" in err and "concentration" not in err


def test_molal_outside_the_density_range_warns_and_still_converts(capsys):
    # Kell (1975) states the density of water for 0-150 °C: 600 K is an extrapolation.
    code, out, err = run(
        capsys, "calc nernst --ion K+ --inside 0.14 --outside 0.005 --molal --kelvin 600 --json"
    )
    assert code == 0 and err.count("\n") == 1
    assert "warning: --molal:" in err and "0-150 °C" in err
    assert json.loads(out)["T_K"] == 600.0


ACT = "calc nernst --ion K+ --inside 140 --outside 5 --outside-ions Na+=145,Cl-=150 --activity"


@pytest.mark.parametrize(
    ("model", "inside", "temperature", "outside_what"),
    [
        # Davies at I = 3 mol/kg: gamma = 1.37, beyond its I < 0.5 (Stumm & Morgan 1996).
        ("davies", "Na+=3000,Cl-=3140", "--celsius 25", ["I inside"]),
        # The limiting law at physiological strength (I ~ 0.16 > 10^-2.3) on both sides.
        ("debye_huckel", "Na+=12,Cl-=152", "--celsius 37", ["I inside", "I outside"]),
        # The limiting law at 1000 mol/kg: E = +689 mV before, without a word.
        ("debye_huckel", "Na+=1000000,Cl-=1000140", "--celsius 25", ["I inside", "I outside"]),
        # Water at 1 atm boils at 100 °C: every water-based model's range ends there.
        ("davies", "Na+=12,Cl-=152", "--celsius 120", ["T = 393.15 K"]),
        # HMW84's parameters are stated at 25 °C only.
        ("pitzer:hmw84", "Na+=12,Cl-=152", "--celsius 37", ["T = 310.15 K"]),
        # Pitzer with pitzer.dat: ionsweep follows PHREEQC only to 100 °C (water at 1 atm).
        ("pitzer", "Na+=12,Cl-=152", "--celsius 150", ["T = 423.15 K"]),
    ],
)
def test_activity_model_outside_its_range_warns_in_one_line(
    capsys, model, inside, temperature, outside_what
):
    code, out, err = run(capsys, f"{ACT} {model} --inside-ions {inside} {temperature} --json")
    assert code == 0, err
    (line,) = err.splitlines()
    assert line.startswith("ionsweep calc nernst: warning: activity model") and repr(model) in line
    for what in outside_what:
        assert what in line
    assert "I outside" not in line or "I outside" in outside_what
    json.loads(out)  # the result is still printed


@pytest.mark.parametrize("model", ["davies", "truesdell_jones", "pitzer"])
def test_activity_model_inside_its_range_says_nothing(capsys, model):
    code, _, err = run(capsys, f"{ACT} {model} --inside-ions Na+=12,Cl-=152 --json")
    assert code == 0 and err == ""


def test_pitzer_flags_ten_molal_calcium_chloride(capsys):
    # 10 m CaCl2 (I = 30 mol/kg; gamma_+- = 272): beyond the salts' saturation, where HMW84's
    # and pitzer.dat's data end (I ~ 20). 6 m (I = 18) is inside.
    import ionsweep

    rho = float(ionsweep.activity.molality_to_mM(1.0, 298.15))  # mM per mol/kg
    base = "calc nernst --ion Ca2+ --inside 1 --celsius 25 --activity pitzer --json"
    for molal, warned in ((10.0, True), (6.0, False)):
        ca = molal * rho
        comp = f"--outside {ca} --inside-ions Cl-=2 --outside-ions Cl-={2 * ca}"
        code, _, err = run(capsys, f"{base} {comp}")
        assert code == 0, err
        assert ("I outside = " in err and "I <= 20 mol/kg" in err) is warned, err
