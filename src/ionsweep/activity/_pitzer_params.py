"""Pitzer interaction parameters for Na⁺–K⁺–H⁺–Ca²⁺–Mg²⁺–Cl⁻–SO₄²⁻–HCO₃⁻ solutions.

Every temperature-dependent parameter is written in the form of Møller (1988), eq. 13::

    P(T) = a1 + a2 T + a3/T + a4 ln T + a5/(T − 263) + a6 T² + a7/(680 − T) + a8/(T − 227)

with T in K; constants, quadratics in T and ``a + b/T`` forms are special cases of it, so one
kernel evaluates them all. C^φ is tabulated (C_MX = C^φ / (2√|z_M z_X|) is formed in the
model). Each entry carries its source and the temperature range its source states.

The default set, :data:`MP98_CHLORIDES`, follows the selection of Millero & Pierrot (1998),
*Aquat. Geochem.* 4, 153–199 (Tables A1, A2, A9–A11), for the chloride system — except for
Ca–Cl and Mg–Cl, see below — with the sulfate and bicarbonate parameters of Harvie, Møller &
Weare (1984) where noted:

* Na–Cl: Møller (1988), *Geochim. Cosmochim. Acta* 52, 821–837, Table 1 (0–250 °C).
* K–Cl: Greenberg & Møller (1989), *Geochim. Cosmochim. Acta* 53, 2503–2518, Table 2
  (0–250 °C).
* Ca–Cl, Mg–Cl: the 25 °C values of Pitzer & Mayorga (1973), *J. Phys. Chem.* 77, 2300–2308,
  Table VI (their fit to the isopiestic data Robinson & Stokes 1959 tabulate; HMW84 adopt the
  same values), with the first temperature derivatives of Silvester & Pitzer (1978),
  *J. Solution Chem.* 7, 327–337, Table II, in Pitzer's first-order form
  P(T) = P(25 °C) + (T − 298.15 K) ∂P/∂T (Pitzer 1991, *Activity Coefficients in Electrolyte
  Solutions*, 2nd ed., ch. 3). SP78 give no ∂C^φ/∂T for CaCl₂ (taken as 0). Used over
  0–60 °C; the accuracy at the ends is stated in :mod:`ionsweep.activity._pitzer`. The fits
  Millero & Pierrot chose (Møller 1988 / Greenberg & Møller 1989 for Ca–Cl; de Lima & Pitzer
  1983 with Pabalan & Pitzer 1987 for Mg–Cl) follow later isopiestic data and miss the 1959
  tables by up to 1.3 % (CaCl₂) and 1.1 % (MgCl₂) at 25 °C. The MgCl₂ derivatives agree with
  Pitzer (1991) ch. 3 Table 13 within its rounding (0.5 %); for CaCl₂ that table lists another
  evaluation (fitted to 6 mol/kg) which, put on PM73's 25 °C values, moves γ± at 1 mol/kg
  5–6 % further from its 25 °C value at 0 and 60 °C than PHREEQC's pitzer.dat functions do
  (and at 60 °C Møller's), where SP78's values stay within 1.2 % of them.
* H–Cl: Campbell et al. (1993), *Mar. Chem.* 44, 221–233, eq. 31 (0–50 °C per MP98 Table A9).
* Na–SO₄: Møller (1988); K–SO₄: Greenberg & Møller (1989) (0–250 °C).
* Ca–SO₄, Mg–SO₄, H–SO₄ and all HCO₃⁻ pairs: Harvie, Møller & Weare (1984), *Geochim.
  Cosmochim. Acta* 48, 723–751 (HMW84), Table 1, 25 °C only.
* θ and ψ: Greenberg & Møller (1989) for Na–K, K–Ca and their ψ; Møller (1988) for Na–Ca,
  Cl–SO₄ and their ψ; Pabalan & Pitzer (1987), *Geochim. Cosmochim. Acta* 51, 2429–2443, for
  Na–Mg, K–Mg and their chloride ψ; HMW84 (25 °C) for the rest. The Ca and Mg entries were
  fitted together with the Møller / Pabalan–Pitzer binaries, not PM73's; HMW84's θ and ψ
  (fitted with PM73's) would move γ± by < 0.8 % in physiological media and by up to 2 %
  (KCl) in a 2.6 mol/kg Na–K–Mg–Ca chloride brine.

A_φ: the set prescribes Møller's (1988) fit to the Bradley & Pitzer (1979) Debye–Hückel slope,
the one its Na, K and mixing parameters were fitted with (0.39148 at 25 °C; within 1e-4 of
:func:`ionsweep.activity._water.debye_huckel_Aphi` over 0–60 °C). PM73 and HMW84 fitted their
25 °C parameters with A_φ = 0.392; here they are used with Møller's A_φ, as in Millero &
Pierrot (1998), which raises γ± of a 2–1 chloride by 0.25 % at 1 mol/kg.

Coefficients were transcribed from the papers as reproduced in two independent codes (the
pytzer parameter library and the MyAMI implementation of Millero & Pierrot 1998) and checked
against each other; the PM73/SP78 values against pytzer's PM73 and SP78 functions and, for the
MgCl₂ derivatives, pytzer's transcription of Pitzer (1991) Table 13. The tests compare the
evaluated parameters with pytzer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import jax.numpy as jnp
import numpy as np

__all__ = [
    "HMW84",
    "MP98_CHLORIDES",
    "Binary",
    "Mixing",
    "PitzerParameters",
    "aphi_hmw84",
    "aphi_moller1988",
]

Coeffs = tuple[float, ...]
T_25C = (298.15, 298.15)


def _m88(*a: float) -> Coeffs:
    """Coefficients a1…a8 of Møller (1988) eq. 13, zero-padded."""
    return tuple(float(x) for x in a) + (0.0,) * (8 - len(a))


def _const(c: float) -> Coeffs:
    return _m88(c)


def _quad(a: float, b: float, c: float) -> Coeffs:
    """a + b T + c T²."""
    return _m88(a, b, 0, 0, 0, c)


def _inv(a: float, b: float) -> Coeffs:
    """a + b / T."""
    return _m88(a, 0, b)


def eval_m88(coeffs, T):
    """Evaluate stacked eq.-13 coefficients ``coeffs`` (P, 8) at ``T`` (...): shape (..., P).

    Basis columns that no parameter uses are dropped, so their poles (T = 263, 227, 680 K)
    cannot turn an unused term into NaN.
    """
    coeffs = np.asarray(coeffs, dtype=float).reshape(-1, 8)
    used = np.flatnonzero(np.any(coeffs != 0, axis=0))
    T = T[..., None]
    basis = (
        jnp.ones_like(T),
        T,
        1 / T,
        jnp.log(T),
        1 / (T - 263),
        T * T,
        1 / (680 - T),
        1 / (T - 227),
    )
    out = jnp.zeros(T.shape[:-1] + (coeffs.shape[0],), T.dtype)
    for k in used:
        out = out + basis[k] * jnp.asarray(coeffs[:, k], T.dtype)
    return out


def aphi_moller1988(T):
    """Debye–Hückel osmotic slope A_φ of Møller (1988), (kg/mol)^½, T in K (0–300 °C).

    Møller's fit to the Bradley & Pitzer (1979) values, in the eq.-13 form.

    >>> round(float(aphi_moller1988(298.15)), 5)
    0.39148
    """
    T = jnp.asarray(T)
    c = _m88(3.36901532e-1, -6.32100430e-4, 9.14252359, -1.35143986e-2, 2.26089488e-3,
             1.92118597e-6, 4.52586464e1)  # fmt: skip
    return eval_m88(c, T)[..., 0]


@dataclass(frozen=True)
class Binary:
    """Cation–anion parameters β⁽⁰⁾, β⁽¹⁾, β⁽²⁾ (kg/mol) and C^φ (kg²/mol²) as eq.-13 coefficients.

    ``alpha1``, ``alpha2``: (kg/mol)^½; 2 and 12 by default, 1.4 and 12 for 2–2 salts.
    ``t_range``: (T_min, T_max) in K stated by the source.
    """

    beta0: Coeffs
    beta1: Coeffs
    cphi: Coeffs
    source: str
    t_range: tuple[float, float]
    beta2: Coeffs = _const(0.0)
    alpha1: float = 2.0
    alpha2: float = 12.0


@dataclass(frozen=True)
class Mixing:
    """A θ (like-charged pair) or ψ (triplet) parameter as eq.-13 coefficients."""

    value: Coeffs
    source: str
    t_range: tuple[float, float]


@dataclass(frozen=True, eq=False)
class PitzerParameters:
    """An immutable Pitzer parameter set.

    Attributes
    ----------
    name : str
        Short name of the set.
    binary : mapping of (cation, anion) → :class:`Binary`
    theta : mapping of frozenset{ion, ion} → :class:`Mixing`
        Like-charged pairs; missing pairs default to θ = 0 (documented, as in the sources).
    psi : mapping of (frozenset{ion, ion}, ion) → :class:`Mixing`
        Two like-charged ions and one of opposite charge; missing triplets default to ψ = 0.
    aphi : callable
        A_φ(T), (kg/mol)^½, the Debye–Hückel slope the set was fitted with.
    """

    name: str
    binary: Mapping[tuple[str, str], Binary]
    theta: Mapping[frozenset, Mixing]
    psi: Mapping[tuple[frozenset, str], Mixing]
    aphi: Callable = field(default=aphi_moller1988)

    def out_of_range(self, names, T_min: float, T_max: float, tol: float = 0.5) -> list[str]:
        """The binary parameters used for ``names`` whose stated range misses [T_min, T_max].

        Each entry reads like ``"Na+–HCO3- (HMW84 Table 1 (25 °C): 298.15–298.15 K)"``; an
        empty list means every cation–anion parameter is within its stated range (``tol``
        K of slack). The mixing parameters θ and ψ are not checked: those published at
        25 °C only are small corrections that geochemical codes (PHREEQC's pitzer.dat,
        HMW84 itself) apply unchanged at other temperatures, and so does this set.
        """
        names = set(names)
        found = []
        for (c, a), e in self.binary.items():
            lo, hi = e.t_range
            if {c, a} <= names and (T_min < lo - tol or T_max > hi + tol):
                found.append(f"{c}–{a} ({e.source}: {lo:g}–{hi:g} K)")
        return found

    def validity(self, names) -> tuple[float, float]:
        """Temperature range (K) over which every parameter used for ``names`` is stated valid."""
        names = set(names)
        lo, hi = 0.0, float("inf")
        entries = [v for (c, a), v in self.binary.items() if {c, a} <= names]
        entries += [v for k, v in self.theta.items() if k <= names]
        entries += [v for (p, k), v in self.psi.items() if p <= names and k in names]
        for e in entries:
            lo, hi = max(lo, e.t_range[0]), min(hi, e.t_range[1])
        return lo, hi


# --- the default set -------------------------------------------------------------------------
M88, GM89 = "Møller (1988)", "Greenberg & Møller (1989)"
HMW84_SRC = "HMW84 Table 1 (25 °C)"
PP87, CMR93 = "Pabalan & Pitzer (1987)", "Campbell et al. (1993)"
PM73_SP78 = "Pitzer & Mayorga (1973) at 25 °C, Silvester & Pitzer (1978) ∂/∂T"
T_GM89 = (273.15, 523.15)
T_SP78 = (273.15, 333.15)  # 0–60 °C: see the module docstring for the accuracy at the ends
_B21, _C21 = 3 / 4, 3 / 2**2.5  # PM73/SP78 tabulate (4/3)β and (2^{5/2}/3)C^φ for 2–1 salts


def _sp78(p25: float, dpdt: float) -> Coeffs:
    """P(T) = P(298.15 K) + (T − 298.15 K) ∂P/∂T, the first-order form of SP78 (eq.-13 a1, a2)."""
    return _m88(p25 - 298.15 * dpdt, dpdt)


_BINARY = {
    ("Na+", "Cl-"): Binary(
        beta0=_m88(1.43783204e1, 5.60767406e-3, -4.22185236e2, -2.51226677, 0,
                   -2.61718135e-6, 4.43854508, -1.70502337),
        beta1=_m88(-4.83060685e-1, 1.40677479e-3, 1.19311989e2, 0, 0, 0, 0, -4.23433299),
        cphi=_m88(-1.00588714e-1, -1.80529413e-5, 8.61185543, 1.24880954e-2, 0,
                  3.41172108e-8, 6.83040995e-2, 2.93922611e-1),
        source=M88, t_range=T_GM89),
    ("K+", "Cl-"): Binary(
        beta0=_m88(2.67375563e1, 1.00721050e-2, -7.58485453e2, -4.70624175, 0,
                   -3.75994338e-6),
        beta1=_m88(-7.41559626, 0, 3.22892989e2, 1.16438557, 0, 0, 0, -5.94578140),
        cphi=_m88(-3.30531334, -1.29807848e-3, 9.12712100e1, 5.86450181e-1, 0,
                  4.95713573e-7),
        source=GM89, t_range=T_GM89),
    # Ca–Cl and Mg–Cl: PM73 Table VI at 25 °C (tabulated as (4/3)β⁽⁰⁾, (4/3)β⁽¹⁾ and
    # (2^{5/2}/3)C^φ) with the first temperature derivatives of SP78 Table II (same scaling).
    ("Ca2+", "Cl-"): Binary(
        beta0=_sp78(0.4212 * _B21, -0.23e-3 * _B21),
        beta1=_sp78(2.152 * _B21, 5.2e-3 * _B21),
        cphi=_sp78(-0.00064 * _C21, 0.0),  # SP78 give no ∂C^φ/∂T for CaCl2
        source=PM73_SP78, t_range=T_SP78),
    ("Mg2+", "Cl-"): Binary(
        beta0=_sp78(0.4698 * _B21, -0.259e-3 * _B21),
        beta1=_sp78(2.242 * _B21, 3.7e-3 * _B21),
        cphi=_sp78(0.00979 * _C21, -3.11e-4 * _C21),
        source=PM73_SP78, t_range=T_SP78),
    ("H+", "Cl-"): Binary(
        beta0=_m88(1.2859, -2.1197e-3, -142.5877),
        beta1=_m88(-4.4474, 8.425698e-3, 665.7882),
        cphi=_m88(-0.305156, 5.16e-4, 45.52154),
        source=CMR93, t_range=(273.15, 323.15)),
    ("Na+", "SO4 2-"): Binary(
        beta0=_m88(8.16920027e1, 3.01104957e-2, -2.32193726e3, -1.43780207e1,
                   -6.66496111e-1, -1.03923656e-5),
        beta1=_m88(1.00463018e3, 5.77453682e-1, -2.18434467e4, -1.89110656e2,
                   -2.03550548e-1, -3.23949532e-4, 1.46772243e3),
        cphi=_m88(-8.07816886e1, -3.54521126e-2, 2.02438830e3, 1.46197730e1,
                  -9.16974740e-2, 1.43946005e-5, -2.42272049),
        source=M88, t_range=T_GM89),
    ("K+", "SO4 2-"): Binary(
        beta0=_m88(4.07908797e1, 8.26906675e-3, -1.41842998e3, -6.74728848),
        beta1=_m88(-1.31669651e1, 2.35793239e-2, 2.06712594e3),
        cphi=_const(-0.0188),
        source=GM89, t_range=T_GM89),
    ("Ca2+", "SO4 2-"): Binary(
        beta0=_const(0.2), beta1=_const(3.1973), beta2=_const(-54.24), cphi=_const(0.0),
        alpha1=1.4, source=HMW84_SRC, t_range=T_25C),
    ("Mg2+", "SO4 2-"): Binary(
        beta0=_const(0.221), beta1=_const(3.343), beta2=_const(-37.23), cphi=_const(0.025),
        alpha1=1.4, source=HMW84_SRC, t_range=T_25C),
    ("H+", "SO4 2-"): Binary(
        beta0=_const(0.0298), beta1=_const(0.0), cphi=_const(0.0438),
        source=HMW84_SRC, t_range=T_25C),
    ("Na+", "HCO3-"): Binary(
        beta0=_const(0.0277), beta1=_const(0.0411), cphi=_const(0.0),
        source=HMW84_SRC, t_range=T_25C),
    ("K+", "HCO3-"): Binary(
        beta0=_const(0.0296), beta1=_const(-0.013), cphi=_const(-0.008),
        source=HMW84_SRC, t_range=T_25C),
    ("Ca2+", "HCO3-"): Binary(
        beta0=_const(0.4), beta1=_const(2.977), cphi=_const(0.0),
        source=HMW84_SRC, t_range=T_25C),
    ("Mg2+", "HCO3-"): Binary(
        beta0=_const(0.329), beta1=_const(0.6072), cphi=_const(0.0),
        source=HMW84_SRC, t_range=T_25C),
}  # fmt: skip


def _pair(a: str, b: str) -> frozenset:
    return frozenset((a, b))


_THETA = {
    _pair("Na+", "K+"): Mixing(_inv(-5.02312111e-2, 1.40213141e1), GM89, T_GM89),
    _pair("Na+", "Ca2+"): Mixing(_const(0.05), M88, T_GM89),
    _pair("Na+", "Mg2+"): Mixing(_const(0.07), PP87, T_GM89),
    _pair("K+", "Ca2+"): Mixing(_const(0.1156), GM89, T_GM89),
    _pair("K+", "Mg2+"): Mixing(_const(0.0), PP87, T_GM89),
    _pair("Ca2+", "Mg2+"): Mixing(_const(0.007), HMW84_SRC, T_25C),
    _pair("H+", "Na+"): Mixing(_const(0.036), HMW84_SRC, T_25C),
    _pair("H+", "K+"): Mixing(_const(0.005), HMW84_SRC, T_25C),
    _pair("H+", "Ca2+"): Mixing(_const(0.092), HMW84_SRC, T_25C),
    _pair("H+", "Mg2+"): Mixing(_const(0.1), HMW84_SRC, T_25C),
    _pair("Cl-", "SO4 2-"): Mixing(_const(0.07), M88, T_GM89),
    _pair("Cl-", "HCO3-"): Mixing(_const(0.03), HMW84_SRC, T_25C),
    _pair("HCO3-", "SO4 2-"): Mixing(_const(0.01), HMW84_SRC, T_25C),
}

_PSI = {
    (_pair("Na+", "K+"), "Cl-"): Mixing(_inv(1.34211308e-2, -5.10212917), GM89, T_GM89),
    (_pair("Na+", "Ca2+"), "Cl-"): Mixing(_const(-0.003), M88, T_GM89),
    (_pair("Na+", "Mg2+"), "Cl-"): Mixing(_inv(1.99e-2, -9.51), PP87, T_GM89),
    (_pair("K+", "Ca2+"), "Cl-"): Mixing(_inv(4.76278977e-2, -2.70770507e1), GM89, T_GM89),
    (_pair("K+", "Mg2+"), "Cl-"): Mixing(_inv(2.586e-2, -14.27), PP87, T_GM89),
    (_pair("Ca2+", "Mg2+"), "Cl-"): Mixing(_const(-0.012), HMW84_SRC, T_25C),
    (_pair("H+", "Na+"), "Cl-"): Mixing(_const(-0.004), HMW84_SRC, T_25C),
    (_pair("H+", "K+"), "Cl-"): Mixing(_const(-0.011), HMW84_SRC, T_25C),
    (_pair("H+", "Ca2+"), "Cl-"): Mixing(_const(-0.015), HMW84_SRC, T_25C),
    (_pair("H+", "Mg2+"), "Cl-"): Mixing(_const(-0.011), HMW84_SRC, T_25C),
    (_pair("Na+", "K+"), "SO4 2-"): Mixing(_inv(3.48115174e-2, -8.21656777), GM89, T_GM89),
    (_pair("Na+", "Ca2+"), "SO4 2-"): Mixing(_const(-0.012), M88, T_GM89),
    (_pair("Na+", "Mg2+"), "SO4 2-"): Mixing(_const(-0.015), HMW84_SRC, T_25C),
    (_pair("K+", "Mg2+"), "SO4 2-"): Mixing(_const(-0.048), HMW84_SRC, T_25C),
    (_pair("Ca2+", "Mg2+"), "SO4 2-"): Mixing(_const(0.024), HMW84_SRC, T_25C),
    (_pair("H+", "K+"), "SO4 2-"): Mixing(_const(0.197), HMW84_SRC, T_25C),
    (_pair("Cl-", "SO4 2-"), "Na+"): Mixing(_const(-0.009), M88, T_GM89),
    (_pair("Cl-", "SO4 2-"), "K+"): Mixing(_m88(-2.12481475e-1, 2.84698333e-4, 3.75619614e1),
                                           GM89, T_GM89),
    (_pair("Cl-", "SO4 2-"), "Ca2+"): Mixing(_const(-0.018), M88, T_GM89),
    (_pair("Cl-", "SO4 2-"), "Mg2+"): Mixing(_const(-0.004), HMW84_SRC, T_25C),
    (_pair("Cl-", "HCO3-"), "Na+"): Mixing(_const(-0.015), HMW84_SRC, T_25C),
    (_pair("Cl-", "HCO3-"), "Mg2+"): Mixing(_const(-0.096), HMW84_SRC, T_25C),
    (_pair("HCO3-", "SO4 2-"), "Na+"): Mixing(_const(-0.005), HMW84_SRC, T_25C),
    (_pair("HCO3-", "SO4 2-"), "Mg2+"): Mixing(_const(-0.161), HMW84_SRC, T_25C),
}  # fmt: skip

#: The default parameter set (see the module docstring for every source).
MP98_CHLORIDES = PitzerParameters(
    name="MP98-chlorides",
    binary=MappingProxyType(_BINARY),
    theta=MappingProxyType(_THETA),
    psi=MappingProxyType(_PSI),
    aphi=aphi_moller1988,
)


# --- Harvie, Møller & Weare (1984), 25 °C --------------------------------------------------------
def aphi_hmw84(T):
    """A_φ for the HMW84 set, (kg/mol)^½: 0.392 at 25 °C, as HMW84 prescribe.

    Away from 25 °C it follows Møller's (1988) temperature dependence (offset so that it is
    0.392 at 298.15 K); the HMW84 parameters themselves are 25 °C values.
    """
    T = jnp.asarray(T)
    return 0.392 + aphi_moller1988(T) - aphi_moller1988(jnp.full_like(T, 298.15))


def _hmw(b0, b1, cphi, b2=0.0, alpha1=2.0):
    return Binary(_const(b0), _const(b1), _const(cphi), HMW84_SRC, T_25C, _const(b2), alpha1)


_HMW84_BINARY = {
    ("Na+", "Cl-"): _hmw(0.0765, 0.2664, 0.00127),
    ("K+", "Cl-"): _hmw(0.04835, 0.2122, -0.00084),
    ("Ca2+", "Cl-"): _hmw(0.3159, 1.614, -0.00034),
    ("Mg2+", "Cl-"): _hmw(0.35235, 1.6815, 0.00519),
    ("H+", "Cl-"): _hmw(0.1775, 0.2945, 0.0008),
    ("Na+", "SO4 2-"): _hmw(0.01958, 1.113, 0.00497),
    ("K+", "SO4 2-"): _hmw(0.04995, 0.7793, 0.0),
    **{k: v for k, v in _BINARY.items() if v.source == HMW84_SRC},
}
_HMW84_THETA = {
    **{k: v for k, v in _THETA.items() if v.source == HMW84_SRC},
    _pair("Na+", "K+"): Mixing(_const(-0.012), HMW84_SRC, T_25C),
    _pair("Na+", "Ca2+"): Mixing(_const(0.07), HMW84_SRC, T_25C),
    _pair("Na+", "Mg2+"): Mixing(_const(0.07), HMW84_SRC, T_25C),
    _pair("K+", "Ca2+"): Mixing(_const(0.032), HMW84_SRC, T_25C),
    _pair("Cl-", "SO4 2-"): Mixing(_const(0.02), HMW84_SRC, T_25C),
}
_HMW84_PSI = {
    **{k: v for k, v in _PSI.items() if v.source == HMW84_SRC},
    (_pair("Na+", "K+"), "Cl-"): Mixing(_const(-0.0018), HMW84_SRC, T_25C),
    (_pair("Na+", "Ca2+"), "Cl-"): Mixing(_const(-0.007), HMW84_SRC, T_25C),
    (_pair("Na+", "Mg2+"), "Cl-"): Mixing(_const(-0.012), HMW84_SRC, T_25C),
    (_pair("K+", "Ca2+"), "Cl-"): Mixing(_const(-0.025), HMW84_SRC, T_25C),
    (_pair("K+", "Mg2+"), "Cl-"): Mixing(_const(-0.022), HMW84_SRC, T_25C),
    (_pair("Na+", "K+"), "SO4 2-"): Mixing(_const(-0.010), HMW84_SRC, T_25C),
    (_pair("Na+", "Ca2+"), "SO4 2-"): Mixing(_const(-0.055), HMW84_SRC, T_25C),
    (_pair("Na+", "K+"), "HCO3-"): Mixing(_const(-0.003), HMW84_SRC, T_25C),
    (_pair("Cl-", "SO4 2-"), "Na+"): Mixing(_const(0.0014), HMW84_SRC, T_25C),
    (_pair("Cl-", "SO4 2-"), "Ca2+"): Mixing(_const(-0.018), HMW84_SRC, T_25C),
}

#: Harvie, Møller & Weare (1984) Table 1 at 25 °C, with their A_φ = 0.392.
HMW84 = PitzerParameters(
    name="HMW84",
    binary=MappingProxyType(_HMW84_BINARY),
    theta=MappingProxyType(_HMW84_THETA),
    psi=MappingProxyType(_HMW84_PSI),
    aphi=aphi_hmw84,
)
