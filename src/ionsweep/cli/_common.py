"""The parser and the options shared by the ``ionsweep`` subcommands.

The parser class (one-line errors, exit status 2), the error of bad input, argument types,
the options of ions, activity coefficients and temperature, and the temperature they give.
The ions' checks are in :mod:`ionsweep.cli._checks`, JAX and its compilation cache in
:mod:`ionsweep.cli._jax`, the output formats in :mod:`ionsweep.cli._format`.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, NoReturn

from ionsweep._errors import SpecError
from ionsweep._text import one_line

__all__ = [
    "CliError",
    "CliParser",
    "add_gamma",
    "add_ion_options",
    "add_temperature",
    "finite_float",
    "float_list",
    "name_list",
    "one_line",
    "temperature_json",
    "temperature_kelvin",
    "temperature_line",
    "valence_list",
]


#: Bad input on the command line, ``CliError(option, message)``: the option as the user
#: types it (``"--inside"``) is the field of a :class:`~ionsweep._errors.SpecError`, reported
#: as one line ``PROG: error: OPTION: message`` with exit status 2 (see
#: :func:`ionsweep.cli.exit_status`).
CliError = SpecError


class CliParser(argparse.ArgumentParser):
    """``ArgumentParser`` whose errors are one line on stderr with exit status 2.

    Option values that start with a minus sign and a digit (``--z -1,1``, ``--e -89,-70``)
    are read as values: argparse itself only recognizes plain negative numbers (``-65``).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        # Private argparse attribute (present since Python 2.7); without it "-1,1" would be
        # taken for an unknown option. No ionsweep option looks like a negative number.
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE`` as one line on stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see '{self.prog} --help')\n")


# --- argument types (argparse reports their errors as "argument --name: message") --------


#: A number as people type it: ASCII digits, optional sign, point and exponent; no ``_``
#: separators, no other scripts' digits (which Python's ``float`` would accept).
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def finite_float(text: str) -> float:
    """Parse one finite number (ASCII digits; no ``inf``, ``nan`` or ``1_000``)."""
    stripped = text.strip()
    if not _NUMBER_TEXT.fullmatch(stripped):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    value = float(stripped)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is too large for a float64 number")
    return value


def float_list(text: str) -> list[float]:
    """Parse a comma-separated list of finite numbers (``"140,12,7"``)."""
    items = text.split(",")
    try:
        return [finite_float(item.strip()) for item in items]
    except argparse.ArgumentTypeError as exc:
        if len(items) == 1:
            raise
        raise argparse.ArgumentTypeError(f"{exc} in the list {text!r}") from None


def valence_list(text: str) -> list[int]:
    """Parse a comma-separated list of non-zero integer valences (``"2,-1"``)."""
    valences = []
    for value in float_list(text):
        if value != int(value):
            raise argparse.ArgumentTypeError(f"valences are integers, got {value:g}")
        if value == 0:
            raise argparse.ArgumentTypeError("z = 0 is not an ion; valences must be non-zero")
        if abs(value) > MAX_VALENCE:
            raise argparse.ArgumentTypeError(
                f"valences lie between -{MAX_VALENCE} and {MAX_VALENCE}, got {value:g}"
            )
        valences.append(int(value))
    return valences


#: Largest |valence| accepted (no ion carries more charge).
MAX_VALENCE = 10


def name_list(text: str) -> list[str]:
    """Parse a comma-separated list of ion names (``"K+,Na+,Cl-"``)."""
    names = [item.strip() for item in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty ion name in {text!r}")
    return names


def add_ion_options(parser: argparse.ArgumentParser, *, concentrations: bool = True) -> None:
    """Add ``--ion`` and ``--z``, and ``--inside``/``--outside`` (required) if asked."""
    parser.add_argument(
        "--ion",
        type=name_list,
        required=True,
        metavar="NAMES",
        help="ion names, comma-separated (K+, Na+, Cl-, Ca2+, La3+, ...; aliases like K, Ca++)",
    )
    if concentrations:
        for side in ("inside", "outside"):
            parser.add_argument(
                f"--{side}",
                type=float_list,
                metavar="MM",
                required=True,
                help=f"{side} concentrations, mM, one per ion",
            )
    parser.add_argument(
        "--z",
        type=valence_list,
        metavar="Z",
        help="valences, one per ion (override the ion table; needed for unknown ions)",
    )


def add_gamma(parser: argparse.ArgumentParser) -> None:
    """Add ``--gamma-in`` and ``--gamma-out`` (activity coefficients, default 1)."""
    for side in ("in", "out"):
        parser.add_argument(
            f"--gamma-{side}",
            type=float_list,
            metavar="GAMMA",
            help=f"activity coefficients {side}side, one value or one per ion (default 1)",
        )


# --- temperature -----------------------------------------------------------------------


def add_temperature(parser: argparse.ArgumentParser) -> None:
    """Add the mutually exclusive ``--celsius`` / ``--kelvin`` options."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--celsius", type=finite_float, metavar="DEG_C", help="temperature, °C (default 37)"
    )
    group.add_argument("--kelvin", type=finite_float, metavar="K", help="temperature, K")


def temperature_kelvin(args: argparse.Namespace) -> float:
    """Absolute temperature from ``--kelvin`` or ``--celsius`` (default 37 °C), K.

    Raises
    ------
    CliError
        If the temperature is at or below absolute zero, or outside 1–1000 K (no model
        means anything there: a unit or typing error).
    """
    from ionsweep.constants import ZERO_CELSIUS

    if args.kelvin is not None:
        if args.kelvin <= 0:
            raise CliError("--kelvin", f"temperature must be > 0 K, got {args.kelvin:g} K")
        _check_temperature_range(args.kelvin, "--kelvin", f"{args.kelvin:g} K")
        if args.kelvin < 200:  # computed anyway, but almost surely meant as °C
            import warnings

            from ionsweep._units import TemperatureUnitWarning

            warnings.warn(
                f"--kelvin {args.kelvin:g} is below 200 K; for {args.kelvin:g} °C use "
                f"--celsius {args.kelvin:g}",
                TemperatureUnitWarning,
                stacklevel=2,
            )
        return args.kelvin
    celsius = 37.0 if args.celsius is None else args.celsius
    if celsius <= -ZERO_CELSIUS:
        raise CliError(
            "--celsius", f"{celsius:g} °C is at or below absolute zero ({-ZERO_CELSIUS} °C)"
        )
    _check_temperature_range(celsius + ZERO_CELSIUS, "--celsius", f"{celsius:g} °C")
    return celsius + ZERO_CELSIUS


def _check_temperature_range(T: float, flag: str, given: str) -> None:
    from ionsweep._units import MAX_TEMPERATURE_K, MIN_TEMPERATURE_K

    if not MIN_TEMPERATURE_K <= T <= MAX_TEMPERATURE_K:
        raise CliError(
            flag,
            f"temperature {given} is outside {MIN_TEMPERATURE_K:g}-{MAX_TEMPERATURE_K:g} K, "
            "where ionsweep's models mean something",
        )


def temperature_json(T: float) -> dict[str, float]:
    """``{"T_K": ..., "T_C": ...}`` for a temperature in K."""
    from ionsweep.constants import ZERO_CELSIUS

    return {"T_K": T, "T_C": T - ZERO_CELSIUS}


def temperature_line(T: float) -> str:
    """``"T = 310.15 K (37.00 °C)"`` for a temperature in K."""
    from ionsweep.constants import ZERO_CELSIUS

    return f"T = {T:.2f} K ({T - ZERO_CELSIUS:.2f} °C)"
