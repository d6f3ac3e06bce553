"""Liquid junction potentials between a pipette solution and a bath: array kernel.

:func:`junction_potential` takes stacked arrays (ions along the last axis) and returns the
potential of the bath relative to the pipette, in mV, by the stationary Nernst–Planck
equations (:mod:`ionsweep.physics._junction_np`) or the generalized Henderson equation
(:mod:`ionsweep.physics._junction_henderson`). The composition-level function with ion
names, the shipped mobility table and activity models is
:func:`ionsweep.liquid_junction_potential`.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Literal, overload

import jax.numpy as jnp
import numpy as np

from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._ionaxis import ion_all, ion_sum
from ionsweep.physics._junction_henderson import henderson
from ionsweep.physics._junction_np import nernst_planck

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jaxtyping import Array, ArrayLike, Float, Int

    _PerIon = Float[ArrayLike, "*#batch n_ions"]
    _PerPoint = Float[ArrayLike, "*#batch"]
    _Potential = Float[Array, "*batch"]
    _Code = Int[Array, "*batch"]


__all__ = [
    "JUNCTION_METHODS",
    "JUNCTION_NEUTRALITY_RTOL",
    "junction_potential",
    "junction_valid",
]

#: The methods of :func:`junction_potential`.
JUNCTION_METHODS = ("nernst-planck", "henderson")
#: Tolerance of each side's electroneutrality, |Σ z·c| ≤ rtol·½Σ|z|·c (that of the activity
#: models' composition check).
JUNCTION_NEUTRALITY_RTOL = 1e-3
#: Codes of :func:`junction_valid` (those of a sweep's ``valid`` variable).
VALID, UNDEFINED, NOT_NEUTRAL = 1, 0, 3


def _valences(z) -> tuple[int, ...]:
    """``z`` as a tuple of ints; it must be concrete (the method's work is planned on it)."""
    try:
        values = np.asarray(z)
    except Exception as err:  # a tracer: TracerArrayConversionError and kin
        raise TypeError(
            "junction_potential: z must be concrete (a tuple of valences), not traced"
        ) from err
    if values.ndim != 1:
        raise ValueError(
            f"junction_potential: z must be 1-d (one valence per ion), got {values.shape}"
        )
    out = tuple(operator.index(int(q)) for q in values)
    if any(q != v for q, v in zip(out, values.tolist(), strict=True)):
        raise ValueError(f"junction_potential: valences must be integers, got {values.tolist()}")
    return out


def _inputs(c_pipette, c_bath, z, D, T, ln_gamma_pipette, ln_gamma_bath):
    """Broadcast float arrays (ions last) and the valences as a tuple."""
    zt = _valences(z)
    args = as_float(c_pipette, c_bath, D, T)
    c_p, c_b, D, T = args
    n = len(zt)
    for name, x in (("c_pipette", c_p), ("c_bath", c_b), ("D", D)):
        if x.ndim == 0 or x.shape[-1] not in (1, n):
            raise ValueError(
                f"junction_potential: {name} of shape {x.shape} needs {n} ions on its last axis"
            )
    lead = jnp.broadcast_shapes(c_p.shape[:-1], c_b.shape[:-1], D.shape[:-1], T.shape)
    full = (*lead, n)
    c_p, c_b = jnp.broadcast_to(c_p, full), jnp.broadcast_to(c_b, full)
    T = jnp.broadcast_to(T, lead)
    delta = None
    if ln_gamma_pipette is not None or ln_gamma_bath is not None:
        g_p, g_b = as_float(
            0.0 if ln_gamma_pipette is None else ln_gamma_pipette,
            0.0 if ln_gamma_bath is None else ln_gamma_bath,
        )
        delta = jnp.broadcast_to(g_b - g_p, full).astype(c_p.dtype)
    return c_p, c_b, zt, D, T, delta


def _codes(c_p, c_b, z, D, T, delta):
    """Per-point validity code: 1 valid, 0 undefined, 3 a side not electroneutral."""
    za = jnp.asarray(z, c_p.dtype)
    present = (c_p > 0) | (c_b > 0)
    ok = ion_all((c_p >= 0) & (c_b >= 0) & jnp.isfinite(c_p) & jnp.isfinite(c_b))
    ok &= ion_all(~present | ((D > 0) & jnp.isfinite(D)))
    ok &= (T > 0) & jnp.isfinite(T)
    if delta is not None:
        ok &= ion_all(jnp.isfinite(delta) | ~present)
    charged = [jnp.abs(za) * c for c in (c_p, c_b)]
    ok &= (ion_sum(charged[0]) > 0) & (ion_sum(charged[1]) > 0)
    neutral = jnp.ones_like(ok)
    for c, total in zip((c_p, c_b), charged, strict=True):
        net = jnp.abs(ion_sum(za * c))
        neutral &= net <= JUNCTION_NEUTRALITY_RTOL * 0.5 * ion_sum(total)
    return jnp.where(ok, jnp.where(neutral, VALID, NOT_NEUTRAL), UNDEFINED)


def _potential(c_p, c_b, z, D, T, delta, method):
    """(V in mV, code) for broadcast inputs."""
    if method not in JUNCTION_METHODS:
        raise ValueError(
            f"junction_potential: method must be one of {', '.join(JUNCTION_METHODS)}; "
            f"got {method!r}"
        )
    code = _codes(c_p, c_b, z, D, T, delta)
    good = code == VALID
    g = good[..., None]
    # Invalid points compute a harmless problem (pipette = bath = the first valid-looking
    # one is not needed: equal sides give V = 0) so they never poison gradients.
    c_p = jnp.where(g, c_p, 1.0)
    c_b = jnp.where(g, c_b, 1.0)
    D = jnp.where(g, jnp.where(D > 0, D, 1.0), 1.0)
    if delta is not None:
        delta = jnp.where(g & jnp.isfinite(delta), delta, 0.0)
    za = jnp.asarray(z, c_p.dtype)
    v = henderson(c_p, c_b, za, D)
    if method == "nernst-planck":
        v = nernst_planck(c_p, c_b, z, D, v, good)
        if delta is not None:  # activities: the Henderson correction they make (see docs)
            v = v + henderson(c_p, c_b, za, D, delta) - henderson(c_p, c_b, za, D)
    elif delta is not None:
        v = henderson(c_p, c_b, za, D, delta)
    T_safe = jnp.where(good, T, 1.0)
    mv = jnp.where(good, R_OVER_F_MV * T_safe * v, jnp.nan)
    code = jnp.where(good & ~jnp.isfinite(mv), UNDEFINED, code)
    return mv, code


_UNITS = {"c_pipette": "mM", "c_bath": "mM", "z": "", "D": "cm^2/s", "T": "K"}


@overload
def junction_potential(
    c_pipette: _PerIon,
    c_bath: _PerIon,
    z: Sequence[int],
    D: _PerIon,
    T: _PerPoint,
    *,
    method: str = ...,
    ln_gamma_pipette: _PerIon | None = ...,
    ln_gamma_bath: _PerIon | None = ...,
    with_code: Literal[False] = ...,
) -> _Potential: ...
@overload
def junction_potential(
    c_pipette: _PerIon,
    c_bath: _PerIon,
    z: Sequence[int],
    D: _PerIon,
    T: _PerPoint,
    *,
    method: str = ...,
    ln_gamma_pipette: _PerIon | None = ...,
    ln_gamma_bath: _PerIon | None = ...,
    with_code: Literal[True],
) -> tuple[_Potential, _Code]: ...
@with_units(_UNITS)
def junction_potential(
    c_pipette: _PerIon,
    c_bath: _PerIon,
    z: Sequence[int],
    D: _PerIon,
    T: _PerPoint,
    *,
    method: str = "nernst-planck",
    ln_gamma_pipette: _PerIon | None = None,
    ln_gamma_bath: _PerIon | None = None,
    with_code: bool = False,
) -> _Potential | tuple[_Potential, _Code]:
    r"""Liquid junction potential of the bath relative to the pipette, from stacked arrays.

    Sign: the potential of the bath relative to the pipette solution (as JPCalc and
    LJPcalc report it), so that V_membrane = V_recorded − LJP when the amplifier was zeroed
    with the pipette in the bath.

    Parameters
    ----------
    c_pipette, c_bath : array_like, shape (..., n_ions)
        Concentrations in the pipette and in the bath, mM (≥ 0), ions on the last axis;
        leading axes broadcast. Each side must be electroneutral within
        :data:`JUNCTION_NEUTRALITY_RTOL` (relative to ½Σ|z|·c).
    z : sequence of int, length n_ions
        Valences, concrete (a tuple; under ``jit`` a static value). Ions with z = 0 take no
        part.
    D : array_like, shape (..., n_ions) or (n_ions,)
        Diffusion coefficients, cm²/s (> 0 for every ion present); only their ratios
        matter, so mobilities relative to K⁺ serve as well.
    T : array_like, shape (...)
        Temperature, K.
    method : {"nernst-planck", "henderson"}, keyword-only
        Stationary Nernst–Planck junction with electroneutrality and zero current (the
        problem of JLJP/LJPcalc; Newton solve with implicit gradients), or the generalized
        Henderson equation (closed form; Barry & Lynch 1991).
    ln_gamma_pipette, ln_gamma_bath : array_like, shape (..., n_ions), optional
        Natural-log activity coefficients per ion on each side; None (ideal) by default.
        Henderson: the diffusion term uses ln a, with ln γ varying linearly across the
        junction as the concentrations do. Nernst–Planck: the ideal junction plus the
        correction the activity coefficients make to the Henderson junction.
    with_code : bool, keyword-only
        Also return a per-point code: 1 valid, 0 undefined (negative or non-finite input,
        an ion present without a positive D, a side without ions, T ≤ 0, no convergence),
        3 a side not electroneutral (the codes of a sweep's ``valid`` variable).

    Returns
    -------
    V : jax.Array, shape (...)
        The liquid junction potential φ_bath − φ_pipette, mV; NaN where the code is not 1.
    code : jax.Array of int, shape (...)
        Only with ``with_code=True``.

    Examples
    --------
    >>> import ionsweep
    >>> D = [1.334e-5, 1.957e-5, 2.032e-5]                    # Na+, K+, Cl-
    >>> V = junction_potential([50.0, 0, 50], [0.0, 50, 50], (1, 1, -1), D, 298.15)
    >>> round(float(V), 2)                                     # 50 NaCl | 50 KCl
    -4.36
    """
    c_p, c_b, zt, D, T, delta = _inputs(c_pipette, c_bath, z, D, T, ln_gamma_pipette, ln_gamma_bath)
    mv, code = _potential(c_p, c_b, zt, D, T, delta, method)
    return (mv, code) if with_code else mv


def junction_valid(c_pipette, c_bath, z, D, T):
    """The validity code of :func:`junction_potential` alone (1, 0 or 3 per point)."""
    c_p, c_b, zt, D, T, _ = _inputs(c_pipette, c_bath, z, D, T, None, None)
    return _codes(c_p, c_b, zt, D, T, None)
