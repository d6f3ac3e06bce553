"""Parameter sets: the PHREEQC reader (every keyword, malformed files), conventions, traced sets."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ionsweep.activity import (
    PitzerParameters,
    activity_coefficients,
    mean_activity_coefficient,
    osmotic_coefficient,
    pitzer_parameters,
    read_phreeqc_pitzer,
)
from ionsweep.activity._pitzer import log_gamma_and_osmotic_pitzer, log_gamma_pitzer

TR = 298.15
FILE = """# a small database with every PITZER keyword
SOLUTION_SPECIES
Mg+2 + H2O = MgOH+ + H+
CO3-2 + 2 H+ = CO2 + H2O
PITZER
-B0
  Na+   Cl-    0.0765   -777.03   -4.4706   0.008946   -3.3158E-6   1.0e4  # six coefficients
  Ca+2  Cl-    0.3159
  Ca+2  SO4-2  0.2
  Cl-   MgOH+  -0.1
-B1
  Na+   Cl-    0.2664
  Ca+2  Cl-    1.614
  Ca+2  SO4-2  3.1973
-B2
  Ca+2  SO4-2  -54.24  0  0  -0.5
-C0
  Na+   Cl-    0.00127
  Ca+2  Cl-    -0.00034
-THETA
  Na+   Ca+2   0.07    0    0   1e-4
-PSI
  Na+   Ca+2   Cl-    -0.007
  Cl-   SO4-2  Ca+2   -0.018
-ALPHAS
  Ca+2  SO4-2  1.5  11
-LAMDA
  Na+   CO2    0.085
-ZETA
  Cl-   CO2   Na+   -0.01
-MU
  CO2   CO2   CO2   0.001
-ETA
  CO2   Na+   Cl-   0.002
-MacInnes false
-use_etheta true
-redox false
END
"""


def _write(tmp_path, text, name="test.dat"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _phreeqc_fn(A, T):
    """PHREEQC's calc_pitz_param, written out (T_r = 298.15 K)."""
    A = list(A) + [0.0] * (6 - len(A))
    return (A[0] + A[1] * (1 / T - 1 / TR) + A[2] * math.log(T / TR) + A[3] * (T - TR)
            + A[4] * (T * T - TR * TR) + A[5] * (1 / T**2 - 1 / TR**2))  # fmt: skip


def test_every_keyword(tmp_path):
    s = read_phreeqc_pitzer(_write(tmp_path, FILE), "mini")
    assert s.name == "mini" and s.macinnes is False
    assert set(s.ignored) == {"MgOH+", "CO2"}  # complexes / neutral species: read, not used
    A = (0.0765, -777.03, -4.4706, 0.008946, -3.3158e-6, 1.0e4)
    for T in (273.15, 310.15, 350.0):  # the six-coefficient temperature function
        b0 = s.binary_value("Na+", "Cl-", T)[0]
        assert b0 == pytest.approx(_phreeqc_fn(A, T), rel=1e-12)
    np.testing.assert_allclose(s.binary_value("Ca2+", "Cl-", TR), [0.3159, 1.614, 0, -0.00034])
    b = s.binary_value("Ca2+", "SO4 2-", 310.15)
    assert b[2] == pytest.approx(-54.24 - 0.5 * 12, rel=1e-12) and b[3] == 0
    i, j = s.index("Ca2+"), s.index("SO4 2-")
    assert tuple(s.alpha[i, j]) == (1.5, 11.0)  # -ALPHAS
    assert tuple(s.alpha[s.index("Na+"), s.index("Cl-")]) == (2.0, 12.0)
    na, ca, cl, so4 = (s.index(x) for x in ("Na+", "Ca2+", "Cl-", "SO4 2-"))
    assert s.theta[na, ca, 0] == s.theta[ca, na, 0] == 0.07 and s.theta[na, ca, 1] == 1e-4
    assert s.psi[na, ca, cl, 0] == s.psi[ca, na, cl, 0] == -0.007
    assert s.psi[cl, so4, ca, 0] == -0.018
    # Entries with temperature terms carry the stated range; constants are 25 °C values.
    assert s.info["Na+", "Cl-"][1] == (273.15, 473.15)
    assert s.info["Ca2+", "Cl-"][1] == (298.15, 298.15)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("  Na+  Cl-  0.07x", "line 3: .*'0.07x' is not a number"),
        ("-B9", "line 3: unknown PITZER option '-B9'"),
        ("  Na+  Xq+3  0.07", "line 3: unknown species 'Xq\\+3'"),
        ("  Na+  Cl-  1 2 3 4 5 6 7", "line 3: .*7 coefficients"),
        ("  Na+  Cl-", "line 3: .*no coefficient"),
        ("  Na+  K+  0.1", "line 3: -B0 needs a cation and an anion"),
    ],
)
def test_malformed_lines_are_refused_naming_the_line(tmp_path, line, match):
    path = _write(tmp_path, f"PITZER\n-B0\n{line}\n")
    with pytest.raises(ValueError, match=match):
        read_phreeqc_pitzer(path)


def test_malformed_files(tmp_path):
    with pytest.raises(ValueError, match="no PITZER block"):
        read_phreeqc_pitzer(_write(tmp_path, "SOLUTION_SPECIES\nH+ = H+\n"))
    with pytest.raises(ValueError, match="line 2: data line outside"):
        read_phreeqc_pitzer(_write(tmp_path, "PITZER\n  Na+ Cl- 0.1\n"))
    with pytest.raises(ValueError, match="line 3: -PSI needs two ions of one sign"):
        read_phreeqc_pitzer(_write(tmp_path, "PITZER\n-PSI\n  Na+ K+ Ca+2 0.1\n"))
    with pytest.raises(ValueError, match="line 3: -LAMDA between ions"):
        read_phreeqc_pitzer(_write(tmp_path, "PITZER\n-LAMDA\n  Na+ Cl- 0.1\n"))


def test_builtin_phreeqc_set_is_pitzer_dat():
    s = pitzer_parameters("phreeqc")
    assert pitzer_parameters() is s and s.macinnes  # the default; PHREEQC scales by default
    # θ(K, Ca) = −5.35e-3 with a temperature term, ψ(K, Ca, Cl) = −0.025 (pitzer.dat).
    k, ca, cl = s.index("K+"), s.index("Ca2+"), s.index("Cl-")
    assert s.theta[k, ca, 0] == -5.35e-3 and s.theta[k, ca, 1] == 3.08e-4
    assert s.psi[k, ca, cl, 0] == -0.025
    assert s.binary_value("Ca2+", "Cl-", TR)[2] == -1.13  # pitzer.dat's β⁽²⁾ for CaCl2
    assert isinstance(s, PitzerParameters) and s.concrete


def test_neutral_combinations_do_not_depend_on_the_convention():
    names = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-")
    m = jnp.array([0.145, 0.005, 0.002, 0.001, 0.156])
    lg_u, phi_u = log_gamma_and_osmotic_pitzer(names, m, 310.15)
    lg_m, phi_m = log_gamma_and_osmotic_pitzer(names, m, 310.15, convention="macinnes")
    z = np.array([1, 1, 2, 2, -1])
    shift = np.asarray(lg_m - lg_u) / z  # the MacInnes shift is z_i times one number
    np.testing.assert_allclose(shift, shift[0], rtol=1e-12)
    assert abs(shift[0]) > 1e-4
    for c in range(4):  # γ± of every salt with Cl⁻, and φ
        nu = abs(z[c])
        np.testing.assert_allclose(lg_m[c] + nu * lg_m[4], lg_u[c] + nu * lg_u[4], atol=1e-14)
    assert float(phi_m) == float(phi_u)
    # In pure KCl, MacInnes γ_K = γ_Cl = γ±.
    lg = log_gamma_pitzer(("K+", "Cl-"), jnp.array([0.5, 0.5]), 298.15, convention="macinnes")
    assert float(lg[0]) == pytest.approx(float(lg[1]), abs=1e-12)


def test_public_functions_take_parameters():
    comp = {"Na+": 0.1, "Cl-": 0.1}
    g_p = activity_coefficients("pitzer", comp, 298.15)
    g_h = activity_coefficients("pitzer", comp, 298.15, parameters="hmw84")
    g_s = activity_coefficients("pitzer:hmw84", comp, 298.15)
    assert float(g_h["Na+"]) == float(g_s["Na+"]) != float(g_p["Na+"])
    gm = mean_activity_coefficient("NaCl", 0.1, 298.15, parameters="hmw84")
    assert float(gm) == pytest.approx(math.sqrt(float(g_h["Na+"] * g_h["Cl-"])), rel=1e-12)
    phi = osmotic_coefficient(comp, 298.15, parameters=pitzer_parameters("hmw84"))
    assert 0.9 < float(phi) < 1
    with pytest.raises(ValueError, match="Pitzer model only"):
        activity_coefficients("davies", comp, 298.15, parameters="hmw84")
    with pytest.raises(ValueError, match="unknown Pitzer parameter set 'nope'"):
        activity_coefficients("pitzer", comp, 298.15, parameters="nope")


def test_traced_sets_share_one_compilation_and_missing_pairs_are_nan():
    traces = []

    @jax.jit
    def f(params, m, T):
        traces.append(1)
        return log_gamma_and_osmotic_pitzer(("Na+", "Ca2+", "Cl-"), m, T, parameters=params)

    m, T = jnp.array([0.1, 0.01, 0.12]), 298.15  # HMW84's temperature
    for name in ("phreeqc", "hmw84"):
        lg, phi = f(pitzer_parameters(name), m, T)
        ref, ref_phi = log_gamma_and_osmotic_pitzer(("Na+", "Ca2+", "Cl-"), m, T,
                                                    parameters=name)  # fmt: skip
        np.testing.assert_allclose(lg, ref, rtol=1e-12)
        np.testing.assert_allclose(phi, ref_phi, rtol=1e-12)
    assert len(traces) == 1  # switching sets changes only array values
    lg = jax.jit(lambda p: log_gamma_pitzer(("Li+", "Cl-"), jnp.ones(2), TR, parameters=p))(
        pitzer_parameters("hmw84")
    )
    assert bool(jnp.all(jnp.isnan(lg)))  # HMW84 has no Li–Cl: NaN when traced


def test_fit_with_pitzer_checks_temperature_before_tracing_and_takes_parameters():
    from ionsweep.activity import PitzerTemperatureWarning, ghk_voltage_activity
    from ionsweep.analysis import fit_permeability_ratios

    ions = ("K+", "Ca2+", "Cl-")
    c_in = np.tile([140.0, 1e-4, 140.0002], (4, 1))
    c_out = np.array([[5.0, 2.0, 9.0], [5.0, 10.0, 25.0], [20.0, 2.0, 24.0], [50.0, 5.0, 60.0]])
    P = np.array([1.0, 0.3, 0.2])
    side = [{ion: c[:, j] for j, ion in enumerate(ions)} for c in (c_in, c_out)]
    data = {
        f"{n}_{s}": c[:, j] for j, n in enumerate(ions) for s, c in (("in", c_in), ("out", c_out))
    }
    # 80 °C: outside HMW84's 25 °C; the fit's jitted γ evaluation used to skip the check.
    T = 353.15
    with pytest.warns(PitzerTemperatureWarning, match="353.15 K"):
        V = np.asarray(ghk_voltage_activity(ions, P, *side, T, "pitzer", parameters="hmw84"))
    data["V_rev"] = V
    with pytest.warns(PitzerTemperatureWarning, match="353.15 K.*Ca2\\+–Cl-"):
        res = fit_permeability_ratios(data, ions, T=T, activity_model="pitzer",
                                      parameters="hmw84")  # fmt: skip
    np.testing.assert_allclose([res.ratios[i] for i in ions], P, rtol=1e-6)
    with pytest.warns(PitzerTemperatureWarning):  # "pitzer:hmw84" names the set too
        fit_permeability_ratios(data, ions, T=T, activity_model="pitzer:hmw84")
