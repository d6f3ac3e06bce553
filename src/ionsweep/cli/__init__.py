"""The ``ionsweep`` command line.

Subcommands live in their own modules, listed in :data:`COMMANDS`. Each module defines
``register(subparsers)``, which adds its parser and sets the defaults ``handler`` (a function
of the parsed arguments that returns the exit status) and ``cli_parser`` (the parser whose
name prefixes error messages). Those modules import JAX and the physics only inside their
handlers, so building the parser for ``ionsweep --help`` costs no more than importing the
package; a command that compiles (:data:`COMPILING_COMMANDS`) gets JAX imported first, with
its programs kept in a persistent compilation cache (``IONSWEEP_JAX_CACHE=0`` turns it off).

Bad input exits with status 2 and one line on stderr, ``PROG: error: ARGUMENT: message``.
:func:`exit_status` is the one place where the error tiers of :mod:`ionsweep._errors` become
exit statuses.

Examples
--------
From a shell::

    $ ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37
    $ python -m ionsweep calc --help
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
import types
import warnings
from collections.abc import Sequence
from pathlib import Path

from ionsweep._errors import StoreError, UserModelError
from ionsweep._stop import Stopped
from ionsweep.cli import (
    _calc,
    _examples,
    _fit,
    _info,
    _jax,
    _plot,
    _run,
    _sensitivity,
    _view,
)
from ionsweep.cli._common import CliParser, one_line

__all__ = [
    "COMMANDS",
    "COMPILING_COMMANDS",
    "HEAVY_COMMANDS",
    "build_parser",
    "exit_status",
    "main",
]

#: Subcommand name -> module defining ``register(subparsers)``, in the order of ``--help``.
COMMANDS: dict[str, types.ModuleType] = {
    "calc": _calc,
    "run": _run,
    "info": _info,
    "fit": _fit,
    "sensitivity": _sensitivity,
    "plot": _plot,
    "view": _view,
    "examples": _examples,
}

#: Commands that evaluate large arrays on the CPU: they first keep big buffers in the malloc
#: heap (:func:`ionsweep.tune_cpu_allocator`; ``IONSWEEP_TUNE_MALLOC=0`` opts out).
HEAVY_COMMANDS = frozenset({"run", "sensitivity", "fit"})

#: Commands that compile JAX programs: JAX is imported before they start, with the
#: persistent compilation cache (:func:`ionsweep.cli._jax.import_jax`).
COMPILING_COMMANDS = frozenset({"calc", "run", "sensitivity", "fit"})

#: Commands that write no file: run as the ``ionsweep`` program, they end without the
#: garbage collection of interpreter shutdown (see :func:`_skip_final_collection`).
QUICK_EXIT_COMMANDS = frozenset({"calc"})


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
        epilog="example:\n  ionsweep calc nernst --ion K+ --inside 140 --outside 5 --celsius 37"
        f"\n\n{_jax.CACHE_HELP}",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )
    for module in COMMANDS.values():
        module.register(subparsers)
    for name in COMPILING_COMMANDS:
        _add_epilog(subparsers.choices[name], _jax.CACHE_HELP)
    return parser


def _add_epilog(parser: argparse.ArgumentParser, text: str) -> None:
    """Append ``text`` to the help epilog of ``parser`` and of its subcommands."""
    parser.epilog = f"{parser.epilog}\n\n{text}" if parser.epilog else text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _add_epilog(sub, text)


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
        Arguments without the program name; ``sys.argv[1:]`` by default, which also marks
        this process as the ``ionsweep`` program itself, to exit once the command is done
        (``calc`` then skips the garbage collection of interpreter shutdown).

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
        if args.command in COMPILING_COMMANDS:
            _jax.import_jax()
        from ionsweep import _stop

        main_thread = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = [signal.signal(s, _stop.handler) for s in signals] if main_thread else []
        try:
            return int(args.handler(args))
        except BrokenPipeError:  # output piped into e.g. `head`, which closed early
            sys.stderr.close()
            return 0
        except (Exception, KeyboardInterrupt, Stopped) as exc:
            if os.environ.get("IONSWEEP_DEBUG") and _unexpected(exc):
                raise
            return _fail(leaf.prog, *exit_status(exc, _resumable(args)))
        finally:
            for s, handler in zip(signals, previous, strict=False):
                signal.signal(s, handler)
            if argv is None and args.command in QUICK_EXIT_COMMANDS:
                _skip_final_collection()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return _status(exc.code)


def exit_status(exc: BaseException, resumable: str = "") -> tuple[str, int]:
    """The one line of message and the exit status of a command that raised ``exc``;
    ``resumable`` (how to finish a store the command left) follows a failure that is no
    bad input.

    ====================================================  ======  ===========================
    raised                                                status  message
    ====================================================  ======  ===========================
    :class:`~ionsweep._errors.UserModelError`             1       the model and its error
    ``SpecError``, ``ValueError``, ``TypeError``          2       ``FIELD: what is wrong``
    ``ImportError`` of a package not installed            2       what to install
    :class:`~ionsweep._errors.StoreError`                 2       the store and what to do
    other ``OSError`` (a file read or written)            2       ``PATH: cause``
    ``KeyboardInterrupt``, a stop signal                  128+N   ``interrupted (SIGINT)``
    anything else (a bug)                                 1       ``unexpected error: …``
    ====================================================  ======  ===========================
    """
    if isinstance(exc, UserModelError):  # a user's model failed while the command ran
        return f"{exc}{resumable}", 1
    if isinstance(exc, ValueError | TypeError | StoreError) or _missing_package(exc):
        return str(exc), 2
    if isinstance(exc, OSError):  # a file or directory the command had to read or write
        return _os_error(exc), 2
    if isinstance(exc, KeyboardInterrupt | Stopped):
        signum = getattr(exc, "signum", signal.SIGINT)
        what = "interrupted" if signum == signal.SIGINT else "terminated"
        return f"{what} ({signal.Signals(signum).name}){resumable}", 128 + signum
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"unexpected error: {type(exc).__name__}: {text}{resumable} "
        "(set IONSWEEP_DEBUG=1 to see the traceback)",
        1,
    )


def _missing_package(exc: BaseException) -> bool:
    """Whether ``exc`` says an optional package is not installed (not a broken import of
    ionsweep's own)."""
    name = getattr(exc, "name", None) or "ionsweep"
    return isinstance(exc, ImportError) and name.split(".")[0] != "ionsweep"


def _unexpected(exc: BaseException) -> bool:
    """Whether ``exc`` is no error tier of ours: a bug (``IONSWEEP_DEBUG`` shows it)."""
    return exit_status(exc)[0].startswith("unexpected error: ")


def _skip_final_collection() -> None:
    """Spare a process about to exit the garbage collection of interpreter shutdown.

    That collection walks every object JAX created, a large share of a short command's
    time, to free memory the operating system takes back anyway. Frozen objects are left
    out of it (:func:`gc.freeze`); a command whose objects must be finalized (open files,
    stores) must not call this.
    """
    gc.freeze()


def _fail(prog: str, message: str, status: int = 2) -> int:
    print(f"{prog}: error: {one_line(as_flags(message))}", file=sys.stderr)
    return status


#: The library names a run's options as Python keywords in backticks; here they are flags.
_FLAGS = {
    "`resume=True`": "--resume",
    "`overwrite=True`": "--overwrite",
    "`repair=True`": "--repair",
    "`shard`": "--shard",
    "`memory`": "--memory",
    "`device`": "--device",
    "`dask`": "--dask",
}


def as_flags(message: str) -> str:
    """A library message with its option names (``resume=True``) as command-line flags."""
    for keyword, flag in _FLAGS.items():
        message = message.replace(keyword, flag)
    return message


def _os_error(exc: OSError) -> str:
    """``PATH: cause`` of a failed file operation (permissions, disk full, ...)."""
    cause = exc.strerror or str(exc) or type(exc).__name__
    path = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        path = f"{path} -> {exc.filename2}"
    return f"{path}: {cause}" if path else cause


def _resumable(args: argparse.Namespace) -> str:
    """For an interrupted ``run``: how to finish its store."""
    if getattr(args, "command", None) != "run" or getattr(args, "dry_run", False):
        return ""
    out = args.out or f"{Path(args.spec).stem}.zarr"
    if not Path(out, "zarr.json").exists():
        return ""
    return f"; {out} is left resumable: ionsweep run {args.spec} --out {out} --resume"
