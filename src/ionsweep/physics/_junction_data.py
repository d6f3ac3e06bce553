"""The shipped table of limiting ionic conductivities, and diffusion coefficients from it.

``ionsweep/data/mobilities.csv`` holds, per ion, the limiting equivalent conductivity λ
(S·cm²/mol per equivalent, water, 25 °C) and its source. The diffusion coefficient follows
from the Nernst–Einstein relation, D = RTλ/(|z|F²), at the table's temperature (298.15 K);
a liquid junction potential depends only on the ratios of the D, so the table is used at
every temperature as it stands (all ions' D change nearly alike with the viscosity of
water).
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

from ionsweep._ions import ions
from ionsweep.constants import FARADAY, GAS_CONSTANT

__all__ = ["MOBILITY_REFERENCE", "TABLE_T", "Mobility", "diffusion_coefficient", "mobility_table"]

#: Temperature of the conductivity table, K.
TABLE_T = 298.15
#: The ion whose mobility is 1 in the relative-mobility convention of JPCalc (u = D/D_K+).
MOBILITY_REFERENCE = "K+"


class Mobility(tuple):
    """(λ in S·cm²/mol per equivalent, source) of one ion."""

    __slots__ = ()

    @property
    def conductivity(self) -> float:
        return self[0]

    @property
    def source(self) -> str:
        return self[1]


@functools.cache
def mobility_table() -> dict[str, Mobility]:
    """Canonical ion name -> :class:`Mobility`, read once from the shipped CSV."""
    text = resources.files("ionsweep.data").joinpath("mobilities.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table = {}
    for row in rows:
        name = ions.canonical(row["ion"])
        if ions.valence(name) != int(row["z"]):
            raise ValueError(f"mobilities.csv: {row['ion']} has z = {row['z']}")
        table[name] = Mobility((float(row["lambda"]), row["source"]))
    return table


def diffusion_coefficient(name: str) -> float:
    """Diffusion coefficient of the ion ``name`` at infinite dilution, 25 °C, cm²/s.

    D = RTλ/(|z|F²) with λ from the shipped table (S·cm²/mol per equivalent). KeyError
    naming the ion where the table has no value for it.

    >>> round(diffusion_coefficient("K+") * 1e5, 3)
    1.957
    """
    canon = ions.canonical(name)
    row = mobility_table().get(canon)
    if row is None:
        raise KeyError(canon)
    return GAS_CONSTANT * TABLE_T * row.conductivity / (abs(ions.valence(canon)) * FARADAY**2)
