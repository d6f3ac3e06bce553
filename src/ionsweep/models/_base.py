"""What a sweep can evaluate: named inputs, named outputs and a pure JAX function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Input", "Model", "Output"]

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
        One of ``any``, ``positive``, ``nonnegative``, ``nonzero``, ``temperature``; spec values
        outside it are refused before any work.
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

    def range_warnings(self, values: Mapping) -> tuple[str, ...]:
        """Messages from :attr:`check` for the concrete input ``values`` (none without one)."""
        return tuple(self.check(values)) if self.check is not None else ()

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
