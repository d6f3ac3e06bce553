"""Analysis of results and measurements: fitting permeability ratios to reversal potentials.

>>> from ionsweep.analysis import fit_permeability_ratios, PermeabilityFit
"""

from ionsweep.analysis._fit import fit_permeability_ratios
from ionsweep.analysis._fit_errors import FitInputError, FitWarning
from ionsweep.analysis._fit_result import PermeabilityFit
from ionsweep.analysis._sensitivity import morris, sobol
from ionsweep.analysis._uncertainty import propagate

__all__ = ["FitInputError", "FitWarning", "PermeabilityFit", "fit_permeability_ratios"]
__all__ += ["morris", "propagate", "sobol"]
