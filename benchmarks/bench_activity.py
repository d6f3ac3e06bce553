"""Activity models: batched Pitzer vs an established package, and float32 error of each model.

1. Pitzer ln γ of a 5-ion mixture (Na⁺, K⁺, Ca²⁺, Mg²⁺, Cl⁻; electroneutral via Cl⁻) at
   10⁶ random compositions and temperatures, one jitted call, against pytzer (an established
   JAX-based Pitzer package) evaluating the compositions one by one as its API is used — a
   sample of a few hundred compositions, extrapolated per composition. Target ≥ 10⁵×.
2. Parameter sets: the default set read from PHREEQC's pitzer.dat (``"phreeqc"``), a set
   read at run time with ``read_phreeqc_pitzer`` from phreeqpython's copy of the file, and
   the built-in HMW84 set, per composition, with T per composition and with T as a sweep axis
   (temperature terms once per temperature); and PHREEQC itself through phreeqpython, one
   solution at a time (sample), as the ratio to the database-read set.
3. float32 vs float64 of every activity model on the same compositions (max |Δ ln γ|).

Run: ``python benchmarks/bench_activity.py [--points 1e6] [--sample 300]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

sys.path.insert(0, str(Path(__file__).parent))
from _harness import (  # noqa: E402
    load_average,
    machine_description,
    markdown_table,
    print_section,
    update_section,
)

import ionsweep  # noqa: E402
from ionsweep.activity import MODELS, log_gamma  # noqa: E402

NAMES = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-")
PYTZER = {"Na+": "Na", "K+": "K", "Ca2+": "Ca", "Mg2+": "Mg", "Cl-": "Cl"}


def compositions(n, seed=0):
    """Random physiological-range mixtures (mol/kg) and temperatures (K)."""
    rng = np.random.default_rng(seed)
    na = rng.uniform(0.005, 0.3, n)
    k = rng.uniform(0.002, 0.15, n)
    ca = rng.uniform(1e-6, 0.005, n)
    mg = rng.uniform(1e-4, 0.003, n)
    cl = na + k + 2 * ca + 2 * mg
    return np.stack([na, k, ca, mg, cl], -1), rng.uniform(278.15, 313.15, n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=float, default=1e6)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    load0 = load_average()
    n = int(args.points)
    m, T = compositions(n)

    f = jax.jit(lambda m, T: log_gamma("pitzer", NAMES, m, T))

    def best_of(m, T, repeat=3):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            out = jax.block_until_ready(f(m, T))
            times.append(time.perf_counter() - t)
        return min(times), out

    t = time.perf_counter()
    jax.block_until_ready(f(m, T))
    first = time.perf_counter() - t
    batch_default, ours = best_of(m, T)
    # Then as the command line runs (see tune_cpu_allocator), and in float32 (sweeps' default).
    tuned = ionsweep.tune_cpu_allocator()
    batch, ours = best_of(m, T)
    m32_all, T32_all = m.astype(np.float32), T.astype(np.float32)
    jax.block_until_ready(f(m32_all, T32_all))
    batch32, _ = best_of(m32_all, T32_all)

    # Parameter sets: each compiled in as constants (one compilation per set).
    import phreeqpython

    from ionsweep.activity import read_phreeqc_pitzer

    db = read_phreeqc_pitzer(Path(phreeqpython.__file__).parent / "database" / "pitzer.dat")
    set_rows, per_set, cpu_set = [], {}, {}
    # T per composition (as above), and T as a sweep axis: 100 temperatures × n/100
    # compositions, T of shape (100, 1), where the temperature terms are evaluated once per
    # temperature. The four candidates run round-robin (best of 5 each), so a load change
    # during the run affects them alike.
    n_t = 100
    m_axis = m[: n - n % n_t].reshape(n_t, -1, len(NAMES))
    T_axis = np.linspace(278.15, 313.15, n_t).reshape(n_t, 1)
    hmw, dbl = (
        "built-in HMW84 (25 °C constants)",
        "database read at run time (phreeqpython's pitzer.dat)",
    )
    cands = []
    for where, mm, TT in (
        ("T per composition", m, T),
        (f"T axis ({n_t} temperatures)", m_axis, T_axis),
    ):
        for label, params in ((hmw, "hmw84"), (dbl, db)):
            g = jax.jit(lambda m, T, p=params: log_gamma("pitzer", NAMES, m, T, parameters=p))
            jax.block_until_ready(g(mm, TT))
            cands.append((f"{label}, {where}", g, mm, TT))
    ts = {c[0]: [] for c in cands}
    cpu = {c[0]: [] for c in cands}
    for _ in range(5):
        for key, g, mm, TT in cands:
            t0, c0 = time.perf_counter(), time.process_time()
            jax.block_until_ready(g(mm, TT))
            ts[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    for key, _, mm, _ in cands:
        k = mm.size // len(NAMES)
        per_set[key], cpu_set[key] = min(ts[key]) / k, min(cpu[key]) / k
        set_rows.append(
            [
                f"ionsweep, {key}",
                f"{k:,}",
                f"{min(ts[key]):.3f} s",
                f"{min(ts[key]) / k * 1e9:.0f} ns",
                f"CPU time {min(cpu[key]) / k * 1e9:.0f} ns per composition",
            ]
        )
    ip = phreeqpython.PhreeqPython(database="pitzer.dat").ip
    k_p = min(args.sample, 200)
    el = {"Na+": "Na", "K+": "K", "Ca2+": "Ca", "Mg2+": "Mg", "Cl-": "Cl"}
    scripts = [
        f"SOLUTION 1\n units mol/kgw\n temp {float(T[i]) - 273.15!r}\n"
        + "".join(f" {el[nm]} {float(m[i, j])!r}\n" for j, nm in enumerate(NAMES))
        + "END\n"
        for i in range(k_p)
    ]
    t0 = time.perf_counter()
    for sc in scripts:
        ip.run_string(sc)
    per_phreeqc = (time.perf_counter() - t0) / k_p
    per_db = per_set[f"{dbl}, T per composition"]
    from importlib.metadata import version

    set_rows.append([f"PHREEQC (phreeqpython {version('phreeqpython')}), one solution per "
                     "run (speciation included)", f"{k_p} (sample)",
                     f"{per_phreeqc * k_p:.2f} s", f"{per_phreeqc * 1e6:.0f} µs",
                     f"{per_phreeqc / per_db:,.0f}× the database-read set"])  # fmt: skip
    sets_table = markdown_table(
        ["candidate", "compositions", "time", "per composition", "note"], set_rows
    )
    verdicts = []
    for where in ("T per composition", f"T axis ({n_t} temperatures)"):
        r_db, r_h = cpu_set[f"{dbl}, {where}"], cpu_set[f"{hmw}, {where}"]
        verdicts.append(
            f"{where}: database set {r_db * 1e9:.0f} ns CPU time per composition, "
            f"{r_db / r_h:.2f}× the built-in HMW84 set in this run "
            f"({'no slower' if r_db <= r_h else 'slower'}), "
            f"{'within' if r_db <= 300e-9 else 'above'} the ~300 ns of the built-in kernel "
            "when the target was set"
        )
    verdict = "; ".join(verdicts) + "."

    import pytzer as pz

    k = args.sample
    ref = np.empty((k, len(NAMES)))
    solutes = [
        pz.get_solutes(**{PYTZER[nm]: float(m[i, j]) for j, nm in enumerate(NAMES)})
        for i in range(k)
    ]
    pz.log_activity_coefficients(solutes[0], float(T[0]), 10.1325)  # compile once, untimed
    t = time.perf_counter()
    for i in range(k):
        lg = pz.log_activity_coefficients(solutes[i], float(T[i]), 10.1325)
        ref[i] = [float(lg[PYTZER[nm]]) for nm in NAMES]
    per_pytzer = (time.perf_counter() - t) / k
    diff = np.max(np.abs(np.asarray(ours[:k]) - ref))
    ratio = per_pytzer / (batch / n)

    alloc = "after `tune_cpu_allocator()`" if tuned else "(allocator not tunable here)"
    rows = [
        [
            "ionsweep, one jitted call, float64, glibc defaults",
            f"{n:,}",
            f"{batch_default:.3f} s",
            f"{batch_default / n * 1e9:.0f} ns",
            f"first call {first:.1f} s; {per_pytzer / (batch_default / n):,.0f}× pytzer",
        ],
        [
            f"ionsweep, one jitted call, float64, {alloc}",
            f"{n:,}",
            f"{batch:.3f} s",
            f"{batch / n * 1e9:.0f} ns",
            f"{ratio:,.0f}× pytzer",
        ],
        [
            f"ionsweep, one jitted call, float32, {alloc}",
            f"{n:,}",
            f"{batch32:.3f} s",
            f"{batch32 / n * 1e9:.0f} ns",
            f"{per_pytzer / (batch32 / n):,.0f}× pytzer",
        ],
        [
            f"pytzer {pz.__version__}, one call per composition",
            f"{k} (sample)",
            f"{per_pytzer * k:.2f} s",
            f"{per_pytzer * 1e6:.0f} µs",
            "",
        ],
    ]
    perf = markdown_table(["candidate", "compositions", "time", "per composition", "note"], rows)

    err_rows = []
    m32, T32 = m[:100_000].astype(np.float32), T[:100_000].astype(np.float32)
    for model in MODELS:
        g = jax.jit(lambda m, T, model=model: log_gamma(model, NAMES, m, T))
        try:
            lg64 = np.asarray(g(m[:100_000], T[:100_000]))
            lg32 = np.asarray(g(m32, T32), np.float64)
        except ValueError as exc:
            err_rows.append([model, "—", f"not applicable to this mixture: {exc}"[:80]])
            continue
        assert g(m32, T32).dtype == jnp.float32
        err_rows.append(
            [
                model,
                f"{np.max(np.abs(lg32 - lg64)):.2e}",
                f"max \\|ln γ\\| {np.max(np.abs(lg64)):.2f}",
            ]
        )
    errs = markdown_table(["model", "max \\|ln γ(float32) − ln γ(float64)\\|", "scale"], err_rows)

    body = "\n".join(
        [
            "## Activity models (`bench_activity.py`)",
            "",
            *machine_description(load0),
            "",
            "Pitzer ln γ of Na⁺, K⁺, Ca²⁺, Mg²⁺, Cl⁻ mixtures (I up to ~0.5 mol/kg, 5–40 °C), "
            "float64 on both sides unless stated; pytzer timed on a sample and extrapolated "
            "per composition (its compile excluded). The ionsweep rows ran in this order in "
            "one process.",
            "",
            perf,
            "",
            f"Speed-up per composition, float64: **{ratio:,.0f}×**; float32: "
            f"**{per_pytzer / (batch32 / n):,.0f}×** (target ≥ 100,000×: "
            f"{'met' if max(ratio, per_pytzer / (batch32 / n)) >= 1e5 else 'not met'}). "
            "Max |Δ ln γ| against pytzer on the sample: "
            f"{diff:.1e} (pytzer's default library differs from ionsweep's default set for "
            "Ca–Cl and Mg–Cl; the tests compare with identical parameters to 1e-13).",
            "",
            "Parameter sets, float64, same compositions (the default row above is the "
            '`"phreeqc"` set, itself read from the pitzer.dat shipped with ionsweep). Best '
            "of 5 wall-clock times; the note gives the least process CPU time of the 5 calls "
            "(both cores together), which a loaded machine inflates less than wall-clock "
            "time. Target: the database-read set no slower than the built-in kernel "
            "(~300 ns per composition on this CPU, unloaded):",
            "",
            sets_table,
            "",
            f"Target: {verdict}",
            "",
            "float32 error of each model on 10⁵ of the same compositions:",
            "",
            errs,
        ]
    )
    print_section("bench_activity", body)
    if not args.no_write:
        update_section("bench_activity", body)


if __name__ == "__main__":
    main()
