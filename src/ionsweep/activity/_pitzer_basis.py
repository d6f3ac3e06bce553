"""Temperature functions of Pitzer parameters and of A_φ.

Every Pitzer parameter (:class:`~ionsweep.activity._pitzer_params.PitzerParameters`) is a
row of temperature coefficients in one shared basis (``BASIS``, reference temperature
T_r = 298.15 K)::

    P(T) = c0 + c1 (T − T_r) + c2 (1/T − 1/T_r) + c3 ln(T/T_r) + c4 [1/(T − 263) − 1/(T_r − 263)]
           + c5 (T² − T_r²) + c6 [1/(680 − T) − 1/(680 − T_r)] + c7 [1/(T − 227) − 1/(T_r − 227)]
           + c8 (1/T² − 1/T_r²)

so c0 is the value at 25 °C. Møller's (1988) eq.-13 form (a1 + a2 T + a3/T + a4 ln T +
a5/(T − 263) + a6 T² + a7/(680 − T) + a8/(T − 227)) maps to c1…c7 unchanged with
c0 = P(T_r); PHREEQC's six-coefficient function (A0 + A1(1/T − 1/T_r) + A2 ln(T/T_r) +
A3(T − T_r) + A4(T² − T_r²) + A5(1/T² − 1/T_r²)) maps to c0 = A0, c2 = A1, c3 = A2, c1 = A3,
c5 = A4, c8 = A5. Differences from T_r keep float32 evaluation free of the cancellation of
the absolute forms.

:class:`Rows` evaluates such rows inside the kernel (constants folded for a concrete set);
the A_φ functions give the Debye–Hückel osmotic slope of the built-in sets.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ionsweep._fastmath import vlog
from ionsweep.activity._pitzer_terms import materialize

__all__ = [
    "APHI_HMW84_ROW",
    "APHI_M88_ROW",
    "BASIS",
    "K",
    "T_REF",
    "Rows",
    "aphi_hmw84",
    "aphi_moller1988",
    "aphi_phreeqc",
    "basis_column",
    "eval_rows",
    "m88_row",
    "phreeqc_row",
]

T_REF = 298.15
#: Names of the temperature basis columns (see the module docstring).
BASIS = ("1", "T-Tr", "1/T-1/Tr", "ln(T/Tr)", "1/(T-263)", "T^2-Tr^2", "1/(680-T)",
         "1/(T-227)", "1/T^2-1/Tr^2")  # fmt: skip
K = len(BASIS)


def _abs_basis(T):
    """Møller's eq.-13 basis (absolute form), NumPy, at scalar T."""
    return np.array([1.0, T, 1 / T, np.log(T), 1 / (T - 263), T * T, 1 / (680 - T), 1 / (T - 227)])


def m88_row(*a: float) -> np.ndarray:
    """A row of the shared basis from Møller's eq.-13 coefficients a1…a8 (zero-padded)."""
    coeffs = np.array([float(x) for x in a] + [0.0] * (8 - len(a)))
    row = np.zeros(K)
    row[0] = float(coeffs @ _abs_basis(T_REF))
    row[1:8] = coeffs[1:8]
    return row


def phreeqc_row(*A: float) -> np.ndarray:
    """A row of the shared basis from PHREEQC's A0…A5 (zero-padded)."""
    coeffs = [float(x) for x in A] + [0.0] * (6 - len(A))
    row = np.zeros(K)
    row[0], row[2], row[3], row[1], row[5], row[8] = coeffs
    return row


def basis_column(k: int, T):
    """Column ``k`` of the shared basis at T (K), elementwise."""
    r = T_REF
    if k == 0:
        return jnp.ones_like(T)
    if k == 1:
        return T - r
    if k == 2:
        return (r - T) / (T * r)
    if k == 3:
        return vlog(T / r)
    if k == 4:
        return (r - T) / ((T - 263) * (r - 263))
    if k == 5:
        return (T - r) * (T + r)
    if k == 6:
        return (T - r) / ((680 - T) * (680 - r))
    if k == 7:
        return (r - T) / ((T - 227) * (r - 227))
    return (r - T) * (r + T) / (T * T * r * r)


def eval_rows(rows, T):
    """Evaluate rows (P, K) of basis coefficients at T (...): shape (..., P)."""
    rows = np.asarray(rows, dtype=float).reshape(-1, K)
    T = jnp.asarray(T)
    out = jnp.zeros(T.shape + (rows.shape[0],), T.dtype if T.dtype != jnp.int32 else float)
    for k in np.flatnonzero(np.any(rows != 0, axis=0)):
        out = out + basis_column(int(k), T)[..., None] * jnp.asarray(rows[:, k], out.dtype)
    return out


def aphi_moller1988(T):
    """Debye–Hückel osmotic slope A_φ of Møller (1988), (kg/mol)^½, T in K (0–300 °C).

    >>> round(float(aphi_moller1988(298.15)), 5)
    0.39148
    """
    return eval_rows(APHI_M88_ROW, jnp.asarray(T, float))[..., 0]


def aphi_hmw84(T):
    """A_φ for the HMW84 set, (kg/mol)^½: 0.392 at 25 °C, as HMW84 prescribe.

    Away from 25 °C it follows Møller's (1988) temperature dependence (offset to 0.392 at
    298.15 K); the HMW84 parameters themselves are 25 °C values.

    >>> round(float(aphi_hmw84(298.15)), 6)
    0.392
    """
    return eval_rows(APHI_HMW84_ROW, jnp.asarray(T, float))[..., 0]


def aphi_phreeqc(T):
    """A_φ as PHREEQC computes it for its Pitzer model, (kg/mol)^½, T in K, at 1 atm.

    A_φ = (1/3)(2π N_A ρ_w/1000)^½ (e²/(ε_r k T))^{3/2} (cgs), with ε_r of Bradley & Pitzer
    (1979, *J. Phys. Chem.* 83, 1599) and ρ_w of Wagner & Pruß (2002, *J. Phys. Chem. Ref.
    Data* 31, 387, eq. 2.6) on the saturation line plus PHREEQC's pressure correction to
    1 atm (PHREEQC 3 ``calc_dielectrics`` and ``calc_rho_0``, with its constants).

    >>> round(float(aphi_phreeqc(298.15)), 4)
    0.3915
    """
    T = jnp.asarray(T, float)
    tc = T - 273.15
    d1000 = 3.4279e2 * jnp.exp(T * (-5.0866e-3 + T * 9.469e-7))
    c = -2.0525 + 3.1159e3 / (-1.8289e2 + T)
    b = -8.0325e3 + 4.2142e6 / T + 2.1417 * T
    eps = d1000 + c * vlog((b + 1.01325) / (b + 1e3))
    th = 1 - T / 647.096
    # θ^{1/3} as sign·exp(ln|θ|/3), not jnp.cbrt: XLA:CPU calls a scalar cbrt that keeps the
    # whole fused loop from vectorizing (benchmarks/RESULTS.md, design notes); within 5e-16
    # relative.
    # Logarithms here are vlog: XLA:CPU's float64 log is a scalar library call.
    t13 = jnp.sign(th) * jnp.exp(vlog(jnp.abs(th)) / 3)
    t23 = t13 * t13
    th5 = th**5
    rho_sat = 322.0 * (1 + 1.99274064 * t13 + 1.09965342 * t23 - 0.510839303 * th * t23
                       - 1.75493479 * th5 * t13 - 45.5170352 * th5 * th5 * th**4 * t13
                       - 6.7469445e5 * (th5 * th5 * th5) ** 2 * th**6 * t23)  # fmt: skip
    p0 = 5.1880000e-02 + tc * (-4.1885519e-04 + tc * (6.6780748e-06 + tc * (-3.6648699e-08
         + tc * 8.3501912e-11)))  # fmt: skip
    p1 = -6.0251348e-06 + tc * (3.6696407e-07 + tc * (-9.2056269e-09 + tc * (6.7024182e-11
         + tc * -1.5947241e-13)))  # fmt: skip
    p2 = -2.2983596e-09 + tc * (-4.0133819e-10 + tc * (1.2619821e-11 + tc * (-9.8952363e-14
         + tc * 2.3363281e-16)))  # fmt: skip
    p3 = 7.0517647e-11 + tc * (6.8566831e-12 + tc * (-2.2829750e-13 + tc * (1.8113313e-15
         + tc * -4.2475324e-18)))  # fmt: skip
    p_sat = jnp.exp(11.6702 - 3816.44 / (T - 46.13))
    pa = jnp.maximum(1.0, p_sat) - (p_sat - 1e-6)
    rho = (rho_sat + pa * (p0 + pa * (p1 + pa * (p2 + jnp.sqrt(pa) * p3)))) / 1e3  # g/cm³
    e2_dkt = 1.671008e-3 / (eps * T)
    dh_b = jnp.sqrt(8 * np.pi * 6.02252e23 * e2_dkt * rho / 1e3)
    return dh_b * e2_dkt / 6.0


#: A_φ of Møller (1988) and, offset to 0.392 at 25 °C, of Harvie, Møller & Weare (1984),
#: as basis rows.
APHI_M88_ROW = m88_row(3.36901532e-1, -6.32100430e-4, 9.14252359, -1.35143986e-2,
                       2.26089488e-3, 1.92118597e-6, 4.52586464e1)  # fmt: skip
APHI_HMW84_ROW = APHI_M88_ROW.copy()
APHI_HMW84_ROW[0] = 0.392


class Rows:
    """P(T) of basis rows: constant-folded (concrete set) or a dot with the basis (traced).

    Evaluated at the shape of T, not of the batch. Where T has fewer elements than the batch
    (a scalar, or a temperature axis broadcast against compositions), ``shared=True`` makes
    each temperature-dependent value its own array, computed once per temperature; otherwise
    XLA would fuse its few multiply-adds into every consumer and repeat them per composition.
    With one T per composition the values are left to fusion: recomputing them in each ion
    column costs less than writing and reading them back.
    """

    def __init__(self, T, dtype, concrete, shared):
        self.T, self.dtype, self.concrete, self.shared, self._cols = T, dtype, concrete, shared, {}

    def col(self, k):
        """Basis column k at T; T² − T_r² and 1/T² − 1/T_r² from the first-order columns (no
        further division or array: (T − T_r)(T + T_r) and (1/T − 1/T_r)(1/T + 1/T_r))."""
        if k not in self._cols:
            if k == 5:
                self._cols[k] = self.col(1) * (self.T + T_REF)
            elif k == 8:
                self._cols[k] = self.col(2) * (self.col(2) + 2 / T_REF)
            elif k == 3:  # ln(T/T_r): used by many parameters, computed once
                self._cols[k] = materialize(basis_column(k, self.T))
            else:
                self._cols[k] = basis_column(k, self.T)
        return self._cols[k]

    def __call__(self, row):
        if self.concrete:
            out = None
            for k, c in enumerate(np.asarray(row)):
                if c == 0:
                    continue
                term = float(c) if k == 0 else self.col(k) * float(c)
                out = term if out is None else out + term
            if out is None or isinstance(out, float):
                return 0.0 if out is None else out
        else:
            row = row.astype(self.dtype)
            out = row[0]
            for k in range(1, K):
                out = out + row[k] * self.col(k)
        return materialize(out) if self.shared else out
