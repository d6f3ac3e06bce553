"""The host's float64 accumulator of streaming reductions.

It merges either one chunk's partial reductions (a chunk spanning its reduced axes whole,
whose statistics are then final) or a device's accumulated state (see
:mod:`ionsweep.sweep._partials`), which the executor reads at checkpoints and at the end.
Every partial merges by :func:`ionsweep._stats.merge`, the rule the device uses too:
the result does not depend on the order of merges beyond the rounding of means and
variances. Saving and loading a state (per process, for shards and resume) is
:mod:`ionsweep.store._partials`.
"""

from __future__ import annotations

import numpy as np

from ionsweep._stats import as_state, empty_state, finals, merge
from ionsweep.sweep._plan import Plan

__all__ = ["Accumulator"]


class Accumulator:
    """Reduction state over the kept dimensions of a plan (float64 values, int64 counts and
    positions), merged by the one rule of :func:`ionsweep._stats.merge`."""

    def __init__(self, plan: Plan, region=None):
        """State over the kept dims of ``region`` (a tuple of slices over all dims; default
        the whole grid). A chunk whose region spans every reduced axis whole gets final
        values from a state over its own kept region alone."""
        self.plan = plan
        self.over = tuple(plan.dims.index(d) for d in plan.reduction.over)
        self.kept = tuple(k for k in range(len(plan.dims)) if k not in self.over)
        if region is None:
            region = tuple(slice(0, n) for n in plan.shape)
        self.offset = tuple(region[k].start for k in self.kept)
        shape = tuple(region[k].stop - region[k].start for k in self.kept)
        self.state: dict[str, np.ndarray] = empty_state(np, plan, shape, np.float64, np.int64)

    def merge(self, region, part: dict) -> None:
        """Fold one chunk's partial reductions (host arrays over the chunk's kept block;
        argmin/argmax as flat indices into its reduced block) into the state."""
        plan = self.plan
        over_shape = tuple(plan.chunks[k] for k in self.over)
        starts = tuple(region[k].start for k in self.over)
        part = {k: np.asarray(v) for k, v in part.items()}
        self._merge(region, as_state(np, plan, part, starts, over_shape))

    def merge_state(self, state: dict) -> None:
        """Fold a state over the whole kept grid (a device's, padded to whole chunks, or
        another process's) into this one."""
        self._merge(tuple(slice(0, n) for n in self.plan.shape), state)

    def _merge(self, region, part: dict) -> None:
        kreg = tuple(
            slice(region[k].start - o, region[k].stop - o)
            for k, o in zip(self.kept, self.offset, strict=True)
        )
        ksl = tuple(slice(0, r.stop - r.start) for r in kreg)
        mine = {key: a[kreg] for key, a in self.state.items()}
        theirs = {key: _host(part[key])[ksl] for key in self.state}
        for key, value in merge(np, self.plan, mine, theirs).items():
            self.state[key][kreg] = value

    def results(self) -> dict[str, tuple[np.ndarray, tuple[str, ...], str, str]]:
        """Final variables: name → (values, dims, units, long_name)."""
        kd = tuple(self.plan.dims[k] for k in self.kept)
        return finals(self.plan, self.state, kd)


def _host(a) -> np.ndarray:
    """A state array on the host at the host's precision (float64, int64)."""
    a = np.asarray(a)
    return a.astype(np.float64 if a.dtype.kind == "f" else np.int64, copy=False)
