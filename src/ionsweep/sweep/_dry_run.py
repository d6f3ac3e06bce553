"""A plan in numbers before it runs: dimensions, chunks, mode, variables and bytes to
write, and (calibrated by timing one chunk) the compile time and an estimated run time."""

from __future__ import annotations

import math
import time

from ionsweep import _cpu
from ionsweep.sweep._executor import devices_for
from ionsweep.sweep._launch import Launcher
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._store_layout import reduced_layout, store_bytes, store_layout

__all__ = ["dry_run"]


def dry_run(plan: Plan, *, calibrate: bool = True) -> dict:
    """The plan in numbers, plus an estimated run time from timing one chunk."""
    variables, _ = store_layout(plan)
    if mode(plan) == "reduce-accumulate":  # the statistics, written once at the end
        variables, _ = reduced_layout(plan)
    nbytes = store_bytes(plan)
    info = {
        "model": plan.model_name,
        "dims": dict(zip(plan.dims, plan.shape, strict=True)),
        "points": plan.n_points,
        "chunk_shape": dict(zip(plan.dims, plan.chunks, strict=True)),
        "chunks": plan.n_chunks,
        "mode": mode(plan),
        "variables": [v[0] for v in variables],
        "bytes_written": nbytes,
        "dtype": plan.dtype,
        "memory_budget": plan.memory_bytes,
        "warnings": list(plan.warnings),
    }
    if calibrate:
        import jax

        devices = devices_for(plan)
        first = [(0,) * len(plan.dims)]
        t = time.perf_counter()
        launch = Launcher(plan, devices[:1])
        accumulate = mode(plan) == "reduce-accumulate"

        def call():
            return launch(first, *([launch.fresh_state()] if accumulate else []))

        jax.block_until_ready(call())
        info["compile_s"] = time.perf_counter() - t
        t = time.perf_counter()
        jax.block_until_ready(call())
        per_chunk = (time.perf_counter() - t) / launch.group  # a call: a group of chunks
        per_point = per_chunk / math.prod(plan.chunks)
        info["device"] = f"{len(devices)} × {devices[0].device_kind}"
        if devices[0].platform == "cpu":  # how many, and why (IONSWEEP_CPU_DEVICES)
            info["cpu_devices"] = _cpu.describe()
        info["estimated_s"] = per_point * plan.n_points / len(devices)
    return info
