"""Run a sensitivity plan: every analysis evaluated through one compiled model, stored like a sweep.

The store is an ordinary ionsweep zarr store (``ionsweep info`` and
:func:`ionsweep.open_results` read it): one Dataset with ``units``/``long_name`` on every
variable, the spec, versions, backend, dtype and timings in its attributes, and a manifest
holding one finished "chunk" (the whole result is written at once).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ionsweep.analysis._sensitivity import morris, sobol
from ionsweep.analysis._sensitivity_spec import (
    SensitivityPlan,
    load_sensitivity_spec,
    parse_sensitivity_spec,
)
from ionsweep.analysis._uncertainty import DEFAULT_QUANTILES, propagate
from ionsweep.store import _zarr as zstore, encode_attrs
from ionsweep.store._dataset import jsonable, provenance, write_dataset
from ionsweep.sweep._in_memory import evaluate
from ionsweep.sweep._plan import Axis, Plan, PlanWarning

if TYPE_CHECKING:
    import os


__all__ = ["format_results", "run_sensitivity", "write_results"]

#: Write an in-memory result Dataset as an ionsweep store (one finished chunk).
write_results = write_dataset


def _plan(spec, overrides) -> SensitivityPlan:
    if isinstance(spec, SensitivityPlan):
        return spec
    if isinstance(spec, Mapping):
        return parse_sensitivity_spec(spec, source="<dict>", **overrides)
    if isinstance(spec, Path) or (isinstance(spec, str) and "\n" not in spec):
        return load_sensitivity_spec(spec, **overrides)
    return parse_sensitivity_spec(str(spec), source="<string>", **overrides)


def _model_func(plan: SensitivityPlan):
    """``func(x)`` of the spec keys' sample arrays → dict of the requested outputs."""
    import jax.numpy as jnp

    dtype = jnp.dtype(plan.dtype)
    fixed = dict(plan.fixed)
    feeds = {ri.key: (ri.input, ri.offset) for ri in plan.inputs}

    def func(x):
        full = {k: jnp.asarray(v, dtype) for k, v in fixed.items()}
        for key, (name, offset) in feeds.items():
            full[name] = (
                jnp.asarray(x[key], dtype) + offset if offset else jnp.asarray(x[key], dtype)
            )
        n = jnp.shape(next(iter(x.values())))
        out = plan.model.fn(full)
        return {k: jnp.broadcast_to(out[k], n) for k in plan.outputs}

    return func


class SampleEvaluator:
    """A sensitivity spec's model over samples, run by the sweep executor.

    ``evaluate_samples(samples)`` turns the samples (keyed as in the spec's ``[inputs]``)
    into a plan with one ``sample`` axis along which every random input varies, and
    evaluates it with :func:`ionsweep.sweep._in_memory.evaluate` in chunks of ``batch``
    samples on every device: every analysis of a run shares one compiled kernel. Calling
    the object evaluates the model directly (``_model_func``), for use as a plain function.
    """

    def __init__(self, plan: SensitivityPlan, batch: int, devices):
        self.plan, self.batch, self.devices = plan, int(batch), list(devices)
        self._func = _model_func(plan)

    def __call__(self, x):
        return self._func(x)

    def sample_plan(self, samples: Mapping[str, np.ndarray]) -> Plan:
        plan = self.plan
        n = len(next(iter(samples.values())))
        feeds: dict[str, Any] = {
            ri.input: np.asarray(samples[ri.key], np.float64) + ri.offset for ri in plan.inputs
        }
        axis = Axis("sample", np.arange(n), "1", "sample", feeds)
        return Plan(
            spec_text=plan.spec_text,
            source=plan.source,
            title=plan.title,
            model=plan.model,
            model_name=plan.model_name,
            model_options=plan.model_options,
            axes=(axis,),
            fixed=dict(plan.fixed),
            outputs=plan.outputs,
            grads=(),
            dtype=plan.dtype,
            chunks=(self.batch,),
            memory_bytes=_SAMPLE_MEMORY,
            device=plan.device,
        )

    def evaluate_samples(self, samples: Mapping[str, np.ndarray]):
        """``({output: float64 values}, seconds to the first chunk's result)``."""
        values, first = evaluate(self.sample_plan(samples), self.devices)
        return {k: values[k] for k in self.plan.outputs}, first


#: Nominal memory budget of a sample plan (its chunk is set by ``_batch_size``).
_SAMPLE_MEMORY = 1 << 30


def _batch_size(plan: SensitivityPlan, platform: str) -> int:
    """Samples per call of the model: every analysis of the run evaluates its samples in
    batches of this size through one compiled program (padding the last batch), so a run
    compiles its model once. As many as the largest analysis needs, at most a reduce-mode
    step's worth (``sweep._chunks``)."""
    from ionsweep.sweep._chunks import STEP_POINTS_ACCELERATOR, STEP_POINTS_CPU

    cap = STEP_POINTS_CPU if platform == "cpu" else STEP_POINTS_ACCELERATOR
    return max(1, min(cap, max(plan.evaluations.values())))


def run_sensitivity(
    spec: str | os.PathLike[str] | Mapping[str, Any] | SensitivityPlan,
    store: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    **overrides: Any,
) -> xr.Dataset:
    """Run the analyses of a sensitivity spec and return (and optionally store) the results.

    Parameters
    ----------
    spec : str, Path, Mapping or SensitivityPlan
        A path to a TOML sensitivity spec, TOML text, or the spec as nested dicts (see
        :mod:`ionsweep.sensitivity` for the format).
    store : str or Path, optional
        Zarr store to write (refused if it exists, unless ``overwrite``); the result is then
        opened lazily from it.
    overwrite : bool, keyword-only
        Replace an existing store.
    **overrides
        ``dtype``, ``device``, ``n`` or ``seed``, overriding the spec.

    Returns
    -------
    xarray.Dataset
        Along ``output`` (the model outputs) and ``parameter`` (the random inputs, named as
        in the spec): ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` from ``[sobol]``;
        ``mu_star``, ``mu_star_conf``, ``sigma`` from ``[morris]``; ``mean``, ``std``,
        ``quantiles``, ``histogram`` … from ``[uncertainty]``.

    Examples
    --------
    >>> import ionsweep
    >>> ds = ionsweep.sensitivity.run_sensitivity({
    ...     "model": {"name": "nernst"},
    ...     "inputs": {"c_out": {"uniform": [2.0, 10.0]}, "celsius": {"uniform": [20, 40]}},
    ...     "fixed": {"c_in": 140.0, "ion": "K+"},
    ...     "sobol": {"n": 256}})
    >>> ds.ST.sel(output="E").to_series().round(2).to_dict()
    {'c_out': 0.98, 'celsius': 0.02}
    """
    plan = _plan(spec, overrides)
    import jax

    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    devices = jax.devices() if plan.device == "auto" else jax.devices(plan.device)
    for note in plan.warnings:
        warnings.warn(PlanWarning(note), stacklevel=2)
    batch = _batch_size(plan, devices[0].platform)
    func = SampleEvaluator(plan, batch, devices)
    units = {o: plan.model.output(o).units for o in plan.outputs}
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    parts, attrs = [], {}
    with jax.default_device(devices[0]):
        for method, opts in plan.methods.items():
            ds = _run_method(method, opts, func, plan, batch, units)
            attrs.update({f"{method}_{k}": jsonable(v) for k, v in ds.attrs.items()})
            ds = ds.copy()
            ds.attrs = {}
            parts.append(ds)
    wall = time.perf_counter() - t0
    result = xr.merge(parts, combine_attrs="drop_conflicts", compat="no_conflicts", join="outer")
    result = _labelled(result, plan, units)
    result.attrs = encode_attrs(  # as a store holds them, so that to_netcdf takes them
        {
            **provenance(
                plan,
                devices,
                mode="sensitivity",
                n_chunks=1,
                n_points=plan.n_evaluations,
                complete=True,
                packages=("SALib",),
            ),
            "ionsweep_methods": list(plan.methods),
            **attrs,
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_time_s": wall,
        }
    )
    if store is None:
        return result
    write_dataset(result, store, overwrite=overwrite)
    return zstore.open_results(store)


def _run_method(method: str, opts, func, plan: SensitivityPlan, batch: int, units) -> xr.Dataset:
    """One analysis of the spec (``sobol``, ``morris`` or ``uncertainty``) with its options."""
    dists = {ri.key: ri.dist for ri in plan.inputs}
    seed = int(opts.get("seed", 0))
    common = {
        "num_resamples": opts.get("num_resamples", 100),
        "conf_level": opts.get("conf_level", 0.95),
        "dtype": plan.dtype,
        "batch": batch,
    }
    if method == "sobol":
        return sobol(func, dists, opts["n"], seed, **common)
    if method == "morris":
        num_levels = opts.get("num_levels", 4)
        return morris(func, dists, opts["n"], seed, num_levels=num_levels, units=units, **common)
    return propagate(
        func,
        dists,
        opts["n"],
        seed,
        dtype=plan.dtype,
        batch=batch,
        quantiles=opts.get("quantiles", DEFAULT_QUANTILES),
        bins=opts.get("bins", 60),
        range=tuple(opts["range"]) if "range" in opts else None,
        thresholds=opts.get("thresholds", ()),
        keep_samples=bool(opts.get("keep_samples", False)),
        units=units,
        input_units={ri.key: ri.units for ri in plan.inputs},
    )


def _labelled(result: xr.Dataset, plan: SensitivityPlan, units) -> xr.Dataset:
    """The merged result in the spec's output order, with the description and units of
    every output and the units and distribution of every input as coordinates."""
    result = result.sel(output=list(plan.outputs))  # jit returns dicts sorted by key
    result = result.assign_coords(
        output_long_name=("output", [plan.model.output(o).long_name for o in plan.outputs]),
        output_units=("output", [units[o] for o in plan.outputs]),
    )
    result.output_long_name.attrs.update(units="1", long_name="description of each output")
    result.output_units.attrs.update(units="1", long_name="units of each output")
    if "parameter" in result.dims:
        result = result.assign_coords(
            parameter_units=("parameter", [ri.units for ri in plan.inputs]),
            distribution=("parameter", [ri.dist.describe() for ri in plan.inputs]),
        )
        result.parameter_units.attrs.update(units="1", long_name="units of each input")
        result.distribution.attrs.update(units="1", long_name="distribution of each input")
    return result


def _align(rows) -> list[str]:
    """Columns left-aligned, two spaces apart, indented by two."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def _pm(value, conf) -> str:
    return f"{value:.3f} ± {conf:.3f}"


def format_results(ds: xr.Dataset) -> list[str]:
    """Aligned text tables of a sensitivity result, one block per output and analysis."""
    outputs = ds.output.values.tolist() if "output" in ds.dims else [None]
    lines = []
    for out in outputs:
        d = ds if out is None else ds.sel(output=out)
        name = out or "output"
        unit = ""
        if "output_units" in d.coords:
            unit = str(d.output_units.values)
        elif "mean" in d:
            unit = d["mean"].attrs.get("units", "")
        elif "mu_star" in d:
            unit = d.mu_star.attrs.get("units", "")
        head = f"{name} [{unit}]" if unit and unit != "1" else name
        if "S1" in d:
            lvl = ds.attrs.get("sobol_conf_level", 0.95)
            lines.append(f"Sobol indices of {head} (± {100 * lvl:g} % bootstrap CI):")
            rows = [["parameter", "S1", "ST"]]
            for p in d.parameter.values.tolist():
                s = d.sel(parameter=p)
                rows.append(
                    [p, _pm(float(s.S1), float(s.S1_conf)), _pm(float(s.ST), float(s.ST_conf))]
                )
            lines += _align(rows)
        if "mu_star" in d:
            lines.append(f"Morris screening of {head}:")
            rows = [["parameter", "mu*", "sigma"]]
            for p in d.parameter.values.tolist():
                s = d.sel(parameter=p)
                rows.append(
                    [
                        p,
                        f"{float(s.mu_star):.4g} ± {float(s.mu_star_conf):.2g}",
                        f"{float(s.sigma):.4g}",
                    ]
                )
            lines += _align(rows)
        if "quantiles" in d:
            q = d.quantiles
            lines.append(f"Monte Carlo distribution of {head}:")
            row = [f"mean {float(d['mean']):.4g}", f"sd {float(d['std']):.3g}"]
            qs = zip(q["quantile"].values, q.values, strict=True)
            row += [f"q{100 * float(k):g} {float(v):.4g}" for k, v in qs]
            lines.append("  " + "  ".join(row))
            if "p_exceed" in d:
                for t, p in zip(d.threshold.values, d.p_exceed.values, strict=True):
                    lines.append(f"  P(|{name}| > {float(t):g}) = {float(p):.4f}")
    return lines
