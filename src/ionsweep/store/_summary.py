"""``ionsweep info``'s text: a store's dims, variables, provenance and completeness."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ionsweep._text import one_line
from ionsweep.store._attrs import decode_attrs
from ionsweep.store._open import open_results
from ionsweep.store._partials import load_partial, partial_files
from ionsweep.store._verify import Damage, scan
from ionsweep.store._zarr import finished_chunks

if TYPE_CHECKING:
    import os


__all__ = ["summary"]


def summary(path: str | os.PathLike[str], damages: list[Damage] | None = None) -> str:
    """Human-readable summary of a store: dims, variables with units, provenance, completeness.

    ``path`` may also be a netCDF file written from a store. A store is complete only if it
    says so and every chunk file its manifest and layout call for exists (``damages``:
    :func:`ionsweep.store._verify.scan` of it, found if None).
    """
    ds = open_results(path)
    if damages is None:  # (a netCDF file has no chunk files to scan)
        damages = scan(path) if Path(path).is_dir() else []
    a = decode_attrs(ds.attrs)
    done = len(finished_chunks(path))
    total = int(a.get("ionsweep_n_chunks", 0))
    t = one_line  # store text is data: one printable line per field, never terminal escapes
    lines = [f"store: {t(path)}"]
    if a.get("title"):
        lines.append(f"title: {t(a['title'])}")
    lines.append(
        f"model: {t(a.get('ionsweep_model', '?'))}   mode: {t(a.get('ionsweep_mode', '?'))}"
    )
    lines.append("dims: " + ", ".join(f"{t(d)}={n}" for d, n in ds.sizes.items()))
    lines.append("coordinates:")
    for name, c in ds.coords.items():
        vals = c.values
        if vals.dtype.kind in "UOT":
            shown = ", ".join(t(v) for v in vals[:8]) + (", …" if vals.size > 8 else "")
            rng = f"[{shown}]"
        else:
            rng = f"{vals.min():.6g} … {vals.max():.6g}" if c.size > 1 else f"{vals.min():.6g}"
        units, long_name = t(c.attrs.get("units", "")), t(c.attrs.get("long_name", ""))
        lines.append(f"  {t(name):<18} {_units(units)}{rng}  {long_name}")
    lines.append("variables:")
    for name, v in ds.data_vars.items():
        lines.append(
            f"  {t(name):<18} {_units(t(v.attrs.get('units', '')))}{v.dtype} "
            f"{tuple(v.dims)}  {t(v.attrs.get('long_name', ''))}"
        )
    pct = 100.0 * done / total if total else 0.0
    state = "complete" if a.get("ionsweep_complete") and not damages else "INCOMPLETE"
    if Path(path).is_file():  # a netCDF file written from a store: no manifest of chunks
        lines.append(f"netCDF file written from a store, {state}")
    elif a.get("ionsweep_mode") == "reduce-accumulate":  # chunks merge into saved states
        lines.append(_accumulated(path, total, state))
    else:
        lines.append(f"chunks: {done}/{total} finished ({pct:.1f} %), {state}")
    if damages:
        shown = "; ".join(d.line() for d in damages[:3])
        more = f"; and {len(damages) - 3} more" if len(damages) > 3 else ""
        lines.append(f"damaged: {shown}{more}")
    for key in (
        "ionsweep_version",
        "jax_version",
        "backend",
        "device",
        "dtype",
        "started",
        "finished",
        "wall_time_s",
        "points_per_s",
    ):
        if key in a:
            lines.append(f"{key}: {t(a[key])}")
    return "\n".join(lines)


def _accumulated(path: str | os.PathLike[str], total: int, state: str) -> str:
    """The chunks line of an accumulated reduction: how many chunks its processes' saved
    partial states cover."""
    if state == "complete":
        return f"chunks: all {total} chunks merged into the statistics, {state}"
    files = partial_files(path)
    covered = 0
    try:
        for f in files.values():
            covered += int(load_partial(f, total, state=False)[1].sum())
    except (OSError, ValueError, KeyError):
        return f"chunks: some of the {total} chunks merged (a saved state is unreadable), {state}"
    who = f"{len(files)} saved partial state{'s' if len(files) != 1 else ''}"
    return f"chunks: {covered}/{total} covered by {who}, statistics not yet written, {state}"


def _units(units: str) -> str:
    """``[units] `` for a line of the summary; nothing for a text or flag variable (no units)."""
    return f"[{units}] " if units else ""
