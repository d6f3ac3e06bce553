"""Nernst potential and driving force: the seed's worked numbers, closed forms, NaN, grads."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from jax.test_util import check_grads

import ionsweep

# R = N_A k and F = N_A e from the exact 2019 SI defining constants (CODATA 2018, NIST):
# R = 8.314 462 618... J/(mol K), F = 96 485.332 12... C/mol.
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19

nernst = jax.jit(ionsweep.nernst)

conc = st.floats(1e-4, 1e3)
temp = st.floats(273.0, 323.0)
valence = st.sampled_from([-3, -2, -1, 1, 2, 3])


def nernst_ref(c_in, c_out, z, T, g_in=1.0, g_out=1.0):
    """E = RT/(zF) ln(a_out/a_in), mV (seed, eq. for E_i)."""
    return 1000.0 * R * T / (z * F) * math.log((g_out * c_out) / (g_in * c_in))


# --- the seed's worked numbers, to their printed precision ---------------------------------


def test_seed_potassium():
    # Seed: K+ 140 mM in, 5 mM out, 37 °C → E_K ≈ −89 mV.
    assert round(float(ionsweep.nernst(140.0, 5.0, 1, 310.0))) == -89
    assert round(float(ionsweep.nernst(140.0, 5.0, 1, 310.15))) == -89


def test_seed_calcium():
    # Seed: Ca2+ 1.5 mM out, 1e-4 mM in, z = +2, 310 K → E_Ca ≈ +128 mV (128.4 at 310 K).
    E = float(ionsweep.nernst(1e-4, 1.5, 2, 310.0))
    assert round(E) == 128
    assert E == pytest.approx(nernst_ref(1e-4, 1.5, 2, 310.0), rel=1e-12)


def test_seed_sodium_and_chloride():
    # The seed prints E_Na ≈ +67 mV and E_Cl ≈ −76 mV but not the concentrations. We use
    # typical mammalian values chosen by us: Na+ 12 mM in / 145 mM out (the values Hille,
    # "Ion Channels of Excitable Membranes", tabulates for mammalian muscle), and Cl- 7 mM in /
    # 120 mM out (a common textbook value for a mature neuron), at 310 K.
    assert round(float(ionsweep.nernst(12.0, 145.0, 1, 310.0))) == 67
    assert round(float(ionsweep.nernst(7.0, 120.0, -1, 310.0))) == -76


def test_seed_driving_forces():
    # Seed: at V_m = −65 mV, V − E_K = +24 mV and V − E_Na ≈ −132 mV.
    E_K = ionsweep.nernst(140.0, 5.0, 1, 310.15)
    E_Na = ionsweep.nernst(12.0, 145.0, 1, 310.15)
    assert round(float(ionsweep.driving_force(-65.0, E_K))) == 24
    assert round(float(ionsweep.driving_force(-65.0, E_Na))) == -132
    # The seed's own arithmetic with the rounded E_K: (−65) − (−89) = +24.
    assert float(ionsweep.driving_force(-65.0, -89.0)) == 24.0


def test_driving_force_broadcasts():
    V = jnp.linspace(-100.0, 50.0, 4)[:, None]
    E = jnp.array([-89.0, 67.0])
    np.testing.assert_allclose(ionsweep.driving_force(V, E), np.asarray(V) - np.asarray(E))


# --- properties from the seed ("解构能斯特方程") -----------------------------------------------


@settings(max_examples=30, deadline=None)
@given(c=conc, z=valence, T=temp)
def test_equal_concentrations_give_zero(c, z, T):
    # ln(1) = 0: no gradient, no equilibrium potential.
    assert float(nernst(c, c, z, T)) == 0.0


@settings(max_examples=30, deadline=None)
@given(c_in=conc, c_out=conc, T=temp)
def test_divalent_halves_and_anion_flips(c_in, c_out, T):
    E1, E2, Em1, Em2 = (float(nernst(c_in, c_out, z, T)) for z in (1, 2, -1, -2))
    assert E2 == pytest.approx(E1 / 2, rel=1e-12, abs=1e-12)
    assert Em1 == pytest.approx(-E1, rel=1e-12, abs=1e-12)
    assert Em2 == pytest.approx(-E1 / 2, rel=1e-12, abs=1e-12)


def test_signs():
    # A cation more concentrated outside has E > 0; an anion with the same gradient E < 0.
    assert float(ionsweep.nernst(1.0, 10.0, 1, 300.0)) > 0
    assert float(ionsweep.nernst(1.0, 10.0, -1, 300.0)) < 0
    # One decade at 300 K for a monovalent ion is (RT/F) ln 10 = 59.53 mV.
    assert float(ionsweep.nernst(1.0, 10.0, 1, 300.0)) == pytest.approx(
        1000 * R * 300.0 / F * math.log(10), rel=1e-12
    )


def test_against_scalar_reference():
    rng = np.random.default_rng(1)
    n = 300
    c_in = np.exp(rng.uniform(np.log(1e-4), np.log(1e3), n))
    c_out = np.exp(rng.uniform(np.log(1e-4), np.log(1e3), n))
    z = rng.choice([-3, -2, -1, 1, 2, 3], n)
    T = rng.uniform(273.0, 323.0, n)
    g_in = rng.uniform(0.5, 1.0, n)
    g_out = rng.uniform(0.5, 1.0, n)
    got = np.asarray(ionsweep.nernst(c_in, c_out, z, T, g_in, g_out))
    want = np.array([nernst_ref(*a) for a in zip(c_in, c_out, z, T, g_in, g_out, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-11)


def test_activity_coefficients_enter_as_gamma_times_c():
    # Seed: E = RT/(zF) ln(γ_out c_out / (γ_in c_in)).
    got = float(ionsweep.nernst(140.0, 5.0, 1, 310.0, gamma_in=0.75, gamma_out=0.8))
    assert got == pytest.approx(nernst_ref(140.0, 5.0, 1, 310.0, 0.75, 0.8), rel=1e-12)


# --- invalid points are NaN --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (140.0, 5.0, 0, 310.0),  # z = 0
        (0.0, 5.0, 1, 310.0),  # c_in = 0 (an impermeant ion: ln 0, seed "唐南平衡")
        (140.0, 0.0, 1, 310.0),
        (-1.0, 5.0, 1, 310.0),
        (140.0, -5.0, 1, 310.0),
        (140.0, 5.0, 1, 0.0),  # T = 0
        (140.0, 5.0, 1, -310.0),
        (np.nan, 5.0, 1, 310.0),
        (140.0, np.inf, 1, 310.0),
        (140.0, 5.0, 1, np.inf),
    ],
)
def test_invalid_points_are_nan(args):
    assert np.isnan(float(ionsweep.nernst(*args)))


def test_invalid_activity_coefficient_is_nan():
    assert np.isnan(float(ionsweep.nernst(140.0, 5.0, 1, 310.0, gamma_in=0.0)))
    assert np.isnan(float(ionsweep.nernst(140.0, 5.0, 1, 310.0, gamma_out=-0.5)))


# --- gradients ---------------------------------------------------------------------------


def test_check_grads():
    z = jnp.array([1, -1, 2, 3])
    f = jax.jit(lambda c_in, c_out, T: ionsweep.nernst(c_in, c_out, z, T))
    args = (
        jnp.array([140.0, 7.0, 1.0, 0.5]),
        jnp.array([5.0, 120.0, 2.0, 3.0]),
        jnp.array([280.0, 300.0, 310.0, 320.0]),
    )
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_gradient_closed_form():
    # ∂E/∂c_out = RT/(zF c_out), ∂E/∂c_in = −RT/(zF c_in), ∂E/∂T = E/T.
    c_in, c_out, z, T = 1e-4, 1.5, 2, 310.0
    g = jax.grad(ionsweep.nernst, argnums=(0, 1, 3))(c_in, c_out, z, T)
    vt = 1000 * R * T / F
    assert float(g[0]) == pytest.approx(-vt / (z * c_in), rel=1e-12)
    assert float(g[1]) == pytest.approx(vt / (z * c_out), rel=1e-12)
    assert float(g[2]) == pytest.approx(nernst_ref(c_in, c_out, z, T) / T, rel=1e-12)


def test_nan_points_do_not_poison_gradients_of_valid_points():
    c_in = jnp.array([140.0, 0.0, 12.0, -3.0, 7.0])
    z = jnp.array([1, 1, 0, 2, -1])

    def loss(c_in):
        E = ionsweep.nernst(c_in, 5.0, z, 310.0)
        return jnp.sum(jnp.where(jnp.isfinite(E), E, 0.0))

    g = np.asarray(jax.jit(jax.grad(loss))(c_in))
    assert np.isfinite(g).all()
    vt = 1000 * R * 310.0 / F
    np.testing.assert_allclose(g[[0, 4]], [-vt / 140.0, vt / 7.0], rtol=1e-12)
    np.testing.assert_array_equal(g[[1, 2, 3]], 0.0)


def test_float32_error_of_the_per_axis_logarithms():
    """E = RT/(zF)·(ln c_out − ln c_in), each logarithm at its own axis's shape: in float32
    its error against the float64 closed form at the same (float32-rounded) inputs stays
    within the figures the kernel's docstring states (7·10⁻⁵ mV over 10⁻³–10⁵ mM at 37 °C,
    2·10⁻⁵ mV where |E| < 1 mV)."""
    c = np.geomspace(1e-3, 1e5, 801).astype(np.float32)
    T = np.float32(310.15)
    E32 = ionsweep.nernst(c[:, None], c[None, :], 1, T)
    assert E32.dtype == jnp.float32
    E = np.asarray(E32, np.float64)
    c64 = c.astype(np.float64)
    k = 8.314462618 * float(T) / 96485.33212 * 1e3
    ref = k * np.log(c64[None, :] / c64[:, None])
    err = np.abs(E - ref)
    assert err.max() < 1e-4
    assert err[np.abs(ref) < 1].max() < 3e-5
    assert np.all(E[np.arange(801), np.arange(801)] == 0)  # equal concentrations: exactly 0


@pytest.mark.parametrize("name, z", [("K+", 1), ("Ca2+", 2), ("Cl-", -1), ("calcium", 2)])
def test_an_ion_name_gives_its_valence(name, z):
    T = 310.15  # E = RT/(zF) ln(c_out/c_in), R and F of the module (CODATA 2018)
    expected = 1e3 * R * T / (z * F) * math.log(5.0 / 140.0)
    assert float(ionsweep.nernst(140.0, 5.0, name, T)) == pytest.approx(expected, rel=1e-12)


def test_an_unknown_ion_name_is_refused_naming_z():
    with pytest.raises(ValueError, match="z: unknown ion 'Kx'"):
        ionsweep.nernst(140.0, 5.0, "Kx", 310.15)
