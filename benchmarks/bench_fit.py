"""Benchmark: per-cell permeability-ratio fits, one batched call vs a SciPy loop.

10,000 synthetic cells × 8 external solutions (K⁺ replacing Na⁺, NaCl diluted; K⁺, Na⁺,
Cl⁻; 22 °C), reversal potentials from the Goldman equation with P_Na/P_K and P_Cl/P_K drawn
per cell (log-normal around 0.04 and 0.25) plus 0.5 mV Gaussian noise, seed 0.

Candidates, both in float64:

* ``ionsweep.fit_permeability_ratios(table, ..., per_cell=True)``: the whole public call
  (table checks, grouping, the jitted and vmapped Gauss–Newton solve of all cells,
  covariances, result object). Timed after a first call that compiles.
* ``scipy.optimize.least_squares`` looped over cells, each with a NumPy closed-form
  Goldman residual on the same log-ratio parameters (xtol = ftol = gtol = 1e-12), in four
  configurations, from the library defaults (``trf``, finite-difference Jacobian, start
  at ratios 1) to the fastest we found (MINPACK ``lm`` with the analytic Jacobian,
  started from ionsweep's own initial estimate, handed over and not timed). Being slow,
  SciPy runs on the first ``--scipy-cells`` cells (default 200); its time for 10,000
  cells is extrapolated linearly (time per cell × 10,000) — said so in the table.

Estimates are compared cell by cell on the SciPy subset: maximum relative difference of
the ratios, for every configuration. Results go to ``benchmarks/RESULTS.md`` between the markers
``<!-- bench_fit:start -->`` and ``<!-- bench_fit:end -->`` (the rest of the file is kept).

Run from the repository root::

    python benchmarks/bench_fit.py [--cells 10000] [--scipy-cells 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402

import ionsweep  # noqa: E402
from ionsweep.constants import R_OVER_F_MV  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
START, END = "<!-- bench_fit:start -->", "<!-- bench_fit:end -->"
T = 295.15  # K
IONS = ("K+", "Na+", "Cl-")
C_IN = np.array([140.0, 10.0, 150.0])
K_OUT = np.array([5.0, 10.0, 20.0, 50.0, 100.0, 150.0, 5.0, 5.0])
C_OUT = np.stack([K_OUT, 150.0 - K_OUT, [150.0] * 6 + [77.5, 41.25]], axis=-1)
C_OUT[6:, 1] = [72.5, 36.25]


def make_table(n_cells: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The synthetic table: n_cells × 8 rows with columns for ionsweep."""
    rng = np.random.default_rng(seed)
    ratios = np.exp(np.log([0.04, 0.25]) + 0.2 * rng.standard_normal((n_cells, 2)))
    P = np.concatenate([np.ones((n_cells, 1)), ratios], axis=1)
    num = C_OUT[None, :, :2] @ P[:, :2, None] + (C_IN[2] * P[:, 2])[:, None, None]
    den = (C_IN[:2] @ P[:, :2].T)[:, None, None] + C_OUT[None, :, 2:] * P[:, None, 2:]
    V = R_OVER_F_MV * T * np.log(num / den)[..., 0] + 0.5 * rng.standard_normal((n_cells, 8))
    table = {"cell": np.repeat(np.arange(n_cells), 8).astype(str), "V_rev": V.reshape(-1)}
    for j, ion in enumerate(IONS):
        table[f"{ion}_in"] = np.full(8 * n_cells, C_IN[j])
        table[f"{ion}_out"] = np.tile(C_OUT[:, j], n_cells)
    return table


def _goldman_terms():
    """Numerator and denominator weights of the Goldman equation, each (8 rows, 3 ions)."""
    num = np.concatenate([C_OUT[:, :2], np.full((8, 1), C_IN[2])], axis=1)
    den = np.concatenate([np.tile(C_IN[:2], (8, 1)), C_OUT[:, 2:]], axis=1)
    return num, den


def scipy_fit(V: np.ndarray, theta0: np.ndarray, method: str, analytic: bool) -> np.ndarray:
    """One cell with scipy.optimize.least_squares on the log ratios, float64."""
    kT = R_OVER_F_MV * T
    num, den = _goldman_terms()

    def residuals(theta):
        P = np.concatenate([[1.0], np.exp(theta)])
        return kT * np.log((num @ P) / (den @ P)) - V

    def jacobian(theta):
        P = np.concatenate([[1.0], np.exp(theta)])
        N, D = num @ P, den @ P
        return kT * P[1:] * (num[:, 1:] / N[:, None] - den[:, 1:] / D[:, None])

    opts = {"xtol": 1e-12, "ftol": 1e-12, "gtol": 1e-12}
    jac = jacobian if analytic else "2-point"
    return least_squares(residuals, theta0, jac=jac, method=method, **opts).x


#: SciPy configurations: label -> (method, analytic Jacobian, start from ionsweep's estimate)
SCIPY = {
    "least_squares defaults (trf, 2-point Jacobian), start at ratios 1": ("trf", False, False),
    "least_squares trf, analytic Jacobian, start at ratios 1": ("trf", True, False),
    "least_squares lm (MINPACK), analytic Jacobian, start at ratios 1": ("lm", True, False),
    "least_squares lm (MINPACK), analytic Jacobian, ionsweep's start": ("lm", True, True),
}


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def write_section(body: str) -> None:
    block = f"{START}\n{body.rstrip()}\n{END}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + block + "\n")
    )
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--scipy-cells", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()
    table = make_table(args.cells)

    def batched():
        return ionsweep.fit_permeability_ratios(table, IONS, "K+", T, per_cell=True)

    t0 = time.perf_counter()
    res = batched()
    first = time.perf_counter() - t0
    assert res.status == "converged", res.status
    jax_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = batched()
        jax_times.append(time.perf_counter() - t0)

    n = args.scipy_cells
    V = table["V_rev"].reshape(args.cells, 8)
    # ionsweep's starting point (its batched initial estimate), for the last configuration
    from ionsweep.analysis import _fit_model as fm, _fit_solver as solver

    rows = fm.row_factors(
        np.tile(C_IN, (8 * n, 1)), np.tile(C_OUT, (n, 1)), np.array([1, 1, -1]), np.full(8 * n, T)
    )
    rows.update(V=V[:n].reshape(-1), w=np.ones(8 * n))
    groups, _ = solver.build_groups(rows, np.repeat(np.arange(n), 8), n)
    model = fm.Model((1, 1, -1), (1, 2), False)
    g = {k: jax.numpy.asarray(v) for k, v in groups.items()}
    start = np.asarray(jax.jit(jax.vmap(lambda gg: fm.initial(gg, model)))(g))[:n]
    ours = np.stack([res.ratios["Na+"][:n], res.ratios["Cl-"][:n]], axis=1)
    best, median = min(jax_times), statistics.median(jax_times)

    table_rows = [
        (
            "ionsweep `fit_permeability_ratios(..., per_cell=True)`, one call",
            fmt(best),
            fmt(median),
            "measured",
            "",
            "",
        ),
        (
            "ionsweep, first call (includes tracing and compilation)",
            fmt(first),
            "",
            "once per shape",
            "",
            "",
        ),
    ]
    verdicts = []
    for label, (method, analytic, from_ours) in SCIPY.items():
        times, est = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            est = np.array(
                [
                    scipy_fit(V[i], start[i] if from_ours else np.zeros(2), method, analytic)
                    for i in range(n)
                ]
            )
            times.append(time.perf_counter() - t0)
        per_cell = min(times) / n
        total = per_cell * args.cells
        rel = float(np.max(np.abs(ours - np.exp(est)) / np.exp(est)))
        ratio = total / best
        table_rows.append(
            (
                f"scipy {label}, looped",
                fmt(total),
                "",
                f"extrapolated: {per_cell * 1e3:.3f} ms/cell × {args.cells:,} "
                f"(best of 3 runs over {n} cells)",
                f"{ratio:,.0f}×",
                f"{rel:.1e}",
            )
        )
        verdicts.append((label, ratio, rel))

    lines = [
        "## bench_fit: per-cell permeability-ratio fits, one batched call vs a SciPy loop",
        "",
        f"{args.cells:,} cells × 8 conditions (K+, Na+, Cl-; 22 °C; ratios drawn per cell; "
        "0.5 mV noise), float64 throughout. SciPy runs on the first "
        f"{n} cells and its time for {args.cells:,} cells is extrapolated linearly.",
        "",
        "| candidate | best | median | note | speed-up | max rel. diff. of ratios |",
        "|---|---|---|---|---|---|",
        *(f"| {' | '.join(r)} |" for r in table_rows),
        "",
        "Speed-up = SciPy (extrapolated) / ionsweep best; target ≥ 100× with estimates "
        "within 1e-6 relative:",
        *(
            f"- vs {label}: {ratio:,.0f}× ({'meets' if ratio >= 100 else 'below'} the target), "
            f"agreement {rel:.1e} ({'ok' if rel <= 1e-6 else 'NOT ok'})"
            for label, ratio, rel in verdicts
        ),
        f"- ionsweep: max solver steps per cell {int(np.max(res.n_steps))}, all converged: "
        f"{bool(np.all(res.converged))}",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical "
        f"CPUs; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at start "
        "(shared machine)",
        f"- Python {platform.python_version()}; jax {jax.__version__} "
        f"({jax.default_backend()}); numpy {np.__version__}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
        "- Command: `python benchmarks/bench_fit.py`",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section(body)


if __name__ == "__main__":
    main()
