"""The errors ionsweep raises, in tiers.

- **Bad input**, found where it enters (a spec, a command-line option, a function's
  argument): :class:`SpecError` when it names a field (a spec key, an option, a table
  column), plain ``ValueError``/``TypeError`` for a bad argument at a public function's
  entry (``run(..., resume=True, overwrite=True)``). A device that is not there
  (``device = "gpu"`` on a machine without one) is a ``ValueError`` too: the spec or the
  caller named it, and it is refused before anything starts.
- **A missing optional package**: ``ImportError`` whose message says what to install
  (:func:`missing_extra`).
- **A store on disk** that cannot be used as asked (missing, corrupt, written from another
  spec, foreign, not writable, too large for its disk): :class:`StoreError`, an ``OSError``.
- **A user's model** (``module:function``) that fails: :class:`UserModelError`.
- **Numerics inside compiled code**: never an exception; NaN and the ``valid`` flag.

The command line maps the tiers to exit statuses in one place (:mod:`ionsweep.cli`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = [
    "SpecError",
    "StoreError",
    "UserModelError",
    "describe",
    "missing_extra",
    "spec_source",
]


def _one_line(text: str) -> str:
    """``text`` as one line shown literally: names and values from a spec may hold newlines
    or terminal escapes, which become ``\\n``, ``\\x1b``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class SpecError(ValueError):
    """Bad input that names its field: ``SOURCE: FIELD: message`` in one line.

    Parameters
    ----------
    field : str or None
        Where the problem is, as the user wrote it: a spec field (``"[axes] c_out"``), a
        command-line option (``"--inside"``) or a table column; None for the input as a
        whole (a file that is not TOML).
    message : str
        What is wrong, in one line.
    source : str, optional
        The file (or ``"<spec>"``) the field belongs to; spec parsing fills it in where the
        error leaves the parser.

    Attributes
    ----------
    field, message, source
        As given.
    """

    def __init__(self, field: str | None, message: str, source: str | None = None):
        super().__init__(field, message, source)
        self.field = field
        self.message = message
        self.source = source

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        return _one_line(": ".join([*parts, self.message]))


@contextlib.contextmanager
def spec_source(source: str) -> Iterator[None]:
    """Within: a :class:`SpecError` that names no source gets ``source`` (the spec's file),
    and is raised on with its own traceback."""
    try:
        yield
    except SpecError as exc:
        if exc.source is None:
            exc.source = source
        raise


class StoreError(OSError):
    """A store on disk cannot be created, resumed, read or viewed as asked: it is missing,
    corrupt, incomplete, written from another spec or version, not ionsweep's, not
    writable, or does not fit its disk. The message names the path and says what to do."""


class UserModelError(ValueError):
    """A user's ``module:function`` model raised (or exited) while being imported, checked,
    traced or run; the message names the model and gives its exception's type and text."""

    def __init__(self, model: str, exc: BaseException, when: str = "failed"):
        self.model, self.cause = model, exc
        #: ``Type: message`` of the model's own exception, on one line.
        self.reason = describe(exc)
        super().__init__(f"model {model!r} {when}: {self.reason}")


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception on one line (at most 300 characters of message)."""
    msg = " ".join(str(exc).split())
    if isinstance(exc, SystemExit):
        msg = f"sys.exit({exc.code!r}) ends the program; a model must return its outputs"
    msg = msg if len(msg) <= 300 else msg[:297] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def missing_extra(exc: ImportError, extra: str, what: str) -> ImportError:
    """An ``ImportError`` for a feature whose optional package is missing, saying what to
    install; raise it ``from`` the original.

    Parameters
    ----------
    exc : ImportError
        The failed import.
    extra : str
        The ``ionsweep`` extra that brings the package (``"view"``, ``"cluster"``).
    what : str
        The feature or the option that asked for it (``"view"``, ``"`dask`"``): the
        message reads ``WHAT: needs the EXTRA extra (PACKAGE is missing): pip install …``.
    """
    missing = f"{exc.name} is missing" if exc.name else str(exc)
    hint = f'{what}: needs the {extra} extra ({missing}): pip install "ionsweep[{extra}]"'
    return ImportError(hint, name=exc.name)
