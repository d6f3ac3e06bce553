"""Donnan equilibrium against brentq on electroneutrality, closed forms, NaN and gradients."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from jax.test_util import check_grads
from scipy.optimize import brentq

import ionsweep

# R = N_A k, F = N_A e from the exact 2019 SI defining constants (CODATA 2018).
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19


def vt(T):
    return 1000.0 * R * T / F


def donnan_ref(c_bath, z, rho, T):
    """Donnan potential (mV) and c_in (mM) by brentq on inside electroneutrality.

    Every permeant ion is at its Nernst equilibrium, c_in = c_bath·exp(−z v) with
    v = FV/RT, and Σ z c_in + ρ = 0 (seed, "唐南平衡": equilibrium of every permeant ion
    plus bulk electroneutrality).
    """

    def charge(v):
        return sum(zz * c * math.exp(-zz * v) for c, zz in zip(c_bath, z, strict=True)) + rho

    v = brentq(charge, -40.0, 40.0, xtol=1e-15, rtol=1e-15)
    return vt(T) * v, [c * math.exp(-zz * v) for c, zz in zip(c_bath, z, strict=True)]


donnan = jax.jit(ionsweep.donnan)


def random_baths(rng, n, z):
    """n electroneutral baths of the ions ``z``; the last ion (an anion) balances charge."""
    z = np.asarray(z)
    c = np.exp(rng.uniform(np.log(0.1), np.log(200.0), (n, len(z))))
    cation_charge = (c * np.maximum(z, 0)).sum(axis=1)
    others = (z < 0) & (np.arange(len(z)) < len(z) - 1)
    if others.any():  # the other anions carry a random fraction f < 0.8 of the charge
        f = rng.uniform(0.0, 0.8, n)
        c[:, others] *= (f * cation_charge / (c[:, others] * -z[others]).sum(axis=1))[:, None]
    c[:, -1] = 0.0
    c[:, -1] = (c * z).sum(axis=1) / -z[-1]
    rho = rng.uniform(-150.0, 150.0, n)
    T = rng.uniform(273.0, 323.0, n)
    return c, np.broadcast_to(z, c.shape), rho, T


# --- closed forms ------------------------------------------------------------------------


def test_monovalent_closed_form():
    # NaCl/KCl bath, impermeant anion inside: with x = e^{−v}, C+ x² + ρ x − C− = 0.
    c_bath, z, rho, T = [150.0, 150.0], [1, -1], -50.0, 310.15
    x = (-rho + math.sqrt(rho**2 + 4 * 150.0 * 150.0)) / (2 * 150.0)
    V, c_in = donnan(jnp.array(c_bath), jnp.array(z), rho, T)
    assert float(V) == pytest.approx(-vt(T) * math.log(x), abs=1e-11)
    np.testing.assert_allclose(np.asarray(c_in), [150.0 * x, 150.0 / x], rtol=1e-13)
    # The Donnan product: [K]in [Cl]in = [K]out [Cl]out.
    assert float(c_in[0] * c_in[1]) == pytest.approx(150.0 * 150.0, rel=1e-13)
    # The closed form, −(RT/F) ln x, is −4.43 mV at 310.15 K (the docstring's example).
    assert round(-vt(T) * math.log(x), 2) == round(float(V), 2) == -4.43


@settings(max_examples=30, deadline=None)
@given(
    c=st.lists(st.floats(0.1, 200.0), min_size=2, max_size=2),
    T=st.floats(273.0, 323.0),
)
def test_no_fixed_charge_no_potential(c, T):
    # Electroneutral bath and no fixed charge: V = 0 and c_in = c_bath (Na+, Ca2+, Cl-).
    c_bath = np.array([c[0], c[1], c[0] + 2 * c[1]])
    V, c_in = donnan(jnp.asarray(c_bath), jnp.array([1, 2, -1]), 0.0, T)
    assert abs(float(V)) < 1e-12
    np.testing.assert_allclose(np.asarray(c_in), c_bath, rtol=1e-13)


def test_signs_and_neutral_solutes():
    # Negative fixed charge pulls cations in (V < 0); a neutral solute (z = 0) equilibrates.
    V, c_in = donnan(jnp.array([150.0, 150.0, 10.0]), jnp.array([1, -1, 0]), -50.0, 310.0)
    assert float(V) < 0
    assert float(c_in[0]) > 150.0 > float(c_in[1])
    assert float(c_in[2]) == pytest.approx(10.0, rel=1e-14)
    V, c_in = donnan(jnp.array([150.0, 150.0, 10.0]), jnp.array([1, -1, 0]), 50.0, 310.0)
    assert float(V) > 0


# --- random baths against brentq ----------------------------------------------------------


@pytest.mark.parametrize(
    "z",
    [
        [1, 1, -1],  # Na+, K+, Cl-
        [1, 1, 2, 2, -2, -1],  # Na+, K+, Ca2+, Mg2+, SO4 2-, Cl-
        [1, 1, 2, 3, -3, -1],  # with La3+ and citrate3-
    ],
    ids=["mono", "mono+di", "tri"],
)
def test_against_brentq(z):
    rng = np.random.default_rng(20 + len(z))
    c_bath, zz, rho, T = random_baths(rng, 48, z)
    V, c_in = (np.asarray(a) for a in donnan(c_bath, zz, rho, T))
    for i in range(len(T)):
        V_ref, c_ref = donnan_ref(c_bath[i], z, rho[i], T[i])
        assert V[i] == pytest.approx(V_ref, abs=1e-9), i
        np.testing.assert_allclose(c_in[i], c_ref, rtol=1e-10)
    # The definition, checked directly on the output: c_in = c_bath·exp(−zFV/RT) …
    np.testing.assert_allclose(c_in, c_bath * np.exp(-zz * V[:, None] / vt(T)[:, None]), rtol=1e-12)
    # … and the compartment is electroneutral …
    charge = (zz * c_in).sum(axis=1) + rho
    scale = (np.abs(zz) * c_in).sum(axis=1) + np.abs(rho)
    assert np.all(np.abs(charge) <= 1e-12 * scale)
    # … and every permeant ion sits at its Nernst potential, E = (RT/zF) ln(c_bath/c_in).
    for i in range(0, len(T), 8):
        for j, zj in enumerate(z):
            E = vt(T[i]) / zj * math.log(c_bath[i, j] / c_in[i, j])
            assert E == pytest.approx(V[i], abs=1e-9)


osmotic_imbalance = jax.jit(ionsweep.donnan_osmotic_imbalance)


def test_osmotic_imbalance_by_hand():
    # 150 mM KCl bath, 50 mM of a monovalent impermeant anion inside, 310.15 K (a third,
    # absent ion keeps the shape of the second case below and so one compiled kernel).
    rho = -50.0
    x = (-rho + math.sqrt(rho**2 + 4 * 150.0 * 150.0)) / (2 * 150.0)
    by_hand = 150.0 * x + 150.0 / x + 50.0 - 300.0
    got = float(
        osmotic_imbalance(jnp.array([150.0, 150.0, 0.0]), jnp.array([1, -1, 2]), rho, 310.15, 50.0)
    )
    assert got == pytest.approx(by_hand, rel=1e-12)
    assert round(got, 2) == 54.14  # the doc example's printed number
    # A divalent protein (charge −2 per molecule) and a Ca2+-containing bath, by brentq.
    c_bath, z = [140.0, 2.0, 144.0], [1, 2, -1]
    V_ref, c_ref = donnan_ref(c_bath, z, -2 * 30.0, 300.0)
    want = sum(c_ref) + 30.0 - sum(c_bath)
    got = float(osmotic_imbalance(jnp.array(c_bath), jnp.array(z), -60.0, 300.0, 30.0))
    assert got == pytest.approx(want, rel=1e-10)
    assert got > 0  # the Donnan compartment is always hyperosmotic


# --- invalid points are NaN --------------------------------------------------------------


def test_invalid_points_are_nan():
    cases = {
        "negative fixed charge, no cations": ([0.0, 150.0], -50.0, 310.0),
        "positive fixed charge, no anions": ([150.0, 0.0], 50.0, 310.0),
        "no ions at all": ([0.0, 0.0], 0.0, 310.0),
        "negative concentration": ([150.0, -1.0], -50.0, 310.0),
        "T = 0": ([150.0, 150.0], -50.0, 0.0),
        "T < 0": ([150.0, 150.0], -50.0, -1.0),
        "NaN fixed charge": ([150.0, 150.0], np.nan, 310.0),
        "inf concentration": ([np.inf, 150.0], -50.0, 310.0),
    }
    c = jnp.array([v[0] for v in cases.values()] + [[150.0, 150.0]])
    rho = jnp.array([v[1] for v in cases.values()] + [-50.0])
    T = jnp.array([v[2] for v in cases.values()] + [310.0])
    V, c_in = (np.asarray(a) for a in donnan(c, jnp.array([1, -1]), rho, T))
    for k, name in enumerate(cases):
        assert np.isnan(V[k]), name
        assert np.isnan(c_in[k]).all(), name
    assert np.isfinite(V[-1]) and np.isfinite(c_in[-1]).all()


def test_only_anions_with_positive_charge_is_valid():
    # Σ z c_in + ρ = 0 has a root with anions only when ρ > 0: Cl- alone, c_in = ρ.
    V, c_in = donnan(jnp.array([0.0, 100.0]), jnp.array([1, -1]), 40.0, 300.0)
    assert float(c_in[1]) == pytest.approx(40.0, rel=1e-13)
    assert float(V) == pytest.approx(vt(300.0) * math.log(40.0 / 100.0), rel=1e-13)


def test_no_ions_is_nan():
    V, c_in = donnan(jnp.zeros((2, 0)), jnp.zeros(0, int), jnp.array([-50.0, 0.0]), 310.0)
    assert np.isnan(np.asarray(V)).all() and c_in.shape == (2, 0)


def test_scalar_input_is_refused():
    with pytest.raises(ValueError, match="ion axis"):
        ionsweep.donnan(150.0, 1, -50.0, 310.0)


# --- gradients ---------------------------------------------------------------------------

GRAD_Z = jnp.array([1, 1, 2, 3, -1])  # Na+, K+, Ca2+, La3+, Cl-
GRAD_C = np.array([[140.0, 5.0, 2.0, 1.0, 152.0]] * 2)
GRAD_RHO = np.array([-40.0, 25.0])
GRAD_T = np.array([300.0, 310.0])


def test_check_grads():
    check_grads(
        jax.jit(lambda c, rho, T: ionsweep.donnan(c, GRAD_Z, rho, T)),
        (GRAD_C, GRAD_RHO, GRAD_T),
        order=1,
        modes=("fwd", "rev"),
    )


def test_gradients_match_finite_differences_of_brentq():
    z = np.asarray(GRAD_Z)

    def total(c, rho, T):
        V, c_in = ionsweep.donnan(c, GRAD_Z, rho, T)
        return jnp.sum(V), jnp.sum(c_in[:, 0])  # V and c_in of Na+

    jac = jax.jit(jax.jacrev(total, argnums=(0, 1, 2)))(GRAD_C, GRAD_RHO, GRAD_T)
    for out in range(2):
        for row in range(2):
            c, rho, T = GRAD_C[row], GRAD_RHO[row], GRAD_T[row]

            def ref(c, rho, T, out=out):
                V, c_in = donnan_ref(c, z, rho, T)
                return (V, c_in[0])[out]

            for j in range(5):
                h = 1e-5 * c[j]
                up, down = c.copy(), c.copy()
                up[j] += h
                down[j] -= h
                fd = (ref(up, rho, T) - ref(down, rho, T)) / (2 * h)
                got = float(jac[out][0][row, j])
                assert got == pytest.approx(fd, rel=1e-6, abs=1e-8), (out, row, j)
            fd = (ref(c, rho + 1e-4, T) - ref(c, rho - 1e-4, T)) / 2e-4
            assert float(jac[out][1][row]) == pytest.approx(fd, rel=1e-6, abs=1e-8)
            fd = (ref(c, rho, T + 1e-3) - ref(c, rho, T - 1e-3)) / 2e-3
            assert float(jac[out][2][row]) == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_nan_points_do_not_poison_gradients_of_valid_points():
    c = np.array([[140.0, 5.0, 2.0, 1.0, 152.0]] * 3)
    c[1, :4] = 0.0  # no cations with a negative fixed charge → NaN
    rho = np.array([-40.0, -40.0, -40.0])
    T = np.array([300.0, 300.0, -1.0])  # T < 0 → NaN

    def loss(c, rho, T):
        V, c_in = ionsweep.donnan(c, GRAD_Z, rho, T)
        return jnp.sum(jnp.where(jnp.isfinite(V), V, 0.0)) + jnp.sum(
            jnp.where(jnp.isfinite(c_in), c_in, 0.0)
        )

    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
    grads = grad(c, rho, T)
    clean = grad(np.array([[140.0, 5.0, 2.0, 1.0, 152.0]] * 3), rho, np.full(3, 300.0))
    for g, a in zip(grads, clean, strict=True):
        g = np.asarray(g)
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g[0], np.asarray(a)[0], rtol=1e-12)
        np.testing.assert_array_equal(g[1:], 0.0)


def test_integer_valence_path_matches_the_general_one():
    # Integer valences within ±3 take one exp per point and products for the powers; any
    # other z takes exp(−z·v) per ion. A valence 1e-12 away from an integer must agree.
    from ionsweep.physics.donnan import _exp_neg_zv, _exp_neg_zv_small_int

    rng = np.random.default_rng(5)
    c = np.stack([rng.uniform(2, 150, 50), rng.uniform(1, 60, 50), rng.uniform(0.5, 10, 50)], -1)
    c = np.concatenate([c, (c[:, :1] + 2 * c[:, 2:] - c[:, 1:2])], -1)  # + Cl- to neutrality
    c[:, 3] = np.abs(c[:, 3])
    z_int = np.array([1.0, -2.0, 2.0, -1.0])
    rho = -rng.uniform(1, 200, 50)
    V_int, c_int = ionsweep.donnan(c, z_int, rho, 310.0)
    V_gen, c_gen = ionsweep.donnan(c, z_int + 1e-12, rho, 310.0)
    np.testing.assert_allclose(V_int, V_gen, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(c_int, c_gen, rtol=1e-9)
    # The custom derivative rule is exp(−z·v)'s, in v and in z. Both functions take the
    # batch v (...) and the valences (..., n_ions).
    v = jnp.linspace(-3.0, 3.0, 7)
    z = jnp.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(_exp_neg_zv_small_int(v, z), _exp_neg_zv(v, z), rtol=1e-14)
    for tangents in ((jnp.ones(7), jnp.zeros(7)), (jnp.zeros(7), jnp.ones(7))):
        _, got = jax.jvp(_exp_neg_zv_small_int, (v, z), tangents)
        _, want = jax.jvp(_exp_neg_zv, (v, z), tangents)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)


def test_large_batches_are_solved_block_by_block_with_the_same_results():
    # Above 2 × BLOCK_POINTS points the solve runs block by block, the last block shifted
    # back to overlap its neighbour; every point must come out as when solved on its own,
    # including per-point valences (a valence axis) and gradients.
    from ionsweep.physics.donnan import BLOCK_POINTS

    rng = np.random.default_rng(7)
    shape = (3, 2 * BLOCK_POINTS // 3 + 1001)  # leading axes kept; not a block multiple
    K = rng.uniform(2, 150, shape)
    Ca = rng.uniform(0.5, 10, shape)
    c = np.stack([K, K + 2 * Ca, Ca], -1)
    rho = -rng.uniform(1, 200, shape)
    rho[0, :5] = np.nan  # invalid points stay NaN
    T = rng.uniform(293, 310, shape)
    z = np.broadcast_to(np.array([1.0, -1.0, 2.0]), c.shape).copy()
    z[1, :, 2] = 1.0  # some points with a monovalent third cation (per-point valences)
    idx = (rng.integers(0, 3, 300), rng.integers(0, shape[1], 300))
    for zz in (np.array([1.0, -1.0, 2.0]), z):
        V, c_in = ionsweep.donnan(c, zz, rho, T)
        assert V.shape == shape and c_in.shape == (*shape, 3)
        assert np.isnan(np.asarray(V[0, :5])).all() and np.isfinite(np.asarray(V[0, 5:])).all()
        z_sub = zz if zz.ndim == 1 else zz[idx]
        V_small, c_small = ionsweep.donnan(c[idx], z_sub, rho[idx], T[idx])
        np.testing.assert_allclose(np.asarray(V)[idx], V_small, rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(np.asarray(c_in)[idx], c_small, rtol=1e-13)

    def total(r):
        V, _ = ionsweep.donnan(c, [1, -1, 2], r, T)
        return jnp.sum(jnp.where(jnp.isfinite(V), V, 0))

    g = np.asarray(jax.grad(total)(jnp.asarray(rho)))
    assert np.all(g[0, :5] == 0) and np.isfinite(g).all()
    dV = jax.vmap(jax.grad(lambda r, cc, t: ionsweep.donnan(cc, [1, -1, 2], r, t)[0]))
    np.testing.assert_allclose(g[idx], dV(rho[idx], c[idx], T[idx]), rtol=1e-10)
