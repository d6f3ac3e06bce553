"""The plan's store written: atomic creation, chunk writes with the manifest, the final
reduced variables and completion.

The executor hands this module regions and arrays; everything about zarr lives in
:mod:`ionsweep.store`, which knows no plan. The layout is
:mod:`ionsweep.sweep._store_layout`'s, the checks before a run
:mod:`ionsweep.sweep._store_check`'s.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ionsweep._faults import checkpoint
from ionsweep.store import _partials as zpartials, _zarr as zstore
from ionsweep.store._zarr import StoreError
from ionsweep.sweep import _store_check
from ionsweep.sweep._plan import Plan, PlanWarning, mode
from ionsweep.sweep._reduce import Accumulator
from ionsweep.sweep._store_check import StoreCheck, identity
from ionsweep.sweep._store_layout import (
    coordinates_attr,
    reduced_layout,
    store_attrs,
    store_layout,
)

__all__ = [
    "finalize",
    "finish_reduction",
    "merged_partials",
    "prepare_store",
    "write_chunk",
    "write_reduced",
]


def prepare_store(
    plan: Plan,
    out,
    devices,
    *,
    resume=False,
    overwrite=False,
    shard=None,
    repair=False,
    checked: StoreCheck | None = None,
) -> StoreCheck:
    """Create the store if needed (atomic, race-free between shards); the plan to run.

    Temporary directories left by killed creations of ``out`` are removed first.
    ``repair`` is checked here (it needs ``resume``) and done by the caller
    (:func:`ionsweep.sweep._repair.repair_store`). ``checked``: what :func:`check_store`
    found for ``plan``, ``out`` and these flags, when the caller checked first (not
    checked again).
    """
    out = Path(out)
    if out.parent.exists():
        zstore.clean_stale(out)
    if checked is None:
        checked = _store_check.check_store(
            plan, out, resume=resume, overwrite=overwrite, shard=shard, repair=repair
        )
    for note in checked.plan.warnings:
        warnings.warn(PlanWarning(note), stacklevel=3)
    if checked.state not in ("new", "replace"):
        return checked
    plan = checked.plan
    variables, coords = store_layout(plan)
    if checked.state == "replace":
        zstore.remove(out)
    attrs = {**store_attrs(plan, devices), "ionsweep_identity": identity(plan)}
    final = []
    if mode(plan) == "reduce-accumulate":  # statistics and bins, written at the end
        rvars, rcoords = reduced_layout(plan)
        final = [c[0] for c in rcoords] + [v[0] for v in rvars]
    grid = (plan.dims, plan.shape, plan.chunks)
    if zstore.create_atomic(out, variables, coords, attrs, grid=grid, final=final):
        return checked
    # Another shard created the store first: join it.
    return _store_check.check_store(plan, out, shard=shard or (0, 1))


def write_chunk(group, plan: Plan, out, index, host) -> None:
    """Write one chunk's arrays to its region (all at once), then mark it done in the
    manifest. ``group``: the store's zarr group, or its arrays by name
    (:func:`~ionsweep.store._zarr.writable_arrays`, opened once for a whole run)."""
    region = plan.chunk_region(index)
    kept = [k for k, d in enumerate(plan.dims) if plan.reduce is None or d not in plan.reduce.over]
    writes = []
    for name, values in host.items():
        sel = region
        if plan.reduce is not None:
            sel = tuple(region[k] for k in kept) + (slice(None),) * (values.ndim - len(kept))
        writes.append((zstore.writable(group[name]), sel, values))
    zstore.write_regions(writes)
    for name in host:
        checkpoint(f"chunk {zstore.chunk_key(index)} {name}")
    zstore.mark_done(out, index)


def write_reduced(out: Path, plan: Plan, acc: Accumulator) -> None:
    """Write the reduced variables and their coordinates, every one of them afresh.

    Called once the reduction state covering every chunk is saved; a run killed anywhere in
    here is resumed by calling it again (nothing already present is trusted, since a kill
    can leave an array created but not yet filled or labelled).
    """
    group = zstore.open_group_rw(out)
    _, coords = reduced_layout(plan)
    for name, dims, values, attrs in coords:
        c = zstore.new_array(
            group,
            name,
            shape=values.shape,
            dtype=values.dtype,
            dimension_names=dims,
            overwrite=True,
        )
        checkpoint(f"final coord {name} created")
        c[...] = values
        c.update_attributes(attrs)
        checkpoint(f"final coord {name} written")
    for name, (values, dims, units, long_name) in acc.results().items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            values = values.astype(plan.dtype)
        dtype = str if values.dtype.kind == "U" else values.dtype
        arr = zstore.new_array(
            group,
            name,
            shape=values.shape,
            dtype=dtype,
            dimension_names=list(dims),
            chunks=values.shape,  # one chunk; () for a statistic over every axis
            overwrite=True,
        )
        checkpoint(f"final variable {name} created")
        arr[...] = values
        arr.update_attributes(
            {"units": units, "long_name": long_name, **coordinates_attr(plan, dims)}
        )
        checkpoint(f"final variable {name} written")


def merged_partials(plan: Plan, out, acc: Accumulator | None = None, covered=None, skip=""):
    """(state, covered chunks) of the saved partial states of ``out`` merged, in the order
    of their names, after ``acc`` (covering ``covered``) if given; the states of owners
    whose names start with ``skip`` (when not empty) are left out. Raises StoreError if two
    states cover the same chunk (two processes ran the same chunks)."""
    total = Accumulator(plan)
    seen = np.zeros(plan.n_chunks, bool)
    if acc is not None:
        total.merge_state(acc.state)
        seen |= covered
    for owner, f in zpartials.partial_files(out).items():
        if skip and owner.startswith(skip):
            continue
        state, cov = zpartials.load_partial(f, plan.n_chunks)
        twice = np.flatnonzero(seen & cov)
        if twice.size:
            index = np.unravel_index(int(twice[0]), plan.chunk_grid)
            raise StoreError(
                f"{out}: chunk {zstore.chunk_key(index)} is in two saved reduction states "
                f"(one of them {f.name}); were two processes given the same shard? Start "
                "again with `overwrite=True`"
            )
        total.merge_state(state)
        seen |= cov
    return total, seen


def finish_reduction(plan: Plan, out, acc=None, covered=None, skip="") -> bool:
    """Write an accumulated reduction's statistics if the saved partial states (and ``acc``
    with ``covered``, see :func:`merged_partials`) cover every chunk, and mark the store
    complete; whether it is complete. The processes that finish take turns on the store's
    lock, so the statistics are written once (a later finisher finds them written)."""
    with zpartials.finish_lock(out):
        if zstore.read_attrs(out).get("ionsweep_complete"):
            return True
        total, seen = merged_partials(plan, out, acc, covered, skip)
        if not seen.all():
            return False
        write_reduced(out, plan, total)
        zstore.consolidate(out)
        zstore.update_attrs(out, {"ionsweep_complete": True}, "complete")
        return True


def finalize(out, plan: Plan, timing: dict, *, shard=None, complete=False) -> bool:
    """Record a run's timings (per shard, and in the attrs once every chunk is done);
    whether the store is complete. A complete store gets consolidated metadata first, so
    it always has it current."""
    if shard is not None:
        zstore.write_shard_log(out, shard, timing)
    complete = complete or len(zstore.finished_chunks(out)) == plan.n_chunks
    if complete:
        zstore.consolidate(out)
        zstore.update_attrs(out, {"ionsweep_complete": True, **timing}, "complete")
    return complete
