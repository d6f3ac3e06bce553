"""Print the README's tables: E_K, E_Na, E_Cl, E_Ca at 37 °C under each activity model and
Pitzer parameter set, the spread between them, and the shift of E_K on diluting the outside.

Compositions (mM) are typical mammalian values, made electroneutral: outside, bicarbonate
balances the charge; inside, the impermeant organic anions (~130 mM of mostly monovalent
charge) are represented by Cl⁻-like monovalent anions for the ionic strength and, for
Pitzer, for their specific interactions — an approximation stated with the table. The
permeant ions' concentrations are the textbook ones (K⁺ 140/5, Na⁺ 12/145, Cl⁻ 7/120,
Ca²⁺ 1e-4/2 mM).

Units: concentrations in mM (mmol per litre of solution); the activity models see
molalities (mol/kg of water) computed as the kernels do, m = c / ρ_w(T)
(:func:`ionsweep.activity.mM_to_molality`, Kell's water density; 1.0067 × mM/1000 at
37 °C), and the ionic strengths printed are on that molal scale. Potentials in mV.

Pitzer columns: ``pitzer:phreeqc`` (the default set, PHREEQC's pitzer.dat) and
``pitzer:hmw84`` (Harvie, Møller & Weare 1984, 25 °C values, used unchanged at 37 °C; the
temperature warnings this raises are printed once at the end).

Run: ``python scripts/seed_activity_table.py``.
"""

import warnings

import jax

jax.config.update("jax_enable_x64", True)

import ionsweep  # noqa: E402
from ionsweep.activity import mM_to_molality  # noqa: E402

T = 310.15
MODELS = ("ideal", "debye_huckel", "extended_debye_huckel", "truesdell_jones", "davies",
          "pitzer:phreeqc", "pitzer:hmw84")  # fmt: skip
PITZER_SETS = tuple(m for m in MODELS if m.startswith("pitzer:"))
PERMEANT = {"K+": (140.0, 5.0), "Na+": (12.0, 145.0), "Cl-": (7.0, 120.0), "Ca2+": (1e-4, 2.0)}
INSIDE = {"K+": 140.0, "Na+": 12.0, "Mg2+": 0.5, "Ca2+": 1e-4, "Cl-": 7.0, "HCO3-": 10.0}
OUTSIDE = {"K+": 5.0, "Na+": 145.0, "Mg2+": 1.0, "Ca2+": 2.0, "Cl-": 120.0}


def balanced():
    c_in, c_out = dict(INSIDE), dict(OUTSIDE)
    # inside: organic anions (as Cl-) carry the remaining negative charge
    q_in = sum(ionsweep.ions.valence(k) * v for k, v in c_in.items())
    c_in["Cl-"] += q_in  # the extra "Cl-" stands for impermeant monovalent anions
    q_out = sum(ionsweep.ions.valence(k) * v for k, v in c_out.items())
    c_out["HCO3-"] = q_out
    return c_in, c_out


def molal(side):
    """Molalities (mol/kg) of a composition in mM, as the kernels compute them: c / ρ_w(T)."""
    return {k: mM_to_molality(v, T) for k, v in side.items()}


def ionic_strength(side):
    """Ionic strength on the molal scale, mol/kg."""
    return float(ionsweep.activity.ionic_strength(molal(side)))


def potential(ion, ci, co, c_in, c_out, model):
    """E of ``ion`` (textbook concentrations ci/co, mM) with γ from each side's composition."""
    z = ionsweep.ions.valence(ion)
    g_in = ionsweep.activity_coefficients(model, molal(c_in), T)[ion]
    g_out = ionsweep.activity_coefficients(model, molal(c_out), T)[ion]
    return float(ionsweep.nernst(ci, co, z, T, gamma_in=g_in, gamma_out=g_out))


def potentials_table(c_in, c_out):
    print("E at 37 °C, mV (in brackets: shift from the ideal value); last two columns: spread")
    print("(max − min) between the Pitzer parameter sets and between all non-ideal models\n")
    print("| ion | " + " | ".join(MODELS) + " | spread, Pitzer sets | spread, all models |")
    print("|---|" + "---|" * (len(MODELS) + 2))
    for ion, (ci, co) in PERMEANT.items():
        ideal = float(ionsweep.nernst(ci, co, ionsweep.ions.valence(ion), T))
        E = {m: potential(ion, ci, co, c_in, c_out, m) for m in MODELS}
        cells = [f"{e:+.2f} ({e - ideal:+.2f})" for e in E.values()]
        sets = [E[m] for m in PITZER_SETS]
        models = [E[m] for m in MODELS if m != "ideal"]
        cells += [f"{max(sets) - min(sets):.2f}", f"{max(models) - min(models):.2f}"]
        print(f"| E_{ion} | " + " | ".join(cells) + " |")
    print(f"\nionic strength inside {ionic_strength(c_in):.3f}, outside "
          f"{ionic_strength(c_out):.3f} mol/kg (molality = mM/ρ_w(T))\n")  # fmt: skip


def dilution_table(c_in, c_out):
    print("Shift of E_K (mV) when the outside solution is diluted (same K+ 5 mM outside)\n")
    print("| outside strength | " + " | ".join(MODELS[1:]) + " |")
    print("|---|" + "---|" * (len(MODELS) - 1))
    ideal = float(ionsweep.nernst(140.0, 5.0, 1, T))
    for f in (1.0, 0.5, 0.2, 0.1):
        diluted = {k: (v if k == "K+" else v * f) for k, v in c_out.items()}
        diluted["HCO3-"] = sum(
            ionsweep.ions.valence(k) * v for k, v in diluted.items() if k != "HCO3-"
        )
        cells = [f"{potential('K+', 140.0, 5.0, c_in, diluted, m) - ideal:+.2f}"
                 for m in MODELS[1:]]  # fmt: skip
        I = ionic_strength(diluted)
        print(f"| ×{f:g} (I = {I:.3f} mol/kg) | " + " | ".join(cells) + " |")


def main():
    c_in, c_out = balanced()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        potentials_table(c_in, c_out)
        dilution_table(c_in, c_out)
    notes = dict.fromkeys(str(w.message) for w in caught)
    if notes:
        print("\nWarnings (Pitzer parameters used outside their stated temperature range):")
        for note in notes:
            print(f"- {note}")


if __name__ == "__main__":
    main()
