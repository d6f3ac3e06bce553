"""Registry of sweepable models and the hook for a user's own ``module:function``."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Mapping

from ionsweep.models import _activity, _builtin
from ionsweep.models._base import Input, Model, Output

__all__ = ["get_model", "label_index", "model_names", "register_model"]

_FACTORIES: dict[str, Callable[..., Model]] = {
    "nernst": _builtin.nernst,
    "ghk_current": _builtin.ghk_current,
    "ghk_voltage": _builtin.ghk_voltage,
    "donnan": _builtin.donnan,
    "pump_leak": _builtin.pump_leak,
    "driving_force": _builtin.driving_force,
    "activity_error": _activity.activity_error,
    "nernst_activity": _activity.nernst_activity,
    "activity_error_ghk": importlib.import_module("ionsweep.models._activity_ghk").factory,
    "pump_leak_volume": importlib.import_module("ionsweep.models._pump_leak").pump_leak_volume,
}


def label_index(inp: Input, value, where: str, fail) -> float:
    """Numeric value of a categorical label for input ``inp`` (e.g. a model name → index)."""
    if inp.labels == "activity_model":
        from ionsweep.models._activity import label_code  # "pitzer:<set>" labels too

        choices = inp.choices or ()
        if value not in choices:
            fail(
                where,
                f"activity model {value!r} is not among this model's activity models "
                f"({', '.join(choices)}); set them with the model option 'models'",
            )
        return float(label_code(value, choices))
    fail(where, f"input {inp.name!r} takes {inp.labels} names; {value!r} is not one")


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
    units = dict(options.get("units", {}))
    inputs = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ValueError(f"model {ref!r}: *args/**kwargs are not supported")
        default = None if p.default is p.empty else float(p.default)
        inputs.append(Input(p.name, units.get(p.name, "1"), p.name, default))

    def fn(x):
        out = func(**{i.name: x[i.name] for i in inputs})
        return dict(out) if isinstance(out, Mapping) else {"value": out}

    out_units = dict(options.get("output_units", {}))
    outputs = tuple(Output(n, out_units.get(n, "1"), n) for n in options.get("outputs", ["value"]))
    return Model(ref, tuple(inputs), outputs, fn, f"user model {ref}")


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


def get_model(name: str, options: Mapping | None = None, search_path=None) -> Model:
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
    except Exception as exc:  # the module itself raised while being imported
        raise ValueError(
            f"importing the module of model {name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(func, Model):
        return func
    if getattr(func, "is_model_factory", False):
        return func(**options)
    return _from_callable(func, name, options)
