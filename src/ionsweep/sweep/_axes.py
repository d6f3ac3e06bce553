"""Generated axes: ``linspace``, ``logspace``, ``geomspace`` and ``arange`` kept as their
parameters, never as a list of values.

A :class:`Generated` axis makes any slice of its values on request, bit for bit what NumPy's
function of the same name gives for those indices, and knows its length, first, last, least
and greatest value without making the others. Plans, chunk feeds, coordinates written to a
store and dry runs read axes through it, so memory follows the chunk, never the axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["KINDS", "Generated"]

#: The generators a spec may name, with the values each makes for index ``i``:
#:
#: - ``linspace``: ``i * step + start`` with ``step = (stop - start) / (n - 1)`` and the last
#:   value set to ``stop`` (``numpy.linspace``; ``(i / (n - 1)) * (stop - start) + start``
#:   where ``step`` underflows to 0);
#: - ``logspace``: ``10 ** linspace(start, stop, n)`` (``numpy.logspace``);
#: - ``geomspace``: ``logspace(log10(start), log10(stop), n)`` with the first and last values
#:   set to ``start`` and ``stop`` (``numpy.geomspace`` of positive ends);
#: - ``arange``: ``start + i * delta`` with ``delta = (start + step) - start`` and value 1
#:   set to ``start + step``, ``ceil((stop - start) / step)`` values: how ``numpy.arange``
#:   fills a float64 array;
#: - ``index``: the integers ``0 … n - 1`` as int64 (the points of a zip axis).
KINDS = ("linspace", "logspace", "geomspace", "arange", "index")


@dataclass(frozen=True)
class Generated:
    """An axis of ``n`` values made on request from (``start``, ``stop``, ``n``) or, for
    ``arange``, (``start``, ``step``, ``n``); see :data:`KINDS`.

    ``shifts`` are constants added in turn after generating (a temperature axis in °C is
    fed to a model in K as ``values + 273.15``, and stored as ``(values + 273.15) -
    273.15``, exactly as the listed values were). Values are float64 (int64 for ``index``).
    """

    kind: str
    start: float
    stop: float
    n: int
    step: float = math.nan
    shifts: tuple[float, ...] = ()

    def __post_init__(self):
        assert self.kind in KINDS and self.n >= 1, (self.kind, self.n)

    def __len__(self) -> int:
        return self.n

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int64 if self.kind == "index" else np.float64)

    @property
    def shape(self) -> tuple[int]:
        return (self.n,)

    @property
    def ndim(self) -> int:
        return 1

    def __add__(self, other: float) -> Generated:
        """The values plus the constant ``other`` (an exact float64 addition per value)."""
        if isinstance(other, bool) or not isinstance(other, int | float | np.floating):
            return NotImplemented
        assert self.kind != "index"
        return replace(self, shifts=(*self.shifts, float(other)))

    def __sub__(self, other: float) -> Generated:
        if isinstance(other, bool) or not isinstance(other, int | float | np.floating):
            return NotImplemented
        return self + (-float(other))

    def values(self, i0: int = 0, i1: int | None = None) -> np.ndarray:
        """Values ``i0 … i1 - 1`` (clipped to the axis, as a slice is) as a new array."""
        i0, i1, _ = slice(i0, i1).indices(self.n)
        return self._make(np.arange(i0, max(i0, i1), dtype=np.int64))

    def take(self, indices, axis=None, out=None, mode="raise") -> np.ndarray:
        """The values at the integer array ``indices`` (what ``numpy.take`` calls)."""
        assert axis in (None, 0) and out is None and mode == "raise"
        k = np.asarray(indices, dtype=np.int64)
        if k.size and (k.min() < -self.n or k.max() >= self.n):
            raise IndexError(f"index out of range for an axis of {self.n} values")
        return self._make(np.where(k < 0, k + self.n, k).ravel()).reshape(k.shape)

    def _make(self, k: np.ndarray) -> np.ndarray:
        """The values at the (non-negative) indices ``k``."""
        if self.kind == "index":
            return k.copy()
        with np.errstate(over="ignore", invalid="ignore"):  # infinities are refused later
            y = self._raw(k)
            for c in self.shifts:
                y += c
        return y

    def _raw(self, k: np.ndarray) -> np.ndarray:
        i = k.astype(np.float64)
        last = k == self.n - 1 if self.n > 1 else np.zeros(k.shape, bool)
        if self.kind == "arange":
            y = self.start + i * ((self.start + self.step) - self.start)
            y[k == 1] = self.start + self.step
            return y
        start, stop = self.start, self.stop
        if self.kind == "geomspace":
            start, stop = (float(v) for v in np.log10(np.asarray([start, stop], np.float64)))
        y = _linspace(start, stop, self.n, i)
        y[last] = stop
        if self.kind == "linspace":
            return y
        y = np.power(10.0, y)
        if self.kind == "geomspace":
            y[k == 0] = self.start
            y[last] = self.stop
        return y

    def __getitem__(self, key):
        """A slice of step 1 (an array) or one value, as of the listed values."""
        if isinstance(key, slice) and key.step in (None, 1):
            return self.values(key.start, key.stop)
        if isinstance(key, int | np.integer):
            k = range(self.n)[key]
            return self.values(k, k + 1)[0]
        return np.asarray(self)[key]

    def __array__(self, dtype=None, copy=None):
        """Every value (for small axes only; large ones are read by :meth:`values`)."""
        if copy is False:
            raise ValueError("a generated axis cannot be viewed without making its values")
        y = self.values()
        return y if dtype is None else y.astype(dtype)

    def at(self, indices) -> np.ndarray:
        """The values at ``indices``."""
        return self.take(np.asarray(indices, dtype=np.int64))

    @property
    def first(self):
        return self.at([0])[0]

    @property
    def last(self):
        return self.at([self.n - 1])[0]

    def extremes(self) -> np.ndarray:
        """``[least, greatest]``. The values before the last are monotonic (each step a
        monotonic rounding of the index times a constant), so the extremes are among the
        first, the last two and the last."""
        v = self.at(sorted({0, max(0, self.n - 2), self.n - 1}))
        return np.asarray([v.min(), v.max()])

    def min(self):
        return self.extremes()[0]

    def max(self):
        return self.extremes()[1]

    def finite(self) -> bool:
        """Whether every value is finite (the extremes are, and so is the step)."""
        with np.errstate(over="ignore", invalid="ignore"):
            steps = np.asarray([self.stop - self.start, self.step], np.float64)
        ok_step = bool(np.isfinite(steps[1 if self.kind == "arange" else 0]))
        return ok_step and bool(np.all(np.isfinite(self.extremes())))

    def probe(self, thresholds=()) -> np.ndarray:
        """Values, in axis order, that include the first value on either side of each of
        ``thresholds`` (found by bisection on the monotonic values): what a check of a
        bound (``> 0``, ``!= 0``, ``<= T_max``) needs to see in order to report the first
        value it refuses."""
        keep = {0, max(0, self.n - 2), self.n - 1}
        rising = self.last >= self.first
        for t in thresholds:
            lo, hi = 0, self.n - 1  # first index at or past t in the direction of travel
            while lo < hi:
                mid = (lo + hi) // 2
                v = self.at([mid])[0]
                if (v >= t) if rising else (v <= t):
                    hi = mid
                else:
                    lo = mid + 1
            keep |= {k for k in (lo - 1, lo, lo + 1) if 0 <= k < self.n}
        return self.at(sorted(keep))

    def distinct(self) -> bool | None:
        """True where every value is sure to differ from the next (steps wider than the
        rounding of any value), None where that would take listing them."""
        if self.n == 1 or self.kind == "index":
            return True
        tiny = np.finfo(np.float64).eps
        reach = sum(abs(c) for c in self.shifts)
        if self.kind == "arange":
            step = abs((self.start + self.step) - self.start)
            big = max(abs(self.start), abs(self.stop), step * self.n) + reach
            return True if step > 16 * tiny * big else None
        start, stop = self.start, self.stop
        if self.kind == "geomspace":
            start, stop = (float(v) for v in np.log10(np.asarray([start, stop], np.float64)))
        step = abs(stop - start) / (self.n - 1)
        big = max(abs(start), abs(stop), abs(stop - start))
        if self.kind == "linspace":
            return True if step > 16 * tiny * (big + reach) else None
        lo = float(self.extremes()[0])
        if self.shifts or lo < 2.0**-1000:  # normal numbers: their relative spacing holds
            return None
        return True if step > 16 * tiny * big and step * math.log(10.0) > 64 * tiny else None

    def describe(self) -> str:
        """``n values, first … last`` (no list)."""
        return f"{self.n:,} values, {self.first:.6g} … {self.last:.6g} ({self.kind})"


def _linspace(start: float, stop: float, n: int, i: np.ndarray) -> np.ndarray:
    """``numpy.linspace(start, stop, n)`` at the float64 indices ``i``, step by step as
    NumPy computes it (the caller sets the last value to ``stop``)."""
    delta = np.subtract(np.float64(stop), np.float64(start))
    div = n - 1
    if div > 0:
        step = delta / div
        y = (i / div) * delta if step == 0 else i * step
    else:
        y = i * delta
    y += start
    return y
