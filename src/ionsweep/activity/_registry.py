"""The registry of activity-coefficient models: by name, or by a traced integer index.

:data:`MODELS` fixes the order of the models, so that a sweep axis
``activity_model = ["ideal", "davies", "pitzer"]`` becomes an integer axis evaluated by one
compiled kernel through :func:`log_gamma_indexed` (``lax.switch``).

Davies' coefficient is 0.3 under the name ``"davies"`` (Davies 1962); the older 0.2
(Davies 1938) is registered as ``"davies_0.2"``. It is accepted wherever a model name is,
but it is not in :data:`MODELS`, whose order stays fixed; put it in the ``models`` tuple of
:func:`log_gamma_indexed` to sweep over it.

The Pitzer model lives in ``ionsweep.activity._pitzer`` and is imported when it is first
used.

Every choice of a model goes through this module: by name (:func:`get_activity_model`,
:func:`log_gamma`, :func:`ion_form` for the models that depend on the composition only
through the ionic strength), or by a value that may be traced (:func:`select_model`, which
:func:`log_gamma_indexed` and the sweep models' ``activity_model`` axes use).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
from jax import lax

from ionsweep.activity._composition import canonical_names
from ionsweep.activity._models import (
    ION_FORMS,
    log_gamma_davies,
    log_gamma_davies_1938,
    log_gamma_debye_huckel,
    log_gamma_extended_debye_huckel,
    log_gamma_ideal,
    log_gamma_truesdell_jones,
)
from ionsweep.activity._validity import WATER_1ATM_K, ValidityRange, pitzer_range

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float, Real

    from ionsweep.activity._pitzer_params import PitzerParameters


__all__ = [
    "MODELS",
    "get_activity_model",
    "ion_form",
    "log_gamma",
    "log_gamma_indexed",
    "model_index",
    "registered_models",
    "select_model",
    "validity_range",
]

#: The activity-coefficient models, in the order of their integer index.
MODELS = (
    "ideal",
    "debye_huckel",
    "extended_debye_huckel",
    "truesdell_jones",
    "davies",
    "pitzer",
)


def _pitzer_module():
    from ionsweep.activity import _pitzer  # its parameter tables load on first use

    return _pitzer


def _log_gamma_pitzer(names, molality, T, parameters=None, convention="unscaled"):
    return _pitzer_module().log_gamma_pitzer(
        names, molality, T, parameters=parameters, convention=convention
    )


_REGISTRY: dict[str, Callable] = {
    "ideal": log_gamma_ideal,
    "debye_huckel": log_gamma_debye_huckel,
    "extended_debye_huckel": log_gamma_extended_debye_huckel,
    "truesdell_jones": log_gamma_truesdell_jones,
    "davies": log_gamma_davies,
    "pitzer": _log_gamma_pitzer,
    "davies_0.2": log_gamma_davies_1938,
}


_T0, _T1 = WATER_1ATM_K
#: Where each model is stated to hold (the Pitzer sets' ranges: :func:`validity_range`):
#: 0–100 °C, where the water properties at 1 atm hold, and an ionic strength in mol/kg.
#: Stumm & Morgan, *Aquatic Chemistry* (3rd ed. 1996), Table 3.3, give the limiting law for
#: I < 10^-2.3 (≈ 0.005), the extended law for I < 0.1 and Davies (1962) for I < 0.5; Davies
#: (1938) fitted c = 0.2 up to I = 0.1.
_RANGES: dict[str, ValidityRange] = {
    "ideal": ValidityRange(0.0, math.inf, math.inf, "gamma = 1, the reference"),
    "debye_huckel": ValidityRange(_T0, _T1, 0.005, "Stumm & Morgan 1996, Table 3.3"),
    "extended_debye_huckel": ValidityRange(_T0, _T1, 0.1, "Stumm & Morgan 1996, Table 3.3"),
    # b fitted to single-salt mean activity coefficients up to I ~ 2 mol/kg.
    "truesdell_jones": ValidityRange(_T0, _T1, 2.0, "Truesdell & Jones 1974"),
    "davies": ValidityRange(_T0, _T1, 0.5, "Davies 1962; Stumm & Morgan 1996, Table 3.3"),
    "davies_0.2": ValidityRange(_T0, _T1, 0.1, "Davies 1938"),
}


def validity_range(
    model: str, names: Sequence[str] = (), databases: Mapping[str, PitzerParameters] | None = None
) -> ValidityRange:
    """Where the activity model called ``model`` is stated to hold, for the ions ``names``.

    Temperatures in K, ionic strength in mol/kg. Pitzer models (``"pitzer"``,
    ``"pitzer:<set>"``) take the temperatures stated for their set's parameters of
    ``names`` (25 °C for HMW84), within liquid water at 1 atm, and I ≤ 20 mol/kg (see
    ``ionsweep.activity._validity``); ``databases`` as in :func:`get_activity_model`. Raises
    ValueError for an unknown model or set.

    >>> validity_range("davies").describe()
    '273.15-373.15 K, I <= 0.5 mol/kg'
    >>> validity_range("pitzer:hmw84", ("Ca2+", "Cl-")).describe()
    '298.15 K, I <= 20 mol/kg'
    """
    if model == "pitzer" or (isinstance(model, str) and model.startswith("pitzer:")):
        from ionsweep.activity._pitzer_sets import pitzer_parameters, split_model

        params = pitzer_parameters(split_model(model)[1], databases)
        return pitzer_range(params, canonical_names(names))
    get_activity_model(model)  # an unknown name raises here
    return _RANGES[model]


def registered_models() -> tuple[str, ...]:
    """Every accepted model name: :data:`MODELS` and then ``"davies_0.2"``."""
    return tuple(_REGISTRY)


def get_activity_model(
    model: str, databases: Mapping[str, PitzerParameters] | None = None
) -> Callable:
    """The function ``(names, molality, T) -> ln γ`` of the model called ``model``.

    Raises ValueError naming ``model`` and listing the known models.

    ``"pitzer:<set>"`` (``"pitzer:hmw84"``) is the Pitzer model with a named parameter set;
    ``databases`` (``{name: PitzerParameters}``, a spec's ``[activity.databases]``) adds set
    names, taking precedence over the built-in ones, for ``"pitzer"`` (default set) too.

    >>> get_activity_model("davies").__name__
    'log_gamma_davies'
    """
    if isinstance(model, str) and (
        model.startswith("pitzer:") or (model == "pitzer" and databases)
    ):
        from ionsweep.activity._pitzer_sets import pitzer_parameters, split_model

        params = pitzer_parameters(split_model(model)[1], databases)
        return partial(_log_gamma_pitzer, parameters=params)
    try:
        return _REGISTRY[model]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activity model {model!r}; known models: {', '.join(_REGISTRY)}"
        ) from None


def model_index(model: str, models: Sequence[str] = MODELS) -> int:
    """Position of ``model`` in ``models`` (the index :func:`log_gamma_indexed` takes).

    >>> model_index("davies")
    4
    """
    get_activity_model(model)
    models = tuple(models)
    if model not in models:
        raise ValueError(f"activity model {model!r} is not among {models}")
    return models.index(model)


def ion_form(model: str) -> Callable | None:
    """``(name, I, T) -> ln γ`` of one ion under ``model``, or None for Pitzer models.

    For the models whose γ depends on the composition only through the ionic strength I
    (mol/kg): the same formula and parameters as :func:`get_activity_model`'s function, for one ion
    (canonical ``name``) and without the validity mask, so a caller that already has I
    evaluates only the ions it wants. Raises ValueError for an unknown model.

    >>> round(float(ion_form("davies")("K+", 0.1, 298.15)), 4)
    -0.2469
    """
    form = ION_FORMS.get(model)
    if form is None and not (isinstance(model, str) and model.startswith("pitzer:")):
        get_activity_model(model)  # an unknown name raises here; "pitzer" has no per-ion form
    return form


def _nan_like(v):
    """NaN in the shape and dtype of ``v``, computed from ``v`` (NaN times anything is NaN)
    so that inside ``shard_map`` it varies over the same mesh axes as ``v``, as both
    branches of a ``lax.cond`` must."""
    return v * jnp.asarray(jnp.nan, v.dtype)


def select_model(
    index: Real[ArrayLike, "*#batch"],
    models: Sequence,
    evaluate: Callable,
    *,
    codes: Sequence[int] | None = None,
) -> Any:
    """``evaluate(models[k])`` where ``index`` equals ``codes[k]``; NaN where it is none.

    The one dispatch on a model value that may be traced. A scalar ``index`` runs only the
    chosen model (``lax.switch``); an array evaluates every model and selects point by point
    (what ``vmap`` of the switch does), so an ``activity_model`` sweep axis is one kernel.

    Parameters
    ----------
    index : int, float or array_like
        Model value, integer-valued (may be traced); an array broadcasts (NumPy rules)
        against every leaf of the results.
    models : sequence
        Model names (or any static keys), each passed to ``evaluate``.
    evaluate : callable
        ``evaluate(model) -> array or pytree of arrays``, with the same structure, shapes and
        dtypes for every model.
    codes : sequence of int, optional, keyword-only
        The value of ``index`` that picks each model; positions 0, 1, … by default.

    Returns
    -------
    array or pytree of arrays
        The chosen model's results; NaN at points whose ``index`` is none of ``codes``.

    Examples
    --------
    >>> out = select_model([1, 0, 7], ("ideal", "davies"),
    ...                    lambda m: log_gamma(m, ("K+", "Cl-"), [0.1, 0.1], 298.15)[0])
    >>> [round(float(x), 4) for x in out]
    [-0.2469, 0.0, nan]
    """
    models = tuple(models)
    if not models:
        raise ValueError("models must name at least one activity model")
    codes = tuple(range(len(models))) if codes is None else tuple(codes)
    if len(codes) != len(models):
        raise ValueError(f"{len(codes)} codes for {len(models)} models")
    index = jnp.asarray(index)
    hits = [index == c for c in codes]
    ok = hits[0]
    position = jnp.zeros(index.shape, jnp.int32)
    for k, hit in enumerate(hits[1:], start=1):
        ok = ok | hit
        position = jnp.where(hit, k, position)
    if index.ndim == 0:
        # Each model traced once (a single one needs no switch); no code: NaN through a
        # cond, not a select after the switch, which XLA:CPU fuses with a following
        # float32 exp into garbage instead of NaN.
        if len(models) == 1:
            out = evaluate(models[0])
        else:
            out = lax.switch(position, [partial(evaluate, m) for m in models])
        return lax.cond(ok, lambda r: r, lambda r: jax.tree.map(_nan_like, r), out)
    results = [evaluate(m) for m in models]

    def pick(*leaves):  # selects on the small index shape, broadcast by XLA in the fusion
        out = jnp.full(jnp.broadcast_shapes(index.shape, leaves[0].shape), jnp.nan, leaves[0].dtype)
        for hit, leaf in zip(hits, leaves, strict=True):
            out = jnp.where(hit, leaf, out)
        return out

    return jax.tree.map(pick, *results)


def log_gamma(
    model: str,
    names: Sequence[str],
    molality: Float[ArrayLike, "*#batch n"],
    T: Float[ArrayLike, "*#batch"],
    *,
    parameters: str | PitzerParameters | None = None,
    convention: str = "unscaled",
    databases: Mapping[str, PitzerParameters] | None = None,
) -> Float[Array, "*batch n"]:
    """ln γ of each ion under the model called ``model``.

    Parameters
    ----------
    model : str
        One of :func:`registered_models` (``"ideal"``, ``"debye_huckel"``,
        ``"extended_debye_huckel"``, ``"truesdell_jones"``, ``"davies"``, ``"pitzer"``,
        ``"davies_0.2"``).
    names : sequence of str
        Ion names (aliases accepted; static), length n.
    molality : array_like, shape (..., n)
        Molalities, mol/kg.
    T : array_like, broadcastable to (...)
        Temperature, K.
    parameters : str or PitzerParameters, optional, keyword-only
        Pitzer parameter set (Pitzer models only; default ``"phreeqc"``).
    convention : {"unscaled", "macinnes"}, keyword-only
        Single-ion convention of the Pitzer model (others ignore it only when "unscaled").
    databases : mapping of str to PitzerParameters, optional, keyword-only
        Further Pitzer set names for ``"pitzer:<set>"`` (see :func:`get_activity_model`).

    Returns
    -------
    jax.Array, shape (..., n)
        Natural-log activity coefficients; NaN at points with a negative or non-finite
        molality or temperature.

    Examples
    --------
    >>> g = log_gamma("davies", ("K+", "Cl-"), [0.1, 0.1], 298.15)
    >>> [round(float(x), 4) for x in g]
    [-0.2469, -0.2469]
    """
    fn = get_activity_model(model, databases)
    if model == "pitzer" or (isinstance(model, str) and model.startswith("pitzer:")):
        kw: dict[str, Any] = {"convention": convention}
        if parameters is not None:
            if model != "pitzer":
                raise ValueError(f"model {model!r} names its parameter set; drop parameters=")
            kw["parameters"] = parameters
        return fn(canonical_names(names), molality, T, **kw)
    if parameters is not None or convention != "unscaled":
        raise ValueError(
            f"parameters= and convention= apply to the Pitzer model only, not {model!r}"
        )
    return fn(canonical_names(names), molality, T)


def log_gamma_indexed(
    index: Real[ArrayLike, "*#batch"],
    names: Sequence[str],
    molality: Float[ArrayLike, "*#batch n"],
    T: Float[ArrayLike, "*#batch"],
    models: Sequence[str] = MODELS,
) -> Float[Array, "*batch n"]:
    """ln γ under the model ``models[index]``, with ``index`` an integer that may be traced.

    All models in ``models`` are compiled into one kernel (:func:`select_model`): a scalar
    index runs its model through ``lax.switch``; under ``vmap`` over ``index``, or with an
    array of indices, every model is evaluated and the results selected, so a batch of model
    indices needs one compilation. Each model must accept all of ``names`` (an ion without
    a parameter for one of the models raises ValueError when the kernel is traced).

    Parameters
    ----------
    index : int or integer array
        Model index into ``models``: a scalar, or an array broadcasting with the leading
        shape (...) of ``molality``. Out-of-range indices give NaN.
    names, molality, T
        As :func:`log_gamma`.
    models : sequence of str, optional
        The models the index runs over; :data:`MODELS` by default.

    Returns
    -------
    jax.Array, shape (..., n)
        ln γ.

    Examples
    --------
    >>> models = ("ideal", "davies")
    >>> g = log_gamma_indexed(1, ("K+", "Cl-"), [0.1, 0.1], 298.15, models=models)
    >>> [round(float(x), 4) for x in g]
    [-0.2469, -0.2469]
    """
    models = tuple(models)
    fns = [get_activity_model(m) for m in models]
    names = canonical_names(names)
    index = jnp.asarray(index)
    return select_model(
        index[..., None] if index.ndim else index,  # the ion axis of the results
        range(len(models)),
        lambda k: fns[k](names, molality, T),
    )
