"""The one-line calculator from a shell: ``ionsweep --help`` and ``ionsweep calc`` wall time.

Each command runs as a new process (what a user types), timed from start to exit; rounds are
interleaved so that drifts in machine load hit every command alike, and best and median are
reported. ``calc`` runs with an empty JAX compilation cache in a temporary
``XDG_CACHE_HOME`` once (first call: compiles and writes the cache), then repeatedly (the
cached program is loaded instead of compiled); ``IONSWEEP_JAX_CACHE=0`` shows the same call
compiling every time. Baselines in the same run: the interpreter alone (``python -c pass``)
and ``python -c "import jax"``, the floor under any JAX calculation.

Targets: ``--help`` ≤ 0.4 s and ``calc nernst`` ≤ 1.0 s from the second call (issue 15);
``calc nernst`` from the second call ≤ 0.3 s more than ``python -c "import jax"`` (issue 26),
both best of the interleaved rounds.

    python benchmarks/bench_cli.py [--repeat 7] [--no-write]
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
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
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
        rows.append([label, f"{best:.3f} s", f"{median:.3f} s", f"{best - jax_floor:+.3f} s"])
    for name in ("nernst", "ghk"):
        label = f"ionsweep calc {name}, first call (empty cache)"
        rows.append([label, f"{first[name]:.3f} s", "", f"{first[name] - jax_floor:+.3f} s"])
    table = markdown_table(
        ["command (new process each time)", "best", "median", "− import jax (best)"], rows
    )
    help_best = min(times["ionsweep --help"])
    calc_best = min(times["ionsweep calc nernst (cached compile)"])
    beyond = calc_best - jax_floor

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    verdict = (
        f"Targets: `calc nernst` from the second call ≤ 0.3 s more than "
        f'`python -c "import jax"`: {calc_best:.3f} s − {jax_floor:.3f} s = '
        f"**{beyond:+.3f} s** ({met(beyond <= 0.3)}); `--help` ≤ 0.4 s: {help_best:.3f} s "
        f"({met(help_best <= 0.4)}); `calc nernst` ≤ 1.0 s from the second call: "
        f"{calc_best:.3f} s ({met(calc_best <= 1.0)}"
        + (f"; `import jax` alone takes {jax_floor:.3f} s here" if jax_floor > 1.0 else "")
        + f"). Best of {args.repeat} interleaved "
        "rounds, each command a new process. A cached `calc` imports JAX with the garbage "
        "collector paused, traces and lowers its one program (JAX looks the cache up by the "
        "lowered program), loads it from the cache, prints, and exits without the collection "
        'of interpreter shutdown, which `python -c "import jax"` still pays.'
    )
    print(verdict)
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
    if not args.no_write:
        update_section(section_name("bench_cli"), body)


if __name__ == "__main__":
    main()
