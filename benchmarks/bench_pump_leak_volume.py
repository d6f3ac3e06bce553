"""Pump–leak–Donnan steady states: ionsweep against a scalar brentq loop, and in a sweep.

What is measured
----------------
1. **10⁶ steady states, float64.** ``jax.jit(ionsweep.pump_leak_steady_state)`` on 10⁶
   points with per-point inputs drawn over a physiological range (P_K 0.3–3·10⁻⁶ cm/s,
   P_Na/P_K 0.01–0.1, pump 5–120 % of the Na⁺ leak at V = 0, bath Na 130–150, K 3–8,
   Cl 130–160 mM, outside osmolyte 0–30 mM, z_impermeant −1.3 … −0.7, r 1.3–1.7,
   20–37 °C); one call is timed until the result is ready, compilation excluded (reported
   separately). The baseline is what a user without ionsweep would write: the same model as
   scalar ``math`` code, reduced to one equation in v = FV/RT, the admissible interval found
   by two auxiliary ``scipy.optimize.brentq`` solves (Na_in = 0, zero permeant charge) and the
   state by a third, in a Python loop over a random subset of the points (``--subset``,
   inputs converted to Python floats first); its time per point is the loop time divided by
   the subset size (an extrapolation to 10⁶ points, stated as such). The speed-up compares
   time per point; both solutions are compared on the subset. Two more baselines, beside it:

   * **one brentq per point**: a single ``brentq`` over ±30 RT/F (the bracket ionsweep
     uses) on the residual G(v) = (z−1)(Na_i + K_i) + (z+1)·Cl_i − z·O of the module
     docstring of ``ionsweep.physics.pump_leak_volume``, guarded as ionsweep guards it
     (where Na_i < 0 or the impermeant concentration c_X ≤ 0 the value is pushed towards
     the admissible interval, so the residual changes sign once per admissible root: at
     about half of these points the bare G has the same sign at ±30, with a second root
     outside the admissible interval), the state refused afterwards where Na_in < 0 or
     c_X ≤ 0 (subset, extrapolated, as above);
   * **vectorized NumPy Newton** over all 10⁶ points (measured, not extrapolated): a
     safeguarded Newton–bisection on the same guarded residual, float64, with an analytic
     derivative, the bracket [−30, 30] RT/F kept per point (a step leaving it, an active
     guard or a slope ≤ 0 gives a bisection step instead), started from
     v = (φ_K − φ_Na)/(Na_o + K_o), converged points dropped from the working arrays at
     every iteration, and ionsweep's acceptance rule (the Newton step |δ| ≤ √(8ε)/4·(1 + |v|),
     v − δ returned); the same checks refuse a state afterwards. Its results are compared
     with ionsweep's on every point.

   Also timed (informational): ``ionsweep.pump_leak_steady_state`` called on the NumPy
   arrays themselves, without ``jax.jit`` (an eager call, which copies the inputs in).
2. **Sweep engine vs a hand-written jit.** A 1000 × 1000 grid (pump flux × P_Na, the other
   inputs fixed) in float32: ``ionsweep.run_sweep`` into a temporary zarr store (end to
   end: plan, compile, compute, write) against a hand-written ``jax.jit`` of the kernel over
   the same broadcast grid with its five outputs brought to host memory (compile included
   in neither's best time; the sweep cannot exclude its own compilation, so its first run is
   dropped and the best of the rest is used).

Usage: ``python benchmarks/bench_pump_leak_volume.py [--n N] [--subset M] [--repeat R]
[--no-write]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _harness import (  # noqa: E402
    fmt_ratio,
    fmt_time,
    load_average,
    machine_description,
    markdown_table,
    print_section,
    section_name,
    time_interleaved,
    update_section,
)
from scipy.optimize import brentq  # noqa: E402

import ionsweep  # noqa: E402

R = ionsweep.GAS_CONSTANT
F = ionsweep.FARADAY
TARGET = 1000.0
COST_NOTE = (
    "Cost per point (float64): one fused loop solves (the input checks; a closed-form "
    "start, a quadratic in e^(-v): 1 exp, 1 sqrt, 1 float32 log; 2 Halley steps, 1 exp "
    "each; a final Newton step that doubles as the acceptance test, 2 exp; the bracket "
    "test, no transcendental function), then 6 output loops (2 exp): 10 fused loops in "
    "all, 7 exponentials per point, no expm1 and no float64 log (exp and 1/x are built "
    "from arithmetic so that XLA:CPU keeps them inside the loops). Points the Halley path "
    "does not settle (none here) get 4 Halley steps, then a safeguarded Newton-bisection "
    "(rtsafe, a while-loop over gathered groups of them); points where the pump "
    "outruns the Na+ leak are certified on the Halley path (half of the sweep grid below). "
    "The older kernel (6 bracketed Newton steps, ~17 residual evaluations with expm1 and "
    "float64 log) measured 165x at load ~8 and 406x at load ~0.6. The engine's time "
    "includes planning and writing 5 float32 variables (20 MB) to zarr, which dominates "
    "it now that the kernel is fast; the store-mode overhead is measured against writing "
    "alone in bench_sweep.py. A loaded machine (see the load average) slows "
    "multi-threaded JAX more than the single-threaded brentq loop."
)
NAMES = (
    "pump_flux",
    "P_K",
    "P_Na",
    "P_Cl",
    "K_out",
    "Na_out",
    "Cl_out",
    "impermeant",
    "z_impermeant",
    "T",
    "r",
    "osmolyte_out",
)


# ------------------------------------------------------------------- scalar SciPy baseline
def _ions(v, Na_o, K_o, Cl_o, phN, phK):
    b_pos = 1.0 if v == 0 else v / math.expm1(v)  # B(v) = v / (e^v - 1)
    b_neg = 1.0 if v == 0 else -v / math.expm1(-v)  # B(-v)
    return (Na_o * b_pos - phN) / b_neg, (K_o * b_pos + phK) / b_neg, Cl_o * math.exp(v)


def brentq_state(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra):
    """(V mV, volume µm) or (nan, nan): three brentq solves with SciPy's default tolerances."""
    phN, phK = 1e-6 * p / P_Na, 1e-6 * p / (r * P_K)
    O = Na_o + K_o + Cl_o + extra

    def na(v):
        return _ions(v, Na_o, K_o, Cl_o, phN, phK)[0]

    def charge(v):
        a, b, c = _ions(v, Na_o, K_o, Cl_o, phN, phK)
        return a + b - c

    def neutrality(v):
        a, b, c = _ions(v, Na_o, K_o, Cl_o, phN, phK)
        return a + b - c + z * (O - a - b - c)

    lo, hi = -30.0, 30.0
    if na(lo) < 0:
        return math.nan, math.nan
    if na(hi) < 0:
        hi = brentq(na, lo, hi)
    if charge(lo) > 0 > charge(hi):
        v_sc = brentq(charge, lo, hi)
        lo, hi = (lo, v_sc) if z < 0 else (v_sc, hi)
    if not neutrality(lo) * neutrality(hi) < 0:
        return math.nan, math.nan
    v = brentq(neutrality, lo, hi)
    a, b, c = _ions(v, Na_o, K_o, Cl_o, phN, phK)
    c_X = O - a - b - c
    if c_X <= 0 or a < 0:
        return math.nan, math.nan
    return 1e3 * R * T / F * v, X / c_X


def brentq_loop(rows):
    return [brentq_state(*row) for row in rows]


def _guarded(G, Na_i, c_X, z, O):
    """ionsweep's guard of the residual (module docstring): one sign change per admissible
    root. Where Na_in < 0, or c_X ≤ 0, the value is pushed to the sign that moves the
    bracket back towards the admissible interval."""
    if z < 0:
        return max(G / O, -c_X / O, -Na_i / O)
    return max(min(G / O, c_X / O), -Na_i / O)


def brentq_one_state(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra):
    """(V mV, volume µm) or (nan, nan): one brentq of the guarded residual on ±30 RT/F."""
    phN, phK = 1e-6 * p / P_Na, 1e-6 * p / (r * P_K)
    O = Na_o + K_o + Cl_o + extra

    def residual(v):
        a, b, c = _ions(v, Na_o, K_o, Cl_o, phN, phK)
        G = (z - 1) * (a + b) + (z + 1) * c - z * O
        return _guarded(G, a, (c - a - b) / z, z, O)  # c_X from neutrality

    lo, hi = -30.0, 30.0
    if not residual(lo) < 0 < residual(hi):
        return math.nan, math.nan
    v = brentq(residual, lo, hi)
    a, b, c = _ions(v, Na_o, K_o, Cl_o, phN, phK)
    c_X = O - a - b - c
    if c_X <= 0 or a < 0:
        return math.nan, math.nan
    return 1e3 * R * T / F * v, X / c_X


def brentq_one_loop(rows):
    return [brentq_one_state(*row) for row in rows]


# -------------------------------------------------------------- vectorized NumPy baseline
def _w_and_slope(v):
    """e^(−v), w(v) = (1 − e^(−v))/v and w′(v), short series where the closed forms cancel."""
    small = np.abs(v) < 1e-4
    safe = np.where(small, 1.0, v)
    x = np.exp(-v)
    w = np.where(small, 1 - v / 2 + v * v / 6, -np.expm1(-v) / safe)
    w1 = np.where(small, -0.5 + v / 3, (x - w) / safe)
    return x, w, w1


def _residual(v, Na_o, K_o, Cl_o, phN, phK, z, O):
    """(guarded residual, G′/O, guard inactive) with G = (z−1)·S + (z+1)·C − z·O."""
    x, w, w1 = _w_and_slope(v)
    Na_i, K_i, C = x * Na_o - phN * w, x * K_o + phK * w, Cl_o / x
    S = Na_i + K_i
    G = ((z - 1) * S + (z + 1) * C - z * O) / O
    G1 = ((z - 1) * ((phK - phN) * w1 - x * (Na_o + K_o)) + (z + 1) * C) / O
    c_X = (C - S) / (z * O)  # impermeant concentration / O, from neutrality
    f = np.where(z < 0, np.maximum(G, -c_X), np.minimum(G, c_X))
    f = np.maximum(f, -Na_i / O)
    return f, G1, f == G


def numpy_newton(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r, extra, max_iter=200):
    """(V mV, volume µm), NaN where there is no steady state: safeguarded Newton, vectorized."""
    phN, phK = 1e-6 * p / P_Na, 1e-6 * p / (r * P_K)
    O = Na_o + K_o + Cl_o + extra
    args = [Na_o, K_o, Cl_o, phN, phK, z, O]
    lo, hi = np.full_like(O, -30.0), np.full_like(O, 30.0)
    idx = np.flatnonzero((_residual(lo, *args)[0] < 0) & (_residual(hi, *args)[0] > 0))
    v_out = np.full_like(O, np.nan)
    args = [a[idx] for a in args]
    v = np.clip((phK - phN)[idx] / (Na_o + K_o)[idx], -29.0, 29.0)
    lo, hi = lo[idx], hi[idx]
    half_tol = 0.25 * np.sqrt(8 * np.finfo(float).eps)
    for _ in range(max_iter):
        f, f1, unguarded = _residual(v, *args)
        lo, hi = np.where(f < 0, v, lo), np.where(f > 0, v, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f / f1
        new = v - step
        newton = unguarded & (f1 > 0) & (new > lo) & (new < hi)
        new = np.where(newton, new, 0.5 * (lo + hi))
        done = (newton & (np.abs(step) <= half_tol * (1 + np.abs(v)))) | (hi - lo <= 1e-14)
        v_out[idx[done]] = new[done]
        keep = ~done
        if not keep.any():
            break
        idx, v, lo, hi = idx[keep], new[keep], lo[keep], hi[keep]
        args = [a[keep] for a in args]
    x, w, _ = _w_and_slope(np.where(np.isnan(v_out), 0.0, v_out))
    Na_i, K_i, Cl_i = x * Na_o - phN * w, x * K_o + phK * w, Cl_o / x
    c_X = np.where(np.abs(z) >= 1, (Cl_i - Na_i - K_i) / z, O - Na_i - K_i - Cl_i)
    ok = ~np.isnan(v_out) & (Na_i >= 0) & (c_X > 0)
    V = np.where(ok, 1e3 * R * T / F * v_out, np.nan)
    return V, np.where(ok, X / np.where(ok, c_X, 1.0), np.nan)


# ----------------------------------------------------------------------------------- data
def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.uniform
    P_K = 10 ** u(-6.5, -5.5, n)
    P_Na = P_K * 10 ** u(-2, -1, n)
    Na = u(130, 150, n)
    return {
        "pump_flux": 1e6 * P_Na * Na * u(0.05, 1.2, n),
        "P_K": P_K,
        "P_Na": P_Na,
        "P_Cl": u(1e-7, 1e-5, n),
        "K_out": u(3, 8, n),
        "Na_out": Na,
        "Cl_out": u(130, 160, n),
        "impermeant": u(200, 600, n),
        "z_impermeant": u(-1.3, -0.7, n),
        "T": u(293.15, 310.15, n),
        "r": u(1.3, 1.7, n),
        "osmolyte_out": u(0, 30, n),
    }


# ------------------------------------------------------------------------------ benchmark
steady = jax.jit(ionsweep.pump_leak_steady_state)


def _agreement(V, vol, ref_V, ref_vol):
    """Max |ΔV| (mV), max relative volume difference, points whose validity differs."""
    ok = ~np.isnan(ref_V) & ~np.isnan(V)
    return {
        "dV": float(np.max(np.abs(V[ok] - ref_V[ok]), initial=0.0)),
        "dvol": float(np.max(np.abs(vol[ok] / ref_vol[ok] - 1), initial=0.0)),
        "nan_mismatch": int(np.sum(np.isnan(V) != np.isnan(ref_V))),
    }


def bench_kernel(n, subset, repeat):
    d = make_data(n)
    j = [jax.device_put(d[k]) for k in NAMES]
    host = [d[k] for k in NAMES]
    idx = np.random.default_rng(1).choice(n, subset, replace=False)
    rows = [tuple(float(d[k][i]) for k in NAMES) for i in idx]
    tm = time_interleaved(
        {
            "ionsweep": lambda: steady(*j),
            "numpy newton": lambda: numpy_newton(*host),
            "eager": lambda: ionsweep.pump_leak_steady_state(*host),
        },
        repeat=repeat,
    )
    tb = time_interleaved(
        {"brentq": lambda: brentq_loop(rows), "brentq one": lambda: brentq_one_loop(rows)},
        repeat=3,
        warmup=1,
    )
    s = steady(*j)
    V, vol = np.asarray(s.V), np.asarray(s.volume)
    ref, one = np.array(brentq_loop(rows)), np.array(brentq_one_loop(rows))
    newton = numpy_newton(*host)
    return {
        "tm": tm["ionsweep"],
        "tnewton": tm["numpy newton"],
        "teager": tm["eager"],
        "tb": tb["brentq"],
        "tb1": tb["brentq one"],
        "three": _agreement(V[idx], vol[idx], ref[:, 0], ref[:, 1]),
        "one": _agreement(V[idx], vol[idx], one[:, 0], one[:, 1]),
        "newton": _agreement(V, vol, *newton),
        "valid": float(np.mean(np.asarray(s.valid))),
    }


SPEC = {
    "model": {"name": "pump_leak_volume"},
    "axes": {
        "pump_flux": {"linspace": [1.0, 40.0, 1000]},
        "P_Na": {"geomspace": [2e-8, 1e-7, 1000]},
    },
    "fixed": {"impermeant": 400.0, "z_impermeant": -1.0, "celsius": 37.0},
    "outputs": {"variables": ["V", "Na_in", "K_in", "Cl_in", "volume"]},
    "run": {"dtype": "float32"},
}


def bench_sweep(repeat):
    pump = jnp.linspace(1.0, 40.0, 1000, dtype=jnp.float32)
    P_Na = jnp.geomspace(2e-8, 1e-7, 1000, dtype=jnp.float32)
    f32 = jnp.float32

    @jax.jit
    def grid(pump, P_Na):
        s = ionsweep.pump_leak_steady_state(
            pump[:, None],
            f32(1e-6),
            P_Na[None, :],
            f32(1e-6),
            f32(5.0),
            f32(145.0),
            f32(150.0),
            f32(400.0),
            f32(-1.0),
            f32(310.15),
            f32(1.5),
            f32(0.0),
        )
        return s[:5]

    def by_hand():
        return [np.asarray(a) for a in grid(pump, P_Na)]

    with tempfile.TemporaryDirectory() as tmp:

        def sweep(k=[0]):  # noqa: B006 - a counter for fresh store names
            k[0] += 1
            return ionsweep.run_sweep(SPEC, Path(tmp) / f"s{k[0]}.zarr")

        t = time_interleaved({"hand-written jit": by_hand, "run_sweep": sweep}, repeat=repeat)
        ds = sweep()
        diff = float(np.nanmax(np.abs(ds.V.values - by_hand()[0])))
    return t, diff


def render(rk, ts, diff, n, subset):
    jax_pp = rk["tm"].best / n
    t = rk["tm"]
    head = f"{n:,} steady states, float64"
    rows = []
    for label, per_point, how, agree in (
        ("three brentq solves per point", rk["tb"].best / subset, "extrapolated", rk["three"]),
        ("one brentq per point", rk["tb1"].best / subset, "extrapolated", rk["one"]),
        ("vectorized NumPy Newton", rk["tnewton"].best / n, "measured", rk["newton"]),
    ):
        extrapolated = how == "extrapolated"
        ratio = per_point / jax_pp
        rows.append(
            [
                label,
                f"{fmt_time(per_point)} ({f'loop over {subset:,}, ' if extrapolated else ''}"
                f"{how}{'' if extrapolated else f', {fmt_time(per_point * n)} in all'})",
                fmt_ratio(ratio),
                f"≥ {TARGET:.0f}×" if label.startswith("three") else "—",
                ("**met**" if ratio >= TARGET else "not met") if label.startswith("three") else "",
                f"{agree['dV']:.2g} mV / {agree['dvol']:.2g} / {agree['nan_mismatch']}",
            ]
        )
    t1 = markdown_table(
        [
            f"baseline ({head})",
            "baseline per point",
            "ionsweep speed-up",
            "target",
            "",
            "max |ΔV| / max rel. Δvolume / points valid in one only",
        ],
        rows,
    )
    eager = rk["teager"]
    t0 = markdown_table(
        ["ionsweep", "best / median", "per point", "first call"],
        [
            [
                "`jax.jit(pump_leak_steady_state)`, JAX arrays in",
                f"{fmt_time(t.best)} / {fmt_time(t.median)}",
                fmt_time(jax_pp),
                fmt_time(t.first),
            ],
            [
                "`pump_leak_steady_state` called eagerly, NumPy arrays in",
                f"{fmt_time(eager.best)} / {fmt_time(eager.median)}",
                fmt_time(eager.best / n),
                fmt_time(eager.first),
            ],
        ],
    )
    hand, sw = ts["hand-written jit"], ts["run_sweep"]
    t2 = markdown_table(
        ["10⁶-point grid, float32", "best / median", "points/s", "vs hand-written jit"],
        [
            [
                "hand-written `jax.jit`",
                f"{fmt_time(hand.best)} / {fmt_time(hand.median)}",
                f"{1e6 / hand.best:.3g}",
                "1.00×",
            ],
            [
                "`ionsweep.run_sweep` to zarr",
                f"{fmt_time(sw.best)} / {fmt_time(sw.median)}",
                f"{1e6 / sw.best:.3g}",
                fmt_ratio(hand.best / sw.best),
            ],
        ],
    )
    notes = (
        f"Speed-ups are time per point, baseline over ionsweep's jitted call (JAX arrays in, "
        f"compilation excluded). Agreement with ionsweep: on the {subset:,}-point subset for "
        f"the brentq loops (SciPy's default xtol), on all {n:,} points for the NumPy Newton; "
        f"{rk['valid']:.1%} of the {n:,} points have a steady state. Which baseline applies: "
        "the vectorized NumPy Newton is what a NumPy user who knows the model writes for a "
        "batch; the brentq loops are the per-cell scalar code of a SciPy user, with (three "
        "solves) or without (one) the admissible interval. Sweep vs hand-written jit: max "
        f"|ΔV| = {diff:.2g} mV (float32).\n\n{COST_NOTE}"
    )
    return t0, t1, t2, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--subset", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    load0 = load_average()
    rk = bench_kernel(a.n, a.subset, a.repeat)
    ts, diff = bench_sweep(max(3, a.repeat // 2))
    t0, t1, t2, notes = render(rk, ts, diff, a.n, a.subset)
    body = "\n".join(
        [
            "## Pump-leak-Donnan steady state (`bench_pump_leak_volume.py`)",
            "",
            *machine_description(load0),
            "",
            t0,
            "",
            t1,
            "",
            notes,
            "",
            t2,
        ]
    )
    name = section_name("bench_pump_leak_volume")
    print_section(name, body)
    if not a.no_write:
        update_section(name, body)


if __name__ == "__main__":
    main()
