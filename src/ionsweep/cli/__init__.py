"""The ``ionsweep`` command line.

Subcommands live in their own modules, listed in :data:`COMMANDS`. Each module defines
``register(subparsers)``, which adds its parser and sets the defaults ``handler`` (a function
of the parsed arguments that returns the exit status) and ``cli_parser`` (the parser whose
name prefixes error messages). Those modules import JAX and the physics only inside their
handlers, so building the parser for ``ionsweep --help`` costs no more than importing the
package.

Bad input exits with status 2 and one line on stderr, ``PROG: error: ARGUMENT: message``.

Examples
--------
From a shell::

    $ ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37
    $ python -m ionsweep calc --help
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from ionsweep.cli._common import CliError, CliParser

__all__ = ["COMMANDS", "HEAVY_COMMANDS", "build_parser", "main"]

#: Subcommand name -> module defining ``register(subparsers)``, in the order of ``--help``.
COMMANDS: dict[str, str] = {
    "calc": "ionsweep.cli._calc",
    "run": "ionsweep.cli._run",
    "info": "ionsweep.cli._info",
    "fit": "ionsweep.cli._fit",
    "sensitivity": "ionsweep.cli._sensitivity",
    "plot": "ionsweep.cli._plot",
    "view": "ionsweep.cli._view",
}

#: Commands that evaluate large arrays on the CPU: they first keep big buffers in the malloc
#: heap (:func:`ionsweep.tune_cpu_allocator`; ``IONSWEEP_TUNE_MALLOC=0`` opts out).
HEAVY_COMMANDS = frozenset({"run", "sensitivity", "fit"})


def build_parser() -> CliParser:
    """The top-level ``ionsweep`` parser with every registered subcommand."""
    from ionsweep import __version__

    parser = CliParser(
        prog="ionsweep",
        description=(
            "Membrane electrochemistry (Nernst, Goldman-Hodgkin-Katz, Donnan, pump-leak,\n"
            "driving forces) with JAX. Units: mV (V = phi_in - phi_out, outward current\n"
            "positive), mM, K or °C, cm/s, mA/cm²."
        ),
        epilog="example:\n  ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )
    for module in COMMANDS.values():
        importlib.import_module(module).register(subparsers)
    return parser


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings on the command line: ``ionsweep: warning: message`` (no file and line)."""
    return f"ionsweep: warning: {message}\n"


def _status(code: object) -> int:
    """Exit status of a ``SystemExit`` code (None is success)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ionsweep`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input (one line on stderr naming the argument).
    """
    saved, warnings.formatwarning = warnings.formatwarning, _format_warning
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = saved


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        leaf: argparse.ArgumentParser = getattr(args, "cli_parser", parser)
        if extra:
            leaf.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command in HEAVY_COMMANDS:
            from ionsweep._allocator import tune_from_environment

            tune_from_environment()
        try:
            return int(args.handler(args))
        except BrokenPipeError:  # output piped into e.g. `head`, which closed early
            sys.stderr.close()
            return 0
        except CliError as exc:
            print(f"{leaf.prog}: error: {exc}", file=sys.stderr)
            return 2
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return _status(exc.code)
