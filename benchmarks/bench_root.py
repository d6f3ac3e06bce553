"""Root-finding kernels on 10⁶ float64 points: ionsweep against SciPy's brentq per point.

What is measured
----------------
Float64 throughout (``jax_enable_x64``), per-point temperatures, permeabilities and
concentrations. ionsweep is called through ``jax.jit`` on all 10⁶ points at once; one call
is timed until the result is ready, excluding jit compilation (reported separately as the
first-call time). The baseline is what a user without ionsweep would write: a scalar
residual with ``math.exp`` and ``scipy.optimize.brentq`` called in a Python loop, point by
point, with SciPy's default tolerances, on a random subset of the points (``--subset``);
its time per point is the loop time divided by the subset size. The speed-up compares time
per point. Both solutions are compared on the subset (max abs difference, mV).

* **GHK voltage, K⁺ Na⁺ Cl⁻ Ca²⁺** (|z| ≤ 2: ionsweep's closed-form quadratic) against
  brentq on the summed GHK current in V ∈ [−250, 200] mV.
* **Donnan potential, electroneutral K⁺ Cl⁻ Ca²⁺ bath and a negative fixed charge**
  (ionsweep's Newton solve from the exact monovalent start, with a safeguarded fallback,
  run block by block over 32,768-point blocks inside ``ionsweep.donnan``)
  against brentq on electroneutrality in V ∈ [−300, 300] mV, for two baths: a *wide* range
  (K⁺ 2–150 mM, Ca²⁺ 0.5–10 mM, fixed charge −1 … −200 mM) and a *typical* one (K⁺
  100–150 mM, Ca²⁺ 1–2 mM, fixed charge −10 … −100 mM).
* **GHK voltage with La³⁺ in place of Ca²⁺** (|z| = 3: ionsweep's iterative solve). No
  target; informational.

The brentq baseline is timed twice: straight off the NumPy rows (``P[i]``, ``T[i]``: NumPy
scalars in the arithmetic, as the loop is naturally written) and with the subset converted
to Python floats beforehand (``.tolist()``), which makes the scalar arithmetic about twice
as fast. Speed-ups are given against both.

Informational rows: the iterative solves run in chunks of ``--chunk`` points with
``jax.lax.map``: each chunk decides for itself whether it needs the safeguarded fallback and
stops iterating when its own points have converged, and its working set stays in cache.
``ionsweep.donnan`` already does this itself for large batches, so its chunked rows match
the plain ones; for the La³⁺ GHK solve the chunking is still the caller's to add.

Usage: ``python benchmarks/bench_root.py [--n N] [--subset M] [--repeat R] [--no-write]``.
"""

from __future__ import annotations

import argparse
import math

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
Z_CA = np.array([1.0, 1.0, -1.0, 2.0])  # K+, Na+, Cl-, Ca2+
Z_LA = np.array([1.0, 1.0, -1.0, 3.0])  # K+, Na+, Cl-, La3+
Z_DONNAN = np.array([1.0, -1.0, 2.0])  # K+, Cl-, Ca2+
GHK_BRACKET = (-0.250, 0.200)  # V
DONNAN_BRACKET = (-0.300, 0.300)  # V
TARGET = 1000.0


# ----------------------------------------------------------------- scalar SciPy baselines
def ghk_net_current(V, P, c_in, c_out, z, T):
    """Summed GHK current density at V (volts), outward positive, in P·mM·C/mol units.

    I_k = P_k z_k F u_k (c_in,k − c_out,k e^{−u_k}) / (1 − e^{−u_k}),  u_k = z_k F V / (R T).
    """
    total = 0.0
    for P_k, ci, co, z_k in zip(P, c_in, c_out, z, strict=True):
        u = z_k * F * V / (R * T)
        if u == 0.0:  # removable singularity: u / (1 − e^{−u}) → 1
            total += P_k * z_k * F * (ci - co)
        else:
            e = math.exp(-u)
            total += P_k * z_k * F * u * (ci - co * e) / (1.0 - e)
    return total


def net_charge(V, c_bath, z, fixed_charge, T):
    """Charge density inside (mM) when every ion is at Nernst equilibrium at V (volts)."""
    total = fixed_charge
    for c, z_k in zip(c_bath, z, strict=True):
        total += z_k * c * math.exp(-z_k * F * V / (R * T))
    return total


def brentq_ghk(P, c_in, c_out, z, T, idx):
    """V (mV) per point of ``idx``, reading the NumPy arrays row by row."""
    lo, hi = GHK_BRACKET
    return [
        1e3 * brentq(ghk_net_current, lo, hi, args=(P[i], c_in[i], c_out[i], z, T[i])) for i in idx
    ]


def brentq_ghk_floats(rows):
    lo, hi = GHK_BRACKET
    return [1e3 * brentq(ghk_net_current, lo, hi, args=a) for a in rows]


def brentq_donnan(c_bath, z, rho, T, idx):
    lo, hi = DONNAN_BRACKET
    return [1e3 * brentq(net_charge, lo, hi, args=(c_bath[i], z, rho[i], T[i])) for i in idx]


def brentq_donnan_floats(rows):
    lo, hi = DONNAN_BRACKET
    return [1e3 * brentq(net_charge, lo, hi, args=a) for a in rows]


# -------------------------------------------------------------------- ionsweep, jitted
jit_ghk_voltage = jax.jit(ionsweep.ghk_voltage)


@jax.jit
def donnan_potential(c_bath, z, fixed_charge, T):
    return ionsweep.donnan(c_bath, z, fixed_charge, T)[0]


def chunked(fn, chunk):
    """``fn`` applied with ``jax.lax.map`` to consecutive chunks of the leading axis."""

    @jax.jit
    def run(z, *arrays):
        n = arrays[0].shape[0]
        if n % chunk:
            raise ValueError(f"--chunk {chunk} must divide the number of points {n}")
        split = tuple(a.reshape(n // chunk, chunk, *a.shape[1:]) for a in arrays)
        out = jax.lax.map(lambda xs: fn(*xs, z), split)
        return out.reshape(n)

    return run


# ----------------------------------------------------------------------------------- data
def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.uniform
    T = u(293.15, 310.15, n)
    # K+, Na+, Cl-, Ca2+ (P relative; mM)
    P = np.stack([u(0.5, 1.5, n), u(0.01, 0.1, n), u(0.1, 0.6, n), u(1e-3, 0.05, n)], -1)
    c_in = np.stack([u(100, 160, n), u(5, 20, n), u(5, 30, n), u(5e-5, 1e-3, n)], -1)
    c_out = np.stack([u(2, 10, n), u(120, 160, n), u(100, 130, n), u(1, 3, n)], -1)
    # La3+ in place of Ca2+
    c_in_la = c_in.copy()
    c_out_la = c_out.copy()
    c_in_la[:, 3] = u(1e-6, 1e-4, n)
    c_out_la[:, 3] = u(0.01, 1.0, n)
    # Donnan: electroneutral K+, Cl-, Ca2+ baths. Wide: K 2-150 mM, Ca 0.5-10 mM, fixed
    # charge -1 ... -200 mM. Typical: K 100-150 mM, Ca 1-2 mM, fixed charge -10 ... -100 mM.
    K, Ca = u(2, 150, n), u(0.5, 10, n)
    c_bath = np.stack([K, K + 2 * Ca, Ca], -1)
    rho = -u(1, 200, n)
    K, Ca = u(100, 150, n), u(1, 2, n)
    c_bath_typ = np.stack([K, K + 2 * Ca, Ca], -1)
    rho_typ = -u(10, 100, n)
    return {
        "T": T,
        "P": P,
        "c_in": c_in,
        "c_out": c_out,
        "c_in_la": c_in_la,
        "c_out_la": c_out_la,
        "c_bath": c_bath,
        "rho": rho,
        "c_bath_typ": c_bath_typ,
        "rho_typ": rho_typ,
    }


def max_abs_diff(full, idx, ref):
    return float(np.max(np.abs(np.asarray(full)[idx] - np.asarray(ref))))


# ------------------------------------------------------------------------------ benchmark
def run(n, subset, repeat, chunk, seed=0):
    d = make_data(n, seed)
    j = {k: jax.device_put(v) for k, v in d.items()}
    jax.block_until_ready(j)
    idx = np.random.default_rng(seed + 1).choice(n, subset, replace=False)
    zc, zl, zd = (jnp.asarray(z) for z in (Z_CA, Z_LA, Z_DONNAN))

    def ghk_rows(ci, co, z):
        return [
            (d["P"][i].tolist(), ci[i].tolist(), co[i].tolist(), z.tolist(), float(d["T"][i]))
            for i in idx
        ]

    rows_ca = ghk_rows(d["c_in"], d["c_out"], Z_CA)
    rows_la = ghk_rows(d["c_in_la"], d["c_out_la"], Z_LA)

    ghk_chunked = chunked(lambda P, ci, co, T, z: ionsweep.ghk_voltage(P, ci, co, z, T), chunk)
    donnan_chunked = chunked(lambda c, rho, T, z: ionsweep.donnan(c, z, rho, T)[0], chunk)

    cases = {}

    # GHK, K Na Cl Ca: closed form
    jx = (j["P"], j["c_in"], j["c_out"], zc, j["T"])
    tm = time_interleaved({"ionsweep": lambda: jit_ghk_voltage(*jx)}, repeat=repeat)
    tb = time_interleaved(
        {
            "brentq": lambda: brentq_ghk(d["P"], d["c_in"], d["c_out"], Z_CA, d["T"], idx),
            "brentq floats": lambda: brentq_ghk_floats(rows_ca),
        },
        repeat=3,
        warmup=1,
    )
    ref = brentq_ghk_floats(rows_ca)
    cases["ghk_ca"] = (tm, tb, max_abs_diff(jit_ghk_voltage(*jx), idx, ref))

    # Donnan, K Cl Ca bath: a wide range and a typical one
    for key, sfx in (("donnan_wide", ""), ("donnan_typical", "_typ")):
        c_bath, rho = d["c_bath" + sfx], d["rho" + sfx]
        jd = (j["c_bath" + sfx], zd, j["rho" + sfx], j["T"])
        rows_dn = [
            (c_bath[i].tolist(), Z_DONNAN.tolist(), float(rho[i]), float(d["T"][i])) for i in idx
        ]
        tm = time_interleaved(
            {
                "ionsweep": lambda jd=jd: donnan_potential(*jd),
                "ionsweep chunked": lambda jd=jd: donnan_chunked(zd, jd[0], jd[2], jd[3]),
            },
            repeat=repeat,
        )
        tb = time_interleaved(
            {
                "brentq": lambda c=c_bath, r=rho: brentq_donnan(c, Z_DONNAN, r, d["T"], idx),
                "brentq floats": lambda rows=rows_dn: brentq_donnan_floats(rows),
            },
            repeat=3,
            warmup=1,
        )
        full = np.asarray(donnan_potential(*jd))
        chunked_full = np.asarray(donnan_chunked(zd, jd[0], jd[2], jd[3]))
        diff = max(
            max_abs_diff(full, idx, brentq_donnan_floats(rows_dn)),
            float(np.max(np.abs(chunked_full - full))),
        )
        cases[key] = (tm, tb, diff)

    # GHK with La3+: iterative solve
    jl = (j["P"], j["c_in_la"], j["c_out_la"], zl, j["T"])
    tm = time_interleaved(
        {
            "ionsweep": lambda: jit_ghk_voltage(*jl),
            "ionsweep chunked": lambda: ghk_chunked(zl, *jl[:3], jl[4]),
        },
        repeat=max(3, repeat // 2),
    )
    tb = time_interleaved(
        {
            "brentq": lambda: brentq_ghk(d["P"], d["c_in_la"], d["c_out_la"], Z_LA, d["T"], idx),
            "brentq floats": lambda: brentq_ghk_floats(rows_la),
        },
        repeat=3,
        warmup=1,
    )
    ref = brentq_ghk_floats(rows_la)
    full = jit_ghk_voltage(*jl)
    diff = max(
        max_abs_diff(full, idx, ref),
        float(np.max(np.abs(np.asarray(ghk_chunked(zl, *jl[:3], jl[4])) - np.asarray(full)))),
    )
    cases["ghk_la"] = (tm, tb, diff)
    return {"n": n, "subset": subset, "chunk": chunk, "cases": cases}


def render(r):
    n, m, chunk = r["n"], r["subset"], r["chunk"]
    titles = {
        "ghk_ca": ("GHK voltage, K/Na/Cl/Ca (closed form)", f"≥ {TARGET:.0f}×"),
        "donnan_wide": ("Donnan, K/Cl/Ca, wide range", f"≥ {TARGET:.0f}×"),
        "donnan_typical": ("Donnan, K/Cl/Ca, typical bath", f"≥ {TARGET:.0f}×"),
        "ghk_la": ("GHK voltage, K/Na/Cl/La³⁺ (iterative)", "none"),
    }
    rows, info = [], []
    for key, (tm, tb, diff) in r["cases"].items():
        title, target = titles[key]
        jax_pp = tm["ionsweep"].best / n
        b_pp = tb["brentq"].best / m
        f_pp = tb["brentq floats"].best / m
        ratio, ratio_f = b_pp / jax_pp, f_pp / jax_pp
        verdict = "—" if target == "none" else ("**met**" if ratio >= TARGET else "not met")
        if target != "none":
            verdict += " / " + ("**met**" if ratio_f >= TARGET else "not met")
        rows.append(
            [
                title,
                f"{fmt_time(tm['ionsweep'].best)} / {fmt_time(tm['ionsweep'].median)}",
                fmt_time(jax_pp),
                f"{fmt_time(b_pp)} / {fmt_time(f_pp)}",
                f"{fmt_ratio(ratio)} / {fmt_ratio(ratio_f)}",
                target,
                verdict,
                f"{diff:.2g}",
                fmt_time(tm["ionsweep"].first),
            ]
        )
        if "ionsweep chunked" in tm:
            c = tm["ionsweep chunked"]
            info.append(
                [
                    f"{title}, `lax.map` over {chunk:,}-point chunks",
                    f"{fmt_time(c.best)} / {fmt_time(c.median)}",
                    fmt_time(c.best / n),
                    fmt_ratio(tm["ionsweep"].best / c.best),
                    f"{fmt_ratio(b_pp / (c.best / n))} / {fmt_ratio(f_pp / (c.best / n))}",
                ]
            )
    table = markdown_table(
        [
            "kernel",
            f"ionsweep, {n:,} points: best / median",
            "ionsweep per point",
            "brentq per point: NumPy rows / floats",
            "speed-up: rows / floats",
            "target",
            "",
            "max abs diff (mV)",
            "ionsweep first call",
        ],
        rows,
    )
    info_table = markdown_table(
        [
            "variant (informational)",
            "best / median",
            "per point",
            "vs unchunked",
            "speed-up over brentq: rows / floats",
        ],
        info,
    )
    lines = [
        f"### Root solves, {n:,} float64 points against brentq per point",
        "",
        *machine_description(r["load"]),
        "",
        f"brentq timed on {m:,} random points (best of 3 loops); per-point temperatures "
        "293–310 K. Speed-up = brentq time per point / ionsweep time per point, against "
        "brentq reading NumPy rows (the loop as naturally written) and against brentq fed "
        "Python floats. The max abs diff compares ionsweep with brentq on the subset (and, "
        "for the chunked runs, chunked with unchunked on all points). The valences are an "
        "argument of the jitted function, so the Ca²⁺ and La³⁺ GHK rows run one compiled "
        "executable and `lax.cond` picks the closed form or the solve at run time (the La³⁺ "
        "first call is no compilation).",
        "",
        table,
        "",
        info_table,
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10**6, help="points for ionsweep")
    parser.add_argument("--subset", type=int, default=2000, help="points for brentq")
    parser.add_argument("--repeat", type=int, default=7, help="timed ionsweep calls")
    parser.add_argument("--chunk", type=int, default=62_500, help="chunk size (divides N)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    load = load_average()
    body = render({**run(args.n, args.subset, args.repeat, args.chunk), "load": load})
    name = section_name("bench_root")
    print_section(name, body)
    if not args.no_write:
        update_section(name, body)


if __name__ == "__main__":
    main()
