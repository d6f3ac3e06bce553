"""Output of the command line: kernel results as floats, aligned tables, number formats."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "Column",
    "align",
    "fmt_conc",
    "fmt_mv",
    "fmt_num",
    "fmt_z",
    "records",
    "table",
    "to_floats",
]


def to_floats(x: Any) -> list[float]:
    """A kernel's result as a flat list of Python floats."""
    import numpy as np

    return np.asarray(x, dtype=np.float64).reshape(-1).tolist()


#: A column of :func:`table`: label, key of the result entry, formatter, unit.
Column = tuple[str, str, Callable[[Any], str], str]


def records(keys: Sequence[str], *columns: Sequence[Any]) -> list[dict[str, Any]]:
    """One dict per ion from parallel per-ion lists (``keys[i]`` names ``columns[i]``)."""
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def table(entries: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[str]:
    """Aligned lines, one per ion: its name, then ``label = value unit`` for each column.

    Columns whose key an entry lacks are skipped; a None value prints as ``undefined``;
    an empty label prints the value alone (a sentence).
    """
    rows = []
    for entry in entries:
        row = [entry["ion"]]
        for label, key, fmt, unit in columns:
            value = entry.get(key, ...)
            if value is ...:
                continue
            # A leading space on each label cell separates fields by two spaces.
            if not label:
                row.append(f" {fmt(value)}")
                continue
            shown = ["undefined", ""] if value is None else [fmt(value), unit]
            row += [f" {label} =", *shown]
        rows.append(row)
    return align(rows)


_NUMBER = re.compile(r"^[+-]?(\d|\.\d)")


def fmt_mv(value: float) -> str:
    """A potential in mV with sign and 2 decimals (no ``-0.00``)."""
    return f"{0.0 if round(value, 2) == 0 else value:+.2f}"


def fmt_z(value: int) -> str:
    """A valence with its sign (``+2``, ``-1``)."""
    return f"{value:+d}"


def fmt_num(value: float) -> str:
    """An input value echoed compactly (``140``, ``0.04``, ``1e-06``)."""
    return f"{value:g}"


def fmt_conc(value: float) -> str:
    """A computed concentration in mM: 2 decimals, or 3 significant digits when small."""
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.3g}"


def align(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Align cells in columns: numbers right-justified, text left-justified."""
    width: dict[int, int] = {}
    for row in rows:
        for i, cell in enumerate(row):
            width[i] = max(width.get(i, 0), len(cell))
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width[i]) if _NUMBER.match(cell) else cell.ljust(width[i])
            for i, cell in enumerate(row)
            if width[i]  # a column empty in every row takes no space
        ]
        lines.append((indent + " ".join(cells)).rstrip())
    return lines
