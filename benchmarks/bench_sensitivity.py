"""Sobol analysis with ~10⁶ model evaluations of a 6-input activity-error model: the one
batched JAX call of ``ionsweep.sensitivity`` against the same model evaluated per sample in
Python/NumPy.

The model
---------
``activity_error_ghk`` with K⁺, Na⁺, Ca²⁺, Cl⁻ (Cl⁻ balances the charge, Na⁺ fills each side
up to its ionic strength), Davies activity coefficients, output ΔE_K = E_K(Davies) − E_K(ideal)
in mV. Six random inputs: I_in, I_out ~ U(0.05, 0.5) M, T ~ U(278.15, 313.15) K, K_in,
K_out ~ U(1, 20) mM, and a 5 % (1 sd) normal error on γ outside (``gamma_factor_out``);
Ca²⁺ = 1 mM on both sides. Sobol base sample N = 2¹⁷ → N·(D + 2) = 1,048,576 evaluations.

What is timed
-------------
* **ionsweep (JAX batch)**: the spec's model function, compiled once by ``jax.jit``, called on
  all 1,048,576 samples at once (inputs already on the device, result waited for), in
  float32 (the default dtype of sensitivity runs, as of sweeps) and in float64; best and
  median of ``--repeat`` interleaved calls. Compilation is reported separately.
* **per sample, Python/NumPy**: the same model written as a function of six scalars with
  NumPy operations (Kell density, Debye–Hückel A(T) from the same water model, Davies γ of
  each side from its full composition), called in a Python loop. It is timed on the first
  ``--subset`` samples (best of 2 passes) and **extrapolated** linearly to all samples; its
  results are checked against the JAX batch on that subset.
* For context: the same per-sample model on Python floats with the ``math`` module (a leaner
  loop than NumPy scalars), a vectorized NumPy version of the same formulas on all samples, and the
  complete ``ionsweep sensitivity`` pipeline (SALib sampling, batched evaluation, SALib
  analysis with 100 bootstrap resamples), whose total is dominated by SALib.

Usage: ``python benchmarks/bench_sensitivity.py [--log2n 17] [--subset 20000] [--repeat 5]
[--no-write]``. Writes its section of ``RESULTS.md`` between the markers
``<!-- bench_sensitivity:start -->`` and ``<!-- bench_sensitivity:end -->``.
"""

from __future__ import annotations

import argparse
import math
import re
import time

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from _harness import (  # noqa: E402
    RESULTS_PATH,
    fmt_ratio,
    fmt_time,
    load_average,
    machine_description,
    markdown_table,
    time_interleaved,
)

import ionsweep  # noqa: E402
from ionsweep import sensitivity  # noqa: E402
from ionsweep.analysis._evaluate import evaluate_batch  # noqa: E402
from ionsweep.analysis._sensitivity_run import (  # noqa: E402
    SampleEvaluator,
    _batch_size,
    _model_func,
)
from ionsweep.sweep import _kernel  # noqa: E402

TARGET = 1000.0
R_OVER_F_MV = 1e3 * ionsweep.GAS_CONSTANT / ionsweep.FARADAY
START, END = "<!-- bench_sensitivity:start -->", "<!-- bench_sensitivity:end -->"

SPEC = {
    "title": "bench_sensitivity: 6-input activity error of E_K (Davies)",
    "model": {
        "name": "activity_error_ghk",
        "ions": ["K+", "Na+", "Ca2+", "Cl-"],
        "balance": "Cl-",
        "fill": "Na+",
        "report": ["K+"],
        "models": ["davies"],
    },
    "inputs": {
        "I_in": {"uniform": [0.05, 0.5]},
        "I_out": {"uniform": [0.05, 0.5]},
        "T": {"uniform": [278.15, 313.15]},
        "K_in": {"uniform": [1.0, 20.0]},
        "K_out": {"uniform": [1.0, 20.0]},
        "gamma_factor_out": {"relative": 0.05},
    },
    "fixed": {"Ca_in": 1.0, "Ca_out": 1.0, "activity_model": "davies"},
    "outputs": {"variables": ["dE_K"]},
    "sobol": {"n": 2**17, "seed": 0},
}
NAMES = list(SPEC["inputs"])


# ---------------------------------------------------------------- the model, one sample
def kell_density(T):
    """Density of water, kg/m³ (Kell 1975), T in K."""
    t = T - 273.15
    num = (
        999.83952 + 16.945176 * t - 7.9870401e-3 * t**2 - 46.170461e-6 * t**3
        + 105.56302e-9 * t**4 - 280.54253e-12 * t**5
    )  # fmt: skip
    return num / (1 + 16.879850e-3 * t)


def debye_huckel_A(T):
    """Debye–Hückel A (log10), (kg/mol)^½: Kell density, Bradley & Pitzer permittivity."""
    u1, u2, u3, u4, u5, u6, u7, u8, u9 = (
        3.4279e2, -5.0866e-3, 9.4690e-7, -2.0525, 3.1159e3, -1.8289e2, -8.0325e3, 4.2142e6,
        2.1417,
    )  # fmt: skip
    C = u4 + u5 / (u6 + T)
    B = u7 + u8 / T + u9 * T
    eps_r = u1 * np.exp(u2 * T + u3 * T * T) + C * np.log((B + 1.01325) / (B + 1000.0))
    e, k, n_a, eps0 = 1.602176634e-19, 1.380649e-23, 6.02214076e23, 8.8541878128e-12
    lb = e**2 / (eps0 * eps_r * k * T)
    a_phi = np.sqrt(2 * np.pi * n_a * kell_density(T)) * (lb / (4 * np.pi)) ** 1.5 / 3
    return 3 * a_phi / np.log(10)


Z = np.array([1.0, 1.0, 2.0, -1.0])  # K+, Na+, Ca2+, Cl-


def ln_gamma_K(I_M, K, T, rho, A, ca=1.0):
    """ln γ(K⁺), Davies, of a side of molar ionic strength I_M holding K and Ca (mM)."""
    na = 1000.0 * I_M - K - 3.0 * ca  # Na+ fills up the ionic strength
    c = np.array([K, na, ca, K + na + 2.0 * ca])  # Cl- balances the charge
    m = c / rho  # mol/kg
    ionic = 0.5 * np.sum(m * Z * Z)
    s = np.sqrt(ionic)
    return -np.log(10.0) * A * (s / (1.0 + s) - 0.3 * ionic)


def per_sample(I_in, I_out, T, K_in, K_out, gamma_factor_out):
    """ΔE_K in mV of one sample (six scalars)."""
    rho, A = kell_density(T), debye_huckel_A(T)
    d = ln_gamma_K(I_out, K_out, T, rho, A) + np.log(gamma_factor_out)
    d -= ln_gamma_K(I_in, K_in, T, rho, A)
    return R_OVER_F_MV * T * d


def per_sample_math(I_in, I_out, T, K_in, K_out, gamma_factor_out):
    """The same ΔE_K with the ``math`` module on Python floats (informational baseline)."""
    u1, u2, u3, u4, u5, u6, u7, u8, u9 = (
        3.4279e2, -5.0866e-3, 9.4690e-7, -2.0525, 3.1159e3, -1.8289e2, -8.0325e3, 4.2142e6,
        2.1417,
    )  # fmt: skip
    C, B = u4 + u5 / (u6 + T), u7 + u8 / T + u9 * T
    eps_r = u1 * math.exp(u2 * T + u3 * T * T) + C * math.log((B + 1.01325) / (B + 1000.0))
    lb = 1.602176634e-19**2 / (8.8541878128e-12 * eps_r * 1.380649e-23 * T)
    rho = kell_density(T)
    A = math.sqrt(2 * math.pi * 6.02214076e23 * rho) * (lb / (4 * math.pi)) ** 1.5 / math.log(10)

    def lg(I_M, K):
        na = 1000.0 * I_M - K - 3.0
        ionic = 0.5 * (K + na + 4.0 + (K + na + 2.0)) / rho
        s = math.sqrt(ionic)
        return -math.log(10.0) * A * (s / (1.0 + s) - 0.3 * ionic)

    return R_OVER_F_MV * T * (lg(I_out, K_out) + math.log(gamma_factor_out) - lg(I_in, K_in))


def vectorized(x):
    """The same formulas on whole arrays (NumPy, informational)."""
    T = x["T"]
    rho, A = kell_density(T), debye_huckel_A(T)

    def lg(I_M, K):
        na = 1000.0 * I_M - K - 3.0
        ionic = 0.5 * (K + na + 4.0 + (K + na + 2.0)) / rho
        s = np.sqrt(ionic)
        return -np.log(10.0) * A * (s / (1.0 + s) - 0.3 * ionic)

    d = lg(x["I_out"], x["K_out"]) + np.log(x["gamma_factor_out"]) - lg(x["I_in"], x["K_in"])
    return R_OVER_F_MV * T * d


# ------------------------------------------------------------------------- benchmark
def samples(log2n):
    """The Sobol sample matrix of the spec (SALib, mapped onto the distributions)."""
    from SALib.sample import sobol as sobol_sample

    plan = sensitivity.parse_sensitivity_spec(_toml(), n=2**log2n)
    dists = {ri.key: ri.dist for ri in plan.inputs}
    problem = {"num_vars": len(dists), "names": list(dists), "bounds": [[0, 1]] * len(dists)}
    unit = sobol_sample.sample(problem, 2**log2n, calc_second_order=False, seed=0)
    return plan, {k: d.ppf(unit[:, i]) for i, (k, d) in enumerate(dists.items())}


def _toml():
    from ionsweep.sweep._api import spec_to_toml

    return spec_to_toml(SPEC)


def run(log2n, subset, repeat):
    plan, x = samples(log2n)
    n = len(x["T"])
    compiled, inputs, t_compile = {}, {}, {}
    for dtype in ("float32", "float64"):
        p = sensitivity.parse_sensitivity_spec(_toml(), n=2**log2n, dtype=dtype)
        inputs[dtype] = {k: jax.device_put(v.astype(dtype)) for k, v in x.items()}
        t0 = time.perf_counter()
        compiled[dtype] = jax.jit(_model_func(p)).lower(inputs[dtype]).compile()
        t_compile[dtype] = time.perf_counter() - t0
    timings = time_interleaved(
        {
            "float32": lambda: compiled["float32"](inputs["float32"])["dE_K"],
            "float64": lambda: compiled["float64"](inputs["float64"])["dE_K"],
            "numpy vectorized": lambda: vectorized(x),
        },
        repeat=repeat,
        warmup=1,
    )
    # Compile included on both sides: a fresh model function each call.
    p32 = sensitivity.parse_sensitivity_spec(_toml(), n=2**log2n, dtype="float32")
    batch = _batch_size(p32, jax.devices()[0].platform)

    def hand():
        f = jax.jit(_model_func(p32))
        return f({k: jax.numpy.asarray(v, "float32") for k, v in x.items()})["dE_K"]

    def engine():
        _kernel._CACHE.clear()  # compile included
        evaluator = SampleEvaluator(p32, batch, jax.devices())
        return evaluate_batch(evaluator, x)[0]["dE_K"]

    compiled_runs = time_interleaved(
        {"hand-written jit": hand, "engine": engine}, repeat=max(2, repeat // 2), warmup=1
    )
    y = np.asarray(compiled["float64"](inputs["float64"])["dE_K"])
    y32 = np.asarray(compiled["float32"](inputs["float32"])["dE_K"], np.float64)
    cols = [x[k][:subset] for k in NAMES]
    best_loop = math.inf
    for _ in range(2):
        t0 = time.perf_counter()
        ys = np.array([per_sample(*row) for row in zip(*cols, strict=True)])
        best_loop = min(best_loop, time.perf_counter() - t0)
    rows = list(zip(*[c.tolist() for c in cols], strict=True))
    best_math = math.inf
    for _ in range(2):
        t0 = time.perf_counter()
        ym = np.array([per_sample_math(*row) for row in rows])
        best_math = min(best_math, time.perf_counter() - t0)
    t0 = time.perf_counter()
    ds = sensitivity.run_sensitivity(_toml(), n=2**log2n)  # the default dtype, float32
    t_pipeline = time.perf_counter() - t0
    return {
        "n": n,
        "subset": subset,
        "compile": t_compile,
        "timings": timings,
        "per_sample_s": best_loop / subset,
        "loop_subset_s": best_loop,
        "err_loop": float(np.max(np.abs(ys - y[:subset]))),
        "err_math": float(np.max(np.abs(ym - y[:subset]))),
        "per_sample_math_s": best_math / subset,
        "err_vec": float(np.max(np.abs(vectorized(x) - y))),
        "err_32": float(np.max(np.abs(y32 - y))),
        "ds": ds,
        "pipeline": t_pipeline,
        "compiled_runs": compiled_runs,
        "batch": batch,
    }


def render(r) -> str:
    n, tm = r["n"], r["timings"]
    loop_total = r["per_sample_s"] * n
    ratio = {d: loop_total / tm[d].best for d in ("float32", "float64")}
    met = {d: "met" if ratio[d] >= TARGET else "not met" for d in ratio}
    rows = [
        [
            f"ionsweep, one jitted JAX call, {d}" + (" (default)" if d == "float32" else ""),
            fmt_time(tm[d].best),
            fmt_time(tm[d].median),
            fmt_ratio(ratio[d]),
        ]
        for d in ("float32", "float64")
    ]
    rows += [
        [
            f"per sample, Python/NumPy loop (timed on {r['subset']:,}, extrapolated)",
            fmt_time(loop_total),
            "—",
            "1×",
        ],
        [
            f"per sample, pure Python `math` loop (informational; timed on {r['subset']:,}, "
            "extrapolated)",
            fmt_time(r["per_sample_math_s"] * n),
            "—",
            fmt_ratio(loop_total / (r["per_sample_math_s"] * n)),
        ],
        [
            "NumPy vectorized, float64 (informational)",
            fmt_time(tm["numpy vectorized"].best),
            fmt_time(tm["numpy vectorized"].median),
            fmt_ratio(loop_total / tm["numpy vectorized"].best),
        ],
    ]
    cr = r["compiled_runs"]
    eng_ratio = cr["hand-written jit"].best / cr["engine"].best
    a = r["ds"].attrs
    ds = r["ds"].sel(output="dE_K")
    idx = markdown_table(
        ["input", "S1", "ST"],
        [
            [
                p,
                f"{float(ds.S1.sel(parameter=p)):.3f} ± {float(ds.S1_conf.sel(parameter=p)):.3f}",
                f"{float(ds.ST.sel(parameter=p)):.3f} ± {float(ds.ST_conf.sel(parameter=p)):.3f}",
            ]
            for p in NAMES
        ],
    )
    return "\n".join(
        [
            "## bench_sensitivity",
            "",
            *machine_description(r["load"]),
            "",
            f"Sobol analysis of ΔE_K (Davies vs ideal) with 6 inputs: N = {n // 8:,} base "
            f"samples, **{n:,} model evaluations**. Time to evaluate all of them (best / "
            "median of the timed calls, interleaved); speed-up = per-sample loop / candidate:",
            "",
            markdown_table(["candidate", "best", "median", "speed-up vs loop"], rows),
            "",
            f"Target ≥ {TARGET:,.0f}× over the per-sample Python/NumPy loop: **{met['float32']}** "
            f"with float32, the default dtype of sensitivity runs ({fmt_ratio(ratio['float32'])});"
            f" **{met['float64']}** with float64 ({fmt_ratio(ratio['float64'])}). The loop's time "
            f"is **extrapolated**: {r['subset']:,} samples took {fmt_time(r['loop_subset_s'])} "
            f"({fmt_time(r['per_sample_s'])} per sample) × {n:,}. Largest difference from the "
            f"float64 JAX batch: loop {r['err_loop']:.1e} mV and `math` loop "
            f"{r['err_math']:.1e} mV (on their subset), vectorized NumPy "
            f"{r['err_vec']:.1e} mV, float32 JAX {r['err_32']:.1e} mV. JAX compilation (once, "
            f"excluded above): {fmt_time(r['compile']['float32'])} (float32), "
            f"{fmt_time(r['compile']['float64'])} (float64). On a shared machine the 2-thread "
            "JAX call suffers more from other jobs than the 1-thread loop: rerun when quiet. "
            "The same model on Python floats with the `math` module is about "
            f"{r['per_sample_s'] / r['per_sample_math_s']:.0f}× faster than with NumPy scalars; "
            "against it the float32 batch is "
            f"{fmt_ratio(r['per_sample_math_s'] * n / tm['float32'].best)} faster.",
            "",
            "Evaluation as a sensitivity run does it, compile included (kernel cache "
            "cleared each time): the samples as a plan with one `sample` axis, run by the "
            f"sweep executor in chunks of {r['batch']:,} samples with one compiled kernel "
            "shared by every analysis of the run, against one hand-written `jax.jit` call "
            "of the spec's model function on all samples, float32:",
            "",
            markdown_table(
                ["path", "best", "median", "ratio"],
                [
                    [
                        "hand-written: `jax.jit(f)(samples)`",
                        fmt_time(cr["hand-written jit"].best),
                        fmt_time(cr["hand-written jit"].median),
                        "1.00×",
                    ],
                    [
                        "ionsweep: the sweep executor over a plan of samples",
                        fmt_time(cr["engine"].best),
                        fmt_time(cr["engine"].median),
                        f"**{eng_ratio:.2f}×** (target ≥ 0.8×: "
                        f"{'met' if eng_ratio >= 0.8 else 'not met'})",
                    ],
                ],
            ),
            "",
            "Whole pipeline in float32 (`run_sensitivity`: SALib sampling "
            f"{fmt_time(a['sobol_sampling_s'])}, "
            f"compile {fmt_time(a['sobol_compile_s'])}, batched evaluation "
            f"{fmt_time(a['sobol_evaluation_s'])}, SALib analysis with 100 bootstrap resamples "
            f"{fmt_time(a['sobol_analysis_s'])}): {fmt_time(r['pipeline'])}. Indices found:",
            "",
            idx,
        ]
    )


def write_section(body: str, path=RESULTS_PATH) -> None:
    """Replace (or append) the text between this script's markers in RESULTS.md."""
    block = f"{START}\n{body.rstrip()}\n{END}"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log2n", type=int, default=17, help="Sobol base sample 2**LOG2N")
    parser.add_argument("--subset", type=int, default=20000, help="samples timed in the loop")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls of the JAX batch")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    load = load_average()
    body = render({**run(args.log2n, args.subset, args.repeat), "load": load})
    print(body)
    if not args.no_write:
        write_section(body)


if __name__ == "__main__":
    main()
