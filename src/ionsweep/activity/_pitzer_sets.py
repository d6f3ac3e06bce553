"""Named Pitzer parameter sets: the built-in ones, the default, and resolving a name.

Built-in sets (each taken whole from one source; see :data:`BUILTIN_SETS`):

* ``"phreeqc"`` — the default. PHREEQC's ``pitzer.dat`` (Parkhurst & Appelo 2013, *USGS
  Techniques and Methods* 6-A43; Plummer et al. 1988, *USGS WRI Report* 88-4153, with the
  temperature refits of Appelo 2015, *Appl. Geochem.* 55, 62–71), the copy distributed with
  phreeqpython 1.6.2, shipped as ``ionsweep/activity/data/pitzer.dat`` and read by
  :func:`~ionsweep.activity.read_phreeqc_pitzer`. Temperature-dependent for Na–K–Ca–Mg–Cl–SO₄
  (stated 0–200 °C in its header); A_φ as PHREEQC computes it
  (:func:`~ionsweep.activity._pitzer_basis.aphi_phreeqc`).
* ``"hmw84"`` — Harvie, Møller & Weare (1984), *Geochim. Cosmochim. Acta* 48, 723–751,
  Table 1, 25 °C only, A_φ = 0.392.

The former default ``"MP98-chlorides"`` (ionsweep ≤ this release) combined Greenberg–Møller
mixing terms with Pitzer–Mayorga CaCl₂/MgCl₂ binaries, a combination no source fitted
together; it was withdrawn and its name raises a ValueError that says so.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources

from ionsweep.activity._pitzer_params import HMW84, PitzerParameters

__all__ = ["BUILTIN_SETS", "DEFAULT_SET", "pitzer_parameters", "split_model"]

#: The name of the default set.
DEFAULT_SET = "phreeqc"
#: Built-in set names.
BUILTIN_SETS = ("phreeqc", "hmw84")
_WITHDRAWN = {"mp98-chlorides", "mp98_chlorides", "mp98"}


@functools.cache
def _phreeqc_builtin() -> PitzerParameters:
    from ionsweep.activity._phreeqc import read_phreeqc_pitzer

    path = resources.files("ionsweep.activity") / "data" / "pitzer.dat"
    with resources.as_file(path) as p:
        return read_phreeqc_pitzer(p, "phreeqc")


def pitzer_parameters(
    parameters: str | PitzerParameters | None = None, databases: Mapping | None = None
) -> PitzerParameters:
    """The :class:`PitzerParameters` named by ``parameters`` (a set, a name, or None: default).

    ``databases`` maps further names to sets (a spec's ``[activity.databases]``); they take
    precedence over the built-in names. Names are case-insensitive.

    >>> pitzer_parameters("HMW84").name
    'hmw84'
    >>> pitzer_parameters().name
    'phreeqc'
    """
    if isinstance(parameters, PitzerParameters):
        return parameters
    name = DEFAULT_SET if parameters is None else parameters
    if not isinstance(name, str):
        raise TypeError(f"parameters must be a set name or a PitzerParameters, got {name!r}")
    if databases:
        for key, value in databases.items():
            if key.lower() == name.lower():
                return value
    key = name.lower()
    if key == "phreeqc":
        return _phreeqc_builtin()
    if key == "hmw84":
        return HMW84
    if key in _WITHDRAWN:
        raise ValueError(
            f"Pitzer parameter set {name!r} was withdrawn: it combined parameters no source "
            f"fitted together; use 'phreeqc' (the default) or 'hmw84'"
        )
    known = sorted(set(BUILTIN_SETS) | set(databases or ()))
    raise ValueError(f"unknown Pitzer parameter set {name!r}; known: {', '.join(known)}")


def split_model(label: str) -> tuple[str, str | None]:
    """``"pitzer:hmw84"`` → ``("pitzer", "hmw84")``; any other label → ``(label, None)``.

    >>> split_model("pitzer:phreeqc"), split_model("davies")
    (('pitzer', 'phreeqc'), ('davies', None))
    """
    if isinstance(label, str) and ":" in label:
        model, _, name = label.partition(":")
        if model != "pitzer" or not name:
            raise ValueError(f"activity model {label!r}: only 'pitzer:<set>' takes a parameter set")
        return model, name
    return label, None
