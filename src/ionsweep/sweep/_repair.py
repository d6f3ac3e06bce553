"""Repairing a damaged store: exactly what is lost is computed again.

A chunk of a variable that is missing or corrupt is taken out of the manifest, so the
ordinary resume computes it again (chunks are written whole and deterministically, so the
store ends equal to a clean run); a damaged coordinate or array header is written again
from the plan. An accumulated reduction keeps only statistics over the whole grid: they are
rewritten from the reduction states the run saved, and cannot be repaired if that is lost.
"""

from __future__ import annotations

from pathlib import Path

from ionsweep.store import _zarr as zstore
from ionsweep.store._layout import PARTIALS_DIR, read_layout
from ionsweep.store._verify import Damage, damaged_keys, scan, unmark
from ionsweep.store._zarr import StoreError
from ionsweep.sweep._plan import Plan, mode
from ionsweep.sweep._store import merged_partials, write_reduced
from ionsweep.sweep._store_check import StoreCheck
from ionsweep.sweep._store_layout import store_layout

__all__ = ["repair_store"]


def repair_store(checked: StoreCheck, out: Path) -> StoreCheck:
    """Read every chunk of ``out`` and prepare the repair of what is missing or corrupt.

    ``checked`` is what :func:`~ionsweep.sweep._store.prepare_store` found for a resume.
    Returns it with ``state`` ``"resume"`` (the damaged chunks are taken out of the
    manifest: the run computes them) or ``"complete"`` (nothing left to compute), and the
    damage found in ``repaired``. Raises StoreError for damage that cannot be recomputed.
    """
    out = Path(out)
    plan = checked.plan
    if checked.state not in ("resume", "complete", "join"):
        return checked  # a store just created: nothing to repair
    damages = scan(out, read=True)
    if not damages:
        note = "every chunk was read back intact: nothing to repair"
        return checked._replace(notes=(*checked.notes, note))
    found = tuple(d.line() for d in damages)
    if mode(plan) == "reduce-accumulate":
        return checked._replace(state=_repair_statistics(plan, out, damages), repaired=found)
    keys = damaged_keys(out, damages)
    zstore.update_attrs(out, {"ionsweep_complete": False}, "repair start")
    _rewrite_arrays(plan, out, damages)
    unmark(out, keys)
    return checked._replace(state="resume", repaired=found)


def _rewrite_arrays(plan: Plan, out: Path, damages: list[Damage]) -> None:
    """Write damaged coordinates again, whole, and create again the variables whose array
    metadata is lost (their finished chunks are recomputed)."""
    variables, coords = store_layout(plan)
    coords = {c[0]: c for c in coords}
    variables = {v[0]: v for v in variables}
    group = zstore.open_group_rw(out)
    for name in dict.fromkeys(d.array for d in damages):
        if name in coords:
            zstore.write_coord(group, *coords[name], overwrite=True)
        elif name in variables and any(d.index is None for d in damages if d.array == name):
            zstore.new_variable(group, *variables[name], overwrite=True)


def _repair_statistics(plan: Plan, out: Path, damages: list[Damage]) -> str:
    """Repair an accumulated reduction's store; the state to continue from."""
    lost = [d for d in damages if d.array.startswith(f"{zstore.MANIFEST_DIR}/{PARTIALS_DIR}")]
    if lost:
        raise StoreError(
            f"{out}: {lost[0].line()}; its statistics span the whole grid and cannot be "
            "recomputed chunk by chunk: start again with `overwrite=True`"
        )
    complete = zstore.read_attrs(out).get("ionsweep_complete") is True
    zstore.update_attrs(out, {"ionsweep_complete": False}, "repair start")
    _rewrite_arrays(plan, out, [d for d in damages if d.array not in read_layout(out).final])
    if not complete:
        return "resume"
    acc, _ = merged_partials(plan, out)
    write_reduced(out, plan, acc)
    zstore.consolidate(out)
    zstore.update_attrs(out, {"ionsweep_complete": True}, "complete")
    return "complete"
