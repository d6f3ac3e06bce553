"""Donnan equilibrium of a compartment holding impermeant charge, facing an infinite bath."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
from jax import lax

from ionsweep._units import with_units
from ionsweep._util import as_float
from ionsweep.constants import R_OVER_F_MV
from ionsweep.physics._ionaxis import ion_all, ion_axis_back, ion_sum, ions_last
from ionsweep.physics._root import implicit_root

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Bool, Float, Real


__all__ = ["BATH_NEUTRALITY_RTOL", "bath_neutral", "donnan", "donnan_osmotic_imbalance"]

#: Bracket of the solve, in units of RT/F (≈ ±800 mV at 37 °C).
V_BRACKET = 30.0
#: Batches above twice this many points are solved block by block (see ``_blocks``).
BLOCK_POINTS = 1 << 15
#: Relative tolerance of a bath's electroneutrality, |Σ z·c| ≤ rtol·Σ |z|·c (float64; see
#: :func:`bath_neutral`). ``calc donnan`` refuses a bath outside it, sweeps flag the point.
BATH_NEUTRALITY_RTOL = 1e-9
#: In a narrower dtype the tolerance is this many of its epsilons (float32: 1.9e-6), the
#: rounding of the concentrations themselves.
BATH_NEUTRALITY_ULPS = 16


def bath_neutral(
    c_bath: Float[ArrayLike, "*#batch n_ions"],
    z: Real[ArrayLike, "*#batch n_ions"],
    *,
    axis: int = -1,
) -> Bool[Array, "*batch"]:
    """Whether each bath is electroneutral: |Σ z·c_bath| ≤ rtol·Σ |z|·c_bath.

    rtol is :data:`BATH_NEUTRALITY_RTOL`, or :data:`BATH_NEUTRALITY_ULPS` epsilons of the
    inputs' dtype where that is larger (float32). A Donnan equilibrium with a bath that is
    not neutral describes no real solution: ``calc donnan`` refuses it, and the sweep model
    flags such points (``valid`` = 3, outputs NaN).

    Parameters
    ----------
    c_bath : array_like, shape (..., n_ions)
        Bath concentrations, mM.
    z : array_like, shape (..., n_ions)
        Signed valences, one per ion.
    axis : int, keyword-only
        The ion axis, as in :func:`donnan`; −1 by default.

    Returns
    -------
    jax.Array of bool, shape (...)
        False where the net charge exceeds the tolerance, or where it is NaN.

    Examples
    --------
    >>> bool(bath_neutral([150.0, 150.0], [1, -1])), bool(bath_neutral([150.0, 10.0], [1, -1]))
    (True, False)
    """
    c_bath, z = as_float(c_bath, z)
    c_bath, z = ions_last("bath_neutral", axis, c_bath=c_bath, z=z)
    rtol = max(BATH_NEUTRALITY_RTOL, BATH_NEUTRALITY_ULPS * float(jnp.finfo(c_bath.dtype).eps))
    net = ion_sum(z * c_bath)
    total = ion_sum(jnp.abs(z) * c_bath)
    return jnp.abs(net) <= rtol * total


def _exp_neg_zv(v, z):
    """exp(−z·v) per ion, (..., n_ions), for any real z."""
    return jnp.exp(-z * v[..., None])


@jax.custom_jvp
def _exp_neg_zv_small_int(v, z):
    """exp(−z·v) per ion, (..., n_ions), for integer z in −3 … 3: from x = e^(−v) by
    products (x^z for z ≥ 0, (1/x)^|z| for z < 0), so all the ions of a point share one
    exp. The derivative rule is that of exp(−z·v) in both v and z, so implicit gradients
    with respect to z stay right."""
    x = jnp.exp(-v)[..., None]
    y = 1 / x
    x2, y2 = x * x, y * y
    up = jnp.where(z == 0, 1, jnp.where(z == 1, x, jnp.where(z == 2, x2, x2 * x)))
    down = jnp.where(z == -1, y, jnp.where(z == -2, y2, y2 * y))
    return jnp.where(z >= 0, up, down)


@_exp_neg_zv_small_int.defjvp
def _exp_neg_zv_small_int_jvp(primals, tangents):
    v, z = primals
    dv, dz = tangents
    e = _exp_neg_zv_small_int(v, z)
    return e, -e * (z * dv[..., None] + v[..., None] * dz)


def _solver(power):
    def neg_charge(v, c_bath, z, rho):
        """−(inside charge density) as a function of v = FV/RT; increasing in v."""
        return -(ion_sum(z * c_bath * power(v, z)) + rho)

    # Newton from the exact monovalent solution: 3 steps converge for typical baths
    # (divalent ions at a few mM); 5 more, run only if some point needs them, cover divalent
    # ions up to ~10 mM and fixed charges to −200 mM; the safeguarded solve catches the rest.
    # (Newton on ln(negative charge) − ln(positive charge) needs fewer steps from poor
    # starts, but its two logarithms per step cost more than the steps it saves.)
    return implicit_root(neg_charge, newton_steps=(3, 5))


_solve_neutral = _solver(_exp_neg_zv)
_solve_neutral_small_int = _solver(_exp_neg_zv_small_int)


def _broadcast(c_bath, z, fixed_charge, T, axis=-1, kernel="donnan"):
    c_bath, z, rho, T = as_float(c_bath, z, fixed_charge, T)
    c_bath, z = ions_last(kernel, axis, c_bath=c_bath, z=z)
    shape = jnp.broadcast_shapes(c_bath.shape, z.shape)
    if not shape:
        raise ValueError("donnan: c_bath and z need an ion axis (the last axis)")
    lead = jnp.broadcast_shapes(shape[:-1], rho.shape, T.shape)
    full = lead + shape[-1:]
    # z stays as given (usually (n_ions,)): the solver's path is chosen on it, and per-ion
    # quantities of z alone are computed once rather than per point.
    return (
        jnp.broadcast_to(c_bath, full),
        z,
        jnp.broadcast_to(rho, lead),
        jnp.broadcast_to(T, lead),
    )


_UNITS = {"c_bath": "mM", "z": "", "fixed_charge": "mM", "T": "K", "c_impermeant": "mM"}


@with_units(_UNITS)
def donnan(
    c_bath: Float[ArrayLike, "*#batch n_ions"],
    z: Real[ArrayLike, "*#batch n_ions"],
    fixed_charge: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    *,
    axis: int = -1,
) -> tuple[Float[Array, "*batch"], Float[Array, "*batch n_ions"]]:
    r"""Donnan equilibrium with an infinite bath of permeant ions.

    Every permeant ion is at its Nernst equilibrium, ``c_in = c_bath·exp(−zFV/RT)``, and the
    compartment is electroneutral, ``Σ z·c_in + fixed_charge = 0``. The neutrality condition
    is strictly monotone in V, so the root is unique when it exists; it is found by a
    safeguarded Newton–bisection solve started from the exact all-monovalent solution
    (which it returns in one step when all ions are monovalent), with gradients by the
    implicit-function theorem. Neutral solutes (z = 0) simply equilibrate (c_in = c_bath).

    Parameters
    ----------
    c_bath : array_like, shape (..., n_ions) (ion axis at ``axis``)
        Bath (outside) concentrations of the permeant ions, mM (≥ 0). The bath should be
        electroneutral (Σ z·c_bath = 0); the kernel does not enforce it.
    z : array_like, shape (n_ions,) or (..., n_ions) (ion axis at ``axis``)
        Signed valences of the permeant ions (dimensionless), exactly one per ion: a ``z``
        whose length does not match the ion axis of ``c_bath`` is a ValueError.
    fixed_charge : array_like, shape (...)
        Impermeant charge inside, mM of elementary charge, signed (e.g. −50 for 50 mM of a
        monovalent anionic protein).
    T : array_like, shape (...)
        Absolute temperature, K (`ionsweep.celsius(37)` for 37 °C). Concrete values below
        200 K warn (:class:`ionsweep.TemperatureUnitWarning`): they are likely °C.
    axis : int, keyword-only
        The ion axis of ``c_bath`` and ``z``, an index into the broadcast shape of those of
        two or more dimensions (a 1-d one holds one value per ion; static under ``jit``);
        −1 by default.

    Returns
    -------
    V : jax.Array, shape (...)
        Donnan potential φ_in − φ_out, mV.
    c_in : jax.Array, shape (..., n_ions)
        Inside concentrations at equilibrium, mM, with the ion axis where ``axis`` puts it.

    Both are NaN where no equilibrium exists (e.g. a negative fixed charge and no permeant
    cation), where |V| would exceed 30 RT/F, or for invalid input.

    Examples
    --------
    >>> import ionsweep
    >>> V, c_in = ionsweep.donnan([150.0, 150.0], [1, -1], -50.0, 310.15)
    >>> round(float(V), 2), [round(float(c), 2) for c in c_in]
    (-4.43, [177.07, 127.07])
    """
    V, c_in = _donnan(*_broadcast(c_bath, z, fixed_charge, T, axis))
    return V, ion_axis_back(c_in, axis, c_bath, z)


# jit here although the library otherwise leaves jit to its callers: the root solve's
# while_loop is otherwise compiled anew on every eager call. Inlined inside a caller's jit.
@jax.jit
def _donnan(c_bath, z, rho, T):
    lead, k = rho.shape, c_bath.shape[-1]
    n = math.prod(lead)
    if n > 2 * BLOCK_POINTS:
        # Valences with leading axes of their own (a valence sweep) are sliced like the rest.
        per_point = any(d > 1 for d in z.shape[:-1])
        zb = jnp.broadcast_to(z, c_bath.shape).reshape(n, k) if per_point else z.reshape(k)
        flat = (c_bath.reshape(n, k), zb, rho.reshape(n), T.reshape(n))
        # Blocks pay on CPU (cache); a GPU wants the whole batch in one kernel.
        V = lax.platform_dependent(
            *flat,
            cpu=lambda c, zz, r, t: _blocks(c, zz, r, t, per_point),
            default=_potential,
        ).reshape(lead)
    else:
        V = _potential(c_bath, z, rho, T)
    # From V and outside the solve, so that a caller who only wants V does not pay for c_in.
    ok = jnp.isfinite(V)
    v = jnp.where(ok, V, 0) / (R_OVER_F_MV * jnp.where(ok, T, 1))
    c_in = jnp.where(ok[..., None], c_bath * _exp_neg_zv(v, z), jnp.nan)
    return V, c_in


def _blocks(c_bath, z, rho, T, per_point):
    """:func:`_potential` block by block over flat (n,) points, in place in one buffer (CPU).

    A block's working set stays in cache, and each block runs only the Newton stages its
    own points need, so one hard bath no longer makes the whole batch iterate. The last
    block is shifted back to end at n (overlapping its neighbour) rather than padded, so
    nothing is copied.
    """
    n = rho.shape[0]

    def body(i, V_all):
        start = jnp.minimum(i * BLOCK_POINTS, n - BLOCK_POINTS)

        def cut(a):
            return lax.dynamic_slice_in_dim(a, start, BLOCK_POINTS)

        V = _potential(cut(c_bath), cut(z) if per_point else z, cut(rho), cut(T))
        return lax.dynamic_update_slice_in_dim(V_all, V, start, 0)

    return lax.fori_loop(0, -(-n // BLOCK_POINTS), body, jnp.zeros_like(rho))


def _potential(c_bath, z, rho, T):
    """Donnan potential V (mV); NaN where the input is invalid or no equilibrium exists."""
    ion_ok = (c_bath >= 0) & jnp.isfinite(c_bath) & jnp.isfinite(z)
    cation_charge = ion_sum(jnp.where(z > 0, z * c_bath, 0))
    anion_charge = ion_sum(jnp.where(z < 0, -z * c_bath, 0))
    valid = ion_all(ion_ok) & (T > 0) & jnp.isfinite(T) & jnp.isfinite(rho)
    valid &= ((cation_charge > 0) | (rho > 0)) & ((anion_charge > 0) | (rho < 0))

    # Exact root for monovalent ions, C+ x^2 + rho x - C- = 0 with x = exp(-v), as the start.
    one = jnp.ones_like(rho)
    cp = jnp.where(valid, cation_charge, one)
    cm = jnp.where(valid, anion_charge, one)
    r = jnp.where(valid, rho, 0 * one)
    sqrt_d = jnp.sqrt(r * r + 4 * cp * cm)
    x0 = jnp.where(r > 0, 2 * cm / (r + sqrt_d), (sqrt_d - r) / (2 * jnp.where(cp > 0, cp, 1)))
    v0 = -jnp.log(x0)

    # The solver sees the raw inputs: masking them would make XLA materialize copies of the
    # whole (..., n_ions) arrays for the fallback branch. Points are independent, so an
    # invalid point can only produce NaN values and gradients at itself; it is masked
    # below and marked inactive, so it never triggers the safeguarded fallback either.
    lo = jnp.full_like(v0, -V_BRACKET)
    # Integer valences within ±3 (the usual case, decided once on z as given) need one exp
    # per Newton step instead of one per ion; any other z takes the general branch.
    small_int = jnp.all((z == jnp.round(z)) & (jnp.abs(z) <= 3))

    def solve(solver):
        return lambda args: jnp.where(valid, solver(lo, -lo, v0, valid, *args), 0)

    v = lax.cond(small_int, solve(_solve_neutral_small_int), solve(_solve_neutral), (c_bath, z, r))
    return jnp.where(valid, R_OVER_F_MV * jnp.where(valid, T, one) * v, jnp.nan)


@with_units(_UNITS)
def donnan_osmotic_imbalance(
    c_bath: Float[ArrayLike, "*#batch n_ions"],
    z: Real[ArrayLike, "*#batch n_ions"],
    fixed_charge: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    c_impermeant: Float[ArrayLike, "*#batch"],
    *,
    axis: int = -1,
) -> Float[Array, "*batch"]:
    """Osmolarity excess of a Donnan compartment over its bath (ideal solution).

    At Donnan equilibrium the compartment holds more particles than the bath: the
    redistributed permeant ions plus the impermeant species. This excess drives water in
    (cells would swell without a pump), which is the physiological point of the Donnan
    equilibrium.

    Parameters
    ----------
    c_bath, z, fixed_charge, T, axis
        As in :func:`donnan` (mM, valences, mM of elementary charge, K, the ion axis).
    c_impermeant : array_like, shape (...)
        Concentration of the impermeant species themselves, mM (for a protein of charge
        −k per molecule, ``fixed_charge = −k·c_impermeant``).

    Returns
    -------
    jax.Array, shape (...)
        Σ c_in + c_impermeant − Σ c_bath in mOsm/L (osmotic coefficient taken as 1).

    Examples
    --------
    >>> import ionsweep
    >>> d = ionsweep.donnan_osmotic_imbalance([150.0, 150.0], [1, -1], -50.0, 310.15, 50.0)
    >>> round(float(d), 2)
    54.14
    """
    args = _broadcast(c_bath, z, fixed_charge, T, axis, "donnan_osmotic_imbalance")
    _, c_in = _donnan(*args)
    c_bath = args[0]
    (c_imp,) = as_float(c_impermeant)
    return ion_sum(c_in) - ion_sum(c_bath) + c_imp
