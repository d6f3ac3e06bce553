"""Uncertainty propagation: the Monte Carlo distribution of a model output from input
distributions (concentration errors, temperature, the choice of activity model, …)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ionsweep.analysis._evaluate import evaluate_batch
from ionsweep.analysis._sensitivity import _distributions

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


__all__ = ["DEFAULT_QUANTILES", "propagate"]

#: Quantiles reported by default: median, quartiles, 90 % and 95 % central intervals.
DEFAULT_QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)


def _summary(y: np.ndarray, quantiles, bins, value_range, thresholds):
    lo, hi = value_range if value_range is not None else (float(y.min()), float(y.max()))
    if hi <= lo:  # a constant output: one bin around it
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(y, bins=bins, range=(lo, hi))
    return {
        "mean": y.mean(),
        "std": y.std(ddof=1),
        "min": y.min(),
        "max": y.max(),
        "quantiles": np.quantile(y, quantiles),
        "histogram": counts / (len(y) * np.diff(edges)),
        "bin_edges": edges,
        "p_exceed": np.asarray([np.mean(np.abs(y) > t) for t in thresholds], np.float64),
    }


def propagate(
    func: Callable,
    distributions: Mapping,
    n: int,
    seed: int = 0,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    bins: int = 60,
    range: tuple[float, float] | None = None,
    thresholds: Sequence[float] = (),
    keep_samples: bool = False,
    jit: bool = True,
    dtype: DTypeLike | None = None,
    batch: int | None = None,
    units: str | Mapping[str, str] | None = None,
    input_units: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Monte Carlo propagation of input uncertainty to a model output.

    ``n`` independent random draws of every input from its distribution (inverse-CDF
    transform of uniform pseudo-random numbers; categorical inputs by their weights) are
    evaluated in **one** call of ``func``.

    Parameters
    ----------
    func : callable
        As for :func:`~ionsweep.sensitivity.sobol`: a dict of 1-D sample arrays to one array
        (or a dict of arrays, one per output).
    distributions : mapping of str to Distribution or (low, high)
        The random inputs, e.g. ``{"K_out": relative(5.0, 0.05), "T": normal(310.15, 1.0),
        "activity_model": choice(["davies", "pitzer"], values=[4, 5])}``.
    n : int
        Number of Monte Carlo samples.
    seed : int, optional
        Seed of the random draws.
    quantiles : sequence of float, keyword-only
        Quantiles to report (0–1).
    bins : int, keyword-only
        Histogram bins.
    range : (float, float), keyword-only
        Histogram range in the output's units; the sample's min–max by default.
    thresholds : sequence of float, keyword-only
        Report P(|y| > t) for each (e.g. ``[5.0]`` for |ΔE| > 5 mV).
    keep_samples : bool, keyword-only
        Also return every sample (inputs and outputs) along a ``sample`` dimension.
    jit : bool, keyword-only
        Compile ``func`` with ``jax.jit``.
    dtype : dtype, keyword-only
        Floating dtype of the samples given to a jitted ``func`` (JAX's default float).
    batch : int, keyword-only
        Evaluate a jitted ``func`` this many samples at a time (see
        :func:`ionsweep.sensitivity.sobol`); default: all samples in one call.
    units : str or mapping, keyword-only
        Units of the output(s), recorded on the statistics.
    input_units : mapping, keyword-only
        Units of the inputs, recorded on their kept samples.

    Returns
    -------
    xarray.Dataset
        ``mean``, ``std``, ``min``, ``max``, ``quantiles`` (dim ``quantile``), ``histogram``
        (probability density, dim ``bin`` with bin centres as coordinate ``bin_center``)
        and, with thresholds, ``p_exceed`` (dim ``threshold``); an ``output`` dimension for
        a dict-valued ``func``.

    Examples
    --------
    >>> import ionsweep
    >>> from ionsweep import sensitivity
    >>> ds = sensitivity.propagate(
    ...     lambda x: ionsweep.nernst(140.0, x["K_out"], 1, x["T"]),
    ...     {"K_out": sensitivity.relative(5.0, 0.05), "T": sensitivity.normal(310.15, 1.0)},
    ...     n=20000, units="mV")
    >>> round(float(ds.quantiles.sel(quantile=0.5)), 1), round(float(ds["std"]), 1)
    (-89.1, 1.4)
    """
    dists = _distributions(distributions)
    quantiles, thresholds = _check_arguments(n, quantiles, bins, range, thresholds)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    unit = rng.random((int(n), len(dists)))
    samples = {k: d.ppf(unit[:, i], weighted=True) for i, (k, d) in enumerate(dists.items())}
    t_sample = time.perf_counter() - t0
    outputs, t_eval, t_compile = evaluate_batch(func, samples, jit=jit, dtype=dtype, batch=batch)
    stats = {k: _summary(y, quantiles, bins, range, thresholds) for k, y in outputs.items()}
    per_units = _output_units(list(outputs), units)
    ds = _statistics(stats, per_units, quantiles, thresholds)
    if keep_samples:
        _add_samples(ds, dists, samples, outputs, per_units, input_units or {})
    ds.attrs = {
        "method": "monte_carlo",
        "n_samples": int(n),
        "n_evaluations": int(n),
        "seed": int(seed),
        "bin_width": [float(s["bin_edges"][1] - s["bin_edges"][0]) for s in stats.values()],
        "distributions": [f"{k}: {d.describe()}" for k, d in dists.items()],
        "sampling_s": t_sample,
        "compile_s": t_compile,
        "evaluation_s": t_eval,
    }
    return ds


def _check_arguments(n, quantiles, bins, value_range, thresholds):
    """The sample count, quantiles, bins and histogram range checked (``ValueError`` naming
    the argument); returns the quantiles and thresholds as tuples of float."""
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    quantiles = tuple(float(q) for q in quantiles)
    if not all(0 <= q <= 1 for q in quantiles):
        raise ValueError(f"quantiles must lie in [0, 1], got {list(quantiles)}")
    if not (isinstance(bins, int) and bins >= 1):
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if value_range is not None and not value_range[1] > value_range[0]:
        raise ValueError(f"range must be (low, high) with high > low, got {value_range!r}")
    return quantiles, tuple(float(t) for t in thresholds)


def _output_units(keys, units) -> dict:
    """The units of each output (key ``None`` for a single-array ``func``): ``"1"`` unless
    given, as one string for all or a mapping per output."""
    if isinstance(units, Mapping):
        return {k: str(units.get(k, "1")) for k in keys}
    return {k: "1" if units is None else str(units) for k in keys}


def _density_units(unit: str) -> str:
    """The units of a probability density over a quantity in ``unit``."""
    if unit == "1":
        return "1"
    return f"1/{unit}" if unit.isalnum() else f"1/({unit})"


def _statistics(stats, per_units, quantiles, thresholds) -> xr.Dataset:
    """The summary statistics of every output as a Dataset (an ``output`` dimension unless
    ``func`` returned one array)."""
    keys = list(stats)
    single = keys == [None]
    common = set(per_units.values())
    unit_attr = common.pop() if len(common) == 1 else "see output_units"

    def var(name, dims, long_name, u=None):
        vals = [np.asarray(stats[k][name], np.float64) for k in keys]
        data = vals[0] if single else np.stack(vals)
        d = dims if single else ["output", *dims]
        return xr.Variable(
            d, data, {"units": unit_attr if u is None else u, "long_name": long_name}
        )

    data = {
        "mean": var("mean", [], "Monte Carlo mean"),
        "std": var("std", [], "Monte Carlo standard deviation"),
        "min": var("min", [], "smallest sampled value"),
        "max": var("max", [], "largest sampled value"),
        "quantiles": var("quantiles", ["quantile"], "quantiles of the output distribution"),
        "histogram": var(
            "histogram", ["bin"], "probability density of the output", _density_units(unit_attr)
        ),
    }
    centers = [0.5 * (e[1:] + e[:-1]) for e in (stats[k]["bin_edges"] for k in keys)]
    coords: dict[str, tuple] = {
        "quantile": ("quantile", np.asarray(quantiles), {"units": "1", "long_name": "quantile"}),
        "bin_center": (
            ["bin"] if single else ["output", "bin"],
            centers[0] if single else np.stack(centers),
            {"units": unit_attr, "long_name": "histogram bin centre"},
        ),
    }
    if thresholds:
        data["p_exceed"] = var(
            "p_exceed", ["threshold"], "probability that |output| > threshold", "1"
        )
        coords["threshold"] = (
            "threshold",
            np.asarray(thresholds),
            {"units": unit_attr, "long_name": "threshold on |output|"},
        )
    if not single:
        coords["output"] = ("output", keys, {"units": "1", "long_name": "model output"})
        if unit_attr == "see output_units":
            coords["output_units"] = ("output", [per_units[k] for k in keys])
    return xr.Dataset(data, coords=coords)


def _add_samples(ds, dists, samples, outputs, per_units, input_units) -> None:
    """Every sample of the inputs (labels for categorical ones) and outputs added to ``ds``
    along a ``sample`` dimension."""
    for k, d in dists.items():
        values = d.label_of(samples[k]) if d.categorical else samples[k]
        ds[f"sample_{k}"] = xr.Variable(
            ["sample"],
            values,
            {"units": input_units.get(k, "1"), "long_name": f"sampled {k}"},
        )
    for k, y in outputs.items():
        name = "sample_value" if k is None else f"sample_{k}"
        ds[name] = xr.Variable(
            ["sample"], y, {"units": per_units[k], "long_name": f"{k or 'output'}"}
        )
