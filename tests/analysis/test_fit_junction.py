"""Permeability fits corrected for the liquid junction potential (``junction=``).

Synthetic bi-ionic data: a K-gluconate pipette against baths of NaCl, LiCl, CsCl and two
mixtures, so the liquid junction potential (LJP) changes from bath to bath (by ~11 mV).
The recorded potentials are V_rev(true ratios) + LJP + noise (0.2 mV). Each ratio is set
by its own bath, so the uncorrected fit matches the data about as well as the corrected
one while its ratios are off by exp(F·LJP/RT); the corrected fit recovers the true ratios.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ionsweep
from ionsweep.analysis import FitInputError
from ionsweep.cli import main

T = 295.15
PIPETTE = {"K+": 140.0, "Gluconate-": 120.0, "Cl-": 20.0}
SPECIES = ("K+", "Na+", "Li+", "Cs+", "Cl-", "Gluconate-")
#: Baths (mM of SPECIES): 140 NaCl, LiCl, CsCl, and 70 + 70 mixtures.
BATHS = np.array(
    [
        [0.0, 140.0, 0.0, 0.0, 140.0, 0.0],
        [0.0, 0.0, 140.0, 0.0, 140.0, 0.0],
        [0.0, 0.0, 0.0, 140.0, 140.0, 0.0],
        [0.0, 70.0, 70.0, 0.0, 140.0, 0.0],
        [0.0, 70.0, 0.0, 70.0, 140.0, 0.0],
    ]
)
TRUE = {"Na+": 0.05, "Li+": 0.02, "Cs+": 0.2}
IONS = ("K+", "Na+", "Li+", "Cs+")
BACKGROUND = ("Cl-", "Gluconate-")


def _table(noise: float, seed: int, replicates: int = 3) -> dict[str, np.ndarray]:
    baths = np.repeat(BATHS, replicates, axis=0)
    n = len(baths)
    table = {f"{ion}_in": np.full(n, PIPETTE.get(ion, 0.0)) for ion in SPECIES}
    table.update({f"{ion}_out": baths[:, j] for j, ion in enumerate(SPECIES)})
    P = np.array([1.0, *TRUE.values()])
    c_in = np.stack([table[f"{i}_in"] for i in IONS], -1)
    c_out = np.stack([table[f"{i}_out"] for i in IONS], -1)
    V_m = np.asarray(ionsweep.ghk_voltage(P, c_in, c_out, [1, 1, 1, 1], T))
    rng = np.random.default_rng(seed)
    table["V_rev"] = V_m + _ljp(table) + rng.normal(0.0, noise, n)
    return table


def _ljp(table) -> np.ndarray:
    pip = {i: table[f"{i}_in"] for i in SPECIES}
    bath = {i: table[f"{i}_out"] for i in SPECIES}
    return np.asarray(ionsweep.liquid_junction_potential(pip, bath, T))


def _fit(table, **kw):
    return ionsweep.fit_permeability_ratios(
        table, IONS, "K+", T=T, background_ions=BACKGROUND, **kw
    )


@pytest.fixture(scope="module")
def noisy():
    return _table(noise=0.2, seed=3)


def test_uncorrected_fit_is_biased_and_corrected_fit_recovers_the_ratios(noisy):
    plain = _fit(noisy)
    corrected = _fit(noisy, junction=True)
    assert plain.ljp is None and corrected.ljp.shape == (len(noisy["V_rev"]),)
    # the LJP changes from bath to bath by several mV: no offset would do
    assert np.ptp(corrected.ljp) > 5.0
    for ion, true in TRUE.items():
        bias = abs(plain.ratios[ion] - true)
        assert bias > 10 * plain.stderr[ion], (ion, plain.ratios[ion], plain.stderr[ion])
        err = abs(corrected.ratios[ion] - true)
        assert err < 2.5 * corrected.stderr[ion], (ion, corrected.ratios[ion], corrected.stderr)
    # the corrected fit's residuals are the noise (0.2 mV)
    assert corrected.sigma < 0.4
    np.testing.assert_allclose(corrected.measured, noisy["V_rev"])
    np.testing.assert_allclose(corrected.residuals, corrected.measured - corrected.fitted)


def test_noise_free_data_are_fitted_exactly():
    table = _table(noise=0.0, seed=0, replicates=1)
    fit = _fit(table, junction=True)
    for ion, true in TRUE.items():
        assert fit.ratios[ion] == pytest.approx(true, rel=1e-6)
    np.testing.assert_allclose(fit.ljp, _ljp(table), rtol=0, atol=1e-9)


def _henderson(pip: dict, bath: dict, T: float) -> float:
    """Generalized Henderson equation (Barry & Lynch 1991), one junction, plain Python;
    the bath relative to the pipette. Mobilities relative to K⁺ from JPCalc's table
    (Barry 1994): only their ratios matter."""
    u = {"K+": 1.0, "Na+": 0.682, "Li+": 0.525, "Cs+": 1.050, "Cl-": 1.0388, "Gluconate-": 0.33}
    z = {"K+": 1, "Na+": 1, "Li+": 1, "Cs+": 1, "Cl-": -1, "Gluconate-": -1}
    num = sum(z[i] * u[i] * (bath.get(i, 0) - pip.get(i, 0)) for i in u)
    den = sum(z[i] ** 2 * u[i] * (bath.get(i, 0) - pip.get(i, 0)) for i in u)
    A = sum(z[i] ** 2 * u[i] * pip.get(i, 0) for i in u)
    B = sum(z[i] ** 2 * u[i] * bath.get(i, 0) for i in u)
    kT = 8.314462618 * T / 96485.33212 * 1e3
    return kT * num / den * math.log(A / B)


def test_fixed_pipette_gives_each_rows_henderson_junction(noisy):
    table = {k: v for k, v in noisy.items() if not k.endswith("_in")}
    fit = _fit(table, junction=PIPETTE, junction_method="henderson")
    for i in range(0, len(table["V_rev"]), 3):
        bath = {ion: float(table[f"{ion}_out"][i]) for ion in SPECIES}
        want = _henderson(PIPETTE, bath, T)
        assert fit.ljp[i] == pytest.approx(want, abs=0.05)
    same = _fit(noisy, junction=True, junction_method="henderson")
    np.testing.assert_allclose(fit.ljp, same.ljp, rtol=0, atol=1e-9)
    assert fit.junction_method == "henderson"


def test_json_and_summary_report_the_ljp_per_row(noisy):
    fit = _fit(noisy, junction=True)
    d = fit.to_dict()
    assert d["junction_method"] == "nernst-planck"
    np.testing.assert_allclose(d["measurements"]["ljp"], fit.ljp)
    assert "V_membrane = V_recorded - ljp" in d["units"]["ljp"]
    text = fit.summary()
    assert "V_membrane = V_recorded - LJP" in text
    assert f"{fit.ljp[0]:+.2f}" in text and f"{fit.ljp[-1]:+.2f}" in text
    assert _fit(noisy).to_dict()["measurements"]["ljp"] is None


@pytest.mark.parametrize(
    ("junction", "change", "message"),
    [
        ({"K+": 140.0, "Cl-": 20.0}, None, "pipette solution is not electroneutral"),
        ({"Xx+": 1.0}, None, "pipette"),
        ({"K+": -1.0, "Cl-": -1.0}, None, ">= 0"),
        ("K+", None, "mapping"),
        (True, ("Cl-_out", 100.0), "bath solution is not electroneutral at row 0"),
        (PIPETTE, ("K+_in", 100.0), "pipette (inside) solution has 140"),
    ],
)
def test_bad_junction_input_names_the_field(noisy, junction, change, message):
    table = dict(noisy)
    if isinstance(junction, dict) and change is None:  # the pipette is the inside
        table = {k: v for k, v in noisy.items() if not k.endswith("_in")}
    if change is not None:
        col, value = change
        table[col] = table[col].copy()
        table[col][:] = value
    with pytest.raises(FitInputError) as info:
        _fit(table, junction=junction)
    assert message in str(info.value)
    assert info.value.field in ("junction", "K+_in")


def test_unknown_junction_method_is_refused(noisy):
    with pytest.raises(FitInputError, match="junction method"):
        _fit(noisy, junction=True, junction_method="goldman")


def test_cli_fit_junction_reports_each_rows_ljp(tmp_path, noisy, capsys):
    path = tmp_path / "biionic.csv"
    cols = [k for k in noisy if not k.endswith("_in")]
    rows = np.stack([noisy[c] for c in cols], -1)
    path.write_text(
        ",".join(cols) + "\n" + "\n".join(",".join(f"{v:.10g}" for v in r) for r in rows)
    )
    pipette = "K+=140,gluconate-=120,Cl-=20"
    args = ["fit", str(path), "--ions", "K+,Na+,Li+,Cs+", "--background-ions", "Cl-,gluconate-"]
    args += ["--kelvin", str(T), "--junction", "--pipette-ions", pipette, "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["measurements"]["ljp"], _ljp(noisy), atol=1e-6)
    assert out["cells"][0]["ratios"]["Na+"] == pytest.approx(TRUE["Na+"], rel=0.1)
    assert main(args[:-1]) == 0
    assert "liquid junction potential (nernst-planck" in capsys.readouterr().out
    # a pipette composition without --junction, and a non-neutral pipette: exit 2
    bad = args[:-4] + ["--pipette-ions", pipette]
    assert main(bad) == 2
    assert "--pipette-ions" in capsys.readouterr().err
    assert main(args[:-3] + ["--pipette-ions", "K+=140,Cl-=20", "--json"]) == 2
    assert "not electroneutral" in capsys.readouterr().err
