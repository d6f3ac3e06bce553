"""The plan's store: its layout from a plan, attributes (provenance, versions, identity),
the checks before a run touches it, atomic creation, chunk writes with the manifest, the
final reduced variables and completion.

The executor hands this module regions and arrays; everything about zarr lives in
:mod:`ionsweep.store`, which knows no plan.
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

from ionsweep._faults import checkpoint
from ionsweep.models import FLAG_MEANINGS, VALID_FLAGS, label_index
from ionsweep.store import _partials as zpartials
from ionsweep.store import _zarr as zstore
from ionsweep.store._dataset import is_text as _is_text
from ionsweep.store._dataset import label_codes, provenance, versions
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._chunks import format_bytes
from ionsweep.sweep._plan import Plan, PlanWarning, mode
from ionsweep.sweep._reduce import Accumulator

if TYPE_CHECKING:
    import os


if TYPE_CHECKING:
    import zarr

__all__ = [
    "StoreCheck",
    "StoreLayout",
    "check_flags",
    "check_store",
    "finalize",
    "finish_reduction",
    "merged_partials",
    "identity",
    "lay_out",
    "prepare_store",
    "reduced_layout",
    "store_attrs",
    "store_bytes",
    "store_layout",
    "write_chunk",
    "write_reduced",
]


def _fixed_coords(plan: Plan) -> list:
    """The fixed inputs (given in ``[fixed]`` or defaulted) as scalar coordinates."""
    taken = set(plan.dims) | {k for a in plan.axes for k in a.extra_coords}
    taken |= {name for name, _, _ in plan.variables()} | {"valid"}
    coords: list[tuple] = []
    for name, value in plan.fixed.items():
        inp = plan.model.input(name)
        if name in taken:
            continue
        long_name = f"{inp.long_name} (fixed)"
        label = _fixed_label(inp, value)
        if label is not None:  # a categorical input: its label, text without units (CF)
            coords.append((name, [], np.asarray(label), {"long_name": long_name}))
            continue
        coords.append(
            (
                name,
                [],
                np.asarray(value, np.float64),
                {"units": inp.units or "1", "long_name": long_name},
            )
        )
    return coords


def _fixed_label(inp, value) -> str | None:
    """The label (an activity model's name) of the value of a fixed categorical input."""
    if inp.labels != "activity_model":
        return None
    return next((c for c in inp.choices or () if label_index(inp, c, inp.name) == value), None)


def _coordinates_attr(plan: Plan, dims) -> dict:
    """CF ``coordinates`` attribute: the zip-axis members along ``dims`` and the fixed
    inputs (scalar coordinates)."""
    names = [k for a in plan.axes if a.name in dims for k in a.extra_coords]
    names += [f"{a.name}_code" for a in plan.axes if a.name in dims and _is_text(a.coord)]
    names += [c[0] for c in _fixed_coords(plan)]
    return {"coordinates": " ".join(names)} if names else {}


class StoreLayout(NamedTuple):
    """What a plan's store holds, laid out once per plan (:attr:`Plan.layout`)."""

    #: Chunked variables, laid out up front: (name, dims, shape, chunks, dtype, attrs).
    variables: tuple
    #: Coordinates: (name, dims, values, attrs).
    coords: tuple
    #: Reduced variables (name, dims, dtype, attrs), in the reduce modes (else empty).
    reduced: tuple
    #: Their histogram bin coordinates (name, dims, values, attrs).
    bins: tuple


def lay_out(plan: Plan) -> StoreLayout:
    """The layout of ``plan``'s store; read it as ``plan.layout`` (computed once)."""
    reduced, bins = _reduced_layout(plan) if plan.reduce is not None else ([], [])
    variables, coords = _store_layout(plan, reduced, bins)
    return StoreLayout(tuple(variables), tuple(coords), tuple(reduced), tuple(bins))


def reduced_layout(plan: Plan):
    """Reduced variables (name, dims, dtype, attrs) and histogram bin coordinates, as
    lists (of ``plan.layout``)."""
    return list(plan.layout.reduced), list(plan.layout.bins)


def store_layout(plan: Plan):
    """(variables, coords) for the store, as lists (of ``plan.layout``): variables as
    (name, dims, shape, chunks, dtype, attrs), coords as (name, dims, values, attrs)."""
    return list(plan.layout.variables), list(plan.layout.coords)


def _reduced_layout(plan: Plan):
    """Reduced variables (name, dims, dtype, attrs) and histogram bin coordinates."""
    probe = Accumulator(plan, tuple(slice(0, 1) for _ in plan.dims))
    variables, coords = [], []
    for name, (values, dims, units, long_name) in probe.results().items():
        v = np.asarray(values)
        dtype = str if v.dtype.kind == "U" else (plan.dtype if v.dtype.kind == "f" else v.dtype)
        variables.append(
            (
                name,
                list(dims),
                dtype,
                {"units": units, "long_name": long_name, **_coordinates_attr(plan, dims)},
            )
        )
    for var, bins, lo, hi in plan.reduction.histograms:
        edges = np.linspace(lo, hi, bins + 1)
        coords.append(
            (
                f"{var}_bin",
                [f"{var}_bin"],
                0.5 * (edges[:-1] + edges[1:]),
                {"units": plan.model.output(var).units, "long_name": f"{var} bin centre"},
            )
        )
    return variables, coords


def _store_layout(plan: Plan, reduced, bins):
    """(variables, coords) for the store, given its ``reduced`` variables and their
    ``bins`` (see :func:`_reduced_layout`)."""
    m = mode(plan)
    kept = plan.dims if m == "store" else [d for d in plan.dims if d not in plan.reduction.over]
    coords = _axis_coords(plan, kept) + _fixed_coords(plan)
    if m == "store":
        return _point_variables(plan), coords
    if m == "reduce-direct":
        return _direct_variables(plan, reduced, bins), coords + list(bins)
    return [], coords


def _axis_coords(plan: Plan, kept) -> list:
    """The coordinates of the ``kept`` axes: their values, the integer codes of text
    labels, and the members of zip axes."""
    coords = []
    for axis in plan.axes:
        if axis.name not in kept:
            continue
        coords.append(
            (
                axis.name,
                [axis.name],
                axis.coord,
                {  # no units on text labels (CF)
                    **({} if _is_text(axis.coord) else {"units": axis.units or "1"}),
                    "long_name": axis.long_name,
                },
            )
        )
        if _is_text(axis.coord):
            coords.append(label_codes(axis.name, axis.coord, axis.long_name))
        for key, (vals, units, long_name) in axis.extra_coords.items():
            coords.append((key, [axis.name], vals, {"units": units, "long_name": long_name}))
    return coords


def _point_variables(plan: Plan) -> list:
    """Store mode: every output (and derivative) at every point, and the ``valid`` flag."""
    extra = _coordinates_attr(plan, plan.dims)
    shape, chunks = plan.shape, plan.chunks
    variables = [
        (name, list(plan.dims), shape, chunks, plan.dtype, {"units": u, "long_name": ln, **extra})
        for name, u, ln in plan.variables()
    ]
    flags = {  # a flag variable: no units (CF)
        "long_name": "validity of each point: "
        + ", ".join(f"{v} = {text}" for v, _, text in VALID_FLAGS),
        "flag_values": [v for v, _, _ in VALID_FLAGS],
        "flag_meanings": FLAG_MEANINGS,
        **extra,
    }
    return variables + [("valid", list(plan.dims), shape, chunks, "uint8", flags)]


def _direct_variables(plan: Plan, reduced, bins) -> list:
    """Reduce-direct mode: the statistics, chunked as the kept axes are (each chunk's
    statistics are final and written at once)."""
    size = dict(zip(plan.dims, plan.shape, strict=True))
    chunk = dict(zip(plan.dims, plan.chunks, strict=True))
    n_bins = {c[0]: len(c[2]) for c in bins}
    variables = []
    for name, dims, dtype, attrs in reduced:
        shape = tuple(size.get(d) or n_bins[d] for d in dims)
        chunks = tuple(chunk.get(d, n) for d, n in zip(dims, shape, strict=True))
        variables.append((name, dims, shape, chunks, dtype, attrs))
    return variables


def store_attrs(plan: Plan, devices) -> dict:
    """Root attributes of a new sweep store (not yet complete)."""
    return provenance(
        plan, devices, mode=mode(plan), n_chunks=plan.n_chunks, n_points=plan.n_points
    )


class StoreCheck(NamedTuple):
    """What a run will do with its store (see :func:`check_store`)."""

    #: ``"new"``, ``"replace"``, ``"resume"``, ``"join"`` or ``"complete"``.
    state: str
    #: The plan to run: the given one, with the store's chunk shape where they differ.
    plan: Plan
    #: What was adopted from the store or cleaned up, in sentences, for the user.
    notes: tuple[str, ...] = ()
    #: With ``repair``: the damage found (one line each), recomputed by the run.
    repaired: tuple[str, ...] = ()


def identity(plan: Plan) -> dict:
    """Everything that decides a store's layout and values (stored as an attribute)."""
    return {
        "spec_sha256": plan.spec_hash,
        "model": plan.model_name,
        "shape": list(plan.shape),
        "chunks": list(plan.chunks),
        "dtype": plan.dtype,
        "mode": mode(plan),
        "ionsweep_version": versions()["ionsweep_version"],
    }


def _shape_text(shape) -> str:
    return " × ".join(str(int(n)) for n in shape)


def _adopt(plan: Plan, out: Path, attrs: dict) -> tuple[Plan, list[str]]:
    """``plan`` made to match the store it resumes or joins, or StoreError naming what
    differs. The chunk shape is adopted (it changes the layout, not the values); a
    different dtype or ionsweep version would change values and is refused."""
    ident = attrs.get("ionsweep_identity") or {}
    dtype = ident.get("dtype", attrs.get("dtype"))
    if dtype and dtype != plan.dtype:
        raise StoreError(
            f"{out} holds {dtype} values but this run computes {plan.dtype}; finishing it "
            f"would mix precisions: resume with dtype {dtype}, or start a new store"
        )
    mine = versions()["ionsweep_version"]
    theirs = ident.get("ionsweep_version", attrs.get("ionsweep_version"))
    if theirs and theirs != mine:
        raise StoreError(
            f"{out} was written by ionsweep {theirs}, this is {mine}; values may differ: "
            "finish it with that version, or start a new store"
        )
    chunks = tuple(ident.get("chunks") or ())
    if not chunks and mode(plan) == "store" and zstore.looks_like_zarr(out / "valid"):
        chunks = tuple(cast("zarr.Array", zstore.open_group_rw(out)["valid"]).chunks)
    notes = []
    if chunks and chunks != plan.chunks:
        if len(chunks) != len(plan.chunks) or any(c < 1 for c in chunks):
            raise StoreError(f"{out}: its chunk shape {chunks} does not fit this spec's grid")
        notes.append(
            f"using the store's chunk shape {_shape_text(chunks)} (this run's memory budget "
            f"and device alone would give {_shape_text(plan.chunks)})"
        )
        plan = replace(plan, chunks=chunks)
    return plan, notes


def store_bytes(plan: Plan) -> int:
    """Uncompressed bytes of the store's data variables."""
    variables, _ = store_layout(plan)
    return sum(
        math.prod(v[2]) * (np.dtype(v[4]).itemsize if v[4] is not str else 16) for v in variables
    )


def _check_space(plan: Plan, out: Path) -> None:
    """Refuse a store-mode run that cannot fit on its disk, before anything is written."""
    if mode(plan) != "store":
        return
    need = store_bytes(plan)
    where = out.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if need > free:
        raise StoreError(
            f"this sweep stores up to {format_bytes(need)} (uncompressed, {plan.n_points:,} "
            f"points) but {where} has {format_bytes(free)} free; sweep fewer points, write "
            "elsewhere, or keep statistics only with a [reduce] table"
        )


def check_store(
    plan: Plan,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    shard: tuple[int, int] | None = None,
    repair: bool = False,
) -> StoreCheck:
    """What a run would do with ``out``, and the plan to run; touches nothing.

    Raises ``ValueError`` for flags that contradict each other (``resume`` with
    ``overwrite``, ``repair`` without ``resume`` or with ``shard``, ``overwrite`` with
    ``shard``), and :class:`StoreError` naming the reason if the store on disk refuses the
    run: it exists and no flag allows using it; it was written from another spec, dtype or ionsweep
    version; ``out`` is not a store ionsweep wrote (which ``overwrite`` never deletes, nor
    anything through a symbolic link); there is no store to resume; its metadata is corrupt;
    or the store would not fit on the disk. A shard joins a store of the same spec without
    a flag. Resuming or joining adopts the store's chunk shape (``StoreCheck.notes`` says so).
    A resume is refused if chunk files its manifest calls finished are missing, unless
    ``repair`` (which needs ``resume``) asks to recompute them.
    """
    out = Path(out)
    check_flags(resume=resume, overwrite=overwrite, shard=shard, repair=repair)
    _check_own_directory(out)
    _check_writable(out)
    kind = zstore.store_kind(out)
    if overwrite and kind not in ("missing", "empty-dir"):
        zstore.check_removable(out)
        _check_space(plan, out)
        return StoreCheck("replace", plan)
    if kind == "ionsweep":
        attrs = zstore.read_attrs(out)
        if attrs.get("ionsweep_spec_sha256") != plan.spec_hash:
            raise StoreError(
                f"{out} was written from a different spec; refusing to use it "
                "(use `overwrite=True` to start again)"
            )
        if not resume and shard is None:
            raise StoreError(
                f"{out} already exists; use `resume=True` to finish it or `overwrite=True` "
                "to replace it"
            )
        plan, notes = _adopt(plan, out, attrs)
        if resume and not repair:
            from ionsweep.store._verify import refuse_damaged

            refuse_damaged(out)
        if attrs.get("ionsweep_complete"):
            return StoreCheck("complete", plan, tuple(notes))
        return StoreCheck("join" if shard is not None else "resume", plan, tuple(notes))
    if kind == "foreign-zarr":
        raise StoreError(f"{out} is a zarr store that ionsweep did not write; refusing to touch it")
    if kind == "other":
        raise StoreError(f"{out} exists and is not an ionsweep store; refusing to touch it")
    if resume:
        stale = list(out.parent.glob(f"{out.name}.init-*")) if out.parent.exists() else []
        hint = (
            f" ({len(stale)} unfinished creation(s) of it were found and will be cleaned)"
            if stale
            else ""
        )
        raise StoreError(f"{out}: no store to resume{hint}; run without `resume=True` to start it")
    _check_space(plan, out)
    return StoreCheck("new", plan)


def check_flags(*, resume: bool, overwrite: bool, shard, repair: bool) -> None:
    """``ValueError`` for a run's flags that contradict each other."""
    if resume and overwrite:
        raise ValueError("choose `resume=True` or `overwrite=True`, not both")
    if repair and not resume:
        raise ValueError(
            "`repair=True` recomputes damaged chunks of a store it resumes: add `resume=True`"
        )
    if repair and shard is not None:
        raise ValueError("`repair=True` runs in one process: leave out `shard`")
    if shard is not None and overwrite:
        raise ValueError(
            "`overwrite=True` with `shard` would let one shard delete another's work; "
            "remove the store first"
        )


def _check_own_directory(out: Path) -> None:
    """Refuse a store path that is the current directory, one above it or the filesystem
    root: a store is a directory of its own, never the place the user works in."""
    where, cwd = out.resolve(), Path.cwd().resolve()
    if where == cwd or where in cwd.parents or where == Path(where.anchor):
        raise StoreError(
            f"{str(out) or '.'} is the current directory, one above it or the filesystem root; "
            "name a directory of the store's own, such as results.zarr"
        )


def _check_writable(out: Path) -> None:
    """Refuse an output whose nearest existing ancestor is no writable directory."""
    where = out.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        raise StoreError(f"{out}: cannot create it: {where} is not a directory")
    if not os.access(where, os.W_OK | os.X_OK):
        raise StoreError(f"{out}: cannot create it: no permission to write in {where}")


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
        checked = check_store(
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
    return check_store(plan, out, shard=shard or (0, 1))


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
            {"units": units, "long_name": long_name, **_coordinates_attr(plan, dims)}
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
