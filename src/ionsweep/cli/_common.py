"""Helpers shared by the ``ionsweep`` subcommands.

The parser class (one-line errors, exit status 2), argument types, validation that names
the offending argument, and output formatting. Nothing here imports JAX at module level, so
building the parsers (and ``ionsweep --help``) stays cheap.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ionsweep._errors import SpecError
from ionsweep._text import one_line

__all__ = [
    "CACHE_HELP",
    "CliError",
    "CliParser",
    "add_gamma",
    "add_ion_options",
    "add_temperature",
    "align",
    "check_concentrations",
    "check_finite_result",
    "check_positive",
    "check_ratio",
    "compilation_cache_dir",
    "compiled",
    "enable_compilation_cache",
    "finite_float",
    "float64_kernels",
    "float_list",
    "fmt_conc",
    "fmt_mv",
    "fmt_num",
    "fmt_z",
    "import_jax",
    "name_list",
    "one_line",
    "per_ion",
    "prepare_jax",
    "records",
    "resolve_ions",
    "table",
    "temperature_json",
    "temperature_kelvin",
    "temperature_line",
    "to_floats",
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


# --- ions and per-ion lists ------------------------------------------------------------


def resolve_ions(names: Sequence[str], z: Sequence[int] | None) -> tuple[list[str], list[int]]:
    """Canonical names and valences of the ions named by ``--ion``.

    Parameters
    ----------
    names : sequence of str
        Ion names or aliases as given to ``--ion``.
    z : sequence of int or None
        Valences from ``--z`` (one per ion), which override the table and make unknown
        names usable; None to take every valence from ``ionsweep.ions``.

    Returns
    -------
    names : list of str
        Canonical names (unknown names given a valence by ``--z`` are kept as typed).
    z : list of int
        Signed valences.

    Raises
    ------
    CliError
        Unknown ion without ``--z``, or a ``--z`` list of the wrong length.
    """
    from ionsweep import ions

    if z is not None and len(z) != len(names):
        raise CliError("--z", _count_message(len(z), names))
    canonical, valences = [], []
    for i, name in enumerate(names):
        try:
            ion = ions[name]
        except KeyError as exc:
            if z is None:
                head, _, known = str(exc.args[0]).partition(" (known: ")
                if "did you mean" in head or not known:
                    raise CliError("--ion", f"{head} (or give its valence with --z)") from None
                raise CliError(
                    "--ion", f"{head}; give its valence with --z, or use one of {known[:-1]}"
                ) from None
            canonical.append(name)
            valences.append(z[i])
            continue
        canonical.append(ion.name)
        valences.append(ion.z if z is None else z[i])
    return canonical, valences


def _count_message(count: int, names: Sequence[str]) -> str:
    n = len(names)
    values, ions = ("value" if count == 1 else "values"), ("ion" if n == 1 else "ions")
    return f"{count} {values} for {n} {ions} (--ion {','.join(names)})"


def per_ion(
    values: Sequence[float] | None,
    names: Sequence[str],
    argument: str,
    default: float | None = None,
) -> list[float]:
    """One value per ion: check the length of a list option, or broadcast a single value.

    A single value is broadcast to every ion only where a ``default`` exists (optional
    per-ion settings such as activity coefficients); required lists must match ``--ion``.
    """
    if values is None:
        if default is None:
            raise CliError(argument, "required")
        return [default] * len(names)
    if default is not None and len(values) == 1:
        return list(values) * len(names)
    if len(values) != len(names):
        raise CliError(argument, _count_message(len(values), names))
    return list(values)


def check_concentrations(
    values: Sequence[float], names: Sequence[str], argument: str, zero_reason: str | None = None
) -> None:
    """Refuse negative concentrations, and zero ones where ``zero_reason`` says why."""
    for name, value in zip(names, values, strict=True):
        if value < 0:
            raise CliError(
                argument, f"concentration of {name} is {value:g} mM; concentrations must be >= 0"
            )
        if value == 0 and zero_reason is not None:
            raise CliError(argument, f"concentration of {name} is 0 mM; {zero_reason}")


def check_ratio(
    c_in: Sequence[float], c_out: Sequence[float], names: Sequence[str], argument: str
) -> None:
    """Refuse concentrations whose ratio c_out/c_in over- or underflows float64."""
    for name, a, b in zip(names, c_in, c_out, strict=True):
        if a > 0 and b > 0 and not (0 < b / a < math.inf):
            raise CliError(
                argument,
                f"the ratio c_out/c_in = {b:g}/{a:g} of {name} is outside the float64 range "
                "(about 1e-308 to 1e308); no potential can be computed",
            )


def check_finite_result(result: Any, where: str = "result") -> None:
    """Refuse to print a result holding NaN or infinity (an overflow the checks missed)."""
    if isinstance(result, dict):
        for key, value in result.items():
            check_finite_result(value, key)
    elif isinstance(result, list | tuple):
        for value in result:
            check_finite_result(value, where)
    elif isinstance(result, float) and not math.isfinite(result):
        raise CliError(
            "inputs",
            f"{where} is {result} for these inputs: they are outside the range that float64 "
            "arithmetic can represent",
        )


def check_positive(values: Sequence[float], names: Sequence[str], argument: str, what: str) -> None:
    """Refuse values ≤ 0 (activity coefficients, ratios)."""
    for name, value in zip(names, values, strict=True):
        if value <= 0:
            raise CliError(argument, f"{what} of {name} is {value:g}; it must be > 0")


# --- computing and output ---


def float64_kernels() -> Any:
    """The ``ionsweep`` package, with JAX switched to float64 first (printed values exact)."""
    prepare_jax()
    import ionsweep

    return ionsweep


def prepare_jax() -> None:
    """Import JAX (see :func:`import_jax`) and switch it to float64. Nothing is computed."""
    import_jax().config.update("jax_enable_x64", True)


def import_jax() -> Any:
    """JAX, imported; in a fresh process with the persistent compilation cache on first.

    Every command that compiles (``calc``, ``run``, ``fit``, ``sensitivity``) calls this
    before anything imports JAX, so that a second process loads the programs the first one
    compiled instead of compiling them again (:func:`enable_compilation_cache`). In a process
    that imported JAX before (``ionsweep.cli.main`` called from Python), JAX's settings are
    the caller's and are left alone. The import runs with the cyclic garbage collector
    paused: it creates about 10⁵ objects that live as long as the process, and collections
    in between would walk them to free nothing.

    Returns
    -------
    module
        The ``jax`` module.
    """
    fresh = "jax" not in sys.modules
    collecting = gc.isenabled()
    gc.disable()
    try:
        import jax
    finally:
        if collecting:
            gc.enable()
    if fresh:
        enable_compilation_cache(jax)
    return jax


#: Set to 0 to keep the command line from using JAX's persistent compilation cache.
CACHE_ENV = "IONSWEEP_JAX_CACHE"

#: The command line's help on the compilation cache (commands that compile).
CACHE_HELP = f"""\
compilation cache:
  compiled programs are kept in $XDG_CACHE_HOME/ionsweep/jax (~/.cache/ionsweep/jax without
  XDG_CACHE_HOME) and loaded from there by later calls instead of compiled again; set
  {CACHE_ENV}=0 to turn the cache off (delete the directory to empty it)"""


def compilation_cache_dir() -> Path:
    """Where the command line keeps compiled programs: ``$XDG_CACHE_HOME/ionsweep/jax``
    (``~/.cache/ionsweep/jax`` without ``XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ionsweep" / "jax"


def enable_compilation_cache(jax: Any) -> bool:
    """Use JAX's persistent compilation cache for every program, however small.

    By default JAX caches only programs that took over a second to compile (and lets a
    minimum entry size be imposed); a calculator program compiles in a fraction of that
    but is compiled in every process, so the time threshold is lowered to zero and the
    size limit switched off. The cache lives in
    :func:`compilation_cache_dir`; ``IONSWEEP_JAX_CACHE=0`` opts out, and an unwritable
    cache directory silently leaves the cache off.

    Parameters
    ----------
    jax : module
        The ``jax`` module, imported but nothing compiled yet.

    Returns
    -------
    bool
        Whether the cache is on.
    """
    if os.environ.get(CACHE_ENV, "1").strip() == "0":
        return False
    path = compilation_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(path, os.W_OK):
        return False
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return True


def compiled(fn: Callable[..., Any], *args: Any) -> Any:
    """Evaluate ``fn(*args)`` as one compiled program (one XLA compile, cacheable on disk).

    ``args`` are numbers or lists of numbers (float64; valences may be ints); the result is
    ``fn``'s pytree of arrays as NumPy arrays.
    """
    import jax
    import numpy as np

    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    return jax.tree_util.tree_map(np.asarray, jax.jit(fn)(*arrays))


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


# --- output ----------------------------------------------------------------------------

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
