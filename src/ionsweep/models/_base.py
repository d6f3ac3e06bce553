"""What a sweep can evaluate: named inputs, named outputs and a pure JAX function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FLAG",
    "FLAG_MEANINGS",
    "FLAG_NAN_CODES",
    "Input",
    "Kernel",
    "Model",
    "Output",
    "VALID_FLAGS",
]

#: The codes of a sweep's ``valid`` variable: (value, CF flag meaning, description). Codes
#: 0 and 3 mark points whose outputs are all NaN; at codes 1 and 2 they are numbers.
VALID_FLAGS = (
    (0, "undefined", "undefined (outputs NaN)"),
    (1, "valid", "valid"),
    (2, "outside_validity_range", "outside the activity model's validity range (outputs kept)"),
    (3, "bath_not_electroneutral", "bath not electroneutral (outputs NaN)"),
)
#: The ``flag_meanings`` attribute of ``valid`` (CF: blank-separated, in code order).
FLAG_MEANINGS = " ".join(meaning for _, meaning, _ in VALID_FLAGS)
#: Codes at which every output is NaN.
FLAG_NAN_CODES = (0, 3)
#: Key of the optional per-point code a model's ``fn`` returns besides its outputs: an
#: integer array (broadcastable to the outputs) of :data:`VALID_FLAGS` codes, 1 where the
#: model has nothing to say. The sweep's ``valid`` is 0 wherever an output is not finite,
#: else this code; outputs are set to NaN wherever the result is in :data:`FLAG_NAN_CODES`.
FLAG = "@valid"


@dataclass(frozen=True)
class Input:
    """One named scalar input of a model.

    Attributes
    ----------
    name : str
        The name used in specs (axis, zip or fixed key).
    units : str
        Units of the value the model receives (``"mM"``, ``"K"``, ``"mV"``, ``"1"``).
    long_name : str
        Human-readable description, stored as the coordinate's ``long_name``.
    default : float or None
        Value when a spec neither sweeps nor fixes the input; ``None`` makes it required.
    domain : str
        One of ``any``, ``positive``, ``nonnegative``, ``nonzero``, ``temperature``
        (1 K ≤ T ≤ 1000 K, ``ionsweep._units``); spec values outside it are
        refused before any work.
    labels : str or None
        Name of a categorical vocabulary the spec may use instead of numbers: ``"ion"`` (an
        ion name gives its valence) or ``"activity_model"`` (a model name gives its index).
    differentiable : bool
        Whether gradients with respect to this input make sense (False for valences and
        model indices).
    choices : tuple of str or None
        For ``labels = "activity_model"``: the model names this input accepts.
    """

    name: str
    units: str
    long_name: str
    default: float | None = None
    domain: str = "any"
    labels: str | None = None
    differentiable: bool = True
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Output:
    """One named output of a model, with its ``units`` and ``long_name`` attributes."""

    name: str
    units: str
    long_name: str


@dataclass(frozen=True)
class Model:
    """A sweepable model: ``fn(inputs) -> outputs``, both dicts of broadcastable arrays.

    ``fn`` is pure JAX and elementwise: every output at a grid point depends only on the
    inputs at that point, so the executor may broadcast, chunk and differentiate it freely.
    """

    name: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    fn: Callable[[Mapping], Mapping] = field(repr=False)
    description: str = ""
    #: Optional ``check(values) -> list of warning messages``, given the concrete values a
    #: sweep will feed each input (1-d arrays; fixed inputs as 0-d). It flags values that
    #: are valid but outside a model's stated range (e.g. Pitzer parameters' temperatures).
    check: Callable[[Mapping], list] | None = field(default=None, repr=False)
    #: Optional ``refuse(values) -> (field, message) or None``, given the same values as
    #: :attr:`check`: inputs that no point of the sweep can take (a bath fixed at a net
    #: charge), refused before any work with a message naming the fields.
    refuse: Callable[[Mapping], tuple[str, str] | None] | None = field(default=None, repr=False)
    #: The codes besides 0 and 1 (:data:`VALID_FLAGS`) that ``fn`` may return under
    #: :data:`FLAG`; empty: ``fn`` returns no flag.
    flags: tuple[int, ...] = ()
    #: Optional variant of ``fn`` for sweeps whose valence inputs (``labels="ion"``) are all
    #: fixed at ±1 or ±2: it passes ``valences_within_two=True`` to
    #: :func:`ionsweep.ghk_voltage`, whose compiled program then holds the closed form alone.
    #: The sweep engine picks it where that holds; ``fn`` stays right for any valence.
    fn_within_two: Callable[[Mapping], Mapping] | None = field(default=None, repr=False)

    def range_warnings(self, values: Mapping) -> tuple[str, ...]:
        """Messages from :attr:`check` for the concrete input ``values`` (none without one)."""
        return tuple(self.check(values)) if self.check is not None else ()

    def refusal(self, values: Mapping) -> tuple[str, str] | None:
        """``(field, message)`` from :attr:`refuse` for the concrete ``values``, or None."""
        return self.refuse(values) if self.refuse is not None else None

    def input(self, name: str) -> Input:
        for inp in self.inputs:
            if inp.name == name:
                return inp
        raise KeyError(name)

    def output(self, name: str) -> Output:
        for out in self.outputs:
            if out.name == name:
                return out
        raise KeyError(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)


@dataclass(frozen=True)
class Kernel:
    """One registration of a physics kernel: everything else derives from this entry.

    The sweep model of the same name (:meth:`model`), the ``ionsweep calc`` subcommand
    (``name`` with hyphens: an option per input, with its units, default and domain; a table
    and JSON of the outputs), the stores' ``long_name``/``units`` attributes and so the
    explorer's labels all come from here. Registered kernels are listed in
    ``ionsweep.models._kernels``.

    Attributes
    ----------
    name : str
        The model name in specs (``[model] name = …``); ``calc`` uses it with hyphens.
    function : str or callable
        The physics function, or the name of one in :mod:`ionsweep.physics` (resolved on
        first use, so that a list of kernels imports no JAX). It is called with the inputs
        by keyword (arrays that broadcast together) and returns one array for one output,
        or a tuple in the order of ``outputs``.
    inputs : tuple of Input
        Its arguments, with units, domain and defaults.
    outputs : tuple of Output
        What it returns, with units.
    description : str
        One line: the model's description and the ``calc`` subcommand's help.
    example : str
        The arguments of an example ``ionsweep calc NAME …`` command (its help shows it).
    """

    name: str
    function: str | Callable[..., Any] = field(repr=False)
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    description: str
    example: str = ""

    def fn(self, **inputs: Any) -> tuple[Any, ...]:
        """The outputs for ``inputs`` (by name), a tuple in the order of :attr:`outputs`."""
        function = self.function
        if isinstance(function, str):
            from ionsweep import physics

            function = getattr(physics, function)
        out = function(**inputs)
        return out if isinstance(out, tuple) else (out,)

    def model(self) -> Model:
        """The sweep model that evaluates :attr:`function` at every grid point."""
        names = self.output_names

        def fn(x: Mapping) -> dict[str, Any]:
            out = self.fn(**{i.name: x[i.name] for i in self.inputs})
            return dict(zip(names, out, strict=True))

        return Model(self.name, self.inputs, self.outputs, fn, self.description)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)
