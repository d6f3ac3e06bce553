"""Reductions over the (short, static) ion axis, unrolled into elementwise operations.

``jnp.sum(x, axis=-1)`` over an axis of 3–5 ions lowers on CPU to a row reduction that XLA
neither vectorizes nor fuses with the surrounding elementwise work, and it made the 4-ion
GHK voltage kernel ~20× slower than its arithmetic. The ion count is always static, so these
helpers add the slices instead: the whole kernel then fuses into one vectorized loop. Long
ion axes (> 16) and empty ones (no ions: the reduction's identity) fall back to the library
reduction.
"""

from __future__ import annotations

import functools
import operator

import jax.numpy as jnp

_UNROLL_MAX = 16


def _fold(op, x):
    return functools.reduce(op, [x[..., k] for k in range(x.shape[-1])])


def _unroll(x):
    return 0 < x.shape[-1] <= _UNROLL_MAX


def ion_sum(x):
    """Sum over the last axis."""
    return _fold(operator.add, x) if _unroll(x) else jnp.sum(x, axis=-1)


def ion_all(x):
    """Logical AND over the last axis."""
    return _fold(operator.and_, x) if _unroll(x) else jnp.all(x, axis=-1)


def ion_any(x):
    """Logical OR over the last axis."""
    return _fold(operator.or_, x) if _unroll(x) else jnp.any(x, axis=-1)


def ion_min(x):
    """Minimum over the last axis (NaN propagates)."""
    return _fold(jnp.minimum, x) if _unroll(x) else jnp.min(x, axis=-1, initial=jnp.inf)
