"""The ion table: lookups by canonical name and alias, valences, and unknown names."""

import pytest

import ionsweep
from ionsweep import ions

# Valences are chemistry facts (IUPAC names and charges of the common aqueous ions).
VALENCES = {
    "H+": 1,
    "Li+": 1,
    "Na+": 1,
    "K+": 1,
    "Cs+": 1,
    "NH4+": 1,
    "Mg2+": 2,
    "Ca2+": 2,
    "Ba2+": 2,
    "Zn2+": 2,
    "La3+": 3,
    "Gd3+": 3,
    "Cl-": -1,
    "Br-": -1,
    "HCO3-": -1,
    "H2PO4-": -1,
    "OH-": -1,
    "SO4 2-": -2,
    "HPO4 2-": -2,
    "CO3 2-": -2,
    "PO4 3-": -3,
    "Citrate3-": -3,
}


@pytest.mark.parametrize(("name", "z"), VALENCES.items())
def test_valences_of_canonical_names(name, z):
    assert ions[name].z == z
    assert ions.valence(name) == z
    assert ions[name].name == name


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("K", "K+"),
        ("potassium", "K+"),
        ("sodium", "Na+"),
        ("Na", "Na+"),
        ("Ca++", "Ca2+"),
        ("calcium", "Ca2+"),
        ("Mg++", "Mg2+"),
        ("magnesium", "Mg2+"),
        ("chloride", "Cl-"),
        ("bicarbonate", "HCO3-"),
        ("proton", "H+"),
        ("H3O+", "H+"),
        ("cesium", "Cs+"),
        ("caesium", "Cs+"),
        ("SO4--", "SO4 2-"),
        ("sulfate", "SO4 2-"),
        ("SO4_2-", "SO4 2-"),
        ("La+++", "La3+"),
        ("k+", "K+"),  # formula names in any letter case
    ],
)
def test_aliases(alias, canonical):
    assert ions.canonical(alias) == canonical
    assert ions[alias] is ions[canonical]
    assert alias in ions


def test_whitespace_is_ignored():
    assert ions["SO42-"] is ions["SO4 2-"] is ions["SO4  2-"]


def test_cobalt_and_carbonate_do_not_collide():
    # The module docstring's example: "Co2+" (cobalt) vs "CO3 2-" (carbonate).
    assert ions["Co2+"].z == 2 and ions["Co2+"].long_name.startswith("cobalt")
    assert ions["CO3 2-"].z == -2 and ions["CO3 2-"].long_name == "carbonate"


def test_unknown_name_raises_keyerror_with_suggestion():
    with pytest.raises(KeyError, match="did you mean.*K\\+"):
        ions["Kk+"]
    with pytest.raises(KeyError, match="unknown ion 'unobtainium'"):
        ions["unobtainium"]
    assert "unobtainium" not in ions


def test_non_string_key():
    with pytest.raises(KeyError):
        ions[1]  # type: ignore[index]
    assert 1 not in ions


def test_mapping_interface():
    names = list(ions)
    assert len(names) == len(ions) == len(set(names))
    assert {"K+", "Na+", "Cl-", "Ca2+", "Mg2+", "HCO3-"} <= set(names)
    assert all(ions[n].name == n for n in names)  # iteration yields canonical names only
    assert "K" not in names
    assert ionsweep.ions is ions
    assert all(isinstance(ions[n], ionsweep.Ion) for n in names)


def test_ion_records_are_frozen():
    with pytest.raises(AttributeError):
        ions["K+"].z = 2  # type: ignore[misc]


# Charge notations of other tools: PHREEQC databases write the sign then the number
# ("Ca+2", "SO4-2", "HPO4-2"); pyEQL's standardize_formula writes the charge in brackets
# ("Ca[+2]", "Cl[-1]", "SO4[-2]"); repeated signs ("Ca++", "SO4--") are common in textbooks.
@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Ca2+", "Ca2+"),
        ("Ca++", "Ca2+"),
        ("Ca+2", "Ca2+"),
        ("Ca[+2]", "Ca2+"),
        ("Ca[2+]", "Ca2+"),
        ("Mg+2", "Mg2+"),
        ("La+3", "La3+"),
        ("La[+3]", "La3+"),
        ("Na+1", "Na+"),
        ("Na[+1]", "Na+"),
        ("K[+]", "K+"),
        ("Cl-1", "Cl-"),
        ("Cl[-1]", "Cl-"),
        ("HCO3[-1]", "HCO3-"),
        ("H2PO4-", "H2PO4-"),
        ("NH4[+1]", "NH4+"),
        ("SO4-2", "SO4 2-"),
        ("SO4--", "SO4 2-"),
        ("SO4 2-", "SO4 2-"),
        ("SO4[-2]", "SO4 2-"),
        ("HPO4-2", "HPO4 2-"),
        ("CO3-2", "CO3 2-"),
        ("PO4-3", "PO4 3-"),
        ("PO4[-3]", "PO4 3-"),
        ("Citrate-3", "Citrate3-"),
        ("Fe+3", "Fe3+"),
        ("Fe+2", "Fe2+"),
    ],
)
def test_phreeqc_and_pyeql_charge_notations(name, canonical):
    assert ions.canonical(name) == canonical
    assert ions[name] is ions[canonical]


@pytest.mark.parametrize("name", ["Ca+3", "Ca[-2]", "SO4+2", "Cl+1", "K+0", "Na[+0]"])
def test_charge_notation_with_the_wrong_charge_is_unknown(name):
    # The charge written must be the ion's: "Ca+3" is not calcium.
    with pytest.raises(KeyError, match="unknown ion"):
        ions[name]


def test_charge_notations_in_the_cli_and_kernels():
    from ionsweep.cli._checks import resolve_ions

    names, z = resolve_ions(["Ca+2", "SO4-2", "Cl[-1]"], None)
    assert names == ["Ca2+", "SO4 2-", "Cl-"]
    assert z == [2, -2, -1]
