# The public names of ``ionsweep.models``, listed once: ``__init__.py`` loads them on first
# use (lazy_loader), so that the registered kernels can be listed without importing JAX.

from ._base import (
    FLAG as FLAG,
    FLAG_MEANINGS as FLAG_MEANINGS,
    FLAG_NAN_CODES as FLAG_NAN_CODES,
    VALID_FLAGS as VALID_FLAGS,
    Input as Input,
    Kernel as Kernel,
    Model as Model,
    Output as Output,
)
from ._builtin import symbol as symbol
from ._registry import (
    UserModelError as UserModelError,
    get_model as get_model,
    kernels as kernels,
    label_index as label_index,
    model_failure as model_failure,
    model_names as model_names,
    register_model as register_model,
)
