"""A table of common ions by name, with their valences.

Look ions up by their canonical name (``"K+"``, ``"Ca2+"``, ``"Cl-"``, ``"HCO3-"``) or a
common alias (``"K"``, ``"potassium"``, ``"Ca++"``, ``"chloride"``); names are
case-sensitive only where chemistry needs it (``"Co2+"`` vs ``"CO3 2-"`` never collide).
The charge may be written in any of the usual notations: ionsweep's (``"Ca2+"``,
``"SO4 2-"``), repeated signs (``"Ca++"``, ``"SO4--"``), PHREEQC's sign-then-number
(``"Ca+2"``, ``"SO4-2"``) and pyEQL's bracketed charge (``"Ca[+2]"``, ``"Cl[-1]"``):

>>> ions["Ca+2"].name, ions["SO4-2"].name, ions["Ca[+2]"].name, ions["Cl[-1]"].name
('Ca2+', 'SO4 2-', 'Ca2+', 'Cl-')

``ionsweep.ions`` is an :class:`IonTable` (a read-only mapping):

>>> from ionsweep import ions
>>> ions["Ca++"].z
2
>>> ions.valence("chloride")
-1
>>> ions.canonical("potassium")
'K+'

Each :class:`Ion` also carries the per-ion parameters of the activity-coefficient models
(``None`` where no published value exists), so that no model code holds numbers of its own:

* ``kielland_a`` — ion-size parameter å (Å) of the extended Debye–Hückel equation, from
  Kielland, J. (1937) "Individual activity coefficients of ions in aqueous solutions",
  J. Am. Chem. Soc. 59:1675–1678, Table I. Kielland gives a range, 4–4.5 Å, for Na⁺, HCO₃⁻
  and H₂PO₄⁻; the lower end, 4.0 Å, is used. Taking 4.5 Å instead raises γ(Na⁺) at
  I = 0.15 mol/kg, 25 °C, by 1.2 %.
* ``truesdell_jones_a``, ``truesdell_jones_b`` — å (Å) and b (kg/mol) of the
  Truesdell–Jones equation, from Truesdell, A. H. & Jones, B. F. (1974) "WATEQ, a computer
  program for calculating chemical equilibria of natural waters", J. Res. U.S. Geol. Surv.
  2:233–248 (fitted å, b for Na⁺, K⁺, Ca²⁺, Mg²⁺, Cl⁻, SO₄²⁻, HCO₃⁻, CO₃²⁻), with the
  further ions of the WATEQ4F database (Ball, J. W. & Nordstrom, D. K. (1991) U.S. Geol.
  Surv. Open-File Report 91-183), i.e. the ``-gamma a b`` lines of PHREEQC's
  ``wateq4f.dat``. Ions listed there with b = 0 (H⁺, Li⁺, Ba²⁺, …) use the WATEQ
  Debye–Hückel form with the WATEQ å. (PHREEQC's own ``phreeqc.dat`` refits Na⁺ as
  4.08/0.082 and Cl⁻ as 3.63/0.017; the WATEQ4F values are kept here.)

>>> ions["Na+"].kielland_a, ions["Na+"].truesdell_jones_a, ions["Na+"].truesdell_jones_b
(4.0, 4.0, 0.075)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

__all__ = ["Ion", "IonTable", "ions"]


@dataclass(frozen=True)
class Ion:
    """One ionic species.

    Attributes
    ----------
    name : str
        Canonical name, charge written after the formula (``"Ca2+"``).
    z : int
        Signed valence (elementary charges per ion).
    long_name : str
        Human-readable name.
    aliases : tuple of str
        Other accepted spellings.
    kielland_a : float or None
        Kielland (1937) ion-size parameter å, Å (extended Debye–Hückel); None if unpublished.
    truesdell_jones_a : float or None
        Truesdell–Jones / WATEQ4F ion-size parameter å, Å; None if unpublished.
    truesdell_jones_b : float or None
        Truesdell–Jones / WATEQ4F linear coefficient b, kg/mol; None if unpublished.
    """

    name: str
    z: int
    long_name: str
    aliases: tuple[str, ...] = ()
    kielland_a: float | None = None
    truesdell_jones_a: float | None = None
    truesdell_jones_b: float | None = None


_IONS: tuple[Ion, ...] = (
    Ion("H+", 1, "hydrogen (proton)", ("H", "proton", "hydrogen", "H3O+")),
    Ion("Li+", 1, "lithium", ("Li", "lithium")),
    Ion("Na+", 1, "sodium", ("Na", "sodium")),
    Ion("K+", 1, "potassium", ("K", "potassium")),
    Ion("Rb+", 1, "rubidium", ("Rb", "rubidium")),
    Ion("Cs+", 1, "caesium", ("Cs", "cesium", "caesium")),
    Ion("NH4+", 1, "ammonium", ("NH4", "ammonium")),
    Ion("TEA+", 1, "tetraethylammonium", ("TEA", "tetraethylammonium")),
    Ion("TMA+", 1, "tetramethylammonium", ("TMA", "tetramethylammonium")),
    Ion("NMDG+", 1, "N-methyl-D-glucamine", ("NMDG",)),
    Ion("Choline+", 1, "choline", ("choline",)),
    Ion("Guanidinium+", 1, "guanidinium", ("guanidinium",)),
    Ion("Tris+", 1, "tris(hydroxymethyl)aminomethane, protonated", ("Tris", "TrisH+")),
    Ion("Mg2+", 2, "magnesium", ("Mg", "Mg++", "magnesium")),
    Ion("Ca2+", 2, "calcium", ("Ca", "Ca++", "calcium")),
    Ion("Sr2+", 2, "strontium", ("Sr", "Sr++", "strontium")),
    Ion("Ba2+", 2, "barium", ("Ba", "Ba++", "barium")),
    Ion("Mn2+", 2, "manganese(II)", ("Mn", "Mn++", "manganese")),
    Ion("Fe2+", 2, "iron(II)", ("Fe++", "ferrous")),
    Ion("Co2+", 2, "cobalt(II)", ("Co", "Co++", "cobalt")),
    Ion("Ni2+", 2, "nickel(II)", ("Ni", "Ni++", "nickel")),
    Ion("Cu2+", 2, "copper(II)", ("Cu++", "cupric")),
    Ion("Zn2+", 2, "zinc", ("Zn", "Zn++", "zinc")),
    Ion("Cd2+", 2, "cadmium", ("Cd", "Cd++", "cadmium")),
    Ion("Fe3+", 3, "iron(III)", ("Fe+++", "ferric")),
    Ion("Al3+", 3, "aluminium", ("Al", "Al+++", "aluminium", "aluminum")),
    Ion("La3+", 3, "lanthanum", ("La", "La+++", "lanthanum")),
    Ion("Gd3+", 3, "gadolinium", ("Gd", "Gd+++", "gadolinium")),
    Ion("F-", -1, "fluoride", ("F", "fluoride")),
    Ion("Cl-", -1, "chloride", ("Cl", "chloride")),
    Ion("Br-", -1, "bromide", ("Br", "bromide")),
    Ion("I-", -1, "iodide", ("I", "iodide")),
    Ion("SCN-", -1, "thiocyanate", ("SCN", "thiocyanate")),
    Ion("NO3-", -1, "nitrate", ("NO3", "nitrate")),
    Ion("OH-", -1, "hydroxide", ("OH", "hydroxide")),
    Ion("HCO3-", -1, "bicarbonate", ("HCO3", "bicarbonate", "hydrogencarbonate")),
    Ion("H2PO4-", -1, "dihydrogen phosphate", ("H2PO4",)),
    Ion("HSO4-", -1, "hydrogen sulfate", ("HSO4",)),
    Ion("Acetate-", -1, "acetate", ("acetate", "OAc-", "CH3COO-")),
    Ion("Gluconate-", -1, "gluconate", ("gluconate",)),
    Ion("Methanesulfonate-", -1, "methanesulfonate", ("methanesulfonate", "MeSO3-")),
    Ion("Aspartate-", -1, "aspartate", ("aspartate",)),
    Ion("Glutamate-", -1, "glutamate", ("glutamate",)),
    Ion("HEPES-", -1, "HEPES (deprotonated)", ("HEPES",)),
    Ion("MES-", -1, "MES (deprotonated)", ("MES",)),
    Ion("Isethionate-", -1, "isethionate", ("isethionate",)),
    Ion("CO3 2-", -2, "carbonate", ("CO3", "CO3--", "CO3_2-", "carbonate")),
    Ion("SO4 2-", -2, "sulfate", ("SO4", "SO4--", "SO4_2-", "sulfate", "sulphate")),
    Ion("HPO4 2-", -2, "hydrogen phosphate", ("HPO4", "HPO4--", "HPO4_2-")),
    Ion("PO4 3-", -3, "phosphate", ("PO4", "PO4---", "PO4_3-", "phosphate")),
    Ion("Citrate3-", -3, "citrate", ("citrate",)),
    # Chelators and nucleotides in more than one charge state: the charge is part of the name.
    Ion("EGTA2-", -2, "EGTA, doubly deprotonated"),
    Ion("EGTA3-", -3, "EGTA, triply deprotonated"),
    Ion("ATP2-", -2, "adenosine triphosphate (2−)"),
    Ion("ATP3-", -3, "adenosine triphosphate (3−)"),
    Ion("ATP4-", -4, "adenosine triphosphate (4−)"),
    Ion("GTP2-", -2, "guanosine triphosphate (2−)"),
    Ion("GTP3-", -3, "guanosine triphosphate (3−)"),
    Ion("GTP4-", -4, "guanosine triphosphate (4−)"),
)

# Kielland (1937), J. Am. Chem. Soc. 59:1675, Table I: ion-size parameter å in Å.
# Only the ions of this table that appear in that paper; the 4–4.5 Å group at 4.0 Å.
_KIELLAND_A = {
    "H+": 9.0, "Li+": 6.0, "Na+": 4.0, "K+": 3.0, "Rb+": 2.5, "Cs+": 2.5, "NH4+": 2.5,
    "Mg2+": 8.0, "Ca2+": 6.0, "Sr2+": 5.0, "Ba2+": 5.0, "Mn2+": 6.0, "Fe2+": 6.0,
    "Co2+": 6.0, "Ni2+": 6.0, "Cu2+": 6.0, "Zn2+": 6.0, "Cd2+": 5.0,
    "Fe3+": 9.0, "Al3+": 9.0, "La3+": 9.0,
    "F-": 3.5, "Cl-": 3.0, "Br-": 3.0, "I-": 3.0, "SCN-": 3.5, "NO3-": 3.0, "OH-": 3.5,
    "HCO3-": 4.0, "H2PO4-": 4.0,
    "CO3 2-": 4.5, "SO4 2-": 4.0, "HPO4 2-": 4.0, "PO4 3-": 4.0,
}  # fmt: skip

# Truesdell & Jones (1974) and WATEQ4F (Ball & Nordstrom 1991): (å in Å, b in kg/mol),
# as in the "-gamma a b" lines of PHREEQC's wateq4f.dat.
_TRUESDELL_JONES = {
    "H+": (9.0, 0.0), "Li+": (6.0, 0.0), "Na+": (4.0, 0.075), "K+": (3.5, 0.015),
    "Mg2+": (5.5, 0.20), "Ca2+": (5.0, 0.165), "Sr2+": (5.26, 0.121), "Ba2+": (5.0, 0.0),
    "Mn2+": (6.0, 0.0), "Fe2+": (6.0, 0.0), "Cu2+": (6.0, 0.0), "Zn2+": (6.0, 0.0),
    "Fe3+": (9.0, 0.0), "Al3+": (9.0, 0.0),
    "F-": (3.5, 0.0), "Cl-": (3.5, 0.015), "OH-": (3.5, 0.0), "NO3-": (3.0, 0.0),
    "HCO3-": (5.4, 0.0), "H2PO4-": (5.4, 0.0),
    "CO3 2-": (5.4, 0.0), "SO4 2-": (5.0, -0.04), "HPO4 2-": (5.0, 0.0), "PO4 3-": (5.0, 0.0),
}  # fmt: skip


def _with_parameters(ion: Ion) -> Ion:
    tj = _TRUESDELL_JONES.get(ion.name, (None, None))
    return replace(
        ion,
        kielland_a=_KIELLAND_A.get(ion.name),
        truesdell_jones_a=tj[0],
        truesdell_jones_b=tj[1],
    )


_IONS = tuple(_with_parameters(ion) for ion in _IONS)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name)


# Charge notations other than ionsweep's own: pyEQL's "Ca[+2]", "Cl[-1]", "K[+]";
# PHREEQC's "Ca+2", "SO4-2"; ionsweep's number-then-sign "Ca2+"; repeated signs "SO4--".
_CHARGE_FORMS = (
    re.compile(r"^(?P<formula>.+?)\[(?P<sign>[+-])(?P<n>\d*)\]$"),
    re.compile(r"^(?P<formula>.+?)\[(?P<n>\d*)(?P<sign>[+-])\]$"),
    re.compile(r"^(?P<formula>.+?)(?P<sign>[+-])(?P<n>\d+)$"),
    re.compile(r"^(?P<formula>.+?)(?P<n>\d+)(?P<sign>[+-])$"),
    re.compile(r"^(?P<formula>.+?)(?P<signs>\++|-+)$"),
)


def _charge_readings(key: str) -> Iterator[tuple[str, int]]:
    """Every ``(ionsweep key, valence)`` a charge notation of ``key`` can be read as."""
    for form in _CHARGE_FORMS:
        m = form.match(key)
        if m is None:
            continue
        parts = m.groupdict()
        if parts.get("signs"):
            z = len(parts["signs"]) * (1 if parts["signs"][0] == "+" else -1)
        else:
            n = int(parts["n"]) if parts["n"] else 1
            z = n if parts["sign"] == "+" else -n
        if z == 0:
            continue
        sign = "+" if z > 0 else "-"
        charge = sign if abs(z) == 1 else f"{abs(z)}{sign}"
        yield parts["formula"] + charge, z


class IonTable(Mapping[str, Ion]):
    """Read-only mapping from ion names (canonical or alias) to :class:`Ion` records.

    Iteration yields canonical names only; lookups accept aliases and, for the formula-like
    names, any letter case (``"k+"``); unknown names raise ``KeyError`` with suggestions.
    """

    def __init__(self, ions: tuple[Ion, ...]):
        self._by_name = {ion.name: ion for ion in ions}
        self._lookup: dict[str, Ion] = {}
        for ion in ions:
            for key in (ion.name, *ion.aliases):
                self._lookup[_key(key)] = ion
        self._lookup_lower: dict[str, Ion] = {}
        for key, ion in self._lookup.items():
            self._lookup_lower.setdefault(key.lower(), ion)

    def __getitem__(self, name: str) -> Ion:
        if not isinstance(name, str):
            raise KeyError(f"ion names are strings, got {name!r}")
        key = _key(name)
        found = self._find(key)
        if found is not None:
            return found
        for reading, z in _charge_readings(key):  # PHREEQC's "Ca+2", pyEQL's "Ca[+2]", ...
            found = self._find(reading)
            if found is not None and found.z == z:
                return found
        close = difflib.get_close_matches(key, list(self._lookup), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown ion {name!r}{hint} (known: {', '.join(self._by_name)})")

    def _find(self, key: str) -> Ion | None:
        if key in self._lookup:
            return self._lookup[key]
        return self._lookup_lower.get(key.lower())

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __repr__(self) -> str:
        return f"IonTable({', '.join(self._by_name)})"

    def valence(self, name: str) -> int:
        """Signed valence of the ion called ``name`` (canonical name or alias)."""
        return self[name].z

    def canonical(self, name: str) -> str:
        """Canonical name of the ion called ``name`` (``"potassium"`` → ``"K+"``)."""
        return self[name].name


#: The table of known ions, exported as ``ionsweep.ions``.
ions = IonTable(_IONS)
