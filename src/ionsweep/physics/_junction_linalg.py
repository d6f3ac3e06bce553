"""Small dense linear systems solved elementwise over a batch (internal).

A matrix is a list of rows, each a list of arrays of the batch shape, so that every
operation is elementwise over the batch and the elimination is unrolled at trace time (the
size is static and small: a liquid junction's distinct valences plus one). On CPU this runs
as fused vectorized loops, where a batched LAPACK call would solve one tiny system at a time.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["solve"]


def _pivot(a, b, j):
    """Rows j… of (a, b) with the row of largest |a[i][j]| (i ≥ j) swapped into row j."""
    k = len(a)
    for i in range(j + 1, k):
        swap = jnp.abs(a[i][j]) > jnp.abs(a[j][j])
        for col in range(j, k):
            a[j][col], a[i][col] = (
                jnp.where(swap, a[i][col], a[j][col]),
                jnp.where(swap, a[j][col], a[i][col]),
            )
        b[j], b[i] = jnp.where(swap, b[i], b[j]), jnp.where(swap, b[j], b[i])


def solve(a, b):
    """x with ``a @ x = b`` by Gaussian elimination with partial pivoting, per batch element.

    Parameters
    ----------
    a : list of list of jax.Array
        The k×k matrix, ``a[i][j]`` of the batch shape.
    b : list of jax.Array
        The right-hand side, k arrays of the batch shape.

    Returns
    -------
    list of jax.Array
        The k components of x; non-finite where the matrix is singular.
    """
    k = len(a)
    a = [list(row) for row in a]
    b = list(b)
    # A pivot lost to rounding (rows that are parallel up to rounding, as the bath rows of
    # the junction are before the multiplier's column resolves them) is kept at the rounding
    # level of its column instead of 0, so the step stays finite.
    size = [sum(jnp.abs(a[i][j]) for i in range(k)) for j in range(k)]
    for j in range(k):
        _pivot(a, b, j)
        floor = 16 * jnp.finfo(a[j][j].dtype).eps * size[j]
        p = a[j][j]
        inv = 1 / jnp.where(jnp.abs(p) < floor, jnp.where(p < 0, -floor, floor), p)
        for i in range(j + 1, k):
            f = a[i][j] * inv
            for col in range(j + 1, k):
                a[i][col] = a[i][col] - f * a[j][col]
            b[i] = b[i] - f * b[j]
    x = [None] * k
    for i in reversed(range(k)):
        s = b[i]
        for col in range(i + 1, k):
            s = s - a[i][col] * x[col]
        p = a[i][i]
        floor = 16 * jnp.finfo(p.dtype).eps * size[i]
        x[i] = s / jnp.where(jnp.abs(p) < floor, jnp.where(p < 0, -floor, floor), p)
    return x
