"""Global sensitivity: Sobol indices and Morris screening, SALib sampling and analysis around
one batched (jitted) evaluation of every sample.

SALib builds the sample matrix in the unit hypercube (Saltelli's scheme on a scrambled
Sobol' sequence; Morris trajectories), :mod:`._distributions` maps each column onto its
input's distribution, the model is called **once** on all samples as a dict of 1-D arrays,
and SALib estimates the indices with bootstrap confidence intervals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ionsweep.analysis._distributions import Distribution, as_distribution
from ionsweep.analysis._evaluate import evaluate_batch

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


__all__ = ["morris", "sobol"]


def _problem(dists: Mapping[str, Distribution]) -> dict:
    names = list(dists)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def _distributions(bounds: Mapping) -> dict[str, Distribution]:
    if not isinstance(bounds, Mapping) or not bounds:
        raise ValueError("bounds must map at least one input name to (low, high)")
    return {str(k): as_distribution(v, str(k)) for k, v in bounds.items()}


def _seed(seed: int, salt: int) -> int:
    """A non-zero derived seed (SALib's sobol.analyze ignores a seed of 0)."""
    return int(np.random.default_rng([seed, salt]).integers(1, 2**31 - 1))


def _dataset(per_output: dict, names, variables: dict, attrs: dict) -> xr.Dataset:
    """Dataset of the index ``variables`` {name: (long_name, units)} per output."""
    keys = list(per_output)
    data = {}
    for var, (long_name, units) in variables.items():
        if isinstance(units, dict):
            units = "see output_units"
        if keys == [None]:
            values, dims = np.asarray(per_output[None][var], np.float64), ["parameter"]
        else:
            values = np.stack([np.asarray(per_output[k][var], np.float64) for k in keys])
            dims = ["output", "parameter"]
        data[var] = xr.Variable(dims, values, {"units": units, "long_name": long_name})
    coords = {"parameter": ("parameter", list(names), {"long_name": "input", "units": "1"})}
    if keys != [None]:
        coords["output"] = ("output", keys, {"long_name": "model output", "units": "1"})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _units(units, keys) -> str | dict:
    """One units string for μ*, σ; or a dict per output when the outputs differ."""
    if units is None:
        return "1"
    if isinstance(units, str):
        return units
    per = {k: str(units.get(k, "1")) for k in keys}
    values = set(per.values())
    return values.pop() if len(values) == 1 else per


def _describe(dists: Mapping[str, Distribution]) -> list[str]:
    return [f"{k}: {d.describe()}" for k, d in dists.items()]


def sobol(
    func: Callable,
    bounds: Mapping,
    n: int,
    seed: int = 0,
    *,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    jit: bool = True,
    dtype: DTypeLike | None = None,
    batch: int | None = None,
) -> xr.Dataset:
    """First- and total-order Sobol indices with bootstrap confidence intervals.

    Saltelli's sampling scheme on a scrambled Sobol' sequence (``SALib.sample.sobol``) gives
    N·(D + 2) samples of the D inputs; ``func`` evaluates them in **one** call; the
    estimators of Saltelli et al. (2010) with ``num_resamples`` bootstrap resamples
    (``SALib.analyze.sobol``) give the indices.

    Parameters
    ----------
    func : callable
        ``func(x) -> y``: ``x`` maps each input name to a 1-D array of samples (JAX arrays
        when ``jit``); ``y`` is one array of the same length, or a dict of such arrays
        (several outputs, analysed from the same samples). A categorical input
        (:func:`~ionsweep.sensitivity.choice`) arrives as its numeric values.
    bounds : mapping of str to (low, high) or Distribution
        Each input's range (uniform) or distribution (:func:`~ionsweep.sensitivity.normal`,
        ``lognormal``, ``triangular``, ``relative``, ``choice``), in the input's units.
    n : int
        Base sample size N, rounded up to a power of two (Sobol' points balance there).
    seed : int, optional
        Seed of the scrambling and of the bootstrap; equal seeds give equal results.
    num_resamples : int, keyword-only
        Bootstrap resamples of the confidence intervals.
    conf_level : float, keyword-only
        Confidence level of the intervals (0.95: half-widths of 95 % intervals).
    jit : bool, keyword-only
        Compile ``func`` with ``jax.jit`` (False for a NumPy function).
    dtype : dtype, keyword-only
        Floating dtype of the samples given to a jitted ``func``; JAX's default float
        (float32 unless x64 is enabled) by default.
    batch : int, keyword-only
        Evaluate a jitted ``func`` this many samples at a time through one compiled program
        (the same program for every analysis of a run that passes the same ``batch``);
        default: all samples in one call.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (dimensionless, fractions of the output
        variance) along the ``parameter`` coordinate (and ``output``, when ``func`` returns
        a dict). Attributes record N, the number of evaluations, the seed, the distributions
        and the sampling, evaluation and analysis times (s).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from ionsweep import sensitivity
    >>> ds = sensitivity.sobol(lambda x: x["a"] + 0.1 * x["b"] + 0 * x["c"],
    ...                        {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=1024)
    >>> [round(float(s), 2) for s in ds.ST]
    [0.99, 0.01, 0.0]
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    dists = _distributions(bounds)
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    n_base = 1 << (int(n) - 1).bit_length()
    problem = _problem(dists)
    t0 = time.perf_counter()
    unit = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    samples = {k: d.ppf(unit[:, i]) for i, (k, d) in enumerate(dists.items())}
    t_sample = time.perf_counter() - t0
    outputs, t_eval, t_compile = evaluate_batch(func, samples, jit=jit, dtype=dtype, batch=batch)
    t0 = time.perf_counter()
    per_output = {}
    for key, y in outputs.items():
        if np.ptp(y) == 0:
            raise ValueError(
                "the output" + (f" {key!r}" if key is not None else "") + " is constant over "
                "all samples; its Sobol indices are undefined"
            )
        per_output[key] = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=_seed(seed, 1),
        )
    t_analyze = time.perf_counter() - t0
    pct = f"{100 * conf_level:g} %"
    variables = {
        "S1": ("first-order Sobol index", "1"),
        "S1_conf": (f"half-width of the {pct} bootstrap confidence interval of S1", "1"),
        "ST": ("total-order Sobol index", "1"),
        "ST_conf": (f"half-width of the {pct} bootstrap confidence interval of ST", "1"),
    }
    attrs = {
        "method": "sobol",
        "n_base": n_base,
        "n_evaluations": int(unit.shape[0]),
        "seed": int(seed),
        "num_resamples": int(num_resamples),
        "conf_level": float(conf_level),
        "distributions": _describe(dists),
        "sampling_s": t_sample,
        "compile_s": t_compile,
        "evaluation_s": t_eval,
        "analysis_s": t_analyze,
    }
    return _dataset(per_output, list(dists), variables, attrs)


def morris(
    func: Callable,
    bounds: Mapping,
    n: int,
    seed: int = 0,
    *,
    num_levels: int = 4,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    jit: bool = True,
    dtype: DTypeLike | None = None,
    batch: int | None = None,
    units: str | Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Morris elementary-effects screening: μ* (with a bootstrap interval) and σ.

    ``n`` trajectories of D + 1 points each on a ``num_levels`` grid of the unit cube
    (``SALib.sample.morris``) are mapped onto the inputs' distributions (unbounded ones over
    their central 99 %), evaluated in one call, and analysed by ``SALib.analyze.morris``.
    An elementary effect is the change of the output per step divided by the step as a
    fraction of the input's range, so μ* is in the output's units: roughly the change of
    the output over the input's whole range.

    Parameters
    ----------
    func, bounds, seed, num_resamples, conf_level, jit, dtype, batch
        As for :func:`sobol`.
    n : int
        Number of trajectories (N·(D + 1) evaluations).
    num_levels : int, keyword-only
        Grid levels per input (even; 4 by default).
    units : str or mapping, keyword-only
        Units of the output (or of each output of a dict-valued ``func``), recorded as the
        ``units`` of μ* and σ.

    Returns
    -------
    xarray.Dataset
        ``mu_star``, ``mu_star_conf`` and ``sigma`` (units of the output) along
        ``parameter`` (and ``output`` for a dict-valued ``func``).

    Examples
    --------
    >>> from ionsweep import sensitivity
    >>> ds = sensitivity.morris(lambda x: 3 * x["a"] - 0.5 * x["b"],
    ...                         {"a": (0, 1), "b": (0, 2)}, n=20)
    >>> [round(float(m), 2) for m in ds.mu_star], round(float(ds.sigma[0]), 6)
    ([3.0, 1.0], 0.0)
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    dists = _distributions(bounds)
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not (isinstance(num_levels, int) and num_levels >= 2 and num_levels % 2 == 0):
        raise ValueError(f"num_levels must be an even integer >= 2, got {num_levels!r}")
    problem = _problem(dists)
    t0 = time.perf_counter()
    unit = morris_sample.sample(problem, int(n), num_levels=num_levels, seed=seed)
    samples = {k: d.morris_ppf(unit[:, i]) for i, (k, d) in enumerate(dists.items())}
    t_sample = time.perf_counter() - t0
    outputs, t_eval, t_compile = evaluate_batch(func, samples, jit=jit, dtype=dtype, batch=batch)
    t0 = time.perf_counter()
    per_output = {
        key: morris_analyze.analyze(
            problem,
            unit,
            y,
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=_seed(seed, 2),
        )
        for key, y in outputs.items()
    }
    t_analyze = time.perf_counter() - t0
    pct = f"{100 * conf_level:g} %"
    units = _units(units, list(outputs))
    variables = {
        "mu_star": ("Morris mu*: mean absolute elementary effect over the input's range", units),
        "mu_star_conf": (f"half-width of the {pct} bootstrap confidence interval of mu*", units),
        "sigma": ("Morris sigma: standard deviation of the elementary effects", units),
    }
    attrs = {
        "method": "morris",
        "n_trajectories": int(n),
        "num_levels": int(num_levels),
        "n_evaluations": int(unit.shape[0]),
        "seed": int(seed),
        "num_resamples": int(num_resamples),
        "conf_level": float(conf_level),
        "distributions": _describe(dists),
        "sampling_s": t_sample,
        "compile_s": t_compile,
        "evaluation_s": t_eval,
        "analysis_s": t_analyze,
    }
    ds = _dataset(per_output, list(dists), variables, attrs)
    if isinstance(units, dict):
        ds = ds.assign_coords(output_units=("output", [units[k] for k in outputs]))
        ds.output_units.attrs.update(units="1", long_name="units of each output")
    if not math.isfinite(float(ds.mu_star.sum())):
        raise ValueError("Morris analysis produced non-finite mu*; check the model's outputs")
    return ds
