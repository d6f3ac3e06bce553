"""Named quantities a sweep can ask for, each a pure function of named inputs."""

from ionsweep.models._base import (
    FLAG,
    FLAG_MEANINGS,
    FLAG_NAN_CODES,
    VALID_FLAGS,
    Input,
    Model,
    Output,
)
from ionsweep.models._builtin import symbol
from ionsweep.models._registry import (
    UserModelError,
    get_model,
    label_index,
    model_failure,
    model_names,
    register_model,
)

__all__ = [
    "FLAG",
    "FLAG_MEANINGS",
    "FLAG_NAN_CODES",
    "VALID_FLAGS",
    "Input",
    "Model",
    "Output",
    "UserModelError",
    "get_model",
    "label_index",
    "model_failure",
    "model_names",
    "register_model",
    "symbol",
]
