"""Input distributions of sensitivity and uncertainty analyses, and the unit-cube transform.

SALib samples the unit hypercube; each input's column is then mapped through the inverse
CDF (ppf) of its distribution — the mapping SALib itself applies for the ``dists`` of a
problem (``unif``, ``norm``, ``lognorm``, ``triang``; see :meth:`Distribution.salib`) —
plus a categorical kind for discrete choices such as the activity model. Doing the
mapping here rather than in SALib lets Morris screening use unbounded distributions (its
grid levels include the unit cube's faces, where a normal ppf is infinite) and lets a
categorical input take labelled values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Distribution",
    "as_distribution",
    "choice",
    "lognormal",
    "normal",
    "relative",
    "triangular",
    "uniform",
]

#: Morris levels of an unbounded distribution span its quantiles [q, 1 - q].
MORRIS_TAIL = 0.005


@dataclass(frozen=True)
class Distribution:
    """A distribution of one input; build it with :func:`uniform`, :func:`normal`, ….

    Attributes
    ----------
    kind : str
        ``"uniform"`` (low, high), ``"normal"`` (mean, sd), ``"lognormal"`` (median, sigma
        of ln x), ``"triangular"`` (low, mode, high) or ``"choice"``.
    params : tuple of float
        The parameters of ``kind``, in the units of the input.
    labels : tuple of str
        For ``"choice"``: the names of the categories.
    values : tuple of float
        For ``"choice"``: the number the model receives for each label (0, 1, … unless set).
    weights : tuple of float
        For ``"choice"``: probabilities of the labels (Monte Carlo); Sobol and Morris give
        the labels equal shares of the unit interval.
    """

    kind: str
    params: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def categorical(self) -> bool:
        return self.kind == "choice"

    @property
    def bounded(self) -> bool:
        return self.kind in ("uniform", "triangular", "choice")

    def ppf(self, u, *, weighted: bool = False) -> np.ndarray:
        """Input values at unit-interval points ``u`` (inverse CDF), float64.

        For ``"choice"`` the label at ``u`` has index ``floor(u·k)`` (equal shares), or
        follows the cumulative ``weights`` when ``weighted``.
        """
        from scipy import stats

        u = np.asarray(u, np.float64)
        p = self.params
        if self.kind == "uniform":
            return p[0] + u * (p[1] - p[0])
        if self.kind == "normal":
            return stats.norm.ppf(u, loc=p[0], scale=p[1])
        if self.kind == "lognormal":
            return np.exp(stats.norm.ppf(u, loc=math.log(p[0]), scale=p[1]))
        if self.kind == "triangular":
            c = (p[1] - p[0]) / (p[2] - p[0])
            return stats.triang.ppf(u, c, loc=p[0], scale=p[2] - p[0])
        k = len(self.labels)
        if weighted:
            cum = np.cumsum(np.asarray(self.weights, np.float64))
            idx = np.searchsorted(cum / cum[-1], u, side="right")
        else:
            idx = np.floor(u * k).astype(int)
        return np.asarray(self.values, np.float64)[np.clip(idx, 0, k - 1)]

    def morris_ppf(self, u) -> np.ndarray:
        """:meth:`ppf` for Morris levels: unbounded kinds are cut to their central quantiles."""
        u = np.asarray(u, np.float64)
        if not self.bounded:
            u = MORRIS_TAIL + (1 - 2 * MORRIS_TAIL) * u
        return self.ppf(u)

    def label_of(self, values) -> np.ndarray:
        """Labels of sampled values of a ``"choice"`` input."""
        lookup = dict(zip(self.values, self.labels, strict=True))
        return np.asarray([lookup[float(v)] for v in np.asarray(values).ravel()], dtype=str)

    def salib(self) -> tuple[str, list[float]]:
        """The SALib ``(dists entry, bounds entry)`` of this distribution (not ``choice``)."""
        p = self.params
        if self.kind == "uniform":
            return "unif", [p[0], p[1]]
        if self.kind == "normal":
            return "norm", [p[0], p[1]]
        if self.kind == "lognormal":
            return "lognorm", [math.log(p[0]), p[1]]
        if self.kind == "triangular":
            return "triang", [p[0], p[2], (p[1] - p[0]) / (p[2] - p[0])]
        raise ValueError("a categorical input has no SALib distribution")

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the input can take (±inf for unbounded kinds)."""
        p = self.params
        if self.kind == "uniform":
            return p[0], p[1]
        if self.kind == "triangular":
            return p[0], p[2]
        if self.kind == "normal":
            return -math.inf, math.inf
        if self.kind == "lognormal":
            return 0.0, math.inf
        return min(self.values), max(self.values)

    def describe(self) -> str:
        """Short text such as ``"uniform(0.01, 0.5)"`` or ``"choice(davies, pitzer)"``."""
        if self.categorical:
            return f"choice({', '.join(self.labels)})"
        return f"{self.kind}({', '.join(f'{x:g}' for x in self.params)})"


def _finite(*xs):
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in xs):
        raise ValueError(f"distribution parameters must be finite numbers, got {list(xs)}")
    return tuple(float(x) for x in xs)


def uniform(low: float, high: float) -> Distribution:
    """Uniform on [low, high] (units of the input).

    >>> uniform(2.0, 40.0).describe()
    'uniform(2, 40)'
    """
    low, high = _finite(low, high)
    if not high > low:
        raise ValueError(f"uniform needs high > low, got [{low:g}, {high:g}]")
    return Distribution("uniform", (low, high))


def normal(mean: float, sd: float) -> Distribution:
    """Normal with ``mean`` and standard deviation ``sd`` (units of the input).

    >>> normal(310.15, 1.0).describe()              # temperature known to ± 1 K (1 sd)
    'normal(310.15, 1)'
    """
    mean, sd = _finite(mean, sd)
    if not sd > 0:
        raise ValueError(f"normal needs sd > 0, got {sd:g}")
    return Distribution("normal", (mean, sd))


def lognormal(median: float, sigma: float) -> Distribution:
    """Lognormal: ln x is normal with mean ln(median) and standard deviation ``sigma``.

    ``sigma`` ≈ the relative spread for small values (0.05 → about ±5 %).

    >>> d = lognormal(5.0, 0.05)
    >>> [round(float(x), 3) for x in d.ppf([0.1587, 0.5, 0.8413])]   # −1 sd, median, +1 sd
    [4.756, 5.0, 5.256]
    """
    median, sigma = _finite(median, sigma)
    if not (median > 0 and sigma > 0):
        raise ValueError(f"lognormal needs median > 0 and sigma > 0, got {median:g}, {sigma:g}")
    return Distribution("lognormal", (median, sigma))


def triangular(low: float, mode: float, high: float) -> Distribution:
    """Triangular on [low, high] with its peak at ``mode``.

    >>> round(float(triangular(0.0, 1.0, 2.0).ppf(0.5)), 6)
    1.0
    """
    low, mode, high = _finite(low, mode, high)
    if not (low <= mode <= high and high > low):
        raise ValueError(f"triangular needs low <= mode <= high, low < high; got {low, mode, high}")
    return Distribution("triangular", (low, mode, high))


def relative(value: float, rel: float, shape: str = "normal") -> Distribution:
    """A relative uncertainty around ``value``: normal with sd = rel·|value|, or uniform ±rel.

    >>> relative(140.0, 0.05).describe()           # ± 5 % measurement error, 1 sd
    'normal(140, 7)'
    >>> relative(1.0, 0.1, "uniform").describe()   # γ known to ± 10 %
    'uniform(0.9, 1.1)'
    """
    value, rel = _finite(value, rel)
    if not (rel > 0 and value != 0):
        raise ValueError(f"relative needs rel > 0 and a non-zero value, got {value:g}, {rel:g}")
    half = abs(value) * rel
    if shape == "normal":
        return normal(value, half)
    if shape == "uniform":
        return uniform(value - half, value + half)
    raise ValueError(f"relative shape must be 'normal' or 'uniform', got {shape!r}")


def choice(
    labels: Sequence, values: Sequence[float] | None = None, weights: Sequence[float] | None = None
) -> Distribution:
    """A categorical input: one of ``labels`` (the model receives the matching ``values``).

    >>> d = choice(["davies", "pitzer"])
    >>> d.ppf([0.2, 0.7]).tolist()
    [0.0, 1.0]
    """
    labels = tuple(str(x) for x in labels)
    if not labels or len(set(labels)) != len(labels):
        raise ValueError(f"choice needs distinct labels, got {list(labels)}")
    values = tuple(range(len(labels))) if values is None else _finite(*values)
    weights = (1.0,) * len(labels) if weights is None else _finite(*weights)
    if len(values) != len(labels) or len(weights) != len(labels):
        raise ValueError("choice needs one value and one weight per label")
    if any(w < 0 for w in weights) or not sum(weights) > 0:
        raise ValueError(f"choice weights must be >= 0 and not all 0, got {list(weights)}")
    return Distribution("choice", (), labels, tuple(float(v) for v in values), weights)


def as_distribution(spec, name: str = "input") -> Distribution:
    """A :class:`Distribution` from a Distribution, a ``(low, high)`` pair or a mapping.

    Mappings are the TOML forms: ``{uniform = [lo, hi]}``, ``{normal = [mean, sd]}``,
    ``{lognormal = [median, sigma]}``, ``{triangular = [lo, mode, hi]}``,
    ``{relative = r, value = v, shape = "normal"}`` and ``{choices = [...], weights = [...]}``.
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, Mapping):
        kinds = {"uniform", "normal", "lognormal", "triangular", "relative", "choices"}
        given = kinds & set(spec)
        if len(given) != 1:
            raise ValueError(f"{name}: give exactly one of {', '.join(sorted(kinds))}")
        (kind,) = given
        extra = (
            set(spec)
            - {kind}
            - {
                "relative": {"value", "shape"},
                "choices": {"weights"},
            }.get(kind, set())
        )
        if extra:
            raise ValueError(f"{name}: unknown key(s) {', '.join(sorted(extra))} for {kind}")
        args = spec[kind]
        if kind == "relative":
            if "value" not in spec:
                raise ValueError(f"{name}: relative needs the nominal 'value'")
            return relative(spec["value"], args, spec.get("shape", "normal"))
        if kind == "choices":
            return choice(args, weights=spec.get("weights"))
        if not isinstance(args, list | tuple):
            raise ValueError(f"{name}: {kind} takes a list of parameters")
        fn = {"uniform": uniform, "normal": normal, "lognormal": lognormal}.get(kind, triangular)
        n = 3 if kind == "triangular" else 2
        if len(args) != n:
            raise ValueError(f"{name}: {kind} takes {n} parameters, got {len(args)}")
        return fn(*args)
    if isinstance(spec, Sequence) and not isinstance(spec, str) and len(spec) == 2:
        return uniform(*spec)
    raise ValueError(f"{name}: expected (low, high), a Distribution or a mapping; got {spec!r}")
