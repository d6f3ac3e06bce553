"""Pitzer parameter sets as data: a pytree of coefficient arrays, and the HMW84 set.

A :class:`PitzerParameters` holds every parameter of a set as rows of temperature
coefficients in the shared basis of :mod:`ionsweep.activity._pitzer_basis` (the value at
25 °C first).

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
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.activity._pitzer_basis import (
    APHI_HMW84_ROW,
    K,
    aphi_phreeqc,
    eval_rows,
    phreeqc_row,
)

__all__ = [
    "HMW84",
    "PITZER_IONS",
    "Binary",
    "Mixing",
    "PitzerParameters",
    "build_parameters",
]

#: The ions every parameter set is laid out over (cations first), in ionsweep's names.
PITZER_IONS = ("H+", "Li+", "Na+", "K+", "Mg2+", "Ca2+", "Sr2+", "Ba2+", "Mn2+", "Fe2+",
               "Cl-", "Br-", "OH-", "HCO3-", "HSO4-", "CO3 2-", "SO4 2-")  # fmt: skip


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
    beta: Any
    alpha: Any
    has_binary: Any
    theta: Any
    psi: Any
    aphi_row: Any
    aphi_water: Any
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
    "hmw84", _HMW84_BINARY, _HMW84_THETA, _HMW84_PSI, aphi_row=APHI_HMW84_ROW,
    source="Harvie, Møller & Weare (1984), Geochim. Cosmochim. Acta 48, 723-751, Table 1",
)  # fmt: skip
