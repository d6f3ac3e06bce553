"""The measurement table of a permeability-ratio fit: reading it and refusing bad input.

A table has one row per measured reversal potential. Its columns are ``<ion>_in`` and
``<ion>_out`` (mM) for every fitted ion and every background ion, ``V_rev`` (mV) and,
optionally, ``V_rev_sd`` (mV), ``celsius`` (°C) and ``cell`` (a recording id). Ion names
in column names may be canonical names or aliases (``K+_in``, ``K_in``, ``potassium_in``).
Other columns are ignored. The table may be a CSV file, a pandas DataFrame, an xarray
Dataset (1-D variables along one dimension; 0-d variables apply to every row) or a mapping
of column names to sequences.

Every check runs here (the columns' source is read by :mod:`~ionsweep.analysis._fit_columns`),
before any computation, and a failure raises :class:`FitInputError`, whose ``field`` names the
argument or column at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.analysis._fit_columns import RowNames, column_numbers, ion_columns, table_columns
from ionsweep.analysis._fit_errors import FitInputError, _listed
from ionsweep.constants import ZERO_CELSIUS

__all__ = ["Measurements", "read_measurements"]


@dataclass(frozen=True)
class Measurements:
    """A checked measurement table as arrays (n rows, k fitted ions, b background ions)."""

    ions: tuple[str, ...]
    z: tuple[int, ...]
    c_in: np.ndarray  # (n, k) mM
    c_out: np.ndarray  # (n, k) mM
    background: tuple[str, ...]
    b_in: np.ndarray  # (n, b) mM
    b_out: np.ndarray  # (n, b) mM
    V: np.ndarray  # (n,) mV
    sd: np.ndarray | None  # (n,) mV
    T: np.ndarray  # (n,) K
    cell: np.ndarray | None  # (n,) recording ids (str)
    row_names: RowNames

    @property
    def n(self) -> int:
        return len(self.V)


def _canonical(names: Sequence[str], field: str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    out: list[str] = []
    for name in names:
        try:
            canon = ion_table.canonical(name)
        except KeyError as exc:
            raise FitInputError(field, str(exc.args[0])) from None
        if canon in out:
            raise FitInputError(field, f"ion {canon} is listed twice")
        out.append(canon)
    return tuple(out)


def read_measurements(
    data: Any,
    ions: Sequence[str],
    reference: str,
    T: Any = None,
    background_ions: Sequence[str] = (),
    inside: Mapping[str, float] | None = None,
) -> tuple[Measurements, int]:
    """Read and check a measurement table.

    Returns the :class:`Measurements` and the position of ``reference`` in their ions.
    With ``inside`` (mM by ion name: one inside solution for every row, such as a
    pipette's), the ``<ion>_in`` columns are optional: an ion's inside concentration is
    its value there (0 when not listed), and a column the table does have must agree.
    Raises :class:`FitInputError` naming the field for every problem listed in the module
    docstring of :mod:`ionsweep.analysis._fit`.
    """
    names, ref, background = _names(ions, reference, background_ions)
    table = _Table.read(data, names + background, inside)
    c_in, c_out = table.concentrations(names, "in"), table.concentrations(names, "out")
    b_in, b_out = table.concentrations(background, "in"), table.concentrations(background, "out")
    V = table.numbers("V_rev")
    sd = table.numbers("V_rev_sd") if "V_rev_sd" in table.columns else None
    if sd is not None and np.any(sd <= 0):
        bad = np.flatnonzero(sd <= 0)
        raise FitInputError(
            "V_rev_sd", f"V_rev_sd must be > 0 mV; see {_listed([table.row_names[i] for i in bad])}"
        )
    T_rows = _temperature(table.columns, T, table.n, table.numbers)
    cell = table.cells()
    z = tuple(ion_table.valence(ion) for ion in names)
    _check_carriers(np.asarray(z), c_in, c_out, names, table.row_names)
    m = Measurements(
        names, z, c_in, c_out, background, b_in, b_out, V, sd, T_rows, cell, table.row_names
    )
    return m, names.index(ref)


def _names(ions, reference, background_ions):
    """Canonical fitted ions, reference and background ions, checked against each other."""
    names = _canonical(ions, "ions")
    if not names:
        raise FitInputError("ions", "no ions given")
    (ref,) = _canonical([reference], "reference")
    if ref not in names:
        among = ", ".join(names)
        raise FitInputError("reference", f"reference {ref} is not among the ions {among}")
    background = _canonical(background_ions, "background_ions")
    both = sorted(set(background) & set(names))
    if both:
        raise FitInputError("background_ions", f"{_listed(both)} cannot be fitted and background")
    return names, ref, background


@dataclass(frozen=True)
class _Table:
    """The columns of a table with n rows, read as checked numbers."""

    columns: dict[str, Any]
    by_ion: dict[tuple[str, str], str]
    n: int
    row_names: RowNames
    inside: dict[str, float] | None

    @classmethod
    def read(cls, data: Any, ions: Sequence[str], inside: Mapping[str, float] | None):
        """The table of ``data``, refused when a column that ``ions`` need is missing."""
        columns, is_csv = table_columns(data)
        by_ion = ion_columns(columns)
        inside = None if inside is None else dict(inside)
        sides = ("out",) if inside is not None else ("in", "out")
        wanted = [(ion, side) for ion in ions for side in sides]
        missing = [f"{ion}_{side}" for ion, side in wanted if (ion, side) not in by_ion]
        missing += [c for c in ("V_rev",) if c not in columns]
        if missing:
            found = ", ".join(repr(c) for c in list(columns)[:12])
            raise FitInputError(
                missing[0],
                f"missing column(s) {', '.join(repr(m) for m in missing)} (the table has {found})",
            )
        n = len(columns["V_rev"])
        if n == 0:
            raise FitInputError("data", "the table has no rows")
        return cls(columns, by_ion, n, RowNames(is_csv), inside)

    def numbers(self, col: str) -> np.ndarray:
        """Column ``col`` as n finite floats."""
        values = column_numbers(self.columns, col, self.row_names)
        if values.shape != (self.n,):
            raise FitInputError(col, f"column {col!r} has {values.size} values for {self.n} rows")
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise FitInputError(
                col,
                f"column {col!r} has NaN, infinite or empty values at "
                f"{_listed([self.row_names[i] for i in bad])}; remove or fill those rows",
            )
        return values

    def concentrations(self, ion_names: Sequence[str], side: str) -> np.ndarray:
        """(n, len(ion_names)) concentrations of one side, mM, each checked."""
        out = np.zeros((self.n, len(ion_names)))
        for j, ion in enumerate(ion_names):
            if side == "in" and self.inside is not None:
                out[:, j] = self._given_inside(ion)
            else:
                out[:, j] = self._concentration(self.by_ion[(ion, side)])
        return out

    def _concentration(self, col: str) -> np.ndarray:
        values = self.numbers(col)
        huge = np.flatnonzero(values > MAX_CONCENTRATION_MM)
        if huge.size:
            raise FitInputError(
                col,
                f"concentration {values[huge[0]]:g} mM in column {col!r} at "
                f"{_listed([self.row_names[i] for i in huge])} is above "
                f"{MAX_CONCENTRATION_MM:g} mM (100 M), no physical solution; values this "
                "large overflow the GHK sums",
            )
        neg = np.flatnonzero(values < 0)
        if neg.size:
            raise FitInputError(
                col,
                f"negative concentration in column {col!r} at "
                f"{_listed([self.row_names[i] for i in neg])} ({values[neg[0]]:g} mM); "
                "concentrations must be >= 0 (0 means the ion is absent on that side)",
            )
        return values

    def _given_inside(self, ion: str) -> np.ndarray:
        """An ion's inside concentration from the one inside composition (0 if absent
        there); a column the table has for it must hold the same value on every row."""
        value = float((self.inside or {}).get(ion, 0.0))
        col = self.by_ion.get((ion, "in"))
        if col is not None:
            values = self._concentration(col)
            off = np.flatnonzero(~np.isclose(values, value, rtol=1e-9, atol=0.0))
            if off.size:
                raise FitInputError(
                    col,
                    f"column {col!r} gives {values[off[0]]:g} mM at "
                    f"{self.row_names[int(off[0])]}, but the pipette (inside) solution has "
                    f"{value:g} mM {ion}; drop the column or make them agree",
                )
        return np.full(self.n, value)

    def cells(self) -> np.ndarray | None:
        """The ``cell`` column as text, or None."""
        if "cell" not in self.columns:
            return None
        cell = np.asarray(self.columns["cell"]).astype(str).reshape(-1)
        if cell.shape != (self.n,):
            raise FitInputError("cell", f"column 'cell' has {cell.size} values for {self.n} rows")
        empty = np.flatnonzero(np.isin(cell, ["", "nan", "None"]))
        if empty.size:
            listed = _listed([self.row_names[i] for i in empty])
            raise FitInputError("cell", f"column 'cell' is empty at {listed}")
        return cell


#: Largest concentration a measurement table may hold, mM (100 M: above any real solution).
MAX_CONCENTRATION_MM = 1e5


def _temperature(columns, T, n, numbers) -> np.ndarray:
    """Temperature of each row, K, from T or the 'celsius' column (both: they must agree)."""
    given = None
    if T is not None:
        try:
            given = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
        except (TypeError, ValueError):
            raise FitInputError("T", f"T must be a number (K) or one per row; got {T!r}") from None
        if not np.all(np.isfinite(given)) or np.any(given <= 0):
            raise FitInputError("T", f"temperature must be finite and > 0 K; got {T!r}")
    if "celsius" not in columns:
        if given is None:
            raise FitInputError("T", "no temperature: give T (K) or a 'celsius' column")
        return given
    celsius = numbers("celsius")
    if np.any(celsius <= -ZERO_CELSIUS):
        raise FitInputError("celsius", "column 'celsius' has values at or below -273.15 °C")
    kelvin = celsius + ZERO_CELSIUS
    if given is not None and not np.allclose(given, kelvin, rtol=0, atol=1e-6):
        i = int(np.argmax(np.abs(given - kelvin)))
        raise FitInputError(
            "T",
            f"T ({given[i]:g} K) disagrees with the table's 'celsius' column "
            f"({celsius[i]:g} °C = {kelvin[i]:g} K); give one of them",
        )
    return kelvin


def _check_carriers(z, c_in, c_out, names, row_names) -> None:
    """Each row needs a fitted ion that can carry outward and one that can carry inward
    current; otherwise no reversal potential exists for any permeability ratios."""
    cation = z > 0
    outward = np.where(cation, c_in, c_out) > 0
    inward = np.where(cation, c_out, c_in) > 0
    for ok, direction, side, other in (
        (outward, "outward", "inside", "outside"),
        (inward, "inward", "outside", "inside"),
    ):
        bad = np.flatnonzero(~ok.any(axis=1))
        if bad.size:
            raise FitInputError(
                "data",
                f"no reversal potential at {_listed([row_names[i] for i in bad])}: none of "
                f"{', '.join(names)} can carry {direction} current there (that needs a cation "
                f"{side} or an anion {other} with c > 0)",
            )
