"""Elementwise building blocks of the Pitzer kernel (:mod:`ionsweep.activity._pitzer`).

Every function here maps arrays of one batch shape to arrays of the same shape with scalar
(trace-time) coefficients, so that XLA fuses a whole Pitzer evaluation into one loop: no
reductions over the small ion axes, no matrix products, no loops over coefficients.
"""

from __future__ import annotations

import jax.numpy as jnp

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

# Below x = 1e-3 the closed forms of g(x) and g'(x) lose digits to cancellation; there their
# Taylor series (ascending powers of x, truncation error < 1e-13 relative) are used instead:
# g = 1 − 2x/3 + x²/4 − x³/15 + …,  g' = −x/3 + x²/4 − x³/10 + x⁴/36 − ….
_G_SERIES = (1.0, -2 / 3, 1 / 4, -1 / 15, 1 / 72)
_GP_SERIES = (0.0, -1 / 3, 1 / 4, -1 / 10, 1 / 36, -1 / 168)
_X_SERIES = 1e-3


def poly(coeffs, x):
    """Σ_k coeffs[k] x^k by Horner's rule (coefficients in ascending powers)."""
    out = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * x + c
    return out


def g_terms(x):
    """g(x), g'(x) and e^{−x} of the B, B' and B^φ functions (x = α√I ≥ 0).

    g(x) = 2[1 − (1 + x)e^{−x}]/x², g'(x) = −2[1 − (1 + x + x²/2)e^{−x}]/x²; finite with
    finite gradients down to x = 0.
    """
    small = x < _X_SERIES
    xs = jnp.where(small, jnp.ones_like(x), x)  # safe branch for the closed forms
    e = jnp.exp(-xs)
    one_minus = -jnp.expm1(-xs) - xs * e  # 1 − (1 + x)e^{−x}
    g_closed = 2 * one_minus / (xs * xs)
    gp_closed = e - g_closed
    return (
        jnp.where(small, poly(_G_SERIES, x), g_closed),
        jnp.where(small, poly(_GP_SERIES, x), gp_closed),
        jnp.exp(-x),
    )


def materialize(x):
    """``x`` unchanged (x / 1 is exact for every value, NaN and ±inf included), computed once.

    XLA:CPU fuses a producer made of cheap operations (multiply, add, select) into every
    consumer fusion, recomputing it there; the Pitzer kernel's shared terms (Harvie's J,
    A_φ, the Debye–Hückel term F) have one consumer per output column, so without this
    they would be evaluated once per ion (measured: 3.8–4.4× the time of the 5-ion kernel).
    A division is an operation XLA does not duplicate, and a divisor it cannot fold (1, or
    NaN where x is NaN) keeps it; ``lax.optimization_barrier`` does not prevent the
    duplication on CPU.
    """
    one = jnp.where(jnp.isnan(x), x, jnp.ones_like(x))
    return x / one


def harvie_j(x):
    """J(x) and J'(x) by Harvie's Chebyshev method; x > 0 (callers pass a safe x)."""
    low = x <= 1
    # z = 4x^{1/5} − 2 (x ≤ 1) or (40/9)x^{−1/10} − 22/9 (eqs. B-21, B-25), dz/dx = 0.8x^{−4/5}
    # or −(4/9)x^{−11/10} (eqs. B-22, B-26): one power x^p per element, p = 1/5 or −1/10.
    xp = jnp.exp(jnp.where(low, 0.2, -0.1) * jnp.log(x))
    z = jnp.where(low, 4 * xp - 2, 40 / 9 * xp - 22 / 9)
    dz = jnp.where(low, 0.8, -4 / 9) * xp / x
    # Clenshaw's recurrence from k = 20 down to 0 (eqs. B-23, B-24; B-27, B-28), unrolled:
    # b_k = z b_{k+1} − b_{k+2} + a_k, d_k = b_{k+1} + z d_{k+1} − d_{k+2}.
    a = [jnp.where(low, lo, hi) for lo, hi in zip(_AK_I, _AK_II, strict=True)]
    b2, b1 = jnp.zeros_like(x), a[20]  # b_21 = 0, b_20 = a_20
    b0 = z * b1 + a[19]
    d2, d1, d0 = jnp.zeros_like(x), jnp.zeros_like(x), b1  # d_21 = d_20 = 0, d_19 = b_20
    for k in range(18, -1, -1):
        b0, b1, b2 = z * b0 - b1 + a[k], b0, b1
        d0, d1, d2 = b1 + z * d0 - d1, d0, d1
    return 0.25 * x - 1 + 0.5 * (b0 - b2), 0.25 + 0.5 * dz * (d0 - d2)  # eqs. B-29, B-30


class M88Basis:
    """The basis functions of Møller's eq. 13 at T, each formed once and only when used."""

    def __init__(self, T):
        self.T = T
        self._cache = {}

    def _column(self, k):
        if k not in self._cache:
            T = self.T
            self._cache[k] = (None, lambda: T, lambda: 1 / T, lambda: jnp.log(T),
                              lambda: 1 / (T - 263), lambda: T * T, lambda: 1 / (680 - T),
                              lambda: 1 / (T - 227))[k]()  # fmt: skip
        return self._cache[k]

    def __call__(self, row):
        """P(T) for one parameter's eight coefficients (a Python float if P is constant).

        Only the non-zero coefficients contribute, so the poles of unused basis functions
        (T = 263, 227, 680 K) cannot turn the parameter into NaN.
        """
        out = None
        for k, c in enumerate(row):
            if c == 0:
                continue
            term = float(c) if k == 0 else self._column(k) * float(c)
            out = term if out is None else out + term
        return 0.0 if out is None else out


def etheta(zi, zj, aphi_sqrt_I, I_safe, pos, jcache):
    """ᴱθ_ij and ᴱθ'_ij (Pitzer 1991, eqs. B-14, B-15) for charges zi ≠ zj of one sign.

    ``jcache`` maps a charge product z_k z_l to (x, J(x), J'(x)) with x = 6 z_k z_l A_φ √I;
    it is shared between pairs, so each distinct product is evaluated once.
    """
    xs = []
    for prod in (zi * zj, zi * zi, zj * zj):
        if prod not in jcache:
            x = 6.0 * prod * aphi_sqrt_I
            x_safe = jnp.where(pos, x, jnp.ones_like(x))
            jcache[prod] = (x_safe, *(materialize(v) for v in harvie_j(x_safe)))
        xs.append(jcache[prod])
    (x0, J0, Jp0), (x1, J1, Jp1), (x2, J2, Jp2) = xs
    dJ = J0 - 0.5 * J1 - 0.5 * J2
    dxJp = x0 * Jp0 - 0.5 * (x1 * Jp1) - 0.5 * (x2 * Jp2)
    zz = float(zi * zj)
    et = zz / (4 * I_safe) * dJ
    etp = -et / I_safe + zz / (8 * I_safe * I_safe) * dxJp
    return jnp.where(pos, et, 0), jnp.where(pos, etp, 0)
