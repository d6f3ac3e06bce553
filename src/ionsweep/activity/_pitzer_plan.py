"""The static plan of a Pitzer system: which binary, like-charged pair and triplet terms
a list of ions has under a parameter set, as indices into the ions of the call and into the
set's arrays. Made once per ion list and set (concrete) or ion layout (traced), at trace
time; :mod:`ionsweep.activity._pitzer` evaluates it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ionsweep._ions import ions
from ionsweep.activity._pitzer_params import PitzerParameters
from ionsweep.activity._pitzer_sets import pitzer_parameters

__all__ = ["CONVENTIONS", "Plan", "canonical", "resolve"]

#: Single-ion conventions (see :mod:`ionsweep.activity._pitzer`).
CONVENTIONS = ("unscaled", "macinnes")


@dataclass(frozen=True)
class Plan:
    """Static (trace-time) description of one Pitzer system: indices into the ion list of the
    call (i, j, k) and of the parameter set (u, v, w), and which terms exist."""

    z: tuple  # (n,) valences
    binary: tuple  # (i, j, u, v, alpha1, alpha2, has_beta2); α None when traced
    pairs: tuple  # (i, j, u, v, has_theta): like-charged pairs with θ or unsymmetrical ᴱθ
    triplets: tuple  # (i, j, k, u, v, w)
    concrete: bool
    aphi_water: bool  # evaluate PHREEQC's water-based A_φ
    aphi_row: bool  # evaluate the A_φ basis row
    macinnes: tuple | None  # (index of Cl- in the call, u of K+, v of Cl-)


def canonical(name) -> str:
    """ionsweep's name of an ion (``ValueError`` for one it does not know)."""
    if not isinstance(name, str):
        raise ValueError(f"Pitzer: ion names must be strings, got {name!r}")
    try:
        return ions.canonical(name)
    except KeyError as err:
        raise ValueError(f"Pitzer: unknown ion {name!r}") from err


def _layout_index(params, canon, names):
    try:
        return [params.ions.index(c) for c in canon]
    except ValueError:
        missing = [c for c in canon if c not in params.ions]
        raise ValueError(
            f"Pitzer set {params.name!r} has no parameters for {', '.join(missing)} "
            f"(ions {names!r})"
        ) from None


@functools.lru_cache(maxsize=256)
def _plan_concrete(names: tuple, params: PitzerParameters, convention: str) -> Plan:
    return _build_plan(names, params, convention, concrete=True)


@functools.lru_cache(maxsize=64)
def _plan_traced(names: tuple, layout: tuple, convention: str) -> Plan:
    return _build_plan(names, layout, convention, concrete=False)


def _build_plan(names, params, convention, concrete) -> Plan:
    canon = [canonical(n) for n in names]
    if len(set(canon)) != len(canon):
        raise ValueError(f"Pitzer: duplicate ion in {names!r}")
    ions_layout = params.ions if concrete else params
    if concrete:
        u = _layout_index(params, canon, names)
    else:
        missing = [c for c in canon if c not in ions_layout]
        if missing:
            raise ValueError(f"Pitzer: the parameter layout has no {', '.join(missing)}")
        u = [ions_layout.index(c) for c in canon]
    z = tuple(int(ions.valence(c)) for c in canon)
    cat = [i for i in range(len(z)) if z[i] > 0]
    an = [i for i in range(len(z)) if z[i] < 0]
    binary = _binary(params, names, canon, u, cat, an, concrete)
    pairs, triplets = _mixing(params, z, u, cat, an, concrete)
    macinnes = _macinnes(params, ions_layout, canon, convention, concrete)
    aphi_water = (not concrete) or float(params.aphi_water) != 0
    aphi_row = (not concrete) or bool(np.any(params.aphi_row != 0))
    return Plan(z=z, binary=tuple(binary), pairs=tuple(pairs), triplets=tuple(triplets),
                concrete=concrete, aphi_water=aphi_water, aphi_row=aphi_row,
                macinnes=macinnes)  # fmt: skip


def _binary(params, names, canon, u, cat, an, concrete) -> list:
    """The cation–anion entries of the plan; a pair a concrete set lacks is refused."""
    binary: list[tuple] = []
    for i in cat:
        for j in an:
            if not concrete:
                binary.append((i, j, u[i], u[j], None, None, True))
                continue
            if not params.has_binary[u[i], u[j]]:
                raise ValueError(
                    f"Pitzer set {params.name!r} has no binary parameters for the pair "
                    f"{canon[i]}–{canon[j]} (ions {names!r})"
                )
            a1, a2 = (float(x) for x in params.alpha[u[i], u[j]])
            has2 = bool(np.any(params.beta[u[i], u[j], 2] != 0))
            binary.append((i, j, u[i], u[j], a1, a2, has2))
    return binary


def _mixing(params, z, u, cat, an, concrete) -> tuple[list, list]:
    """The like-charged pairs (with θ, or unsymmetrical and so with ᴱθ) and the triplets
    with ψ; a traced set keeps them all."""
    pairs = []
    for group in (cat, an):
        for p, i in enumerate(group):
            for j in group[p + 1 :]:
                has = (not concrete) or bool(np.any(params.theta[u[i], u[j]] != 0))
                if has or z[i] != z[j]:  # θ missing → 0, but ᴱθ still applies
                    pairs.append((i, j, u[i], u[j], has))
    triplets = []
    for group, other in ((cat, an), (an, cat)):
        for p, i in enumerate(group):
            for j in group[p + 1 :]:
                for k in other:
                    if (not concrete) or np.any(params.psi[u[i], u[j], u[k]] != 0):
                        triplets.append((i, j, k, u[i], u[j], u[k]))
    return pairs, triplets


def _macinnes(params, ions_layout, canon, convention, concrete) -> tuple | None:
    """``(index of Cl- in the call, u of K+, v of Cl-)`` for the MacInnes convention."""
    if convention == "unscaled":
        return None
    if convention != "macinnes":
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if "Cl-" not in canon:
        raise ValueError("Pitzer: the MacInnes convention needs Cl- among the ions")
    kk, cl = ions_layout.index("K+"), ions_layout.index("Cl-")
    if concrete and not params.has_binary[kk, cl]:
        raise ValueError(f"Pitzer set {params.name!r} has no K+–Cl- parameters, which the "
                         "MacInnes convention needs")  # fmt: skip
    return (canon.index("Cl-"), kk, cl)


def resolve(names, parameters, convention) -> tuple[Plan, PitzerParameters]:
    """The plan of ``names`` under ``parameters`` (a set or its name) and the set itself."""
    if not isinstance(names, tuple | list):
        raise ValueError(f"Pitzer: names must be a tuple of ion names, got {names!r}")
    params = pitzer_parameters(parameters)
    if params.concrete:
        return _plan_concrete(tuple(names), params, convention), params
    return _plan_traced(tuple(names), params.ions, convention), params
