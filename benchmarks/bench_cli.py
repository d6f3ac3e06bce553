"""The one-line calculator from a shell: ``ionsweep --help`` and ``ionsweep calc`` wall time.

Each command runs as a new process (what a user types), timed from start to exit; rounds are
interleaved so that drifts in machine load hit every command alike, and best and median are
reported. ``calc`` runs with an empty JAX compilation cache in a temporary
``XDG_CACHE_HOME`` once (first call: compiles and writes the cache), then repeatedly (the
cached program is loaded instead of compiled); ``IONSWEEP_JAX_CACHE=0`` shows the same call
compiling every time. Baselines in the same run: the interpreter alone (``python -c pass``)
and ``python -c "import jax"``, the floor under any JAX calculation.

Targets (issue 15): ``--help`` ≤ 0.4 s, ``calc nernst`` ≤ 1.0 s from the second call.

    python benchmarks/bench_cli.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import (
    load_average,
    machine_description,
    markdown_table,
    print_section,
    section_name,
    update_section,
)

BIN = Path(sys.executable).with_name("ionsweep")
NERNST = ["calc", "nernst", "--ion", "K+", "--inside", "140", "--outside", "5"]
GHK = [
    *("calc", "ghk", "--ion", "K+,Na+,Cl-", "--inside", "140,12,7"),
    *("--outside", "5,145,120", "--perm", "1,0.04,0.45"),
]


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load_start = load_average()
    cache_home = tempfile.mkdtemp(prefix="bench_cli_")
    env = {**os.environ, "XDG_CACHE_HOME": cache_home}
    env.pop("IONSWEEP_JAX_CACHE", None)
    no_cache = {**env, "IONSWEEP_JAX_CACHE": "0"}
    py = sys.executable
    commands = {
        "python -c pass (interpreter start)": ([py, "-c", "pass"], env),
        'python -c "import jax"': ([py, "-c", "import jax"], env),
        "ionsweep --help": ([str(BIN), "--help"], env),
        "ionsweep calc nernst --help": ([str(BIN), "calc", "nernst", "--help"], env),
        "ionsweep calc nernst (cached compile)": ([str(BIN), *NERNST], env),
        "ionsweep calc ghk (cached compile)": ([str(BIN), *GHK], env),
        "ionsweep calc nernst, IONSWEEP_JAX_CACHE=0": ([str(BIN), *NERNST], no_cache),
    }
    first = {
        "nernst": timed([str(BIN), *NERNST], env),  # empty cache: compiles, writes the cache
        "ghk": timed([str(BIN), *GHK], env),
    }
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.repeat):
        for label, (argv, e) in commands.items():
            times[label].append(timed(argv, e))
    jax_floor = min(times['python -c "import jax"'])
    rows = []
    for label, ts in times.items():
        best, median = min(ts), statistics.median(ts)
        rows.append([label, f"{best:.3f} s", f"{median:.3f} s", f"{best / jax_floor:.2f}"])
    rows.append(["ionsweep calc nernst, first call (empty cache)", f"{first['nernst']:.3f} s"])
    rows[-1] += ["", f"{first['nernst'] / jax_floor:.2f}"]
    rows.append(["ionsweep calc ghk, first call (empty cache)", f"{first['ghk']:.3f} s"])
    rows[-1] += ["", f"{first['ghk'] / jax_floor:.2f}"]
    table = markdown_table(
        ["command (new process each time)", "best", "median", "÷ import jax"], rows
    )
    help_best = min(times["ionsweep --help"])
    calc_best = min(times["ionsweep calc nernst (cached compile)"])
    verdict = (
        f"Targets: `--help` ≤ 0.4 s: best {help_best:.3f} s "
        f"({'met' if help_best <= 0.4 else 'NOT met'}); `calc nernst` ≤ 1.0 s from the second "
        f"call: best {calc_best:.3f} s ({'met' if calc_best <= 1.0 else 'NOT met'}). "
        f"{args.repeat} interleaved rounds, each command a new process. Beyond importing "
        f"JAX, a cached `calc nernst` costs {calc_best - jax_floor:.2f} s (ionsweep's imports, "
        f"tracing, loading the program, printing); `calc ghk` gains most from the cache "
        f"({first['ghk']:.2f} s compiling, {min(times['ionsweep calc ghk (cached compile)']):.2f}"
        " s cached), while the one small Nernst program compiles about as fast as it loads. "
        "Before this change (issue 15), `--help` took 1.3-2 s and `calc nernst` 2.3-2.6 s "
        "(21 programs compiled per call, xarray and zarr imported)."
    )
    body = "\n".join(
        [
            "### Command-line start-up (bench_cli.py)",
            "",
            table,
            "",
            verdict,
            "",
            *machine_description(load_start),
        ]
    )
    print_section("bench_cli", body)
    update_section(section_name("bench_cli"), body)


if __name__ == "__main__":
    main()
