"""Evaluation of a model function on every sample of an analysis: compiled once per batch
size and dtype, batches dispatched before any result is read, outputs checked to be one
finite value per sample."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["evaluate_batch"]


def evaluate_batch(
    func: Callable,
    samples: Mapping[str, np.ndarray],
    *,
    jit: bool = True,
    dtype=None,
    batch: int | None = None,
):
    """Call ``func`` on all samples; return ``(outputs, seconds, compile_seconds)``.

    ``outputs`` is a dict of float64 NumPy arrays of shape (n,) — one entry ``None`` when
    ``func`` returns a single array. With ``jit`` the samples become JAX arrays of ``dtype``
    (JAX's default float by default) and the function is compiled by ``jax.jit`` first
    (``compile_seconds``); ``seconds`` is the evaluation alone. With ``batch`` the samples
    are evaluated ``batch`` at a time (the last batch padded by repeating its last sample),
    all batches dispatched before any result is read: one compiled program for every call
    with the same ``func``, ``batch`` and dtype, whatever the number of samples.

    A ``func`` with an ``evaluate_samples(samples)`` method (what a sensitivity run passes:
    the sweep executor over a plan of samples) is called through it; ``compile_seconds``
    is then the time to its first chunk's result, compilation included.
    """
    import jax
    import jax.numpy as jnp

    n = len(next(iter(samples.values())))
    size = int(batch) if batch else n
    t0 = time.perf_counter()
    try:
        if hasattr(func, "evaluate_samples"):
            out, t_compile = func.evaluate_samples(samples)
            seconds = time.perf_counter() - t0 - t_compile
            return _checked(out, samples, n), seconds, t_compile
        if jit:
            fn = _compiled(func, {k: jnp.asarray(v[:1], dtype) for k, v in samples.items()}, size)
        else:
            fn = func
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        if not jit or size >= n and not batch:
            args = {k: jnp.asarray(v, dtype) for k, v in samples.items()} if jit else samples
            out = jax.block_until_ready(fn(dict(args)))
        else:
            parts = [fn(_batch(samples, start, size, dtype)) for start in range(0, n, size)]
            out = jax.tree.map(lambda *a: np.concatenate([np.asarray(x) for x in a])[:n], *parts)
    except jax.errors.ConcretizationTypeError as exc:
        raise TypeError(
            f"func cannot be traced by jax.jit ({type(exc).__name__}); pass jit=False for a "
            "NumPy function"
        ) from exc
    seconds = time.perf_counter() - t0
    return _checked(out, samples, n), seconds, t_compile


def _checked(out, samples: Mapping[str, np.ndarray], n: int) -> dict:
    """A model's outputs as float64 arrays of one value per sample, all finite."""
    items = out.items() if isinstance(out, Mapping) else [(None, out)]
    res = {}
    for key, value in items:
        arr = (
            np.broadcast_to(np.asarray(value, np.float64), (n,))
            if np.ndim(value) == 0
            else (np.asarray(value, np.float64))
        )
        if arr.shape != (n,):
            raise ValueError(
                f"func must return one value per sample, shape ({n},); got {arr.shape}"
                + (f" for {key!r}" if key is not None else "")
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            first = int(np.argmax(bad))
            where = ", ".join(f"{k}={float(v[first]):.6g}" for k, v in samples.items())
            raise ValueError(
                f"func returned {int(bad.sum())} non-finite value(s) of {n}"
                + (f" for {key!r}" if key is not None else "")
                + f", first at {where}; narrow the input distributions to where it is defined"
            )
        res[key] = arr
    return res


#: Compiled programs by model function (dropped with it), then by batch size and dtype.
_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(func: Callable, example: dict, size: int):
    """``func`` compiled for batches of ``size`` samples shaped like ``example``."""
    import jax

    key = (size,) + tuple((k, str(v.dtype)) for k, v in example.items())
    programs = _PROGRAMS.setdefault(func, {})
    if key not in programs:
        shapes = {k: jax.ShapeDtypeStruct((size,), v.dtype) for k, v in example.items()}
        programs[key] = jax.jit(func).lower(shapes).compile()
    return programs[key]


def _batch(samples: Mapping[str, np.ndarray], start: int, size: int, dtype) -> dict:
    """Samples ``start … start + size`` (padded by repeating the last) as JAX arrays."""
    import jax.numpy as jnp

    out = {}
    for k, v in samples.items():
        part = np.asarray(v[start : start + size])
        if len(part) < size:
            part = np.concatenate([part, np.repeat(part[-1:], size - len(part))])
        out[k] = jnp.asarray(part, dtype)
    return out
