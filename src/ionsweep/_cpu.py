"""Every core of a CPU for a sweep: how many JAX CPU devices the process starts with.

Why
---
XLA runs one program on one CPU device with a pool of threads (one per usable core), but
only the operations it splits into independent tasks run on several cores at once; the
rest of a chunk's program (a histogram's scatter, the merges, the loop over steps) runs on
one. Several CPU devices each run their own chunk at the same time (the sweep executor gives
each device its own program and deals the chunks to them in turn,
:mod:`ionsweep.sweep._per_device`), so every part of the work spreads over the cores; each
device still uses XLA's thread pool for its own operations.

JAX fixes the number of CPU devices when its CPU backend starts, once per process
(``jax_num_cpu_devices``). :func:`configure` asks for one device per usable core (at most
:data:`MAX_DEFAULT_DEVICES`; beyond that XLA's thread pool spreads each device's work) before
that moment, unless the process says otherwise:

* ``IONSWEEP_CPU_DEVICES=N`` (environment) asks for N CPU devices instead: ``1`` is JAX's
  default (one device, XLA's thread pool alone). It caps the devices, not XLA's thread pool:
  to keep a run off some cores, limit the process's CPUs (``taskset -c 0-3 ionsweep run
  …``), which both follow.
* A ``jax_num_cpu_devices`` setting or ``--xla_force_host_platform_device_count`` in
  ``XLA_FLAGS`` made by the user is left alone.
* Once JAX's backend has started (the user computed something with JAX before the first
  sweep), the process keeps the devices it has; :func:`describe` says so, and a dry run
  shows it.

The setting adds CPU devices to the whole process: ``jax.devices("cpu")`` lists them, while
JAX's default device stays the first, so the user's own JAX code runs as before. A run on a
GPU is unaffected. Each device works on a chunk of its own, so, as on several GPUs, the
memory budget of a sweep (``[run] memory``) holds per device.
"""

from __future__ import annotations

import os

__all__ = [
    "ENV_VAR",
    "configure",
    "describe",
    "devices_added",
    "requested_devices",
    "usable_cores",
]

#: Environment variable: the number of CPU devices a sweep process runs on.
ENV_VAR = "IONSWEEP_CPU_DEVICES"

#: Most CPU devices asked for by default, whatever the number of cores: each holds a chunk
#: (its memory budget) at a time.
MAX_DEFAULT_DEVICES = 8

_FORCE_FLAG = "--xla_force_host_platform_device_count"

#: What :func:`configure` found: None before its first call, else a short sentence.
_outcome: str | None = None
#: Whether :func:`configure` asked JAX for several CPU devices.
_added = False


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def requested_devices() -> int:
    """CPU devices asked for: ``IONSWEEP_CPU_DEVICES`` if set, else one per usable core.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        If ``IONSWEEP_CPU_DEVICES`` is set to anything but a positive integer.
    """
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return max(1, min(usable_cores(), MAX_DEFAULT_DEVICES))
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV_VAR} must be a positive whole number of CPU devices, got {text!r}")
    return n


def configure() -> str:
    """Ask JAX for :func:`requested_devices` CPU devices if its backend has not started.

    Call before anything computes with JAX: parsing a sweep spec and choosing a run's
    devices call it; later calls change nothing. Returns :func:`describe`'s sentence.
    """
    global _outcome, _added
    if _outcome is not None:
        return _outcome
    import jax
    from jax._src import xla_bridge

    n = requested_devices()
    asked = bool(os.environ.get(ENV_VAR, "").strip())
    if n > 1 and xla_bridge.backends_are_initialized():
        _outcome = f"JAX had started before ionsweep could ask for {n} CPU devices"
    # jax.config's options are attributes made at run time, unknown to type checkers.
    elif jax.config.jax_num_cpu_devices >= 0 or _FORCE_FLAG in os.environ.get("XLA_FLAGS", ""):  # type: ignore[attr-defined]
        _outcome = "CPU devices as the user set them (jax_num_cpu_devices or XLA_FLAGS)"
    elif n == 1:
        _outcome = f"one CPU device, {ENV_VAR}=1" if asked else "one CPU device, one core"
    else:
        jax.config.update("jax_num_cpu_devices", n)
        _added = True
        why = "one per core" if n == usable_cores() else f"at most {MAX_DEFAULT_DEVICES} by default"
        _outcome = f"{n} CPU devices, {f'{ENV_VAR}={n}' if asked else why}"
    return _outcome


def devices_added() -> bool:
    """Whether :func:`configure` gave this process its CPU devices (several of them)."""
    return _added


def describe() -> str:
    """How the process's CPU devices were chosen (one short sentence for a dry run)."""
    return _outcome or "CPU devices not configured by ionsweep"
