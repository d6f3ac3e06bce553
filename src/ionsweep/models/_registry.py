"""Registry of sweepable models and the hook for a user's own ``module:function``."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ionsweep._errors import SpecError, UserModelError
from ionsweep.models import _activity, _activity_ghk, _builtin, _junction, _pump_leak
from ionsweep.models._base import Input, Kernel, Model, Output
from ionsweep.models._kernels import KERNELS

__all__ = [
    "UserModelError",
    "get_model",
    "kernels",
    "label_index",
    "model_failure",
    "model_names",
    "register_model",
]


#: What a user's code may raise that is no error of ionsweep's: any exception, and the
#: two that would end the program (``sys.exit``, a ``KeyboardInterrupt`` raised by the code
#: itself; a real Ctrl-C reaches the command line as its own signal).
_USER_FAILURES = (Exception, SystemExit, KeyboardInterrupt)

_FACTORIES: dict[str, Callable[..., Model]] = {
    **{kernel.name: kernel.model for kernel in KERNELS},
    "ghk_voltage": _builtin.ghk_voltage,
    "donnan": _builtin.donnan,
    "pump_leak": _builtin.pump_leak,
    "driving_force": _builtin.driving_force,
    "activity_error": _activity.activity_error,
    "nernst_activity": _activity.nernst_activity,
    "activity_error_ghk": _activity_ghk.factory,
    "pump_leak_volume": _pump_leak.pump_leak_volume,
    "liquid_junction": _junction.liquid_junction,
}


def label_index(inp: Input, value: str, where: str) -> float:
    """Numeric value of a categorical label for input ``inp`` (e.g. a model name → index);
    :class:`SpecError` at spec field ``where`` for a label the input does not take."""
    if inp.labels == "activity_model":
        from ionsweep.models._activity import label_code  # "pitzer:<set>" labels too

        choices = inp.choices or ()
        if value not in choices:
            raise SpecError(
                where,
                f"activity model {value!r} is not among this model's activity models "
                f"({', '.join(choices)}); set them with the model option 'models'",
            )
        return float(label_code(value, choices))
    raise SpecError(where, f"input {inp.name!r} takes {inp.labels} names; {value!r} is not one")


def kernels() -> tuple[Kernel, ...]:
    """The registered kernels (``ionsweep.models._kernels``), in registration order."""
    return KERNELS


def register_model(name: str, factory: Callable[..., Model]) -> None:
    """Make ``factory(**options) -> Model`` available to specs as ``[model] name = NAME``."""
    _FACTORIES[name] = factory


def model_names() -> list[str]:
    """Names of the registered models."""
    return sorted(_FACTORIES)


def _from_callable(func: Callable, ref: str, options: Mapping) -> Model:
    """Wrap a plain function ``f(**inputs) -> array or dict of arrays`` as a Model.

    Inputs are the function's parameters (those with defaults are optional); their units
    may be given in the spec as ``[model.units]``. An array result becomes output ``value``.
    """
    units = _name_table(options, "units", ref)
    inputs = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ValueError(f"model {ref!r}: *args/**kwargs are not supported")
        default = None if p.default is p.empty else float(p.default)
        inputs.append(Input(p.name, units.get(p.name, "1"), p.name, default))

    def fn(x):
        out = func(**{i.name: x[i.name] for i in inputs})
        return dict(out) if isinstance(out, Mapping) else {"value": out}

    unknown = set(options) - {"units", "outputs", "output_units", "databases"}
    if unknown:
        raise ValueError(
            f"model {ref!r}: unknown option {sorted(unknown)[0]!r}; a plain function takes "
            "outputs, units and output_units"
        )
    out_units = _name_table(options, "output_units", ref)
    names = options.get("outputs", ["value"])
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"model {ref!r}: outputs must be a list of names, got {names!r}")
    _declared(units, [i.name for i in inputs], "units", "input", ref)
    _declared(out_units, names, "output_units", "output", ref)
    outputs = tuple(Output(n, out_units.get(n, "1"), n) for n in names)
    return Model(ref, tuple(inputs), outputs, fn, f"user model {ref}")


def _name_table(options: Mapping, key: str, ref: str) -> dict:
    """``options[key]`` as {name: units text} (empty when absent)."""
    table = options.get(key, {})
    if not isinstance(table, Mapping) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"model {ref!r}: {key} must be a table of units such as {{ x = 'mV' }}")
    return dict(table)


def _declared(table: Mapping, names, key: str, what: str, ref: str) -> None:
    """Refuse an entry of ``table`` that names no declared ``what``."""
    for entry in table:
        if entry not in names:
            raise ValueError(
                f"model {ref!r}: {key} entry {entry!r} names no {what} of the model "
                f"({what}s: {', '.join(names) or 'none'})"
            )


class _CallbackFailures(logging.Filter):
    """Keeps the exception of the last failed JAX host callback (a user's model calling
    ``jax.pure_callback`` or ``jax.debug.callback``) for :func:`model_failure`, instead of
    letting JAX log its traceback: the run reports it as one line."""

    last: BaseException | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            self.last = record.exc_info[1]
            return False
        return True


_CALLBACK_FAILURES = _CallbackFailures()
#: The loggers through which JAX reports an exception raised inside a host callback.
_CALLBACK_LOGGERS = ("jax._src.callback", "jax._src.debugging")


def model_failure(model: str, exc: BaseException) -> UserModelError | None:
    """``exc``, raised while running user model ``model``, as the model's own failure
    (:class:`UserModelError` with the model's exception type and message), or None where it
    is no failure of the model's code (a built-in model; an error elsewhere)."""
    if ":" not in model:
        return None
    if isinstance(exc, UserModelError):
        return exc
    if "callback" not in str(exc).lower():
        return None  # a host callback's failure reaches the caller as an error naming it
    cause, _CALLBACK_FAILURES.last = _CALLBACK_FAILURES.last, None
    if cause is None:
        return None
    return UserModelError(model, cause, "failed while running")


def _guarded(model: Model) -> Model:
    """``model`` whose function reports a failure of the user's code (raised while JAX
    traces it) as :class:`UserModelError` naming the model."""
    user_fn = model.fn
    for name in _CALLBACK_LOGGERS:
        logging.getLogger(name).addFilter(_CALLBACK_FAILURES)

    def fn(x):
        try:
            return user_fn(x)
        except _USER_FAILURES as exc:
            raise UserModelError(model.name, exc) from exc

    return dataclasses.replace(model, fn=fn)


def _import(mod_name: str, search_path):
    """Import ``mod_name``, looking first in ``search_path`` (a directory) if given."""
    if search_path is None:
        return importlib.import_module(mod_name)
    entry = str(search_path)
    importlib.invalidate_caches()  # the module may have been written a moment ago
    sys.path.insert(0, entry)
    try:
        return importlib.import_module(mod_name)
    finally:
        sys.path.remove(entry)


def get_model(
    name: str,
    options: Mapping[str, Any] | None = None,
    search_path: str | os.PathLike[str] | None = None,
) -> Model:
    """Build the model called ``name`` with ``options`` (from the spec's ``[model]`` table).

    ``name`` is a registered name or ``"package.module:function"``. The function may return a
    :class:`Model` when called with the options (a factory), or be a plain JAX function of
    named scalar inputs (wrapped by signature; declare ``outputs`` and ``units`` in options).

    A ``module:function`` model is Python code: importing it runs the module. It is looked
    up in ``search_path`` (a spec's directory) first, then on ``sys.path``.
    """
    options = dict(options or {})
    if name in _FACTORIES:
        return _FACTORIES[name](**options)
    if ":" not in name:
        raise ValueError(
            f"unknown model {name!r}; known models: {', '.join(model_names())}, "
            "or 'package.module:function' for your own"
        )
    mod_name, _, attr = name.partition(":")
    try:
        func = getattr(_import(mod_name, search_path), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import model {name!r}: {exc}") from exc
    except _USER_FAILURES as exc:  # the module itself raised (or exited) while imported
        raise UserModelError(name, exc, "failed while its module was imported") from exc
    if isinstance(func, Model):
        return _guarded(func)
    if getattr(func, "is_model_factory", False):
        try:
            model = func(**options)
        except _USER_FAILURES as exc:
            raise UserModelError(name, exc, "failed building the model") from exc
        return _guarded(model)
    return _guarded(_from_callable(func, name, options))
