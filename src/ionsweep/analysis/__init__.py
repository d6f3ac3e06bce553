"""Analysis of measurements: fitting permeability ratios to reversal potentials.

Sensitivity and uncertainty analysis (Sobol, Morris, Monte Carlo) is :mod:`ionsweep.sensitivity`.

>>> from ionsweep.analysis import fit_permeability_ratios, PermeabilityFit
"""

from ionsweep.analysis._fit import fit_permeability_ratios
from ionsweep.analysis._fit_errors import FitInputError, FitWarning
from ionsweep.analysis._fit_result import PermeabilityFit

__all__ = ["FitInputError", "FitWarning", "PermeabilityFit", "fit_permeability_ratios"]
