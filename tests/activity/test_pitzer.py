"""Tests of the Pitzer model against published tables, independent codes and its own invariants."""

import csv
import math
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from ionsweep.activity import pitzer_parameters
from ionsweep.activity._pitzer import (
    PitzerTemperatureWarning,
    log_gamma_and_osmotic_pitzer,
    log_gamma_pitzer,
    osmotic_coefficient_pitzer,
)
from ionsweep.activity._pitzer_basis import aphi_hmw84, aphi_moller1988, aphi_phreeqc
from ionsweep.activity._pitzer_params import HMW84
from ionsweep.physics._water import debye_huckel_Aphi

SALTS = {  # salt: (cation, ν₊, ν₋) with Cl⁻ as the anion
    "NaCl": ("Na+", 1, 1),
    "KCl": ("K+", 1, 1),
    "CaCl2": ("Ca2+", 1, 2),
    "MgCl2": ("Mg2+", 1, 2),
}
PYTZER_NAMES = {"Na+": "Na", "K+": "K", "Ca2+": "Ca", "Mg2+": "Mg", "Cl-": "Cl"}


def _table():
    path = Path(__file__).parent / "data" / "robinson_stokes_1959_25C.csv"
    with path.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def mean_ln_gamma(lg, nu_c, nu_a):
    """ln γ± = (ν₊ ln γ₊ + ν₋ ln γ₋)/ν."""
    return (nu_c * lg[..., 0] + nu_a * lg[..., 1]) / (nu_c + nu_a)


# The library leaves jit to its callers (STYLE.md); the tests jit once per ion set and shape.
lg_phi = jax.jit(
    log_gamma_and_osmotic_pitzer, static_argnames=("names", "parameters", "convention")
)
N_PAD = 16  # single-salt calls are padded to one shape so each salt compiles once


def salt_gamma(salt, m, T=298.15, parameters=None):
    """γ± and φ of a single salt at molalities ``m`` (≤ N_PAD values) of the salt."""
    cation, nu_c, nu_a = SALTS[salt]
    m = np.atleast_1d(np.asarray(m, float))
    padded = jnp.asarray(np.pad(m, (0, N_PAD - len(m)), constant_values=0.1))
    mol = jnp.stack([nu_c * padded, nu_a * padded], axis=-1)
    lg, phi = lg_phi(names=(cation, "Cl-"), molality=mol, T=jnp.full(N_PAD, T),
                     parameters=parameters)  # fmt: skip
    return np.exp(mean_ln_gamma(lg, nu_c, nu_a))[: len(m)], np.asarray(phi)[: len(m)]


# Largest relative deviation from Robinson & Stokes (1959, Appendix 8.10) allowed at 25 °C, %:
# the requirement, for every salt and both built-in sets. HMW84's MgCl2 parameters (those of
# Pitzer & Mayorga 1973) miss it by 0.56 % at 0.5 mol/kg with the A_φ = 0.392 HMW84 prescribe;
# that case is recorded as a strict xfail rather than given a wider tolerance.
RS_TOLERANCE = 0.5
# pitzer.dat's CaCl2 and MgCl2 functions follow later isopiestic data than the 1959 tables;
# their deviation is stated (measured 0.76 % and 1.10 %, at 0.9–1 mol/kg) and bounded here.
RS_STATED = {("CaCl2", "phreeqc"): 0.8, ("MgCl2", "phreeqc"): 1.15}
_HMW84_MGCL2 = pytest.mark.xfail(strict=True, reason="HMW84 MgCl2 with A_φ = 0.392: 0.56 %")
RS_CASES = [
    pytest.param(salt, name, id=f"{salt}-{name}",
                 marks=[_HMW84_MGCL2] if (name == "hmw84" and salt == "MgCl2") else [])
    for name in ("phreeqc", "hmw84")
    for salt in SALTS
]  # fmt: skip


@pytest.mark.parametrize(("salt", "name"), RS_CASES)
def test_mean_activity_vs_robinson_stokes(salt, name):
    rows = [r for r in _table() if r["salt"] == salt]
    m = np.array([float(r["molality"]) for r in rows])
    ref = np.array([float(r["gamma_pm"]) for r in rows])
    gamma, _ = salt_gamma(salt, m, parameters=pitzer_parameters(name))
    dev = 100 * np.abs(np.asarray(gamma) / ref - 1)
    tol = RS_STATED.get((salt, name), RS_TOLERANCE)
    assert dev.max() < tol, dict(zip(m, dev.round(2), strict=True))


def test_osmotic_nacl_vs_robinson_stokes():
    rows = [r for r in _table() if r["salt"] == "NaCl" and r["phi"]]
    m = np.array([float(r["molality"]) for r in rows])
    _, phi = salt_gamma("NaCl", m)
    np.testing.assert_allclose(phi, [float(r["phi"]) for r in rows], rtol=0.005)


def test_parameter_set_aphi():
    # PHREEQC's A_φ (Bradley–Pitzer ε_r, Wagner–Pruß ρ_w) and Møller's (1988) fit track the
    # water-based value of _water.py to 1e-4 over 0–60 °C; HMW84 prescribe 0.392 at 25 °C.
    T = jnp.linspace(273.15, 333.15, 13)
    ours, m88, water = jax.jit(lambda T: (aphi_phreeqc(T), aphi_moller1988(T),
                                          debye_huckel_Aphi(T)))(T)  # fmt: skip
    np.testing.assert_allclose(ours, water, atol=1e-4)
    np.testing.assert_allclose(m88, water, atol=1e-4)
    assert float(aphi_hmw84(298.15)) == pytest.approx(0.392, abs=1e-12)
    assert pitzer_parameters("phreeqc").validity(("Na+", "K+", "Cl-")) == (273.15, 473.15)
    assert HMW84.validity(("Na+", "K+", "Cl-")) == (298.15, 298.15)


# The pytzer comparison: pytzer (an independent implementation of the same equations, with
# Harvie's J(x)) run with a library built from the set's own parameter values and A_φ.
def _pytzer_library(pz, params, names, T):
    from pytzer.libraries.library_class import Library as ParameterLibrary

    lib = ParameterLibrary(name=f"ionsweep-{params.name}")
    aphi = float(params.aphi(T))
    lib.update_Aphi(lambda tempK, pres: (aphi, True))
    lib.update_func_J(pz.unsymmetrical.Harvie)
    z = {n: int("2" in n) + 1 for n in names}
    cats = [n for n in names if n.endswith("+")]
    ans = [n for n in names if n.endswith("-")]
    for c in cats:
        for a in ans:
            b0, b1, b2, cphi = params.binary_value(c, a, T)
            al1, al2 = params.alpha[params.index(c), params.index(a)]
            C0 = cphi / (2 * math.sqrt(z[c] * z[a]))
            lib.update_ca(
                PYTZER_NAMES[c],
                PYTZER_NAMES[a],
                lambda t, p, v=(b0, b1, b2, C0, 0.0, al1, al2, -9, True): v,
            )
    from ionsweep.activity._pitzer_basis import eval_rows

    def val(row):
        return float(eval_rows(row, jnp.asarray(T))[..., 0])

    for group, other, upd2, upd3 in (
        (cats, ans, lib.update_cc, lib.update_cca),
        (ans, cats, lib.update_aa, lib.update_caa),
    ):
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                u, v = params.index(x), params.index(y)
                th = val(params.theta[u, v])
                upd2(PYTZER_NAMES[x], PYTZER_NAMES[y], lambda t, p, th=th: (th, True))
                for o in other:
                    ps = val(params.psi[u, v, params.index(o)])
                    args = (
                        (PYTZER_NAMES[x], PYTZER_NAMES[y], PYTZER_NAMES[o])
                        if group is cats
                        else (PYTZER_NAMES[o], PYTZER_NAMES[x], PYTZER_NAMES[y])
                    )
                    upd3(*args, lambda t, p, ps=ps: (ps, True))
    return lib


@pytest.mark.parametrize("set_name", ["phreeqc", "hmw84"])
def test_same_parameters_as_pytzer_to_1e10(set_name):
    pz = pytest.importorskip("pytzer")
    from ionsweep.activity import pitzer_parameters

    params = pitzer_parameters(set_name)
    names = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-")
    # One mixture with every kind of term (pytzer compiles per library: kept to one call);
    # 25 °C for HMW84 (its only temperature), 37 °C for the PHREEQC set.
    cases = [(298.15 if set_name == "hmw84" else 310.15, [1.0, 0.3, 0.3, 0.4, 2.7])]
    for T, mol in cases:
        pz = pz.set_library(pz, _pytzer_library(pz, params, names, T))
        solutes = pz.get_solutes(**{PYTZER_NAMES[k]: v for k, v in zip(names, mol, strict=True)})
        ref = pz.log_activity_coefficients(solutes, T, 10.1325)
        phi_ref = float(pz.osmotic_coefficient(solutes, T, 10.1325))
        lg, phi = lg_phi(names=names, molality=jnp.array(mol), T=T, parameters=params)
        for k, n in enumerate(names):
            assert float(lg[k]) == pytest.approx(float(ref[PYTZER_NAMES[n]]), abs=1e-10), (T, n)
        assert float(phi) == pytest.approx(phi_ref, abs=1e-10)


def test_hmw84_transcription_vs_pytzer():
    # HMW84 Table 1 as transcribed in pytzer (Harvie84 library functions) vs ours. One
    # difference: pytzer 0.6.0 has β⁽¹⁾(NaCl) = 0.2644; HMW84 (and Pitzer & Mayorga 1973,
    # whose value they adopt) give 0.2664, which is what ionsweep uses.
    pz = pytest.importorskip("pytzer")
    from ionsweep.activity._pitzer_params import HMW84

    prm = pz.parameters
    for (c, a), tag in {
        ("Na+", "Cl-"): "Na_Cl",
        ("K+", "Cl-"): "K_Cl",
        ("Ca2+", "Cl-"): "Ca_Cl",
        ("Mg2+", "Cl-"): "Mg_Cl",
        ("Na+", "SO4 2-"): "Na_SO4",
        ("Ca2+", "SO4 2-"): "Ca_SO4",
        ("Mg2+", "SO4 2-"): "Mg_SO4",
    }.items():
        b0, b1, b2, C0, *_ = getattr(prm, f"bC_{tag}_HMW84")(298.15, 10.1325)
        ours = HMW84.binary_value(c, a, 298.15)
        if tag == "Na_Cl":
            assert (ours[1], b1) == (0.2664, 0.2644)
            b1 = 0.2664
        zz = (int("2" in c) + 1) * (int("2" in a) + 1)
        np.testing.assert_allclose(
            ours, [b0, b1, b2, 2 * math.sqrt(zz) * C0], atol=1e-12, err_msg=tag
        )


# PHREEQC (pitzer.dat, as shipped by phreeqpython) run in the test: single chlorides and
# mixtures of the four, ionic strength 0.001–1 mol/kg, 0, 25, 37 and 50 °C, γ± and φ
# (PHREEQC's OSMOTIC) in one IPhreeqc run. The requirement is 0.05 %; measured: < 1e-5.
PHREEQC_NAMES = {"Na+": ("Na", "Na+"), "K+": ("K", "K+"), "Ca2+": ("Ca", "Ca+2"),
                 "Mg2+": ("Mg", "Mg+2"), "Cl-": ("Cl", "Cl-")}  # fmt: skip
MIXTURES = {  # mol/kg; Cl⁻ balances the charge
    "intracellular": {"Na+": 0.012, "K+": 0.140, "Mg2+": 0.0005, "Ca2+": 1e-7},
    "extracellular": {"Na+": 0.145, "K+": 0.005, "Mg2+": 0.001, "Ca2+": 0.002},
}


def _phreeqc_compositions():
    comps = []
    for cation, nu_c, nu_a in SALTS.values():
        for ionic in (0.001, 0.1, 1.0):
            m = ionic / (0.5 * (nu_c * (nu_a**2) + nu_a))  # I = m(ν₊z₊² + ν₋)/2
            comps.append({cation: nu_c * m, "Cl-": nu_a * m})
    for kind in ("extracellular", "intracellular"):
        comp = dict(MIXTURES[kind])
        comp["Cl-"] = sum(m * (2 if "2" in ion else 1) for ion, m in comp.items())
        comps.append(comp)
    comps.append({"Na+": 0.3, "K+": 0.1, "Mg2+": 0.05, "Ca2+": 0.05, "Cl-": 0.6})  # I = 0.7
    return comps


@pytest.fixture(scope="module")
def phreeqc_run():
    phreeqpython = pytest.importorskip("phreeqpython")
    ip = phreeqpython.PhreeqPython(database="pitzer.dat").ip
    temps = (273.15, 298.15, 310.15, 323.15)
    cases = [(T, comp) for T in temps for comp in _phreeqc_compositions()]
    blocks = []
    for k, (T, comp) in enumerate(cases):
        body = "\n".join(f" {PHREEQC_NAMES[n][0]} {v!r}" for n, v in comp.items())
        blocks.append(f"SOLUTION {k + 1}\n units mol/kgw\n temp {T - 273.15!r}\n pH 7\n{body}\n")
    punch = ", ".join(f'LG("{PHREEQC_NAMES[n][1]}")' for n in PHREEQC_NAMES)
    script = ("SELECTED_OUTPUT 1\n -reset false\nUSER_PUNCH 1\n -headings phi Na K Ca Mg Cl\n"
              f" 10 PUNCH OSMOTIC, {punch}\n" + "".join(blocks) + "END\n")  # fmt: skip
    ip.run_string(script)
    rows = ip.get_selected_output_array()[1:]
    assert len(rows) == len(cases)
    return [(T, comp, row[0], dict(zip(PHREEQC_NAMES, row[1:], strict=True)))
            for (T, comp), row in zip(cases, rows, strict=True)]  # fmt: skip


def test_phreeqc_database_matches_phreeqc(phreeqc_run):
    from ionsweep.activity import read_phreeqc_pitzer

    phreeqpython = pytest.importorskip("phreeqpython")
    path = Path(phreeqpython.__file__).parent / "database" / "pitzer.dat"
    params = read_phreeqc_pitzer(path)
    for T, comp, phi_ref, lg10 in phreeqc_run:
        names = tuple(comp)
        lg, phi = lg_phi(names=names, molality=jnp.array(list(comp.values())), T=T,
                         parameters=params)  # fmt: skip
        lcl = names.index("Cl-")
        if len(names) > 2:  # single-ion values, MacInnes-scaled as PHREEQC's are (mixtures)
            lgm, _ = lg_phi(names=names, molality=jnp.array(list(comp.values())), T=T,
                            parameters=params, convention="macinnes")  # fmt: skip
        for k, cation in enumerate(names[:-1]):
            nu = 2 if "2" in cation else 1
            ours = (lg[k] + nu * lg[lcl]) / (1 + nu)
            ref = math.log(10) * (lg10[cation] + nu * lg10["Cl-"]) / (1 + nu)
            assert math.exp(float(ours) - ref) == pytest.approx(1, abs=5e-4), (T, comp, cation)
            if len(names) > 2:
                single = math.log(10) * lg10[cation]
                assert math.exp(float(lgm[k]) - single) == pytest.approx(1, abs=5e-4)
        assert float(phi) == pytest.approx(phi_ref, rel=5e-4), (T, comp)


# --- invariants -------------------------------------------------------------------------------
NAMES = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-", "SO4 2-")
MOL = jnp.array([0.4, 0.1, 0.05, 0.03, 0.5, 0.08])
# Smallest system with every kind of term: 2–2 pair with β⁽²⁾ (Ca–SO₄), ᴱθ for a cation pair
# (Na–Ca) and an anion pair (Cl–SO₄), θ and both kinds of ψ.
SMALL = ("Na+", "Ca2+", "Cl-", "SO4 2-")
SMALL_MOL = jnp.array([0.3, 0.05, 0.3, 0.05])


def test_gibbs_duhem():
    # Σ m_i d ln γ_i = d[(φ − 1) Σ m] along any composition change (constant T): checks that
    # ln γ and φ come from one excess Gibbs energy, Φ', B' and ᴱθ' included.
    T = 310.15

    @jax.jit
    def both(m, dm):
        _, dlg = jax.jvp(lambda m: log_gamma_pitzer(NAMES, m, T), (m,), (dm,))
        excess = lambda m: (osmotic_coefficient_pitzer(NAMES, m, T) - 1) * jnp.sum(m)  # noqa: E731
        return jnp.sum(m * dlg), jax.jvp(excess, (m,), (dm,))[1]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for direction in (jnp.array([1.0, 0, 0, 0, 1, 0]), jnp.array([0, 0.3, 1, 0, 0, 1.2])):
            lhs, rhs = both(MOL, direction)
            assert float(lhs) == pytest.approx(float(rhs), rel=1e-9)


def test_permutation_invariance():
    order = jnp.array([3, 0, 2, 1])
    lg, _ = lg_phi(names=SMALL, molality=SMALL_MOL, T=300.0)
    lg_perm, _ = lg_phi(names=tuple(SMALL[i] for i in order), molality=SMALL_MOL[order], T=300.0)
    np.testing.assert_allclose(lg_perm, lg[order], rtol=1e-12)


def test_jit_vmap_broadcast_and_no_retrace():
    traces = []

    def f(m, T):
        traces.append(1)
        return log_gamma_pitzer(NAMES, m, T)

    jf = jax.jit(f)
    batch = jnp.stack([MOL, 0.5 * MOL, 2 * MOL])
    temps = jnp.array([280.0, 300.0, 320.0])
    out = jax.vmap(jf)(batch, temps)
    for k in range(3):
        np.testing.assert_allclose(out[k], jf(batch[k], temps[k]), rtol=1e-12)
    jf(2 * MOL, 310.0)
    assert len(traces) == 2  # the vmapped trace and one unbatched trace, reused
    grid, phi = lg_phi(
        names=NAMES, molality=jnp.broadcast_to(MOL, (2, 3, 6)), T=jnp.array([[290.0], [300.0]])
    )
    assert grid.shape == (2, 3, 6) and phi.shape == (2, 3)
    np.testing.assert_allclose(grid[1, 2], jf(MOL, 300.0), rtol=1e-12)


def test_temperature_axis_evaluated_at_its_own_shape():
    # T of lower rank than the compositions (a temperature axis) is evaluated once per
    # temperature (shared parameter arrays); the numbers equal those of T broadcast in full.
    names = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-")
    rng = np.random.default_rng(3)
    mol = rng.uniform(0.001, 0.3, (3, 4, 5))
    mol[..., 4] = mol[..., 0] + mol[..., 1] + 2 * (mol[..., 2] + mol[..., 3])
    temps = jnp.array([[278.15], [310.15], [330.15]])
    axis = lg_phi(names=names, molality=jnp.asarray(mol), T=temps)
    full = lg_phi(names=names, molality=jnp.asarray(mol), T=jnp.broadcast_to(temps, (3, 4)))
    for a, f in zip(axis, full, strict=True):
        np.testing.assert_allclose(a, f, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="T has shape \\(4,\\).*compositions' shape \\(3,\\)"):
        log_gamma_pitzer(("Na+", "Cl-"), jnp.ones((3, 2)), jnp.full(4, 298.15))


def test_vectorizable_log_within_2_ulp():
    # The kernel's float64 log (elementwise arithmetic instead of a scalar library call)
    # against NumPy's log over the normal float64 range, its special values and gradient.
    from ionsweep.activity._pitzer_terms import vlog

    x = np.concatenate([np.logspace(-307.5, 308, 20001), [0.5, 1.0, 2.0, np.sqrt(0.5)],
                        np.nextafter(1.0, [0.0, 2.0])])  # fmt: skip
    ours = np.asarray(jax.jit(vlog)(x))
    ref = np.log(x)
    ulp = np.abs(ours - ref) / np.spacing(np.abs(ref))
    assert np.max(ulp[ref != 0]) <= 2 and ours[ref == 0].tolist() == [0.0]
    special = np.asarray(vlog(jnp.array([0.0, -1.0, np.inf, np.nan])))
    assert special[0] == -np.inf and np.isnan(special[1]) and special[2] == np.inf
    assert np.isnan(special[3])
    assert float(jax.grad(vlog)(3.0)) == pytest.approx(1 / 3, rel=1e-15)
    assert vlog(jnp.float32(2.0)).dtype == jnp.float32


def test_gradients():
    def f(m, T):  # both kernels, both arguments: one VJP compilation
        return lg_phi(names=SMALL, molality=m, T=T)

    check_grads(f, (SMALL_MOL, 305.0), order=1, modes=["rev"])
    # Dilute but non-zero (ᴱθ and the series branch of g(x)), and finite gradients at m = 0.
    check_grads(f, (1e-5 * SMALL_MOL, 298.15), order=1, modes=["rev"], eps=1e-10)
    y, vjp = jax.vjp(f, jnp.zeros(4), 298.15)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in vjp((jnp.ones(4), jnp.ones(()))))


def test_float32_in_float32_out():
    lg32, phi32 = lg_phi(names=NAMES, molality=MOL.astype(jnp.float32), T=jnp.float32(300.0))
    assert lg32.dtype == jnp.float32 and phi32.dtype == jnp.float32
    lg64, phi64 = lg_phi(names=NAMES, molality=MOL, T=300.0)
    np.testing.assert_allclose(lg32, lg64, rtol=5e-5)
    np.testing.assert_allclose(phi32, phi64, rtol=5e-5)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_invalid_points_give_nan_eager_and_under_jit(dtype):
    # The equations give finite numbers at a negative molality (√I is clipped at I = 0);
    # the contract of every activity model is NaN for the whole point, also under jit.
    names = ("Na+", "Cl-")
    m = jnp.array([[-0.1, 0.1], [0.1, -0.1], [-0.1, -0.1], [jnp.inf, 0.1], [0.1, 0.1]], dtype)
    T = jnp.array([298.15, 298.15, 298.15, 298.15, 298.15], dtype)

    def both(m, T):
        return (*log_gamma_and_osmotic_pitzer(names, m, T),
                jnp.exp(log_gamma_pitzer(names, m, T)))  # fmt: skip

    jitted = jax.jit(both)
    for lg, phi, gamma in (both(m, T), jitted(m, T)):
        assert lg.dtype == dtype
        for x in (lg, phi, gamma):
            assert np.all(np.isnan(x[:4])), x
        # γ± of 0.1 mol/kg NaCl at 25 °C: 0.778 (Robinson & Stokes 1959, Appendix 8.10).
        assert float(jnp.exp(lg[4].mean())) == pytest.approx(0.778, abs=1e-3)
    # A temperature that is not > 0 (traced: no check can refuse it) gives NaN too.
    lg, phi, _ = jitted(m[4:], jnp.array([-5.0], dtype))
    assert np.all(np.isnan(lg)) and np.all(np.isnan(phi))


def test_dilute_limit_and_limiting_law():
    z = np.array([1, 1, 2, 2, -1, -2])
    lg0, phi0 = lg_phi(names=NAMES, molality=jnp.zeros(6), T=300.0)
    assert np.all(np.asarray(lg0) == 0) and float(phi0) == 1.0
    for scale in (1e-6, 1e-8):  # shape (6,) and scalar T: reuses one compilation
        lg, _ = lg_phi(names=NAMES, molality=scale * MOL, T=300.0)
        ionic = 0.5 * float(jnp.sum(scale * MOL * z**2))
        # ln γ_i → −z_i² A_φ (√I/(1 + b√I) + (2/b) ln(1 + b√I)) → −3 z_i² A_φ √I.
        dhll = -3 * z**2 * float(aphi_phreeqc(300.0)) * math.sqrt(ionic)
        np.testing.assert_allclose(lg, dhll, rtol=0.01)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Li\\+–Cl-"):
        log_gamma_pitzer(("Li+", "Cl-"), jnp.ones(2), 298.15, parameters="hmw84")
    with pytest.raises(ValueError, match="H\\+–HCO3-"):
        log_gamma_pitzer(("H+", "HCO3-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="no parameters for NO3-"):
        log_gamma_pitzer(("Na+", "NO3-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="unknown ion 'Xx\\+'"):
        log_gamma_pitzer(("Xx+", "Cl-"), jnp.ones(2), 298.15)
    with pytest.raises(ValueError, match="last axis"):
        osmotic_coefficient_pitzer(("Na+", "Cl-"), jnp.ones(3), 298.15)
    with pytest.raises(ValueError, match="duplicate"):
        log_gamma_pitzer(("Na+", "sodium", "Cl-"), jnp.ones(3), 298.15)
    with pytest.raises(ValueError, match="convention"):
        log_gamma_pitzer(("Na+", "Cl-"), jnp.ones(2), 298.15, convention="bates")
    with pytest.raises(ValueError, match="withdrawn"):
        log_gamma_pitzer(("Na+", "Cl-"), jnp.ones(2), 298.15, parameters="MP98-chlorides")


# --- temperature range ------------------------------------------------------------------------
def test_temperature_outside_stated_range_warns():
    from ionsweep.activity import activity_coefficients

    caso4 = {"Ca2+": 0.01, "SO4 2-": 0.01}
    with pytest.warns(PitzerTemperatureWarning, match="310.15 K.*Ca2\\+–SO4 2- \\(HMW84"):
        activity_coefficients("pitzer", caso4, 310.15, parameters="hmw84")
    # pitzer.dat's temperature functions: stated 0–200 °C.
    with pytest.warns(PitzerTemperatureWarning, match="Ca2\\+–Cl- .*273.15–473.15 K"):
        activity_coefficients("pitzer", {"Ca2+": 0.1, "Cl-": 0.2}, [310.15, 493.15])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        activity_coefficients("pitzer", caso4, 298.15, parameters="hmw84")
        activity_coefficients("pitzer", {"Na+": 0.1, "K+": 0.05, "Cl-": 0.15}, 310.15)
        # Mixing terms at 25 °C only (θ Ca–Mg) are applied at any T, as PHREEQC does.
        activity_coefficients("pitzer", {"Ca2+": 0.01, "Mg2+": 0.01, "Cl-": 0.04}, 310.15)
        # Traced temperatures cannot be checked inside jit (callers check concrete ones first).
        jax.jit(lambda T: log_gamma_pitzer(("Ca2+", "SO4 2-"), jnp.array([0.01, 0.01]), T,
                                           parameters="hmw84"))(310.15)  # fmt: skip


def test_out_of_range_lists_the_binary_parameters():
    assert pitzer_parameters().out_of_range(("Na+", "K+", "Cl-"), 273.15, 373.15) == []
    bad = HMW84.out_of_range(("Na+", "Ca2+", "Cl-"), 300.0, 300.0)
    assert bad == ["Na+–Cl- (HMW84 Table 1 (25 °C): 298.15–298.15 K)",
                   "Ca2+–Cl- (HMW84 Table 1 (25 °C): 298.15–298.15 K)"]  # fmt: skip
