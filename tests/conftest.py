"""Test configuration: physics runs in float64 (DESIGN.md); every compilation is quick.

Compilation dominates the suite's time, so this process and the processes it starts (the
command line, notebooks, Dask workers, a browser server) all use XLA's lowest backend
optimization level, set before JAX initializes its backend. The level changes how fast the
compiled code runs and, at most, the last bits of a result (another order of operations);
every process of the suite uses the same level, so the tests that ask for stores equal bit
for bit across processes compare like with like. ``tests/test_optimization_level.py`` checks
that the default level gives the same numbers to within a few units in the last place.
"""

import os

#: One CPU device in this process and those it starts (ionsweep would otherwise ask JAX for
#: one per core, and every sweep would compile its program for several devices); the tests
#: of several devices start processes of their own (``tests/sweep/test_cores.py``).
os.environ["IONSWEEP_CPU_DEVICES"] = "1"

FAST_COMPILE = "--xla_backend_optimization_level=0"
_flags = os.environ.get("XLA_FLAGS", "").replace(FAST_COMPILE, "").strip()
os.environ["XLA_FLAGS"] = f"{_flags} {FAST_COMPILE}".strip()

import jax  # noqa: E402  (after the flags above, which XLA reads once, on first use)

jax.config.update("jax_enable_x64", True)

#: The longest test files (about a minute each on two cores), by path under ``tests/``,
#: started first: with ``--dist loadfile`` a long file scheduled last keeps one worker busy
#: after the others have finished.
LONGEST_FIRST = (
    "test_notebooks.py",
    "activity/test_pitzer.py",
    "analysis/test_fit.py",
    "cli/test_sensitivity.py",
    "physics/test_donnan.py",
    "physics/test_pump_leak_volume.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    here = os.path.dirname(__file__)

    def key(item):
        return rank.get(os.path.relpath(item.path, here).replace(os.sep, "/"), len(rank))

    items.sort(key=key)  # stable: else as found
