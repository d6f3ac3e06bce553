"""Goldman–Hodgkin–Katz current and voltage equations for ions of any valence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
from jax import lax

from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import FARADAY, R_OVER_F_MV
from ionsweep.physics._ionaxis import ion_any, ion_min, ion_sum, ions_last
from ionsweep.physics._root import implicit_root

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float, Real


__all__ = ["ghk_current", "ghk_voltage"]

#: Bracket of the general root solve, in units of RT/F (≈ ±800 mV at 37 °C).
V_BRACKET = 30.0
#: Below this |u| the Bernoulli function uses its Taylor series.
_SERIES_CUTOFF = 1e-2


def _bernoulli_pair(u):
    """(B(u), B(−u)) with B(u) = u / (exp(u) − 1): one exp and one expm1 for both, no
    overflow, no cancellation, smooth and differentiable through u = 0.

    With a = |u|: B(a) = a·e^(−a) / (1 − e^(−a)) is small and stable, and B(−a) = a + B(a)
    adds two positive numbers; the pair is then swapped for u < 0.
    """
    small = jnp.abs(u) < _SERIES_CUTOFF
    u_safe = jnp.where(small, jnp.ones_like(u), u)
    a = jnp.abs(u_safe)
    em1 = -jnp.expm1(-a)  # 1 − e^(−a) > 0, accurate for small a
    b_pos = a * jnp.exp(-a) / em1  # B(a); e^(−a) not as 1 − em1, which loses it for large a
    b_neg = a + b_pos  # B(−a)
    pos = u_safe > 0
    u2 = u * u
    even = 1 + u2 / 12 - u2 * u2 / 720  # B(±u) = even ∓ u/2 (Taylor)
    b_u = jnp.where(small, even - u / 2, jnp.where(pos, b_pos, b_neg))
    b_minus_u = jnp.where(small, even + u / 2, jnp.where(pos, b_neg, b_pos))
    return b_u, b_minus_u


_UNITS = {"V": "mV", "P": "cm/s", "c_in": "mM", "c_out": "mM", "z": "", "T": "K"}


@with_units(_UNITS)
def ghk_current(
    V: Float[ArrayLike, "*#batch"],
    P: Float[ArrayLike, "*#batch"],
    c_in: Float[ArrayLike, "*#batch"],
    c_out: Float[ArrayLike, "*#batch"],
    z: Real[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
) -> Float[Array, "*batch"]:
    r"""Goldman–Hodgkin–Katz current density of one ion.

    .. math:: I = P\,\frac{z^2F^2V}{RT}\,
              \frac{c_{in} - c_{out}\,e^{-zFV/RT}}{1 - e^{-zFV/RT}}

    written as ``P · 1e-3 · zF · (c_in·B(−u) − c_out·B(u))`` with ``u = zFV/RT`` and the
    Bernoulli function ``B(u) = u/(eᵘ − 1)``, which is exactly NEURON's
    ``ghk(v, ci, co, z)`` multiplied by ``P``. The removable singularity at V = 0 is taken
    by a Taylor series, so value and gradient are finite and smooth through V = 0.

    Parameters
    ----------
    V : array_like
        Membrane potential, mV (φ_in − φ_out).
    P : array_like
        Permeability, cm/s (≥ 0).
    c_in, c_out : array_like
        Concentrations inside and outside, mM (≥ 0).
    z : array_like
        Signed valence; ``z = 0`` is undefined.
    T : array_like
        Absolute temperature, K (`ionsweep.celsius(37)` for 37 °C). Concrete values below
        200 K warn (:class:`ionsweep.TemperatureUnitWarning`): they are likely °C.

    Returns
    -------
    jax.Array
        Current density in mA/cm², outward positive. NaN where undefined (z = 0, a negative
        concentration or permeability, T ≤ 0, non-finite input).

    Examples
    --------
    >>> import ionsweep
    >>> float(ionsweep.ghk_current(0.0, 1e-6, 140.0, 5.0, 1, 310.15))  # doctest: +ELLIPSIS
    0.01302...
    """
    V, P, c_in, c_out, z, T = as_float(V, P, c_in, c_out, z, T)
    valid = (z != 0) & (T > 0) & (P >= 0) & (c_in >= 0) & (c_out >= 0)
    for a in (V, P, c_in, c_out, z, T):
        valid &= jnp.isfinite(a)
    T_safe = jnp.where(valid, T, jnp.ones_like(T))
    u = jnp.where(valid, z * V / (R_OVER_F_MV * T_safe), jnp.zeros_like(V))
    b_u, b_minus_u = _bernoulli_pair(u)
    flux = c_in * b_minus_u - c_out * b_u
    return jnp.where(valid, P * (1e-3 * FARADAY) * z * flux, jnp.nan)


def _net_current(v, P, c_in, c_out, z):
    """Dimensionless net GHK current Σ P·z·(c_in·B(−zv) − c_out·B(zv)), increasing in v."""
    u = z * v[..., None]
    b_u, b_minus_u = _bernoulli_pair(u)
    return ion_sum(P * z * (c_in * b_minus_u - c_out * b_u))


_solve_zero_current = implicit_root(_net_current)


@with_units(_UNITS)
def ghk_voltage(
    P: Float[ArrayLike, "*#batch n_ions"],
    c_in: Float[ArrayLike, "*#batch n_ions"],
    c_out: Float[ArrayLike, "*#batch n_ions"],
    z: Real[ArrayLike, "*#batch n_ions"],
    T: Float[ArrayLike, "*#batch"],
    *,
    axis: int = -1,
    valences_within_two: bool = False,
) -> Float[Array, "*batch"]:
    r"""Goldman–Hodgkin–Katz zero-net-current (reversal) potential for any mix of valences.

    The ion axis is ``axis`` (the last by default) of ``P``, ``c_in``, ``c_out`` and ``z``;
    the other axes broadcast with each other and with ``T``. A 1-d argument holds one value
    per ion; ``z`` must hold exactly one valence per ion, and every argument as many ions
    (or 1) along the ion axis: a mismatch is a ValueError naming the argument, never read
    as another layout (ions along the first axis with ``axis=-1`` would otherwise give
    each ion's own Nernst potential). Permeabilities may be absolute (cm/s) or relative to
    any reference: only their ratios matter.

    With x = exp(−FV/RT), the zero-current condition for ions with |z| ≤ 2 is the quadratic

    .. math:: A x^2 - b x - c = 0,\quad
              A = \sum_{|z|=1} P q + \sum_{|z|=2} 4 P q,\;
              b = \sum_{|z|=1} P (p - q),\;
              c = \sum_{|z|=1} P p + \sum_{|z|=2} 4 P p

    where p is the concentration that carries outward current (c_in for cations, c_out for
    anions) and q the other one. ``A, c > 0`` give exactly one positive root, so the
    all-monovalent Goldman equation and every mono/divalent mix are closed forms chosen by
    masks on ``z``, never by Python branching, and valences may be traced (a sweep axis).
    Only when an ion with |z| ≥ 3 is permeant does the function run a safeguarded
    Newton–bisection solve (started from the quadratic), with gradients by the
    implicit-function theorem; ``lax.cond`` skips the solve, decided once on ``z`` as
    given, when no valence has |z| ≥ 3.

    Parameters
    ----------
    P : array_like, shape (..., n_ions) (ion axis at ``axis``)
        Permeabilities, cm/s or relative (≥ 0; ions with P = 0 are ignored).
    c_in, c_out : array_like, shape (..., n_ions) (ion axis at ``axis``)
        Concentrations inside and outside, mM (≥ 0; zero allowed, e.g. bi-ionic).
    z : array_like, shape (n_ions,) or (..., n_ions) (ion axis at ``axis``)
        Signed valences (dimensionless), −3 … +3 (any non-zero value works; z = 0 with
        P > 0 is undefined).
    T : array_like, shape (...)
        Absolute temperature, K (`ionsweep.celsius(37)` for 37 °C), broadcasting with the
        shape of the other arguments without their ion axis. Concrete values below 200 K
        warn (:class:`ionsweep.TemperatureUnitWarning`): they are likely °C.
    axis : int, keyword-only
        The ion axis, an index into the broadcast shape of the arguments of two or more
        dimensions (static under ``jit``); −1 by default.
    valences_within_two : bool, keyword-only
        Promise that every valence in ``z`` is ±1 or ±2 (not checked; static under
        ``jit``): only the closed form is traced, without the general solve that
        ``lax.cond`` would otherwise carry into the compiled program (seconds of compile
        time for a branch that cannot be taken). For callers that know their valences,
        such as the sweep engine for valences fixed in a spec. False by default.

    Returns
    -------
    jax.Array, shape (...)
        Reversal potential in mV, of the broadcast shape without the ion axis. NaN where
        no zero-current potential exists (no permeant ion can carry outward, or no ion
        inward, current), where it lies beyond ±30 RT/F for the general solve, or where an
        input is invalid.

    Examples
    --------
    >>> import ionsweep
    >>> # squid axon, Hodgkin & Katz (1949): K, Na, Cl with P = 1 : 0.04 : 0.45
    >>> V = ionsweep.ghk_voltage([1.0, 0.04, 0.45], [400.0, 50.0, 40.0],
    ...                          [20.0, 440.0, 560.0], [1, 1, -1], 279.45)
    >>> round(float(V), 1)
    -59.4
    >>> # the same three ions along the first axis, at two temperatures along the second
    >>> V = ionsweep.ghk_voltage([[1.0], [0.04], [0.45]], [[400.0], [50.0], [40.0]],
    ...                          [[20.0], [440.0], [560.0]], [1, 1, -1], [279.45, 293.15], axis=0)
    >>> [round(float(v), 1) for v in V]
    [-59.4, -62.3]
    """
    P, c_in, c_out, z, T = as_float(P, c_in, c_out, z, T)
    per_ion = ions_last("ghk_voltage", axis, P=P, c_in=c_in, c_out=c_out, z=z)
    args = (*per_ion, T)
    if valences_within_two:
        # Still inside a cond: as its own computation the closed form compiles to faster
        # CPU code than inlined into a caller's fused kernel (benchmarks/RESULTS.md, design
        # notes).
        never = jnp.any(args[3] != args[3])  # traced, always False
        return lax.cond(never, _closed_form_voltage, _closed_form_voltage, *args)
    return _ghk_voltage(*args)


# jit here although the library otherwise leaves jit to its callers: the lax.cond and the
# while_loop of the root solve are otherwise compiled anew on every eager call.
# Inside a caller's jit this inner jit is simply inlined.
@jax.jit
def _ghk_voltage(P, c_in, c_out, z, T):
    shape = jnp.broadcast_shapes(P.shape, c_in.shape, c_out.shape, z.shape)
    if not shape:
        raise ValueError("ghk_voltage: P, c_in, c_out and z need an ion axis (the last axis)")
    # Whether the general solve may be needed anywhere is decided on z as given, before it is
    # broadcast over the batch: for the usual (n_ions,) valences that is a handful of
    # comparisons, and the closed-form branch stays one fused pass over the inputs.
    absz = jnp.abs(z)
    maybe_solve = jnp.any((absz != 1) & (absz != 2) & (z != 0))
    # Arrays go into the cond as given: a cond operand is materialized, so broadcasting a
    # scalar T (or shared permeabilities) here would write a whole batch-sized array.
    return lax.cond(maybe_solve, _general_voltage, _closed_form_voltage, P, c_in, c_out, z, T)


def _quadratic(P, c_in, c_out, z, T):
    """(v, valid): v = FV/RT from the quadratic, exact where every permeant ion has |z| <= 2.

    The arrays broadcast against each other (the ion axis last; ``T`` without it), and the
    results have the broadcast leading shape. Everything that depends on the valences alone
    is computed on ``z`` as given, once, not per point; validity is checked with arithmetic
    (min, sums) rather than per-ion boolean masks, which keeps the loop vectorized.
    """
    # Per-ion constants from z: which concentration carries outward current (c_in for
    # cations), and the weights of the quadratic. Ions with |z| >= 3 enter with weight z^2
    # (only as the starting point of the general solve).
    absz = jnp.abs(z)
    cation = z > 0
    mono = absz == 1
    w = jnp.where(mono, 1, absz * absz)
    m = mono.astype(P.dtype)
    zero = (z == 0).astype(P.dtype)
    Pp = P * jnp.where(cation, c_in, c_out)
    Pq = P * jnp.where(cation, c_out, c_in)
    A = ion_sum(w * Pq)
    c = ion_sum(w * Pp)
    b = ion_sum(m * (Pp - Pq))
    # Valid: no negative or NaN input (min propagates NaN), no permeant ion with z = 0, some
    # ion to carry current each way (A, c > 0), no infinity (it reaches A or c), T > 0.
    # A non-permeant ion (P = 0) drops out of every sum by its zero weight.
    lowest = ion_min(jnp.minimum(jnp.minimum(P, c_in), c_out))
    valid = (lowest >= 0) & (ion_sum(zero * P) == 0) & (A > 0) & (c > 0)
    valid &= jnp.isfinite(A) & jnp.isfinite(c) & (T > 0) & jnp.isfinite(T)

    one = jnp.ones_like(A)
    A = jnp.where(valid, A, one)
    c = jnp.where(valid, c, one)
    b = jnp.where(valid, b, 0 * one)
    sqrt_d = jnp.sqrt(b * b + 4 * A * c)
    # The cancellation-free root for either sign of b. Double where: for b >= 0, sqrt_d - b
    # can round to 0 (when 4Ac << b², i.e. |V| of ~1 V in float64, ~0.5 V in float32), and
    # the unused branch's inf would make the gradient NaN.
    pos = b >= 0
    x = jnp.where(pos, (b + sqrt_d) / (2 * A), 2 * c / jnp.where(pos, one, sqrt_d - b))
    return -jnp.log(x), valid


def _to_mV(v, valid, T):
    T_safe = jnp.where(valid, T, 1)
    return jnp.where(valid, R_OVER_F_MV * T_safe * v, jnp.nan)


def _closed_form_voltage(P, c_in, c_out, z, T):
    v, valid = _quadratic(P, c_in, c_out, z, T)
    return _to_mV(v, valid, T)


def _general_voltage(P, c_in, c_out, z, T):
    v_quad, valid = _quadratic(P, c_in, c_out, z, T)
    absz = jnp.abs(z)
    need_solve = valid & ion_any((P > 0) & (absz != 1) & (absz != 2))
    # Points that need no solve get a trivial problem (one monovalent ion at equal
    # concentrations, root 0), so they converge at once and have finite gradients.
    n = need_solve[..., None]
    args = (jnp.where(n, P, 1), jnp.where(n, c_in, 1), jnp.where(n, c_out, 1), jnp.where(n, z, 1))
    x0 = jnp.where(need_solve, v_quad, 0)
    lo = jnp.full_like(x0, -V_BRACKET)
    v = _solve_zero_current(lo, -lo, x0, need_solve, *args)
    return _to_mV(jnp.where(need_solve, v, v_quad), valid, T)
