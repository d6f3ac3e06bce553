"""The checks before a run touches its store: the run's flags, the output path, the store
on disk (its spec, dtype, version and chunk shape) and the free space, giving what the run
will do (:class:`StoreCheck`). Nothing here writes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from ionsweep.store import _zarr as zstore
from ionsweep.store._dataset import versions
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._chunks import format_bytes
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._store_layout import store_bytes

if TYPE_CHECKING:
    import zarr

__all__ = ["StoreCheck", "check_flags", "check_store", "identity"]


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
