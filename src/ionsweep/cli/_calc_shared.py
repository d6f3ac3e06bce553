"""What the quantities of ``ionsweep calc`` share: the type of their result, the table
columns of ions and potentials, a shorthand for declaring an option, and the error of a
solve that finds no root."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ionsweep.cli import _common as cm, _format

__all__ = ["COL_C_IN", "COL_C_OUT", "COL_E", "COL_ION", "Result", "no_solution", "opt"]

#: A quantity's JSON-ready dict and its lines of text.
Result = tuple[dict[str, Any], list[str]]

#: Table columns (header, key, format, units) of the valence, concentrations and potential.
COL_ION = ("z", "z", _format.fmt_z, "")
COL_C_IN = ("c_in", "c_in_mM", _format.fmt_num, "mM")
COL_C_OUT = ("c_out", "c_out_mM", _format.fmt_num, "mM")
COL_E = ("E", "E_mV", _format.fmt_mv, "mV")


def opt(
    parser: argparse._ActionsContainer,  # a parser or a group of its options
    flag: str,
    kind: Callable[[str], Any],
    help: str,
    metavar: str = "MM",
    required: bool = False,
    **kw: Any,
) -> None:
    """``parser.add_argument`` with the flag, its type, help and metavar in that order."""
    parser.add_argument(flag, type=kind, help=help, metavar=metavar, required=required, **kw)


def no_solution(T: float, argument: str, what: str) -> cm.CliError:
    """The error of a solve that found no root within ±30 RT/F at ``T`` (K)."""
    from ionsweep.constants import R_OVER_F_MV

    span = 30 * R_OVER_F_MV * T
    return cm.CliError(argument, f"no {what} within +-30 RT/F (+-{span:.0f} mV) for these inputs")
