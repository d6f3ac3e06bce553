"""Test configuration: physics runs in float64 (DESIGN.md); child processes compile faster.

The tests that run the command line, notebooks or a browser server in child processes check
workflows (files, exit codes, figures); the numerics they touch are checked in-process by the
other tests. Their compilations, which dominate their time, use XLA's lowest backend
optimization level: this process initializes its backend with the default flags first, and
only then are the flags for its children set in the environment.
"""

import os

_FAST_COMPILE = "--xla_backend_optimization_level=0"
_flags = os.environ.get("XLA_FLAGS", "").replace(_FAST_COMPILE, "").strip()
if _flags:
    os.environ["XLA_FLAGS"] = _flags
else:
    os.environ.pop("XLA_FLAGS", None)

import jax  # noqa: E402  (after the flags above, which XLA reads once, on first use)

jax.config.update("jax_enable_x64", True)
jax.devices()  # this process's backend, with the default optimization level
os.environ["XLA_FLAGS"] = f"{_flags} {_FAST_COMPILE}".strip()  # for child processes
