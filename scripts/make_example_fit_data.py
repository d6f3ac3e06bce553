"""Generate ``src/ionsweep/data/permeability_example.csv``, the example fitting dataset.

A synthetic whole-cell experiment: 6 cells, each recorded in the same 8 external solutions
at 22 °C, with a high-KCl pipette (K⁺ 140, Na⁺ 10, Cl⁻ 150 mM inside). The external
solutions raise K⁺ in place of Na⁺ (5 → 150 mM, the last one Na⁺-free) and dilute NaCl
with an uncharged osmolyte (1/2 and 1/4), so that Na⁺ and Cl⁻ are told apart; every
solution is electroneutral with K⁺, Na⁺ and Cl⁻ alone.

Reversal potentials come from the GHK voltage equation (concentrations, no activity
correction) with the known ratios

    P_Na/P_K = 0.04,  P_Cl/P_K = 0.25     (the same in every cell),

plus Gaussian noise: each measurement has its own standard deviation, drawn uniformly
from 0.3–0.8 mV and written to the ``V_rev_sd`` column, and its error is drawn from
N(0, V_rev_sd²). The random generator is NumPy's PCG64 seeded with 1, so the file is
reproducible to the last digit. Columns: ``cell``, ``solution``, ``celsius``,
``K+_in``, ``K+_out``, ``Na+_in``, ``Na+_out``, ``Cl-_in``, ``Cl-_out`` (mM), ``V_rev``
and ``V_rev_sd`` (mV).

Run from the repository root (needs the package installed)::

    python scripts/make_example_fit_data.py            # rewrites the packaged CSV
    python scripts/make_example_fit_data.py --out x.csv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

#: The ratios the data are generated with, P_ion / P_K.
TRUE_RATIOS = {"K+": 1.0, "Na+": 0.04, "Cl-": 0.25}
SEED = 1
CELSIUS = 22.0
N_CELLS = 6
INSIDE = {"K+": 140.0, "Na+": 10.0, "Cl-": 150.0}
#: External solutions: name -> (K+, Na+, Cl-) in mM.
SOLUTIONS = {
    "K5": (5.0, 145.0, 150.0),
    "K10": (10.0, 140.0, 150.0),
    "K20": (20.0, 130.0, 150.0),
    "K50": (50.0, 100.0, 150.0),
    "K100": (100.0, 50.0, 150.0),
    "K150": (150.0, 0.0, 150.0),
    "NaCl/2": (5.0, 72.5, 77.5),
    "NaCl/4": (5.0, 36.25, 41.25),
}
DEFAULT_OUT = Path(__file__).parents[1] / "src" / "ionsweep" / "data" / "permeability_example.csv"


def generate() -> list[dict[str, object]]:
    """The rows of the example table."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import ionsweep

    names = tuple(TRUE_RATIOS)
    P = [TRUE_RATIOS[n] for n in names]
    z = [ionsweep.ions.valence(n) for n in names]
    T = CELSIUS + ionsweep.ZERO_CELSIUS
    rng = np.random.default_rng(SEED)
    rows = []
    for cell in range(1, N_CELLS + 1):
        for solution, outside in SOLUTIONS.items():
            inside = [INSIDE[n] for n in names]
            V = float(ionsweep.ghk_voltage(P, inside, list(outside), z, T))
            sd = float(rng.uniform(0.3, 0.8))
            row: dict[str, object] = {
                "cell": f"cell{cell}",
                "solution": solution,
                "celsius": CELSIUS,
            }
            for n, c_in, c_out in zip(names, inside, outside, strict=True):
                row[f"{n}_in"], row[f"{n}_out"] = c_in, c_out
            row["V_rev"] = round(V + sd * float(rng.standard_normal()), 3)
            row["V_rev_sd"] = round(sd, 2)
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV file to write")
    args = parser.parse_args(argv)
    rows = generate()
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
