"""``ionsweep view`` on a 10⁸-point store: time to first plot and slider redraw, in Chromium.

The store is a real ionsweep sweep (Nernst potential, ion 4 × c_out 500 × celsius 250 ×
gamma_out 200 = 10⁸ points, float32), written once and reused (``--store``). The script
starts ``ionsweep view STORE --no-browser`` and drives Debian's Chromium with Playwright:

* server ready: from starting the command to its "serving" line (the server prepares the
  first page before printing it, so the sum ready + cold first plot is also reported);
* first plot (cold): from ``page.goto`` to the heatmap's data in the page and one animation
  frame painted, the first session after the server started; warm: a reload;
* redraw: a gamma_out slider step (arrow key) until the new slice is in the page and painted,
  repeated; the baseline is reading that same slice with xarray alone (``isel().load()``),
  which every redraw must do.

Targets (issue 16): first plot < 2 s, redraw < 300 ms on this CPU.

    python benchmarks/bench_view.py [--store /tmp/bench_view.zarr] [--steps 12] [--screenshot F]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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

SPEC = """\
title = "Nernst potentials, 1e8 points (bench_view)"
[model]
name = "nernst"
[axes.ion]
ion = ["K+", "Na+", "Cl-", "Ca2+"]
c_in = [140.0, 12.0, 7.0, 0.0001]
[axes]
c_out = { logspace = [-1, 2.5, 500] }
celsius = { linspace = [5, 40, 250] }
gamma_out = { linspace = [1.0, 0.5, 200] }
[fixed]
gamma_in = 1.0
[outputs]
variables = ["E"]
[run]
dtype = "float32"
memory = "512MB"
"""

_DATA = (
    "() => { const d = Bokeh.documents[0].get_model_by_name('ionsweep-data-0');"
    " return d === null ? null : (d.data.image ? d.data.image[0][0] : d.data.value[0]); }"
)
_PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def ionsweep_cmd() -> list[str]:
    return [str(Path(sys.executable).with_name("ionsweep"))]


def make_store(path: Path) -> float:
    if path.exists():
        return 0.0
    spec = Path(tempfile.mkdtemp()) / "bench_view.toml"
    spec.write_text(SPEC)
    t = time.perf_counter()
    subprocess.run(ionsweep_cmd() + ["run", str(spec), "--out", str(path)], check=True)
    return time.perf_counter() - t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path):
    port = free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        ionsweep_cmd() + ["view", str(store), "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(120)
    if not line or "serving" not in line[0]:
        proc.kill()
        raise SystemExit("ionsweep view did not start")
    return proc, f"http://127.0.0.1:{port}/", time.perf_counter() - t


def first_plot(page, url: str, reload: bool = False) -> float:
    t = time.perf_counter()
    page.reload() if reload else page.goto(url)
    page.wait_for_function(f"() => window.Bokeh && Bokeh.documents.length && ({_DATA})() !== null")
    page.evaluate(_PAINTED)
    return time.perf_counter() - t


def redraws(page, steps: int) -> list[float]:
    handle = page.locator(".noUi-handle").last  # the gamma_out slider
    times = []
    for _ in range(steps):
        before = page.evaluate(_DATA)
        handle.focus()
        t = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({_DATA})() !== {before!r}", polling="raf")
        page.evaluate(_PAINTED)
        times.append(time.perf_counter() - t)
    return times


def slice_read(store: Path, steps: int) -> list[float]:
    import ionsweep

    ds = ionsweep.open_results(store)
    times = []
    for k in range(steps):
        t = time.perf_counter()
        ds.E.isel(ion=0, gamma_out=k + 1).load()
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "bench_view.zarr")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--screenshot", type=Path, help="save the page after the cold first plot")
    args = ap.parse_args()
    load0 = load_average()
    written = make_store(args.store)
    from playwright.sync_api import sync_playwright

    proc, url, ready = start_server(args.store)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            cold = first_plot(page, url)
            if args.screenshot:
                page.screenshot(path=str(args.screenshot))
            warm = [first_plot(page, url, reload=True) for _ in range(3)]
            redraw = redraws(page, args.steps)
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    read = slice_read(args.store, args.steps)
    med, best = statistics.median(redraw), min(redraw)
    rows = [
        [
            "server ready (command start to its address printed; first page prepared)",
            f"{ready:.2f} s",
            "—",
            "—",
        ],
        ["first plot, cold (first session)", f"{cold:.2f} s", "< 2 s", f"{2 / cold:.2f}×"],
        ["command start to cold first plot (ready + cold)", f"{ready + cold:.2f} s", "—", "—"],
        [
            "first plot, warm (reload), best of 3",
            f"{min(warm):.2f} s",
            "< 2 s",
            f"{2 / min(warm):.2f}×",
        ],
        [
            f"slider redraw, median of {args.steps}",
            f"{1e3 * med:.0f} ms",
            "< 300 ms",
            f"{0.3 / med:.2f}×",
        ],
        [
            f"slider redraw, best of {args.steps}",
            f"{1e3 * best:.0f} ms",
            "< 300 ms",
            f"{0.3 / best:.2f}×",
        ],
        [
            "baseline: the same slice read by xarray alone, median",
            f"{1e3 * statistics.median(read):.0f} ms",
            "—",
            f"redraw / read = {med / statistics.median(read):.1f}×",
        ],
    ]
    body = "\n".join(
        [
            "## `ionsweep view` in Chromium (`bench_view.py`)",
            "",
            *machine_description(load0),
            "- Store: Nernst sweep, 4 × 500 × 250 × 200 = 10⁸ float32 points"
            + (f" (written in {written:.0f} s)" if written else " (reused)")
            + "; the view shows a 500 × 250 heatmap (c_out log axis × celsius) at one ion and "
            "gamma_out; a slider step reads and sends a new 125,000-point slice.",
            "- Browser: Debian Chromium, headless, driven by Playwright; times are wall clock "
            "in the driving process up to the data being in the page and two animation frames "
            "painted. Ratio column: target / measured (> 1 meets the target).",
            "",
            markdown_table(["measure", "measured", "target", "ratio"], rows),
        ]
    )
    print_section("bench_view", body)
    update_section(section_name("bench_view"), body)


if __name__ == "__main__":
    main()
