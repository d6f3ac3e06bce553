"""ionsweep: membrane electrochemistry over huge parameter grids, with JAX.

Units everywhere: potentials in mV (V = φ_in − φ_out), concentrations in mM, temperatures in
K, permeabilities in cm/s (or relative), current densities in mA/cm² (outward positive).

The public names are listed once, in ``__init__.pyi``, and load on first use.
"""

from importlib.metadata import PackageNotFoundError, version

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)

try:
    __version__ = version("ionsweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
