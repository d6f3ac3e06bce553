"""Public activity-coefficient functions on compositions given as ``{ion name: molality}``.

Electroneutrality is the caller's duty. Where the molalities are concrete (not traced), a
composition whose charge imbalance |Σ zᵢmᵢ| exceeds ``neutrality_rtol`` (default 1e-3)
times ½Σ|zᵢ|mᵢ, or that holds a negative molality, is refused with a ValueError naming the
ions; inside ``jit``/``vmap``/``grad`` the values cannot be inspected, so no check is made:
negative molalities give NaN and a non-neutral composition is computed as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from ionsweep._fastmath import exp_keep_nan
from ionsweep._util import as_float
from ionsweep.activity._composition import (
    NEUTRALITY_RTOL,
    _concrete,
    canonical_names,
    check_composition,
    check_temperature,
    parse_salt,
)
from ionsweep.activity._registry import _pitzer_module, log_gamma

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float

    from ionsweep.activity._pitzer_params import PitzerParameters


__all__ = ["activity_coefficients", "mean_activity_coefficient", "osmotic_coefficient"]


def _stack(molality: Mapping, T, what: str, neutrality_rtol):
    """Checked (names, m (..., n), T) from a mapping of ion names to molalities."""
    if not isinstance(molality, Mapping) or not molality:
        raise TypeError(f"{what} must be a non-empty mapping of ion names to molalities (mol/kg)")
    names = canonical_names(list(molality))
    check_composition(molality, what, neutrality_rtol)
    check_temperature(T)
    values = as_float(T, *molality.values())
    T, values = values[0], values[1:]
    shape = jnp.broadcast_shapes(T.shape, *(v.shape for v in values))
    m = jnp.stack([jnp.broadcast_to(v, shape) for v in values], axis=-1)
    return names, m, jnp.broadcast_to(T, shape)


def activity_coefficients(
    model: str,
    molality: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"],
    *,
    parameters: str | PitzerParameters | None = None,
    convention: str = "unscaled",
    neutrality_rtol: float | None = NEUTRALITY_RTOL,
) -> dict[str, Array]:
    """Single-ion activity coefficients γ of every ion of a solution.

    Parameters
    ----------
    model : str
        Activity model: ``"ideal"``, ``"debye_huckel"``, ``"extended_debye_huckel"``,
        ``"truesdell_jones"``, ``"davies"``, ``"davies_0.2"`` or ``"pitzer"``.
    molality : mapping of str to array_like
        Molality of each ion, mol/kg (names or aliases: ``"Na+"``, ``"K"``, ``"Ca2+"``,
        ``"chloride"``…); the arrays broadcast together. The composition must be
        electroneutral (see the module docstring for the tolerance and traced inputs).
    T : array_like
        Temperature, K (0–100 °C), broadcasting with the molalities.
    parameters : str or PitzerParameters, optional, keyword-only
        Pitzer parameter set: ``"phreeqc"`` (default), ``"hmw84"``, or one read with
        :func:`~ionsweep.activity.read_phreeqc_pitzer`. Pitzer model only.
    convention : {"unscaled", "macinnes"}, keyword-only
        Single-ion convention (Pitzer): the equations' own ln γ, or PHREEQC's MacInnes scaling
        (needs Cl⁻ in the solution). γ± and φ do not depend on it.
    neutrality_rtol : float or None, keyword-only
        Tolerance of the electroneutrality check; None skips it.

    Returns
    -------
    dict of str to jax.Array
        γ (dimensionless) per ion, keyed by canonical name, each of the broadcast shape.

    Raises
    ------
    ValueError
        Unknown model, negative molality, non-neutral composition, T ≤ 0, or an ion the
        model has no parameter for.
    KeyError
        Unknown ion name.

    Examples
    --------
    >>> g = activity_coefficients("davies", {"Na": 0.15, "Cl-": 0.15}, 310.15)
    >>> {k: round(float(v), 3) for k, v in g.items()}
    {'Na+': 0.755, 'Cl-': 0.755}
    """
    names, m, T = _stack(molality, T, "molality", neutrality_rtol)
    ln_g = log_gamma(model, names, m, T, parameters=parameters, convention=convention)
    return {name: exp_keep_nan(ln_g[..., i]) for i, name in enumerate(names)}


def mean_activity_coefficient(
    salt: str,
    molality: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    model: str = "pitzer",
    *,
    parameters: str | PitzerParameters | None = None,
) -> Float[Array, "*batch"]:
    """Mean activity coefficient γ± of a single salt in water.

    γ± = (γ₊^ν₊ γ₋^ν₋)^(1/ν), ν = ν₊ + ν₋, for the salt at molality m, i.e. with
    m₊ = ν₊ m and m₋ = ν₋ m.

    Parameters
    ----------
    salt : str
        Formula: ``"NaCl"``, ``"KCl"``, ``"CaCl2"``, ``"MgCl2"`` (also ``"Na2SO4"``,
        ``"Ca(NO3)2"`` and the like, for models with parameters for both ions).
    molality : array_like
        Salt molality m, mol/kg (≥ 0).
    T : array_like
        Temperature, K.
    model : str, optional
        Activity model; Pitzer by default.
    parameters : str or PitzerParameters, optional, keyword-only
        Pitzer parameter set: ``"phreeqc"`` (default), ``"hmw84"``, or one read with
        :func:`~ionsweep.activity.read_phreeqc_pitzer`. Pitzer model only.

    Returns
    -------
    jax.Array
        γ± (dimensionless), the broadcast shape of ``molality`` and ``T``.

    Examples
    --------
    >>> round(float(mean_activity_coefficient("CaCl2", 0.01, 298.15, model="davies")), 3)
    0.722
    """
    (cation, nu_c), (anion, nu_a) = parse_salt(salt)
    m = _concrete(molality)
    if m is not None and np.any(~(m >= 0)):
        raise ValueError(f"molality of {salt} must be finite and ≥ 0; got {m[~(m >= 0)][0]!r}")
    check_temperature(T)
    m, T = as_float(molality, T)
    ms = jnp.stack(jnp.broadcast_arrays(nu_c * m, nu_a * m), axis=-1)
    ln_g = log_gamma(model, (cation, anion), ms, T, parameters=parameters)
    return exp_keep_nan((nu_c * ln_g[..., 0] + nu_a * ln_g[..., 1]) / (nu_c + nu_a))


def osmotic_coefficient(
    molality: Mapping[str, ArrayLike],
    T: Float[ArrayLike, "*#batch"],
    *,
    parameters: str | PitzerParameters | None = None,
    neutrality_rtol: float | None = NEUTRALITY_RTOL,
) -> Float[Array, "*batch"]:
    """Osmotic coefficient φ of a solution (Pitzer model).

    Parameters
    ----------
    molality : mapping of str to array_like
        Molality of each ion, mol/kg, as for :func:`activity_coefficients`.
    T : array_like
        Temperature, K.
    parameters : str or PitzerParameters, optional, keyword-only
        Pitzer parameter set: ``"phreeqc"`` (default), ``"hmw84"``, or one read with
        :func:`~ionsweep.activity.read_phreeqc_pitzer`. Pitzer model only.
    neutrality_rtol : float or None, keyword-only
        Tolerance of the electroneutrality check; None skips it.

    Returns
    -------
    jax.Array
        φ (dimensionless), the broadcast shape of the inputs.

    Raises
    ------
    NotImplementedError
        Where the Pitzer model (``ionsweep.activity._pitzer``) is not available.
    """
    names, m, T = _stack(molality, T, "molality", neutrality_rtol)
    return _pitzer_module().osmotic_coefficient_pitzer(names, m, T, parameters=parameters)
