"""The ion axis: its layout rule (:func:`ions_last`), and reductions over it unrolled into
elementwise operations.

``jnp.sum(x, axis=-1)`` over an axis of 3–5 ions lowers on CPU to a row reduction that XLA
neither vectorizes nor fuses with the surrounding elementwise work, and it made the 4-ion GHK
voltage kernel many times slower than its arithmetic (``benchmarks/RESULTS.md``, design notes).
The ion count is always static, so these helpers add the slices instead: the whole kernel then
fuses into one vectorized loop. Long ion axes (> 16) and empty ones (no ions: the reduction's
identity) fall back to the library reduction.
"""

from __future__ import annotations

import functools
import operator

import jax
import jax.numpy as jnp
import numpy as np

_UNROLL_MAX = 16


def ions_last(kernel: str, axis: int, **arrays: jax.Array) -> list[jax.Array]:
    """The named arrays with their ion axis moved last (a list, in the order given).

    The layout rule of every kernel with an ion axis: a 0-d array is the same for every
    ion; a 1-d array holds one value per ion; the arrays of two or more dimensions broadcast
    together (aligned from the right, as in NumPy) and ``axis`` indexes the ion axis of
    their broadcast shape. Along it ``z`` holds one valence per ion, which sets the number
    of ions n, and every other array has n entries or 1 (the same for every ion); anything
    else is a ValueError naming the array and the axis, never a broadcast into another
    meaning (a (3 ions, 5 points) array read with the points as ions). Shapes are static:
    this runs at trace time, and compiles to nothing for ``axis=-1`` (a transpose
    otherwise).
    """
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{kernel}: axis must be an integer, got {axis!r}") from None
    ndim = max((x.ndim for x in arrays.values()), default=0)
    if ndim == 0:
        raise ValueError(f"{kernel}: {', '.join(arrays)} need an ion axis")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{kernel}: axis={axis} is out of range for {ndim}-d arrays")
    a = axis % ndim
    # Each array's own ion axis (a 1-d array's only one), or None if it has none.
    own = {name: None if x.ndim == 0 else 0 if x.ndim == 1 else a - (ndim - x.ndim)
           for name, x in arrays.items()}  # fmt: skip
    own = {name: k if k is not None and k >= 0 else None for name, k in own.items()}
    where = f"the ion axis (axis={axis})"
    if "z" in arrays and own["z"] is None:
        raise ValueError(f"{kernel}: z needs one valence per ion along {where}; "
                         f"got shape {arrays['z'].shape}")  # fmt: skip
    sizes = {name: arrays[name].shape[k] for name, k in own.items() if k is not None}
    # The valences say how many ions there are; without them, the first array that does.
    ref = "z" if "z" in sizes else next((m for m, s in sizes.items() if s != 1), None)
    n = sizes[ref] if ref is not None else 1
    for name, size in sizes.items():
        if size != n and size != 1:
            hint = "put the ions along one axis, named by axis="
            raise ValueError(f"{kernel}: {name} has {size} entries along {where}, but {ref} "
                             f"has {n}; {hint}")  # fmt: skip
    out = []
    for name, x in arrays.items():
        if x.ndim >= 2:
            k = own[name]
            x = x[..., None] if k is None else jnp.moveaxis(x, k, -1)
        out.append(x)
    return out


def ion_axis_back(x, axis, *inputs):
    """``x``, with its ion axis last, with that axis moved to where ``axis`` put it in
    ``inputs`` (the arrays given to :func:`ions_last`; counted from the right, as they
    broadcast)."""
    ndim = max(np.ndim(a) for a in inputs)
    return jnp.moveaxis(x, -1, axis % ndim - ndim) if ndim > 1 else x


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
