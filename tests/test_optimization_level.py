"""The suite compiles at XLA's lowest backend optimization level (``conftest.py``); users run
at the default level. A child process at the default level evaluates the closed forms and
Pitzer's ΔE with their forward-mode derivatives, and the pump–leak steady state (built from
hand-written exp and 1/x), and each must match this process's result to within a few units
in the last place of float64: the levels may order operations differently, never compute
something else."""

import json
import os
import subprocess
import sys

import numpy as np

FAST_COMPILE = "--xla_backend_optimization_level=0"  # as conftest.py sets it

CODE = """
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
import ionsweep

T = jnp.asarray([280.15, 310.15])
K_out = jnp.asarray([5.0, 6.0])
z = jnp.asarray([1.0, 1.0, -1.0, 2.0])
P = jnp.asarray([1.0, 0.04, 0.45, 0.01])
c_in = jnp.asarray([140.0, 12.0, 7.0, 1e-4])


def c_out(k):
    return jnp.stack(jnp.broadcast_arrays(k, 145.0, 120.0, 2.0), -1)


def pitzer(k):
    inside = {"K+": 140.0, "Na+": 12.0, "Ca2+": 1e-4, "Cl-": 152.0002}
    outside = {"K+": k, "Na+": 145.0, "Ca2+": 2.0, "Cl-": k + 149.0}
    return ionsweep.activity_error("K+", inside, outside, 310.15, model="pitzer")


def pump_leak(k):
    s = ionsweep.pump_leak_steady_state(20.0, 1e-6, 5e-8, 1e-6, k, 145.0, 150.0, 400.0, -1.0, T)
    return s.V


kernels = {  # name: (function of K_out, with its derivative)
    "nernst": (lambda k: ionsweep.nernst(140.0, k, 1, T), True),
    "ghk_voltage": (lambda k: ionsweep.ghk_voltage(P, c_in, c_out(k), z, T), True),
    "ghk_current": (lambda k: ionsweep.ghk_current(-60.0, P[0], 140.0, k, 1, T), True),
    "pitzer": (pitzer, True),
    "pump_leak": (pump_leak, False),
}
out = {}
for name, (f, derivative) in kernels.items():
    if derivative:
        pair = jax.jit(lambda k, f=f: jax.jvp(f, (k,), (jnp.ones_like(k),)))(K_out)
    else:
        pair = (jax.jit(f)(K_out),)
    out[name] = [np.asarray(v).tolist() for v in pair]
"""


def _evaluate() -> dict:
    scope: dict = {}
    exec(CODE, scope)  # noqa: S102 (the test's own code, run here and in the child)
    return scope["out"]


def test_default_optimization_level_gives_the_same_numbers():
    flags = os.environ.get("XLA_FLAGS", "").replace(FAST_COMPILE, "").strip()
    assert FAST_COMPILE in os.environ["XLA_FLAGS"]  # this process: the suite's level
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if flags:
        env["XLA_FLAGS"] = flags
    child = subprocess.run(
        [sys.executable, "-c", CODE + "\nimport json; print(json.dumps(out))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    default = json.loads(child.stdout.splitlines()[-1])
    here = _evaluate()
    assert default.keys() == here.keys()
    for name in here:
        parts = ("value", "derivative")[: len(here[name])]
        for part, a, b in zip(parts, default[name], here[name], strict=True):
            a, b = np.asarray(a), np.asarray(b)
            assert np.all(np.isfinite(b)), (name, part, b)
            rtol = 16 * np.finfo(float).eps
            np.testing.assert_allclose(a, b, rtol=rtol, err_msg=f"{name} {part}")
