"""Timing and reporting helpers shared by the benchmark scripts in this folder.

Timing protocol (:func:`time_interleaved`)
    Every candidate is a zero-argument callable that runs one complete evaluation and
    returns its result. Each candidate is first called ``warmup`` times; the first of these
    calls is kept as the *first-call* time (for a ``jax.jit`` function it includes tracing
    and XLA compilation). Then ``repeat`` rounds follow in which every candidate is called
    once in turn, so that slow drifts in machine load hit all candidates alike. Each timed
    call is wall-clock time (``time.perf_counter``) up to the moment the result is ready:
    JAX arrays are waited for with ``jax.block_until_ready`` (JAX dispatches asynchronously),
    so the time covers the whole computation, including allocating the output.

    The reported statistics are the best (minimum) and the median call. Ratios are taken
    between best times: on a shared machine the minimum is the least disturbed estimate of
    what the code costs, and the median shows how noisy the machine was.

Reporting
    :func:`markdown_table` formats rows; :func:`machine_description` describes the machine
    and software; :func:`update_section` rewrites one marked section of ``RESULTS.md`` so
    that re-running a script replaces its own numbers and leaves the rest of the file alone.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jax

#: ``benchmarks/RESULTS.md`` next to this file.
RESULTS_PATH = Path(__file__).with_name("RESULTS.md")

#: Environment variables that change what is measured; recorded with every result.
RELEVANT_ENV = ("XLA_FLAGS", "GLIBC_TUNABLES", "OMP_NUM_THREADS", "JAX_ENABLE_X64")


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of one candidate, in seconds per call."""

    label: str
    times: tuple[float, ...]
    first: float

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def wait(result):
    """Block until every JAX array in ``result`` is computed; other leaves pass through."""
    return jax.block_until_ready(result)


def time_call(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn``, including waiting for its JAX results."""
    t0 = time.perf_counter()
    wait(fn())
    return time.perf_counter() - t0


def time_interleaved(
    candidates: Mapping[str, Callable[[], object]], repeat: int, warmup: int = 2
) -> dict[str, Timing]:
    """Time several candidates side by side (see the module docstring for the protocol).

    Parameters
    ----------
    candidates : mapping of label to zero-argument callable
        Each callable performs one full evaluation and returns its result.
    repeat : int
        Number of timed calls per candidate (one per round, rounds interleaved).
    warmup : int
        Untimed calls per candidate before the rounds (at least 1); the first one's time
        is reported as ``Timing.first``.
    """
    first = {}
    for label, fn in candidates.items():
        first[label] = time_call(fn)
        for _ in range(max(warmup, 1) - 1):
            time_call(fn)
    times: dict[str, list[float]] = {label: [] for label in candidates}
    for _ in range(repeat):
        for label, fn in candidates.items():
            times[label].append(time_call(fn))
    return {label: Timing(label, tuple(times[label]), first[label]) for label in candidates}


def fmt_time(seconds: float) -> str:
    """Seconds as a short human string with a unit (ns, µs, ms or s)."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if abs(seconds) >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.3g}×" if ratio < 100 else f"{ratio:,.0f}×"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (readable as plain text too)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def _cpu_model() -> str:
    """CPU model name, with family/model numbers where /proc/cpuinfo gives them."""
    info: dict[str, str] = {}
    try:
        for entry in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = entry.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or platform.machine()
    name = info.get("model name", platform.processor() or platform.machine())
    extra = []
    if "cpu family" in info and "model" in info:
        extra.append(f"family {info['cpu family']}, model {info['model']}")
    if "cache size" in info:
        extra.append(f"L2 {info['cache size']} per core")
    flags = info.get("flags", "").split()
    simd = [f for f in ("avx2", "avx512f") if f in flags]
    if simd:
        extra.append("+".join(simd).upper())
    return f"{name} ({'; '.join(extra)})" if extra else name


def _memory() -> str:
    try:
        for entry in Path("/proc/meminfo").read_text().splitlines():
            if entry.startswith("MemTotal:"):
                return f"{int(entry.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _os() -> str:
    try:
        name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        name = platform.system()
    return f"{name}, kernel {platform.release()}"


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def usable_cpus() -> int:
    """CPUs this process may run on (honours an affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, formatted ("?" where unavailable)."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def machine_description(load_at_start: str) -> list[str]:
    """Markdown bullet lines describing the machine, the software and the moment.

    ``load_at_start`` is :func:`load_average` taken before the measurements; the load at
    the time of the call is added, so a reader can tell whether other work was running.
    """
    devices = ", ".join(str(d) for d in jax.devices())
    env = [f"`{k}={os.environ[k]}`" for k in RELEVANT_ENV if k in os.environ]
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- Date: {now}",
        f"- CPU: {_cpu_model()}; {os.cpu_count()} logical CPUs, {usable_cpus()} usable",
        f"- RAM: {_memory()}",
        f"- OS: {_os()}",
        f"- Python {platform.python_version()}; jax {_version('jax')}, "
        f"jaxlib {_version('jaxlib')}, numpy {_version('numpy')}, scipy {_version('scipy')}, "
        f"ionsweep {_version('ionsweep')}",
        f"- JAX backend: {jax.default_backend()} ({devices})",
        f"- Relevant environment: {', '.join(env) if env else 'none set'}",
        f"- Load average (1/5/15 min): {load_at_start} at the start, {load_average()} at the "
        f"end (the machine has {os.cpu_count()} logical CPUs)",
    ]


def environment_tag() -> str:
    """Short description of non-default settings, used to keep their results apart."""
    parts = [f"{k}={os.environ[k]}" for k in ("XLA_FLAGS", "GLIBC_TUNABLES") if k in os.environ]
    if usable_cpus() != (os.cpu_count() or 1):
        parts.append(f"{usable_cpus()} CPU(s) by affinity")
    return "; ".join(parts)


def section_name(script: str) -> str:
    """Name of a script's section in RESULTS.md: the script, plus any non-default setting."""
    tag = environment_tag()
    return f"{script} [{tag}]" if tag else script


_HEADER = """# Benchmark results

Numbers written by the scripts in this folder (see README.md for how to run them). Each
section between `<!-- begin: … -->` and `<!-- end: … -->` markers is rewritten when its
script is run again; text outside the markers is kept.
"""


def update_section(name: str, body: str, path: Path = RESULTS_PATH) -> None:
    """Replace the section called ``name`` in ``path`` by ``body`` (append if absent)."""
    begin, end = f"<!-- begin: {name} -->", f"<!-- end: {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else _HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text if text.endswith("\n") else text + "\n")


def print_section(title: str, body: str) -> None:
    print(f"\n## {title}\n\n{body}\n", file=sys.stdout, flush=True)
