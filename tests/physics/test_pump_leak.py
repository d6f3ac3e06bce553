"""Pump–leak steady state against the Mullins–Noda formula and the Goldman equation."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import ionsweep

# R = N_A k, F = N_A e from the exact 2019 SI defining constants (CODATA 2018).
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19


def mullins_noda(P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r):
    """Mullins & Noda (1963, J. Gen. Physiol. 47:117), eq. for the steady potential, mV:
    V = (RT/F) ln((r P_K [K]o + P_Na [Na]o) / (r P_K [K]i + P_Na [Na]i))."""
    return (
        1000
        * R
        * T
        / F
        * math.log((r * P_K * K_out + P_Na * Na_out) / (r * P_K * K_in + P_Na * Na_in))
    )


def goldman_k_na(P_K, P_Na, K_in, K_out, Na_in, Na_out, T):
    """Goldman (1943) / Hodgkin & Katz (1949) equation for K+ and Na+ only, mV."""
    return 1000 * R * T / F * math.log((P_K * K_out + P_Na * Na_out) / (P_K * K_in + P_Na * Na_in))


pump_leak = jax.jit(ionsweep.pump_leak_voltage)


def random_args(n, seed):
    rng = np.random.default_rng(seed)

    def lu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    return (
        lu(1e-3, 1.0),
        lu(1e-3, 1.0),
        lu(1e-4, 1e3),
        lu(1e-4, 1e3),
        lu(1e-4, 1e3),
        lu(1e-4, 1e3),
        rng.uniform(273.0, 323.0, n),
        rng.uniform(0.5, 3.0, n),
    )


def test_against_mullins_noda():
    args = random_args(300, seed=40)
    got = np.asarray(pump_leak(*args))
    want = [mullins_noda(*a) for a in zip(*args, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-11)


def test_r_equal_one_is_goldman():
    args = random_args(300, seed=41)[:7]
    got = np.asarray(pump_leak(*args, np.ones(300)))
    want = [goldman_k_na(*a) for a in zip(*args, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-11)
    # … and the same number as the GHK voltage kernel with K+ and Na+.
    P = np.stack(args[:2], -1)
    ci = np.stack([args[2], args[4]], -1)
    co = np.stack([args[3], args[5]], -1)
    ghk = np.asarray(jax.jit(ionsweep.ghk_voltage)(P, ci, co, np.array([1, 1]), args[6]))
    np.testing.assert_allclose(got, ghk, rtol=1e-12, atol=1e-10)


def test_typical_cell_and_pump_hyperpolarizes():
    # P_K : P_Na = 1 : 0.04, K 140/5, Na 12/145 mM, 310.15 K (the docstring example).
    args = (1.0, 0.04, 140.0, 5.0, 12.0, 145.0, 310.15)
    V15 = float(ionsweep.pump_leak_voltage(*args))  # default r = 3/2
    assert V15 == pytest.approx(mullins_noda(*args, 1.5), abs=1e-11)
    assert round(V15, 1) == -73.8
    # dV/dr ∝ P_K P_Na ([K]o[Na]i − [Na]o[K]i) < 0 here: the 3:2 pump hyperpolarizes the
    # cell beyond the Goldman potential (r = 1), and r → ∞ tends to E_K.
    V1 = float(ionsweep.pump_leak_voltage(*args, r=1.0))
    E_K = 1000 * R * 310.15 / F * math.log(5.0 / 140.0)
    assert E_K < V15 < V1
    assert float(ionsweep.pump_leak_voltage(*args, r=1e12)) == pytest.approx(E_K, abs=1e-9)


def test_invalid_points_are_nan():
    good = [1.0, 0.04, 140.0, 5.0, 12.0, 145.0, 310.0, 1.5]
    bad = {
        "negative P_K": (0, -1.0),
        "negative Na_in": (4, -12.0),
        "NaN K_out": (3, np.nan),
        "T = 0": (6, 0.0),
        "T < 0": (6, -310.0),
        "r = 0": (7, 0.0),
        "r < 0": (7, -1.5),
    }
    rows = []
    for k, v in bad.values():
        row = list(good)
        row[k] = v
        rows.append(row)
    # Both logarithm arguments must be positive: no K+ or Na+ outside (or inside).
    rows.append([1.0, 0.04, 140.0, 0.0, 12.0, 0.0, 310.0, 1.5])
    rows.append([1.0, 0.04, 0.0, 5.0, 0.0, 145.0, 310.0, 1.5])
    rows.append(good)
    cols = [np.array(c) for c in zip(*rows, strict=True)]
    V = np.asarray(pump_leak(*cols))
    assert np.isnan(V[:-1]).all()
    assert np.isfinite(V[-1])


def test_check_grads():
    args = tuple(jnp.asarray(a) for a in (1.0, 0.04, 140.0, 5.0, 12.0, 145.0, 310.0, 1.5))
    check_grads(pump_leak, args, order=1, modes=("fwd", "rev"))


def test_gradient_closed_form():
    # ∂V/∂r = V_T (P_K K_o / num − P_K K_i / den).
    P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r = 1.0, 0.04, 140.0, 5.0, 12.0, 145.0, 310.0, 1.5
    num = r * P_K * K_out + P_Na * Na_out
    den = r * P_K * K_in + P_Na * Na_in
    g = jax.grad(ionsweep.pump_leak_voltage, argnums=7)(P_K, P_Na, K_in, K_out, Na_in, Na_out, T, r)
    want = 1000 * R * T / F * (P_K * K_out / num - P_K * K_in / den)
    assert float(g) == pytest.approx(want, rel=1e-12)
