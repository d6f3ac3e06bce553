"""JAX for the command line: imported late, in float64, with the persistent compilation cache.

Nothing here imports JAX at module level, so building the parsers (and ``ionsweep --help``)
stays cheap; the commands that compile call :func:`import_jax` first.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_ENV",
    "CACHE_HELP",
    "compilation_cache_dir",
    "compiled",
    "enable_compilation_cache",
    "float64_kernels",
    "import_jax",
    "prepare_jax",
]


def float64_kernels() -> Any:
    """The ``ionsweep`` package, with JAX switched to float64 first (printed values exact)."""
    prepare_jax()
    import ionsweep

    return ionsweep


def prepare_jax() -> None:
    """Import JAX (see :func:`import_jax`) and switch it to float64. Nothing is computed."""
    import_jax().config.update("jax_enable_x64", True)


def import_jax() -> Any:
    """JAX, imported; in a fresh process with the persistent compilation cache on first.

    Every command that compiles (``calc``, ``run``, ``fit``, ``sensitivity``) calls this
    before anything imports JAX, so that a second process loads the programs the first one
    compiled instead of compiling them again (:func:`enable_compilation_cache`). In a process
    that imported JAX before (``ionsweep.cli.main`` called from Python), JAX's settings are
    the caller's and are left alone. The import runs with the cyclic garbage collector
    paused: it creates about 10⁵ objects that live as long as the process, and collections
    in between would walk them to free nothing.

    Returns
    -------
    module
        The ``jax`` module.
    """
    fresh = "jax" not in sys.modules
    collecting = gc.isenabled()
    gc.disable()
    try:
        import jax
    finally:
        if collecting:
            gc.enable()
    if fresh:
        enable_compilation_cache(jax)
    return jax


#: Set to 0 to keep the command line from using JAX's persistent compilation cache.
CACHE_ENV = "IONSWEEP_JAX_CACHE"

#: The command line's help on the compilation cache (commands that compile).
CACHE_HELP = f"""\
compilation cache:
  compiled programs are kept in $XDG_CACHE_HOME/ionsweep/jax (~/.cache/ionsweep/jax without
  XDG_CACHE_HOME) and loaded from there by later calls instead of compiled again; set
  {CACHE_ENV}=0 to turn the cache off (delete the directory to empty it)"""


def compilation_cache_dir() -> Path:
    """Where the command line keeps compiled programs: ``$XDG_CACHE_HOME/ionsweep/jax``
    (``~/.cache/ionsweep/jax`` without ``XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ionsweep" / "jax"


def enable_compilation_cache(jax: Any) -> bool:
    """Use JAX's persistent compilation cache for every program, however small.

    By default JAX caches only programs that took over a second to compile (and lets a
    minimum entry size be imposed); a calculator program compiles in a fraction of that
    but is compiled in every process, so the time threshold is lowered to zero and the
    size limit switched off. The cache lives in
    :func:`compilation_cache_dir`; ``IONSWEEP_JAX_CACHE=0`` opts out, and an unwritable
    cache directory silently leaves the cache off.

    Parameters
    ----------
    jax : module
        The ``jax`` module, imported but nothing compiled yet.

    Returns
    -------
    bool
        Whether the cache is on.
    """
    if os.environ.get(CACHE_ENV, "1").strip() == "0":
        return False
    path = compilation_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(path, os.W_OK):
        return False
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return True


def compiled(fn: Callable[..., Any], *args: Any) -> Any:
    """Evaluate ``fn(*args)`` as one compiled program (one XLA compile, cacheable on disk).

    ``args`` are numbers or lists of numbers (float64; valences may be ints); the result is
    ``fn``'s pytree of arrays as NumPy arrays.
    """
    import jax
    import numpy as np

    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn)(*arrays))
