"""The activity error of a Nernst potential: E under one activity model minus E under another.

.. math::

    \\Delta E = E_{model} - E_{reference}
      = \\frac{RT}{zF}\\left[\\ln\\frac{\\gamma_{out}}{\\gamma_{in}}
      - \\ln\\frac{\\gamma^{ref}_{out}}{\\gamma^{ref}_{in}}\\right]

The concentrations cancel, so ΔE is computed from the four ln γ directly rather than as the
difference of two potentials (no cancellation error in float32, and exactly 0 when the two
models are the same). :func:`delta_E` is that formula, the one place ΔE is computed: the
public :func:`activity_error` and the sweep models ``activity_error`` and
``activity_error_ghk`` all call it. Each side's γ comes from that side's full composition,
as in :func:`~ionsweep.activity.nernst_activity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import jax.numpy as jnp

from ionsweep._ions import ions as ion_table
from ionsweep._util import as_float
from ionsweep.activity._composition import NEUTRALITY_RTOL, canonical_names, check_temperature
from ionsweep.activity._corrected import _side
from ionsweep.activity._registry import get_activity_model
from ionsweep.constants import R_OVER_F_MV

if TYPE_CHECKING:
    from jaxtyping import Array, ArrayLike, Float


__all__ = ["activity_error", "delta_E"]


def activity_error(
    ion: str,
    c_in: Mapping,
    c_out: Mapping,
    T: Float[ArrayLike, "*#batch"],
    model: str = "davies",
    reference: str = "ideal",
    *,
    neutrality_rtol: float | None = NEUTRALITY_RTOL,
) -> Float[Array, "*batch"]:
    r"""Activity error ΔE = E(model) − E(reference) of the Nernst potential of ``ion``.

    Parameters
    ----------
    ion : str
        The ion (name or alias); it must appear in both ``c_in`` and ``c_out``.
    c_in, c_out : mapping of str to array_like
        Full composition of the inside and the outside, mM per ion (every ion, so that the
        ionic strength is right); each side electroneutral. Arrays broadcast together, like
        the arguments of the kernels.
    T : array_like
        Temperature, K (0–100 °C).
    model : str, optional
        Activity model whose potential is compared (see
        :func:`ionsweep.activity.activity_coefficients`); ``"davies"`` by default.
    reference : str, optional
        Activity model of the reference potential; ``"ideal"`` (γ = 1, plain
        concentrations) by default.
    neutrality_rtol : float or None, keyword-only
        Tolerance of the electroneutrality check of each side; None skips it.

    Returns
    -------
    jax.Array
        ΔE in mV, the broadcast shape of all inputs. Positive where the model makes the
        potential more positive than the reference (V = φ_in − φ_out). Exactly 0 where
        ``model == reference``; NaN where the potential itself is undefined (the ion's
        concentration is 0 on a side).

    Examples
    --------
    Physiological compositions on both sides: the ionic strengths nearly match, so the
    Davies correction of E_K is about a tenth of a millivolt.

    >>> import ionsweep
    >>> c_in = {"K+": 140.0, "Na+": 10.0, "Mg2+": 0.5, "Cl-": 10.0, "HPO4 2-": 20.0,
    ...         "Gluconate-": 101.0}
    >>> c_out = {"Na+": 145.0, "K+": 5.0, "Ca2+": 2.0, "Mg2+": 1.0, "Cl-": 130.0,
    ...          "HCO3-": 26.0}
    >>> round(float(ionsweep.activity_error("K+", c_in, c_out, 310.15, "davies")), 2)
    0.13

    A KCl gradient between a 300 mM and a 10 mM solution: ΔE > 5 mV.

    >>> dE = ionsweep.activity_error("K+", {"K+": 300.0, "Cl-": 300.0},
    ...                              {"K+": 10.0, "Cl-": 10.0}, 298.15, "davies")
    >>> round(float(dE), 2)
    5.31
    """
    get_activity_model(model)
    get_activity_model(reference)
    (name,) = canonical_names([ion])
    check_temperature(T)
    c_i, lg_in = _side(c_in, T, "c_in", (name,), model, neutrality_rtol)
    c_o, lg_out = _side(c_out, T, "c_out", (name,), model, neutrality_rtol)
    if reference == model:
        r_in, r_out = lg_in, lg_out  # x - x: exactly 0 wherever the γ are defined
    else:
        _, r_in = _side(c_in, T, "c_in", (name,), reference, neutrality_rtol)
        _, r_out = _side(c_out, T, "c_out", (name,), reference, neutrality_rtol)
    return delta_E(
        ion_table.valence(name), T, lg_in[..., 0], lg_out[..., 0], r_in[..., 0], r_out[..., 0],
        c_in=c_i[..., 0], c_out=c_o[..., 0],
    )  # fmt: skip


def delta_E(
    z: Float[ArrayLike, "*#batch"],
    T: Float[ArrayLike, "*#batch"],
    ln_gamma_in: Float[ArrayLike, "*#batch"],
    ln_gamma_out: Float[ArrayLike, "*#batch"],
    ref_ln_gamma_in: Float[ArrayLike, "*#batch"] = 0.0,
    ref_ln_gamma_out: Float[ArrayLike, "*#batch"] = 0.0,
    *,
    c_in: Float[ArrayLike, "*#batch"] | None = None,
    c_out: Float[ArrayLike, "*#batch"] | None = None,
) -> Float[Array, "*batch"]:
    r"""Activity error of a Nernst potential from the natural-log activity coefficients.

    .. math::

        \Delta E = \frac{RT}{zF}\left[(\ln\gamma_{out} - \ln\gamma_{in})
          - (\ln\gamma^{ref}_{out} - \ln\gamma^{ref}_{in})\right]

    The difference of ln γ is taken before scaling by RT/(zF), never as the difference of
    two potentials E(model) − E(reference): those are ~100 mV each, so in float32 their
    difference keeps only ~1e-5 mV of absolute accuracy, whereas this form keeps float32's
    relative accuracy (~1e-7) at any ΔE, however small.

    Parameters
    ----------
    z : int or array_like
        Signed valence of the ion (≠ 0).
    T : array_like
        Temperature, K. Cast to the dtype of the ln γ.
    ln_gamma_in, ln_gamma_out : array_like
        ln γ of the ion inside and outside under the model compared (dimensionless).
    ref_ln_gamma_in, ref_ln_gamma_out : array_like, optional
        ln γ under the reference model; 0 (ideal) by default.
    c_in, c_out : array_like, optional, keyword-only
        The ion's concentrations, mM: where given, ΔE is NaN where the potential itself is
        undefined (a concentration ≤ 0 or not finite). They do not enter the value.

    Returns
    -------
    jax.Array
        ΔE in mV (V = φ_in − φ_out), the broadcast shape of the inputs; NaN where T ≤ 0 or
        T is not finite, or where a given concentration is undefined. Exactly 0 where the
        model's and the reference's ln γ are equal.

    Examples
    --------
    γ_out/γ_in = 1 + 1e-6 moves E_K at 37 °C by 26.7 nV, which float32 resolves:

    >>> import jax.numpy as jnp
    >>> lg = jnp.float32(-0.25)
    >>> dE = delta_E(1, jnp.float32(310.15), lg, lg + jnp.float32(1e-6))
    >>> dE.dtype, round(float(dE) * 1e6, 1)   # nV
    (dtype('float32'), 26.7)
    """
    ln_in, ln_out, ref_in, ref_out = as_float(
        ln_gamma_in, ln_gamma_out, ref_ln_gamma_in, ref_ln_gamma_out
    )
    T = jnp.asarray(T, jnp.result_type(ln_in, ln_out, ref_in, ref_out))
    # RT/(zF), mV: usually a scalar, so one product per point; NaN where T is undefined.
    scale = jnp.where((T > 0) & jnp.isfinite(T), R_OVER_F_MV * T / z, jnp.nan)
    # Each side's difference, and its concentration's check, at that side's own shape:
    # over an inside × outside grid a point costs one subtraction and one product.
    side_in = _defined(ln_in - ref_in, c_in)
    side_out = _defined(ln_out - ref_out, c_out)
    return scale * (side_out - side_in)


def _defined(d: Array, c: ArrayLike | None) -> Array:
    """``d`` where the concentration ``c`` (mM) is positive and finite (or not given), else
    NaN."""
    if c is None:
        return d
    c = jnp.asarray(c)
    return jnp.where((c > 0) & (c < jnp.inf), d, jnp.nan)
