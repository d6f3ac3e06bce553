# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""The ionic-strength models: hand calculations, limits, PHREEQC, NaN, gradients."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from jax.test_util import check_grads

import ionsweep
from ionsweep import ions
from ionsweep.activity import (
    debye_huckel_A,
    debye_huckel_B,
    log10_gamma_davies,
    log10_gamma_truesdell_jones,
    log_gamma_davies,
    log_gamma_davies_1938,
    log_gamma_debye_huckel,
    log_gamma_extended_debye_huckel,
    log_gamma_ideal,
    log_gamma_truesdell_jones,
    nernst_davies,
)

LN10 = math.log(10)
A25 = float(debye_huckel_A(298.15))
B25 = float(debye_huckel_B(298.15))

DIFFERENTIABLE = (
    log_gamma_ideal,
    log_gamma_debye_huckel,
    log_gamma_extended_debye_huckel,
    log_gamma_truesdell_jones,
    log_gamma_davies,
    log_gamma_davies_1938,
)


def test_davies_at_I_0p1_25C_by_hand():
    # log10 γ = −A z² (√I/(1+√I) − 0.3 I), √0.1 = 0.316228, √I/(1+√I) = 0.240253.
    # z = 1: −A (0.240253 − 0.03) = −0.210253 A; z = 2: 4×; with A = 0.5100 → −0.10723.
    s = math.sqrt(0.1)
    bracket = s / (1 + s) - 0.3 * 0.1
    assert bracket == pytest.approx(0.210253, abs=1e-6)
    for z in (1, -1, 2, -2, 3):
        expected = -A25 * z * z * bracket
        assert float(log10_gamma_davies(z, 0.1, 298.15)) == pytest.approx(expected, rel=1e-12)
    assert float(log10_gamma_davies(1, 0.1, 298.15)) == pytest.approx(-0.10723, abs=5e-5)
    # The 1938 coefficient: bracket 0.240253 − 0.02.
    assert float(log10_gamma_davies(1, 0.1, 298.15, 0.2)) == pytest.approx(
        -A25 * (s / (1 + s) - 0.02), rel=1e-12
    )
    # Through the model function: NaCl at 0.1 mol/kg has I = 0.1.
    lg = log_gamma_davies(("Na+", "Cl-"), jnp.array([0.1, 0.1]), 298.15)
    np.testing.assert_allclose(lg, LN10 * -A25 * bracket * np.ones(2), rtol=1e-12)


def test_extended_debye_huckel_with_kielland_sizes_by_hand():
    # 0.01 mol/kg CaCl2: I = ½(0.01·4 + 0.02·1) = 0.03 mol/kg; Kielland å: Ca²⁺ 6 Å, Cl⁻ 3 Å.
    I = 0.03
    s = math.sqrt(I)
    log10_ca = -A25 * 4 * s / (1 + B25 * 6.0 * s)
    log10_cl = -A25 * 1 * s / (1 + B25 * 3.0 * s)
    lg = log_gamma_extended_debye_huckel(("Ca2+", "Cl-"), jnp.array([0.01, 0.02]), 298.15)
    np.testing.assert_allclose(lg, LN10 * np.array([log10_ca, log10_cl]), rtol=1e-12)
    # Kielland's own table (1937, Table II), I = 0.025 for Ca²⁺ (å = 6) reads γ = 0.57; his
    # A and B (0.5085, 0.3281 at 25 °C) give the same two digits here.
    g = math.exp(float(log_gamma_extended_debye_huckel(("Ca2+", "Cl-"), [0.025 / 3, 0.05 / 3],
                                                        298.15)[0]))  # fmt: skip
    assert g == pytest.approx(0.57, abs=0.006)


def test_truesdell_jones_by_hand():
    # Seawater-like I = 0.7 mol/kg at 25 °C for Na⁺ (å 4.0 Å, b 0.075) and SO₄²⁻ (5.0, −0.04).
    I = 0.7
    s = math.sqrt(I)
    na = -A25 * s / (1 + B25 * 4.0 * s) + 0.075 * I
    so4 = -A25 * 4 * s / (1 + B25 * 5.0 * s) - 0.04 * I
    # Na+ 0.6, SO4 2- 0.05, Cl- 0.5 mol/kg: I = ½(0.6 + 4·0.05 + 0.5) = 0.65; scaled to 0.7.
    names = ("Na+", "SO4 2-", "Cl-")
    m = jnp.array([0.6, 0.05, 0.5]) * (0.7 / 0.65)
    lg = log_gamma_truesdell_jones(names, m, 298.15)
    np.testing.assert_allclose(lg[:2], LN10 * np.array([na, so4]), rtol=1e-12)


def test_parameters_come_from_the_ion_table():
    assert (ions["K+"].truesdell_jones_a, ions["K+"].truesdell_jones_b) == (3.5, 0.015)
    assert (ions["Ca2+"].truesdell_jones_a, ions["Ca2+"].truesdell_jones_b) == (5.0, 0.165)
    assert (ions["Mg2+"].truesdell_jones_a, ions["Mg2+"].truesdell_jones_b) == (5.5, 0.20)
    assert (ions["Cl-"].truesdell_jones_a, ions["Cl-"].truesdell_jones_b) == (3.5, 0.015)
    assert (ions["SO4"].truesdell_jones_a, ions["SO4"].truesdell_jones_b) == (5.0, -0.04)
    assert (ions["HCO3-"].truesdell_jones_a, ions["H+"].truesdell_jones_a) == (5.4, 9.0)
    assert [ions[n].kielland_a for n in ("H+", "Na+", "K+", "Mg2+", "Ca2+", "Cl-")] == [
        9.0, 4.0, 3.0, 8.0, 6.0, 3.0,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "model, ion, field",
    [
        (log_gamma_extended_debye_huckel, "Gluconate-", "kielland_a"),
        (log_gamma_truesdell_jones, "NMDG+", "truesdell_jones_a"),
    ],
)
def test_missing_parameter_is_refused_naming_ion_and_model(model, ion, field):
    with pytest.raises(ValueError, match=rf"{field}.*{ion}|{ion}.*{field}") as err:
        model(("K+", ion), jnp.array([0.1, 0.1]), 298.15)
    assert model.__name__.removeprefix("log_gamma_") in str(err.value)
    # The ionic-strength-only models accept it.
    assert np.all(np.isfinite(log_gamma_davies(("K+", ion), jnp.array([0.1, 0.1]), 298.15)))


ion_names = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-", "SO4 2-")


@settings(max_examples=40, deadline=None)
@given(
    fractions=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6).filter(lambda f: sum(f) > 1e-3),
    log_I=st.floats(-10.0, -4.0),
    T=st.floats(273.15, 373.15),
)
def test_davies_and_extended_tend_to_the_limiting_law(fractions, log_I, T):
    z = np.array([ions.valence(n) for n in ion_names], float)
    m = np.array(fractions)
    m *= 10**log_I / (0.5 * np.sum(m * z * z))  # ionic strength exactly 10**log_I
    I = 10**log_I
    ll = np.asarray(log_gamma_debye_huckel(ion_names, m, T))
    A = float(debye_huckel_A(T))
    assert ll == pytest.approx(-LN10 * A * z * z * math.sqrt(I), rel=1e-9)
    # Davies − limiting = ln10·A z² (I/(1+√I) + 0.3 I) ≤ 1.3 ln10 A z² I.
    dav = np.asarray(log_gamma_davies(ion_names, m, T))
    assert np.all(np.abs(dav - ll) <= 1.3 * LN10 * A * z * z * I * (1 + 1e-9))
    # Extended − limiting = ln10·A z² √I · Bå√I/(1 + Bå√I) ≤ ln10 A B å z² I (å ≤ 9 Å).
    ext = np.asarray(log_gamma_extended_debye_huckel(ion_names, m, T))
    B = float(debye_huckel_B(T))
    assert np.all(np.abs(ext - ll) <= LN10 * A * B * 9.0 * z * z * I * (1 + 1e-9))
    # Relative agreement: → 0 like √I.
    assert np.all(np.abs(dav / ll - 1) <= 1.3 * math.sqrt(I) + 1e-12)
    assert np.all(np.abs(ext / ll - 1) <= B * 9.0 * math.sqrt(I) + 1e-12)


def test_shapes_broadcasting_and_nan_for_invalid_points():
    m = jnp.array([[0.1, 0.1], [0.2, 0.2], [-0.1, 0.1], [0.1, jnp.inf], [0.0, 0.0]])
    T = jnp.array([298.15, 310.15, 310.15, 310.15, 0.0])
    out = jax.jit(lambda m, T: jnp.stack([f(("K+", "Cl-"), m, T) for f in DIFFERENTIABLE]))(m, T)
    assert out.shape == (6, 5, 2) and out.dtype == jnp.float64
    assert np.all(np.isfinite(out[:, :2])) and np.all(np.isnan(out[:, 2:]))
    # T broadcast against a grid of compositions: (4, 1) T with (2, 2) molality → (4, 2, 2).
    out = log_gamma_davies(("K+", "Cl-"), m[:2], jnp.linspace(280, 320, 4)[:, None])
    assert out.shape == (4, 2, 2)
    # Pure water: γ = 1.
    np.testing.assert_array_equal(log_gamma_davies(("K+", "Cl-"), jnp.zeros(2), 298.15), 0.0)
    # float32 in, float32 out.
    assert log_gamma_davies(("K+",), jnp.ones(1, jnp.float32), 300.0).dtype == jnp.float32


def test_grads_wrt_molality_and_T():
    # All six differentiable models in one kernel (one compilation), checked against
    # finite differences in both modes.
    names = ("Na+", "K+", "Ca2+", "Cl-")
    m = jnp.array([0.14, 0.005, 0.002, 0.149])
    every = jax.jit(lambda m, T: jnp.stack([f(names, m, T) for f in DIFFERENTIABLE]))
    check_grads(every, (m, 310.15), order=1, modes=("fwd", "rev"))
    # Near pure water (I = 2e-8 mol/kg) the gradients stay finite.
    g = jax.jacrev(every)(jnp.full(4, 1e-8), 298.15)
    assert np.all(np.isfinite(g))


def test_truesdell_jones_matches_phreeqc():
    # PHREEQC (Parkhurst & Appelo 2013) through phreeqpython, database phreeqc.dat, which
    # carries the WATEQ "-gamma a b" values for K+, Ca+2, Mg+2 and refits Na+ (4.08, 0.082)
    # and Cl- (3.63, 0.017). γ of a free ion depends on I alone, so PHREEQC's own I is used.
    phreeqpython = pytest.importorskip("phreeqpython")
    pp = phreeqpython.PhreeqPython(database="phreeqc.dat")
    params = {"K+": (3.5, 0.015), "Ca+2": (5.0, 0.165), "Mg+2": (5.5, 0.20),
              "Na+": (4.08, 0.082), "Cl-": (3.63, 0.017)}  # fmt: skip
    ours = {"K+": "K+", "Ca+2": "Ca2+", "Mg+2": "Mg2+"}
    for t in (0.0, 25.0, 37.0, 80.0):
        sol = pp.add_solution(
            {
                "Na": 120.0,
                "K": 5.0,
                "Ca": 2.0,
                "Mg": 1.0,
                "Cl": 131.0,
                "temp": t,
                "units": "mmol/kgw",
            }  # fmt: skip
        )
        I, T = sol.I, t + 273.15
        act, mol = sol.species_activities, sol.species_molalities
        for sp, (a, b) in params.items():
            z = {"K+": 1, "Ca+2": 2, "Mg+2": 2, "Na+": 1, "Cl-": -1}[sp]
            theirs = math.log10(act[sp] / mol[sp])
            mine = float(log10_gamma_truesdell_jones(z, a, b, I, T))
            assert mine == pytest.approx(theirs, abs=1e-4), (t, sp)  # agree to ~1e-5
            if sp in ours:  # and the table holds PHREEQC's numbers for these
                ion = ions[ours[sp]]
                assert (ion.truesdell_jones_a, ion.truesdell_jones_b) == (a, b)
        sol.forget()


# ----------------------------------------------------------------------------- nernst_davies
def _nernst_davies_by_hand(c_in, c_out, z, T, I_in, I_out, c=0.3):
    """Independent scalar form: γ = 10**log10γ on each side, then RT/(zF) ln(a_out/a_in)."""
    A = float(debye_huckel_A(T))

    def gamma(I):
        s = math.sqrt(I)
        return 10 ** (-A * z * z * (s / (1 + s) - c * I))

    r_over_f = 1.380649e-23 / 1.602176634e-19 * 1e3  # R/F = k/e, CODATA 2018 (exact)
    return r_over_f * T / z * math.log(gamma(I_out) * c_out / (gamma(I_in) * c_in))


@settings(max_examples=60, deadline=None)
@given(
    c_in=st.floats(0.01, 500.0),
    c_out=st.floats(0.01, 500.0),
    z=st.sampled_from([-3, -2, -1, 1, 2, 3]),
    T=st.floats(273.15, 373.15),
    I_in=st.floats(0.0, 0.5),
    I_out=st.floats(0.0, 0.5),
    c=st.sampled_from([0.2, 0.3]),
)
def test_nernst_davies_matches_gamma_form(c_in, c_out, z, T, I_in, I_out, c):
    got = float(nernst_davies(c_in, c_out, z, T, I_in, I_out, c))
    assert got == pytest.approx(_nernst_davies_by_hand(c_in, c_out, z, T, I_in, I_out, c), abs=1e-9)


def test_nernst_davies_equals_nernst_with_davies_gammas():
    rng = np.random.default_rng(3)
    c_in, c_out = rng.uniform(1, 200, (2, 50))
    I_in, I_out = rng.uniform(0, 0.5, (2, 50))
    T = rng.uniform(280, 320, 50)
    gi = 10 ** log10_gamma_davies(2, I_in, T)
    go = 10 ** log10_gamma_davies(2, I_out, T)
    np.testing.assert_allclose(
        nernst_davies(c_in, c_out, 2, T, I_in, I_out),
        ionsweep.nernst(c_in, c_out, 2, T, gamma_in=gi, gamma_out=go),
        rtol=1e-12,
    )
    # Equal ionic strengths: the γ cancel and it is the plain Nernst potential.
    np.testing.assert_allclose(
        nernst_davies(c_in, c_out, 1, T, I_in, I_in), ionsweep.nernst(c_in, c_out, 1, T), rtol=1e-12
    )


def test_nernst_davies_invalid_points_are_nan_with_finite_gradients():
    bad = nernst_davies(
        jnp.array([0.0, 140.0, 140.0, 140.0, 140.0]),
        5.0,
        jnp.array([1.0, 0.0, 1.0, 1.0, 1.0]),
        jnp.array([310.0, 310.0, -1.0, 310.0, 310.0]),
        jnp.array([0.1, 0.1, 0.1, -0.1, 0.1]),
        jnp.array([0.1, 0.1, 0.1, 0.1, jnp.nan]),
    )
    assert np.isnan(np.asarray(bad)).all()
    check_grads(lambda ci, I: nernst_davies(ci, 5.0, 1, 310.15, I, 0.15), (140.0, 0.1), order=2)
    g = jax.grad(lambda ci: nernst_davies(ci, 5.0, 1, 310.15, 0.1, 0.1))(0.0)
    assert np.isfinite(g)


def test_nernst_davies_keeps_float32():
    x = jnp.float32(140.0)
    assert nernst_davies(x, jnp.float32(5.0), 1, 310.0, 0.1, 0.1).dtype == jnp.float32
