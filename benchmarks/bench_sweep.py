"""End-to-end sweep benchmarks: compute/write overlap and constant memory in reduce mode.

1. A 10⁸-point Nernst sweep (float32) into zarr, three ways in one run:
   * compute only — every chunk through the run's jitted kernel, results discarded;
   * write only — the same arrays (computed beforehand, held in memory) written to a fresh
     store of the same layout, chunk by chunk, with the manifest;
   * end to end — ``ionsweep.sweep.run``, where chunk k+1 computes while chunk k is written.
   Target: end-to-end wall time ≤ 1.3 × max(compute only, write only).
2. Peak resident memory (RSS) of reduce-mode Nernst sweeps of 10⁷, 10⁸ and 10⁹ points, each in
   its own process (``ru_maxrss``), with a 256 MB memory budget. Target: ≤ 1.5 GB at 10⁹
   points and flat in the grid size.

Run: ``python benchmarks/bench_sweep.py [--points 1e8] [--reduce-sizes 1e7,1e8,1e9]``.
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
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (  # noqa: E402
    load_average,
    machine_description,
    markdown_table,
    print_section,
    update_section,
)

from ionsweep.store import _zarr as zstore  # noqa: E402
from ionsweep.sweep import parse_spec, run  # noqa: E402
from ionsweep.sweep._executor import devices_for  # noqa: E402
from ionsweep.sweep._launch import Launcher  # noqa: E402
from ionsweep.sweep._store import store_attrs as _attrs  # noqa: E402
from ionsweep.sweep._store import store_layout as _layout  # noqa: E402

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
    chunks = list(np.ndindex(*plan.chunk_grid))
    jax.block_until_ready(launch(chunks[:1]))

    # compute only (results fetched to host, as a run does, then dropped)
    t = time.perf_counter()
    for idx in chunks:
        res, valid = launch([idx])
        np.asarray(res["E"]), np.asarray(valid)
    compute = time.perf_counter() - t

    # the same arrays, computed up front, then write only
    host = []
    for idx in chunks:
        res, valid = launch([idx])
        cut = tuple(slice(0, s.stop - s.start) for s in plan.chunk_region(idx))
        host.append(
            {"E": np.asarray(res["E"])[cut], "valid": np.asarray(valid)[cut].astype(np.uint8)}
        )
    out = tmp / "write_only.zarr"
    variables, coords = _layout(plan)
    zstore.create(out, variables, coords, _attrs(plan, devices))
    group = zstore.open_group_rw(out)
    t = time.perf_counter()
    for idx, arrays in zip(chunks, host, strict=True):
        region = plan.chunk_region(idx)
        for name, values in arrays.items():
            group[name][region] = values
        zstore.mark_done(out, idx)
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=float, default=1e8)
    ap.add_argument("--reduce-sizes", default="1e7,1e8,1e9")
    ap.add_argument("--memory", default="256MB")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args(argv)
    load0 = load_average()
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
    print_section("bench_sweep", body)
    if not args.no_write:
        update_section("bench_sweep", body)


if __name__ == "__main__":
    main()
