"""Tests of the Pitzer model against published tables, independent codes and its own invariants."""

import copy
import csv
import itertools
import math
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from ionsweep.activity._pitzer import (
    PitzerTemperatureWarning,
    log_gamma_and_osmotic_pitzer,
    log_gamma_pitzer,
    osmotic_coefficient_pitzer,
)
from ionsweep.activity._pitzer_params import HMW84, MP98_CHLORIDES, aphi_moller1988
from ionsweep.activity._water import debye_huckel_Aphi

SALTS = {  # salt: (cation, ν₊, ν₋) with Cl⁻ as the anion
    "NaCl": ("Na+", 1, 1),
    "KCl": ("K+", 1, 1),
    "CaCl2": ("Ca2+", 1, 2),
    "MgCl2": ("Mg2+", 1, 2),
}
PYTZER_NAMES = {"Na+": "Na", "K+": "K", "Ca2+": "Ca", "Mg2+": "Mg", "Cl-": "Cl"}


def _table():
    path = Path(__file__).parent / "data" / "robinson_stokes_1959_25C.csv"
    with path.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def mean_ln_gamma(lg, nu_c, nu_a):
    """ln γ± = (ν₊ ln γ₊ + ν₋ ln γ₋)/ν."""
    return (nu_c * lg[..., 0] + nu_a * lg[..., 1]) / (nu_c + nu_a)


# The library leaves jit to its callers (STYLE.md); the tests jit once per ion set and shape.
lg_phi = jax.jit(log_gamma_and_osmotic_pitzer, static_argnames=("names", "parameters"))
N_PAD = 16  # single-salt calls are padded to one shape so each salt compiles once


def salt_gamma(salt, m, T=298.15, parameters=None):
    """γ± and φ of a single salt at molalities ``m`` (≤ N_PAD values) of the salt."""
    cation, nu_c, nu_a = SALTS[salt]
    m = np.atleast_1d(np.asarray(m, float))
    padded = jnp.asarray(np.pad(m, (0, N_PAD - len(m)), constant_values=0.1))
    mol = jnp.stack([nu_c * padded, nu_a * padded], axis=-1)
    lg, phi = lg_phi(names=(cation, "Cl-"), molality=mol, T=jnp.full(N_PAD, T),
                     parameters=parameters)  # fmt: skip
    return np.exp(mean_ln_gamma(lg, nu_c, nu_a))[: len(m)], np.asarray(phi)[: len(m)]


# Largest relative deviation from Robinson & Stokes (1959) allowed, %: the requirement, for every
# salt and both sets. HMW84's MgCl2 parameters (those of Pitzer & Mayorga 1973) miss it by 0.56 %
# at 0.5 mol/kg with the A_φ = 0.392 HMW84 prescribe (0.36 % with Møller's 0.3915, as in the
# default set); that case is recorded as a strict xfail rather than given a wider tolerance.
RS_TOLERANCE = 0.5
_HMW84_MGCL2 = pytest.mark.xfail(strict=True, reason="HMW84 MgCl2 with A_φ = 0.392: 0.56 %")
RS_CASES = [
    pytest.param(salt, params, id=f"{salt}-{params.name}",
                 marks=[_HMW84_MGCL2] if (params is HMW84 and salt == "MgCl2") else [])
    for params in (MP98_CHLORIDES, HMW84)
    for salt in SALTS
]  # fmt: skip


@pytest.mark.parametrize(("salt", "params"), RS_CASES)
def test_mean_activity_vs_robinson_stokes(salt, params):
    rows = [r for r in _table() if r["salt"] == salt]
    m = np.array([float(r["molality"]) for r in rows])
    ref = np.array([float(r["gamma_pm"]) for r in rows])
    gamma, _ = salt_gamma(salt, m, parameters=params)
    dev = 100 * np.abs(np.asarray(gamma) / ref - 1)
    assert dev.max() < RS_TOLERANCE, dict(zip(m, dev.round(2), strict=True))


def test_osmotic_nacl_vs_robinson_stokes():
    rows = [r for r in _table() if r["salt"] == "NaCl" and r["phi"]]
    m = np.array([float(r["molality"]) for r in rows])
    _, phi = salt_gamma("NaCl", m)
    np.testing.assert_allclose(phi, [float(r["phi"]) for r in rows], rtol=0.005)


def test_parameter_set_aphi():
    # Møller's (1988) A_φ tracks the Bradley–Pitzer value of _water.py to 1e-4 over 0–60 °C;
    # HMW84 prescribe 0.392 at 25 °C.
    T = jnp.linspace(273.15, 333.15, 13)
    ours, water = jax.jit(lambda T: (aphi_moller1988(T), debye_huckel_Aphi(T)))(T)
    np.testing.assert_allclose(ours, water, atol=1e-4)
    assert float(jax.jit(HMW84.aphi)(298.15)) == pytest.approx(0.392, abs=1e-12)
    assert MP98_CHLORIDES.validity(("Na+", "K+", "Cl-")) == (273.15, 523.15)
    assert MP98_CHLORIDES.validity(("Na+", "K+", "Ca2+", "Cl-")) == (273.15, 333.15)


# --- independent implementations --------------------------------------------------------------
def _pytzer_bC_Mg_Cl(T, P):
    """Mg–Cl of Pitzer & Mayorga (1973) + Silvester & Pitzer (1978) from pytzer's functions.

    pytzer 0.6.0's ``bC_Mg_Cl_SP78`` converts ∂C^φ/∂T with ``/ 2 * sqrt(|z_M z_X|)``, doubling
    ∂C/∂T of a 2–1 salt; C = C^φ / (2√2) is used here, as Pitzer (1991) Table 13 has it.
    """
    import pytzer

    p = pytzer.parameters
    b0, b1, b2, _, C1, alpha1, alpha2, omega, valid = p.bC_Mg_Cl_SP78(T, P)
    C0 = p.bC_Mg_Cl_PM73(T, P)[3] + (T - 298.15) * (-3.11e-4 * 3 / 2**2.5) / (2 * math.sqrt(2))
    return b0, b1, b2, C0, C1, alpha1, alpha2, omega, valid


@pytest.fixture(scope="module")
def pytzer():
    pz = pytest.importorskip("pytzer")
    from pytzer.libraries import libraries_all

    # pytzer run with the parameter functions of the default set: its CWTD23 library (M88 NaCl,
    # GM89 KCl, M88 A_φ, the same θ and ψ) with Ca–Cl and Mg–Cl replaced by PM73 + SP78.
    base = libraries_all["CWTD23"]
    library = copy.copy(base)
    library.ca = {c: dict(a) for c, a in base.ca.items()}  # pytzer's own library stays as is
    library.update_ca("Ca", "Cl", pz.parameters.bC_Ca_Cl_SP78)
    library.update_ca("Mg", "Cl", _pytzer_bC_Mg_Cl)
    pz = pz.set_library(pz, library)

    def solve(molal, T):
        solutes = pz.get_solutes(**{PYTZER_NAMES[k]: v for k, v in molal.items()})
        lg = pz.log_activity_coefficients(solutes, T, 10.1325)
        phi = pz.osmotic_coefficient(solutes, T, 10.1325)
        return {k: float(lg[PYTZER_NAMES[k]]) for k in molal}, float(phi)

    return solve


@pytest.mark.parametrize("salt", list(SALTS))
def test_chlorides_vs_pytzer(pytzer, salt):
    cation, nu_c, nu_a = SALTS[salt]
    for T in (273.15, 298.15, 310.15, 323.15):
        m = np.array([0.001, 0.01, 0.1, 0.5, 1.0])
        gamma, phi = salt_gamma(salt, m, T)
        for k in range(len(m)):
            ref, phi_ref = pytzer({cation: nu_c * m[k], "Cl-": nu_a * m[k]}, T)
            ln_ref = (nu_c * ref[cation] + nu_a * ref["Cl-"]) / (nu_c + nu_a)
            # Same parameter functions, independent code: agreement far inside the 1 % asked.
            assert gamma[k] == pytest.approx(math.exp(ln_ref), rel=1e-4), (T, m[k])
            assert phi[k] == pytest.approx(phi_ref, rel=1e-4), (T, m[k])


MIXTURES = {  # mol/kg; Cl⁻ balances the charge
    "intracellular": {"Na+": 0.012, "K+": 0.140, "Mg2+": 0.0005, "Ca2+": 1e-7},
    "extracellular": {"Na+": 0.145, "K+": 0.005, "Mg2+": 0.001, "Ca2+": 0.002},
    "brine": {"Na+": 1.0, "K+": 0.3, "Mg2+": 0.4, "Ca2+": 0.3},
}


@pytest.mark.parametrize("T", [298.15, 310.15])
@pytest.mark.parametrize("kind", list(MIXTURES))
def test_mixture_salt_gammas_vs_pytzer(pytzer, kind, T):
    comp = dict(MIXTURES[kind])
    comp["Cl-"] = sum(m * (2 if "2" in ion else 1) for ion, m in comp.items())
    names = tuple(comp)
    lg, phi = lg_phi(names=names, molality=jnp.array(list(comp.values())), T=T)
    ref, phi_ref = pytzer(comp, T)
    for salt, (cation, nu_c, nu_a) in SALTS.items():
        i = names.index(cation)
        ours = (nu_c * lg[i] + nu_a * lg[-1]) / (nu_c + nu_a)
        theirs = (nu_c * ref[cation] + nu_a * ref["Cl-"]) / (nu_c + nu_a)
        # pytzer evaluates ᴱθ with Pitzer's (1975) J(x) approximation where we use Harvie's.
        assert math.exp(float(ours)) == pytest.approx(math.exp(theirs), rel=1e-3), salt
    assert float(phi) == pytest.approx(phi_ref, rel=1e-3)


@pytest.fixture(scope="module")
def phreeqc_gamma():
    phreeqpython = pytest.importorskip("phreeqpython")
    pp = phreeqpython.PhreeqPython(database="pitzer.dat")
    element = {"NaCl": ("Na", "Na+"), "KCl": ("K", "K+"), "CaCl2": ("Ca", "Ca+2"),
               "MgCl2": ("Mg", "Mg+2")}  # fmt: skip

    def gamma(salt, m, T):
        (el, species), (_, nu_c, nu_a) = element[salt], SALTS[salt]
        sol = pp.add_solution(
            {"units": "mol/kgw", "temp": T - 273.15, el: nu_c * m, "Cl": nu_a * m, "pH": 7}
        )
        gc = sol.species_activities[species] / sol.species_molalities[species]
        ga = sol.species_activities["Cl-"] / sol.species_molalities["Cl-"]
        sol.forget()
        return math.exp((nu_c * math.log(gc) + nu_a * math.log(ga)) / (nu_c + nu_a))

    return gamma


def test_chlorides_vs_phreeqc(phreeqc_gamma):
    # PHREEQC's pitzer.dat (Appelo 2015 refit) for NaCl and KCl. Its CaCl2 and MgCl2 fits follow
    # later isopiestic data, not the Robinson & Stokes tables the default set's PM73 values
    # reproduce: they differ by up to 1.4 % (0–60 °C, ≤ 1 mol/kg), so those two salts are
    # compared through their temperature dependence below.
    for T, salt in itertools.product((273.15, 310.15, 323.15), ("NaCl", "KCl")):
        ms = np.array([0.01, 0.1, 0.5, 1.0])
        gamma, _ = salt_gamma(salt, ms, T)
        for m, ours in zip(ms, gamma, strict=True):
            assert ours == pytest.approx(phreeqc_gamma(salt, m, T), rel=0.01), (T, salt, m)


@pytest.mark.parametrize("salt", ["CaCl2", "MgCl2"])
def test_temperature_dependence_vs_phreeqc(phreeqc_gamma, salt):
    # γ±(T)/γ±(25 °C) from SP78's first derivatives against pitzer.dat's own temperature fits
    # (independent of the 25 °C values). Measured: CaCl2 within 0.9 % over 0–60 °C; MgCl2
    # within 0.9 % except 0 °C above 0.5 mol/kg (1.6 % at 1 mol/kg).
    ms = np.array([0.01, 0.1, 0.5, 1.0])
    ours25, _ = salt_gamma(salt, ms)
    ref25 = np.array([phreeqc_gamma(salt, m, 298.15) for m in ms])
    for T in (273.15, 310.15, 333.15):
        ours, _ = salt_gamma(salt, ms, T)
        ref = np.array([phreeqc_gamma(salt, m, T) for m in ms])
        np.testing.assert_allclose(ours / ours25, ref / ref25, rtol=0.02, err_msg=str(T))


def test_parameters_vs_pytzer_functions():
    pz = pytest.importorskip("pytzer")
    p = pz.parameters
    funcs = {
        ("Na+", "Cl-"): p.bC_Na_Cl_M88,
        ("K+", "Cl-"): p.bC_K_Cl_GM89,
        ("Ca2+", "Cl-"): p.bC_Ca_Cl_SP78,
        ("Mg2+", "Cl-"): _pytzer_bC_Mg_Cl,
        ("H+", "Cl-"): p.bC_H_Cl_CMR93,
        ("Na+", "SO4 2-"): p.bC_Na_SO4_M88,
        ("K+", "SO4 2-"): p.bC_K_SO4_GM89,
    }
    from ionsweep.activity._pitzer_params import eval_m88

    T = jnp.array([273.15, 298.15, 310.15, 333.15])
    for (c, a), f in funcs.items():
        e = MP98_CHLORIDES.binary[c, a]
        b0, b1, b2, C0, *_ = f(T, 10.1325)
        ours = eval_m88(np.array([e.beta0, e.beta1, e.cphi]), T)
        zz = abs(int("2" in c) + 1) * abs(int("2" in a) + 1)
        np.testing.assert_allclose(ours[:, 0], b0 * np.ones(4), rtol=1e-9, err_msg=f"{c}{a}")
        np.testing.assert_allclose(ours[:, 1], b1 * np.ones(4), rtol=1e-9, err_msg=f"{c}{a}")
        np.testing.assert_allclose(ours[:, 2] / (2 * np.sqrt(zz)), C0 * np.ones(4), rtol=1e-9)
    # Second transcription of the MgCl2 derivatives: Pitzer (1991) ch. 3 Table 13 (∂β⁽⁰⁾/∂T,
    # ∂β⁽¹⁾/∂T, ∂C/∂T = −0.194e-3, 2.78e-3, −0.580e-4 per K), equal within its rounding.
    e = MP98_CHLORIDES.binary["Mg2+", "Cl-"]
    slope = np.array([e.beta0[1], e.beta1[1], e.cphi[1] / (2 * np.sqrt(2))])
    np.testing.assert_allclose(slope, [-0.194e-3, 2.78e-3, -0.580e-4], rtol=6e-3)


# --- invariants -------------------------------------------------------------------------------
NAMES = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-", "SO4 2-")
MOL = jnp.array([0.4, 0.1, 0.05, 0.03, 0.5, 0.08])
# Smallest system with every kind of term: 2–2 pair with β⁽²⁾ (Ca–SO₄), ᴱθ for a cation pair
# (Na–Ca) and an anion pair (Cl–SO₄), θ and both kinds of ψ.
SMALL = ("Na+", "Ca2+", "Cl-", "SO4 2-")
SMALL_MOL = jnp.array([0.3, 0.05, 0.3, 0.05])


def test_gibbs_duhem():
    # Σ m_i d ln γ_i = d[(φ − 1) Σ m] along any composition change (constant T): checks that
    # ln γ and φ come from one excess Gibbs energy, Φ', B' and ᴱθ' included.
    T = 310.15

    @jax.jit
    def both(m, dm):
        _, dlg = jax.jvp(lambda m: log_gamma_pitzer(NAMES, m, T), (m,), (dm,))
        excess = lambda m: (osmotic_coefficient_pitzer(NAMES, m, T) - 1) * jnp.sum(m)  # noqa: E731
        return jnp.sum(m * dlg), jax.jvp(excess, (m,), (dm,))[1]

    # The sulfate parameters of the default set are stated at 25 °C only; 37 °C is an
    # extrapolation, which is announced (and irrelevant to this consistency check).
    with pytest.warns(PitzerTemperatureWarning, match="Ca2\\+–SO4 2-"):
        for direction in (jnp.array([1.0, 0, 0, 0, 1, 0]), jnp.array([0, 0.3, 1, 0, 0, 1.2])):
            lhs, rhs = both(MOL, direction)
            assert float(lhs) == pytest.approx(float(rhs), rel=1e-9)


def test_permutation_invariance():
    order = jnp.array([3, 0, 2, 1])
    lg, _ = lg_phi(names=SMALL, molality=SMALL_MOL, T=300.0)
    lg_perm, _ = lg_phi(names=tuple(SMALL[i] for i in order), molality=SMALL_MOL[order], T=300.0)
    np.testing.assert_allclose(lg_perm, lg[order], rtol=1e-12)


def test_jit_vmap_broadcast_and_no_retrace():
    traces = []

    def f(m, T):
        traces.append(1)
        return log_gamma_pitzer(NAMES, m, T)

    jf = jax.jit(f)
    batch = jnp.stack([MOL, 0.5 * MOL, 2 * MOL])
    temps = jnp.array([280.0, 300.0, 320.0])
    out = jax.vmap(jf)(batch, temps)
    for k in range(3):
        np.testing.assert_allclose(out[k], jf(batch[k], temps[k]), rtol=1e-12)
    jf(2 * MOL, 310.0)
    assert len(traces) == 2  # the vmapped trace and one unbatched trace, reused
    grid, phi = lg_phi(
        names=NAMES, molality=jnp.broadcast_to(MOL, (2, 3, 6)), T=jnp.array([[290.0], [300.0]])
    )
    assert grid.shape == (2, 3, 6) and phi.shape == (2, 3)
    np.testing.assert_allclose(grid[1, 2], jf(MOL, 300.0), rtol=1e-12)


def test_gradients():
    def f(m, T):  # both kernels, both arguments: one VJP compilation
        return lg_phi(names=SMALL, molality=m, T=T)

    check_grads(f, (SMALL_MOL, 305.0), order=1, modes=["rev"])
    # Dilute but non-zero (ᴱθ and the series branch of g(x)), and finite gradients at m = 0.
    check_grads(f, (1e-5 * SMALL_MOL, 298.15), order=1, modes=["rev"], eps=1e-10)
    y, vjp = jax.vjp(f, jnp.zeros(4), 298.15)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in vjp((jnp.ones(4), jnp.ones(()))))


def test_float32_in_float32_out():
    lg32, phi32 = lg_phi(names=NAMES, molality=MOL.astype(jnp.float32), T=jnp.float32(300.0))
    assert lg32.dtype == jnp.float32 and phi32.dtype == jnp.float32
    lg64, phi64 = lg_phi(names=NAMES, molality=MOL, T=300.0)
    np.testing.assert_allclose(lg32, lg64, rtol=5e-5)
    np.testing.assert_allclose(phi32, phi64, rtol=5e-5)


def test_dilute_limit_and_limiting_law():
    z = np.array([1, 1, 2, 2, -1, -2])
    lg0, phi0 = lg_phi(names=NAMES, molality=jnp.zeros(6), T=300.0)
    assert np.all(np.asarray(lg0) == 0) and float(phi0) == 1.0
    for scale in (1e-6, 1e-8):  # shape (6,) and scalar T: reuses one compilation
        lg, _ = lg_phi(names=NAMES, molality=scale * MOL, T=300.0)
        ionic = 0.5 * float(jnp.sum(scale * MOL * z**2))
        # ln γ_i → −z_i² A_φ (√I/(1 + b√I) + (2/b) ln(1 + b√I)) → −3 z_i² A_φ √I.
        dhll = -3 * z**2 * float(aphi_moller1988(300.0)) * math.sqrt(ionic)
        np.testing.assert_allclose(lg, dhll, rtol=0.01)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Li\\+–Cl-"):
        log_gamma_pitzer(("Li+", "Cl-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="H\\+–HCO3-"):
        log_gamma_pitzer(("H+", "HCO3-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="unknown ion 'Xx\\+'"):
        log_gamma_pitzer(("Xx+", "Cl-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="last axis"):
        osmotic_coefficient_pitzer(("Na+", "Cl-"), jnp.ones(3), 298.15)
    with pytest.raises(ValueError, match="duplicate"):
        log_gamma_pitzer(("Na+", "sodium", "Cl-"), jnp.ones(3), 298.15)


# --- temperature range ------------------------------------------------------------------------
def test_temperature_outside_stated_range_warns():
    from ionsweep.activity import activity_coefficients

    caso4 = {"Ca2+": 0.01, "SO4 2-": 0.01}
    with pytest.warns(PitzerTemperatureWarning, match="310.15 K.*Ca2\\+–SO4 2- \\(HMW84"):
        activity_coefficients("pitzer", caso4, 310.15)
    # CaCl2 carries Silvester & Pitzer's dT terms, stated for 0–60 °C.
    with pytest.warns(PitzerTemperatureWarning, match="Ca2\\+–Cl- .*273.15–333.15 K"):
        activity_coefficients("pitzer", {"Ca2+": 0.1, "Cl-": 0.2}, [310.15, 343.15])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        activity_coefficients("pitzer", caso4, 298.15)  # the parameters' own temperature
        activity_coefficients("pitzer", {"Na+": 0.1, "K+": 0.05, "Cl-": 0.15}, 310.15)
        # Mixing terms at 25 °C only (θ Ca–Mg) are applied at any T, as PHREEQC does.
        activity_coefficients("pitzer", {"Ca2+": 0.01, "Mg2+": 0.01, "Cl-": 0.04}, 310.15)
        # Traced temperatures cannot be checked inside jit (the sweep planner checks its own).
        jax.jit(lambda T: log_gamma_pitzer(("Ca2+", "SO4 2-"), jnp.array([0.01, 0.01]), T))(310.15)


def test_out_of_range_lists_the_binary_parameters():
    assert MP98_CHLORIDES.out_of_range(("Na+", "K+", "Cl-"), 273.15, 373.15) == []
    bad = MP98_CHLORIDES.out_of_range(("Na+", "Ca2+", "Cl-", "SO4 2-"), 300.0, 300.0)
    assert bad == ["Ca2+–SO4 2- (HMW84 Table 1 (25 °C): 298.15–298.15 K)"]
