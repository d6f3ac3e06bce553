"""Pitzer parameter sets as data: a pytree of coefficient arrays, and the HMW84 set.

A :class:`PitzerParameters` holds every parameter of a set as rows of temperature
coefficients in one shared basis (``BASIS``, reference temperature T_r = 298.15 K)::

    P(T) = c0 + c1 (T − T_r) + c2 (1/T − 1/T_r) + c3 ln(T/T_r) + c4 [1/(T − 263) − 1/(T_r − 263)]
           + c5 (T² − T_r²) + c6 [1/(680 − T) − 1/(680 − T_r)] + c7 [1/(T − 227) − 1/(T_r − 227)]
           + c8 (1/T² − 1/T_r²)

so c0 is the value at 25 °C. Møller's (1988) eq.-13 form (a1 + a2 T + a3/T + a4 ln T +
a5/(T − 263) + a6 T² + a7/(680 − T) + a8/(T − 227)) maps to c1…c7 unchanged with
c0 = P(T_r); PHREEQC's six-coefficient function (A0 + A1(1/T − 1/T_r) + A2 ln(T/T_r) +
A3(T − T_r) + A4(T² − T_r²) + A5(1/T² − 1/T_r²)) maps to c0 = A0, c2 = A1, c3 = A2, c1 = A3,
c5 = A4, c8 = A5. Differences from T_r keep float32 evaluation free of the cancellation of
the absolute forms.

The arrays are indexed over a fixed ion list (:data:`PITZER_IONS`, plus any further
ionsweep ion a database names), so every set over the same ion list has the same pytree
structure: passed as an argument to a jitted function, changing the set changes only
array values and does not recompile. Passed as a concrete (NumPy-valued) set — what the
public functions do — its values are compiled in as constants, zero terms dropped, which is
the fastest kernel; one compilation per set and ion list.

Built-in sets (:mod:`ionsweep.activity._pitzer_sets`): ``"phreeqc"`` (the default; PHREEQC's
``pitzer.dat``) and ``"hmw84"`` (this module, :data:`HMW84`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep._fastmath import vlog
from ionsweep._ions import ions as ion_table

__all__ = [
    "BASIS",
    "HMW84",
    "PITZER_IONS",
    "Binary",
    "Mixing",
    "PitzerParameters",
    "aphi_hmw84",
    "aphi_moller1988",
    "aphi_phreeqc",
    "build_parameters",
    "eval_rows",
    "m88_row",
    "phreeqc_row",
]

T_REF = 298.15
#: Names of the temperature basis columns (see the module docstring).
BASIS = ("1", "T-Tr", "1/T-1/Tr", "ln(T/Tr)", "1/(T-263)", "T^2-Tr^2", "1/(680-T)",
         "1/(T-227)", "1/T^2-1/Tr^2")  # fmt: skip
K = len(BASIS)

#: The ions every parameter set is laid out over (cations first), in ionsweep's names.
PITZER_IONS = ("H+", "Li+", "Na+", "K+", "Mg2+", "Ca2+", "Sr2+", "Ba2+", "Mn2+", "Fe2+",
               "Cl-", "Br-", "OH-", "HCO3-", "HSO4-", "CO3 2-", "SO4 2-")  # fmt: skip


def _abs_basis(T):
    """Møller's eq.-13 basis (absolute form), NumPy, at scalar T."""
    return np.array([1.0, T, 1 / T, np.log(T), 1 / (T - 263), T * T, 1 / (680 - T), 1 / (T - 227)])


def m88_row(*a: float) -> np.ndarray:
    """A row of the shared basis from Møller's eq.-13 coefficients a1…a8 (zero-padded)."""
    a = np.array([float(x) for x in a] + [0.0] * (8 - len(a)))
    row = np.zeros(K)
    row[0] = float(a @ _abs_basis(T_REF))
    row[1:8] = a[1:8]
    return row


def phreeqc_row(*A: float) -> np.ndarray:
    """A row of the shared basis from PHREEQC's A0…A5 (zero-padded)."""
    A = [float(x) for x in A] + [0.0] * (6 - len(A))
    row = np.zeros(K)
    row[0], row[2], row[3], row[1], row[5], row[8] = A
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
    return eval_rows(_APHI_M88, jnp.asarray(T, float))[..., 0]


def aphi_hmw84(T):
    """A_φ for the HMW84 set, (kg/mol)^½: 0.392 at 25 °C, as HMW84 prescribe.

    Away from 25 °C it follows Møller's (1988) temperature dependence (offset to 0.392 at
    298.15 K); the HMW84 parameters themselves are 25 °C values.

    >>> round(float(aphi_hmw84(298.15)), 6)
    0.392
    """
    return eval_rows(_APHI_HMW84, jnp.asarray(T, float))[..., 0]


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
    # whole fused loop from vectorizing (2x the time of this A_φ); within 5e-16 relative.
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


@dataclass(frozen=True)
class Binary:
    """Cation–anion β⁽⁰⁾, β⁽¹⁾, β⁽²⁾ (kg/mol) and C^φ (kg²/mol²) as rows of :data:`BASIS`.

    ``alpha1``, ``alpha2``: (kg/mol)^½. ``t_range``: (T_min, T_max) in K stated by the source.
    """

    beta0: np.ndarray
    beta1: np.ndarray
    cphi: np.ndarray
    source: str
    t_range: tuple[float, float]
    beta2: np.ndarray = field(default_factory=lambda: np.zeros(K))
    alpha1: float = 2.0
    alpha2: float = 12.0


@dataclass(frozen=True)
class Mixing:
    """A θ (like-charged pair) or ψ (triplet) parameter as a row of :data:`BASIS`."""

    value: np.ndarray
    source: str
    t_range: tuple[float, float]


def _default_alphas(c: str, a: str) -> tuple[float, float]:
    """PHREEQC's and HMW84's α₁, α₂: 1.4 and 12 for 2–2 salts, 50 for β⁽²⁾ of higher ones."""
    zc, za = abs(ion_table.valence(c)), abs(ion_table.valence(a))
    if zc == 1 or za == 1:
        return 2.0, 12.0
    if zc == 2 and za == 2:
        return 1.4, 12.0
    return 2.0, 50.0


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class PitzerParameters:
    """An immutable Pitzer parameter set: coefficient arrays (a JAX pytree) and metadata.

    Attributes
    ----------
    name : str
        Short name (``"phreeqc"``, ``"hmw84"``, or the one given to a database).
    ions : tuple of str
        Ion list the arrays are indexed over (:data:`PITZER_IONS` first).
    beta : ndarray (n, n, 4, K)
        β⁽⁰⁾, β⁽¹⁾, β⁽²⁾ (kg/mol) and C^φ (kg²/mol²) of cation i, anion j (basis rows).
    alpha : ndarray (n, n, 2)
        α₁, α₂ of each cation–anion pair, (kg/mol)^½.
    has_binary : ndarray (n, n)
        1 where the set has cation–anion parameters, 0 elsewhere (a mixture with such a
        pair is refused on concrete input and gives NaN when traced).
    theta : ndarray (n, n, K)
        θ of like-charged pairs (symmetric; 0 where the set has none, as in the sources).
    psi : ndarray (n, n, n, K)
        ψ of two like-charged ions and one of opposite charge (symmetric in the first two).
    aphi_row : ndarray (K,), aphi_water : ndarray ()
        A_φ(T) = aphi_row·basis + aphi_water·:func:`aphi_phreeqc`, (kg/mol)^½.
    info : mapping
        (cation, anion) → (source, (T_min, T_max) K) of each binary entry.
    source : str
        Citation of the set as a whole.
    ignored : tuple of str
        Species of a database that ionsweep does not model (read but not used).
    macinnes : bool
        The database's ``-MacInnes`` setting (informative; the functions take ``convention``).
    """

    name: str
    ions: tuple
    beta: object
    alpha: object
    has_binary: object
    theta: object
    psi: object
    aphi_row: object
    aphi_water: object
    info: Mapping = field(default_factory=dict)
    source: str = ""
    ignored: tuple = ()
    macinnes: bool = False

    # -- pytree: arrays are leaves; only the ion list is structure -------------------------------
    def tree_flatten(self):
        leaves = (self.beta, self.alpha, self.has_binary, self.theta, self.psi, self.aphi_row,
                  self.aphi_water)  # fmt: skip
        return leaves, (self.ions,)

    @classmethod
    def tree_unflatten(cls, aux, leaves):
        return cls("<traced>", aux[0], *leaves)

    @property
    def concrete(self) -> bool:
        """Whether the values are NumPy arrays (compiled in as constants)."""
        return isinstance(self.beta, np.ndarray)

    def index(self, ion: str) -> int:
        return self.ions.index(ion)

    def aphi(self, T):
        """A_φ(T) of this set, (kg/mol)^½ (T in K)."""
        T = jnp.asarray(T, float)
        out = eval_rows(np.asarray(self.aphi_row), T)[..., 0]
        if float(self.aphi_water) != 0:
            out = out + float(self.aphi_water) * aphi_phreeqc(T)
        return out

    def binary_value(self, cation: str, anion: str, T) -> np.ndarray:
        """β⁽⁰⁾, β⁽¹⁾, β⁽²⁾, C^φ of one pair at T (K), NumPy (for tests and reports)."""
        i, j = self.index(cation), self.index(anion)
        return np.asarray(eval_rows(self.beta[i, j], jnp.asarray(float(T))))

    def out_of_range(self, names, T_min: float, T_max: float, tol: float = 0.5) -> list[str]:
        """The binary parameters used for ``names`` whose stated range misses [T_min, T_max].

        Each entry reads like ``"Ca2+–SO4 2- (HMW84 Table 1 (25 °C): 298.15–298.15 K)"``; an
        empty list means every cation–anion parameter is within its stated range (``tol``
        K of slack). θ and ψ are not checked: those given at 25 °C only are small corrections
        that PHREEQC and HMW84 apply unchanged at other temperatures, and so does ionsweep.
        """
        names = set(names)
        found = []
        for (c, a), (src, (lo, hi)) in self.info.items():
            if {c, a} <= names and (T_min < lo - tol or T_max > hi + tol):
                found.append(f"{c}–{a} ({src}: {lo:g}–{hi:g} K)")
        return found

    def validity(self, names) -> tuple[float, float]:
        """Temperature range (K) over which every binary parameter used for ``names`` is stated."""
        names = set(names)
        lo, hi = 0.0, float("inf")
        for (c, a), (_, rng) in self.info.items():
            if {c, a} <= names:
                lo, hi = max(lo, rng[0]), min(hi, rng[1])
        return lo, hi


def build_parameters(name, binary, theta, psi, *, aphi_row=None, aphi_water=0.0, source="",
                     ignored=(), extra_ions=(), macinnes=False) -> PitzerParameters:  # fmt: skip
    """Lay out entries as a :class:`PitzerParameters`.

    ``binary``: {(cation, anion): Binary}; ``theta``: {frozenset{i, j}: Mixing};
    ``psi``: {(frozenset{i, j}, k): Mixing}; ion names canonical.
    """
    ions = PITZER_IONS + tuple(i for i in dict.fromkeys(extra_ions) if i not in PITZER_IONS)
    n = len(ions)
    idx = {ion: k for k, ion in enumerate(ions)}
    beta = np.zeros((n, n, 4, K))
    alpha = np.zeros((n, n, 2))
    has = np.zeros((n, n))
    th = np.zeros((n, n, K))
    ps = np.zeros((n, n, n, K))
    info = {}
    for (c, a), e in binary.items():
        i, j = idx[c], idx[a]
        beta[i, j] = (e.beta0, e.beta1, e.beta2, e.cphi)
        alpha[i, j] = (e.alpha1, e.alpha2)
        has[i, j] = 1.0
        info[(c, a)] = (e.source, tuple(e.t_range))
    for pair, e in theta.items():
        i, j = (idx[x] for x in sorted(pair))
        th[i, j] = th[j, i] = e.value
    for (pair, k), e in psi.items():
        i, j = (idx[x] for x in sorted(pair))
        ps[i, j, idx[k]] = ps[j, i, idx[k]] = e.value
    return PitzerParameters(
        name=name, ions=ions, beta=beta, alpha=alpha, has_binary=has, theta=th, psi=ps,
        aphi_row=np.zeros(K) if aphi_row is None else np.asarray(aphi_row, float),
        aphi_water=np.asarray(float(aphi_water)), info=MappingProxyType(info), source=source,
        ignored=tuple(ignored), macinnes=macinnes,
    )  # fmt: skip


# --- Harvie, Møller & Weare (1984), 25 °C --------------------------------------------------------
_APHI_M88 = m88_row(3.36901532e-1, -6.32100430e-4, 9.14252359, -1.35143986e-2, 2.26089488e-3,
                    1.92118597e-6, 4.52586464e1)  # fmt: skip
_APHI_HMW84 = _APHI_M88.copy()
_APHI_HMW84[0] = 0.392

HMW84_SRC = "HMW84 Table 1 (25 °C)"
T_25C = (298.15, 298.15)


def _c(x: float) -> np.ndarray:
    return phreeqc_row(x)


def _hmw(c, a, b0, b1, cphi, b2=0.0):
    a1, a2 = _default_alphas(c, a)
    return (c, a), Binary(_c(b0), _c(b1), _c(cphi), HMW84_SRC, T_25C, _c(b2), a1, a2)


def _mix(x):
    return Mixing(_c(x), HMW84_SRC, T_25C)


def _p(a, b):
    return frozenset((a, b))


_HMW84_BINARY = dict([
    _hmw("Na+", "Cl-", 0.0765, 0.2664, 0.00127),
    _hmw("K+", "Cl-", 0.04835, 0.2122, -0.00084),
    _hmw("Ca2+", "Cl-", 0.3159, 1.614, -0.00034),
    _hmw("Mg2+", "Cl-", 0.35235, 1.6815, 0.00519),
    _hmw("H+", "Cl-", 0.1775, 0.2945, 0.0008),
    _hmw("Na+", "SO4 2-", 0.01958, 1.113, 0.00497),
    _hmw("K+", "SO4 2-", 0.04995, 0.7793, 0.0),
    _hmw("Ca2+", "SO4 2-", 0.2, 3.1973, 0.0, b2=-54.24),
    _hmw("Mg2+", "SO4 2-", 0.221, 3.343, 0.025, b2=-37.23),
    _hmw("H+", "SO4 2-", 0.0298, 0.0, 0.0438),
    _hmw("Na+", "HCO3-", 0.0277, 0.0411, 0.0),
    _hmw("K+", "HCO3-", 0.0296, -0.013, -0.008),
    _hmw("Ca2+", "HCO3-", 0.4, 2.977, 0.0),
    _hmw("Mg2+", "HCO3-", 0.329, 0.6072, 0.0),
])  # fmt: skip
_HMW84_THETA = {
    _p("Na+", "K+"): _mix(-0.012), _p("Na+", "Ca2+"): _mix(0.07), _p("Na+", "Mg2+"): _mix(0.07),
    _p("K+", "Ca2+"): _mix(0.032), _p("Ca2+", "Mg2+"): _mix(0.007), _p("H+", "Na+"): _mix(0.036),
    _p("H+", "K+"): _mix(0.005), _p("H+", "Ca2+"): _mix(0.092), _p("H+", "Mg2+"): _mix(0.1),
    _p("Cl-", "SO4 2-"): _mix(0.02), _p("Cl-", "HCO3-"): _mix(0.03),
    _p("HCO3-", "SO4 2-"): _mix(0.01),
}  # fmt: skip
_HMW84_PSI = {
    (_p("Na+", "K+"), "Cl-"): _mix(-0.0018), (_p("Na+", "Ca2+"), "Cl-"): _mix(-0.007),
    (_p("Na+", "Mg2+"), "Cl-"): _mix(-0.012), (_p("K+", "Ca2+"), "Cl-"): _mix(-0.025),
    (_p("K+", "Mg2+"), "Cl-"): _mix(-0.022), (_p("Ca2+", "Mg2+"), "Cl-"): _mix(-0.012),
    (_p("H+", "Na+"), "Cl-"): _mix(-0.004), (_p("H+", "K+"), "Cl-"): _mix(-0.011),
    (_p("H+", "Ca2+"), "Cl-"): _mix(-0.015), (_p("H+", "Mg2+"), "Cl-"): _mix(-0.011),
    (_p("Na+", "K+"), "SO4 2-"): _mix(-0.010), (_p("Na+", "Ca2+"), "SO4 2-"): _mix(-0.055),
    (_p("Na+", "Mg2+"), "SO4 2-"): _mix(-0.015), (_p("K+", "Mg2+"), "SO4 2-"): _mix(-0.048),
    (_p("Ca2+", "Mg2+"), "SO4 2-"): _mix(0.024), (_p("H+", "K+"), "SO4 2-"): _mix(0.197),
    (_p("Na+", "K+"), "HCO3-"): _mix(-0.003),
    (_p("Cl-", "SO4 2-"), "Na+"): _mix(0.0014), (_p("Cl-", "SO4 2-"), "K+"): _mix(0.0),
    (_p("Cl-", "SO4 2-"), "Ca2+"): _mix(-0.018), (_p("Cl-", "SO4 2-"), "Mg2+"): _mix(-0.004),
    (_p("Cl-", "HCO3-"), "Na+"): _mix(-0.015), (_p("Cl-", "HCO3-"), "Mg2+"): _mix(-0.096),
    (_p("HCO3-", "SO4 2-"), "Na+"): _mix(-0.005), (_p("HCO3-", "SO4 2-"), "Mg2+"): _mix(-0.161),
}  # fmt: skip

#: Harvie, Møller & Weare (1984), *Geochim. Cosmochim. Acta* 48, 723–751, Table 1 (25 °C), the
#: Na–K–H–Ca–Mg–Cl–SO₄–HCO₃ entries, with their A_φ = 0.392 (offset Møller 1988 slope away
#: from 25 °C). Every entry is stated at 25 °C only.
HMW84 = build_parameters(
    "hmw84", _HMW84_BINARY, _HMW84_THETA, _HMW84_PSI, aphi_row=_APHI_HMW84,
    source="Harvie, Møller & Weare (1984), Geochim. Cosmochim. Acta 48, 723-751, Table 1",
)  # fmt: skip
