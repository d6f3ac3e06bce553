"""Every key a sweep or sensitivity spec accepts, with what it means.

The key sets come from the spec parsers themselves (their tables of allowed keys, or, where a
parser checks keys inline, the parser's own answer to a probe), so the reference cannot
drift: :func:`problems` lists every key the parsers accept that is not described here and
every described key they do not accept. The documentation build fails on any (the
``spec-keys`` directive of ``ionsweep_docs``), and so does the test suite.
"""

from __future__ import annotations

import re

#: (table id, heading as written in a spec, description of each key). The keys of each
#: table must be exactly those the parser accepts (see :func:`accepted`).
SWEEP = {
    "sweep-top": (
        "top level",
        {
            "title": "Text: the store's title (shown by `ionsweep info` and the explorer).",
            "description": "Text: a longer description, kept in the store's attributes.",
            "model": "Table `[model]`: `name` (a built-in model, or `package.module:function` "
            "for your own) and the model's options (see *Models* below).",
            "axes": "Table `[axes]`: the dimensions of the grid, one key per axis (see "
            "*Axis values*). At least one axis.",
            "fixed": "Table `[fixed]`: a single value for each input that is not swept; "
            "inputs with a default may be left out.",
            "outputs": "Table `[outputs]`: which outputs to store, and their derivatives.",
            "run": "Table `[run]`: dtype, memory budget, chunk shape and device.",
            "reduce": "Table `[reduce]`: keep streaming statistics over some or all axes "
            "instead of storing every point (reduce mode).",
            "activity": "Table `[activity.databases]`: Pitzer parameter sets read from "
            "PHREEQC-format files, usable as `pitzer:<name>`.",
        },
    ),
    "sweep-run": (
        "[run]",
        {
            "dtype": '`"float32"` (default) or `"float64"`; `--dtype` overrides it.',
            "memory": 'Memory budget for one chunk, e.g. `"2GB"` (default `"1GB"`); '
            "`--memory` overrides it.",
            "chunks": "Table of chunk lengths by axis name, e.g. `{ c_out = 10 }`; the other "
            "axes are chunked to fit the memory budget.",
            "device": '`"auto"` (default: a GPU if JAX sees one), `"cpu"` or `"gpu"`; '
            "`--device` overrides it.",
        },
    ),
    "sweep-outputs": (
        "[outputs]",
        {
            "variables": "List of the model's outputs to store (default: all of them).",
            "grad": "List of inputs (`celsius` means `T`): store ∂output/∂input of every "
            "stored output, named `d<output>_d<input>`, by forward-mode autodiff.",
            "elasticity": "List of inputs: store the elasticity (x/y)·∂y/∂x, named "
            "`<output>_elasticity_<input>`.",
        },
    ),
    "sweep-reduce": (
        "[reduce]",
        {
            "over": "List of axes to reduce over (default: every axis); the others are kept "
            "as dimensions of the statistics.",
            "stats": 'List of statistics (default `["min", "max", "mean", "std"]`); the '
            "known ones are listed below.",
            "count": 'List of conditions such as `"abs(dE_K) > 5"` or `"E < 0"`: the number of '
            "points meeting each, stored as `count_...`.",
            "histogram": "Table of histograms by output: `{ E = { bins = 50, range = "
            "[-100, 50] } }`.",
        },
    ),
    "sweep-histogram": (
        "[reduce.histogram.<output>]",
        {
            "bins": "Number of bins (1 to 100,000).",
            "range": "`[low, high]` of the binned values, in the output's units; values "
            "outside are counted in no bin.",
        },
    ),
    "axis-values": (
        "axis values",
        {
            "values": "`{ values = [...] }`: the values as listed (same as a plain list).",
            "linspace": "`{ linspace = [start, stop, num] }`: evenly spaced, ends included.",
            "logspace": "`{ logspace = [start, stop, num] }`: 10^start … 10^stop, evenly "
            "spaced on a log scale.",
            "geomspace": "`{ geomspace = [start, stop, num] }`: start … stop, evenly spaced "
            "on a log scale (both > 0).",
            "arange": "`{ arange = [start, stop, step] }`: start, start + step, … below stop.",
        },
    ),
    "zip-axis": (
        "[axes.<name>] (zip axis)",
        {
            "labels": "List of names, one per point, labelling the axis (default: the first "
            "member given as names, else the index). Every other key is a model input "
            "(or `celsius`) and its values; all members have one length.",
        },
    ),
    "activity": (
        "[activity]",
        {
            "databases": 'Table `name = "file.dat"`: PHREEQC-format Pitzer databases, '
            "paths relative to the spec; a model value `pitzer:<name>` uses one.",
        },
    ),
}

SENSITIVITY = {
    "sensitivity-top": (
        "top level",
        {
            "title": "Text: the result's title.",
            "description": "Text: a longer description, kept in the attributes.",
            "model": "Table `[model]`: as in a sweep spec.",
            "inputs": "Table `[inputs]`: a distribution for each uncertain input (see "
            "*Distributions*); at least one.",
            "fixed": "Table `[fixed]`: as in a sweep spec, for the inputs that are not random.",
            "outputs": "Table `[outputs]`: which outputs to analyse.",
            "sobol": "Table `[sobol]`: first- and total-order Sobol indices (Saltelli "
            "sampling, SALib).",
            "morris": "Table `[morris]`: Morris elementary-effects screening (μ*, σ).",
            "uncertainty": "Table `[uncertainty]`: Monte Carlo propagation (quantiles, "
            "histogram, exceedance probabilities).",
            "run": "Table `[run]`: dtype and device.",
            "activity": "Table `[activity.databases]`: as in a sweep spec.",
        },
    ),
    "sensitivity-outputs": (
        "[outputs]",
        {"variables": "List of the model's outputs to analyse (default: all of them)."},
    ),
    "sensitivity-run": (
        "[run]",
        {
            "dtype": '`"float32"` (default) or `"float64"`.',
            "device": '`"auto"` (default), `"cpu"` or `"gpu"`.',
        },
    ),
    "sobol": (
        "[sobol]",
        {
            "n": "Base sample size N (required), rounded up to a power of two: "
            "N·(D + 2) evaluations for D inputs.",
            "seed": "Seed of the sample (integer ≥ 0; default 0; `--seed` overrides it).",
            "num_resamples": "Bootstrap resamples of the confidence intervals (default 100).",
            "conf_level": "Confidence level of the intervals (default 0.95).",
        },
    ),
    "morris": (
        "[morris]",
        {
            "n": "Number of trajectories (required): N·(D + 1) evaluations.",
            "seed": "Seed of the sample (default 0).",
            "num_levels": "Levels of the Morris grid, even (default 4).",
            "num_resamples": "Bootstrap resamples of the confidence interval of μ* (default 100).",
            "conf_level": "Confidence level (default 0.95).",
        },
    ),
    "uncertainty": (
        "[uncertainty]",
        {
            "n": "Number of Monte Carlo samples (required).",
            "seed": "Seed of the sample (default 0).",
            "quantiles": "List of quantiles in [0, 1] to report.",
            "bins": "Number of histogram bins (default 60).",
            "range": "`[low, high]` of the histogram (default: the sampled range).",
            "thresholds": "List of numbers t ≥ 0: the probability that |output| > t.",
            "keep_samples": "`true` to store every sample and its outputs (default `false`).",
        },
    ),
    "distributions": (
        "[inputs] distributions",
        {
            "uniform": "`{ uniform = [low, high] }`.",
            "normal": "`{ normal = [mean, sd] }`.",
            "lognormal": "`{ lognormal = [median, sigma] }`: sigma is the sd of ln x.",
            "triangular": "`{ triangular = [low, mode, high] }`.",
            "relative": '`{ relative = r, value = v, shape = "normal" }`: v ± r·|v| '
            '(`shape` `"normal"`, the default, with sd r·|v|, or `"uniform"`); `value` '
            "defaults to the input's default.",
            "choices": '`{ choices = ["davies", "pitzer"], weights = [3, 1] }`: a '
            "categorical input (ions, activity models); weights apply to Monte Carlo only.",
        },
    ),
    "distribution-options": (
        "distribution options",
        {
            "value": "With `relative`: the nominal value.",
            "shape": 'With `relative`: `"normal"` (default) or `"uniform"`.',
            "weights": "With `choices`: one weight ≥ 0 per choice.",
        },
    ),
}

TABLES = {**SWEEP, **SENSITIVITY}

_ALLOWED = re.compile(r"allowed: (.*)$")
_ONE_OF = re.compile(r"give exactly one of (.*)$")


def _allowed_in(exc: Exception) -> set[str]:
    """The key list that a parser's "unknown key; allowed: a, b" message names."""
    m = _ALLOWED.search(str(exc)) or _ONE_OF.search(str(exc))
    if m is None:
        raise AssertionError(f"the parser's message lists no keys: {exc}")
    return {k.strip() for k in m.group(1).split(",")}


def _sensitivity_probe(extra: dict) -> set[str]:
    """The keys a sensitivity spec's table accepts, read from the parser's refusal of an
    unknown key ``zz_unknown`` in it."""
    from ionsweep.sensitivity import parse_sensitivity_spec

    spec = {"model": {"name": "nernst"}, "inputs": {"c_out": {"uniform": [1, 10]}}}
    spec["fixed"] = {"c_in": 140.0, "z": 1}
    spec["sobol"] = {"n": 8}
    for table, value in extra.items():
        spec[table] = {**spec.get(table, {}), **value}
    try:
        parse_sensitivity_spec(spec)
    except ValueError as exc:
        return _allowed_in(exc)
    raise AssertionError(f"the parser accepted an unknown key: {extra}")


def _accepts(spec: dict) -> bool:
    """Whether the sweep parser accepts ``spec`` (nested dicts)."""
    from ionsweep.sweep import parse_spec

    try:
        parse_spec(spec)
    except ValueError:
        return False
    return True


def _histogram_keys() -> set[str]:
    """The keys of one ``[reduce] histogram`` entry: checked by the parser as a whole set."""
    base = {"model": {"name": "nernst"}, "axes": {"c_out": [1.0, 2.0]}}
    base["fixed"] = {"c_in": 140.0, "z": 1}
    keys = set(TABLES["sweep-histogram"][1])
    good = {"bins": 4, "range": [-100.0, 100.0]}
    if set(good) != keys or not _accepts({**base, "reduce": {"histogram": {"E": good}}}):
        raise AssertionError("[reduce] histogram entries take other keys than documented")
    if _accepts({**base, "reduce": {"histogram": {"E": {**good, "zz_unknown": 1}}}}):
        raise AssertionError("[reduce] histogram entries accept an undocumented key")
    return keys


def _zip_keys() -> set[str]:
    """The keys of a zip axis besides model inputs: ``labels``, accepted; any other key that
    is no input refused."""
    base = {"model": {"name": "nernst"}, "fixed": {"c_in": 140.0, "z": 1}}
    point = {"c_out": [1.0, 2.0], "gamma_out": [1.0, 0.9]}
    if not _accepts({**base, "axes": {"pt": {**point, "labels": ["a", "b"]}}}):
        raise AssertionError("a zip axis refuses labels")
    if _accepts({**base, "axes": {"pt": {**point, "zz_unknown": [1.0, 2.0]}}}):
        raise AssertionError("a zip axis accepts a key that is no input")
    return {"labels"}


def _distribution_options() -> set[str]:
    """The options of ``relative`` and ``choices``: each accepted, an unknown one refused."""
    from ionsweep.analysis._distributions import as_distribution
    from ionsweep.sensitivity import Distribution

    ok = {
        "value": {"relative": 0.1, "value": 2.0},
        "shape": {"relative": 0.1, "value": 2.0, "shape": "uniform"},
        "weights": {"choices": ["a", "b"], "weights": [1, 2]},
    }
    for spec in ok.values():
        assert isinstance(as_distribution(spec), Distribution)
    for kind in ({"relative": 0.1, "value": 2.0}, {"choices": ["a", "b"]}):
        try:
            as_distribution({**kind, "zz_unknown": 1})
        except ValueError:
            continue
        raise AssertionError(f"{kind} accepts an undocumented option")
    return set(ok)


def accepted() -> dict[str, set[str]]:
    """Each table's keys as the parsers accept them."""
    from ionsweep.analysis import _sensitivity_spec as sens
    from ionsweep.analysis._distributions import as_distribution
    from ionsweep.models._activity import spec_databases
    from ionsweep.sweep import _spec, _spec_outputs, _spec_reduce, _spec_values

    try:
        as_distribution({})
    except ValueError as exc:
        kinds = _allowed_in(exc)
    try:
        spec_databases({"zz_unknown": {}}, None)
    except ValueError:
        activity = {"databases"}
    spec_databases({"databases": {}}, None)  # accepted
    return {
        "sweep-top": set(_spec._TOP_KEYS),
        "sweep-run": set(_spec._RUN_KEYS),
        "sweep-outputs": set(_spec_outputs._OUTPUT_KEYS),
        "sweep-reduce": set(_spec_reduce._REDUCE_KEYS),
        "sweep-histogram": _histogram_keys(),
        "axis-values": set(_spec_values._GENERATORS),
        "zip-axis": _zip_keys(),
        "activity": activity,
        "sensitivity-top": set(sens._TOP_KEYS),
        "sensitivity-outputs": _sensitivity_probe({"outputs": {"zz_unknown": 1}}),
        "sensitivity-run": _sensitivity_probe({"run": {"zz_unknown": 1}}),
        **{m: set(keys) for m, keys in sens.METHOD_KEYS.items()},
        "distributions": kinds,
        "distribution-options": _distribution_options(),
    }


def problems() -> list[str]:
    """Every difference between the keys described here and those the parsers accept."""
    out = []
    found = accepted()
    for table, (heading, described) in TABLES.items():
        keys, doc = found.pop(table), set(described)
        out += [f"{heading}: {k!r} is accepted but not documented" for k in sorted(keys - doc)]
        out += [f"{heading}: {k!r} is documented but not accepted" for k in sorted(doc - keys)]
    out += [f"table {t!r} of the parser is not documented" for t in found]
    return out
