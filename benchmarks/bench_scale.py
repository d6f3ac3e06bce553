"""Scaling of one sweep over devices in one process and over shards (processes).

The same 4-ion GHK-voltage sweep (K⁺, Na⁺, Cl⁻, Ca²⁺; float32, store mode) runs

* in one process with 1, 2 and 4 JAX devices — on a CPU these are simulated with
  ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (each device is a CPU stream, so the
  cores are shared: this shows the executor's overhead and overlap, not extra hardware);
* as 1, 2, 3 and 4 concurrent shard processes (``ionsweep run --shard I/N``) writing one store,
  the way a job array does on a cluster.

Points/s are end to end (process start, compilation and writes included) and the ratio is to
the single-device, single-process run measured in the same invocation.

Run: ``python benchmarks/bench_scale.py [--points 2e7]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (  # noqa: E402
    load_average,
    machine_description,
    markdown_table,
    print_section,
    update_section,
)

SPEC = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-", "Ca2+"]
[axes]
P_Na = {{ logspace = [-3, 0, {n} ] }}
K_out = {{ linspace = [2, 20, 100] }}
celsius = {{ linspace = [20, 40, 100] }}
[fixed]
P_K = 1
P_Cl = 0.4
P_Ca = 0.05
K_in = 140
Na_in = 12
Na_out = 145
Cl_in = 7
Cl_out = 120
Ca_in = 1e-4
Ca_out = 2
[outputs]
variables = ["V_rev"]
[run]
memory = "64MB"
"""

ONE = (
    "import sys, time; from ionsweep.sweep import load_spec, run; p = load_spec(sys.argv[1]); "
    "run(p, sys.argv[2], progress=False)"
)


def timed(cmds, env):
    t = time.perf_counter()
    procs = [
        subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for c in cmds
    ]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise RuntimeError(err)
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=float, default=2e7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    load0 = load_average()
    n = max(1, int(round(args.points / 1e4)))
    points = n * 10_000
    tmp = Path(tempfile.mkdtemp(prefix="ionsweep-scale-"))
    spec = tmp / "scale.toml"
    spec.write_text(SPEC.format(n=n))
    cli = str(Path(sys.executable).with_name("ionsweep"))
    rows, base = [], None
    try:
        for d in (1, 2, 4):
            env = dict(
                os.environ,
                XLA_FLAGS=f"--xla_force_host_platform_device_count={d}",
                JAX_PLATFORMS="cpu",
            )
            out = tmp / f"dev{d}.zarr"
            wall = timed([[sys.executable, "-c", ONE, str(spec), str(out)]], env)
            base = base or wall
            rows.append(
                [
                    f"1 process, {d} device{'s' if d > 1 else ''}",
                    f"{wall:.1f} s",
                    f"{points / wall:.3g}",
                    f"{base / wall:.2f}×",
                ]
            )
            shutil.rmtree(out)
        for s in (1, 2, 3, 4):
            out = tmp / f"shard{s}.zarr"
            cmds = [
                [cli, "run", str(spec), "--out", str(out), "--shard", f"{i}/{s}", "--quiet"]
                for i in range(s)
            ]
            wall = timed(cmds, dict(os.environ, JAX_PLATFORMS="cpu"))
            rows.append(
                [
                    f"{s} shard process{'es' if s > 1 else ''}",
                    f"{wall:.1f} s",
                    f"{points / wall:.3g}",
                    f"{base / wall:.2f}×",
                ]
            )
            shutil.rmtree(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    body = "\n".join(
        [
            "## Scaling over devices and shards (`bench_scale.py`)",
            "",
            *machine_description(load0),
            "",
            f"4-ion GHK voltage (K⁺, Na⁺, Cl⁻, Ca²⁺), {points:.1e} points, float32, store mode, "
            "memory budget 64 MB; end-to-end wall time including process start and compilation. "
            "On this CPU the simulated devices and the shard processes share the same cores.",
            "",
            markdown_table(["configuration", "wall time", "points/s", "vs 1 device"], rows),
        ]
    )
    print_section("bench_scale", body)
    if not args.no_write:
        update_section("bench_scale", body)


if __name__ == "__main__":
    main()
