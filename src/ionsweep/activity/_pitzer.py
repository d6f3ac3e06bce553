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

Accuracy (default set, measured in ``tests/activity/test_pitzer.py``): γ± within 0.4 % of
Robinson & Stokes (1959) at 25 °C for NaCl, KCl, CaCl₂ and MgCl₂ (0.1–1 mol/kg; CaCl₂ also
0.001–0.05 mol/kg against the CRC Handbook); within 1e-4 of pytzer 0.6.0 run with the same
parameter functions at 0–50 °C (mixtures 1e-3: pytzer's ᴱθ uses Pitzer's 1975 J(x)). CaCl₂ and
MgCl₂ carry Silvester & Pitzer's first-order temperature dependence: γ±(T)/γ±(25 °C) agrees
with PHREEQC's pitzer.dat within 0.9 % over 0–60 °C and 1e-3–1 mol/kg, except MgCl₂ at 0 °C
above 0.5 mol/kg (1.6 % at 1 mol/kg). Their absolute γ± differ from parameter sets fitted to
later isopiestic data (Greenberg & Møller 1989 / Pabalan & Pitzer 1987 in pytzer's CWTD23
library, and PHREEQC's) by up to 1.0 % at 25 °C, 1.2 % at 37 °C, 1.5 % at 50 °C and 2 % at
60 °C (CaCl₂ below 10 °C: up to 11 % at 1 mol/kg, where Greenberg & Møller's function also
departs from PHREEQC's). In float32 ln γ differs from float64 by < 2e-4 over 0–60 °C and
1e-6–1 mol/kg.

Units: molality in mol/kg of water, T in K. Parameters come from a
:class:`~ionsweep.activity._pitzer_params.PitzerParameters` set (default
:data:`~ionsweep.activity._pitzer_params.MP98_CHLORIDES`), with the A_φ(T) that set
prescribes.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ionsweep._ions import ions
from ionsweep._util import as_float
from ionsweep.activity._pitzer_params import MP98_CHLORIDES, PitzerParameters
from ionsweep.activity._pitzer_terms import M88Basis, etheta, g_terms

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
    names, T, parameters: PitzerParameters | None = None, *, warn: bool = True
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
    params = MP98_CHLORIDES if parameters is None else parameters
    canon = [_canonical(n) for n in names]
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


@dataclass(frozen=True)
class _Plan:
    """Static (trace-time) description of one Pitzer system: indices, charges, coefficients.

    Parameter rows are Møller eq.-13 coefficients (8 floats each).
    """

    z: tuple  # (n,) valences
    binary: tuple  # (i, j, β0, β1, β2, C^φ rows, α1, α2) per cation i, anion j
    pairs: tuple  # (i, j, θ row or None): like-charged pairs with θ or unsymmetrical ᴱθ
    triplets: tuple  # (i, j, k, ψ row)
    aphi: object


def _canonical(name) -> str:
    if not isinstance(name, str):
        raise ValueError(f"Pitzer: ion names must be strings, got {name!r}")
    try:
        return ions.canonical(name)
    except KeyError as err:
        raise ValueError(f"Pitzer: unknown ion {name!r}") from err


@functools.lru_cache(maxsize=256)
def _plan(names: tuple, params: PitzerParameters) -> _Plan:
    canon = [_canonical(n) for n in names]
    if len(set(canon)) != len(canon):
        raise ValueError(f"Pitzer: duplicate ion in {names!r}")
    z = tuple(int(ions.valence(c)) for c in canon)
    cat = [i for i in range(len(z)) if z[i] > 0]
    an = [i for i in range(len(z)) if z[i] < 0]
    binary = []
    for i in cat:
        for j in an:
            e = params.binary.get((canon[i], canon[j]))
            if e is None:
                raise ValueError(
                    f"Pitzer set {params.name!r} has no binary parameters for the pair "
                    f"{canon[i]}–{canon[j]} (ions {names!r})"
                )
            binary.append((i, j, e.beta0, e.beta1, e.beta2, e.cphi, e.alpha1, e.alpha2))
    pairs = []
    for group in (cat, an):
        for p, i in enumerate(group):
            for j in group[p + 1 :]:
                entry = params.theta.get(frozenset((canon[i], canon[j])))
                if entry is not None or z[i] != z[j]:  # θ missing → 0, but ᴱθ still applies
                    pairs.append((i, j, None if entry is None else entry.value))
    triplets = []
    for group, other in ((cat, an), (an, cat)):
        for p, i in enumerate(group):
            for j in group[p + 1 :]:
                for k in other:
                    entry = params.psi.get((frozenset((canon[i], canon[j])), canon[k]))
                    if entry is not None:  # missing ψ → 0 (documented)
                        triplets.append((i, j, k, entry.value))
    return _Plan(z=z, binary=tuple(binary), pairs=tuple(pairs), triplets=tuple(triplets),
                 aphi=params.aphi)  # fmt: skip


def _prepare(names, molality, T, parameters):
    if not isinstance(names, tuple | list):
        raise ValueError(f"Pitzer: names must be a tuple of ion names, got {names!r}")
    plan = _plan(tuple(names), MP98_CHLORIDES if parameters is None else parameters)
    check_pitzer_temperature(names, T, parameters)
    m, T = as_float(molality, T)
    if m.ndim < 1 or m.shape[-1] != len(plan.z):
        raise ValueError(
            f"Pitzer: molality has shape {m.shape}; its last axis must have one entry per "
            f"ion ({len(plan.z)} for {tuple(names)!r})"
        )
    T = jnp.broadcast_to(T, m.shape[:-1])
    return plan, m, T


def _total(terms, start=None):
    """Left-to-right sum of a sequence of arrays (``start`` first; 0 if there are none)."""
    out = start
    for t in terms:
        out = t if out is None else out + t
    return 0.0 if out is None else out


def _terms(plan: _Plan, m, T):
    """Everything both ln γ and φ need; see the module docstring for the equations.

    Written per ion, pair and triplet over the static indices of ``plan``: every quantity is
    an array of the batch shape ``m.shape[:-1]``, so the whole evaluation is elementwise.
    """
    z = plan.z
    ms = [m[..., i] for i in range(len(z))]
    ionic = 0.5 * _total(mi * float(zi * zi) for mi, zi in zip(ms, z, strict=True))
    Z = _total(mi * float(abs(zi)) for mi, zi in zip(ms, z, strict=True))
    pos = ionic > 0
    I_safe = jnp.where(pos, ionic, jnp.ones_like(ionic))
    sqrt_I = jnp.where(pos, jnp.sqrt(I_safe), jnp.zeros_like(ionic))
    aphi = plan.aphi(T).astype(m.dtype)
    param = M88Basis(T)

    # Binary terms B, B', B^φ, C for every cation–anion pair; g(α√I) once per distinct α.
    g_cache, binary, f_terms = {}, [], []
    for i, j, b0_row, b1_row, b2_row, cphi_row, alpha1, alpha2 in plan.binary:
        beta0, beta1 = param(b0_row), param(b1_row)
        for alpha in (alpha1, alpha2):
            if alpha not in g_cache:
                g_cache[alpha] = g_terms(float(alpha) * sqrt_I)
        g1, gp1, e1 = g_cache[alpha1]
        B, Bp, Bphi = beta0 + beta1 * g1, beta1 * gp1, beta0 + beta1 * e1
        if any(b2_row):
            beta2 = param(b2_row)
            g2, gp2, e2 = g_cache[alpha2]
            B, Bp, Bphi = B + beta2 * g2, Bp + beta2 * gp2, Bphi + beta2 * e2
        C = param(cphi_row) / float(2 * np.sqrt(abs(z[i] * z[j])))
        mcma = ms[i] * ms[j]
        binary.append((i, j, mcma, B, Bphi, C))
        f_terms.append(mcma * (Bp / I_safe))

    # Like-charged pairs: Φ = θ + ᴱθ, Φ' = ᴱθ', Φ^φ = Φ + I Φ'; J(x) once per charge product.
    j_cache, pairs = {}, []
    for i, j, theta_row in plan.pairs:
        Phi = 0.0 if theta_row is None else param(theta_row)
        etp = None
        if z[i] != z[j]:
            et, etp = etheta(abs(z[i]), abs(z[j]), aphi * sqrt_I, I_safe, pos, j_cache)
            Phi = Phi + et
        mimj = ms[i] * ms[j]
        pairs.append((i, j, mimj, Phi, etp))
        if etp is not None:
            f_terms.append(mimj * etp)
    triplets = [(i, j, k, param(row)) for i, j, k, row in plan.triplets]

    f_dh = -aphi * (sqrt_I / (1 + B_PITZER * sqrt_I)
                    + 2 / B_PITZER * jnp.log1p(B_PITZER * sqrt_I))  # fmt: skip
    return dict(I=ionic, Z=Z, sqrt_I=sqrt_I, aphi=aphi, ms=ms, binary=binary, pairs=pairs,
                triplets=triplets, F=_total(f_terms, f_dh))  # fmt: skip


def log_gamma_pitzer(names, molality, T, *, parameters: PitzerParameters | None = None):
    """Natural-log single-ion activity coefficients from Pitzer's equations.

    Parameters
    ----------
    names : tuple of str
        Ion names (static), e.g. ``("Na+", "K+", "Cl-")``; valences from :data:`ionsweep.ions`.
    molality : array_like, shape (..., n)
        Molalities of the ions, mol/kg of water, in the order of ``names``.
    T : array_like
        Temperature, K, broadcastable to ``molality.shape[:-1]``.
    parameters : PitzerParameters, optional
        Parameter set; default :data:`~ionsweep.activity._pitzer_params.MP98_CHLORIDES`.

    Returns
    -------
    jax.Array, shape (..., n)
        ln γ_i (dimensionless; molality scale), in the floating dtype of the inputs.

    Raises
    ------
    ValueError
        At trace time, for an unknown or duplicate ion, a cation–anion pair the set has no
        binary parameters for, or a molality whose last axis does not match ``names``.
        Missing θ or ψ are taken as 0, as the sources do.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> lg = log_gamma_pitzer(("Na+", "Cl-"), jnp.array([0.1, 0.1]), 298.15)
    >>> round(float(jnp.exp(lg.mean())), 3)  # γ± of 0.1 mol/kg NaCl (0.778 measured)
    0.778
    """
    plan, m, T = _prepare(names, molality, T, parameters)
    return _log_gamma(plan, m, _terms(plan, m, T))


def _log_gamma(plan: _Plan, m, t):
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
    # Column by column rather than jnp.stack: XLA CPU fuses a stack (concatenate) with all its
    # operands into one loop over the output elements, recomputing the shared terms (F, ᴱθ,
    # …) once per column; in-place column updates keep those terms computed once.
    out = jnp.zeros_like(m)
    for i, ti in enumerate(terms):
        out = out.at[..., i].set(_total(ti))
    return out


def osmotic_coefficient_pitzer(names, molality, T, *, parameters: PitzerParameters | None = None):
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
    plan, m, T = _prepare(names, molality, T, parameters)
    return _osmotic(plan, m, _terms(plan, m, T))


def _osmotic(plan: _Plan, m, t):
    sI, ionic, Z, ms = t["sqrt_I"], t["I"], t["Z"], t["ms"]
    s = -t["aphi"] * ionic * sI / (1 + B_PITZER * sI)
    s = _total((mcma * (Bphi + Z * C) for _, _, mcma, _, Bphi, C in t["binary"]), s)
    s = _total((mimj * (Phi if etp is None else Phi + ionic * etp)
                for _, _, mimj, Phi, etp in t["pairs"]), s)  # fmt: skip
    s = _total((psi * ms[i] * ms[j] * ms[k] for i, j, k, psi in t["triplets"]), s)
    total = _total(ms)
    pos = total > 0
    return jnp.where(pos, 1 + 2 * s / jnp.where(pos, total, jnp.ones_like(total)), 1)


def log_gamma_and_osmotic_pitzer(names, molality, T, *, parameters: PitzerParameters | None = None):
    """ln γ_i and φ together, sharing one evaluation of the Pitzer terms.

    Same arguments and errors as :func:`log_gamma_pitzer`; returns ``(ln γ, φ)`` with shapes
    ``(..., n)`` and ``(...)``.
    """
    plan, m, T = _prepare(names, molality, T, parameters)
    t = _terms(plan, m, T)
    return _log_gamma(plan, m, t), _osmotic(plan, m, t)
