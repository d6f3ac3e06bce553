# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""Activity-corrected Nernst and GHK potentials."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import ionsweep
from ionsweep.activity import debye_huckel_A, ghk_voltage_activity, nernst_activity

R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19

# Mammalian cytosol and extracellular fluid, mM, each electroneutral.
C_IN = {"K+": 140.0, "Na+": 10.0, "Mg2+": 0.5, "Cl-": 10.0, "HPO4 2-": 20.0, "Gluconate-": 101.0}
C_OUT = {"Na+": 145.0, "K+": 5.0, "Ca2+": 2.0, "Mg2+": 1.0, "Cl-": 130.0, "HCO3-": 26.0}


def test_ideal_equals_nernst_exactly():
    for T in (283.15, 310.15):
        for ion in ("K+", "Na+", "Cl-", "Mg2+"):
            z = ionsweep.ions.valence(ion)
            expected = ionsweep.nernst(C_IN[ion], C_OUT[ion], z, T)
            got = nernst_activity(ion, C_IN, C_OUT, T, "ideal")
            np.testing.assert_array_equal(got, expected)
    assert ionsweep.nernst_activity is nernst_activity
    assert round(float(nernst_activity("K", C_IN, C_OUT, 310.15, "ideal"))) == -89


def test_delta_EK_ideal_vs_davies_by_hand():
    # Hand calculation, 37 °C. Water density 993.33 kg/m³ (Kell 1975) turns mM into mol/kg.
    T, rho = 310.15, 993.33
    I_in = 0.5 * (140 + 10 + 4 * 0.5 + 10 + 4 * 20 + 101) / rho  # 171.5 mM → 0.17265 mol/kg
    I_out = 0.5 * (145 + 5 + 4 * 2 + 4 * 1 + 130 + 26) / rho  # 159.0 mM → 0.16007 mol/kg
    A = float(debye_huckel_A(T))  # 0.5211 at 37 °C

    def log10_davies(I):
        return -A * (math.sqrt(I) / (1 + math.sqrt(I)) - 0.3 * I)

    # ΔE = (RT/F) ln(γ_out/γ_in) = (RT/F) ln10 (log10 γ_out − log10 γ_in)
    dE = 1000 * R * T / F * math.log(10) * (log10_davies(I_out) - log10_davies(I_in))
    assert dE == pytest.approx(0.1287, abs=5e-4)  # mV: the two sides' I nearly match
    ideal = float(nernst_activity("K+", C_IN, C_OUT, T, "ideal"))
    davies = float(nernst_activity("K+", C_IN, C_OUT, T, "davies"))
    assert davies - ideal == pytest.approx(dE, rel=1e-4)
    # The correction follows the *difference* of the two ionic strengths: bathing the same
    # cell in a quarter-strength saline (I ≈ 0.04 mol/kg) moves E_K by ≈ 2.7 mV.
    dilute = {"Na+": 36.25, "K+": 5.0, "Cl-": 41.25}
    shift = float(nernst_activity("K+", C_IN, dilute, T, "davies")) - float(
        nernst_activity("K+", C_IN, dilute, T, "ideal")
    )
    I_d = 0.5 * (36.25 + 5 + 41.25) / rho
    expected = 1000 * R * T / F * math.log(10) * (log10_davies(I_d) - log10_davies(I_in))
    assert shift == pytest.approx(expected, rel=1e-4)
    assert 2.5 < shift < 3.0


def test_other_models_and_broadcasting():
    c_in = {
        "K+": jnp.array([140.0, 120.0, 100.0]),
        "Na+": 10.0,
        "Cl-": jnp.array([150.0, 130.0, 110.0]),
    }
    c_out = {"K+": 5.0, "Na+": 145.0, "Cl-": 150.0}
    T = jnp.array([[298.15], [310.15]])
    for model in ("debye_huckel", "extended_debye_huckel", "truesdell_jones", "davies"):
        E = nernst_activity("K+", c_in, c_out, T, model)
        assert E.shape == (2, 3) and np.all(np.isfinite(E))
    with pytest.raises(ValueError, match="Gluconate-"):
        nernst_activity("K+", C_IN, C_OUT, 310.15, "extended_debye_huckel")


def test_bad_input():
    with pytest.raises(KeyError, match="Ca2\\+"):
        nernst_activity("Ca2+", C_IN, C_OUT, 310.15)
    with pytest.raises(KeyError, match="Xq"):
        nernst_activity("Xq+", C_IN, C_OUT, 310.15)
    with pytest.raises(ValueError, match="c_out is not electroneutral"):
        nernst_activity("K+", C_IN, {"K+": 5.0, "Na+": 145.0, "Cl-": 100.0}, 310.15)
    with pytest.raises(ValueError, match=r"c_in\['K\+'\]"):
        nernst_activity("K+", {**C_IN, "K+": -1.0}, C_OUT, 310.15, neutrality_rtol=None)
    with pytest.raises(ValueError, match="unknown activity model 'davis'"):
        nernst_activity("K+", C_IN, C_OUT, 310.15, "davis")
    with pytest.raises(ValueError, match="T must be"):
        nernst_activity("K+", C_IN, C_OUT, 0.0)


def test_ghk_ideal_equals_ghk_voltage_and_one_ion_equals_nernst():
    perm = ("K+", "Na+", "Cl-")
    P = jnp.array([[1.0, 0.04, 0.45], [1.0, 0.1, 0.0]])
    T = 310.15
    z = jnp.array([1, 1, -1])
    c_i = jnp.array([C_IN[n] for n in perm])
    c_o = jnp.array([C_OUT[n] for n in perm])

    @jax.jit
    def both(P):
        return (
            ghk_voltage_activity(perm, P, C_IN, C_OUT, T, "ideal"),
            ionsweep.ghk_voltage(P, c_i, c_o, z, jnp.full(2, T)),
        )

    got, expected = both(P)
    np.testing.assert_array_equal(got, expected)
    assert ionsweep.ghk_voltage_activity is ghk_voltage_activity
    # A single permeant ion: the activity-corrected GHK potential is its Nernst potential.
    c_in = {"K+": 140.0, "Na+": 10.0, "Mg2+": 0.5, "Cl-": 151.0}
    one = jax.jit(lambda P: ghk_voltage_activity("K+", P, c_in, C_OUT, T, "truesdell_jones"))
    expected = nernst_activity("K+", c_in, C_OUT, T, "truesdell_jones")
    assert float(one(jnp.ones(1))) == pytest.approx(float(expected), abs=1e-9)
    with pytest.raises(ValueError, match="last axis"):
        ghk_voltage_activity(perm, [1.0, 0.1], C_IN, C_OUT, T)


def test_grads_of_corrected_potentials():
    def E(k_out, T):
        c_out = {"Na+": 145.0, "K+": k_out, "Cl-": 145.0 + k_out}
        return nernst_activity("K+", {"K+": 140.0, "Cl-": 140.0}, c_out, T, "davies")

    check_grads(jax.jit(E), (5.0, 310.15), order=1, modes=("fwd", "rev"))

    @jax.jit
    def V(p_na):
        c_out = {"Na+": 145.0, "K+": 5.0, "Cl-": 150.0}
        c_in = {"K+": 140.0, "Na+": 10.0, "Cl-": 150.0}
        P = jnp.stack([1.0, p_na, 0.45])
        return ghk_voltage_activity(("K+", "Na+", "Cl-"), P, c_in, c_out, 310.15, "davies")

    # dV/dP_Na against a central difference (the fitting use case).
    h = 1e-6
    fd = (V(0.05 + h) - V(0.05 - h)) / (2 * h)
    assert float(jax.jit(jax.grad(V))(0.05)) == pytest.approx(float(fd), rel=1e-6)
