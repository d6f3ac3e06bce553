"""The size of a sweep: its memory budget, its chunk shape (``[run] chunks`` or chosen for
the budget) and the checks that the grid, its chunks and a reduction's kept statistics fit
what one run handles; every error names its field."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ionsweep._errors import SpecError
from ionsweep._stats import cell_bytes
from ionsweep.sweep._chunks import choose_chunks, format_bytes, parse_bytes
from ionsweep.sweep._plan import (
    MAX_CHUNK_POINTS,
    MAX_POINTS,
    Reduction,
    chunk_count_refusal,
    count_text,
)

__all__ = [
    "check_chunks",
    "check_kept_state",
    "memory_budget",
    "plan_chunks",
    "reduce_cell_bytes",
]


def memory_budget(run: Mapping, memory: str | None) -> int:
    """The memory budget in bytes: ``memory`` (the caller's) or ``[run] memory`` (1 GB)."""
    try:
        if isinstance(run.get("memory"), bool):
            raise ValueError(f"a size is a number or text such as '2GB', not {run['memory']!r}")
        return parse_bytes(memory or run.get("memory", "1GB"))
    except ValueError as exc:
        raise SpecError("memory budget" if memory else "[run] memory", str(exc)) from None


def plan_chunks(
    axes, run, *, n_vars, itemsize, memory_bytes, reduce, cell_bytes, device, plan_only
):
    """The chunk shape: ``[run] chunks`` where given, the rest chosen for the memory budget
    (see :func:`~ionsweep.sweep._chunks.choose_chunks`: ``n_vars`` stored variables of
    ``itemsize`` bytes, ``cell_bytes`` of reduction state per kept cell), then checked."""
    shape = tuple(a.size for a in axes)
    names = [a.name for a in axes]
    if math.prod(shape) > MAX_POINTS:  # Python integers: exact at any size
        raise SpecError(
            "[axes]",
            f"the grid of {count_text(math.prod(shape))} points is more than a store indexes "
            f"({MAX_POINTS:,}); sweep fewer points, or split the sweep",
        )
    chunk_req = run.get("chunks", {})
    if not isinstance(chunk_req, Mapping):
        raise SpecError("[run] chunks", "must be a table such as { c_out = 10 }")
    for k, v in chunk_req.items():
        if k not in names:
            raise SpecError("[run] chunks", f"{k!r} is not an axis")
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise SpecError(f"[run] chunks {k}", f"must be a positive integer, got {v!r}")
    chunks = choose_chunks(
        shape,
        names,
        n_vars,
        itemsize,
        memory_bytes,
        chunk_req,
        first=reduce.over if reduce else (),
        device=device,
        cell_bytes=cell_bytes,
    )
    check_chunks(shape, chunks, bool(chunk_req), plan_only)
    return chunks


def check_chunks(shape, chunks, requested: bool, plan_only: bool = False) -> None:
    """Refuse a grid of more chunks than one run handles (unless ``plan_only``), or chunks
    larger than the kernel indexes."""
    refusal = chunk_count_refusal(shape, chunks)
    if refusal and not plan_only:
        raise SpecError("[run] memory", refusal)
    if math.prod(chunks) > MAX_CHUNK_POINTS:
        raise SpecError(
            "[run] chunks" if requested else "[run] memory",
            f"a chunk of {' × '.join(map(str, chunks))} = {math.prod(chunks):,} points is "
            f"more than the engine handles in one chunk ({MAX_CHUNK_POINTS:,}); ask for "
            "smaller chunks",
        )


def check_kept_state(axes, chunks, reduce: Reduction, n_outputs: int, memory_bytes):
    """Refuse a reduction accumulated over chunks whose statistics of the whole kept grid
    (held on the devices and the host for the whole run) exceed the memory budget."""
    over = [k for k, a in enumerate(axes) if a.name in reduce.over]
    if all(chunks[k] == axes[k].size for k in over):
        return  # each chunk's statistics are final and written at once
    cells = math.prod(a.size for k, a in enumerate(axes) if k not in over)
    need = cells * reduce_cell_bytes(reduce, n_outputs)
    if need > memory_bytes:
        raise SpecError(
            "[reduce]",
            f"the statistics of {cells:,} kept points ({format_bytes(need)}, histogram bins "
            f"included) are accumulated over chunks and need more than the memory budget "
            f"({format_bytes(memory_bytes)}); reduce over more axes, use fewer bins, or raise "
            "the memory budget",
        )


def reduce_cell_bytes(reduce: Reduction, n_outputs: int) -> int:
    """Bytes of a reduction's state per kept cell (see
    :func:`ionsweep._stats.cell_bytes`)."""
    return cell_bytes(reduce, n_outputs)
