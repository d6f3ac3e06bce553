"""The columns of a measurement table read from its source: a CSV file, a pandas DataFrame,
an xarray Dataset or a mapping of column names to sequences; a column read as numbers, and
the columns of each ion and side found by name (aliases included).

Every problem raises :class:`~ionsweep.analysis.FitInputError` naming the column or
``"data"``; rows are named as the user sees them (:class:`RowNames`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionsweep._ions import ions as ion_table
from ionsweep.analysis._fit_errors import FitInputError, _listed

__all__ = ["RowNames", "column_numbers", "ion_columns", "table_columns"]


@dataclass(frozen=True)
class RowNames:
    """Names of table rows for messages: ``"line 5"`` (CSV, counting the header) or
    ``"row 3"`` (0-based position in a DataFrame, Dataset or mapping)."""

    csv: bool

    def __getitem__(self, i: int | np.integer) -> str:
        return f"line {i + 2}" if self.csv else f"row {i}"


def _read_csv(path: Path) -> dict[str, pd.Series]:
    """Columns of a CSV file as text (cells stripped, blank rows dropped), by header name."""
    try:
        raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise FitInputError("data", f"no such file: {path}") from None
    except pd.errors.EmptyDataError:
        raise FitInputError("data", f"{path} is empty (expected a header line)") from None
    except pd.errors.ParserError as exc:
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if fields:
            expected, line, seen = fields.groups()
            raise FitInputError(
                "data", f"{path}, line {line}: {seen} fields, header has {expected}"
            ) from None
        raise FitInputError("data", f"cannot read {path}: {exc}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FitInputError("data", f"cannot read {path}: {exc}") from None
    raw = raw.fillna("")  # missing trailing fields of a short row: empty cells
    header = [str(h).strip() for h in raw.iloc[0]]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise FitInputError(dup[0], f"{path}: duplicate column(s) {_listed(dup)}")
    # a needed column reports the empty cells of a short row below, naming its line
    body = raw.iloc[1:].apply(lambda col: col.str.strip())
    body = body[(body != "").any(axis=1)]  # rows of empty cells only, like blank lines
    return {h: body[c].reset_index(drop=True) for h, c in zip(header, body.columns, strict=True)}


def table_columns(data: Any) -> tuple[dict[str, Any], bool]:
    """Columns of ``data`` by name, and whether the rows are lines of a CSV file."""
    if isinstance(data, str | os.PathLike):
        return _read_csv(Path(data)), True
    if hasattr(data, "data_vars") and hasattr(data, "variables"):  # xarray.Dataset
        variables = {str(name): np.asarray(var.values) for name, var in data.variables.items()}
        dims = {v.dims for v in data.variables.values() if v.ndim > 0}
        if len(dims) > 1 or any(len(d) > 1 for d in dims):
            raise FitInputError("data", f"Dataset variables must share one dimension; got {dims}")
        n = max((v.shape[0] for v in variables.values() if v.ndim == 1), default=0)
        return {
            k: (np.full(n, v.item(), dtype=v.dtype) if v.ndim == 0 else v)
            for k, v in variables.items()
        }, False
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # pandas.DataFrame
        return {str(c): np.asarray(data[c]) for c in data.columns}, False
    if isinstance(data, Mapping):
        return {str(k): np.asarray(v) for k, v in data.items()}, False
    raise FitInputError(
        "data",
        f"expected a CSV path, DataFrame, xarray Dataset or mapping of columns; "
        f"got {type(data).__name__}",
    )


def column_numbers(columns: dict[str, Any], name: str, row_names: RowNames) -> np.ndarray:
    values = columns[name]
    if row_names.csv:  # CSV text: empty and "nan" cells are NaN, anything else must parse
        out = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        missing = values.str.lower().isin(["", "nan", "+nan", "-nan"]).to_numpy()
        bad = np.flatnonzero(np.isnan(out) & ~missing)
        if bad.size:
            i = int(bad[0])
            raise FitInputError(
                name, f"column {name!r}: {values.iloc[i]!r} at {row_names[i]} is not a number"
            )
        return out
    try:
        return np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise FitInputError(name, f"column {name!r} is not numeric") from None


def ion_columns(columns: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(canonical ion, "in" | "out") -> column name, for columns named ``<ion>_<side>``."""
    found: dict[tuple[str, str], str] = {}
    for col in columns:
        prefix, sep, side = col.rpartition("_")
        if not sep or side not in ("in", "out") or prefix not in ion_table:
            continue
        key = (ion_table.canonical(prefix), side)
        if key in found:
            both = f"columns {found[key]!r} and {col!r} both give {key[0]} {side}"
            raise FitInputError(col, both)
        found[key] = col
    return found
