# ruff: noqa: E741  (I is the ionic strength, as in the literature)
"""Activity-coefficient models as pure JAX functions ``(names, molality, T) -> ln γ``.

The contract every model of the registry follows (the Pitzer model too):

* ``names`` — a static tuple of canonical ion names (``ionsweep.ions``), length n;
* ``molality`` — array of shape (..., n), mol/kg of water;
* ``T`` — array broadcastable to (...), K;
* result — natural-log single-ion activity coefficients ln γ, shape (..., n) (the broadcast
  of ``molality`` with ``T[..., None]``), in the floating dtype of the inputs.

A point whose molalities are not all finite and ≥ 0, or whose T is not finite and > 0,
gives NaN for every ion (the ionic strength, hence every γ, is undefined there). Gradients
stay finite at valid points, including pure water (I = 0).

Per-ion parameters come from the :data:`ionsweep.ions` table, never from this module. An
ion without a published parameter for a model (e.g. gluconate for the extended
Debye–Hückel law) is refused with a ValueError naming the ion and the model when the
function is called or traced; it is never given a silent default. The ionic-strength-only
models (ideal, limiting law, Davies) accept every ion of the table.

Temperature enters through A(T) and B(T) of :mod:`ionsweep.physics._water` (density of
Kell 1975, permittivity of Bradley & Pitzer 1979), valid from 0 to 100 °C at 1 atm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from ionsweep._ions import ions
from ionsweep._util import as_float
from ionsweep.activity._composition import ionic_strength
from ionsweep.activity._debye_huckel import (
    log10_gamma_davies,
    log10_gamma_debye_huckel,
    log10_gamma_extended_debye_huckel,
    log10_gamma_truesdell_jones,
)

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = [
    "ION_FORMS",
    "log_gamma_davies",
    "log_gamma_davies_1938",
    "log_gamma_debye_huckel",
    "log_gamma_extended_debye_huckel",
    "log_gamma_ideal",
    "log_gamma_truesdell_jones",
]

_LN10 = math.log(10.0)


def _prepare(names: Sequence[str], molality, T) -> tuple[jax.Array, ...]:
    """Broadcast inputs; return (z, m_safe, I, T_safe, valid) with invalid points masked.

    ``m_safe``/``T_safe`` hold harmless values (0 mol/kg, 298.15 K) at invalid points so the
    discarded branch has finite values and gradients ("double where").
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a tuple of ion names, not the string {names!r}")
    m, T = as_float(molality, T)
    n = len(names)
    if m.ndim == 0 or m.shape[-1] != n:
        raise ValueError(f"molality has shape {m.shape}; its last axis must have {n} ions")
    lead = jnp.broadcast_shapes(m.shape[:-1], T.shape)
    m = jnp.broadcast_to(m, lead + (n,))
    T = jnp.broadcast_to(T, lead)
    z = jnp.asarray([ions.valence(name) for name in names], m.dtype)
    valid = jnp.all((m >= 0) & jnp.isfinite(m), axis=-1) & (T > 0) & jnp.isfinite(T)
    m_safe = jnp.where(valid[..., None], m, 0)
    T_safe = jnp.where(valid, T, 298.15)
    I = ionic_strength(m_safe, names)
    return z, m_safe, I, T_safe, valid


def _finish(log10_gamma, valid):
    return jnp.where(valid[..., None], _LN10 * log10_gamma, jnp.nan)


def _parameter(names: Sequence[str], field: str, model: str, dtype):
    f = field
    values = []
    for name in names:
        value = getattr(ions[name], field)
        if value is None:
            raise ValueError(
                f"activity model {model!r} has no parameter {field!r} for ion {name!r}; "
                f"ions with one: {', '.join(n for n in ions if getattr(ions[n], f) is not None)}"
                "; the ionic-strength-only models ('ideal', 'debye_huckel', 'davies') accept "
                "every ion"
            )
        values.append(value)
    return jnp.asarray(values, dtype)


def log_gamma_ideal(
    names: Sequence[str], molality: Float[ArrayLike, "*#batch n"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch n"]:
    """Ideal solution: ln γ = 0 for every ion (NaN at invalid points).

    Parameters
    ----------
    names : tuple of str
        Canonical ion names, length n.
    molality : array_like, shape (..., n)
        Molalities, mol/kg.
    T : array_like, broadcastable to (...)
        Temperature, K.

    Returns
    -------
    jax.Array, shape (..., n)
        ln γ (dimensionless).

    Examples
    --------
    >>> log_gamma_ideal(("Na+", "Cl-"), [0.1, 0.1], 298.15).tolist()
    [0.0, 0.0]
    """
    _, m, _, _, valid = _prepare(names, molality, T)
    return _finish(jnp.zeros_like(m), valid)


def log_gamma_debye_huckel(
    names: Sequence[str], molality: Float[ArrayLike, "*#batch n"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch n"]:
    """Debye–Hückel limiting law: ln γ = −ln(10) A(T) z² √I.

    Parameters and result as :func:`log_gamma_ideal`. Exact as I → 0 only; use it for
    I ≲ 0.005 mol/kg.

    Examples
    --------
    >>> g = log_gamma_debye_huckel(("Na+", "Cl-"), [0.001, 0.001], 298.15)
    >>> [round(float(x), 4) for x in g]
    [-0.0371, -0.0371]
    """
    z, _, I, T, valid = _prepare(names, molality, T)
    return _finish(log10_gamma_debye_huckel(z, I[..., None], T[..., None]), valid)


def log_gamma_extended_debye_huckel(
    names: Sequence[str], molality: Float[ArrayLike, "*#batch n"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch n"]:
    """Extended Debye–Hückel law with Kielland's (1937) ion sizes å.

    ln γ = −ln(10) A(T) z² √I / (1 + B(T) å √I), å from ``ions[name].kielland_a``. Meant for
    I ≲ 0.1 mol/kg. Parameters and result as :func:`log_gamma_ideal`; raises ValueError for
    an ion without a Kielland å.

    Examples
    --------
    >>> g = log_gamma_extended_debye_huckel(("K+", "Cl-"), [0.1, 0.1], 298.15)
    >>> [round(float(x), 4) for x in g]
    [-0.2831, -0.2831]
    """
    z, _, I, T, valid = _prepare(names, molality, T)
    a = _parameter(names, "kielland_a", "extended_debye_huckel", z.dtype)
    return _finish(log10_gamma_extended_debye_huckel(z, a, I[..., None], T[..., None]), valid)


def log_gamma_truesdell_jones(
    names: Sequence[str], molality: Float[ArrayLike, "*#batch n"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch n"]:
    """Truesdell–Jones (WATEQ) equation: ln γ = ln(10) [−A z² √I / (1 + B å √I) + b I].

    å and b from ``ions[name].truesdell_jones_a`` / ``truesdell_jones_b`` (Truesdell & Jones
    1974; WATEQ4F). Fitted to single-salt data up to I ≈ 2 mol/kg for the major ions.
    Parameters and result as :func:`log_gamma_ideal`; raises ValueError for an ion without
    parameters.

    Examples
    --------
    >>> g = log_gamma_truesdell_jones(("Na+", "Cl-"), [0.1, 0.1], 298.15)
    >>> [round(float(x), 4) for x in g]
    [-0.2451, -0.2689]
    """
    z, _, I, T, valid = _prepare(names, molality, T)
    a = _parameter(names, "truesdell_jones_a", "truesdell_jones", z.dtype)
    b = _parameter(names, "truesdell_jones_b", "truesdell_jones", z.dtype)
    return _finish(log10_gamma_truesdell_jones(z, a, b, I[..., None], T[..., None]), valid)


def log_gamma_davies(
    names: Sequence[str],
    molality: Float[ArrayLike, "*#batch n"],
    T: Float[ArrayLike, "*#batch"],
    coefficient: float = 0.3,
) -> Float[Array, "*batch n"]:
    """Davies equation: ln γ = −ln(10) A(T) z² (√I / (1 + √I) − c I).

    Parameters
    ----------
    names, molality, T
        As :func:`log_gamma_ideal`.
    coefficient : float, optional
        c: 0.3 (Davies 1962, the default and the registry's ``"davies"``) or 0.2 (Davies
        1938, the registry's ``"davies_0.2"``, :func:`log_gamma_davies_1938`).

    Returns
    -------
    jax.Array, shape (..., n)
        ln γ; meant for I ≲ 0.5 mol/kg.

    Examples
    --------
    >>> g = log_gamma_davies(("Ca2+", "Cl-"), [0.05, 0.1], 298.15)
    >>> [round(float(x), 4) for x in g]
    [-1.1, -0.275]
    """
    z, _, I, T, valid = _prepare(names, molality, T)
    return _finish(log10_gamma_davies(z, I[..., None], T[..., None], coefficient), valid)


def log_gamma_davies_1938(
    names: Sequence[str], molality: Float[ArrayLike, "*#batch n"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch n"]:
    """Davies equation with c = 0.2 (Davies 1938); see :func:`log_gamma_davies`.

    >>> round(float(log_gamma_davies_1938(("K+", "Cl-"), [0.1, 0.1], 298.15)[0]), 4)
    -0.2587
    """
    return log_gamma_davies(names, molality, T, coefficient=0.2)


def _ion_parameter(name: str, field: str, model: str) -> float:
    value = getattr(ions[name], field)
    if value is None:
        _parameter((name,), field, model, float)  # raises, naming the ion and the model
    return value


def _ion_ideal(name: str, I, T):
    return jnp.zeros_like(I)


def _ion_debye_huckel(name: str, I, T):
    return _LN10 * log10_gamma_debye_huckel(float(ions.valence(name)), I, T)


def _ion_extended_debye_huckel(name: str, I, T):
    a = _ion_parameter(name, "kielland_a", "extended_debye_huckel")
    return _LN10 * log10_gamma_extended_debye_huckel(float(ions.valence(name)), a, I, T)


def _ion_truesdell_jones(name: str, I, T):
    a = _ion_parameter(name, "truesdell_jones_a", "truesdell_jones")
    b = _ion_parameter(name, "truesdell_jones_b", "truesdell_jones")
    return _LN10 * log10_gamma_truesdell_jones(float(ions.valence(name)), a, b, I, T)


def _ion_davies(name: str, I, T, coefficient=0.3):
    return _LN10 * log10_gamma_davies(float(ions.valence(name)), I, T, coefficient)


def _ion_davies_1938(name: str, I, T):
    return _ion_davies(name, I, T, coefficient=0.2)


#: The models of this module one ion at a time: ``(name, I, T) -> ln γ`` of the ion called
#: ``name`` (canonical) at ionic strength ``I`` (mol/kg) and temperature ``T`` (K), with the
#: same formulas and parameters as the ``log_gamma_*`` functions (their γ depends on the
#: composition only through I). No validity mask: the caller masks invalid points.
ION_FORMS = {
    "ideal": _ion_ideal,
    "debye_huckel": _ion_debye_huckel,
    "extended_debye_huckel": _ion_extended_debye_huckel,
    "truesdell_jones": _ion_truesdell_jones,
    "davies": _ion_davies,
    "davies_0.2": _ion_davies_1938,
}
