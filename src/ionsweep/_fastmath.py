"""Elementwise functions built from cheap operations, for kernels on XLA:CPU.

XLA:CPU evaluates a float64 ``log`` by a scalar library call, and it will not fuse an
``exp`` or a division that has several users into their loop (it writes the value to memory
and splits the code around it). Built from multiplications, additions, roundings and
bit-pattern casts, these functions vectorize and stay inside one fused loop. Each is
tested against NumPy to within 2 ulp (``tests/activity/test_pitzer.py``,
``tests/physics/test_pump_leak_volume.py``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["exp_fused", "exp_keep_nan", "poly", "recip_fused", "vlog"]


def poly(coeffs, x):
    """Σ_k coeffs[k] x^k by Horner's rule (coefficients in ascending powers)."""
    out = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * x + c
    return out


#: 1/k! for the Taylor series of e^r on |r| ≤ ln2/2 (degree 13: truncation below 1e-17).
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(14))


#: Domains of :func:`exp_fused` (|v| at most) and :func:`recip_fused` (|y| at most), by
#: dtype: where the exponent-field arithmetic stays within normal numbers (measured: float32
#: exp exact to 2 ulp on [−87.3, 88.4], 1/y on [2^−126, 8.07e37]; float64 [−708.4, 709.4] and
#: [2^−1022, 4.25e307]).
_EXP_MAX = {jnp.dtype(jnp.float32): 87.0, jnp.dtype(jnp.float64): 708.0}
_RECIP_MAX = {jnp.dtype(jnp.float32): 4e37, jnp.dtype(jnp.float64): 2e307}


def exp_fused(v):
    """e^v for |v| ≤ 708 (float64) or 87 (float32), to about 1 ulp, from multiplications,
    additions, a rounding and an exponent-field bitcast only: e^v = 2^k·e^r with
    k = round(v/ln2), r = v − k·ln2 (Cody–Waite: ln2 split in two so that k·ln2_hi is
    exact) and a degree-13 Taylor polynomial of e^r. NaN outside that domain (the
    exponent field would overflow into garbage) and for a NaN v; one comparison and one
    select, which cost nothing measurable in the pump–leak–volume kernel.

    Why not ``jnp.exp``: XLA:CPU treats exp as expensive and will not fuse one that has
    several users into their loop unless it reaches all of them at once; it materializes
    it instead (an array written to and read back from memory) and splits the surrounding
    code into separate loops. Built from cheap operations, the exponential stays inside
    the one fused loop the Newton–Halley iterations compile to."""
    f64 = v.dtype == jnp.float64
    # fdlibm's ln2_hi (32 significant bits) in float64, an 8-bit one in float32.
    ln2_hi, ln2_lo = (
        (6.93147180369123816490e-01, 1.90821492927058770002e-10)
        if f64
        else (0.693359375, -2.12194440e-4)
    )
    k = jnp.round(v * 1.4426950408889634)
    r = (v - k * ln2_hi) - k * ln2_lo
    p = _EXP_TAYLOR[-1]
    for c in _EXP_TAYLOR[-2::-1]:
        p = p * r + c
    if f64:  # k as an int64 without a float64 → int64 conversion (none in AVX2)
        magic = 6755399441055744.0  # 1.5·2⁵²: k + magic holds k in its low bits
        bits = lax.bitcast_convert_type(k + magic, jnp.int64) - 0x4338000000000000
        two_k = lax.bitcast_convert_type((bits + 1023) << 52, v.dtype)
    else:
        two_k = lax.bitcast_convert_type((k.astype(jnp.int32) + 127) << 23, v.dtype)
    return jnp.where(jnp.abs(v) <= _EXP_MAX[v.dtype], p * two_k, jnp.nan)


def exp_keep_nan(x):
    """e^x, NaN where x is NaN, also inside XLA:CPU's fused float32 loops.

    Use it for the exp of a value that may have been masked to NaN (ln γ at an invalid
    point). XLA:CPU expands a float32 ``exp`` inline with a float-to-integer conversion of
    the exponent, which LLVM treats as undefined ("poison") for a NaN. A NaN that reaches it
    as the constant of an upstream ``jnp.where(valid, x, jnp.nan)`` then lets the compiler
    keep the other branch: ``exp`` of the masked ln γ comes out finite (γ = 1, −1, 7e22…).
    Here ``exp`` never sees a NaN (0 in its place) and the NaN is selected after it.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> x = jnp.array([0.0, 1.0, -2.0], jnp.float32)
    >>> jax.jit(lambda x: exp_keep_nan(jnp.where(x < 0, jnp.nan, x)))(x).tolist()
    [1.0, 2.7182817459106445, nan]
    """
    nan = jnp.isnan(x)
    return jnp.where(nan, jnp.nan, jnp.exp(jnp.where(nan, 0, x)))


def recip_fused(y):
    """1/y for 2^−126 ≤ |y| ≤ 4e37 (float32; float64: 2^−1022 ≤ |y| ≤ 2e307), to about
    1 ulp, from cheap operations (as :func:`exp_fused`, so that XLA:CPU fuses it whatever its
    number of users): an exponent-field bitcast estimate within 13 % (Lomont's constant),
    then Newton steps r ← r(2 − |y|r), each squaring the relative error (5 reach double
    precision, 4 single). NaN outside that domain (0, subnormals, ±inf, NaN, and |y| so
    large that 1/y is not a normal number), where the estimate would be garbage."""
    f64 = y.dtype == jnp.float64
    itype, magic, steps = (jnp.int64, 0x7FDE623822FC16E6, 5) if f64 else (jnp.int32, 0x7EF311C7, 4)
    a = jnp.abs(y)
    r = lax.bitcast_convert_type(magic - lax.bitcast_convert_type(a, itype), y.dtype)
    for _ in range(steps):
        r = r * (2 - a * r)
    inside = (a >= jnp.finfo(y.dtype).tiny) & (a <= _RECIP_MAX[y.dtype])
    return jnp.where(inside, jnp.where(y < 0, -r, r), jnp.nan)


_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # ln 2 = hi + lo
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the float64 bit pattern of √½
_TINY = 2.2250738585072014e-308  # smallest normal float64
_ATANH_SERIES = tuple(1 / (2 * k + 1) for k in range(12))


@jax.custom_jvp
def vlog(x):
    """ln x from elementwise arithmetic, within 2 ulp in float64 (float32: ``jnp.log``).

    XLA:CPU evaluates a float64 ``log`` by a scalar library call, several times the time of
    its vectorized ``exp`` (``benchmarks/RESULTS.md``, design notes); this form vectorizes.
    x = 2^k m with m in [√½, √2) from the bit pattern, ln m = 2 atanh(s) =
    2s Σ s^{2j}/(2j + 1), s = (m − 1)/(m + 1), |s| < 0.172
    (12 terms). 0 ≤ x below the smallest normal float64 → −inf (XLA:CPU flushes subnormals
    to zero), +inf → inf, x < 0 or NaN → NaN. Its dozen multiply-adds are cheap operations
    that XLA repeats in every consumer: wrap a result used in several places in
    :func:`ionsweep.activity._pitzer_terms.materialize`.
    """
    x = jnp.asarray(x)
    if x.dtype != jnp.float64:
        return jnp.log(x)
    bits = lax.bitcast_convert_type(x, jnp.int64)
    k = (bits - _SQRT_HALF_BITS) >> 52
    m = lax.bitcast_convert_type(bits - (k << 52), jnp.float64)
    f = m - 1.0
    s = f / (2.0 + f)
    kf = k.astype(jnp.float64)
    out = kf * _LN2_HI + (2 * s * poly(_ATANH_SERIES, s * s) + kf * _LN2_LO)
    special = jnp.where(x < _TINY, -jnp.inf, jnp.where(x == jnp.inf, jnp.inf, jnp.nan))
    return jnp.where((x >= _TINY) & (x < jnp.inf), out, jnp.where(x >= 0, special, jnp.nan))


@vlog.defjvp
def _vlog_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return vlog(x), t / x
