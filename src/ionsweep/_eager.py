"""Eager calls of the public kernels: one cached compiled program per call signature.

Outside ``jax.jit``, a JAX function runs one operation at a time: each is dispatched on its
own and writes its own full-size temporary, so a kernel of ten operations on 10⁷ points
reads and writes memory ten times. :func:`eager` wraps a public kernel so that such a call
runs the kernel as one ``jax.jit`` program instead. JAX caches the program by the shapes
and dtypes of the arguments and by the values of the options named static (an ion
``axis``, a ``model`` name, a parameter set, the ion names of a composition), so a second
call with new values of the same shapes compiles nothing.

Under a transformation nothing changes: when any argument is a ``jax.core.Tracer`` (inside
``jit``, ``vmap``, ``grad``, a sweep's kernel), the wrapper calls the kernel itself with the
arguments as given. So do arguments the program cannot take: pint Quantities (converted by
the kernel's own units handling, as before), strings where numbers belong, Python integers
beyond 32 bits, unhashable options. Checks that only look at concrete values (the kelvin
trap of :func:`ionsweep._units.with_units`, a composition's neutrality) run before the
program, since inside it the values are traced and cannot be inspected.

NumPy arguments
    XLA:CPU reads a NumPy array in place only when its data is aligned to 64 bytes (NumPy
    aligns to 16); JAX copies any other at every call, at the speed of a NumPy copy. For a
    cheap kernel on large arrays that copy was most of an eager call (Nernst on 10⁷ float32
    points: half of it). So a large contiguous NumPy argument on the CPU is handed over as a
    view that starts at the 64-byte boundary at or before its data (at most 60 bytes
    earlier, in the same memory page, so always readable) and the program skips those
    leading elements (:class:`_InPlace`); XLA fuses the skip into the kernel's first
    operation, and nothing is copied. The call waits for its result before it returns, so
    the array is not released while the program reads it. Results come back as
    ``jax.Array``; on CPU ``np.asarray`` of one is a view, not a copy.

The CPU allocator
    The first eager call on a CPU backend applies :func:`ionsweep.tune_cpu_allocator`, as the
    command line does, unless ``IONSWEEP_TUNE_MALLOC=0``. Without it every compiled program's
    output is a fresh ``mmap`` that page-faults on each 4 KiB page, which costs memory-bound
    kernels several times their time (``benchmarks/RESULTS.md``, design notes). It is safe to
    apply on a library call: it changes no result, only where glibc takes large buffers from
    (the heap instead of fresh mappings), and mappings are still used where the heap cannot
    grow. What it costs is memory: the process keeps up to 1 GiB of freed heap for reuse, and
    freed blocks below live ones stay resident until they are reused. Set
    ``IONSWEEP_TUNE_MALLOC=0`` before the first call to keep glibc's defaults; elsewhere than
    glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep import _allocator
from ionsweep._units import with_units

__all__ = ["eager"]

F = TypeVar("F", bound=Callable[..., Any])

_INT32 = (-(2**31), 2**31 - 1)
_NUMERIC_KINDS = frozenset("biufc")
#: Marks an argument the compiled program cannot take: the kernel itself is called.
_RAW = object()
_allocator_state = {"tuned": False}


class _KeyOrdered(dict):
    """A mapping through ``jit`` with its keys in the caller's order (JAX sorts dict keys)."""


jax.tree_util.register_pytree_node(
    _KeyOrdered,
    lambda d: (tuple(d.values()), tuple(d)),
    lambda keys, values: _KeyOrdered(zip(keys, values, strict=True)),
)

#: NumPy arguments from this size on are read in place (see the module docstring), bytes.
IN_PLACE_MIN_BYTES = 1 << 20
#: The alignment at which XLA:CPU reads a host buffer without copying it, bytes.
_XLA_ALIGN = 64
#: The smallest memory page: bytes before an array in its own page are always readable.
_PAGE = 4096


class _InPlace:
    """A NumPy array passed as a 64-byte-aligned view (``data``) that begins ``skip`` rows
    (entries along the first axis) before it; inside the program :meth:`array` is the array
    itself."""

    def __init__(self, data: Any, skip: int):
        self.data, self.skip = data, skip

    def array(self) -> Any:
        return jax.lax.slice_in_dim(self.data, self.skip, self.data.shape[0], axis=0)


jax.tree_util.register_pytree_node(
    _InPlace,
    lambda a: ((a.data,), a.skip),
    lambda skip, children: _InPlace(children[0], skip),
)


def _in_place(x: np.ndarray) -> Any:
    """``x`` as an :class:`_InPlace` where that saves JAX a copy of it, else ``x``."""
    ptr = x.ctypes.data
    if (
        ptr % _XLA_ALIGN == 0
        or x.nbytes < IN_PLACE_MIN_BYTES
        or not x.flags.c_contiguous
        or x.dtype.kind not in "iuf"
        or not x.dtype.isnative
        or jax.dtypes.canonicalize_dtype(x.dtype) != x.dtype
        or jax.default_backend() != "cpu"
    ):
        return x
    row = x.nbytes // x.shape[0]
    # Whole rows before x back to a 64-byte boundary, within x's first memory page.
    back = next(
        (d for d in range(ptr % _XLA_ALIGN, ptr % _PAGE + 1, _XLA_ALIGN) if d % row == 0), None
    )
    if back is None:
        return x
    window = (ctypes.c_char * (x.nbytes + back)).from_address(ptr - back)
    data = np.frombuffer(memoryview(window), x.dtype).reshape((-1, *x.shape[1:]))
    return _InPlace(data, back // row)


def _unwrap(tree: Any) -> Any:
    """Inside the program: every :class:`_InPlace` of ``tree`` as its array."""
    return jax.tree.map(
        lambda v: v.array() if isinstance(v, _InPlace) else v,
        tree,
        is_leaf=lambda v: isinstance(v, _InPlace),
    )


def eager(
    fn: F,
    *,
    static_argnames: tuple[str, ...] = (),
    temperature: str | None = None,
    check: Callable[..., Callable[[], None] | None] | None = None,
    bypass: Callable[..., bool] | None = None,
    module: str | None = None,
) -> F:
    """Wrap a public kernel so that concrete calls run one cached ``jax.jit`` program.

    Parameters
    ----------
    fn : callable
        The kernel, as users call it (units handling included).
    static_argnames : tuple of str
        Options that change the program (an ion axis, a model name): compiled per value.
    temperature : str or None
        The argument (K) that ``fn``'s units handling checks for the kelvin trap; the check
        runs on the concrete value before the program.
    check : callable, optional
        Called with the call's arguments before the program, for checks of concrete values
        that the traced kernel cannot make; it may return a callable to run after the
        program (for warnings the kernel issues only once its inputs passed every check).
    bypass : callable, optional
        Called with the call's arguments; True where the kernel must be called as it is
        (arguments it refuses with its own message).
    module : str, optional
        The module that exports the wrapper under ``fn``'s name, as its ``__module__``, so
        that ``pickle`` finds the wrapper there (the kernel's own module holds ``fn``).

    Returns
    -------
    callable
        ``fn`` with the same signature, docstring and results; ``.jitted`` is the program.
    """
    names = list(inspect.signature(fn).parameters)
    static = frozenset(static_argnames)
    static_pos = frozenset(i for i, name in enumerate(names) if name in static)
    checks = [c for c in (_kelvin_check(fn, temperature), check) if c is not None]

    @functools.wraps(fn)
    def program(*args, **kwargs):
        args = tuple(v if i in static_pos else _unwrap(v) for i, v in enumerate(args))
        kwargs = {n: v if n in static else _unwrap(v) for n, v in kwargs.items()}
        out = fn(*args, **kwargs)
        return _KeyOrdered(out) if type(out) is dict else out

    jitted = jax.jit(program, static_argnames=static_argnames)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if bypass is not None and bypass(*args, **kwargs):
            return fn(*args, **kwargs)
        a = tuple(v if i in static_pos else _leaf(v) for i, v in enumerate(args))
        k = {n: v if n in static else _leaf(v) for n, v in kwargs.items()}
        raw = any(v is _RAW for v in a) or any(v is _RAW for v in k.values())
        if raw or not _hashable(args, kwargs, static_pos, static):
            return fn(*args, **kwargs)
        _tune_allocator_once()
        after = [c(*args, **kwargs) for c in checks]
        out = jitted(*a, **k)
        if any(isinstance(v, _InPlace) for v in jax.tree.leaves((a, k), is_leaf=_is_in_place)):
            jax.block_until_ready(out)  # the arrays read in place stay alive until here
        for then in after:
            if then is not None:
                then()
        return dict(out) if type(out) is _KeyOrdered else out

    call.jitted = jitted  # type: ignore[attr-defined]
    if module is not None:
        call.__module__ = module
    return call  # type: ignore[return-value]


def _leaf(x: Any) -> Any:
    """``x`` as the compiled program takes it, or ``_RAW`` (a tracer, or not array data)."""
    if isinstance(x, jax.core.Tracer):
        return _RAW
    if isinstance(x, jax.Array) or x is None or isinstance(x, float | complex):
        return x
    if isinstance(x, int):  # bool included
        return x if _INT32[0] <= x <= _INT32[1] else _RAW
    if isinstance(x, np.ndarray):
        return _in_place(x) if x.dtype.kind in _NUMERIC_KINDS else _RAW
    if isinstance(x, np.generic):
        return x if x.dtype.kind in _NUMERIC_KINDS else _RAW
    if isinstance(x, list | tuple):
        return _sequence(x)
    if isinstance(x, Mapping) and x:
        values = [_leaf(v) for v in x.values()]
        return _RAW if any(v is _RAW for v in values) else _KeyOrdered(zip(x, values, strict=True))
    return _RAW


def _is_in_place(v: Any) -> bool:
    return isinstance(v, _InPlace)


def _sequence(x: list | tuple) -> Any:
    """A list or tuple as the kernels' ``as_float`` reads it (``jnp.asarray``), or ``_RAW``."""
    try:
        a = jnp.asarray(x)
    except (TypeError, ValueError):
        return _RAW
    return _RAW if isinstance(a, jax.core.Tracer) else a


def _hashable(args: tuple, kwargs: dict, static_pos: frozenset, static: frozenset) -> bool:
    values = [args[i] for i in static_pos if i < len(args)]
    values += [v for n, v in kwargs.items() if n in static]
    try:
        hash(tuple(values))
    except TypeError:
        return False
    return True


def _kelvin_check(fn: Callable, temperature: str | None) -> Callable | None:
    """``fn``'s kelvin trap alone: ``with_units`` on a function that does nothing."""
    if temperature is None:
        return None

    def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    nothing.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    nothing.__name__ = fn.__name__
    return with_units({}, temperature=temperature)(nothing)


def _tune_allocator_once() -> None:
    """Tune glibc's allocator on the first eager call on CPU (see the module docstring)."""
    if _allocator_state["tuned"]:
        return
    _allocator_state["tuned"] = True
    if jax.default_backend() == "cpu":
        _allocator.tune_from_environment()
