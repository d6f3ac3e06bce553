"""Scaling of one sweep over devices in one process and over shards (processes).

The same 4-ion GHK-voltage sweep (K⁺, Na⁺, Cl⁻, Ca²⁺; float32, store mode) runs

* in one process with 1, 2 and 4 JAX devices — on a CPU these are simulated with
  ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (each device is a CPU stream, so the
  cores are shared: this shows the executor's overhead and overlap, not extra hardware);
* as 1, 2, 3 and 4 concurrent shard processes (``ionsweep run --shard I/N``) writing one store,
  the way a job array does on a cluster.

Points/s are end to end (process start, compilation and writes included) and the ratio is to
the single-device, single-process run measured in the same invocation.

A second part (``--part all-axes``) measures what a job array buys for the headline study,
statistics over *every* axis of a 10⁹-point GHK grid (min, max, mean, std, a threshold count
and a histogram), with every process pinned to one core (``taskset``; Dask workers pinned
with ``sched_setaffinity``) so that the ratios measure the process boundary and not
threading inside a process:

* 1 process on one core, against 2 shard processes on two cores and a Dask
  ``LocalCluster`` of 2 single-threaded workers (target: each ≤ 0.6× the one process);
* the cost of merging the saved partial states (target: ≤ 1 % of the 2-shard run);
* each of 16 shards run one after another on one core, and the wall time a 16-GPU job
  array would take projected from them (the slowest shard: they run at once).

A third part (``--part cores``) measures what one process gets from every core of the CPU:
the same 3-ion GHK reduction over every axis (the all-axes statistics, 1.3·10⁹ points) in a
process pinned to one core (``taskset -c 0``), and in processes on every core with one CPU
device per core (ionsweep's default) and with one device (``IONSWEEP_CPU_DEVICES=1``: XLA's
thread pool alone). Each process runs the sweep twice and reports the second run's
throughput as the run itself records it (``RunResult``: compilation, process start and
import excluded); target: all cores ≥ 1.7× one core.

Run: ``python benchmarks/bench_scale.py [--points 2e7] [--part devices|all-axes|cores|both]``.
"""

from __future__ import annotations

import argparse
import json
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


#: The same 4-ion GHK grid, 1000 × 1000 values on the two other axes, reduced over every
#: axis (a histogram and a count beside the moments).
ALL_AXES = (
    SPEC.replace("[-3, 0, {n} ]", "[-3, 0, {n}]")
    .replace("20, 100]", "20, 1000]")
    .replace("40, 100]", "40, 1000]")
    .replace(
        "[run]",
        """[reduce]
over = ["P_Na", "K_out", "celsius"]
stats = ["min", "max", "mean", "std"]
count = ["V_rev > -50"]
histogram = {{ V_rev = {{ bins = 100, range = [-100, 0] }} }}
[run]""",
    )
)

DASK = """
import os, sys, time
from distributed import Client, LocalCluster
from ionsweep.sweep import load_spec, run_dask

def pin(core):
    for tid in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(tid), {core})

def load_ionsweep():  # what a worker of a long-lived cluster has done before any run
    import ionsweep.sweep._dask  # noqa: F401 (imports JAX)

if __name__ == "__main__":
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    for core, worker in enumerate(sorted(client.scheduler_info()["workers"])):
        client.run(pin, core, workers=[worker])
    t = time.perf_counter()
    client.run(load_ionsweep)
    imported = time.perf_counter()
    run_dask(load_spec(sys.argv[1]), sys.argv[2], cluster.scheduler_address, progress=False)
    print(imported - t, time.perf_counter() - imported)
    client.close()
    cluster.close()
"""

MERGE = """
import sys, time
from ionsweep.sweep import load_spec
from ionsweep.sweep._store import merged_partials
plan = load_spec(sys.argv[1])
merged_partials(plan, sys.argv[2])
t = time.perf_counter()
merged_partials(plan, sys.argv[2])
print(time.perf_counter() - t)
"""


#: A reduction over one axis of 10⁹ values (generated per chunk, never listed).
LONG_AXIS = """
[model]
name = "nernst"
[axes]
c_out = { linspace = [1, 100, 1000000000] }
[fixed]
c_in = 140
z = 1
celsius = 37
[reduce]
over = ["c_out"]
stats = ["min", "max", "mean", "std"]
[run]
memory = "64MB"
"""


def one_process(cmd: list[str], env) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one process, pinned to core 0."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        pinned(0, cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(proc.stderr.read())
    return wall, usage.ru_maxrss / 1024


def in_run(store: Path) -> float:
    """Seconds inside the run (after start-up and import): the store's own record, the
    slowest shard's for a sharded store."""
    logs = sorted((store / ".ionsweep" / "shards").glob("*.json"))
    if logs:
        return max(json.loads(f.read_text())["wall_time_s"] for f in logs)
    return float(json.loads((store / "zarr.json").read_text())["attributes"]["wall_time_s"])


def one_and_two(tmp: Path, spec: Path, run: list[str], env, rounds: int = 1) -> dict:
    """One process on one core against two shard processes on two cores, and the machine's
    ceiling (two whole runs at once, one per core); the best of ``rounds`` interleaved
    rounds of each figure."""
    best: dict = {}

    def keep(**figures):
        for k, v in figures.items():
            best[k] = min(best.get(k, v), v)

    for r in range(rounds):
        if r:
            for out in ("one.zarr", "two.zarr"):
                shutil.rmtree(tmp / out)
        one, rss = one_process([*run, str(tmp / "one.zarr")], env)
        keep(one=one, rss=rss, one_in=in_run(tmp / "one.zarr"))
        two_out = tmp / "two.zarr"
        shards = [pinned(i, [*run, str(two_out), "--shard", f"{i}/2"]) for i in range(2)]
        keep(two=timed(shards, env), two_in=in_run(two_out))
        pair = [tmp / f"pair{i}.zarr" for i in range(2)]
        both = timed([pinned(i, [*run, str(pair[i])]) for i in range(2)], env)
        keep(both=both, both_in=max(in_run(p) for p in pair))
        for p in pair:
            shutil.rmtree(p)
    return best


def _with_warm_cache(tmp: Path, spec: Path, run: list[str], env) -> dict:
    """:func:`one_and_two` (best of 2 rounds) with the command line's persistent compilation
    cache on, filled first by one run of each kind: what a study run before finds."""
    warm = tmp / "warm"
    warm.mkdir()
    env = {k: v for k, v in env.items() if k != "IONSWEEP_JAX_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    timed([pinned(0, [*run, str(warm / "fill.zarr")])], env)
    timed([pinned(0, [*run, str(warm / "fill-shard.zarr"), "--shard", "0/2"])], env)
    return one_and_two(warm, spec, run, env, rounds=2)


def pinned(core: int, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *cmd]


def all_axes(tmp: Path, points: float, cli: str) -> tuple[list[str], list[list[str]]]:
    """The all-axes reduction part: (notes, table rows)."""
    n = max(1, int(round(points / 1e6)))
    spec = tmp / "all_axes.toml"
    spec.write_text(ALL_AXES.format(n=n))
    # Every process compiles its program (no persistent cache), as the Dask workers do.
    env = dict(os.environ, JAX_PLATFORMS="cpu", IONSWEEP_JAX_CACHE="0")
    run = [cli, "run", str(spec), "--quiet", "--out"]
    m = one_and_two(tmp, spec, run, env, rounds=3)
    one, one_rss, two = m["one"], m["rss"], m["two"]
    two_out = tmp / "two.zarr"
    (tmp / "long.toml").write_text(LONG_AXIS)
    long_wall, long_rss = one_process(
        [cli, "run", str(tmp / "long.toml"), "--quiet", "--out", str(tmp / "long.zarr")], env
    )
    merge = float(
        subprocess.run(
            pinned(0, [sys.executable, "-c", MERGE, str(spec), str(two_out)]),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
    )
    dask_import, dask_run = map(
        float,
        subprocess.run(
            [sys.executable, "-c", DASK, str(spec), str(tmp / "dask.zarr")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-2:],
    )
    dask = dask_import + dask_run
    warm = _with_warm_cache(tmp, spec, run, env)
    sixteen = []
    out16 = tmp / "sixteen.zarr"
    for i in range(16):
        sixteen.append(timed([pinned(0, [*run, str(out16), "--shard", f"{i}/16"])], env))
    for out in ("two.zarr", "dask.zarr", "sixteen.zarr"):
        _check_same(tmp / "one.zarr", tmp / out)
    pts = n * 10**6
    rows = [
        [
            "1 process, 1 core",
            f"{one:.1f} s",
            f"{pts / one:.3g}",
            "1.00×",
            f"peak RSS {one_rss:.0f} MiB; {m['one_in']:.1f} s inside the run",
        ],
        [
            "2 shard processes, 2 cores",
            f"{two:.1f} s",
            f"{pts / two:.3g}",
            f"{two / one:.2f}×",
            f"≤ 0.6×; inside the run {m['two_in']:.1f} s = {m['two_in'] / m['one_in']:.2f}×",
        ],
        [
            "ceiling: 2 whole one-process runs at once (cores 0 and 1), half their time",
            f"{m['both'] / 2:.1f} s",
            "—",
            f"{m['both'] / 2 / one:.2f}×",
            f"inside the run {m['both_in'] / 2:.1f} s = {m['both_in'] / 2 / m['one_in']:.2f}×",
        ],
        [
            "Dask LocalCluster, 2 single-threaded workers",
            f"{dask:.1f} s",
            f"{pts / dask:.3g}",
            f"{dask / one:.2f}×",
            f"≤ 0.6×; workers importing ionsweep and JAX {dask_import:.1f} s, the run on "
            f"imported workers {dask_run:.1f} s = {dask_run / m['one_in']:.2f}× inside the run",
        ],
        [
            "with the compilation cache warm (the command line's default; a run before): "
            "2 shard processes against 1 process",
            f"{warm['two']:.1f} s against {warm['one']:.1f} s",
            f"{pts / warm['two']:.3g}",
            f"{warm['two'] / warm['one']:.2f}×",
            f"inside the run {warm['two_in']:.1f} s against {warm['one_in']:.1f} s = "
            f"{warm['two_in'] / warm['one_in']:.2f}×",
        ],
        [
            "merging the 2 shards' partial states",
            f"{merge * 1e3:.0f} ms",
            "—",
            f"{merge / two:.2%} of the 2-shard run",
            "≤ 1 %",
        ],
        [
            "16 shards one after another, each on 1 core: sum",
            f"{sum(sixteen):.1f} s",
            "—",
            f"{sum(sixteen) / one:.2f}×",
            "—",
        ],
        [
            "16 shards: fastest / median / slowest",
            f"{min(sixteen):.2f} / {sorted(sixteen)[8]:.2f} / {max(sixteen):.2f} s",
            "—",
            "—",
            "—",
        ],
        [
            "projected 16-GPU job array (the slowest shard; they run at once)",
            f"{max(sixteen):.2f} s",
            f"{pts / max(sixteen):.3g}",
            f"{max(sixteen) / one:.2f}×",
            "—",
        ],
    ]
    (tmp / "big.toml").write_text(ALL_AXES.format(n=4 * n))
    for out in ("one.zarr", "two.zarr"):
        shutil.rmtree(tmp / out)
    big = one_and_two(
        tmp, tmp / "big.toml", [cli, "run", str(tmp / "big.toml"), "--quiet", "--out"], env
    )
    for label, key in (("1 process, 1 core", "one"), ("2 shard processes, 2 cores", "two")):
        ratio = big[key] / big["one"]
        inside = big[f"{key}_in"] / big["one_in"]
        rows.append(
            [
                f"{label}, 4× the points ({4 * pts:.0e})",
                f"{big[key]:.1f} s",
                f"{4 * pts / big[key]:.3g}",
                f"{ratio:.2f}×",
                f"inside the run {big[f'{key}_in']:.1f} s = {inside:.2f}×",
            ]
        )
    rows.append(
        [
            "1 process, 1 core: Nernst reduced over one axis of 10⁹ values",
            f"{long_wall:.1f} s",
            f"{1e9 / long_wall:.3g}",
            "—",
            f"peak RSS {long_rss:.0f} MiB (flat memory)",
        ]
    )
    notes = [
        f"4-ion GHK voltage, {pts:.1e} points ({n} × 1000 × 1000), float32, reduced over every "
        "axis to min, max, mean, std, one threshold count and a 100-bin histogram; memory "
        "budget 64 MB. The first three rows are the best of 3 interleaved rounds, the others "
        "one round. Wall times are end to end: process start, import, compilation, "
        "the partial states saved in the store and the statistics written by whichever "
        "process finishes last. Every store was checked equal to the one-process store "
        "(counts and histogram exactly; min, max to the bit; mean and std within 4 ulp of "
        "the spread). Every process compiles its program (`IONSWEEP_JAX_CACHE=0`; the Dask "
        "run is given no compilation cache either); 'inside the run' is the time from the "
        "run's start to its return, as the store records it (the slowest shard's for "
        "shards): start-up and import excluded. The Dask row's wall time starts with the "
        "cluster's two workers started and pinned, and counts their import of ionsweep and "
        "JAX (a fresh cluster imports them during its first run) and then the run, whose "
        "time on imported workers (as a long-lived cluster's) is given beside.",
        "The ceiling row runs the whole study twice at once, one process per core: half "
        "its time is the best any split into two processes can do on this machine (the two "
        "cores slow each other down; core 0 also serves the system).",
        "The 16-shard projection assumes one shard per GPU and counts what each shard pays "
        "on its own (start, compile, its 1/16 of the chunks, its save); on a GPU the compute "
        "share shrinks and the start-up share stays.",
    ]
    return notes, rows


#: The all-axes study with three ions (K⁺, Na⁺, Cl⁻).
CORES_SPEC = (
    ALL_AXES.replace('"Cl-", "Ca2+"]', '"Cl-"]')
    .replace("P_Ca = 0.05\n", "")
    .replace("Ca_in = 1e-4\nCa_out = 2\n", "")
)

#: One process of the cores part: the sweep run twice into stores (the first run compiles),
#: the second run's own record printed (points/s inside the run) with the devices it used.
CORES_RUN = """
import json, sys, time
from pathlib import Path
import ionsweep
ionsweep.tune_cpu_allocator()  # as the ionsweep command line does
import jax
from ionsweep.sweep import load_spec, run
plan = load_spec(sys.argv[1])
out = Path(sys.argv[2])
run(plan, out / "warm.zarr", progress=False)
c0 = time.process_time()
result = run(plan, out / "timed.zarr", progress=False)
cpu = time.process_time() - c0
print(json.dumps({"devices": len(jax.devices()), "rate": result["points_per_s"],
                  "wall": result["wall_time_s"], "cpu": cpu}))
"""

#: The configurations of the cores part: (label, pinned to core 0, IONSWEEP_CPU_DEVICES).
CORES_CONFIGS = (
    ("1 core (taskset -c 0)", True, None),
    ("all cores, one CPU device (IONSWEEP_CPU_DEVICES=1: XLA's thread pool)", False, "1"),
    ("all cores, one CPU device per core (default)", False, None),
)


def cores(tmp: Path, points: float, rounds: int) -> tuple[list[str], list[list[str]]]:
    """The cores part: (notes, table rows); the best of ``rounds`` interleaved rounds."""
    n = max(1, int(round(points / 1e6)))
    spec = tmp / "cores.toml"
    spec.write_text(CORES_SPEC.format(n=n))
    best: dict = {}
    for _ in range(rounds):
        for label, pin, setting in CORES_CONFIGS:
            env = {k: v for k, v in os.environ.items() if k != "IONSWEEP_CPU_DEVICES"}
            env["JAX_PLATFORMS"] = "cpu"
            if setting:
                env["IONSWEEP_CPU_DEVICES"] = setting
            out = tmp / label.split()[0]
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, "-c", CORES_RUN, str(spec), str(out)]
            proc = subprocess.run(
                pinned(0, cmd) if pin else cmd, env=env, capture_output=True, text=True
            )
            if proc.returncode:
                raise RuntimeError(proc.stderr)
            found = json.loads(proc.stdout.splitlines()[-1])
            if label not in best or found["rate"] > best[label]["rate"]:
                best[label] = found
            if not pin:
                _check_same(tmp / "1" / "timed.zarr", out / "timed.zarr")
    base = best[CORES_CONFIGS[0][0]]["rate"]
    rows = [
        [
            label,
            str(best[label]["devices"]),
            f"{best[label]['wall']:.2f} s",
            f"{best[label]['rate']:.3g}",
            f"{best[label]['rate'] / base:.2f}×",
            f"{best[label]['cpu'] / best[label]['wall']:.2f}",
        ]
        for label, _, _ in CORES_CONFIGS
    ]
    notes = [
        f"3-ion GHK voltage (K⁺, Na⁺, Cl⁻), {n * 1e6:.2e} points ({n} × 1000 × 1000), float32, "
        "reduced over every axis to min, max, mean, std, one threshold count and a 100-bin "
        "histogram; memory budget 64 MB; allocator tuned as by the command line. Each "
        "configuration is a fresh process that runs the sweep twice into a store; the table "
        "gives the second run as it records itself (`RunResult`: from the run's start to its "
        "return, the compiled program reused, process start and import excluded), best of "
        f"{rounds} interleaved rounds. 'CPU/wall' is the process's CPU time over the run's "
        "wall time (2 at most on two cores). Every store was checked equal to the one-core "
        "store (counts and histogram exactly; min, max to the bit; mean and std within 4 "
        "ulp of the spread).",
    ]
    return notes, rows


def _check_same(a: Path, b: Path) -> None:
    import numpy as np

    from ionsweep.store import open_results

    x, y = open_results(a).load(), open_results(b).load()
    spread = float(x.V_rev_max - x.V_rev_min)
    for name in x.data_vars:
        if name in ("V_rev_mean", "V_rev_std"):
            eps = np.finfo(x[name].dtype).eps
            assert abs(float(x[name]) - float(y[name])) <= 4 * eps * spread, (b, name)
        else:
            np.testing.assert_array_equal(x[name].values, y[name].values, err_msg=f"{b} {name}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=float, default=2e7)
    ap.add_argument("--all-axes-points", type=float, default=1e9)
    ap.add_argument("--cores-points", type=float, default=1.3e9)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (--part cores)")
    ap.add_argument("--part", choices=["devices", "all-axes", "cores", "both"], default="both")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    load0 = load_average()
    cli = str(Path(sys.executable).with_name("ionsweep"))
    if args.part == "cores":
        tmp = Path(tempfile.mkdtemp(prefix="ionsweep-scale-"))
        try:
            notes, rows = cores(tmp, args.cores_points, args.rounds)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        body = "\n".join(
            [
                "## Every core of the CPU in one process (`bench_scale.py --part cores`)",
                "",
                *machine_description(load0),
                "",
                *notes,
                "",
                markdown_table(
                    ["configuration", "devices", "run", "points/s", "vs 1 core", "CPU/wall"],
                    rows,
                ),
            ]
        )
        print_section("bench_scale_cores", body)
        if not args.no_write:
            update_section("bench_scale_cores", body)
        return
    if args.part in ("all-axes", "both"):
        tmp = Path(tempfile.mkdtemp(prefix="ionsweep-scale-"))
        try:
            notes, rows = all_axes(tmp, args.all_axes_points, cli)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        body = "\n".join(
            [
                "## Statistics over every axis across processes (`bench_scale.py --part all-axes`)",
                "",
                *machine_description(load0),
                "",
                *notes,
                "",
                markdown_table(
                    ["configuration", "wall time", "points/s", "vs 1 process", "target or note"],
                    rows,
                ),
            ]
        )
        print_section("bench_scale_all_axes", body)
        if not args.no_write:
            update_section("bench_scale_all_axes", body)
    if args.part == "all-axes":
        return
    load0 = load_average()
    n = max(1, int(round(args.points / 1e4)))
    points = n * 10_000
    tmp = Path(tempfile.mkdtemp(prefix="ionsweep-scale-"))
    spec = tmp / "scale.toml"
    spec.write_text(SPEC.format(n=n))
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
