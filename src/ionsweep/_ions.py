"""A table of common ions by name, with their valences.

Look ions up by their canonical name (``"K+"``, ``"Ca2+"``, ``"Cl-"``, ``"HCO3-"``) or a
common alias (``"K"``, ``"potassium"``, ``"Ca++"``, ``"chloride"``); names are
case-sensitive only where chemistry needs it (``"Co2+"`` vs ``"CO3 2-"`` never collide).

``ionsweep.ions`` is an :class:`IonTable` (a read-only mapping):

>>> from ionsweep import ions
>>> ions["Ca++"].z
2
>>> ions.valence("chloride")
-1
>>> ions.canonical("potassium")
'K+'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

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
    """

    name: str
    z: int
    long_name: str
    aliases: tuple[str, ...] = ()


_IONS = (
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
    Ion("CO3 2-", -2, "carbonate", ("CO3", "CO3--", "CO3_2-", "carbonate")),
    Ion("SO4 2-", -2, "sulfate", ("SO4", "SO4--", "SO4_2-", "sulfate", "sulphate")),
    Ion("HPO4 2-", -2, "hydrogen phosphate", ("HPO4", "HPO4--", "HPO4_2-")),
    Ion("PO4 3-", -3, "phosphate", ("PO4", "PO4---", "PO4_3-", "phosphate")),
    Ion("Citrate3-", -3, "citrate", ("citrate",)),
)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name)


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
        self._lookup_lower = {}
        for key, ion in self._lookup.items():
            self._lookup_lower.setdefault(key.lower(), ion)

    def __getitem__(self, name: str) -> Ion:
        if not isinstance(name, str):
            raise KeyError(f"ion names are strings, got {name!r}")
        key = _key(name)
        if key in self._lookup:
            return self._lookup[key]
        if key.lower() in self._lookup_lower:
            return self._lookup_lower[key.lower()]
        close = difflib.get_close_matches(key, list(self._lookup), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown ion {name!r}{hint} (known: {', '.join(self._by_name)})")

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
