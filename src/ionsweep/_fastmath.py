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

__all__ = ["exp_fused", "poly", "recip_fused", "vlog"]


def poly(coeffs, x):
    """Σ_k coeffs[k] x^k by Horner's rule (coefficients in ascending powers)."""
    out = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        out = out * x + c
    return out


#: 1/k! for the Taylor series of e^r on |r| ≤ ln2/2 (degree 13: truncation below 1e-17).
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(14))


def exp_fused(v):
    """e^v for |v| ≤ 700 (float64) or 80 (float32), to about 1 ulp, from multiplications,
    additions, a rounding and an exponent-field bitcast only: e^v = 2^k·e^r with
    k = round(v/ln2), r = v − k·ln2 (Cody–Waite: ln2 split in two so that k·ln2_hi is
    exact) and a degree-13 Taylor polynomial of e^r.

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
    return p * two_k


def recip_fused(y):
    """1/y for finite y ≠ 0, to about 1 ulp, from cheap operations (as :func:`exp_fused`, so that
    XLA:CPU fuses it whatever its number of users): an exponent-field bitcast estimate
    within 13 % (Lomont's constant), then Newton steps r ← r(2 − |y|r), each squaring the
    relative error (5 reach double precision, 4 single)."""
    f64 = y.dtype == jnp.float64
    itype, magic, steps = (jnp.int64, 0x7FDE623822FC16E6, 5) if f64 else (jnp.int32, 0x7EF311C7, 4)
    a = jnp.abs(y)
    r = lax.bitcast_convert_type(magic - lax.bitcast_convert_type(a, itype), y.dtype)
    for _ in range(steps):
        r = r * (2 - a * r)
    return jnp.where(y < 0, -r, r)


_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # ln 2 = hi + lo
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the float64 bit pattern of √½
_TINY = 2.2250738585072014e-308  # smallest normal float64
_ATANH_SERIES = tuple(1 / (2 * k + 1) for k in range(12))


@jax.custom_jvp
def vlog(x):
    """ln x from elementwise arithmetic, within 2 ulp in float64 (float32: ``jnp.log``).

    XLA:CPU evaluates a float64 ``log`` by a scalar library call (about 4x the time of its
    vectorized ``exp``); this form vectorizes. x = 2^k m with m in [√½, √2) from the bit
    pattern, ln m = 2 atanh(s) = 2s Σ s^{2j}/(2j + 1), s = (m − 1)/(m + 1), |s| < 0.172
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
