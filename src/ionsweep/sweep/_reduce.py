"""The host's float64 accumulator of streaming reductions.

It merges either one chunk's partial reductions (a chunk spanning its reduced axes whole,
whose statistics are then final) or a device's accumulated state (see
:mod:`ionsweep.sweep._partials`), which the executor reads at checkpoints and at the end.
Means and variances merge with Chan et al.'s pairwise update, so the result does not depend
on the order of merges beyond rounding; min/max/argmin/argmax/counts/histograms merge exactly.
"""

from __future__ import annotations

import numpy as np

from ionsweep.sweep._partials import partials
from ionsweep.sweep._plan import Plan

__all__ = ["Accumulator"]


class Accumulator:
    """Reduction state over the kept dimensions of a plan."""

    def __init__(self, plan: Plan, region=None):
        """State over the kept dims of ``region`` (a tuple of slices over all dims; default
        the whole grid). A chunk whose region spans every reduced axis whole gets final
        values from a state over its own kept region alone."""
        self.plan = plan
        red = plan.reduce
        self.over = tuple(plan.dims.index(d) for d in red.over)
        self.kept = tuple(k for k in range(len(plan.dims)) if k not in self.over)
        if region is None:
            region = tuple(slice(0, n) for n in plan.shape)
        self.offset = tuple(region[k].start for k in self.kept)
        shape = tuple(region[k].stop - region[k].start for k in self.kept)
        self.state: dict[str, np.ndarray] = {}
        self.need = partials(plan)
        for var in plan.outputs:
            self.state[f"{var}/n"] = np.zeros(shape, np.int64)
            for kind, fill in (("mean", 0.0), ("m2", 0.0), ("min", np.inf), ("max", -np.inf)):
                if self.need[kind]:
                    self.state[f"{var}/{kind}"] = np.full(shape, fill)
            for stat in ("argmin", "argmax"):
                if self.need[stat]:
                    for d in red.over:
                        self.state[f"{var}/{stat}/{d}"] = np.zeros(shape, np.int64)
        for label, *_ in red.counts:
            self.state[label] = np.zeros(shape, np.int64)
        for var, bins, _, _ in red.histograms:
            self.state[f"{var}/hist"] = np.zeros(shape + (bins,), np.int64)

    def merge(self, region, part: dict) -> None:
        """Fold one chunk's partial reductions (host arrays over the chunk's kept block;
        argmin/argmax as flat indices into its reduced block) into the state."""
        plan = self.plan
        over_shape = tuple(plan.chunks[k] for k in self.over)
        part = dict(part)
        for key in [k for k in part if k.endswith(("/argmin", "/argmax"))]:
            local = np.unravel_index(np.asarray(part.pop(key)), over_shape)
            for d, k, li in zip(plan.reduce.over, self.over, local, strict=True):
                part[f"{key}/{d}"] = li + region[k].start
        self._merge(region, part)

    def merge_state(self, state: dict) -> None:
        """Fold a device's accumulated state (host copies of its arrays, over the whole kept
        grid padded to whole chunks; mean and m2 as ``hi + lo`` pairs) into the state."""
        part = dict(state)
        for key in [k for k in part if k.endswith(("/mean", "/m2"))]:
            hi = np.asarray(part[key], np.float64)
            part[key] = hi + np.asarray(part.pop(f"{key}_lo"), np.float64)
        self._merge(tuple(slice(0, n) for n in self.plan.shape), part)

    def _merge(self, region, part: dict) -> None:
        plan, red = self.plan, self.plan.reduce
        kreg = tuple(
            slice(region[k].start - o, region[k].stop - o)
            for k, o in zip(self.kept, self.offset, strict=True)
        )
        ksl = tuple(slice(0, r.stop - r.start) for r in kreg)
        s = self.state
        for var in plan.outputs:
            nb = np.asarray(part[f"{var}/n"], np.int64)[ksl]
            na = s[f"{var}/n"][kreg]
            n = na + nb
            if self.need["mean"]:
                mb = np.asarray(part[f"{var}/mean"], np.float64)[ksl]
                ma = s[f"{var}/mean"][kreg]
                safe = np.maximum(n, 1)
                delta = mb - ma
                s[f"{var}/mean"][kreg] = ma + delta * nb / safe
                if self.need["m2"]:
                    m2b = np.asarray(part[f"{var}/m2"], np.float64)[ksl]
                    s[f"{var}/m2"][kreg] += m2b + delta * delta * na * nb / safe
            s[f"{var}/n"][kreg] = n
            for stat, better in (("min", np.less), ("max", np.greater)):
                if not self.need[stat]:
                    continue
                new = np.asarray(part[f"{var}/{stat}"], np.float64)[ksl]
                cur = s[f"{var}/{stat}"][kreg]
                take = better(new, cur)
                s[f"{var}/{stat}"][kreg] = np.where(take, new, cur)
                if self.need[f"arg{stat}"]:
                    for d in red.over:
                        key = f"{var}/arg{stat}/{d}"
                        glob = np.asarray(part[key], np.int64)[ksl]
                        s[key][kreg] = np.where(take, glob, s[key][kreg])
        for label, *_ in red.counts:
            s[label][kreg] += np.asarray(part[label], np.int64)[ksl]
        for var, *_ in red.histograms:
            s[f"{var}/hist"][kreg] += np.asarray(part[f"{var}/hist"], np.int64)[ksl]

    def results(self) -> dict[str, tuple[np.ndarray, tuple[str, ...], str, str]]:
        """Final variables: name → (values, dims, units, long_name)."""
        plan, red = self.plan, self.plan.reduce
        kd = tuple(plan.dims[k] for k in self.kept)
        s = self.state
        out = {}
        for var in plan.outputs:
            o = plan.model.output(var)
            n = s[f"{var}/n"]
            empty = n == 0
            over_txt = ", ".join(red.over)
            out[f"{var}_count"] = (n, kd, "1", f"number of valid points of {var} over {over_txt}")
            values = {k: s[f"{var}/{k}"] for k in ("min", "max", "mean") if self.need[k]}
            if self.need["m2"]:
                values["std"] = np.sqrt(s[f"{var}/m2"] / np.maximum(n, 1))
            for stat in red.stats:
                if stat in values:
                    v = np.where(empty, np.nan, values[stat])
                    out[f"{var}_{stat}"] = (
                        v,
                        kd,
                        o.units,
                        f"{stat} of {o.long_name} over {over_txt}",
                    )
                    continue
                for d in red.over:
                    axis = plan.axes[plan.dims.index(d)]
                    coord = np.take(axis.coord, s[f"{var}/{stat}/{d}"])
                    if coord.dtype.kind == "f":
                        coord = np.where(empty, np.nan, coord)
                    out[f"{var}_{stat}_{d}"] = (
                        coord,
                        kd,
                        axis.units,
                        f"{d} at the {stat[3:]} of {o.long_name}",
                    )
        for label, var, op, value, use_abs in red.counts:
            expr = f"{'|' + var + '|' if use_abs else var} {op} {value:g}"
            out[label] = (
                s[label],
                kd,
                "1",
                f"number of points with {expr} over {', '.join(red.over)}",
            )
        for var, bins, lo, hi in red.histograms:
            o = plan.model.output(var)
            out[f"{var}_hist"] = (
                s[f"{var}/hist"],
                kd + (f"{var}_bin",),
                "1",
                f"histogram of {o.long_name} ({bins} bins in [{lo:g}, {hi:g}] {o.units})",
            )
        return out

    def save(self, path, done: set[str]) -> None:
        tmp = f"{path}.tmp.npz"
        np.savez(
            tmp,
            __done__=np.asarray(sorted(done), dtype=str),
            **{k.replace("/", "|"): v for k, v in self.state.items()},
        )
        import os

        os.replace(tmp, path)

    def load(self, path) -> set[str]:
        with np.load(path) as f:
            for k in f.files:
                if k != "__done__":
                    self.state[k.replace("|", "/")] = f[k]
            return set(f["__done__"].tolist())
