"""Elementwise building blocks of the Pitzer kernel (:mod:`ionsweep.activity._pitzer`).

Every function here maps arrays of one batch shape to arrays of the same shape with scalar
(trace-time) coefficients, so that XLA fuses a whole Pitzer evaluation into one loop: no
reductions over the small ion axes, no matrix products, no loops over coefficients.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from ionsweep._fastmath import poly, vlog

# Harvie's Chebyshev coefficients a_k, k = 0…20 (Pitzer 1991, Table B-1), for x ≤ 1 and x > 1.
_AK_I = (1.925154014814667, -0.060076477753119, -0.029779077456514, -0.007299499690937,
         0.000388260636404, 0.000636874599598, 0.000036583601823, -0.000045036975204,
         -0.000004537895710, 0.000002937706971, 0.000000396566462, -0.000000202099617,
         -0.000000025267769, 0.000000013522610, 0.000000001229405, -0.000000000821969,
         -0.000000000050847, 0.000000000046333, 0.000000000001943, -0.000000000002563,
         -0.000000000010991)  # fmt: skip
_AK_II = (0.628023320520852, 0.462762985338493, 0.150044637187895, -0.028796057604906,
          -0.036552745910311, -0.001668087945272, 0.006519840398744, 0.001130378079086,
          -0.000887171310131, -0.000242107641309, 0.000087294451594, 0.000034682122751,
          -0.000004583768938, -0.000003548684306, -0.000000250453880, 0.000000216991779,
          0.000000080779570, 0.000000004558555, -0.000000006944757, -0.000000002849257,
          0.000000000237816)  # fmt: skip

# Coefficients of the derivative series: (k + 1) a_{k+1}, k = 0…19.
_DK_I = tuple((k + 1) * a for k, a in enumerate(_AK_I[1:]))
_DK_II = tuple((k + 1) * a for k, a in enumerate(_AK_II[1:]))

# Below x = 1e-3 the closed forms of g(x) and g'(x) lose digits to cancellation; there their
# Taylor series (ascending powers of x, truncation error < 1e-13 relative) are used instead:
# g = 1 − 2x/3 + x²/4 − x³/15 + …,  g' = −x/3 + x²/4 − x³/10 + x⁴/36 − ….
_G_SERIES = (1.0, -2 / 3, 1 / 4, -1 / 15, 1 / 72)
_GP_SERIES = (0.0, -1 / 3, 1 / 4, -1 / 10, 1 / 36, -1 / 168)
_X_SERIES = 1e-3
_E_MINUS_1 = math.exp(-1.0)
_EXPM1_MINUS_1 = math.expm1(-1.0)


def g_terms(x):
    """g(x), g'(x) and e^{−x} of the B, B' and B^φ functions (x = α√I ≥ 0).

    g(x) = 2[1 − (1 + x)e^{−x}]/x², g'(x) = −2[1 − (1 + x + x²/2)e^{−x}]/x²; finite with
    finite gradients down to x = 0. One transcendental, e^{−x} − 1, serves all three.
    """
    small = x < _X_SERIES
    em1 = jnp.expm1(-x)
    e = 1 + em1
    # Closed forms on a safe branch (x ≥ 1e-3; x = 1 where the series is used).
    xs = jnp.where(small, jnp.ones_like(x), x)
    es = jnp.where(small, jnp.full_like(x, _E_MINUS_1), e)
    one_minus = -jnp.where(small, jnp.full_like(x, _EXPM1_MINUS_1), em1) - xs * es
    g_closed = 2 * one_minus / (xs * xs)  # 1 − (1 + x)e^{−x} above
    gp_closed = es - g_closed
    return (
        jnp.where(small, poly(_G_SERIES, x), g_closed),
        jnp.where(small, poly(_GP_SERIES, x), gp_closed),
        e,
    )


def _one_or_nan(x):
    return jnp.where(jnp.isnan(x), x, jnp.ones_like(x))


@jax.custom_jvp
def materialize(x):
    """``x`` unchanged (x / 1 is exact for every value, NaN and ±inf included), computed once.

    XLA:CPU fuses a producer made of cheap operations (multiply, add, select) into every
    consumer fusion, recomputing it there; the Pitzer kernel's shared terms (Harvie's J,
    A_φ, the Debye–Hückel term F) have one consumer per output column, so without this
    they would be evaluated once per ion (``benchmarks/RESULTS.md``, design notes).
    A division is an operation XLA does not duplicate, and a divisor it cannot fold (1, or
    NaN where x is NaN) keeps it; ``lax.optimization_barrier`` does not prevent the
    duplication on CPU.

    Its derivative is the tangent divided by the same divisor (the tangent unchanged, NaN
    where x is NaN: what differentiating x / 1 gives), so the tangent too is computed once.
    Differentiated as a plain division instead, the tangent would read x itself, and XLA
    would repeat the whole chain behind x (Harvie's recurrences) in the tangent's loops,
    and a forward-mode derivative of the Pitzer kernel would compile much slower.
    """
    return x / _one_or_nan(x)


@materialize.defjvp
def _materialize_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    one = _one_or_nan(x)
    return x / one, t / one  # linear in t, so reverse mode transposes it


def harvie_j(x, log_x=None):
    """J(x) and J'(x) by Harvie's Chebyshev method; x > 0 (callers pass a safe x).

    ``log_x``: ln x if the caller has it (the kernel derives the ln x of every charge product
    from one logarithm: XLA:CPU evaluates a float64 log by a scalar library call).
    """
    low = x <= 1
    # z = 4x^{1/5} − 2 (x ≤ 1) or (40/9)x^{−1/10} − 22/9 (eqs. B-21, B-25), dz/dx = 0.8x^{−4/5}
    # or −(4/9)x^{−11/10} (eqs. B-22, B-26): one power x^p per element, p = 1/5 or −1/10.
    log_x = vlog(x) if log_x is None else log_x
    xp = jnp.exp(jnp.where(low, 0.2, -0.1) * log_x)
    z = jnp.where(low, 4 * xp - 2, 40 / 9 * xp - 22 / 9)
    dz = jnp.where(low, 0.8, -4 / 9) * xp / x
    # J: Clenshaw's recurrence from k = 20 down to 0 (eqs. B-23, B-24; B-27, B-28), unrolled:
    # b_k = z b_{k+1} − b_{k+2} + a_k, J = x/4 − 1 + (b_0 − b_2)/2 = x/4 − 1 + Σ' a_k T_k(z/2).
    a = [jnp.where(low, lo, hi) for lo, hi in zip(_AK_I, _AK_II, strict=True)]
    b2, b1 = jnp.zeros_like(x), a[20]  # b_21 = 0, b_20 = a_20
    b0 = z * b1 + a[19]
    for k in range(18, -1, -1):
        b0, b1, b2 = z * b0 - b1 + a[k], b0, b1
    # J': the derivative series on its own, Σ_k k a_k U_{k−1}(z/2) (d T_k/dt = k U_{k−1}), by
    # the same recurrence; equal to Harvie's d_k form (eq. B-30), but independent of the b_k,
    # so XLA computes J and J' in separate loops without evaluating the b_k twice.
    c = [jnp.where(low, lo, hi) for lo, hi in zip(_DK_I, _DK_II, strict=True)]
    u1 = c[19]
    u0 = z * u1 + c[18]
    for k in range(17, -1, -1):
        u0, u1 = z * u0 - u1 + c[k], u0
    return 0.25 * x - 1 + 0.5 * (b0 - b2), 0.25 + 0.5 * dz * u0  # eqs. B-29, B-30


def etheta(zi, zj, aphi_sqrt_I, inv_I, pos, jcache):
    """ᴱθ_ij and ᴱθ'_ij (Pitzer 1991, eqs. B-14, B-15) for charges zi ≠ zj of one sign.

    ``inv_I`` is 1/I (any finite value where ``pos`` is false). ``jcache`` maps a charge
    product z_k z_l to (x, J(x), J'(x)) with x = 6 z_k z_l A_φ √I (x = z_k z_l where I = 0,
    a safe value the caller masks), and a charge pair to its
    (ᴱθ, ᴱθ'): both depend on the charges only, so each is evaluated once per call of the
    kernel however many ion pairs share them (Na⁺–Ca²⁺, K⁺–Mg²⁺, … are one (1, 2) pair).
    """
    key = ("etheta", min(zi, zj), max(zi, zj))
    if key in jcache:
        return jcache[key]
    if "base" not in jcache:  # 6 A_φ √I (1 where I = 0) and its logarithm, shared
        base = jnp.where(pos, 6.0 * aphi_sqrt_I, jnp.ones_like(aphi_sqrt_I))
        jcache["base"] = (base, materialize(vlog(base)))
    base, log_base = jcache["base"]
    xs = []
    for prod in (zi * zj, zi * zi, zj * zj):
        if prod not in jcache:
            x_safe = float(prod) * base
            J = harvie_j(x_safe, log_base + math.log(prod))
            jcache[prod] = (x_safe, *(materialize(v) for v in J))
        xs.append(jcache[prod])
    (x0, J0, Jp0), (x1, J1, Jp1), (x2, J2, Jp2) = xs
    dJ = J0 - 0.5 * J1 - 0.5 * J2
    dxJp = x0 * Jp0 - 0.5 * (x1 * Jp1) - 0.5 * (x2 * Jp2)
    zz = float(zi * zj)
    et = (0.25 * zz) * inv_I * dJ
    etp = inv_I * ((0.125 * zz) * inv_I * dxJp - et)
    jcache[key] = (jnp.where(pos, et, 0), jnp.where(pos, etp, 0))
    return jcache[key]
