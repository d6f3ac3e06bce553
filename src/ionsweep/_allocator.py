"""Keep large CPU buffers in the malloc heap instead of fresh ``mmap`` regions (glibc only).

Why
---
On CPU, every call of a jitted kernel returns its result in a newly allocated buffer. glibc
serves any request above its mmap threshold (at most 32 MiB) with a fresh ``mmap`` and
returns it to the kernel on ``free``, so the next call of the same kernel page-faults on every
4 KiB page of its output again. For memory-bound kernels on 10⁷ float32 points that fault
cost is most of the time, both for a plain copy and for ``ionsweep.nernst``
(``benchmarks/bench_kernels.py`` measures both settings in one run; figures in
``benchmarks/RESULTS.md``, design notes).

:func:`tune_cpu_allocator` sets two ``mallopt`` parameters for the whole process: no
allocation is served by ``mmap`` (``M_MMAP_MAX = 0``), and freed memory up to ``retain_mib``
at the top of the heap is kept for reuse rather than handed back (``M_TRIM_THRESHOLD``).
Large buffers are then recycled from the heap, already mapped. The price is a process that
keeps up to ``retain_mib`` of freed memory resident; NumPy and every other library in the
process use the same heap and benefit the same way.

The ``ionsweep`` command line applies it at start-up, and the first eager call of a public
kernel (:mod:`ionsweep._eager`) on CPU, unless ``IONSWEEP_TUNE_MALLOC=0``; scripts that run
jitted functions of their own call it once, near the top. It is a no-op (returning False) where
the C library is not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

__all__ = ["ENV_VAR", "tune_cpu_allocator"]

#: Environment variable that, set to ``0``, stops the command line from tuning malloc.
ENV_VAR = "IONSWEEP_TUNE_MALLOC"

# mallopt parameter numbers from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def _glibc():
    """The loaded glibc as a ctypes library, or None on any other C library."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover - glibc reported but not loadable
        return None


def tune_cpu_allocator(retain_mib: int = 1024) -> bool:
    """Serve large allocations from the malloc heap and keep freed memory for reuse.

    Call once per process, before the heavy work; calling again only updates ``retain_mib``.
    Results are unchanged: this only decides where buffers come from.

    Parameters
    ----------
    retain_mib : int, optional
        Freed memory (MiB) the process may keep for reuse before trimming the heap; at
        least a few times the largest array you evaluate. 1024 by default.

    Returns
    -------
    bool
        True if glibc accepted both settings; False on other C libraries (nothing changed).

    Raises
    ------
    ValueError
        If ``retain_mib`` is not a positive integer below 2 GiB (glibc stores it in an int).

    Examples
    --------
    >>> import ionsweep
    >>> ionsweep.tune_cpu_allocator()  # doctest: +SKIP
    True
    """
    if isinstance(retain_mib, bool) or not isinstance(retain_mib, int):
        raise ValueError(f"retain_mib must be an integer number of MiB, got {retain_mib!r}")
    if not 0 < retain_mib < 2048:
        raise ValueError(f"retain_mib must be between 1 and 2047 MiB, got {retain_mib}")
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_TRIM_THRESHOLD, retain_mib << 20) == 1
    return ok and libc.mallopt(_M_MMAP_MAX, 0) == 1


def tune_from_environment() -> bool:
    """:func:`tune_cpu_allocator` unless ``IONSWEEP_TUNE_MALLOC=0`` (for the command line)."""
    if os.environ.get(ENV_VAR, "1").strip() == "0":
        return False
    return tune_cpu_allocator()
