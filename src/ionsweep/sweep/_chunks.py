"""Chunk shapes from a memory budget, and byte sizes."""

from __future__ import annotations

import math

__all__ = ["choose_chunks", "format_bytes", "parse_bytes", "step_points"]

#: Largest chunk, in points, whatever the budget. On CPU, 4 Mi points keeps every float32
#: buffer at 16 MiB, under glibc's 32 MiB mmap threshold: larger buffers are mapped afresh on
#: every call and page-faulted in 4 KiB pages, which costs more than the arithmetic. On
#: accelerators, 64 Mi points amortize the per-chunk dispatch.
MAX_CHUNK_POINTS_CPU = 1 << 22
MAX_CHUNK_POINTS_ACCELERATOR = 1 << 26
#: Reduce mode evaluates a chunk's kept cells in steps of a loop inside one compiled program
#: (``_kernel.cells_per_step``), each step at most this many points: on CPU a step's float32
#: intermediates stay within a few MiB of cache-friendly memory; on accelerators a step is
#: large enough to fill the device.
STEP_POINTS_CPU = 1 << 20
STEP_POINTS_ACCELERATOR = 1 << 24
#: On CPU a step shrinks with the model's per-point work (``ops``: operations of the kernel's
#: traced program that run once per point of a step, ``_kernel.full_size_ops``): about
#: ``STEP_WORK_CPU / ops`` points, at least ``STEP_POINTS_MIN``, so a model with thousands of
#: per-point operations (Pitzer on compositions that vary point by point) keeps its many
#: intermediates near the cache while a small one (Nernst, GHK), or one whose heavy part runs
#: on per-axis shapes (Pitzer on compositions along one axis each), amortizes the loop over
#: 10⁶ points. Measured on a 2-core EPYC: Pitzer ΔE fastest at 2¹⁴–2¹⁵ points per step,
#: 4-ion GHK at 2²⁰.
STEP_WORK_CPU = 1 << 27
STEP_POINTS_MIN = 1 << 14
#: Reduce mode: a chunk holds up to this many steps' worth of points, so the host handles
#: (and checkpoints) a chunk about every 16 steps instead of after each.
REDUCE_CHUNK_STEPS = 16
#: Working bytes per point per stored variable beyond the stored values: the device result,
#: its host copy and one chunk queued for writing, plus the kernel's intermediates.
_COPIES = 4
_SCRATCH_BYTES = 64


def parse_bytes(text) -> int:
    """Parse ``"2GB"``, ``"512MiB"``, ``"1e9"`` or an int into a number of bytes (> 0)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        from dask.utils import parse_bytes as dask_parse_bytes

        try:
            value = float(dask_parse_bytes(str(text).strip()))
        except OverflowError:  # '1e400GB'
            value = math.inf
        except (ValueError, TypeError):
            raise ValueError(
                f"cannot parse a size from {text!r}; write e.g. '2GB' or '512MiB'"
            ) from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"size must be a positive, finite number of bytes, got {text!r}")
    return int(value)


def format_bytes(n: float) -> str:
    """``1.5e9`` → ``'1.40 GiB'`` (dask's formatting)."""
    from dask.utils import format_bytes as dask_format_bytes

    return dask_format_bytes(int(n))


def on_accelerator(device: str | None) -> bool:
    """Whether a plan for ``device`` (``cpu``, ``gpu`` or ``auto``) runs on an accelerator."""
    if device in ("cpu", "gpu"):
        return device == "gpu"
    import jax

    return jax.default_backend() != "cpu"


def _point_budget(n_vars, itemsize, memory_bytes, max_points) -> int:
    per_point = itemsize * n_vars * _COPIES + _SCRATCH_BYTES
    return max(1, min(memory_bytes // per_point, max_points))


def step_points(n_vars, itemsize, memory_bytes, device=None, ops=None) -> int:
    """Reduce mode: the most points one step of the kernel's loop evaluates (``ops``: the
    model's operations per point, if known; see :data:`STEP_WORK_CPU`)."""
    if on_accelerator(device):
        cap = STEP_POINTS_ACCELERATOR
    elif ops:
        cap = min(STEP_POINTS_CPU, max(STEP_POINTS_MIN, STEP_WORK_CPU // ops))
    else:
        cap = STEP_POINTS_CPU
    return _point_budget(n_vars, itemsize, memory_bytes, cap)


def choose_chunks(
    shape,
    dims,
    n_vars,
    itemsize,
    memory_bytes,
    requested=None,
    first=(),
    device=None,
    cell_bytes=0,
):
    """Chunk shape whose working set fits ``memory_bytes``.

    Dimensions named in ``requested`` keep their requested size; the others are filled from
    the last (fastest-varying, contiguous) dimension backwards, each taken whole while the
    budget allows, so chunks are as contiguous as possible in the C-ordered store. A
    dimension that is split is split evenly (25 into 13 + 12, not 16 + 9), so edge chunks
    waste as little padded work as they can.

    Reduce mode passes the reduced axes as ``first``: they are filled before all others,
    so each chunk covers whole reductions where the budget allows and no two chunks share
    an output element. The kernel then loops over the chunk's kept cells in steps, so the
    kept dims are filled to :data:`REDUCE_CHUNK_STEPS` steps' worth of points, as long as
    the partial results (``cell_bytes`` per kept cell) fit the budget.
    """
    requested = dict(requested or {})
    accel = on_accelerator(device)
    max_points = MAX_CHUNK_POINTS_ACCELERATOR if accel else MAX_CHUNK_POINTS_CPU
    budget = _point_budget(n_vars, itemsize, memory_bytes, max_points)
    chunks = [0] * len(shape)
    for k, d in enumerate(dims):
        if d in requested:
            chunks[k] = min(int(requested[d]), shape[k])
            budget = max(1, budget // chunks[k])
    firsts = [k for k in reversed(range(len(shape))) if dims[k] in first]
    others = [k for k in reversed(range(len(shape))) if dims[k] not in first]
    for k in firsts:
        if not chunks[k]:
            chunks[k] = max(1, min(shape[k], budget))
            budget = max(1, budget // chunks[k])
    if firsts:
        steps = step_points(n_vars, itemsize, memory_bytes, device)
        block = math.prod(chunks[k] for k in firsts)
        cells = max(1, REDUCE_CHUNK_STEPS * max(steps, block) // block)
        if cell_bytes:
            cells = min(cells, max(1, memory_bytes // (cell_bytes * _COPIES)))
        budget = max(budget, cells // math.prod(chunks[k] for k in others if chunks[k]))
    for k in others:
        if chunks[k]:
            continue
        chunks[k] = max(1, min(shape[k], budget))
        budget = max(1, budget // chunks[k])
    for k, d in enumerate(dims):  # as few chunks, of sizes as even as they can be
        if d not in requested:
            chunks[k] = -(-shape[k] // -(-shape[k] // chunks[k]))
    return tuple(chunks)
