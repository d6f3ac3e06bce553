"""The ``[reduce]`` table of a sweep spec: the axes reduced over, statistics, counts and
histograms; every error names its field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import cast

import numpy as np

from ionsweep._errors import SpecError
from ionsweep._stats import STATISTICS
from ionsweep.sweep._plan import MAX_HISTOGRAM_BINS, Reduction
from ionsweep.sweep._spec_text import no_unknown
from ionsweep.sweep._spec_values import name_list, numeric_values, show_value

__all__ = ["parse_reduce"]

_REDUCE_KEYS = {"over", "stats", "count", "histogram"}
_STATS = tuple(STATISTICS)
_COUNT_RE = re.compile(r"^\s*(abs\(\s*(\w+)\s*\)|(\w+))\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")


def parse_reduce(tbl, dims, outputs) -> Reduction | None:
    """The ``[reduce]`` table (None without one): axes to reduce over, statistics, counts
    and histograms, each checked."""
    if tbl is None:
        return None
    no_unknown(tbl, _REDUCE_KEYS, "[reduce]")
    over = name_list(tbl.get("over", list(dims)), "[reduce] over")
    for d in over:
        if d not in dims:
            raise SpecError("[reduce] over", f"{d!r} is not an axis; axes: {', '.join(dims)}")
    if not over:
        raise SpecError("[reduce] over", "name at least one axis to reduce over")
    stats = name_list(tbl.get("stats", ["min", "max", "mean", "std"]), "[reduce] stats")
    for s in stats:
        if s not in _STATS:
            raise SpecError(
                "[reduce] stats", f"unknown statistic {s!r}; known: {', '.join(_STATS)}"
            )
    counts = _parse_counts(name_list(tbl.get("count", []), "[reduce] count"), outputs)
    hists = []
    table = tbl.get("histogram", {})
    if not isinstance(table, Mapping):
        raise SpecError(
            "[reduce] histogram",
            "must be a table such as { E = { bins = 50, range = [-100, 50] } }",
        )
    for var, h in table.items():
        where = f"[reduce] histogram {var}"
        if var not in outputs:
            raise SpecError(where, "not a stored output")
        if not isinstance(h, Mapping) or set(h) != {"bins", "range"}:
            raise SpecError(where, "needs bins = N and range = [low, high]")
        bins, rng = h["bins"], h["range"]
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise SpecError(where, f"bins must be a positive integer, got {show_value(bins)}")
        if bins > MAX_HISTOGRAM_BINS:
            raise SpecError(where, f"bins is at most {MAX_HISTOGRAM_BINS:,}, got {bins:,}")
        if not isinstance(rng, list) or len(rng) != 2:
            raise SpecError(where, f"range must be [low, high], got {show_value(rng)}")
        lo, hi = cast(np.ndarray, numeric_values(rng, where))  # a list: not generated
        if not hi > lo:
            raise SpecError(where, "range must be [low, high] with high > low")
        hists.append((var, bins, float(lo), float(hi)))
    return Reduction(tuple(over), tuple(stats), tuple(counts), tuple(hists))


_OP_WORDS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}


def _parse_counts(exprs, outputs) -> list[tuple]:
    """``[reduce] count`` expressions as (stored name, variable, op, value, abs); names
    that two expressions would share spell their comparison out (``count_E_lt_0``)."""
    counts, labels = [], set()
    for expr in exprs:
        m = _COUNT_RE.match(expr)
        try:
            value = float(m.group(5)) if m else math.nan
        except ValueError:
            value = math.nan
        if not m or not math.isfinite(value):
            raise SpecError(
                "[reduce] count", f'cannot parse {expr!r}; write e.g. "abs(E) > 5" or "E < 0"'
            )
        var, op = m.group(2) or m.group(3), m.group(4)
        if var not in outputs:
            raise SpecError(
                "[reduce] count", f"{var!r} is not a stored output ({', '.join(outputs)})"
            )
        label = "count_" + re.sub(r"\W+", "_", expr, flags=re.ASCII).strip("_")
        if label in labels:
            sign = "abs_" if m.group(2) else ""
            label = "count_" + re.sub(
                r"\W+", "_", f"{sign}{var}_{_OP_WORDS[op]}_{m.group(5)}", flags=re.ASCII
            ).strip("_")
        if label in labels:
            raise SpecError("[reduce] count", f"{expr!r} repeats a count listed before it")
        labels.add(label)
        counts.append((label, var, op, value, bool(m.group(2))))
    return counts
