"""Liquid junction potentials, stationary Nernst–Planck, float64: ionsweep against SciPy.

What is measured
----------------
A 10-ion recording-solution pair: a K-gluconate pipette (K⁺, Na⁺, Mg²⁺, Cl⁻, gluconate⁻,
HEPES⁻, EGTA²⁻, ATP²⁻) against ACSF (Na⁺, K⁺, Ca²⁺, Mg²⁺, Cl⁻, HCO₃⁻), every concentration
drawn ±20 % around the recipe per junction (gluconate⁻ and Cl⁻ then set for neutrality),
25–37 °C, mobilities from ionsweep's table. ionsweep: ``ionsweep.physics.junction_potential``
with ``method="nernst-planck"`` under ``jax.jit`` on all ``--n`` junctions at once, timed
until the result is ready (compilation reported separately as the first call).

Baselines, scalar, one junction at a time in a Python loop over a subset (``--subset``), time
per junction = loop time / subset size:

* **SciPy shooting** — the formulation JLJP/LJPcalc solve, as one writes it with SciPy:
  the n concentrations and φ integrated across x ∈ [0, 1] with ``solve_ivp`` (DOP853,
  rtol 1e-10), c' = −g − z c φ', φ' = −Σzg/Σz²c, and ``scipy.optimize.root`` (hybr) on the n
  unknown fluxes g = J/D (n − 1 bath concentrations and zero current), started from the
  Henderson profile's fluxes.
* **SciPy reduced** — the same equations as ionsweep solves them (the potential as
  coordinate, one linear system per valence, see ``ionsweep.physics._junction_np``) written
  for one junction: ``scipy.linalg.expm`` of the 2m×2m system matrix and
  ``scipy.optimize.root`` on the m + 1 unknowns, from the same Henderson start. This is the
  baseline an expert who knew the reduction would write.

Both baselines' results are compared with ionsweep's on the subset (max |ΔV|, mV).

Usage: ``python benchmarks/bench_junction.py [--n N] [--subset M] [--repeat R] [--no-write]``.
"""

from __future__ import annotations

import argparse

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
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
from scipy.integrate import solve_ivp  # noqa: E402
from scipy.optimize import root  # noqa: E402

import ionsweep  # noqa: E402
from ionsweep.activity import relative_mobility  # noqa: E402
from ionsweep.physics import junction_potential  # noqa: E402

NAMES = ("K+", "Na+", "Mg2+", "Ca2+", "Cl-", "Gluconate-", "HEPES-", "EGTA2-", "ATP2-", "HCO3-")
Z = np.array([ionsweep.ions.valence(n) for n in NAMES], float)
U = np.array([relative_mobility(n) for n in NAMES])
PIPETTE = np.array([130.0, 11, 2, 0, 24, 110, 5, 1, 2, 0])
BATH = np.array([3.0, 152.2, 1.5, 2.4, 133.8, 0, 0, 0, 0, 29.2])
TARGET_RATE, TARGET_RATIO = 1e5, 1000.0


def make_data(n, seed=0):
    """Pipettes and baths ±20 % around the recipes, neutral; temperatures 25–37 °C."""
    rng = np.random.default_rng(seed)
    cp = PIPETTE * rng.uniform(0.8, 1.2, (n, len(NAMES)))
    cb = BATH * rng.uniform(0.8, 1.2, (n, len(NAMES)))
    for c, fix in ((cp, NAMES.index("Gluconate-")), (cb, NAMES.index("Cl-"))):
        c[:, fix] = 0
        c[:, fix] = c @ Z  # its charge is −1: it balances the rest
    T = rng.uniform(298.15, 310.15, n)
    return cp, cb, T


def henderson_fluxes(cp, cb, z, D):
    """Henderson potential (RT/F) and the fluxes g = J/D of its linear profile at x = ½."""
    dc = cb - cp
    sp, sb = np.dot(z * z * D, cp), np.dot(z * z * D, cb)
    v = np.dot(z * D, dc) / np.dot(z * z * D, dc) * np.log(sp / sb)
    mid = (cp + cb) / 2
    dphi = -np.dot(z * D, dc) / np.dot(z * z * D, mid)
    return v, -(dc + z * mid * dphi)


def shooting(cp, cb, z, D):
    """V (RT/F) by shooting in x (the JLJP formulation), one junction."""
    n = len(z)
    present = (cp + cb) > 0
    keep = [i for i in range(n) if present[i] and i != int(np.argmax(cp + cb))]

    def rhs(x, y, g):
        c = y[:n]
        dphi = -np.dot(z, g) / np.dot(z * z, c)
        return np.concatenate([-g - z * c * dphi, [dphi]])

    def end(g):
        y0 = np.concatenate([cp, [0.0]])
        return solve_ivp(rhs, (0, 1), y0, args=(g,), method="DOP853", rtol=1e-10, atol=1e-12).y[
            :, -1
        ]

    def residual(gp):
        g = np.zeros(n)
        g[present] = gp
        y = end(g)
        return np.concatenate([(y[:n] - cb)[keep], [np.dot(z * D, g)]])

    _, g0 = henderson_fluxes(cp, cb, z, D)
    sol = root(residual, g0[present], method="hybr", options={"xtol": 1e-12})
    g = np.zeros(n)
    g[present] = sol.x
    return end(g)[n]


def reduced(cp, cb, z, D):
    """V (RT/F) from the valence-reduced linear system with scipy.linalg.expm, one junction."""
    zetas = sorted({int(q) for q in z if q != 0})
    m = len(zetas)
    zeta = np.array(zetas, float)
    groups = [z == q for q in zetas]
    ref = 0.5 * np.dot(np.abs(z), cp + cb)
    dref = np.dot(np.abs(z) * D, cp + cb) / (2 * ref)
    CP = np.array([cp[g].sum() for g in groups]) / ref
    CB = np.array([cb[g].sum() for g in groups]) / ref
    DP = np.array([(D * cp)[g].sum() for g in groups]) / (ref * dref)
    DB = np.array([(D * cb)[g].sum() for g in groups]) / (ref * dref)

    def residual(theta):
        h, lam = theta[:m], theta[m]
        v = np.dot(zeta, h)
        a = np.zeros((2 * m, 2 * m))
        a[:m, :m] = np.outer(h, zeta**2) - np.diag(v * zeta)
        a[m:, :m] = np.outer(np.ones(m), zeta**2)
        a[m:, m:] = -np.diag(v * zeta)
        y = scipy.linalg.expm(a) @ np.concatenate([CP, np.zeros(m)])
        c1, k1 = y[:m], y[m:]
        current = np.sum(zeta * (DB - np.exp(-zeta * v) * DP) / k1)
        return np.concatenate([c1 - CB + zeta * lam, [current]])

    v0, _ = henderson_fluxes(cp, cb, z, D)
    mean = (CP + CB) / 2
    h0 = (CB - CP + v0 * zeta * mean) / np.dot(zeta**2, mean)
    sol = root(residual, np.concatenate([h0, [0.0]]), method="hybr", options={"xtol": 1e-13})
    return float(np.dot(zeta, sol.x[:m]))


def run(n, subset, repeat, seed=0):
    cp, cb, T = make_data(n, seed)
    z = tuple(int(q) for q in Z)
    jcp, jcb, jT = (jax.device_put(a) for a in (cp, cb, T))
    kernel = jax.jit(lambda a, b, t: junction_potential(a, b, z, U, t))
    idx = np.random.default_rng(seed + 1).choice(n, subset, replace=False)
    vt = ionsweep.thermal_voltage(T[idx])  # RT/F in mV per junction
    jax_t = time_interleaved({"ionsweep": lambda: kernel(jcp, jcb, jT)}, repeat=repeat)
    base_t = time_interleaved(
        {
            "SciPy shooting": lambda: [shooting(cp[i], cb[i], Z, U) for i in idx],
            "SciPy reduced": lambda: [reduced(cp[i], cb[i], Z, U) for i in idx],
        },
        repeat=2,
        warmup=1,
    )
    v = np.asarray(kernel(jcp, jcb, jT))
    diffs = {
        "SciPy shooting": np.asarray([shooting(cp[i], cb[i], Z, U) for i in idx]) * vt,
        "SciPy reduced": np.asarray([reduced(cp[i], cb[i], Z, U) for i in idx]) * vt,
    }
    diffs = {k: float(np.max(np.abs(r - v[idx]))) for k, r in diffs.items()}
    return {
        "n": n,
        "subset": subset,
        "jax": jax_t["ionsweep"],
        "base": base_t,
        "diffs": diffs,
        "nan": int(np.isnan(v).sum()),
        "range": (float(np.nanmin(v)), float(np.nanmax(v))),
    }


def render(r):
    n, m, tj = r["n"], r["subset"], r["jax"]
    per = tj.best / n
    rate = 1 / per
    rows = [
        [
            "ionsweep (jit, all at once)",
            fmt_time(per),
            f"{rate:,.0f}",
            "—",
            f"≥ {TARGET_RATE:,.0f}/s: " + ("**met**" if rate >= TARGET_RATE else "not met"),
            "—",
        ]
    ]
    for label, t in r["base"].items():
        b = t.best / m
        ratio = b / per
        rows.append(
            [
                f"{label} (per junction, {m} junctions)",
                fmt_time(b),
                f"{1 / b:,.1f}",
                fmt_ratio(ratio),
                f"≥ {TARGET_RATIO:.0f}×: " + ("**met**" if ratio >= TARGET_RATIO else "not met"),
                f"{r['diffs'][label]:.2g}",
            ]
        )
    table = markdown_table(
        ["candidate", "time per junction", "junctions/s", "ionsweep speed-up", "target",
         "max abs diff vs ionsweep (mV)"],
        rows,
    )  # fmt: skip
    lo, hi = r["range"]
    notes = [
        f"{n:,} junctions of a 10-ion K-gluconate pipette / ACSF pair (4 valences), "
        f"LJP {lo:.1f} … {hi:.1f} mV, {r['nan']} NaN; float64.",
        f"ionsweep: best of the timed calls {fmt_time(tj.best)} (median {fmt_time(tj.median)}), "
        f"first call (trace + compile) {fmt_time(tj.first)}.",
    ]
    return table + "\n\n" + "\n".join(f"- {x}" for x in notes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--subset", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load = load_average()
    r = run(args.n, args.subset, args.repeat)
    body = "\n".join(machine_description(load)) + "\n\n" + render(r)
    name = section_name("bench_junction")
    print_section(name, body)
    for label, t in r["base"].items():
        print(f"ratio vs {label}: {t.best / args.subset / (r['jax'].best / args.n):,.0f}x")
    if not args.no_write:
        update_section(name, f"## {name}\n\n{body}")


if __name__ == "__main__":
    main()
