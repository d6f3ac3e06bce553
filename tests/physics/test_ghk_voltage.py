"""GHK voltage: textbook Goldman equation, brentq on the summed GHK current, NaN, grads."""

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
    """RT/F in mV."""
    return 1000.0 * R * T / F


def goldman(PK, PNa, PCl, K, Na, Cl, T):
    """Textbook Goldman equation for K+, Na+, Cl- (Goldman 1943; Hodgkin & Katz 1949), mV.

    K, Na, Cl are (inside, outside) pairs.
    """
    num = PK * K[1] + PNa * Na[1] + PCl * Cl[0]
    den = PK * K[0] + PNa * Na[0] + PCl * Cl[1]
    return vt(T) * math.log(num / den)


def net_ghk_current(v, P, ci, co, z):
    """Σ_i P_i z_i² v (c_in − c_out e^{−z v}) / (1 − e^{−z v}), v = FV/RT (constant factors
    dropped); the textbook GHK current equation summed over ions, written independently of
    the kernel (no Bernoulli function, no quadratic)."""
    total = 0.0
    for p, a, b, zz in zip(P, ci, co, z, strict=True):
        if p == 0:
            continue
        u = zz * v
        if u == 0.0:
            total += p * zz * (a - b)
        else:
            total += p * zz * zz * v * (a - b * math.exp(-u)) / (-math.expm1(-u))
    return total


def ghk_voltage_ref(P, ci, co, z, T):
    """Zero-current potential by brentq on the summed GHK current, mV."""
    v = brentq(net_ghk_current, -40.0, 40.0, args=(P, ci, co, z), xtol=1e-15, rtol=1e-15)
    return vt(T) * v


ghk_voltage = jax.jit(ionsweep.ghk_voltage)


def log_uniform(rng, lo, hi, size):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def random_mix(rng, n, z_extra):
    """n points of K+, Na+, Cl- plus extra ions of valences ``z_extra`` (n, k)."""
    k = z_extra.shape[1]
    z = np.concatenate([np.broadcast_to([1, 1, -1], (n, 3)), z_extra], axis=1)
    P = log_uniform(rng, 1e-3, 1.0, (n, 3 + k))
    ci = log_uniform(rng, 1e-4, 1e3, (n, 3 + k))
    co = log_uniform(rng, 1e-4, 1e3, (n, 3 + k))
    T = rng.uniform(273.0, 323.0, n)
    return P, ci, co, z, T


def check_against_brentq(P, ci, co, z, T):
    got = np.asarray(ghk_voltage(P, ci, co, z, T))
    want = np.array([ghk_voltage_ref(*a) for a in zip(P, ci, co, z, T, strict=True)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


# --- closed forms ------------------------------------------------------------------------


def test_squid_axon_goldman():
    # Squid giant axon (Hodgkin & Katz 1949; concentrations as in Hille's textbook):
    # P_K : P_Na : P_Cl = 1 : 0.04 : 0.45 at 6.3 °C.
    P, ci, co = [1.0, 0.04, 0.45], [400.0, 50.0, 40.0], [20.0, 440.0, 560.0]
    T = 279.45
    want = goldman(1.0, 0.04, 0.45, (400, 20), (50, 440), (40, 560), T)
    got = ghk_voltage(jnp.array(P), jnp.array(ci), jnp.array(co), jnp.array([1, 1, -1]), T)
    assert float(got) == pytest.approx(want, abs=1e-10)


def test_monovalent_random_against_goldman():
    # K+, Na+, Cl- permeant; two further ions (Ca2+ and one with z = 0) have P = 0 and
    # arbitrary concentrations, and must be ignored. (The batch shape is shared with the
    # tests below, and so is the compiled kernel.)
    rng = np.random.default_rng(10)
    P, ci, co, z, T = random_mix(rng, 64, np.tile([2, 0], (64, 1)))
    P[:, 3:] = 0.0
    got = np.asarray(ghk_voltage(P, ci, co, z, T))
    want = [
        goldman(p[0], p[1], p[2], (a[0], b[0]), (a[1], b[1]), (a[2], b[2]), t)
        for p, a, b, t in zip(P, ci, co, T, strict=True)
    ]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_bi_ionic_closed_forms():
    T = 300.0
    P = [[1.0, 0.3], [0.7, 1.0], [0.7, 1.0]]
    ci = [[140.0, 0.0], [10.0, 0.0], [10.0, 0.0]]
    co = [[0.0, 145.0], [0.0, 2.0], [0.0, 2.0]]
    z = [[1, 1], [2, 2], [3, 3]]
    got = np.asarray(ghk_voltage(jnp.array(P), jnp.array(ci), jnp.array(co), jnp.array(z), T))
    want = [
        # K+ only inside, Na+ only outside: V = (RT/F) ln(P_Na [Na]o / (P_K [K]i)).
        vt(T) * math.log(0.3 * 145.0 / 140.0),
        # Ba2+ only inside, Ca2+ only outside: V = (RT/2F) ln(P_Ca [Ca]o / (P_Ba [Ba]i)).
        vt(T) / 2 * math.log(1.0 * 2.0 / (0.7 * 10.0)),
        # Two trivalent ions, bi-ionic (root solve): V = (RT/3F) ln(P_b [b]o / (P_a [a]i)).
        vt(T) / 3 * math.log(1.0 * 2.0 / (0.7 * 10.0)),
    ]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-11)


@settings(max_examples=30, deadline=None)
@given(
    c_in=st.floats(1e-4, 1e3),
    c_out=st.floats(1e-4, 1e3),
    z=st.sampled_from([-3, -2, -1, 1, 2, 3]),
    T=st.floats(273.0, 323.0),
)
def test_single_ion_is_nernst(c_in, c_out, z, T):
    # One permeant ion: zero current exactly at its Nernst potential (seed, "反转电位").
    got = float(
        ghk_voltage(jnp.array([0.3]), jnp.array([c_in]), jnp.array([c_out]), jnp.array([z]), T)
    )
    assert got == pytest.approx(vt(T) / z * math.log(c_out / c_in), rel=1e-12, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(1e-6, 1e6), seed=st.integers(0, 2**32 - 1))
def test_only_permeability_ratios_matter(scale, seed):
    rng = np.random.default_rng(seed)
    P, ci, co, z, T = random_mix(rng, 64, np.tile([2, 3], (64, 1)))
    a = np.asarray(ghk_voltage(P, ci, co, z, T))
    b = np.asarray(ghk_voltage(P * scale, ci, co, z, T))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


# --- random mixes against brentq ----------------------------------------------------------


def test_mono_and_divalent_against_brentq():
    # K+, Na+, Cl-, Ca2+ and SO4 2-: the closed-form (quadratic) path, divalent cation and
    # anion.
    rng = np.random.default_rng(11)
    check_against_brentq(*random_mix(rng, 64, np.tile([2, -2], (64, 1))))


def test_trivalent_against_brentq():
    # K+, Na+, Cl-, Ca2+, La3+: the root-solve path.
    rng = np.random.default_rng(13)
    check_against_brentq(*random_mix(rng, 64, np.tile([2, 3], (64, 1))))


def test_random_valences_against_brentq():
    # K+, Na+, Cl- plus two ions of random valence −3…+3 (z ≠ 0), some with P = 0: rows mix
    # the quadratic and the root-solve paths in one batch.
    rng = np.random.default_rng(14)
    z_extra = rng.choice([-3, -2, -1, 1, 2, 3], (64, 2))
    P, ci, co, z, T = random_mix(rng, 64, z_extra)
    P[rng.uniform(size=P.shape) < 0.15] = 0.0
    P[:, :3] = np.maximum(P[:, :3], 1e-3)  # K, Na, Cl stay permeant: every row is valid
    check_against_brentq(P, ci, co, z, T)


def test_broadcasting_over_leading_axes():
    P = jnp.array([1.0, 0.05, 0.45, 0.1])
    ci = jnp.array([140.0, 12.0, 7.0, 1e-4])
    co = jnp.array([5.0, 145.0, 120.0, 2.0])
    z = jnp.array([1, 1, -1, 3])
    T = jnp.array([290.0, 300.0, 310.0])
    got = np.asarray(ghk_voltage(P, ci, co, z, T[:, None, None]))
    assert got.shape == (3, 1, 1)
    want = [ghk_voltage_ref(P.tolist(), ci.tolist(), co.tolist(), z.tolist(), t) for t in T]
    np.testing.assert_allclose(got.ravel(), want, atol=1e-9)


# --- invalid points are NaN --------------------------------------------------------------


INVALID = {
    # a lone cation with nothing inside: no ion can carry outward current
    "no outward carrier": ([1.0], [0.0], [5.0], [1], 310.0),
    # ... with nothing outside: no ion can carry inward current
    "no inward carrier": ([1.0], [140.0], [0.0], [1], 310.0),
    "no outward carrier, trivalent": ([1.0], [0.0], [5.0], [3], 310.0),
    "K+ outside only, Cl- inside only": ([1.0, 0.5], [0.0, 7.0], [5.0, 0.0], [1, -1], 310.0),
    "z = 0 with P > 0": ([1.0, 0.1], [140.0, 12.0], [5.0, 145.0], [1, 0], 310.0),
    "negative P": ([1.0, -0.1], [140.0, 12.0], [5.0, 145.0], [1, 1], 310.0),
    "negative c": ([1.0, 0.1], [140.0, -12.0], [5.0, 145.0], [1, 1], 310.0),
    "T = 0": ([1.0, 0.1], [140.0, 12.0], [5.0, 145.0], [1, 1], 0.0),
    "T < 0": ([1.0, 0.1], [140.0, 12.0], [5.0, 145.0], [1, 1], -300.0),
    "NaN c": ([1.0, 0.1], [140.0, np.nan], [5.0, 145.0], [1, 1], 310.0),
    "inf P": ([1.0, np.inf], [140.0, 12.0], [5.0, 145.0], [1, 1], 310.0),
    "NaN T, trivalent": ([1.0, 0.1], [140.0, 12.0], [5.0, 145.0], [1, 3], np.nan),
    # La3+ alone with a 1e40 gradient: root at (RT/3F) ln 1e40 = 30.7 RT/F, beyond the
    # documented ±30 RT/F bracket of the general solve.
    "root beyond bracket": ([1.0], [1e-40], [1.0], [3], 310.0),
}
VALID_ROW = ([1.0, 0.04], [140.0, 12.0], [5.0, 145.0], [1, 1], 310.0)


def _two_ions(P, ci, co, z, T):
    """Pad a one-ion case with an impermeant (P = 0) dummy ion, which is ignored."""
    pad = 2 - len(P)
    return P + [0.0] * pad, ci + [1.0] * pad, co + [1.0] * pad, z + [1] * pad, T


def test_invalid_points_are_nan():
    # All cases in one batch next to one valid row: every invalid row is NaN, the valid
    # row is not.
    rows = [_two_ions(*r) for r in (*INVALID.values(), VALID_ROW)]
    P, ci, co, z, T = (np.array([r[i] for r in rows]) for i in range(5))
    V = np.asarray(ghk_voltage(P, ci, co, z, T))
    for name, v in zip(INVALID, V[:-1], strict=True):
        assert np.isnan(v), name
    assert np.isfinite(V[-1])


def test_no_ions_is_nan():
    # An empty ion axis: no permeant ion, no zero-current potential.
    empty = jnp.zeros((3, 0))
    V = np.asarray(ghk_voltage(empty, empty, empty, jnp.zeros((3, 0), int), 310.0))
    assert V.shape == (3,) and np.isnan(V).all()


def test_long_ion_axis_against_brentq():
    # 20 ions of random valence (beyond the kernel's unrolled reductions, which stop at 16).
    rng = np.random.default_rng(15)
    check_against_brentq(*random_mix(rng, 4, rng.choice([-3, -2, -1, 1, 2, 3], (4, 17))))


def test_scalar_input_is_refused():
    with pytest.raises(ValueError, match="ion axis"):
        ionsweep.ghk_voltage(1.0, 140.0, 5.0, 1, 310.0)


# --- gradients ---------------------------------------------------------------------------

# One batch of physiological-ish mixes on a common ion axis K+, Na+, Cl-, Ca2+, La3+, with
# moderate concentrations so the derivative in every argument is O(1) for finite
# differences. The mask makes row 0 monovalent only, row 1 mono + divalent (both closed
# forms) and row 2 include La3+ (root solve, implicit-function gradient).
GRAD_Z = jnp.array([1, 1, -1, 2, 3])
GRAD_P = np.array([[1.0, 0.05, 0.45, 0.3, 0.2]] * 3)
GRAD_CI = np.array([[140.0, 12.0, 7.0, 1.0, 0.5]] * 3)
GRAD_CO = np.array([[5.0, 145.0, 120.0, 2.0, 3.0]] * 3)
GRAD_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], float)
GRAD_T = np.array([300.0, 310.0, 320.0])


def _total_voltage(P, ci, co, T):
    V = ionsweep.ghk_voltage(P, ci, co, GRAD_Z, T)
    return jnp.sum(jnp.where(jnp.isfinite(V), V, 0.0))


# Rows are independent, so the gradient of the (masked) sum is each row's gradient.
grad_total_voltage = jax.jit(jax.grad(_total_voltage, argnums=(0, 1, 2, 3)))


def test_check_grads():
    # Order 1, fwd and rev. (Order 2 passes too but costs ~12 s of XLA compilation of the
    # differentiated while loop, so it is left out of the unit tests.)
    mask = jnp.asarray(GRAD_MASK)
    f = jax.jit(lambda P, ci, co, T: ionsweep.ghk_voltage(P * mask, ci, co, GRAD_Z, T))
    check_grads(f, (GRAD_P, GRAD_CI, GRAD_CO, GRAD_T), order=1, modes=("fwd", "rev"))


def test_gradients_match_finite_differences_of_brentq():
    P = GRAD_P * GRAD_MASK
    g = [np.asarray(a) for a in grad_total_voltage(P, GRAD_CI, GRAD_CO, GRAD_T)]
    z = np.asarray(GRAD_Z)

    def ref(args, T):
        return ghk_voltage_ref(*args, z, T)

    for row in range(3):
        base = [P[row], GRAD_CI[row], GRAD_CO[row]]
        T = GRAD_T[row]
        for which in range(3):
            for i in range(5):
                if P[row, i] == 0:
                    continue  # an impermeant ion: the derivative is one-sided
                up = [a.copy() for a in base]
                down = [a.copy() for a in base]
                # Relative step 1e-5: truncation ~1e-10, brentq noise ~1e-13 mV / h.
                h = 1e-5 * base[which][i]
                up[which][i] += h
                down[which][i] -= h
                fd = (ref(up, T) - ref(down, T)) / (2 * h)
                assert g[which][row, i] == pytest.approx(fd, rel=1e-6, abs=1e-8), (row, which, i)
        dT = 1e-3
        fd_T = (ref(base, T + dT) - ref(base, T - dT)) / (2 * dT)
        assert g[3][row] == pytest.approx(fd_T, rel=1e-8)
        # V is proportional to T at fixed P and concentrations: ∂V/∂T = V/T exactly.
        assert g[3][row] == pytest.approx(ref(base, T) / T, rel=1e-10)


def test_nan_points_do_not_poison_gradients_of_valid_points():
    P, ci, co, T = (np.array(a) for a in (GRAD_P, GRAD_CI, GRAD_CO, GRAD_T))
    clean = [np.asarray(a) for a in grad_total_voltage(P, ci, co, T)]
    ci[0, [0, 1, 3, 4]] = 0.0  # no cation inside and
    co[0, 2] = 0.0  # no Cl- outside: nothing can carry outward current → NaN
    P[1, 1] = -1.0  # negative permeability → NaN (the La3+ row is row 2, still valid)
    V = np.asarray(ghk_voltage(P, ci, co, GRAD_Z, T))
    assert np.isnan(V[:2]).all() and np.isfinite(V[2])
    grads = [np.asarray(a) for a in grad_total_voltage(P, ci, co, T)]
    for g, c in zip(grads, clean, strict=True):
        assert np.isfinite(g).all()
        np.testing.assert_array_equal(g[:2], 0.0)
        np.testing.assert_allclose(g[2], c[2], rtol=1e-12)


def test_gradient_finite_at_extreme_valid_potentials():
    # A 1e17 concentration ratio puts the reversal potential near ±1 V. There 4Ac << b² in
    # the quadratic, so sqrt(b² + 4Ac) − b rounds to 0 in float64; the gradient must still be
    # the Nernst one, not NaN (only one branch of the quadratic formula may be evaluated).
    P = np.zeros((3, 5))
    ci = np.ones((3, 5))
    co = np.ones((3, 5))
    P[0, 0], ci[0, 0], co[0, 0] = 1.0, 1e3, 1e-14  # K+:   V = (RT/F) ln(1e-17) ≈ −1 V
    P[1, 2], ci[1, 2], co[1, 2] = 1.0, 1e-14, 1e3  # Cl-:  V = −(RT/F) ln(1e17)
    P[2, 0], ci[2, 0], co[2, 0] = 1.0, 1e-14, 1e3  # K+:   V ≈ +1 V (the other branch)
    T = GRAD_T
    V = np.asarray(ghk_voltage(P, ci, co, GRAD_Z, T))
    v_t = vt(T)
    np.testing.assert_allclose(
        V, [-v_t[0] * math.log(1e17), -v_t[1] * math.log(1e17), v_t[2] * math.log(1e17)], rtol=1e-12
    )
    g = [np.asarray(a) for a in grad_total_voltage(P, ci, co, T)]
    assert all(np.isfinite(a).all() for a in g)
    # Nernst: ∂E/∂c_in = −RT/(zF c_in), ∂E/∂c_out = RT/(zF c_out), ∂E/∂T = E/T.
    for row, ion, z in ((0, 0, 1), (1, 2, -1), (2, 0, 1)):
        assert g[1][row, ion] == pytest.approx(-v_t[row] / (z * ci[row, ion]), rel=1e-9)
        assert g[2][row, ion] == pytest.approx(v_t[row] / (z * co[row, ion]), rel=1e-9)
        assert g[3][row] == pytest.approx(V[row] / T[row], rel=1e-12)


def test_valences_within_two_traces_the_closed_form_alone():
    P, ci, co = (
        jnp.array([1.0, 0.04, 0.45]),
        jnp.array([400.0, 50.0, 40.0]),
        jnp.array([20.0, 440.0, 560.0]),
    )
    z = jnp.array([1.0, 1.0, -1.0])

    def traced(within_two):
        f = lambda P: ionsweep.ghk_voltage(P, ci, co, z, 279.45, valences_within_two=within_two)  # noqa: E731
        return str(jax.make_jaxpr(f)(P))

    assert "while" in traced(False)  # the general solve, behind lax.cond
    assert "while" not in traced(True)
    V = ionsweep.ghk_voltage(P, ci, co, z, 279.45, valences_within_two=True)
    expected = goldman(1.0, 0.04, 0.45, (400.0, 20.0), (50.0, 440.0), (40.0, 560.0), 279.45)
    np.testing.assert_allclose(float(V), expected, rtol=1e-12)
