"""Pitzer's ion-interaction model for aqueous electrolyte mixtures.

The equations are those of Harvie, Møller & Weare (1984), *Geochim. Cosmochim. Acta* 48,
723–751, eqs. 1–8 (Pitzer 1991, *Activity Coefficients in Electrolyte Solutions*, 2nd ed.,
ch. 3), without neutral species. For a cation M (anions X by symmetry)::

    ln γ_M = z_M² F + Σ_a m_a (2 B_Ma + Z C_Ma) + Σ_c m_c (2 Φ_Mc + Σ_a m_a ψ_Mca)
             + Σ_{a<a'} m_a m_a' ψ_Maa' + |z_M| Σ_c Σ_a m_c m_a C_ca
    F = −A_φ [√I/(1 + b√I) + (2/b) ln(1 + b√I)] + Σ_c Σ_a m_c m_a B'_ca
        + Σ_{c<c'} m_c m_c' Φ'_cc' + Σ_{a<a'} m_a m_a' Φ'_aa'
    φ − 1 = (2/Σ m_i) [−A_φ I^{3/2}/(1 + b√I) + Σ_c Σ_a m_c m_a (B^φ_ca + Z C_ca)
             + Σ_{c<c'} m_c m_c' (Φ^φ_cc' + Σ_a m_a ψ_cc'a) + Σ_{a<a'} (likewise)]

with b = 1.2 (kg/mol)^½, Z = Σ m_i |z_i|, C_MX = C^φ_MX / (2√|z_M z_X|),
B = β⁽⁰⁾ + β⁽¹⁾ g(α₁√I) + β⁽²⁾ g(α₂√I), g(x) = 2[1 − (1 + x)e^{−x}]/x², and
Φ_ij = θ_ij + ᴱθ_ij(I), the unsymmetrical-mixing term of Pitzer (1975) evaluated with
Harvie's Chebyshev approximation of J(x) and J'(x) (Pitzer 1991, ch. 3, appendix B,
eqs. B-21 to B-30, Table B-1 — the method HMW84 and Møller 1988 used).

Parameters come from a :class:`~ionsweep.activity._pitzer_params.PitzerParameters` set
(default ``"phreeqc"``, PHREEQC's ``pitzer.dat``; also ``"hmw84"``; see
:mod:`ionsweep.activity._pitzer_sets`), with the A_φ(T) that set prescribes. A set with NumPy
values (what the named sets are) is compiled in as constants, zero terms dropped: one
compilation per set and ion list. A set whose arrays are traced (passed as an argument of a
jitted function) gives one kernel for every set of the same ion layout; then a cation–anion
pair the set lacks gives NaN instead of the ValueError raised for a concrete set.

Single-ion convention: ``convention="unscaled"`` (default) returns the ln γ_i of the
equations above; ``"macinnes"`` adds z_i (ln γ_Cl − ln γ±,KCl(I)), with γ±,KCl of pure KCl
at the solution's ionic strength (PHREEQC's scaling, ``pitzer.cpp``; needs the set's K–Cl
parameters). Neutral combinations (γ±, φ) are the same under both.

Accuracy (``tests/activity/test_pitzer.py``, ``test_pitzer_sets.py``): with the ``"phreeqc"``
set, γ± and φ of NaCl, KCl, CaCl₂, MgCl₂ and their mixtures within 0.05 % of PHREEQC
(phreeqpython) at 0–50 °C, 0.001–1 mol/kg; ln γ within 1e-10 of pytzer run with the same
parameters and A_φ (both sets); γ± within 0.5 % of Robinson & Stokes (1959) at 25 °C except
where the test states the deviation. In float32, ln γ differs from float64 by < 5e-5
relative.

Units: molality in mol/kg of water, T in K.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep._util import as_float
from ionsweep.activity._composition import ionic_strength_of
from ionsweep.activity._pitzer_basis import Rows, aphi_phreeqc
from ionsweep.activity._pitzer_params import PitzerParameters
from ionsweep.activity._pitzer_plan import Plan, canonical, resolve
from ionsweep.activity._pitzer_sets import pitzer_parameters
from ionsweep.activity._pitzer_terms import etheta, g_terms, materialize

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jax.typing import ArrayLike


__all__ = [
    "PitzerTemperatureWarning",
    "check_pitzer_temperature",
    "log_gamma_and_osmotic_pitzer",
    "log_gamma_pitzer",
    "osmotic_coefficient_pitzer",
]


class PitzerTemperatureWarning(UserWarning):
    """A temperature lies outside the range its Pitzer parameters are stated for.

    The result is still computed, by extrapolating the parameters' temperature functions
    (or, for parameters given at 25 °C only, by using their 25 °C values), so it may be off
    by more than the model's stated accuracy. Turn it into an error with
    ``warnings.simplefilter("error", PitzerTemperatureWarning)``, or silence it the same way.
    """


def check_pitzer_temperature(
    names: Sequence[str],
    T: ArrayLike,
    parameters: str | PitzerParameters | None = None,
    *,
    warn: bool = True,
) -> list[str]:
    """Warn if concrete temperatures ``T`` (K) are outside the parameters' stated range.

    Called by the Pitzer functions on concrete inputs, and through the activity models'
    ``check`` on the temperatures of a sweep (traced values inside ``jit`` cannot be
    checked). Only the cation–anion (β, C^φ) parameters are checked; see
    :meth:`~ionsweep.activity._pitzer_params.PitzerParameters.out_of_range`. Returns the
    messages (empty when all is within range), issued as :class:`PitzerTemperatureWarning`
    unless ``warn=False``.
    """
    if isinstance(T, jax.core.Tracer):
        return []
    t = np.asarray(T, dtype=float)
    t = t[np.isfinite(t)]
    if t.size == 0:
        return []
    params = pitzer_parameters(parameters)
    if not params.concrete:
        return []
    canon = [canonical(n) for n in names]
    bad = params.out_of_range(canon, float(t.min()), float(t.max()))
    if not bad:
        return []
    shown = "; ".join(bad[:3]) + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
    span = f"{t.min():g} K" if t.min() == t.max() else f"{t.min():g}–{t.max():g} K"
    msg = (
        f"Pitzer ({params.name}): T = {span} is outside the range stated for {shown}; "
        "γ is extrapolated (25 °C-only parameters are used unchanged)"
    )
    if warn:
        warnings.warn(PitzerTemperatureWarning(msg), stacklevel=3)
    return [msg]


#: Pitzer's universal b, (kg/mol)^½.
B_PITZER = 1.2


def _prepare(names, molality, T, parameters, convention="unscaled"):
    plan, params = resolve(names, parameters, convention)
    check_pitzer_temperature(names, T, params)
    m, T = as_float(molality, T)
    if m.ndim < 1 or m.shape[-1] != len(plan.z):
        raise ValueError(
            f"Pitzer: molality has shape {m.shape}; its last axis must have one entry per "
            f"ion ({len(plan.z)} for {tuple(names)!r})"
        )
    try:
        fits = np.broadcast_shapes(T.shape, m.shape[:-1]) == m.shape[:-1]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"Pitzer: T has shape {T.shape}, which does not broadcast to the compositions' "
            f"shape {m.shape[:-1]} (molality shape {m.shape} without its ion axis)"
        )
    return plan, params, m, T


def _total(terms, start=None):
    """Left-to-right sum of a sequence of arrays (``start`` first; 0 if there are none)."""
    out = start
    for t in terms:
        out = t if out is None else out + t
    return 0.0 if out is None else out


def _aphi(plan, params, T, param):
    out = None
    if plan.aphi_row:
        out = param(params.aphi_row)
    if plan.aphi_water:
        w = aphi_phreeqc(T)
        w = w if plan.concrete else w * params.aphi_water.astype(T.dtype)
        out = w if out is None else out + w
    return materialize(jnp.broadcast_to(jnp.asarray(out, T.dtype), T.shape))


def _valid(ms, T):
    """Points whose molalities are all finite and ≥ 0 and whose T is finite and > 0.

    The equations give finite numbers at a negative molality (I < 0 is clipped to 0 by the
    "double where" of √I): every result is masked with this to NaN there, as every model of
    the registry does. Per ion and at the shape of T; a NaN fails both comparisons.
    """
    ok = (T > 0) & (T < jnp.inf)
    for mi in ms:
        ok = ok & (mi >= 0) & (mi < jnp.inf)
    return ok


def _terms(plan: Plan, params, m, T):
    """Everything both ln γ and φ need; see the module docstring for the equations.

    Written per ion, pair and triplet over the static indices of ``plan``: every quantity is
    an array of the batch shape ``m.shape[:-1]`` (temperature terms: of the shape of T,
    broadcast against it), so the whole evaluation is elementwise.
    """
    z = plan.z
    ms = [m[..., i] for i in range(len(z))]
    ionic = ionic_strength_of(ms, z)
    Z = _total(mi * float(abs(zi)) for mi, zi in zip(ms, z, strict=True))
    pos = ionic > 0
    I_safe = jnp.where(pos, ionic, jnp.ones_like(ionic))
    sqrt_I = jnp.where(pos, jnp.sqrt(I_safe), jnp.zeros_like(ionic))
    inv_I = 1 / I_safe  # one division, multiplied wherever 1/I appears
    T = T.astype(m.dtype)  # temperature terms stay at the shape of T (see Rows)
    param = Rows(T, m.dtype, plan.concrete, shared=T.size < ionic.size)
    aphi = _aphi(plan, params, T, param)
    binary, f_binary = _binary_terms(plan, params, param, ms, sqrt_I, inv_I)
    pairs, f_pairs = _pair_terms(plan, params, param, ms, aphi * sqrt_I, inv_I, pos)
    triplets = [(i, j, k, param(params.psi[u, v, w])) for i, j, k, u, v, w in plan.triplets]

    f_dh = -aphi * (sqrt_I / (1 + B_PITZER * sqrt_I)
                    + 2 / B_PITZER * jnp.log1p(B_PITZER * sqrt_I))  # fmt: skip
    out = dict(I=ionic, Z=Z, sqrt_I=sqrt_I, aphi=aphi, ms=ms, binary=binary, pairs=pairs,
               triplets=triplets, F=materialize(_total(f_binary + f_pairs, f_dh)), f_dh=f_dh,
               valid=_valid(ms, T))  # fmt: skip
    if plan.macinnes is not None:
        out["gamclm"] = _gamclm(plan, params, param, ionic, sqrt_I, f_dh)
    return out


def _binary_terms(plan: Plan, params, param, ms, sqrt_I, inv_I):
    """B, B^φ and C of every cation–anion pair, as ``(i, j, m_i m_j, B, B^φ, C)``, and their
    terms m_c m_a B' of F; g(α√I) once per distinct α (concrete α) or per pair (traced α)."""
    z, dtype = plan.z, sqrt_I.dtype
    g_cache, binary, f_terms = {}, [], []
    for i, j, u, v, alpha1, alpha2, has2 in plan.binary:
        rows = params.beta[u, v]
        beta0, beta1 = param(rows[0]), param(rows[1])
        if plan.concrete:
            for alpha in (alpha1, alpha2) if has2 else (alpha1,):
                if alpha not in g_cache:
                    g_cache[alpha] = g_terms(float(alpha) * sqrt_I)
            g1, gp1, e1 = g_cache[alpha1]
        else:
            alphas = params.alpha[u, v].astype(dtype)
            g1, gp1, e1 = g_terms(alphas[0] * sqrt_I)
        B, Bp, Bphi = beta0 + beta1 * g1, beta1 * gp1, beta0 + beta1 * e1
        if has2:
            beta2 = param(rows[2])
            g2, gp2, e2 = g_cache[alpha2] if plan.concrete else g_terms(alphas[1] * sqrt_I)
            B, Bp, Bphi = B + beta2 * g2, Bp + beta2 * gp2, Bphi + beta2 * e2
        C = param(rows[3]) / float(2 * np.sqrt(abs(z[i] * z[j])))
        if not plan.concrete:  # a pair the set lacks: NaN (the concrete path refuses it)
            ok = params.has_binary[u, v] > 0
            B = jnp.where(ok, B, jnp.nan)
        mcma = ms[i] * ms[j]
        binary.append((i, j, mcma, B, Bphi, C))
        f_terms.append(mcma * (Bp * inv_I))
    return binary, f_terms


def _pair_terms(plan: Plan, params, param, ms, aphi_sqrt_I, inv_I, pos):
    """Φ = θ + ᴱθ and ᴱθ' of every like-charged pair, as ``(i, j, m_i m_j, Φ, ᴱθ')``
    (ᴱθ' None for equal charges), and their terms m_i m_j ᴱθ' of F; J(x) once per charge
    product."""
    z = plan.z
    j_cache: dict = {}
    pairs, f_terms = [], []
    for i, j, u, v, has_theta in plan.pairs:
        Phi = param(params.theta[u, v]) if has_theta else 0.0
        etp = None
        if z[i] != z[j]:
            et, etp = etheta(abs(z[i]), abs(z[j]), aphi_sqrt_I, inv_I, pos, j_cache)
            Phi = Phi + et
        mimj = ms[i] * ms[j]
        pairs.append((i, j, mimj, Phi, etp))
        if etp is not None:
            f_terms.append(mimj * etp)
    return pairs, f_terms


def _gamclm(plan: Plan, params, param, ionic, sqrt_I, f_dh):
    """ln γ± of pure KCl at molality I (PHREEQC's GAMCLM), for the MacInnes scale."""
    assert plan.macinnes is not None  # called for the MacInnes convention only
    _, kk, cl = plan.macinnes
    rows = params.beta[kk, cl]
    g, _, e = g_terms(2.0 * sqrt_I)
    # [1 − (1 + x − x²/2)e^{−x}]/x² = (g(x) + e^{−x})/2 with x = 2√I.
    return (f_dh + 2 * ionic * (param(rows[0]) + param(rows[1]) * (g + e) / 2)
            + 1.5 * param(rows[3]) * ionic * ionic)  # fmt: skip


def log_gamma_pitzer(names, molality, T, *, parameters=None, convention: str = "unscaled"):
    """Natural-log single-ion activity coefficients from Pitzer's equations.

    Parameters
    ----------
    names : tuple of str
        Ion names (static), e.g. ``("Na+", "K+", "Cl-")``; valences from :data:`ionsweep.ions`.
    molality : array_like, shape (..., n)
        Molalities of the ions, mol/kg of water, in the order of ``names``.
    T : array_like
        Temperature, K, broadcastable to ``molality.shape[:-1]``. The temperature functions
        (parameters, A_φ) are evaluated at the shape of T: pass a temperature axis as, e.g.,
        shape ``(n_T, 1)`` against compositions ``(n_T, n_c, n)`` to evaluate them once per
        temperature.
    parameters : str or PitzerParameters, optional
        Parameter set (``"phreeqc"``, the default, or ``"hmw84"``, or a set read with
        :func:`~ionsweep.activity.read_phreeqc_pitzer`; traced sets allowed).
    convention : {"unscaled", "macinnes"}, optional
        Single-ion scale (see the module docstring); ``"macinnes"`` needs Cl- in ``names``.

    Returns
    -------
    jax.Array, shape (..., n)
        ln γ_i (dimensionless; molality scale), in the floating dtype of the inputs; NaN for
        every ion of a point with a negative or non-finite molality, or a T that is not
        finite and > 0 (eager and under ``jit``).

    Raises
    ------
    ValueError
        At trace time, for an unknown or duplicate ion, a cation–anion pair a concrete set
        has no binary parameters for, or a molality whose last axis does not match
        ``names``. Missing θ or ψ are taken as 0, as the sources do.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> lg = log_gamma_pitzer(("Na+", "Cl-"), jnp.array([0.1, 0.1]), 298.15)
    >>> round(float(jnp.exp(lg.mean())), 3)  # γ± of 0.1 mol/kg NaCl (0.778 measured)
    0.778
    """
    plan, params, m, T = _prepare(names, molality, T, parameters, convention)
    return _log_gamma(plan, m, _terms(plan, params, m, T))


def _log_gamma(plan: Plan, m, t):
    ms, Z = t["ms"], t["Z"]
    terms = [[t["F"] * float(zi * zi)] for zi in plan.z]
    # Binary: cation i gets Σ_a m_a (2B + Z C); anion j gets Σ_c m_c (2B + Z C).
    for i, j, _, B, _, C in t["binary"]:
        BZC = 2 * B + Z * C
        terms[i].append(ms[j] * BZC)
        terms[j].append(ms[i] * BZC)
    mmC = _total(mcma * C for _, _, mcma, _, _, C in t["binary"])
    for zi, ti in zip(plan.z, terms, strict=True):
        ti.append(mmC * float(abs(zi)))
    for i, j, _, Phi, _ in t["pairs"]:  # 2 Σ_j m_j Φ_ij over like-charged partners
        terms[i].append(2 * Phi * ms[j])
        terms[j].append(2 * Phi * ms[i])
    for i, j, k, psi in t["triplets"]:  # ψ_ijk: each ion gets ψ times the other two molalities
        terms[i].append(psi * ms[j] * ms[k])
        terms[j].append(psi * ms[i] * ms[k])
        terms[k].append(psi * ms[i] * ms[j])
    cols = [_total(ti) for ti in terms]
    if plan.macinnes is not None:
        shift = cols[plan.macinnes[0]] - t["gamclm"]
        cols = [c + float(zi) * shift for c, zi in zip(cols, plan.z, strict=True)]
    # Column by column rather than jnp.stack: XLA CPU fuses a stack (concatenate) with all its
    # operands into one loop over the output elements, recomputing the shared terms (F, ᴱθ,
    # …) once per column; in-place column updates keep those terms computed once.
    out = jnp.zeros_like(m)
    for i, c in enumerate(cols):
        out = out.at[..., i].set(jnp.where(t["valid"], c, jnp.nan))
    return out


def osmotic_coefficient_pitzer(names, molality, T, *, parameters=None):
    """Osmotic coefficient φ of the solvent from Pitzer's equations (dimensionless).

    Parameters and errors as :func:`log_gamma_pitzer`; returns shape ``molality.shape[:-1]``.
    φ → 1 as all molalities → 0 (φ = 1 exactly at zero total molality).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> phi = osmotic_coefficient_pitzer(("Na+", "Cl-"), jnp.array([1.0, 1.0]), 298.15)
    >>> round(float(phi), 3)  # 0.936 measured
    0.936
    """
    plan, params, m, T = _prepare(names, molality, T, parameters)
    return _osmotic(plan, m, _terms(plan, params, m, T))


def _osmotic(plan: Plan, m, t):
    sI, ionic, Z, ms = t["sqrt_I"], t["I"], t["Z"], t["ms"]
    s = -t["aphi"] * ionic * sI / (1 + B_PITZER * sI)
    s = _total((mcma * (Bphi + Z * C) for _, _, mcma, _, Bphi, C in t["binary"]), s)
    s = _total((mimj * (Phi if etp is None else Phi + ionic * etp)
                for _, _, mimj, Phi, etp in t["pairs"]), s)  # fmt: skip
    s = _total((psi * ms[i] * ms[j] * ms[k] for i, j, k, psi in t["triplets"]), s)
    total = _total(ms)
    pos = total > 0
    phi = jnp.where(pos, 1 + 2 * s / jnp.where(pos, total, jnp.ones_like(total)), 1)
    return jnp.where(t["valid"], phi, jnp.nan)


def log_gamma_and_osmotic_pitzer(names, molality, T, *, parameters=None,
                                 convention: str = "unscaled"):  # fmt: skip
    """ln γ_i and φ together, sharing one evaluation of the Pitzer terms.

    Same arguments and errors as :func:`log_gamma_pitzer`; returns ``(ln γ, φ)`` with shapes
    ``(..., n)`` and ``(...)``.
    """
    plan, params, m, T = _prepare(names, molality, T, parameters, convention)
    t = _terms(plan, params, m, T)
    return _log_gamma(plan, m, t), _osmotic(plan, m, t)
