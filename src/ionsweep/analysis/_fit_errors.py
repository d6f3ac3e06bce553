"""The errors and warnings of a permeability-ratio fit, and the short lists of rows or names
their messages show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["FitInputError", "FitWarning"]

_MAX_LISTED = 5


class FitInputError(ValueError):
    """Bad input to :func:`~ionsweep.fit_permeability_ratios`.

    Parameters
    ----------
    field : str
        The argument (``"ions"``, ``"T"``) or table column (``"Na+_out"``) at fault.
    message : str
        What is wrong, in one line.
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class FitWarning(UserWarning):
    """A fitted number that cannot be trusted: unidentifiable, unconverged, no dof."""


def _listed(items: Sequence[Any]) -> str:
    shown = ", ".join(str(i) for i in items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
