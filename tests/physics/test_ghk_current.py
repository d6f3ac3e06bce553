"""GHK current against NEURON's ghk()/efun(), the textbook form, limits, NaN and gradients."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import ionsweep

# NEURON >= 7.8 takes FARADAY and R from CODATA 2018 by default (nrnunits.lib,
# src/oc/nrnunits_modern.h in neuronsimulator/nrn; NRNUNIT_USE_LEGACY=0), i.e. the exact
# products of the 2019 SI defining constants below.
R = 6.02214076e23 * 1.380649e-23  # J/(mol K)
FARADAY = 6.02214076e23 * 1.602176634e-19  # C/mol


def efun(x):
    """NEURON's efun(z) from cachan.mod: z/(exp(z) − 1), and 1 − z/2 for |z| < 1e-4."""
    if abs(x) < 1e-4:
        return 1 - x / 2
    return x / (math.exp(x) - 1)


def neuron_ghk(v, ci, co, z, T):
    """NEURON's ghk(v, ci, co) (cachan.mod, written there for z = 2) with general z.

    FUNCTION ghk(v(mV), ci(mM), co(mM)) (.001 coul/cm3) {
        z = (1e-3)*2*FARADAY*v/(R*(celsius+273.15))
        eco = co*efun(z)
        eci = ci*efun(-z)
        ghk = (.001)*2*FARADAY*(eci - eco)
    }
    Times P in cm/s this is mA/cm², outward positive.
    """
    u = 1e-3 * z * FARADAY * v / (R * T)
    return 1e-3 * z * FARADAY * (ci * efun(-u) - co * efun(u))


def textbook_ghk(V, P, ci, co, z, T):
    """I = P z²F²V/(RT) · (c_in − c_out e^{−zFV/RT}) / (1 − e^{−zFV/RT}) (Hille, ch. 14), mA/cm²."""
    u = 1e-3 * z * FARADAY * V / (R * T)
    return 1e-3 * P * z * FARADAY * u * (ci - co * math.exp(-u)) / (-math.expm1(-u))


def one_way_scale(V, P, ci, co, z, T):
    """|P|·zF·(c_in B(−u) + c_out B(u)): the size of the unidirectional fluxes, mA/cm²."""
    u = 1e-3 * z * FARADAY * V / (R * T)

    def b(x):
        return 1.0 if x == 0 else x / math.expm1(x)

    return 1e-3 * abs(P * z) * FARADAY * (ci * b(-u) + co * b(u))


ghk_current = jax.jit(ionsweep.ghk_current)


def random_points(n, seed):
    rng = np.random.default_rng(seed)
    V = rng.uniform(-150.0, 150.0, n)
    V[: n // 10] = rng.uniform(-1e-2, 1e-2, n // 10)  # include the neighbourhood of V = 0
    V[n // 10] = 0.0
    P = np.exp(rng.uniform(np.log(1e-8), np.log(1e-3), n))
    ci = np.exp(rng.uniform(np.log(1e-4), np.log(1e3), n))
    co = np.exp(rng.uniform(np.log(1e-4), np.log(1e3), n))
    z = rng.choice([-3, -2, -1, 1, 2, 3], n)
    T = rng.uniform(273.0, 323.0, n)
    return V, P, ci, co, z, T


def test_against_neuron_formula():
    pts = random_points(400, seed=2)
    got = np.asarray(ghk_current(*pts))
    for i, (V, P, ci, co, z, T) in enumerate(zip(*pts, strict=True)):
        want = P * neuron_ghk(V, ci, co, z, T)
        # NEURON's 1 − z/2 branch is accurate to z²/12 ≤ 1e-9 relative, and z/(exp(z) − 1)
        # just above |z| = 1e-4 loses ~eps/|z| ≈ 2e-12: compare on the scale of the
        # unidirectional fluxes, since the net current may cancel.
        scale = one_way_scale(V, P, ci, co, z, T)
        assert abs(got[i] - want) <= 2e-9 * scale, (i, got[i], want)


def test_against_textbook_form():
    pts = random_points(400, seed=3)
    got = np.asarray(ghk_current(*pts))
    for i, (V, P, ci, co, z, T) in enumerate(zip(*pts, strict=True)):
        if V == 0.0:
            continue
        want = textbook_ghk(V, P, ci, co, z, T)
        assert abs(got[i] - want) <= 1e-12 * one_way_scale(V, P, ci, co, z, T), i


def test_limit_at_zero_voltage():
    # V → 0: u/(1 − e^{−u}) → 1, so I(0) = P·zF·(c_in − c_out) (×1e-3 for mA/cm²).
    for z in (1, -1, 2, 3):
        got = float(ionsweep.ghk_current(0.0, 1e-5, 140.0, 5.0, z, 310.0))
        assert got == pytest.approx(1e-3 * 1e-5 * z * FARADAY * 135.0, rel=1e-14)


def test_sign_convention_outward_positive():
    # K+ at V = 0 with more inside flows out: outward current > 0.
    assert float(ionsweep.ghk_current(0.0, 1e-6, 140.0, 5.0, 1, 310.0)) > 0
    # Ca2+ at −65 mV flows in: inward current < 0.
    assert float(ionsweep.ghk_current(-65.0, 1e-6, 1e-4, 1.5, 2, 310.0)) < 0
    # Cl- (z = −1) at +20 mV, well above E_Cl, flows in: outward current > 0.
    assert float(ionsweep.ghk_current(20.0, 1e-6, 7.0, 120.0, -1, 310.0)) > 0


@pytest.mark.parametrize("z", [1, -1, 2, -2, 3])
def test_zero_at_nernst_potential(z):
    ci, co, T = 12.0, 145.0, 310.0
    E = 1000 * R * T / (z * FARADAY) * math.log(co / ci)
    current = float(ionsweep.ghk_current(E, 1e-5, ci, co, z, T))
    assert abs(current) <= 1e-13 * one_way_scale(E, 1e-5, ci, co, z, T)


def test_symmetry_under_swapping_sides():
    # Reversing V and swapping c_in ↔ c_out reverses the current (GHK is odd in this sense).
    V, P, ci, co, z, T = random_points(64, seed=4)
    a = np.asarray(ghk_current(V, P, ci, co, z, T))
    b = np.asarray(ghk_current(-V, P, co, ci, z, T))
    np.testing.assert_allclose(a, -b, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "args",
    [
        (10.0, 1e-6, 140.0, 5.0, 0, 310.0),  # z = 0
        (10.0, -1e-6, 140.0, 5.0, 1, 310.0),  # negative P
        (10.0, 1e-6, -1.0, 5.0, 1, 310.0),  # negative concentration
        (10.0, 1e-6, 140.0, -5.0, 1, 310.0),
        (10.0, 1e-6, 140.0, 5.0, 1, 0.0),  # T = 0
        (10.0, 1e-6, 140.0, 5.0, 1, -5.0),
        (np.nan, 1e-6, 140.0, 5.0, 1, 310.0),
        (10.0, 1e-6, np.inf, 5.0, 1, 310.0),
    ],
)
def test_invalid_points_are_nan(args):
    assert np.isnan(float(ionsweep.ghk_current(*args)))


def test_zero_concentrations_are_allowed():
    # c = 0 on one side is valid (e.g. bi-ionic conditions): the current is one-way.
    assert float(ionsweep.ghk_current(-50.0, 1e-6, 0.0, 5.0, 1, 310.0)) == pytest.approx(
        textbook_ghk(-50.0, 1e-6, 0.0, 5.0, 1, 310.0), rel=1e-13
    )


# --- gradients ---------------------------------------------------------------------------

# V = 0 exactly (the removable singularity), just beside it, and far from it.
V_POINTS = jnp.array([0.0, 1e-6, -1e-6, 1e-3, -1e-3, 200.0, -200.0])
Z_POINTS = jnp.array([1, -1, 2, 3])


def test_check_grads():
    # One batched call covers every (V, z) pair: the kernel is elementwise, so each element
    # is checked in its own random direction. P = 1 cm/s: I is linear in P, and with P = O(1)
    # no argument has a huge derivative, so check_grads' finite differences (step 1e-4 in
    # every argument) stay accurate.
    shape = (V_POINTS.size, Z_POINTS.size)
    f = jax.jit(lambda V, P, ci, co, T: ionsweep.ghk_current(V, P, ci, co, Z_POINTS, T))
    args = (
        jnp.broadcast_to(V_POINTS[:, None], shape),
        jnp.ones(shape),
        jnp.full(shape, 140.0),
        jnp.full(shape, 5.0),
        jnp.full(shape, 310.0),
    )
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_voltage_derivative_at_zero():
    P, ci, co, T = 1e-5, 140.0, 5.0, 310.0
    dI_dV = jax.jit(jax.vmap(jax.grad(ionsweep.ghk_current), (None,) * 4 + (0, None)))
    g = np.asarray(dI_dV(0.0, P, ci, co, Z_POINTS, T))
    vt = 1000 * R * T / FARADAY
    h = 1e-2
    for z, gz in zip(Z_POINTS.tolist(), g, strict=True):
        # Closed form: B(u) = 1 − u/2 + …, so ∂I/∂V at 0 = P·1e-3·zF·(c_in + c_out)·z/(2 V_T).
        assert gz == pytest.approx(1e-3 * P * z * FARADAY * (ci + co) * z / (2 * vt), rel=1e-12)
        # Central difference of NEURON's scalar formula (h = 1e-2 mV: |u| > 1e-4, so the
        # exp branch of efun; truncation error O(h²) ≈ 1e-9 relative).
        fd = P * (neuron_ghk(h, ci, co, z, T) - neuron_ghk(-h, ci, co, z, T)) / (2 * h)
        assert gz == pytest.approx(fd, rel=1e-7)


def test_gradient_is_finite_and_smooth_through_zero():
    # ∂I/∂V on a 0.01 mV grid through V = 0, across the switch between the Taylor series and
    # the exponential form (|u| = 1e-2, V ≈ 0.13 mV for z = 2): finite and without jumps,
    # and equal to a central difference of the textbook form away from V = 0.
    dI = jax.jit(jax.vmap(jax.grad(ionsweep.ghk_current), (0, None, None, None, None, None)))
    V = jnp.linspace(-2.0, 2.0, 401)
    g = np.asarray(dI(V, 1e-5, 140.0, 5.0, 2, 310.0))
    assert np.isfinite(g).all()
    assert np.max(np.abs(np.diff(g))) < 1e-3 * np.max(np.abs(g))
    h = 1e-5
    for v, gv in zip(np.asarray(V)[::40], g[::40], strict=True):
        if abs(v) > 1e-3:
            fd = (
                textbook_ghk(v + h, 1e-5, 140.0, 5.0, 2, 310.0)
                - textbook_ghk(v - h, 1e-5, 140.0, 5.0, 2, 310.0)
            ) / (2 * h)
            assert gv == pytest.approx(fd, rel=1e-6)


def test_nan_points_do_not_poison_gradients_of_valid_points():
    # Two valid points (one at V = 0), then negative P, negative c_in and z = 0.
    V = jnp.array([0.0, -65.0, 10.0, 10.0, 10.0])
    P = jnp.array([1e-5, 1e-5, -1e-5, 1e-5, 1e-5])
    ci = jnp.array([140.0, 12.0, 140.0, -1.0, 140.0])
    z = jnp.array([1, 1, 1, 1, 0])

    def loss(V, P, ci):
        current = ionsweep.ghk_current(V, P, ci, 5.0, z, 310.0)
        return jnp.sum(jnp.where(jnp.isfinite(current), current, 0.0))

    grads = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(V, P, ci)
    for g in grads:
        g = np.asarray(g)
        assert np.isfinite(g[:2]).all()
        np.testing.assert_array_equal(g[2:], 0.0)
