"""The immutable sweep plan that spec parsing produces and the executor consumes."""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from ionsweep._errors import SpecError
from ionsweep.models import Model
from ionsweep.sweep._axes import Generated

__all__ = [
    "MAX_AXIS_LENGTH",
    "MAX_CHUNKS",
    "MAX_CHUNK_POINTS",
    "MAX_HISTOGRAM_BINS",
    "MAX_LISTED_LENGTH",
    "MAX_POINTS",
    "Axis",
    "Plan",
    "Reduction",
    "SpecError",
    "chunk_count_refusal",
    "count_text",
    "mode",
]

#: Most values along one axis made by a generator (``linspace``, ``logspace``, ``geomspace``,
#: ``arange``): such an axis is kept as its parameters (:class:`~._axes.Generated`) and made
#: chunk by chunk, so its only bound is the grid's (:data:`MAX_POINTS`).
MAX_AXIS_LENGTH = 2**63 - 1  # = MAX_POINTS
#: Most values of an axis that is listed whole in memory: values written out in the spec,
#: and generated valences or labels (a valence axis holds at most 21 distinct values).
MAX_LISTED_LENGTH = 10**7
#: Most bins of one ``[reduce]`` histogram (each kept cell holds one int64 count per bin).
MAX_HISTOGRAM_BINS = 100_000
#: Most points of one sweep (counted exactly, in Python integers): what a store indexes, a
#: point's flat position (``argmin``, ``argmax``) being an int64. A run is bounded further by
#: :data:`MAX_CHUNKS` chunks of at most :data:`MAX_CHUNK_POINTS` points.
MAX_POINTS = 2**63 - 1
#: Most chunks one run handles (one manifest file each); see ionsweep.sweep._executor.
MAX_CHUNKS = 10_000_000
#: Most points of one chunk: the compiled kernel indexes a chunk's points and its reduced
#: blocks with int32.
MAX_CHUNK_POINTS = 2**31 - 1


class PlanWarning(UserWarning):
    """A sweep's values are valid but outside a model's stated range (see ``Plan.warnings``)."""


@dataclass(frozen=True)
class Axis:
    """One dimension of the grid.

    ``coord`` holds the stored coordinate values (numbers, or strings for categorical axes);
    ``feeds`` maps each model input that varies along this dimension to its numeric values
    (one input for a plain axis, several for a zip axis). Values made by a generator stay a
    :class:`~._axes.Generated` (read a slice with ``values(i0, i1)``); listed ones are arrays.
    """

    name: str
    coord: np.ndarray | Generated
    units: str
    long_name: str
    feeds: dict[str, np.ndarray | Generated] = field(compare=False)
    extra_coords: dict[str, tuple[np.ndarray | Generated, str, str]] = field(
        default_factory=dict, compare=False
    )

    def describe(self) -> str:
        """The axis in a few words: its length, first and last value (never a list)."""
        c = self.coord
        if isinstance(c, Generated):
            return c.describe()
        first, last = (str(v) if c.dtype.kind in "UO" else f"{v:.6g}" for v in (c[0], c[-1]))
        return f"{len(c):,} values, {first} … {last}"

    @property
    def size(self) -> int:
        return len(self.coord)


@dataclass(frozen=True)
class Reduction:
    """Streaming reductions: statistics over ``over`` dims, kept dims are stored."""

    over: tuple[str, ...]
    stats: tuple[str, ...]
    counts: tuple[tuple[str, str, str, float, bool], ...]  # (label, var, op, value, abs)
    histograms: tuple[tuple[str, int, float, float], ...]  # (var, bins, lo, hi)


@dataclass(frozen=True)
class Plan:
    """Everything needed to run a sweep; produced only by :func:`ionsweep.sweep.load_spec`."""

    spec_text: str
    source: str
    title: str
    model: Model
    model_name: str
    model_options: dict
    axes: tuple[Axis, ...]
    fixed: dict[str, float]
    outputs: tuple[str, ...]
    grads: tuple[str, ...]
    dtype: str
    chunks: tuple[int, ...]
    memory_bytes: int
    device: str
    reduce: Reduction | None = None
    elasticities: tuple[str, ...] = ()
    #: Warnings about the plan's values from the model's ``check`` (e.g. temperatures
    #: outside a parameter set's range); shown when the sweep runs and stored in its attrs.
    warnings: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def reduction(self) -> Reduction:
        """The ``[reduce]`` table of a reduce-mode plan (a ValueError for a store-mode one)."""
        if self.reduce is None:
            raise ValueError("a store-mode plan has no [reduce] table")
        return self.reduce

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    @property
    def chunk_grid(self) -> tuple[int, ...]:
        return tuple(-(-n // c) for n, c in zip(self.shape, self.chunks, strict=True))

    @property
    def n_chunks(self) -> int:
        return math.prod(self.chunk_grid)

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self.spec_text.encode()).hexdigest()

    def variables(self) -> list[tuple[str, str, str]]:
        """Stored data variables as (name, units, long_name), outputs then gradients."""
        out = []
        for name in self.outputs:
            o = self.model.output(name)
            out.append((name, o.units, o.long_name))
        for name in self.outputs:
            o = self.model.output(name)
            for g in self.grads:
                i = self.model.input(g)
                out.append(
                    (
                        grad_name(name, g),
                        f"{o.units}/{i.units}",
                        f"derivative of {o.long_name} with respect to {i.long_name}",
                    )
                )
            for g in self.elasticities:
                i = self.model.input(g)
                out.append(
                    (
                        elasticity_name(name, g),
                        "1",
                        f"elasticity ({g}/{name}) d{name}/d{g} of {o.long_name} with "
                        f"respect to {i.long_name}",
                    )
                )
        return out

    def chunk_region(self, index: tuple[int, ...]) -> tuple[slice, ...]:
        return tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(index, self.chunks, self.shape, strict=True)
        )

    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize

    @functools.cached_property
    def layout(self):
        """The store this plan writes (:class:`~ionsweep.sweep._store_layout.StoreLayout`): its
        variables, coordinates and reduced variables, laid out on first use and kept (the
        plan is frozen; a plan with other chunks, made by ``dataclasses.replace``, lays out
        its own)."""
        from ionsweep.sweep._store_layout import lay_out

        return lay_out(self)


def count_text(n: int) -> str:
    """A point count: with thousands separators up to 10¹⁸, else as a power of ten."""
    return f"{n:,}" if n < 10**18 else f"about {float(n):.3g}"


def chunk_count_refusal(shape, chunks) -> str | None:
    """Why a run refuses a grid of ``shape`` in ``chunks`` (more chunks than one run
    handles: one manifest entry and one task each), or None; a dry run shows the plan."""
    n_chunks = math.prod(-(-n // c) for n, c in zip(shape, chunks, strict=True))
    if n_chunks <= MAX_CHUNKS:
        return None
    return (
        f"the grid of {count_text(math.prod(shape))} points needs {n_chunks:,} chunks, more "
        f"than one run handles ({MAX_CHUNKS:,}); sweep fewer points, or raise the memory "
        "budget"
    )


def grad_name(output: str, wrt: str) -> str:
    """Name of the stored derivative of ``output`` with respect to input ``wrt``."""
    return f"d{output}_d{wrt}"


def elasticity_name(output: str, wrt: str) -> str:
    """Name of the stored elasticity (x/y)·∂y/∂x of ``output`` y with respect to ``wrt`` x."""
    return f"{output}_elasticity_{wrt}"


def mode(plan: Plan) -> str:
    """``"store"``, ``"reduce-direct"`` or ``"reduce-accumulate"`` (see
    :mod:`ionsweep.sweep._executor`)."""
    if plan.reduce is None:
        return "store"
    whole = all(
        plan.chunks[plan.dims.index(d)] == plan.shape[plan.dims.index(d)] for d in plan.reduce.over
    )
    return "reduce-direct" if whole else "reduce-accumulate"
