"""Example data shipped with ionsweep.

``permeability_example.csv`` is a synthetic reversal-potential dataset for
:func:`ionsweep.fit_permeability_ratios`: 6 cells × 8 external solutions at 22 °C, generated
by ``scripts/make_example_fit_data.py`` from the ratios :data:`EXAMPLE_FIT_RATIOS` with
Gaussian noise of known standard deviation (column ``V_rev_sd``, 0.3–0.8 mV).

>>> import ionsweep.data
>>> ionsweep.data.example_fit_path().name
'permeability_example.csv'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLE_FIT_RATIOS", "example_fit_path"]

#: The permeability ratios P_ion/P_K+ the example dataset was generated with.
EXAMPLE_FIT_RATIOS = {"K+": 1.0, "Na+": 0.04, "Cl-": 0.25}


def example_fit_path() -> Path:
    """Path of the example reversal-potential table (CSV; potentials in mV, mM, °C)."""
    return Path(str(resources.files(__name__).joinpath("permeability_example.csv")))
