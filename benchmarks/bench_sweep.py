"""End-to-end sweep benchmarks: compute/write overlap, constant memory in reduce mode, the
host's cost per chunk, and store-mode writes against ``xr.Dataset.to_zarr``.

Parts (``--part``; each rewrites its own section of RESULTS.md):

``overlap`` (default):

1. A 10⁸-point Nernst sweep (float32) into zarr, three ways in one run:
   * compute only — every chunk through the run's jitted kernel (one call per group of
     chunks, as a run makes), results copied to the host and cut to their regions;
   * write only — the same arrays (computed beforehand, held in memory) written to a fresh
     store of the same layout by the run's own chunk writer, chunk by chunk, with the
     manifest;
   * end to end — ``ionsweep.sweep.run``, where chunk k+1 computes while chunk k is written.
   Target: end-to-end wall time ≤ 1.15 × max(compute only, write only).
2. Peak resident memory (RSS) of reduce-mode Nernst sweeps of 10⁷, 10⁸ and 10⁹ points, each in
   its own process (``ru_maxrss``), with a 256 MB memory budget. Target: ≤ 1.5 GB at 10⁹
   points and flat in the grid size.

``chunks``: a 10⁷-point Nernst reduce sweep (min/max/mean, float32) forced into 4,000
chunks of 2,500 points, evaluated in memory (``reduce_in_memory``, then the statistics'
final values) against the loop a JAX user writes over the same chunks: one ``jax.jit``
function of a chunk (``ionsweep.nernst``, plain ``jnp.min``/``max``/``sum``) called once per
chunk with its slice of the (device) axis values, the results stacked and fetched once at
the end and combined with NumPy. Two layouts:
``direct`` (each chunk spans the reduced axis c_out, 2,500 values, whole; one chunk per
temperature) and ``accumulate`` (c_out has 10⁴ values in 4 chunks; the engine merges
partial statistics on the device). Both sides after warm-up (first calls, with compile,
reported apart); best of interleaved rounds. Target: engine ≥ 0.5× the hand loop.

``store``: 3-ion GHK voltage with its derivatives along 3 axes (4 float32 variables and
``valid``), 10⁷ points, store mode, against:
  * compute only — ``ionsweep.run_sweep(spec)`` with no store (the same kernel and chunks,
    results in an in-memory Dataset);
  * write only — that Dataset's ``to_zarr`` with the store's chunks and codecs (zstd
    level 0, then crc32c), consolidated metadata;
  * compute, then ``to_zarr``, one after the other (what a user would otherwise write);
  * end to end — ``ionsweep.sweep.run`` into a fresh store.
Targets: end to end ≤ 1.0× compute-then-to_zarr and ≤ 1.15× max(compute only, write only).

Every part runs after ``ionsweep.tune_cpu_allocator()``, as ``ionsweep run`` does.

Run: ``python benchmarks/bench_sweep.py [--part overlap|chunks|store] [--points 1e8]
[--reduce-sizes 1e7,1e8,1e9] [--repeat 5] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (  # noqa: E402
    fmt_ratio,
    fmt_time,
    load_average,
    machine_description,
    markdown_table,
    print_section,
    time_interleaved,
    update_section,
)

import ionsweep  # noqa: E402
from ionsweep.store import _zarr as zstore  # noqa: E402
from ionsweep.sweep import parse_spec, run  # noqa: E402
from ionsweep.sweep._executor import devices_for  # noqa: E402
from ionsweep.sweep._host import (
    chunk_groups as _groups,  # noqa: E402
    host_group,  # noqa: E402
)
from ionsweep.sweep._in_memory import reduce_in_memory  # noqa: E402
from ionsweep.sweep._launch import Launcher  # noqa: E402
from ionsweep.sweep._store import write_chunk  # noqa: E402
from ionsweep.sweep._store_layout import (
    store_attrs as _attrs,  # noqa: E402
    store_layout as _layout,  # noqa: E402
)

STORE_SPEC = """
[model]
name = "nernst"
[axes]
c_out = {{ logspace = [-1, 2.5, {n_c}] }}
celsius = {{ linspace = [0, 40, {n_t}] }}
[fixed]
c_in = 140
ion = "K+"
[outputs]
variables = ["E"]
[run]
memory = "{memory}"
"""

REDUCE_SPEC = STORE_SPEC.replace(
    "[run]",
    """[reduce]
over = ["c_out"]
stats = ["min", "max", "mean", "std"]
count = ["E > -80"]
[run]""",
)

CHILD = r"""
import json, resource, sys, time
from ionsweep.sweep import parse_spec, run
plan = parse_spec(sys.argv[1])
t = time.perf_counter()
run(plan, sys.argv[2], progress=False)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": wall, "rss": rss, "points": plan.n_points, "chunks": plan.n_chunks}))
"""


def grid(points: float) -> tuple[int, int]:
    n_t = 1000
    return int(round(points / n_t)), n_t


def bench_overlap(points: float, memory: str, tmp: Path):
    n_c, n_t = grid(points)
    plan = parse_spec(STORE_SPEC.format(n_c=n_c, n_t=n_t, memory=memory))
    devices = devices_for(plan)
    launch = Launcher(plan, devices)  # the run's own kernel and inputs
    groups = _groups(list(np.ndindex(*plan.chunk_grid)), launch.per_call)  # a call's chunks
    jax.block_until_ready(launch(groups[0]))

    def results(group):
        return host_group(plan, group, launch.stacked(launch.to_host(launch(group))))

    # compute only (results fetched to host and cut to their regions, as a run does)
    t = time.perf_counter()
    for group in groups:
        results(group)
    compute = time.perf_counter() - t

    # the same arrays, computed up front, then written by the run's own chunk writer
    host = [(i, arrays) for g in groups for i, arrays in zip(g, results(g), strict=True)]
    out = tmp / "write_only.zarr"
    variables, coords = _layout(plan)
    zstore.create(out, variables, coords, _attrs(plan, devices))
    store = zstore.writable_arrays(zstore.open_group_rw(out), host[0][1])
    t = time.perf_counter()
    for index, arrays in host:
        write_chunk(store, plan, out, index, arrays)
    write = time.perf_counter() - t
    del host
    shutil.rmtree(out)

    t = time.perf_counter()
    run(plan, tmp / "e2e.zarr", progress=False)
    e2e = time.perf_counter() - t
    size = sum(p.stat().st_size for p in (tmp / "e2e.zarr").rglob("*") if p.is_file())
    shutil.rmtree(tmp / "e2e.zarr")
    return plan, compute, write, e2e, size


def bench_rss(sizes, memory: str, tmp: Path):
    rows = []
    for points in sizes:
        n_c, n_t = grid(points)
        spec = REDUCE_SPEC.format(n_c=n_c, n_t=n_t, memory=memory)
        out = tmp / f"reduce_{int(points)}.zarr"
        r = subprocess.run(
            [sys.executable, "-c", CHILD, spec, str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        shutil.rmtree(out, ignore_errors=True)
    return rows


#: STORE_SPEC with min/max/mean over c_out and chunks given instead of a memory budget.
CHUNKS_SPEC = (
    STORE_SPEC.split("[run]")[0]
    + """[reduce]
over = ["c_out"]
stats = ["min", "max", "mean"]
[run]
chunks = {{ {chunks} }}
"""
)

#: (c_out values, temperatures, chunks): 4,000 chunks of 2,500 points each.
CHUNK_LAYOUTS = {
    "direct": (2500, 4000, "celsius = 1"),
    "accumulate": (10_000, 1000, "c_out = 2500, celsius = 1"),
}
CHUNK = 2500


def hand_loop(n_c: int, n_t: int):
    """The loop a JAX user writes over the chunks: a jitted function of one chunk (its
    c_out values and one temperature) returning plain min, max and sum, called per chunk
    with the chunk's slice of the axis values kept on the device, the partial results
    stacked on the device and fetched once at the end (the fastest of the ways tried: one
    transfer per chunk, or scalars passed as device arrays, were slower), then combined
    with NumPy into min, max and mean per temperature."""
    c_in, z = 140.0, 1.0

    @jax.jit
    def chunk_stats(c_out, T):
        E = ionsweep.nernst(c_in, c_out, z, T)
        return jnp.stack([jnp.min(E), jnp.max(E), jnp.sum(E)])

    c_out = np.logspace(-1, 2.5, n_c).astype(np.float32)
    pieces = [jax.device_put(c_out[i : i + CHUNK]) for i in range(0, n_c, CHUNK)]
    T = (np.linspace(0, 40, n_t) + 273.15).astype(np.float32)

    def loop():
        parts = [chunk_stats(c, t) for t in T for c in pieces]
        p = np.asarray(jnp.stack(parts), np.float64).reshape(n_t, len(pieces), 3)
        return p[..., 0].min(1), p[..., 1].max(1), p[..., 2].sum(1) / n_c

    return loop


def bench_chunks(repeat: int):
    """Engine (in memory) vs the hand loop over the same 4,000 chunks, per layout."""
    rows, checks = [], []
    for layout, (n_c, n_t, chunks) in CHUNK_LAYOUTS.items():
        plan = parse_spec(CHUNKS_SPEC.format(n_c=n_c, n_t=n_t, chunks=chunks))
        assert plan.n_chunks == 4000 and math.prod(plan.chunks) == CHUNK, plan.chunks

        def engine(plan=plan):
            return reduce_in_memory(plan).results()

        hand = hand_loop(n_c, n_t)
        t = time_interleaved({"engine": engine, "hand": hand}, repeat=repeat)
        got, want = engine(), hand()
        for name, ref in zip(("E_min", "E_max", "E_mean"), want, strict=True):
            np.testing.assert_allclose(got[name][0], ref, rtol=2e-5, atol=1e-3, err_msg=name)
        checks.append(layout)
        e, h = t["engine"], t["hand"]
        rows.append(
            [
                layout,
                f"{fmt_time(e.best)} (median {fmt_time(e.median)})",
                f"{fmt_time(h.best)} (median {fmt_time(h.median)})",
                f"{e.best / plan.n_chunks * 1e6:.1f} µs / {h.best / plan.n_chunks * 1e6:.1f} µs",
                f"**{fmt_ratio(h.best / e.best)}**",
                f"{fmt_time(e.first)} / {fmt_time(h.first)}",
            ]
        )
    table = markdown_table(
        [
            "chunks",
            "engine",
            "hand `jit` loop",
            "per chunk (engine / hand)",
            "engine speed vs hand",
            "first call (engine / hand)",
        ],
        rows,
    )
    return table, rows


def to_zarr_encoding(plan, names):
    """The store's codecs and chunks, for ``xr.Dataset.to_zarr``."""
    return {
        name: {"compressors": zstore.ARRAY_OPTIONS["compressors"], "chunks": plan.chunks}
        for name in names
    }


STORE_SPEC_GHK = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-"]
[axes]
P_Na = {{ logspace = [-3, 0, {n}] }}
P_Cl = {{ logspace = [-3, 0, 100] }}
K_out = {{ linspace = [2, 20, 100] }}
[fixed]
P_K = 1.0
K_in = 140.0
Na_in = 12.0
Na_out = 145.0
Cl_in = 7.0
Cl_out = 120.0
[outputs]
variables = ["V_rev"]
grad = ["P_Na", "P_Cl", "K_out"]
[run]
dtype = "float32"
"""


def bench_store(points: float, repeat: int, tmp: Path):
    """GHK with 3 gradients in store mode: end to end vs compute only, write only and the
    two one after the other, interleaved rounds."""
    import warnings

    spec = STORE_SPEC_GHK.format(n=int(round(points / 1e4)))
    plan = parse_spec(spec)
    names = None
    k = [0]

    def fresh(name):
        k[0] += 1
        return tmp / f"{name}-{k[0]}.zarr"

    def compute():
        return ionsweep.run_sweep(spec)

    def write(ds):
        out = fresh("to_zarr")
        with warnings.catch_warnings():  # zarr: consolidated metadata is not in the v3 spec
            warnings.simplefilter("ignore")
            encoding = to_zarr_encoding(plan, names)
            ds.to_zarr(out, encoding=encoding, zarr_format=3, consolidated=True)
        shutil.rmtree(out)

    def engine():
        out = fresh("run")
        run(plan, out, progress=False)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        shutil.rmtree(out)
        return size

    held = compute()
    names = list(held.data_vars)
    raw = sum(v.nbytes for v in held.data_vars.values())

    def one_after_the_other():
        write(compute())

    t = time_interleaved(
        {
            "compute only": compute,
            "write only": lambda: write(held),
            "compute, then to_zarr": one_after_the_other,
            "end to end (`run`)": engine,
        },
        repeat=repeat,
    )
    size = engine()
    return plan, t, raw, size


def part_chunks(args, load0) -> tuple[str, str]:
    table, rows = bench_chunks(args.repeat)
    ratios = [float(r[4].strip("*×")) for r in rows]
    body = "\n".join(
        [
            "## Sweep engine: many small chunks (`bench_sweep.py --part chunks`)",
            "",
            *machine_description(load0),
            "",
            "Nernst over c_out × T, min/max/mean over c_out (float32), 10⁷ points in 4,000 "
            "chunks of 2,500 points, in memory; the hand-written loop calls one `jax.jit` "
            "function per chunk (plain reductions) and combines the partial results with "
            "NumPy. Both after warm-up; best of interleaved rounds (median beside it). The hand "
            "loop's first call includes compiling `jnp.stack` of 4,000 arrays (once per number "
            "of chunks; the direct layout pays it, the accumulate layout reuses it).",
            "",
            table,
            "",
            f"Engine / hand-written speed: {', '.join(f'{r:.2f}' for r in ratios)} (target "
            f"≥ 0.5: {'met' if min(ratios) >= 0.5 else 'not met'}).",
        ]
    )
    return "bench_sweep-chunks", body


def part_store(args, load0) -> tuple[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="ionsweep-bench-"))
    try:
        plan, t, raw, size = bench_store(args.store_points, args.repeat, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = {label: timing.best for label, timing in t.items()}
    e2e = best["end to end (`run`)"]
    sequential = best["compute, then to_zarr"]
    bound = max(best["compute only"], best["write only"])
    table = markdown_table(
        ["measurement", "best", "median", "points/s"],
        [
            [label, fmt_time(x.best), fmt_time(x.median), f"{plan.n_points / x.best:.3g}"]
            for label, x in t.items()
        ],
    )
    r1, r2 = e2e / sequential, e2e / bound
    body = "\n".join(
        [
            "## Sweep engine: store-mode writes vs `to_zarr` (`bench_sweep.py --part store`)",
            "",
            *machine_description(load0),
            "",
            f"3-ion GHK voltage and its derivatives along P_Na, P_Cl and K_out (4 float32 "
            f"variables and `valid`), {plan.n_points:.0e} points in {plan.n_chunks} chunks of "
            f"{math.prod(plan.chunks):,} points ({raw / 1e6:.0f} MB in memory, {size / 1e6:.0f} MB "
            "on disk); zstd level 0 then crc32c on both sides. Best of interleaved rounds.",
            "",
            table,
            "",
            f"End to end / (compute, then to_zarr) = **{r1:.2f}** (target ≤ 1.0: "
            f"{'met' if r1 <= 1.0 else 'not met'}); end to end / max(compute only, write only) "
            f"= **{r2:.2f}** (target ≤ 1.15: {'met' if r2 <= 1.15 else 'not met'}).",
        ]
    )
    return "bench_sweep-store", body


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["overlap", "chunks", "store"], default="overlap")
    ap.add_argument("--points", type=float, default=1e8)
    ap.add_argument("--store-points", type=float, default=1e7)
    ap.add_argument("--reduce-sizes", default="1e7,1e8,1e9")
    ap.add_argument("--memory", default="256MB")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args(argv)
    ionsweep.tune_cpu_allocator()  # as `ionsweep run` does
    load0 = load_average()
    part = {"overlap": part_overlap, "chunks": part_chunks, "store": part_store}[args.part]
    name, body = part(args, load0)
    print_section(name, body)
    if not args.no_write:
        update_section(name, body)


def part_overlap(args, load0) -> tuple[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="ionsweep-bench-"))
    try:
        plan, compute, write, e2e, size = bench_overlap(args.points, args.memory, tmp)
        bound = max(compute, write)
        overlap = markdown_table(
            ["measurement", "wall time", "points/s"],
            [
                ["compute only", f"{compute:.2f} s", f"{plan.n_points / compute:.3g}"],
                ["write only (same arrays)", f"{write:.2f} s", f"{plan.n_points / write:.3g}"],
                ["end to end (`run`)", f"{e2e:.2f} s", f"{plan.n_points / e2e:.3g}"],
            ],
        )
        ratio = e2e / bound
        sizes = [float(s) for s in args.reduce_sizes.split(",")]
        rss = bench_rss(sizes, args.memory, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rss_table = markdown_table(
        ["points", "chunks", "wall time", "points/s", "peak RSS"],
        [
            [
                f"{r['points']:.0e}",
                r["chunks"],
                f"{r['wall']:.1f} s",
                f"{r['points'] / r['wall']:.3g}",
                f"{r['rss'] / 2**20:.0f} MiB",
            ]
            for r in rss
        ],
    )
    growth = rss[-1]["rss"] / rss[0]["rss"]
    body = "\n".join(
        [
            "## Sweep engine: compute/write overlap and reduce-mode memory (`bench_sweep.py`)",
            "",
            *machine_description(load0),
            "",
            f"### {plan.n_points:.0e}-point Nernst sweep to zarr (float32, {plan.n_chunks} chunks "
            f"of {math.prod(plan.chunks):,} points, memory budget {args.memory}; store "
            f"{size / 1e6:.0f} MB on disk)",
            "",
            overlap,
            "",
            f"End to end / max(compute only, write only) = **{ratio:.2f}** (target ≤ 1.15: "
            f"{'met' if ratio <= 1.15 else 'not met'}).",
            "",
            f"### Reduce mode (min/max/mean/std and a count over `c_out`), memory budget "
            f"{args.memory}",
            "",
            rss_table,
            "",
            f"Peak RSS at {rss[-1]['points']:.0e} points: {rss[-1]['rss'] / 2**30:.2f} GiB "
            f"(target ≤ 1.5 GB: {'met' if rss[-1]['rss'] <= 1.5e9 else 'not met'}); growth from "
            f"{rss[0]['points']:.0e} to {rss[-1]['points']:.0e} points: ×{growth:.2f}.",
        ]
    )
    return "bench_sweep", body


if __name__ == "__main__":
    main()
