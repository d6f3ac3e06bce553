"""Small internal helpers shared by the kernels (not public API)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike


def as_float(*args: ArrayLike | list | tuple) -> tuple[jax.Array, ...]:
    """Convert arguments to JAX arrays of one common floating dtype.

    The dtype follows JAX's promotion rules with a weak float added, so float32 inputs stay
    float32 (Python scalars and integer valences do not promote them), and all-integer or
    all-Python-scalar inputs become JAX's default float. Lists and tuples become arrays.
    """
    args = tuple(jnp.asarray(a) if isinstance(a, list | tuple) else a for a in args)
    dtype = jnp.result_type(*args, 0.0)
    return tuple(jnp.asarray(a, dtype) for a in args)
