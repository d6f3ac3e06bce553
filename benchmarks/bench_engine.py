"""The sweep engine against the loops a user would write by hand with ``jax.jit``.

Reduce mode, float32, the same ``ionsweep`` kernels on both sides, on grids without undefined
points:

1. Nernst over (ion, c_out, c_in, T) (10⁸ points), min/max/mean over c_out and c_in; then
   with the reduced axes first in the spec.
2. Driving force V − E of 4 ions over (V, c_out, c_in, T) (10⁸), min/max/mean over V, c_out,
   c_in; hand-written: E on the (c_out, c_in) grid of each (z, T) block, broadcast against V.
3. ΔE_K, Davies against extended Debye–Hückel, over Na_in × Na_out × K_out × T (10⁸),
   min/max/mean over the two Na⁺ axes; hand-written: ``ionsweep.activity_error`` with each
   side's composition at its own shape.
4. 4-ion GHK (K⁺ Na⁺ Cl⁻ Ca²⁺) over P_Na 200 × P_Cl 100 × P_Ca 50 (log-spaced) × K_out × two
   temperatures, min/max/mean over the three permeability axes, with the permeability axes
   first, then last, then split over chunks (``chunks = { P_Na = 40 }``: the statistics
   accumulate in a state on the device across chunks).
5. ΔE_K with Pitzer (``activity_error``, PHREEQC's parameter set) over Na_in × Na_out ×
   K_out × T (10⁷).
6. GHK as in 4 with the full statistics set (min, max, mean, std, argmin, argmax, a count and
   a 100-bin histogram).

Every hand-written loop is one ``jit`` function per kept block, called in a Python loop, in
two versions: *plain* reductions (``jnp.min``/``max``/``mean``: what a user writes for a grid
without NaN, and what applies here) and *NaN-safe* ones (``jnp.nanmin``/…: what the engine's
statistics mean). The engine: ``ionsweep.run_sweep(spec)`` (statistics in memory), and the
same run into a zarr store. Warm times (compiled programs reused), best of interleaved
rounds; compile time (first call minus a warm one) reported beside. Both sides run after
``ionsweep.tune_cpu_allocator()`` (as ``ionsweep run`` does). Targets (issue 26): ≥ 0.8×
plain and ≥ 1.0× NaN-safe.

Run: ``python benchmarks/bench_engine.py [--repeat 5] [--no-write]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (  # noqa: E402
    fmt_time,
    load_average,
    machine_description,
    markdown_table,
    print_section,
    time_interleaved,
    update_section,
)

import ionsweep  # noqa: E402
from ionsweep.sweep import _kernel, parse_spec, run  # noqa: E402
from ionsweep.sweep._api import in_memory  # noqa: E402

PERM = """P_Na = { logspace = [-3, 0, 200] }
P_Cl = { logspace = [-3, 0, 100] }
P_Ca = { logspace = [-4, -1, 50] }"""

GHK = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-", "Ca2+"]
[axes]
{axes}
[fixed]
P_K = 1.0
K_in = 140.0
Na_in = 12.0
Na_out = 145.0
Cl_in = 7.0
Cl_out = 120.0
Ca_in = 0.0001
Ca_out = 2.0
[outputs]
variables = ["V_rev"]
[reduce]
over = ["P_Na", "P_Cl", "P_Ca"]
{stats}
"""

MINMAXMEAN = 'stats = ["min", "max", "mean"]'
FULL = """stats = ["min", "max", "mean", "std", "argmin", "argmax"]
count = ["V_rev > -50"]
histogram = { V_rev = { bins = 100, range = [-100, 50] } }"""

NERNST = """
[model]
name = "nernst"
[axes]
{axes}
[outputs]
variables = ["E"]
[reduce]
over = ["c_out", "c_in"]
stats = ["min", "max", "mean"]
"""
NERNST_KEPT = """ion = {{ ion = ["K+", "Na+", "Cl-", "Ca2+"] }}"""
NERNST_REDUCED = """c_out = {{ logspace = [-1, 2.5, {n_out}] }}
c_in = {{ logspace = [-1, 2.5, {n_in}] }}"""
NERNST_T = "celsius = {{ linspace = [5, 40, {n_t}] }}"


PITZER = """
[model]
name = "activity_error"
ions = ["K+", "Na+", "Ca2+", "Cl-"]
balance = "Cl-"
report = ["K+"]
models = ["pitzer"]
[axes]
{axes}
[fixed]
activity_model = "pitzer"
K_in = 140.0
Ca_in = 0.0001
Ca_out = 2.0
[outputs]
variables = ["dE_K"]
[reduce]
over = ["Na_in", "Na_out"]
stats = ["min", "max", "mean"]
"""
PITZER_REDUCED = """Na_in = {{ geomspace = [10, 300, {n}] }}
Na_out = {{ geomspace = [10, 300, {n}] }}"""
PITZER_KEPT = """K_out = {{ linspace = [2, 20, {n_k}] }}
celsius = {{ linspace = [5, 40, {n_t}] }}"""


def axes(*blocks: str, **sizes) -> str:
    """The ``[axes]`` lines of a spec: ``blocks`` in order, their sizes filled in."""
    return "\n".join(block.format(**sizes) for block in blocks)


DRIVING = """
[model]
name = "driving_force"
[axes]
ion = {{ ion = ["K+", "Na+", "Cl-", "Ca2+"] }}
V = {{ linspace = [-100, 40, {n_v}] }}
c_out = {{ logspace = [-1, 2.5, {n_out}] }}
c_in = {{ logspace = [-1, 2.5, {n_in}] }}
celsius = {{ linspace = [5, 40, {n_t}] }}
[outputs]
variables = ["driving_force"]
[reduce]
over = ["V", "c_out", "c_in"]
stats = ["min", "max", "mean"]
"""

DAVIES = """
[model]
name = "activity_error"
ions = ["K+", "Na+", "Cl-"]
balance = "Cl-"
report = ["K+"]
models = ["davies"]
reference = "extended_debye_huckel"
[axes]
Na_in = {{ geomspace = [5, 150, {n}] }}
Na_out = {{ geomspace = [5, 150, {n}] }}
K_out = {{ linspace = [2, 20, {n_k}] }}
celsius = {{ linspace = [5, 40, {n_t}] }}
[fixed]
activity_model = "davies"
K_in = 140.0
[outputs]
variables = ["dE_K"]
[reduce]
over = ["Na_in", "Na_out"]
stats = ["min", "max", "mean"]
"""


def plain_stats(v):
    """What a user reduces with on a grid without undefined points."""
    return [jnp.min(v), jnp.max(v), jnp.mean(v)]


def nansafe_stats(v):
    """The same, skipping NaN (what the engine's statistics mean)."""
    return [jnp.nanmin(v), jnp.nanmax(v), jnp.nanmean(v)]


def plain_full(v):
    v = v.reshape(-1)
    return [
        *plain_stats(v),
        jnp.std(v),
        jnp.argmin(v),
        jnp.argmax(v),
        jnp.sum(v > -50),
        jnp.histogram(v, bins=100, range=(-100.0, 50.0))[0],
    ]


def nansafe_full(v):
    v = v.reshape(-1)
    return [
        *nansafe_stats(v),
        jnp.nanstd(v),
        jnp.nanargmin(v),
        jnp.nanargmax(v),
        jnp.sum(v > -50),
        jnp.histogram(v, bins=100, range=(-100.0, 50.0))[0],
    ]


def hand_pitzer(n, n_k, n_t, stats):
    """ΔE_K (Pitzer, PHREEQC's parameters, vs ideal) per (K_out, T) block over the Na_in ×
    Na_out grid, Cl⁻ balancing each side, with ``ionsweep.activity_error``."""
    na = jnp.asarray(np.geomspace(10, 300, n, dtype=np.float32))

    def side(k, na, ca):
        return {"K+": k, "Na+": na, "Ca2+": ca, "Cl-": k + na + 2 * ca}

    @jax.jit
    def block(k_out, t):
        c_in = side(jnp.float32(140), na[:, None], jnp.float32(1e-4))
        c_out = side(k_out, na[None, :], jnp.float32(2))
        dE = ionsweep.activity_error("K+", c_in, c_out, t, model="pitzer", neutrality_rtol=None)
        return stats(dE)

    k_out = np.linspace(2, 20, n_k, dtype=np.float32)
    T = np.linspace(5, 40, n_t, dtype=np.float32) + np.float32(273.15)
    return lambda: [block(k, t) for k in k_out for t in T]


def hand_davies(n, n_k, n_t, stats):
    """ΔE_K, Davies against extended Debye–Hückel, per (K_out, T) block over the Na_in ×
    Na_out grid, each side at its own shape, with ``ionsweep.activity_error``."""
    na = jnp.asarray(np.geomspace(5, 150, n, dtype=np.float32))

    def side(k, na):
        return {"K+": k, "Na+": na, "Cl-": k + na}

    @jax.jit
    def block(k_out, t):
        c_in, c_out = side(jnp.float32(140), na[:, None]), side(k_out, na[None, :])
        dE = ionsweep.activity_error(
            "K+", c_in, c_out, t, model="davies", reference="extended_debye_huckel",
            neutrality_rtol=None,
        )  # fmt: skip
        return stats(dE)

    k_out = np.linspace(2, 20, n_k, dtype=np.float32)
    T = np.linspace(5, 40, n_t, dtype=np.float32) + np.float32(273.15)
    return lambda: [block(k, t) for k in k_out for t in T]


def _ghk_grid(n_k):
    P_Na = np.logspace(-3, 0, 200, dtype=np.float32)
    P_Cl = np.logspace(-3, 0, 100, dtype=np.float32)
    P_Ca = np.logspace(-4, -1, 50, dtype=np.float32)
    K_out = np.linspace(2, 20, n_k, dtype=np.float32)
    T = np.asarray([293.15, 310.15], np.float32)
    return P_Na, P_Cl, P_Ca, K_out, T


def hand_ghk(n_k, stats):
    """The loop a user writes: one jitted function per (K_out, T) block."""
    P_Na, P_Cl, P_Ca, K_out, T = _ghk_grid(n_k)
    z = jnp.asarray([1, 1, -1, 2], jnp.float32)
    c_in = jnp.asarray([140.0, 12.0, 7.0, 1e-4], jnp.float32)

    @jax.jit
    def block(k_out, t):
        P = jnp.stack(
            jnp.broadcast_arrays(
                jnp.float32(1), P_Na[:, None, None], P_Cl[None, :, None], P_Ca[None, None, :]
            ),
            -1,
        )
        c_out = jnp.stack([k_out, jnp.float32(145), jnp.float32(120), jnp.float32(2)])
        return stats(ionsweep.ghk_voltage(P, c_in, c_out, z, t))

    return lambda: [block(k, t) for k in K_out for t in T]


def hand_nernst(n_out, n_in, n_t, stats):
    z = jnp.asarray([1, 1, -1, 2], jnp.float32)
    c_out = jnp.asarray(np.logspace(-1, 2.5, n_out, dtype=np.float32))
    c_in = jnp.asarray(np.logspace(-1, 2.5, n_in, dtype=np.float32))
    T = np.linspace(5, 40, n_t, dtype=np.float32) + np.float32(273.15)

    @jax.jit
    def block(zi, t):
        return stats(ionsweep.nernst(c_in[None, :], c_out[:, None], zi, t))

    return lambda: [block(zi, t) for zi in z for t in T]


def hand_driving(n_v, n_out, n_in, n_t, stats):
    """V − E for every (z, T) block: E on the (c_out, c_in) grid, broadcast against V."""
    z = jnp.asarray([1, 1, -1, 2], jnp.float32)
    V = jnp.asarray(np.linspace(-100, 40, n_v, dtype=np.float32))
    c_out = jnp.asarray(np.logspace(-1, 2.5, n_out, dtype=np.float32))
    c_in = jnp.asarray(np.logspace(-1, 2.5, n_in, dtype=np.float32))
    T = np.linspace(5, 40, n_t, dtype=np.float32) + np.float32(273.15)

    @jax.jit
    def block(zi, t):
        E = ionsweep.nernst(c_in[None, None, :], c_out[None, :, None], zi, t)
        return stats(ionsweep.driving_force(V[:, None, None], E))

    return lambda: [block(zi, t) for zi in z for t in T]


def engine(plan):
    """The engine's statistics in memory (``ionsweep.run_sweep`` without a store)."""
    return in_memory(plan)


def engine_store(plan, tmp: Path):
    """The same, written to a new zarr store."""
    out = tmp / "engine.zarr"
    try:
        run(plan, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


COMPILE_PROBE = """
import json, sys, time
import jax
from ionsweep.sweep import parse_spec
from ionsweep.sweep._host import chunk_groups as _groups
from ionsweep.sweep._launch import Launcher
import numpy as np
plan = parse_spec(sys.argv[1])
devices = jax.devices()
chunks = list(np.ndindex(*plan.chunk_grid))
t = time.perf_counter()
launch = Launcher(plan, devices)
jax.block_until_ready(launch(_groups(chunks, len(devices))[0]))
first = time.perf_counter() - t
t = time.perf_counter()
jax.block_until_ready(launch(_groups(chunks, len(devices))[0]))
again = time.perf_counter() - t
print(json.dumps({"devices": len(devices), "first": first, "again": again}))
"""


def compile_times(spec: str, n_devices: int, repeat: int) -> dict:
    """First call (compile + one group of chunks) and a repeated call, in a new process
    with ``n_devices`` simulated host devices; best of ``repeat`` processes."""
    import json
    import os
    import subprocess

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n_devices}"
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", COMPILE_PROBE, spec],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        r["compile"] = r["first"] - r["again"]
        if best is None or r["compile"] < best["compile"]:
            best = r
    return best


def _cases(args):
    """(label, hand-written loop factory ``make(stats)``, spec, target vs plain)."""
    kept = f"K_out = {{ linspace = [2, 20, {args.k_out}] }}\ncelsius = [20.0, 37.0]"
    n_out, n_in, n_t = (int(v) for v in args.nernst.split(","))
    nernst = {"n_out": n_out, "n_in": n_in, "n_t": n_t}
    pz = dict(zip(("n", "n_k", "n_t"), (int(v) for v in args.pitzer.split(",")), strict=True))
    dv = dict(zip(("n_v", "n_out", "n_in", "n_t"), map(int, args.driving.split(",")), strict=True))
    da = dict(zip(("n", "n_k", "n_t"), (int(v) for v in args.davies.split(",")), strict=True))
    ghk = GHK.format(axes=PERM + "\n" + kept, stats=MINMAXMEAN)
    return [
        (
            "Nernst over (ion, c_out, c_in, T), min/max/mean over c_out, c_in",
            lambda st: hand_nernst(n_out, n_in, n_t, st),
            NERNST.format(axes=axes(NERNST_KEPT, NERNST_REDUCED, NERNST_T, **nernst)),
        ),
        (
            "the same Nernst sweep, reduced axes first (c_out, c_in, ion, T)",
            lambda st: hand_nernst(n_out, n_in, n_t, st),
            NERNST.format(axes=axes(NERNST_REDUCED, NERNST_KEPT, NERNST_T, **nernst)),
        ),
        (
            "driving force V − E_ion, 4 ions over (V, c_out, c_in, T), min/max/mean over "
            "V, c_out, c_in",
            lambda st: hand_driving(*dv.values(), st),
            DRIVING.format(**dv),
        ),
        (
            "ΔE_K Davies − extended Debye–Hückel over (Na_in, Na_out, K_out, T), "
            "min/max/mean over Na_in, Na_out",
            lambda st: hand_davies(*da.values(), st),
            DAVIES.format(**da),
        ),
        (
            "4-ion GHK, min/max/mean, permeability axes first",
            lambda st: hand_ghk(args.k_out, st),
            ghk,
        ),
        (
            "4-ion GHK, min/max/mean, permeability axes last",
            lambda st: hand_ghk(args.k_out, st),
            GHK.format(axes=kept + "\n" + PERM, stats=MINMAXMEAN),
        ),
        (
            "4-ion GHK, min/max/mean, reduced axes split over chunks (accumulated on the device)",
            lambda st: hand_ghk(args.k_out, st),
            ghk.replace("[reduce]", "[run]\nchunks = { P_Na = 40 }\n[reduce]"),
        ),
        (
            "ΔE_K with Pitzer (activity_error) over (Na_in, Na_out, K_out, T), "
            "min/max/mean over Na_in, Na_out",
            lambda st: hand_pitzer(*pz.values(), st),
            PITZER.format(axes=axes(PITZER_REDUCED, PITZER_KEPT, **pz)),
        ),
        (
            "4-ion GHK, full statistics (std, argmin/argmax, count, 100-bin histogram)",
            lambda st: hand_ghk(args.k_out, st),
            GHK.format(axes=PERM + "\n" + kept, stats=FULL),
        ),
    ]


def _measure(label, make, spec, tmp, repeat):
    """Warm times (best of ``repeat`` interleaved rounds) and compile times of the engine,
    in memory and into a store, and of the plain and NaN-safe hand-written loops."""
    plan = parse_spec(spec)
    full = "histogram" in spec
    _kernel._CACHE.clear()  # the engine's first call compiles, as the hand loops' do
    candidates = {
        "plain": make(plain_full if full else plain_stats),
        "nan-safe": make(nansafe_full if full else nansafe_stats),
        "engine": lambda: engine(plan),
        "store": lambda: engine_store(plan, tmp),
    }
    t = time_interleaved(candidates, repeat)
    eng = t["engine"].best
    r_plain, r_nan = t["plain"].best / eng, t["nan-safe"].best / eng
    print(
        f"{label}: plain {t['plain'].best:.3f} s, nan-safe {t['nan-safe'].best:.3f} s, "
        f"engine {eng:.3f} s ({r_plain:.2f}x plain, {r_nan:.2f}x nan-safe), "
        f"store {t['store'].best:.3f} s; compile: engine {t['engine'].first - eng:.2f} s, "
        f"hand {t['plain'].first - t['plain'].best:.2f} s"
    )
    return plan, t, r_plain, r_nan


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k-out", type=int, default=100, help="K_out values (1e6 points each x2)")
    ap.add_argument("--nernst", default="1000,1000,25", help="n_out,n_in,n_T of the Nernst case")
    ap.add_argument("--driving", default="50,500,250,4", help="n_V,n_out,n_in,n_T")
    ap.add_argument("--davies", default="2500,4,4", help="n_Na,n_K_out,n_T of the Davies case")
    ap.add_argument("--pitzer", default="200,25,10", help="n_Na,n_K_out,n_T of the Pitzer case")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args(argv)
    # Both sides run under the allocator settings the ionsweep command line applies for
    # `run`; otherwise each case's speed depends on what earlier cases left in glibc's heap.
    ionsweep.tune_cpu_allocator()
    load0 = load_average()
    tmp = Path(tempfile.mkdtemp(prefix="ionsweep-bench-"))
    small = GHK.format(
        axes=PERM + "\nK_out = { linspace = [2, 20, 8] }\ncelsius = [20.0, 37.0]",
        stats=MINMAXMEAN,
    ).replace("[reduce]", "[run]\nchunks = { K_out = 1, celsius = 1 }\n[reduce]")
    one, four = (compile_times(small, n, 3) for n in (1, 4))
    compile_ratio = four["compile"] / one["compile"]
    print(f"compile: 1 device {one['compile']:.2f} s, 4 devices {four['compile']:.2f} s")
    engine(parse_spec(small))  # the process's one-time costs (imports), not any case's compile
    rows = []
    try:
        for label, make, spec in _cases(args):
            plan, t, r_plain, r_nan = _measure(label, make, spec, tmp, args.repeat)
            met = r_plain >= 0.8 and r_nan >= 1.0
            rows.append(
                [
                    label,
                    f"{plan.n_points:.2e}",
                    fmt_time(t["plain"].best),
                    fmt_time(t["nan-safe"].best),
                    f"{fmt_time(t['engine'].best)} ({plan.n_points / t['engine'].best:.3g}/s)",
                    f"**{r_plain:.2f}×**",
                    f"{r_nan:.2f}×",
                    "met" if met else "not met",
                    fmt_time(t["store"].best),
                    f"{t['engine'].first - t['engine'].best:.2f} s / "
                    f"{t['plain'].first - t['plain'].best:.2f} s",
                ]
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    devices = len(jax.devices())
    body = "\n".join(
        [
            "## Sweep engine vs a hand-written `jax.jit` loop (`bench_engine.py`)",
            "",
            *machine_description(load0),
            f"- load average at the end: {load_average()}",
            f"- the engine ran on {devices} CPU device(s) (one per usable core, "
            "`IONSWEEP_CPU_DEVICES`); the hand-written loops on JAX's default device",
            "",
            "Reduce mode, float32, warm (compiled programs reused), best of "
            f"{args.repeat} interleaved rounds. Engine: `ionsweep.run_sweep(spec)`, the "
            "statistics in memory; *store*: the same run writing a zarr store "
            "(`ionsweep run`). Hand-written: one `jax.jit` function per kept block, called "
            "in a Python loop, reducing with plain `jnp.min/max/mean` (*plain*: what a user "
            "writes for a grid without undefined points, which applies to every grid "
            "here: none holds NaN) or `jnp.nanmin/nanmax/nanmean` (*NaN-safe*: what the "
            "engine's statistics mean, skipping undefined points). Targets: ≥ 0.8× plain and "
            "≥ 1.0× NaN-safe. Compile: first call minus a warm call (engine / plain loop).",
            "",
            markdown_table(
                [
                    "case",
                    "points",
                    "hand, plain",
                    "hand, NaN-safe",
                    "engine (in memory)",
                    "vs plain",
                    "vs NaN-safe",
                    "targets",
                    "engine, into a store",
                    "compile engine / hand",
                ],
                rows,
            ),
            "",
            "Compile time with four simulated host devices "
            "(`--xla_force_host_platform_device_count=4`) against one, 4-ion GHK reduce "
            "kernel, in a new process each (first call minus a repeated call; best of 3 "
            f"processes): 1 device {one['compile']:.2f} s, 4 devices "
            f"{four['compile']:.2f} s, **{compile_ratio:.2f}×** (target ≤ 1.3×: "
            f"{'met' if compile_ratio <= 1.3 else 'not met'}). The four devices run one "
            "program (`shard_map` over a one-axis mesh), compiled once.",
        ]
    )
    print_section("bench_engine", body)
    if not args.no_write:
        update_section("bench_engine", body)


if __name__ == "__main__":
    main()
