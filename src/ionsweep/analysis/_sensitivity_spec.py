"""Sensitivity specs (TOML) → validated, immutable plan; every error names its field.

The format is described in :mod:`ionsweep.sensitivity`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ionsweep._errors import SpecError, spec_source
from ionsweep.analysis._distributions import Distribution, as_distribution, choice
from ionsweep.constants import ZERO_CELSIUS
from ionsweep.models import Model
from ionsweep.sweep._plan import MAX_HISTOGRAM_BINS
from ionsweep.sweep._spec import parse_fixed, parse_run_settings
from ionsweep.sweep._spec_outputs import check_model_evaluates, parse_output_names
from ionsweep.sweep._spec_text import load_header, no_unknown, read_spec, spec_text
from ionsweep.sweep._spec_values import check_domain, resolve_key

if TYPE_CHECKING:
    import os


__all__ = ["RandomInput", "SensitivityPlan", "load_sensitivity_spec", "parse_sensitivity_spec"]

_TOP_KEYS = {
    "title",
    "description",
    "model",
    "inputs",
    "fixed",
    "outputs",
    "sobol",
    "morris",
    "uncertainty",
    "run",
    "activity",  # [activity.databases]: Pitzer parameter sets (models._activity)
}
METHOD_KEYS = {
    "sobol": {"n", "seed", "num_resamples", "conf_level"},
    "morris": {"n", "seed", "num_levels", "num_resamples", "conf_level"},
    "uncertainty": {"n", "seed", "quantiles", "bins", "range", "thresholds", "keep_samples"},
}
_RUN_KEYS = {"dtype", "device"}


@dataclass(frozen=True)
class RandomInput:
    """One random input: its spec key, the model input it feeds, and its distribution.

    ``dist`` is in the units of the spec key; the model receives a sample plus ``offset``
    (273.15 for a continuous ``celsius`` input, else 0).
    """

    key: str
    input: str
    dist: Distribution
    units: str
    long_name: str
    offset: float = 0.0


@dataclass(frozen=True)
class SensitivityPlan:
    """Everything a sensitivity run needs; produced by :func:`parse_sensitivity_spec`."""

    spec_text: str
    source: str
    title: str
    model: Model
    model_name: str
    model_options: dict
    inputs: tuple[RandomInput, ...]
    fixed: dict[str, float]
    outputs: tuple[str, ...]
    methods: dict[str, dict] = field(default_factory=dict)
    dtype: str = "float32"
    device: str = "auto"
    #: Warnings about the sampled ranges from the model's ``check`` (as ``Plan.warnings``).
    warnings: tuple[str, ...] = ()

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self.spec_text.encode()).hexdigest()

    @property
    def evaluations(self) -> dict[str, int]:
        """Model evaluations of each analysis (Sobol N rounded up to a power of two)."""
        d, out = len(self.inputs), {}
        for method, opts in self.methods.items():
            n = int(opts["n"])
            if method == "sobol":
                out[method] = (1 << (n - 1).bit_length()) * (d + 2)
            elif method == "morris":
                out[method] = n * (d + 1)
            else:
                out[method] = n
        return out

    @property
    def n_evaluations(self) -> int:
        """Model evaluations of all the analyses."""
        return sum(self.evaluations.values())


def load_sensitivity_spec(path: str | os.PathLike[str], **overrides: Any) -> SensitivityPlan:
    """Read and validate the sensitivity spec at ``path`` (see the module docstring)."""
    path = Path(path)
    return parse_sensitivity_spec(read_spec(path), source=str(path), **overrides)


def _random_input(model, key, value, where) -> RandomInput:
    inp_name, convert, units, long_name = resolve_key(model, key, where)
    inp = model.input(inp_name)
    if not isinstance(value, Mapping):
        raise SpecError(
            where, "give a distribution such as { uniform = [low, high] }; fix constants in [fixed]"
        )
    offset = ZERO_CELSIUS if key == "celsius" else 0.0
    if "choices" in value:
        raw = value["choices"]
        if not isinstance(raw, list) or not raw:
            raise SpecError(where, "choices must be a non-empty list")
        numbers = convert(list(raw), where)
        check_domain(model, inp_name, numbers, where)
        try:
            dist = choice([str(v) for v in raw], numbers.tolist(), value.get("weights"))
        except ValueError as exc:
            raise SpecError(where, str(exc)) from None
        if set(value) - {"choices", "weights"}:
            raise SpecError(where, "a choice takes only 'choices' and 'weights'")
        return RandomInput(key, inp_name, dist, units or "1", long_name)  # values in model units
    if inp.labels is not None:
        raise SpecError(where, f"{key!r} is categorical: give it as {{ choices = [...] }}")
    value = dict(value)
    if "relative" in value:
        if key == "celsius":
            raise SpecError(
                where, "a relative error of a Celsius temperature is meaningless; give T in K"
            )
        if "value" not in value:
            if inp.default is None:
                raise SpecError(
                    where, f"relative needs 'value' (input {inp_name!r} has no default)"
                )
            value["value"] = inp.default
    try:
        dist = as_distribution(value, key)
    except ValueError as exc:
        raise SpecError(where, str(exc).removeprefix(f"{key}: ")) from None
    ends = dist.ppf(np.asarray([1e-12, 1 - 1e-12])) + offset
    check_domain(model, inp_name, ends, where + " (distribution)")
    return RandomInput(key, inp_name, dist, units or "1", long_name, offset)


def _method(name, tbl, n, seed) -> dict:
    if not isinstance(tbl, Mapping):
        raise SpecError(f"[{name}]", "must be a table")
    no_unknown(tbl, METHOD_KEYS[name], f"[{name}]")
    opts = dict(tbl)
    if n is not None:
        opts["n"] = n
    if seed is not None:
        opts["seed"] = seed
    if "n" not in opts:
        raise SpecError(f"[{name}] n", "the number of samples is required")
    for key in ("n", "seed", "num_resamples", "num_levels", "bins"):
        v = opts.get(key)
        if key in opts and not (
            isinstance(v, int) and not isinstance(v, bool) and v >= (0 if key == "seed" else 2)
        ):
            raise SpecError(f"[{name}] {key}", f"must be an integer >= 2 (seed >= 0), got {v!r}")
    if "conf_level" in opts and not (_is_number(opts["conf_level"]) and 0 < opts["conf_level"] < 1):
        raise SpecError(
            f"[{name}] conf_level",
            f"must be a number strictly between 0 and 1, got {opts['conf_level']!r}",
        )
    if opts.get("bins", 0) > MAX_HISTOGRAM_BINS:
        raise SpecError(
            f"[{name}] bins", f"is at most {MAX_HISTOGRAM_BINS:,}, got {opts['bins']:,}"
        )
    if name == "uncertainty":
        _uncertainty_options(opts)
    if name == "morris" and opts.get("num_levels", 4) % 2:
        raise SpecError("[morris] num_levels", "must be even")
    return opts


#: Most numbers (evaluations × (inputs + outputs)) a sensitivity run holds in memory.
MAX_SAMPLE_VALUES = 10**9


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and bool(np.isfinite(v))


def _uncertainty_options(opts) -> None:
    """``[uncertainty]`` quantiles, range, thresholds and keep_samples, checked up front."""
    q = opts.get("quantiles", [])
    if not isinstance(q, list) or not all(_is_number(x) and 0 <= x <= 1 for x in q):
        raise SpecError(
            "[uncertainty] quantiles", f"must be a list of numbers in [0, 1], got {q!r}"
        )
    if "range" in opts:
        r = opts["range"]
        if not (isinstance(r, list) and len(r) == 2 and all(map(_is_number, r)) and r[0] < r[1]):
            raise SpecError(
                "[uncertainty] range", f"must be [low, high] with low < high, got {r!r}"
            )
    t = opts.get("thresholds", [])
    if not isinstance(t, list) or not all(_is_number(x) and x >= 0 for x in t):
        raise SpecError("[uncertainty] thresholds", f"must be a list of numbers >= 0, got {t!r}")
    if not isinstance(opts.get("keep_samples", False), bool):
        raise SpecError(
            "[uncertainty] keep_samples", f"must be true or false, got {opts['keep_samples']!r}"
        )


def parse_sensitivity_spec(
    text: str | Mapping,
    source: str = "<spec>",
    *,
    dtype: str | None = None,
    device: str | None = None,
    n: int | None = None,
    seed: int | None = None,
) -> SensitivityPlan:
    """Validate a sensitivity spec; every problem raises :class:`SpecError` naming its field.

    ``dtype``, ``device``, ``n`` and ``seed`` override the spec (``n`` and ``seed`` for
    every analysis it asks for).
    """
    with spec_source(source):
        return _parse(text, source, dtype=dtype, device=device, n=n, seed=seed)


def _parse(text, source, *, dtype, device, n, seed) -> SensitivityPlan:
    """:func:`parse_sensitivity_spec` without the spec's source in its errors."""
    spec, model, model_tbl, options = load_header(text, source, _TOP_KEYS)
    inputs, seen = _random_inputs(model, spec.get("inputs", {}))
    fixed_tbl = spec.get("fixed", {})
    if not isinstance(fixed_tbl, Mapping):
        raise SpecError("[fixed]", "must be a table")
    fixed = parse_fixed(
        model, fixed_tbl, seen, "", "give it a distribution in [inputs] or a value in [fixed]"
    )
    out_tbl = spec.get("outputs", {})
    no_unknown(out_tbl, {"variables"}, "[outputs]")
    outputs = parse_output_names(model, out_tbl)
    methods = {m: _method(m, spec[m], n, seed) for m in METHOD_KEYS if m in spec}
    if not methods:
        raise SpecError("spec", "ask for at least one analysis: [sobol], [morris] or [uncertainty]")
    run = spec.get("run", {})
    no_unknown(run, _RUN_KEYS, "[run]")
    dtype, device = parse_run_settings(run, dtype, device)
    check_model_evaluates(model, outputs)
    values = _sampled_values(inputs, fixed)
    plan = SensitivityPlan(
        warnings=model.range_warnings(values),
        spec_text=spec_text(spec, text),
        source=source,
        title=str(spec.get("title", "")),
        model=model,
        model_name=str(model_tbl["name"]),
        model_options=options,
        inputs=tuple(inputs),
        fixed=fixed,
        outputs=outputs,
        methods=methods,
        dtype=dtype,
        device=device,
    )
    size = plan.n_evaluations * (len(inputs) + len(outputs))
    if size > MAX_SAMPLE_VALUES:
        raise SpecError(
            f"[{next(iter(methods))}] n",
            f"{plan.n_evaluations:,} model evaluations of {len(inputs)} inputs and "
            f"{len(outputs)} outputs are {size:,} values, more than one run holds in memory "
            f"({MAX_SAMPLE_VALUES:,}); lower n",
        )
    return plan


def _random_inputs(model: Model, inputs_tbl) -> tuple[list[RandomInput], dict[str, str]]:
    """The random inputs of ``[inputs]``, and where each model input is set."""
    if not isinstance(inputs_tbl, Mapping) or not inputs_tbl:
        raise SpecError("[inputs]", "give at least one input a distribution")
    seen: dict[str, str] = {}
    inputs = []
    for key, value in inputs_tbl.items():
        ri = _random_input(model, key, value, f"[inputs] {key}")
        if ri.input in seen:
            raise SpecError(
                f"[inputs] {key}", f"input {ri.input!r} is already set by {seen[ri.input]}"
            )
        seen[ri.input] = f"[inputs] {key}"
        inputs.append(ri)
    return inputs, seen


def _sampled_values(inputs, fixed) -> dict[str, np.ndarray]:
    """Values the model will see, for its range check: the categories of a choice, else
    the 0.1 % and 99.9 % quantiles (the ends, for bounded distributions)."""
    values = {k: np.asarray(v) for k, v in fixed.items()}
    for ri in inputs:
        if ri.dist.kind == "choice":
            values[ri.input] = np.asarray(ri.dist.values)
        else:
            values[ri.input] = ri.dist.ppf(np.array([0.0, 0.001, 0.999, 1.0])) + ri.offset
    return values
