"""Print the README's table: E_K, E_Na, E_Cl, E_Ca at 37 °C under each activity model.

Compositions (mM) are typical mammalian values, made electroneutral: outside, bicarbonate
balances the charge; inside, the impermeant organic anions (~130 mM of mostly monovalent
charge) are represented by Cl⁻-like monovalent anions for the ionic strength and, for
Pitzer, for their specific interactions — an approximation stated with the table. The
permeant ions' concentrations are the textbook ones (K⁺ 140/5, Na⁺ 12/145, Cl⁻ 7/120,
Ca²⁺ 1e-4/2 mM).

Run: ``python scripts/seed_activity_table.py``.
"""

import jax

jax.config.update("jax_enable_x64", True)

import ionsweep  # noqa: E402
from ionsweep.activity import MODELS  # noqa: E402

T = 310.15
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


def potential(ion, ci, co, c_in, c_out, model):
    """E of ``ion`` (textbook concentrations ci/co, mM) with γ from each side's composition."""
    z = ionsweep.ions.valence(ion)

    def gamma(side):
        m = {k: ionsweep.activity.mM_to_molality(v, T) for k, v in side.items()}
        return ionsweep.activity_coefficients(model, m, T)[ion]

    return float(ionsweep.nernst(ci, co, z, T, gamma_in=gamma(c_in), gamma_out=gamma(c_out)))


def main():
    c_in, c_out = balanced()
    print("E at 37 °C, mV (in brackets: shift from the ideal value)\n")
    print("| ion | " + " | ".join(MODELS) + " |")
    print("|---|" + "---|" * len(MODELS))
    for ion, (ci, co) in PERMEANT.items():
        ideal = float(ionsweep.nernst(ci, co, ionsweep.ions.valence(ion), T))
        cells = []
        for m in MODELS:
            e = potential(ion, ci, co, c_in, c_out, m)
            cells.append(f"{e:+.2f} ({e - ideal:+.2f})")
        print(f"| E_{ion} | " + " | ".join(cells) + " |")
    I_in = ionsweep.activity.ionic_strength({k: v / 1000 for k, v in c_in.items()})
    I_out = ionsweep.activity.ionic_strength({k: v / 1000 for k, v in c_out.items()})
    print(f"\nionic strength inside {float(I_in):.3f}, outside {float(I_out):.3f} mol/kg\n")

    print("Shift of E_K (mV) when the outside solution is diluted (same K+ 5 mM outside)\n")
    factors = (1.0, 0.5, 0.2, 0.1)
    print("| outside strength | " + " | ".join(MODELS[1:]) + " |")
    print("|---|" + "---|" * (len(MODELS) - 1))
    for f in factors:
        diluted = {k: (v if k == "K+" else v * f) for k, v in c_out.items()}
        q = sum(ionsweep.ions.valence(k) * v for k, v in diluted.items() if k != "HCO3-")
        diluted["HCO3-"] = q
        ideal = float(ionsweep.nernst(140.0, 5.0, 1, T))
        cells = [f"{potential('K+', 140.0, 5.0, c_in, diluted, m) - ideal:+.2f}"
                 for m in MODELS[1:]]
        I = float(ionsweep.activity.ionic_strength({k: v / 1000 for k, v in diluted.items()}))
        print(f"| ×{f:g} (I = {I:.3f} mol/kg) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
