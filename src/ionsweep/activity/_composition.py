"""Solution composition: ion names, ionic strength, mM ↔ molality, salts, input checks.

Concentration scales
--------------------
Membrane models give concentrations in mM (mmol per litre of *solution*); activity models
need molalities m (mol per kg of *water*). :func:`mM_to_molality` uses the dilute-solution
approximation

.. math:: m \\approx c / \\rho_w(T)

(c in mol/m³ = mM, ρ_w in kg/m³ from Kell 1975, m in mol/kg), i.e. it takes one litre of
solution to hold ρ_w(T) of water. The exact relation is m = c / (ρ_w (1 − Σ c_s φ_V,s))
to first order, where φ_V,s is the apparent molar volume of each dissolved salt, so the
approximation underestimates m by the relative amount Σ c_s φ_V,s: 0.26 % for 150 mM NaCl
(φ_V ≈ 17 cm³/mol), < 0.5 % for physiological salines and ≈ 1 % at 0.5 M. Since
d ln γ / d ln m is small (≈ −0.1 for NaCl near 0.15 mol/kg), the resulting error in ln γ
is ≲ 0.05 %, i.e. ≲ 0.01 mV in a Nernst potential, and it cancels entirely between the two
sides of a membrane at one temperature when γ = 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from ionsweep._ions import ions
from ionsweep._util import as_float
from ionsweep.physics._water import water_density

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = [
    "NEUTRALITY_RTOL",
    "canonical_names",
    "charge_imbalance",
    "ionic_strength",
    "mM_to_molality",
    "molality_to_mM",
    "parse_salt",
    "valences",
]

#: Default tolerance of the electroneutrality check: |Σ zᵢmᵢ| ≤ NEUTRALITY_RTOL · ½Σ|zᵢ|mᵢ.
NEUTRALITY_RTOL = 1e-3


def canonical_names(names: Sequence[str]) -> tuple[str, ...]:
    """Canonical ion names for ``names`` (aliases accepted); KeyError for unknown ions.

    Raises ValueError when two entries name the same ion (``("K", "K+")``).

    >>> canonical_names(["potassium", "Cl"])
    ('K+', 'Cl-')
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a sequence of ion names, not the string {names!r}")
    out = tuple(ions.canonical(n) for n in names)
    seen: dict[str, str] = {}
    for given, canon in zip(names, out, strict=True):
        if canon in seen:
            raise ValueError(f"ion {canon!r} is given twice (as {seen[canon]!r} and {given!r})")
        seen[canon] = given
    return out


def valences(names: Sequence[str]) -> tuple[int, ...]:
    """Signed valences of the ions called ``names``.

    >>> valences(("Ca2+", "Cl-"))
    (2, -1)
    """
    return tuple(ions.valence(n) for n in names)


def _split(molality, names, axis=-1):
    """(names, array (..., n)) from a mapping, or from an array, its names and ion axis."""
    if isinstance(molality, Mapping):
        if names is not None or axis != -1:
            raise TypeError("give names and axis only with an array of molalities, not with "
                            "a mapping")  # fmt: skip
        names = canonical_names(list(molality))
        values = as_float(*molality.values())
        shape = jnp.broadcast_shapes(*(v.shape for v in values))
        return names, jnp.stack([jnp.broadcast_to(v, shape) for v in values], axis=-1)
    if names is None:
        raise TypeError("an array of molalities needs names (one per entry of the last axis)")
    names = canonical_names(names)
    (m,) = as_float(molality)
    if m.ndim == 0 or not -m.ndim <= axis < m.ndim or m.shape[axis] != len(names):
        where = "the last axis" if axis == -1 else f"axis={axis}"
        raise ValueError(f"molality has shape {m.shape}; its ion axis ({where}) must have "
                         f"{len(names)} entries, one per ion of names")  # fmt: skip
    return names, jnp.moveaxis(m, axis, -1)


def ionic_strength(
    molality: Mapping[str, ArrayLike] | ArrayLike,
    names: Sequence[str] | None = None,
    *,
    axis: int = -1,
) -> Array:
    """Ionic strength I = ½ Σ mᵢ zᵢ².

    The one place ionsweep computes it: the activity models and the sweep models (their
    ionic-strength-only γ and their ``ionic_strength_in``/``_out`` outputs) call this
    function. A mapping is summed ion by ion, without stacking its arrays into an ion axis
    (whose short reductions are slow on XLA:CPU); an array, which has that axis already,
    is reduced along it. zᵢ² is the exact integer in both.

    Parameters
    ----------
    molality : mapping of str to array_like, or array_like of shape (..., n)
        Molalities, mol/kg: either a mapping from ion names (aliases accepted) to arrays that
        broadcast together, or an array whose ion axis (``axis``) runs over ``names``.
        Concentrations in mM give the molar-scale I in mM instead (the sum is linear).
    names : sequence of str, optional
        The ions of the ion axis, when ``molality`` is an array.
    axis : int, keyword-only
        The ion axis of an array ``molality`` (−1 by default); its length must be
        ``len(names)``.

    Returns
    -------
    jax.Array
        I in mol/kg (the unit of ``molality``), shape (...) — the broadcast shape of the
        mapping's arrays — in their floating dtype.

    Examples
    --------
    >>> # physiological saline: 154 mM NaCl ≈ 0.1545 mol/kg at 25 °C
    >>> round(float(ionic_strength({"Na+": 0.1545, "Cl-": 0.1545})), 4)
    0.1545
    >>> round(float(ionic_strength([0.01, 0.02], names=("Ca2+", "Cl-"))), 2)
    0.03
    """
    if isinstance(molality, Mapping) and names is None:
        if not molality:
            raise ValueError("ionic_strength needs at least one ion")
        z = valences(canonical_names(list(molality)))
        return ionic_strength_of(as_float(*molality.values()), z)
    names, m = _split(molality, names, axis)
    z2 = jnp.asarray([zi * zi for zi in valences(names)], m.dtype)
    return 0.5 * jnp.sum(m * z2, axis=-1)


def ionic_strength_of(columns, z):
    """½ Σ zᵢ² cᵢ of one array per ion (``columns``) with valences ``z``, summed ion by ion
    (the arithmetic behind :func:`ionic_strength`, for callers holding the columns)."""
    return 0.5 * sum(zi * zi * c for zi, c in zip(z, columns, strict=True))


def charge_imbalance(
    molality: Mapping[str, ArrayLike] | ArrayLike,
    names: Sequence[str] | None = None,
    *,
    axis: int = -1,
) -> Array:
    """Relative charge imbalance Σ zᵢmᵢ / (½ Σ |zᵢ| mᵢ), dimensionless, shape (...).

    0 for an electroneutral solution, ±2 for a single ion; NaN for pure water. Arguments as
    for :func:`ionic_strength` (mol/kg or mM: the ratio has no unit).

    >>> float(charge_imbalance({"Ca2+": 1.0, "Cl-": 2.0}))
    0.0
    """
    names, m = _split(molality, names, axis)
    z = jnp.asarray(valences(names), m.dtype)
    total = 0.5 * jnp.sum(jnp.abs(z) * m, axis=-1)
    return jnp.sum(z * m, axis=-1) / jnp.where(total > 0, total, jnp.nan)


def mM_to_molality(
    c_mM: Float[ArrayLike, "*#batch"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch"]:
    """Molality from a concentration, dilute approximation m = c / ρ_w(T).

    Parameters
    ----------
    c_mM : array_like
        Concentration, mM (mmol per litre of solution).
    T : array_like
        Temperature, K (0–100 °C; Kell's density is valid to 150 °C).

    Returns
    -------
    jax.Array
        Molality, mol/kg of water. The approximation ignores the volume of the solutes
        (relative error ≈ Σ c φ_V: 0.26 % for 150 mM NaCl; see the module docstring).

    Examples
    --------
    >>> round(float(mM_to_molality(150.0, 298.15)), 5)
    0.15044
    """
    c, T = as_float(c_mM, T)
    return c / water_density(T)


def molality_to_mM(
    m: Float[ArrayLike, "*#batch"], T: Float[ArrayLike, "*#batch"]
) -> Float[Array, "*batch"]:
    """Concentration from a molality, dilute approximation c = m · ρ_w(T).

    Parameters
    ----------
    m : array_like
        Molality, mol/kg of water.
    T : array_like
        Temperature, K.

    Returns
    -------
    jax.Array
        Concentration, mM; the inverse of :func:`mM_to_molality`.

    Examples
    --------
    >>> round(float(molality_to_mM(0.1, 310.15)), 3)
    99.333
    """
    m, T = as_float(m, T)
    return m * water_density(T)


def _concrete(x):
    """``x`` as a NumPy array, or None when it is a tracer (inside jit, vmap or grad)."""
    try:
        return np.asarray(x)
    except (TypeError, ValueError):  # jax.errors.TracerArrayConversionError is a TypeError
        return None


def check_composition(composition: Mapping, what: str, neutrality_rtol=NEUTRALITY_RTOL):
    """Refuse negative amounts and non-neutral compositions, where values are concrete.

    ``what`` names the argument in the messages. Traced values (inside ``jit``, ``vmap`` or
    ``grad``) cannot be inspected and pass unchecked; the kernels then return NaN for a
    negative molality and compute a non-neutral composition as given. ``neutrality_rtol``
    None skips the neutrality check.
    """
    concrete = {}
    for name, value in composition.items():
        v = _concrete(value)
        if v is None:
            return
        bad = ~(v >= 0)
        if np.any(bad):
            raise ValueError(f"{what}[{name!r}] must be finite and ≥ 0; got {v[bad].ravel()[0]!r}")
        concrete[ions.canonical(name)] = v.astype(float)
    if neutrality_rtol is None or not concrete:
        return
    shape = np.broadcast_shapes(*(v.shape for v in concrete.values()))
    zm = np.asarray(sum(ions.valence(n) * np.broadcast_to(v, shape) for n, v in concrete.items()))
    total = 0.5 * np.asarray(
        sum(abs(ions.valence(n)) * np.broadcast_to(v, shape) for n, v in concrete.items())
    )
    excess = np.abs(zm) > neutrality_rtol * total
    if np.any(excess):
        i = np.unravel_index(np.argmax(np.where(excess, np.abs(zm), -1.0)), shape)
        raise ValueError(
            f"{what} is not electroneutral: Σ z·c = {float(zm[i]):+.6g} against ½Σ|z|·c = "
            f"{float(total[i]):.6g} (tolerance {neutrality_rtol:g} relative"
            + (f", at index {tuple(int(j) for j in i)}" if shape else "")
            + f") for the ions {', '.join(concrete)}; add the counter-ions (for example an "
            "impermeant anion such as 'Gluconate-') or pass neutrality_rtol=None"
        )


def check_temperature(T, what: str = "T"):
    """Refuse non-finite or non-positive temperatures where ``T`` is concrete."""
    t = _concrete(T)
    if t is not None and np.any(~(t > 0) | ~np.isfinite(t)):
        raise ValueError(f"{what} must be a finite temperature > 0 K; got {t!r}")


def _exact_ion(name: str):
    """Canonical name if ``name`` spells an ion exactly (letter case included), else None."""
    if name not in ions:
        return None
    ion = ions[name]
    return ion.name if name in (ion.name.replace(" ", ""), *ion.aliases) else None


def _ion_part(part: str):
    """(ion, count) for a formula part such as 'Na2', 'Cl2', 'SO4', '(NO3)2'; or None."""
    group = re.fullmatch(r"\(([^()]+)\)(\d+)", part)
    if group:
        body, count = group[1], int(group[2])
    elif _exact_ion(part):
        body, count = part, 1
    else:
        counted = re.fullmatch(r"(.*\D)(\d+)", part)
        if not counted:
            return None
        body, count = counted[1], int(counted[2])
    ion = _exact_ion(body)
    return None if ion is None else (ion, count)


def parse_salt(salt: str) -> tuple[tuple[str, int], tuple[str, int]]:
    """Split a salt formula into ((cation, ν₊), (anion, ν₋)).

    Accepts formulas like ``"NaCl"``, ``"KCl"``, ``"CaCl2"``, ``"MgCl2"``, ``"Na2SO4"``,
    ``"Ca(NO3)2"`` and ``"(NH4)2SO4"`` whose two parts are ions of ``ionsweep.ions`` and
    whose charges balance; raises ValueError otherwise.

    >>> parse_salt("CaCl2")
    (('Ca2+', 1), ('Cl-', 2))
    """
    if not isinstance(salt, str) or not salt:
        raise ValueError(f"salt must be a formula such as 'NaCl' or 'CaCl2'; got {salt!r}")
    formula = salt.replace(" ", "")
    for i in range(1, len(formula)):
        cat, an = _ion_part(formula[:i]), _ion_part(formula[i:])
        if cat is None or an is None:
            continue
        (c, nc), (a, na) = cat, an
        zc, za = ions.valence(c), ions.valence(a)
        if zc > 0 > za and nc * zc + na * za == 0:
            g = math.gcd(nc, na)
            return (c, nc // g), (a, na // g)
    raise ValueError(
        f"cannot read salt {salt!r} as a neutral cation–anion formula of known ions "
        "(examples: 'NaCl', 'KCl', 'CaCl2', 'MgCl2', 'Na2SO4', 'Ca(NO3)2')"
    )
