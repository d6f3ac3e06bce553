"""Elementwise kernels on 10⁷ float32 points: jitted ionsweep against the same formulas in NumPy.

What is measured
----------------
All inputs are float32 arrays already in memory (NumPy arrays for NumPy, JAX arrays on the
CPU device for ionsweep); every candidate returns a new float32 array of results. One call
is timed from the call until the result is ready (``jax.block_until_ready``), so it covers
the computation and allocating the output; jit compilation is excluded and reported
separately as the first-call time. Candidates are timed interleaved (see ``_harness.py``).

* **Copy bandwidth**, the memory-bound reference, as bytes read + written per second:
  ``np.copyto`` of a 4·N-byte float32 array into a preallocated one, a jitted ``x + 0``
  (XLA compiles it to a copy into a new buffer) and, for reference, NumPy ``x.copy()``.
* **Nernst** ``E = RT/(zF)·ln(c_out/c_in)`` with per-point ``c_in``, ``c_out`` and a single
  temperature (310.15 K) and valence (+1): ``jax.jit(ionsweep.nernst)`` against the formula
  in NumPy. The minimal algorithm reads two arrays and writes one (12 bytes per point); the
  memory throughput reached is that byte count divided by the time.
* **Davies-corrected Nernst**: γ on each side from Davies' equation (c = 0.3) at per-point
  ionic strengths ``I_in``, ``I_out`` (mol/kg) and the same single temperature, so the
  Debye–Hückel A(T) is one scalar per call on both sides. ionsweep evaluates
  ``jax.jit(ionsweep.activity.nernst_davies)``; NumPy evaluates the textbook form
  (γ = 10**log10 γ on each side, then the Nernst potential of the activities), with A(T)
  from a NumPy transcription of ionsweep's water model (checked against ``debye_huckel_A``).
* **3-ion GHK voltage** (K⁺, Na⁺, Cl⁻): per-point permeabilities and concentrations as
  (N, 3) arrays with the ion axis last, ``jax.jit(ionsweep.ghk_voltage)(P, c_in, c_out, z, T)``
  with the valences passed in (traced, as in a sweep), against the Goldman equation in
  NumPy on the columns of the same arrays.

* **Eager calls on NumPy arrays** (no ``jax.jit`` by the user): ``ionsweep.nernst`` and the
  3-ion ``ionsweep.ghk_voltage`` called on the NumPy float32 arrays themselves, as a NumPy
  user would, with ``np.asarray`` of the result on both sides (NumPy in, NumPy out; on CPU
  ``np.asarray`` of a JAX result is a view). Each call dispatches to the kernel's cached
  jitted program; its first call (compilation) is reported apart, the times are of later
  calls. Informational: the undecorated kernel (``ionsweep.nernst.__wrapped__``), which runs
  operation by operation as these calls did before the kernels were wrapped, and the same
  eager call on the JAX arrays already on the device (no copy of the inputs).

Everything is measured twice in the same process: first with glibc's default allocator
settings, then after ``ionsweep.tune_cpu_allocator()`` (what the ``ionsweep`` command line
does, and what the first eager kernel call does unless ``IONSWEEP_TUNE_MALLOC=0``), which
keeps large buffers in the malloc heap instead of fresh page-faulting ``mmap`` regions. The
script sets ``IONSWEEP_TUNE_MALLOC=0`` so that the eager calls of the first round leave the
allocator alone. NumPy runs under the same allocator as ionsweep in each round.

Informational rows (no target): NumPy Nernst computed in place into a preallocated output;
ionsweep's Davies written the textbook way (``nernst`` with ``gamma = 10**log10_gamma_davies``);
GHK with the valences closed over as a constant instead of passed to the jitted function.

Usage: ``python benchmarks/bench_kernels.py [--n N] [--repeat R] [--no-write]``.
"""

from __future__ import annotations

import argparse
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
from _harness import (
    fmt_ratio,
    fmt_time,
    load_average,
    machine_description,
    markdown_table,
    print_section,
    section_name,
    time_interleaved,
    update_section,
)

import ionsweep
from ionsweep.activity import debye_huckel_A, log10_gamma_davies, nernst_davies

#: R/F in mV/K.
R_OVER_F_MV = 1e3 * ionsweep.GAS_CONSTANT / ionsweep.FARADAY
T_KELVIN = 310.15
Z_ION = 1
DAVIES_C = 0.3
Z_GHK = np.array([1.0, 1.0, -1.0], dtype=np.float32)  # K+, Na+, Cl-

TARGETS = {
    "nernst": 1.2,
    "davies": 6.0,
    "ghk3": 2.5,
    "bandwidth": 0.70,
    "eager_nernst": 1.0,
    "eager_ghk3": 1.5,
}


# --------------------------------------------------------------------------- NumPy baselines
def numpy_nernst(c_in, c_out, z, T):
    """E = RT/(zF) ln(c_out/c_in), mV."""
    return (R_OVER_F_MV * T / z) * np.log(c_out / c_in)


def numpy_nernst_inplace(c_in, c_out, z, T, out):
    """The same, written into a preallocated ``out`` with no temporaries."""
    np.divide(c_out, c_in, out=out)
    np.log(out, out=out)
    out *= np.float32(R_OVER_F_MV * T / z)
    return out


def numpy_debye_huckel_A(T):
    """Debye–Hückel A (log10 basis), (kg/mol)^½, for a scalar T in K.

    Independent transcription of ionsweep's water model: Kell (1975) density, Bradley &
    Pitzer (1979) permittivity at 1 atm, A = 3·A_phi/ln 10 with CODATA 2018 constants.
    """
    t = T - 273.15
    rho_w = (
        999.83952
        + 16.945176 * t
        - 7.9870401e-3 * t**2
        - 46.170461e-6 * t**3
        + 105.56302e-9 * t**4
        - 280.54253e-12 * t**5
    ) / (1 + 16.879850e-3 * t)
    u1, u2, u3, u4, u5, u6, u7, u8, u9 = (
        3.4279e2, -5.0866e-3, 9.4690e-7, -2.0525, 3.1159e3, -1.8289e2, -8.0325e3, 4.2142e6,
        2.1417,
    )  # fmt: skip
    C = u4 + u5 / (u6 + T)
    B = u7 + u8 / T + u9 * T
    eps_r = u1 * math.exp(u2 * T + u3 * T * T) + C * math.log((B + 1.01325) / (B + 1000.0))
    e, k, n_a, eps0 = 1.602176634e-19, 1.380649e-23, 6.02214076e23, 8.8541878128e-12
    lb = e**2 / (eps0 * eps_r * k * T)
    a_phi = (1 / 3) * math.sqrt(2 * math.pi * n_a * rho_w) * (lb / (4 * math.pi)) ** 1.5
    return 3 * a_phi / math.log(10)


def numpy_davies_nernst(c_in, c_out, I_in, I_out, z, T, c=DAVIES_C):
    """Nernst potential of activities, γ from Davies' equation on each side, mV."""
    A = numpy_debye_huckel_A(T)  # scalar T: one value for both sides
    s_in, s_out = np.sqrt(I_in), np.sqrt(I_out)
    g_in = 10 ** (-A * z * z * (s_in / (1 + s_in) - c * I_in))
    g_out = 10 ** (-A * z * z * (s_out / (1 + s_out) - c * I_out))
    return (R_OVER_F_MV * T / z) * np.log((g_out * c_out) / (g_in * c_in))


def numpy_goldman(P, c_in, c_out, T):
    """Goldman equation for K⁺, Na⁺, Cl⁻ (columns 0, 1, 2 of the (N, 3) arrays), mV."""
    num = P[:, 0] * c_out[:, 0] + P[:, 1] * c_out[:, 1] + P[:, 2] * c_in[:, 2]
    den = P[:, 0] * c_in[:, 0] + P[:, 1] * c_in[:, 1] + P[:, 2] * c_out[:, 2]
    return (R_OVER_F_MV * T) * np.log(num / den)


# ------------------------------------------------------------------------ ionsweep, jitted
jit_nernst = jax.jit(ionsweep.nernst)
jit_ghk_voltage = jax.jit(ionsweep.ghk_voltage)
jit_copy = jax.jit(lambda x: x + 0)


@jax.jit
def ionsweep_davies_nernst(c_in, c_out, I_in, I_out, z, T):
    return nernst_davies(c_in, c_out, z, T, I_in, I_out, DAVIES_C)


@jax.jit
def ionsweep_davies_nernst_gamma(c_in, c_out, I_in, I_out, z, T):
    g_in = 10 ** log10_gamma_davies(z, I_in, T, DAVIES_C)
    g_out = 10 ** log10_gamma_davies(z, I_out, T, DAVIES_C)
    return ionsweep.nernst(c_in, c_out, z, T, gamma_in=g_in, gamma_out=g_out)


# ----------------------------------------------------------------------------------- data
def make_data(n, seed=0):
    rng = np.random.default_rng(seed)

    def u(lo, hi, shape=(n,)):
        return rng.uniform(lo, hi, shape).astype(np.float32)

    d = {
        "c_in": u(1.0, 200.0),
        "c_out": u(1.0, 200.0),
        "I_in": u(1e-3, 0.5),
        "I_out": u(1e-3, 0.5),
        # K+, Na+, Cl- (relative permeabilities, mM): a physiological spread per point
        "P": np.stack([u(0.5, 1.5), u(0.01, 0.1), u(0.1, 0.6)], axis=-1),
        "ghk_in": np.stack([u(100.0, 160.0), u(5.0, 20.0), u(5.0, 30.0)], axis=-1),
        "ghk_out": np.stack([u(2.0, 10.0), u(120.0, 160.0), u(100.0, 130.0)], axis=-1),
    }
    j = {k: jax.device_put(v) for k, v in d.items()}
    jax.block_until_ready(j)
    return d, j


def max_abs_diff(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != np.float32 or b.dtype != np.float32:
        raise TypeError(f"expected float32 results, got {a.dtype} and {b.dtype}")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


# ------------------------------------------------------------------------------ benchmark
def run(n, repeat):
    """Both allocator rounds on the same data: glibc defaults first, then tuned."""
    os.environ["IONSWEEP_TUNE_MALLOC"] = "0"  # the first round's eager calls must not tune
    d, j = make_data(n)
    default = run_round(d, j, n, repeat)
    if not ionsweep.tune_cpu_allocator():
        return {"default": default, "tuned": None}
    return {"default": default, "tuned": run_round(d, j, n, repeat)}


def run_round(d, j, n, repeat):
    T, z = T_KELVIN, Z_ION
    nbytes = 4 * n

    # Memory reference: copy bandwidth = bytes read + written per second.
    dst = np.empty_like(d["c_in"])
    copy = time_interleaved(
        {
            "np.copyto (preallocated)": lambda: np.copyto(dst, d["c_in"]),
            "jit(x + 0) (new buffer)": lambda: jit_copy(j["c_in"]),
            "NumPy x.copy() (new buffer)": lambda: d["c_in"].copy(),
        },
        repeat=2 * repeat,
    )

    out = np.empty_like(d["c_in"])
    nernst = time_interleaved(
        {
            "ionsweep": lambda: jit_nernst(j["c_in"], j["c_out"], z, T),
            "numpy": lambda: numpy_nernst(d["c_in"], d["c_out"], z, T),
            "numpy in place": lambda: numpy_nernst_inplace(d["c_in"], d["c_out"], z, T, out),
        },
        repeat=2 * repeat,
    )
    nernst_diff = max_abs_diff(
        jit_nernst(j["c_in"], j["c_out"], z, T), numpy_nernst(d["c_in"], d["c_out"], z, T)
    )

    a_check = abs(numpy_debye_huckel_A(T) - float(debye_huckel_A(np.float64(T))))
    dav_args = (j["c_in"], j["c_out"], j["I_in"], j["I_out"], z, T)
    davies = time_interleaved(
        {
            "ionsweep": lambda: ionsweep_davies_nernst(*dav_args),
            "numpy": lambda: numpy_davies_nernst(
                d["c_in"], d["c_out"], d["I_in"], d["I_out"], z, T
            ),
            "ionsweep, nernst(γ = 10**lg γ)": lambda: ionsweep_davies_nernst_gamma(*dav_args),
        },
        repeat=repeat,
    )
    ref = numpy_davies_nernst(d["c_in"], d["c_out"], d["I_in"], d["I_out"], z, T)
    davies_diff = max_abs_diff(ionsweep_davies_nernst(*dav_args), ref)
    davies_gamma_diff = max_abs_diff(ionsweep_davies_nernst_gamma(*dav_args), ref)

    z3 = jnp.asarray(Z_GHK)
    ghk_const = jax.jit(lambda P, ci, co: ionsweep.ghk_voltage(P, ci, co, Z_GHK, T))
    ghk = time_interleaved(
        {
            "ionsweep": lambda: jit_ghk_voltage(j["P"], j["ghk_in"], j["ghk_out"], z3, T),
            "numpy": lambda: numpy_goldman(d["P"], d["ghk_in"], d["ghk_out"], T),
            "ionsweep, z closed over": lambda: ghk_const(j["P"], j["ghk_in"], j["ghk_out"]),
        },
        repeat=repeat,
    )
    ghk_diff = max_abs_diff(
        jit_ghk_voltage(j["P"], j["ghk_in"], j["ghk_out"], z3, T),
        numpy_goldman(d["P"], d["ghk_in"], d["ghk_out"], T),
    )

    eager = run_eager(d, j, repeat)
    return {
        "eager": eager,
        "n": n,
        "nbytes": nbytes,
        "copy": copy,
        "nernst": nernst,
        "nernst_diff": nernst_diff,
        "davies": davies,
        "davies_diff": davies_diff,
        "davies_gamma_diff": davies_gamma_diff,
        "A_check": a_check,
        "ghk": ghk,
        "ghk_diff": ghk_diff,
    }


def run_eager(d, j, repeat):
    """Public kernels called on the NumPy arrays, NumPy out, against NumPy (see docstring)."""
    T, z = T_KELVIN, Z_ION
    ci, co = d["c_in"], d["c_out"]
    P, gi, go = d["P"], d["ghk_in"], d["ghk_out"]
    nernst = time_interleaved(
        {
            "ionsweep": lambda: np.asarray(ionsweep.nernst(ci, co, z, T)),
            "numpy": lambda: np.asarray(numpy_nernst(ci, co, z, T)),
            "undecorated": lambda: np.asarray(ionsweep.nernst.__wrapped__(ci, co, z, T)),
            "jax arrays in": lambda: np.asarray(ionsweep.nernst(j["c_in"], j["c_out"], z, T)),
        },
        repeat=repeat,
    )
    z3 = jnp.asarray(Z_GHK)
    ghk = time_interleaved(
        {
            "ionsweep": lambda: np.asarray(ionsweep.ghk_voltage(P, gi, go, Z_GHK, T)),
            "numpy": lambda: np.asarray(numpy_goldman(P, gi, go, T)),
            "undecorated": lambda: np.asarray(
                ionsweep.ghk_voltage.__wrapped__(P, gi, go, Z_GHK, T)
            ),
            "jax arrays in": lambda: np.asarray(
                ionsweep.ghk_voltage(j["P"], j["ghk_in"], j["ghk_out"], z3, T)
            ),
        },
        repeat=repeat,
    )
    return {
        "nernst": nernst,
        "nernst_diff": max_abs_diff(ionsweep.nernst(ci, co, z, T), numpy_nernst(ci, co, z, T)),
        "ghk": ghk,
        "ghk_diff": max_abs_diff(
            ionsweep.ghk_voltage(P, gi, go, Z_GHK, T), numpy_goldman(P, gi, go, T)
        ),
    }


def render_eager(e):
    """The table of eager calls on NumPy arrays (one allocator round)."""

    def t(tm):
        return f"{fmt_time(tm.best)} / {fmt_time(tm.median)}"

    rows = []
    for key, title, target in (
        ("nernst", "`ionsweep.nernst`", TARGETS["eager_nernst"]),
        ("ghk", "`ionsweep.ghk_voltage`, K/Na/Cl (N, 3)", TARGETS["eager_ghk3"]),
    ):
        tm = e[key]
        ratio = tm["numpy"].best / tm["ionsweep"].best
        rows.append(
            [
                title,
                t(tm["ionsweep"]),
                t(tm["numpy"]),
                fmt_ratio(ratio),
                f"≥ {target}×",
                "**met**" if ratio >= target else "not met",
                f"{e[key + '_diff']:.2g}",
                fmt_time(tm["ionsweep"].first),
                f"{t(tm['undecorated'])} ({fmt_ratio(tm['numpy'].best / tm['undecorated'].best)})",
                f"{t(tm['jax arrays in'])} "
                f"({fmt_ratio(tm['numpy'].best / tm['jax arrays in'].best)})",
            ]
        )
    return markdown_table(
        [
            "eager call, NumPy in and out",
            "ionsweep best / median",
            "NumPy best / median",
            "speed-up (best)",
            "target",
            "",
            "max abs diff (mV)",
            "first call (compile)",
            "undecorated kernel, op by op (speed-up)",
            "eager call on JAX arrays (speed-up)",
        ],
        rows,
    )


def render_round(r):
    """Tables of one allocator round."""
    nbytes = r["nbytes"]

    def met(ok):
        return "**met**" if ok else "not met"

    def t(tm):
        return f"{fmt_time(tm.best)} / {fmt_time(tm.median)}"

    main_rows = []
    for key, title, diff in (
        ("nernst", "Nernst", r["nernst_diff"]),
        ("davies", "Davies-corrected Nernst", r["davies_diff"]),
        ("ghk", "GHK voltage, K/Na/Cl (N, 3)", r["ghk_diff"]),
    ):
        tm = r[key]
        ratio = tm["numpy"].best / tm["ionsweep"].best
        target = TARGETS["ghk3" if key == "ghk" else key]
        main_rows.append(
            [
                title,
                t(tm["ionsweep"]),
                t(tm["numpy"]),
                fmt_ratio(ratio),
                f"≥ {target}×",
                met(ratio >= target),
                f"{diff:.2g}",
                fmt_time(tm["ionsweep"].first),
            ]
        )
    main = markdown_table(
        [
            "kernel",
            "ionsweep best / median",
            "NumPy best / median",
            "speed-up (best)",
            "target",
            "",
            "max abs diff (mV)",
            "ionsweep first call",
        ],
        main_rows,
    )

    # Memory throughput: bytes read + written by the minimal algorithm / best time.
    copy = r["copy"]
    bw_copyto = 2 * nbytes / copy["np.copyto (preallocated)"].best
    bw_jit = 2 * nbytes / copy["jit(x + 0) (new buffer)"].best
    bw_rows = []
    for label, tm, moved in (
        ("np.copyto (preallocated)", copy["np.copyto (preallocated)"], 2 * nbytes),
        ("jit(x + 0) (new buffer)", copy["jit(x + 0) (new buffer)"], 2 * nbytes),
        ("NumPy x.copy() (new buffer)", copy["NumPy x.copy() (new buffer)"], 2 * nbytes),
        ("Nernst, ionsweep", r["nernst"]["ionsweep"], 3 * nbytes),
        ("Nernst, NumPy", r["nernst"]["numpy"], 3 * nbytes),
        ("Nernst, NumPy in place (preallocated)", r["nernst"]["numpy in place"], 3 * nbytes),
        ("Davies Nernst, ionsweep", r["davies"]["ionsweep"], 5 * nbytes),
        ("GHK 3 ions, ionsweep", r["ghk"]["ionsweep"], 10 * nbytes),
    ):
        gbs = moved / tm.best / 1e9
        bw_rows.append(
            [
                label,
                f"{moved / 1e6:.0f} MB",
                fmt_time(tm.best),
                f"{gbs:.1f}",
                f"{100 * gbs * 1e9 / bw_copyto:.0f} %",
                f"{100 * gbs * 1e9 / bw_jit:.0f} %",
            ]
        )
    bw = markdown_table(
        ["operation", "bytes read + written", "best", "GB/s", "% of copyto", "% of jit copy"],
        bw_rows,
    )
    frac_copyto = (3 * nbytes / r["nernst"]["ionsweep"].best) / bw_copyto
    frac_jit = (3 * nbytes / r["nernst"]["ionsweep"].best) / bw_jit
    goal = TARGETS["bandwidth"]

    info_rows = [
        [
            "Nernst, NumPy in place into a preallocated output",
            t(r["nernst"]["numpy in place"]),
            fmt_ratio(r["nernst"]["numpy"].best / r["nernst"]["numpy in place"].best) + " vs NumPy",
            fmt_ratio(r["nernst"]["numpy in place"].best / r["nernst"]["ionsweep"].best)
            + " (ionsweep speed-up over it)",
        ],
        [
            "Davies, ionsweep `nernst` with γ = 10**log10_gamma_davies",
            t(r["davies"]["ionsweep, nernst(γ = 10**lg γ)"]),
            fmt_ratio(
                r["davies"]["numpy"].best / r["davies"]["ionsweep, nernst(γ = 10**lg γ)"].best
            )
            + " vs NumPy",
            f"max abs diff {r['davies_gamma_diff']:.2g} mV",
        ],
        [
            "GHK, ionsweep with z closed over (a constant)",
            t(r["ghk"]["ionsweep, z closed over"]),
            fmt_ratio(r["ghk"]["numpy"].best / r["ghk"]["ionsweep, z closed over"].best)
            + " vs NumPy",
            f"first call {fmt_time(r['ghk']['ionsweep, z closed over'].first)}",
        ],
    ]
    info = markdown_table(
        ["variant (informational)", "best / median", "speed-up", "note"], info_rows
    )

    return [
        main,
        "",
        "Eager calls: the public kernels called on the NumPy float32 arrays themselves, no "
        "`jax.jit` by the user, `np.asarray` of the result on both sides; each call runs the "
        "kernel's cached jitted program (its first call compiles it). XLA:CPU reads host "
        "arrays in place only when 64-byte aligned (NumPy aligns to 16): ionsweep hands a "
        "large contiguous array over from the 64-byte boundary before it, whole rows back "
        "within its memory page, and the program skips those rows: 1-d inputs are always "
        "read in place; an (N, 3) float32 array only where its 12-byte rows reach such a "
        "boundary (not from 16 bytes into a page, where glibc's fresh mappings put large "
        "arrays under its default settings), else it is copied. The last column gives the "
        "same call on JAX arrays.",
        "",
        render_eager(r["eager"]),
        "",
        f"Memory throughput (bytes read + written by the minimal algorithm, per second). "
        f"Nernst reaches **{100 * frac_copyto:.0f} %** of the `np.copyto` bandwidth and "
        f"**{100 * frac_jit:.0f} %** of the jitted-copy bandwidth (target ≥ "
        f"{100 * goal:.0f} %: {met(frac_copyto >= goal)} against `np.copyto`, "
        f"{met(frac_jit >= goal)} against the jitted copy).",
        "",
        bw,
        "",
        info,
    ]


def render(result):
    r = result["default"]
    n = r["n"]
    lines = [
        f"### Elementwise kernels, {n:,} float32 points",
        "",
        *machine_description(result["load"]),
        "",
        f"Single T = {T_KELVIN} K and z = {Z_ION} for Nernst and Davies (A(T) is one scalar; "
        f"NumPy's A agrees with `debye_huckel_A` to {r['A_check']:.1g}); GHK arrays are "
        "(N, 3) with the ion axis last, z = (+1, +1, −1) passed to the jitted function. "
        "Times per call (best / median); the speed-up is NumPy best / ionsweep best. The "
        "first call includes tracing and compilation. Both rounds ran in this order in one "
        "process, on the same arrays; NumPy and ionsweep share the allocator in each.",
        "",
    ]
    if result["tuned"] is not None:
        lines += [
            "#### After `ionsweep.tune_cpu_allocator()` (as the `ionsweep` command line runs)",
            "",
            *render_round(result["tuned"]),
            "",
        ]
    else:
        lines += ["(`ionsweep.tune_cpu_allocator()` is not available here: not glibc.)", ""]
    lines += ["#### glibc's default allocator settings", "", *render_round(r)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10**7, help="points per array")
    parser.add_argument("--repeat", type=int, default=10, help="timed calls per candidate")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    load = load_average()
    if jax.config.jax_enable_x64:
        parser.error("run with x64 disabled (float32 is the point of this benchmark)")
    body = render({**run(args.n, args.repeat), "load": load})
    name = section_name("bench_kernels")
    print_section(name, body)
    if not args.no_write:
        update_section(name, body)


if __name__ == "__main__":
    main()
