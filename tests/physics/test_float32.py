"""float32 error of every kernel against float64 over its valid physiological domain.

Inputs are drawn in float32 and the very same numbers are upcast for the float64 run, so the
measured error is the kernel's own float32 arithmetic, not the rounding of its inputs. Each
test prints its measured maximum (run ``pytest -s`` to see them); the asserted bounds are
about 3× above what was measured, so a regression in float32 accuracy fails.

Domain: concentrations log-uniform 1e-4 … 1000 mM, T uniform 273 … 323 K, V uniform
−150 … +150 mV, permeabilities log-uniform (1e-8 … 1e-4 cm/s absolute, 1e-3 … 1 relative),
valences ±1, ±2, ±3, Donnan fixed charge uniform −200 … +200 mM.
"""

import jax
import jax.numpy as jnp
import numpy as np

import ionsweep

N = 10_000

nernst = jax.jit(ionsweep.nernst)
ghk_current = jax.jit(ionsweep.ghk_current)
ghk_voltage = jax.jit(ionsweep.ghk_voltage)
donnan = jax.jit(ionsweep.donnan)
pump_leak = jax.jit(ionsweep.pump_leak_voltage)


def lu(rng, lo, hi, size):
    """log-uniform float32 samples."""
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size)).astype(np.float32)


def run_both(f, *args):
    """f on float32 inputs and on the same inputs upcast to float64 (integers unchanged)."""

    def cast(dtype):
        return [
            jnp.asarray(a, dtype) if np.asarray(a).dtype.kind == "f" else jnp.asarray(a)
            for a in args
        ]

    out32 = f(*cast(jnp.float32))
    out64 = f(*cast(jnp.float64))
    for a in jax.tree_util.tree_leaves(out32):
        assert a.dtype == jnp.float32
    for a in jax.tree_util.tree_leaves(out64):
        assert a.dtype == jnp.float64
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), (out32, out64))


def report(name, value, bound, unit):
    print(f"\nfloat32 max error {name}: {value:.3g} {unit} (bound {bound:g})")
    assert np.isfinite(value)
    assert value < bound, (name, value)


def test_nernst():
    rng = np.random.default_rng(100)
    z = rng.choice([-3, -2, -1, 1, 2, 3], N)
    args = (
        lu(rng, 1e-4, 1e3, N),
        lu(rng, 1e-4, 1e3, N),
        z,
        rng.uniform(273, 323, N).astype(np.float32),
    )
    e32, e64 = run_both(nernst, *args)
    report("nernst", np.max(np.abs(e32 - e64)), 1e-4, "mV")


def test_ghk_current():
    rng = np.random.default_rng(101)
    V = rng.uniform(-150, 150, N).astype(np.float32)
    P = lu(rng, 1e-8, 1e-4, N)
    ci, co = lu(rng, 1e-4, 1e3, N), lu(rng, 1e-4, 1e3, N)
    z = rng.choice([-3, -2, -1, 1, 2, 3], N)
    T = rng.uniform(273, 323, N).astype(np.float32)
    i32, i64 = run_both(ghk_current, V, P, ci, co, z, T)
    # Near the reversal potential the net current is a difference of two one-way fluxes, so
    # the meaningful relative error is taken against their size, |P z F|(c_in B(−u) +
    # c_out B(u)) with B(u) = u/(eᵘ − 1); computed here in float64 with NumPy.
    u = z * V.astype(np.float64) / (1000 * ionsweep.GAS_CONSTANT / ionsweep.FARADAY * T)
    with np.errstate(invalid="ignore", divide="ignore"):
        b_pos = np.where(u == 0, 1.0, u / np.expm1(u))
        b_neg = np.where(u == 0, 1.0, -u / np.expm1(-u))
    scale = 1e-3 * np.abs(P * z) * ionsweep.FARADAY * (ci * b_neg + co * b_pos)
    report("ghk_current (relative to one-way flux)", np.max(np.abs(i32 - i64) / scale), 3e-6, "")
    far = np.abs(i64) > 0.01 * scale  # away from the reversal potential
    report(
        "ghk_current (relative, |I| > 1% of flux)",
        np.max(np.abs(i32 - i64)[far] / np.abs(i64[far])),
        6e-5,
        "",
    )


def _mix(rng, z):
    n_ions = len(z)
    return (
        lu(rng, 1e-3, 1.0, (N, n_ions)),
        lu(rng, 1e-4, 1e3, (N, n_ions)),
        lu(rng, 1e-4, 1e3, (N, n_ions)),
        np.broadcast_to(np.array(z), (N, n_ions)),
        rng.uniform(273, 323, N).astype(np.float32),
    )


def test_ghk_voltage():
    rng = np.random.default_rng(102)
    for name, z in [
        ("mono K, Na, Cl", [1, 1, -1, -1]),
        ("mono + divalent", [1, 1, -1, 2]),
        ("with La3+", [1, 1, -1, 3]),
        ("with trivalent anion", [1, 2, -1, -3]),
    ]:
        v32, v64 = run_both(ghk_voltage, *_mix(rng, z))
        report(f"ghk_voltage {name}", np.max(np.abs(v32 - v64)), 1e-4, "mV")


def _baths(rng, z):
    """Electroneutral baths: cations log-uniform, the last ion (Cl-) balances the charge."""
    z = np.array(z)
    c = np.stack(
        [
            lu(rng, 1.0, 200.0, N),
            lu(rng, 0.1, 20.0, N),
            lu(rng, 1e-2, 5.0, N),
            lu(rng, 1e-2, 5.0, N),
        ],
        -1,
    ).astype(np.float64)
    cl = (c * z[:4]).sum(-1)
    c = np.concatenate([c, cl[:, None]], -1).astype(np.float32)
    return (
        c,
        np.broadcast_to(z, c.shape),
        rng.uniform(-200, 200, N).astype(np.float32),
        rng.uniform(273, 323, N).astype(np.float32),
    )


def test_donnan():
    rng = np.random.default_rng(103)
    for name, z in [("mono + divalent", [1, 1, 2, 2, -1]), ("with La3+", [1, 1, 2, 3, -1])]:
        (V32, c32), (V64, c64) = run_both(donnan, *_baths(rng, z))
        report(f"donnan V {name}", np.max(np.abs(V32 - V64)), 5e-5, "mV")
        report(f"donnan c_in {name} (relative)", np.max(np.abs(c32 - c64) / c64), 3e-6, "")


def test_pump_leak_voltage():
    rng = np.random.default_rng(104)
    args = (
        lu(rng, 1e-3, 1.0, N),
        lu(rng, 1e-3, 1.0, N),
        *(lu(rng, 1e-4, 1e3, N) for _ in range(4)),
        rng.uniform(273, 323, N).astype(np.float32),
        rng.uniform(0.5, 3.0, N).astype(np.float32),
    )
    v32, v64 = run_both(pump_leak, *args)
    report("pump_leak_voltage", np.max(np.abs(v32 - v64)), 1e-4, "mV")


def test_pump_leak_steady_state():
    # Physiological cells: P_K 0.3-3e-6 cm/s, P_Na/P_K 0.01-0.1, pump 5-120 % of the Na+ leak
    # at V = 0, bath Na 130-150 / K 3-8 / Cl 130-160 mM, z_impermeant -1.3 ... -0.7.
    rng = np.random.default_rng(105)
    u = rng.uniform
    P_K = 10 ** u(-6.5, -5.5, N)
    P_Na = P_K * 10 ** u(-2, -1, N)
    Na = u(130, 150, N)
    args = [1e6 * P_Na * Na * u(0.05, 1.2, N), P_K, P_Na, u(1e-7, 1e-5, N), u(3, 8, N), Na]
    args += [u(130, 160, N), u(200, 600, N), u(-1.3, -0.7, N), u(273, 323, N), u(1.3, 1.7, N)]
    args = [a.astype(np.float32) for a in [*args, u(0, 30, N)]]

    @jax.jit
    def kernel(*a):  # the valid flag as a float, so that every output has the input dtype
        s = ionsweep.pump_leak_steady_state(*a)
        return (*s[:5], s.valid.astype(s.V.dtype))

    s32, s64 = run_both(kernel, *args)
    np.testing.assert_array_equal(s32[5], s64[5])
    ok = s64[5].astype(bool)
    assert ok.mean() > 0.99
    report("pump_leak_steady_state V", np.max(np.abs(s32[0] - s64[0])[ok]), 3e-5, "mV")
    for k, name in enumerate(("Na_in", "K_in", "Cl_in"), 1):
        a, b = s32[k][ok], s64[k][ok]
        report(f"pump_leak_steady_state {name} (relative)", np.max(np.abs(a / b - 1)), 2e-6, "")
    rel = np.abs(s32[4] / s64[4] - 1)[ok]
    report("pump_leak_steady_state volume (relative)", np.max(rel), 2e-5, "")
