"""Liquid junction potentials: published values, independent implementations, gradients,
bad input.

Sign convention of ionsweep: the potential of the bath relative to the pipette (JPCalc's and
LJPcalc's), V_membrane = V_recorded − LJP. Every source below lists its cases as
"pipette (solution 1) | bath (solution 2)" with that sign; each test says how it maps.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

import ionsweep
from ionsweep.activity import relative_mobility
from ionsweep.physics import junction_potential
from ionsweep.physics._junction_data import mobility_table

# R = N_A k, F = N_A e from the exact 2019 SI defining constants.
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19


def vt(T):
    """RT/F in mV."""
    return 1000.0 * R * T / F


# One ion list for every published case, so that one compiled program serves them all.
NAMES = ("H+", "Li+", "Na+", "K+", "Cs+", "Mg2+", "Ca2+", "Zn2+", "Cl-", "F-", "SO4 2-",
         "Gluconate-", "HEPES-")  # fmt: skip
Z = tuple(ionsweep.ions.valence(n) for n in NAMES)
U = np.array([relative_mobility(n) for n in NAMES])


def row(**c):
    """A composition over NAMES from keyword concentrations (ion names without charges)."""
    short = {n.rstrip("+-").split()[0].rstrip("0123456789"): i for i, n in enumerate(NAMES)}
    short.update({"SO4": NAMES.index("SO4 2-"), "Gluconate": NAMES.index("Gluconate-")})
    out = np.zeros(len(NAMES))
    for k, v in c.items():
        out[short[k]] = v
    return out


# (source, pipette, bath, T in K, published LJP in mV)
PUBLISHED = [
    # Ng & Barry (1994) J. Neurosci. Methods 56:37, Table 2, solutions "1 | 2" = pipette | bath,
    # LJP = potential of solution 2 (bath) relative to solution 1: the same sign as ours.
    ("Ng & Barry 50 NaCl | 50 KCl", row(Na=50, Cl=50), row(K=50, Cl=50), 298.15, -4.3),
    ("Ng & Barry 150 NaCl | 150 KCl", row(Na=150, Cl=150), row(K=150, Cl=150), 298.15, -4.3),
    ("Ng & Barry 50 NaCl | 50 CsCl", row(Na=50, Cl=50), row(Cs=50, Cl=50), 298.15, -4.9),
    ("Ng & Barry 100 NaCl | 100 MgCl2", row(Na=100, Cl=100), row(Mg=100, Cl=200), 298.15, 10.0),
    ("Ng & Barry 100 CaCl2 | 100 MgCl2", row(Ca=100, Cl=200), row(Mg=100, Cl=200), 298.15, 0.6),
    (
        "Ng & Barry 100 KCl 2 CaCl2 | 100 LiCl 2 CaCl2",
        row(K=100, Ca=2, Cl=104),
        row(Li=100, Ca=2, Cl=104),
        298.15,
        6.4,
    ),  # fmt: skip
    (
        "Ng & Barry 50 CaCl2 50 MgCl2 | 100 LiCl",
        row(Ca=50, Mg=50, Cl=200),
        row(Li=100, Cl=100),
        298.15,
        -8.2,
    ),  # fmt: skip
    # JPCalcWin manual (Barry), p. 7 (20 °C) and p. 10: "pipette | bath", bath relative to
    # pipette, as ours.
    ("JPCalcWin p.7 CsF", row(Cs=135, F=135, Na=10, Cl=10), row(Na=145, Cl=145), 293.15, 8.74),
    ("JPCalcWin p.10 CsF", row(Cs=145, F=125, Cl=20), row(Na=145, Cl=145), 298.15, 8.71),
    # JPCalc screenshot in Axobits 39 (Barry), K-gluconate pipette against saline, 20 °C.
    (
        "Axobits K-gluconate",
        row(K=145, Na=13, Cl=10, Gluconate=145, Mg=1, HEPES=5),
        row(K=2.8, Na=145, Cl=148.8, Mg=2, Ca=1, HEPES=5),
        293.15,
        15.6,
    ),  # fmt: skip
    # Harper (1985) J. Phys. Chem. 89:1659, Table I: concentration cells "c1 | c2" (M; the
    # LJP depends only on ratios), E_j of c2 relative to c1: the concentrated side is the
    # pipette here, the sign as ours.
    ("Harper HCl 0.1 | 0.00345", row(H=100, Cl=100), row(H=3.45, Cl=3.45), 298.15, 55.5),
    (
        "Harper NaCl 0.0995 | 0.00499",
        row(Na=99.5, Cl=99.5),
        row(Na=4.99, Cl=4.99),
        298.15,
        -15.6,
    ),  # fmt: skip
    ("Harper CaCl2 0.29 | 0.00545", row(Ca=290, Cl=580), row(Ca=5.45, Cl=10.9), 298.15, -35.0),
    ("Harper ZnSO4 0.4 | 0.0186", row(Zn=400, SO4=400), row(Zn=18.6, SO4=18.6), 298.15, -8.1),
]

CP = np.stack([p[1] for p in PUBLISHED])
CB = np.stack([p[2] for p in PUBLISHED])
TS = np.array([p[3] for p in PUBLISHED])
EXPECTED = np.array([p[4] for p in PUBLISHED])
IDS = [p[0] for p in PUBLISHED]


@pytest.fixture(scope="module")
def published():
    """Both methods over every published case, one batched call each."""
    return {
        m: np.asarray(junction_potential(CP, CB, Z, U, TS, method=m))
        for m in ("nernst-planck", "henderson")
    }


@pytest.mark.parametrize("method", ["nernst-planck", "henderson"])
@pytest.mark.parametrize("case", range(len(PUBLISHED)), ids=IDS)
def test_published_values(published, method, case):
    assert abs(published[method][case] - EXPECTED[case]) < 0.5


def test_batch_equals_single_calls(published):
    """A published case alone gives what the batch gave; so does a batch large enough to be
    solved block by block on CPU (the cases repeated, 2·256 + 1 points)."""
    one = junction_potential(CP[3], CB[3], Z, U, TS[3])
    np.testing.assert_allclose(float(one), published["nernst-planck"][3], rtol=1e-12)
    reps = -(-513 // len(PUBLISHED))
    big = junction_potential(np.tile(CP, (reps, 1)), np.tile(CB, (reps, 1)), Z, U,
                             np.tile(TS, reps))  # fmt: skip
    np.testing.assert_allclose(
        np.asarray(big), np.tile(published["nernst-planck"], reps), rtol=1e-11, atol=1e-11
    )


def test_through_zero():
    """Across a composition where the junction potential changes sign (the potential as
    coordinate degenerates there, the reduced fluxes do not): finite, monotone, and equal to
    the SciPy solve next to zero. Pipette NaCl + HCl (h mM), bath KCl; 14 rows, the shape of
    the published batch, so its compiled program is reused."""
    h = np.linspace(10.3, 11.6, len(PUBLISHED))
    cp = np.stack([row(Na=140 - x, H=x, Cl=140) for x in h])
    cb = np.stack([row(K=140, Cl=140)] * len(h))
    v = np.asarray(junction_potential(cp, cb, Z, U, np.full(len(h), 298.15)))
    assert np.all(np.isfinite(v)) and np.all(np.diff(v) > 0) and v[0] < 0 < v[-1]
    i = int(np.argmin(np.abs(v)))
    keep = [NAMES.index(n) for n in ("H+", "Na+", "K+", "Cl-")]
    ref = nernst_planck_ref(cp[i, keep], cb[i, keep], np.array(Z)[keep], U[keep])
    assert v[i] == pytest.approx(vt(298.15) * ref, abs=1e-6)


def test_dilute_pipette_against_concentrated_bath():
    """Far from the Henderson start (every concentration 10–300× lower in the pipette than
    in the bath, LJPs of tens of mV): the damped Newton steps still converge, to the SciPy
    solve. 14 rows, the shape of the published batch, so its compiled program is reused."""
    dilution = np.geomspace(1.0, 1 / 300, len(PUBLISHED))
    bath = row(K=140, Gluconate=118, Cl=24, Mg=2, HEPES=2)
    cp = np.stack([row(Na=150, Ca=2, Cl=150, SO4=2) * d for d in dilution])
    cb = np.stack([bath] * len(dilution))
    v = np.asarray(junction_potential(cp, cb, Z, U, np.full(len(dilution), 298.15)))
    assert np.all(np.isfinite(v)) and abs(v[-1]) > 20
    keep = [NAMES.index(n) for n in ("Na+", "K+", "Mg2+", "Ca2+", "Cl-", "SO4 2-",
                                     "Gluconate-", "HEPES-")]  # fmt: skip
    for i in (len(dilution) // 2, len(dilution) - 1):
        ref = nernst_planck_ref(cp[i, keep], cb[i, keep], np.array(Z)[keep], U[keep])
        assert v[i] == pytest.approx(vt(298.15) * ref, abs=1e-6)


def test_float32(published):
    """float32 in, float32 out, within 0.01 mV of float64 on the published cases."""
    v = junction_potential(CP.astype(np.float32), CB.astype(np.float32), Z,
                           U.astype(np.float32), TS.astype(np.float32))  # fmt: skip
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.asarray(v), published["nernst-planck"], atol=0.01)


# Marino et al. (2014) arXiv:1403.3640, the JLJP example: 9 mM ZnCl2 | 3 mM KCl + 0.0284 mM
# ZnCl2, 25 °C, with JLJP's conductivities λ (S cm²/mol per equivalent): ½Zn²⁺ 52.8, K⁺ 73.5,
# Cl⁻ 76.31. Side A (x = 0) is the ZnCl2 side; JLJP reports φ(L) − φ(0), our sign.
ZN_Z = (2, 1, -1)
ZN_D = np.array([52.8 / 2, 73.5, 76.31])  # λ/|z| ∝ D
ZN_CP = np.array([9.0, 0.0, 18.0])
ZN_CB = np.array([0.0284, 3.0, 3.0568])


def nernst_planck_ref(cp, cb, z, D):
    """Stationary Nernst–Planck junction (RT/F units) by shooting in x with solve_ivp and
    fsolve on the fluxes: c' = −g − z c φ', φ' = −Σ z g / Σ z² c (electroneutrality),
    unknown g = J/D with c(1) = c_bath for all but the largest ion (implied by neutrality)
    and zero current Σ z D g = 0. Written independently of the kernel (x, not φ, as the
    coordinate; one unknown per ion, not per valence)."""
    cp, cb, z, D = (np.asarray(a, float) for a in (cp, cb, z, D))
    n = len(z)

    def rhs(x, y, g):
        dphi = -np.dot(z, g) / np.dot(z * z, y[:n])
        return np.concatenate([-g - z * y[:n] * dphi, [dphi]])

    def end(g):
        y0 = np.concatenate([cp, [0.0]])
        sol = solve_ivp(rhs, (0, 1), y0, args=(g,), rtol=1e-12, atol=1e-14, method="DOP853")
        return sol.y[:, -1]

    keep = [i for i in range(n) if i != int(np.argmax(cp + cb))]

    def residual(g):
        y = end(g)
        return np.concatenate([(y[:n] - cb)[keep], [np.dot(z * D, g)]])

    g = fsolve(residual, cp - cb, xtol=1e-13)
    assert np.max(np.abs(residual(g))) < 1e-9 * np.max(cp + cb)
    return end(g)[n]


def test_jljp_example():
    """Marino et al. (2014): −20.80 mV published, Henderson ≈ 1 mV less negative; the
    Nernst–Planck solve equals an independent SciPy solve to 1e-3 mV.

    LJPcalc's test of the same example asserts −20.7956 mV: its forward steps in the K⁺
    concentration (1,000 of them) converge to our value at first order (its loop ported to
    Python gives −20.7875, −20.8113, −20.8137 mV for 10³, 10⁴, 10⁵ steps), so the exact
    stationary solution is −20.8139 mV, within 0.014 mV of the published −20.80."""
    v = float(junction_potential(ZN_CP, ZN_CB, ZN_Z, ZN_D, 298.15))
    ref = vt(298.15) * nernst_planck_ref(ZN_CP, ZN_CB, ZN_Z, ZN_D)
    assert abs(v - ref) < 1e-3
    assert abs(v - (-20.80)) < 0.02
    h = float(junction_potential(ZN_CP, ZN_CB, ZN_Z, ZN_D, 298.15, method="henderson"))
    assert 0.8 < h - v < 1.2


def test_ljpcalc_k_gluconate():
    """LJPcalc's K-gluconate known set (Watz & Wolfgang, Patch-Clamp Analysis, p. 191,
    against ACSF; LJPcalc's pipette Na⁺ set to 11 mM for neutrality, as its solver does):
    +13.469 mV at 25 °C by its Nernst–Planck solve (to its own 0.1 mV accuracy), bath
    relative to pipette as ours. Through the public function, by ion name."""
    pipette = {"K+": 130, "Na+": 11, "Mg2+": 2, "gluconate-": 110, "HEPES-": 5, "EGTA2-": 1,
               "Cl-": 24, "ATP2-": 2}  # fmt: skip
    acsf = {"Na+": 152.2, "K+": 3, "Ca2+": 2.4, "Mg2+": 1.5, "Cl-": 133.8, "SO4 2-": 1.5,
            "H2PO4-": 1.2, "HCO3-": 25}  # fmt: skip
    assert abs(float(ionsweep.liquid_junction_potential(pipette, acsf)) - 13.469) < 0.1


def henderson_ref(cp, cb, z, D):
    """Generalized Henderson equation (Barry & Lynch 1991), plain Python floats:
    V = Σ z D Δc / Σ z² D Δc · ln(Σ z² D c_p / Σ z² D c_b), RT/F units."""
    a = sum(zi * d * (b - p) for p, b, zi, d in zip(cp, cb, z, D, strict=True))
    big = sum(zi * zi * d * (b - p) for p, b, zi, d in zip(cp, cb, z, D, strict=True))
    sp = sum(zi * zi * d * p for p, zi, d in zip(cp, z, D, strict=True))
    sb = sum(zi * zi * d * b for b, zi, d in zip(cb, z, D, strict=True))
    return a / big * math.log(sp / sb)


def random_pair(rng, n):
    """A random electroneutral pair of n ions of valences ±1, ±2 (both signs present)."""
    z = np.array([1, -1, 2, -2, 1, -1, 1, -2, -1, 2][:n])
    D = rng.uniform(0.2, 2.0, n)
    sides = []
    for _ in range(2):
        c = rng.uniform(1.0, 100.0, n)
        neg = z < 0
        c[neg] *= np.sum(z[~neg] * c[~neg]) / np.sum(-z[neg] * c[neg])
        sides.append(c)
    return sides[0], sides[1], tuple(int(q) for q in z), D


def test_henderson_against_plain_python():
    rng = np.random.default_rng(7)
    for n in (2, 4, 7, 10):
        cp, cb, z, D = random_pair(rng, n)
        v = float(junction_potential(cp, cb, z, D, 310.0, method="henderson"))
        assert v == pytest.approx(vt(310.0) * henderson_ref(cp, cb, z, D), rel=1e-12)


def test_henderson_near_equal_conductivity():
    """Where Σ z² D c is the same on both sides (the logarithm's argument is 1) the
    Henderson potential is −Σ z D Δc / Σ z² D c, the limit the kernel takes by a series."""
    cp, cb, D = np.array([100.0, 0, 100]), np.array([0.0, 100, 100]), np.array([1.0, 1.0, 2.0])
    v = float(junction_potential(cp, cb, (1, 1, -1), D, 298.15, method="henderson"))
    assert v == pytest.approx(0.0, abs=1e-12)  # equal mobilities: no junction at all
    D = np.array([1.0, 1.0 + 1e-9, 2.0])
    v = float(junction_potential(cp, cb, (1, 1, -1), D, 298.15, method="henderson"))
    limit = -vt(298.15) * (1e-9 * 100) / (1 * 100 + 2 * 100 + 1e-9 * 50)
    assert v == pytest.approx(limit, rel=1e-6)


@pytest.mark.parametrize("n", [4, 10])
def test_nernst_planck_against_scipy(n):
    cp, cb, z, D = random_pair(np.random.default_rng(n), n)
    v = float(junction_potential(cp, cb, z, D, 298.15))
    assert v == pytest.approx(vt(298.15) * nernst_planck_ref(cp, cb, z, D), abs=1e-6)


# Gradients: one program per method, positive concentrations so that central differences
# stay inside the domain.
GRAD_Z = (1, 1, 2, -1, -1, -2)
GRAD_D = np.array([1.0, 0.68, 0.36, 1.04, 0.33, 0.54])
GRAD_CP = np.array([130.0, 10.0, 2.0, 20.0, 120.0, 2.0])
GRAD_CB = np.array([3.0, 145.0, 2.0, 138.0, 10.0, 2.0])


@pytest.fixture(scope="module", params=["nernst-planck", "henderson"])
def grad_setup(request):
    def f(cp, cb, T):
        return junction_potential(cp, cb, GRAD_Z, GRAD_D, T, method=request.param)

    return jax.jit(f), jax.jit(jax.grad(f, argnums=(0, 1, 2)))


def test_gradients_match_central_differences(grad_setup):
    f, g = grad_setup
    gp, gb, gT = g(GRAD_CP, GRAD_CB, 300.0)
    for which, x, grad in ((0, GRAD_CP, gp), (1, GRAD_CB, gb)):
        for i in range(len(x)):
            h = 1e-5 * x[i]
            args = [GRAD_CP.copy(), GRAD_CB.copy()]
            args[which][i] += h
            hi = float(f(*args, 300.0))
            args[which][i] -= 2 * h
            lo = float(f(*args, 300.0))
            fd = (hi - lo) / (2 * h)
            assert float(grad[i]) == pytest.approx(fd, rel=1e-6, abs=1e-9)
    fd_T = (float(f(GRAD_CP, GRAD_CB, 300.01)) - float(f(GRAD_CP, GRAD_CB, 299.99))) / 0.02
    assert float(gT) == pytest.approx(fd_T, rel=1e-6)


def test_vmap_over_mobilities():
    """Mobilities may be traced (an uncertainty study scales them per sample)."""
    scale = jnp.linspace(0.95, 1.05, 3)

    def one(s):
        return ionsweep.liquid_junction_potential(
            {"Na+": 50.0, "Cl-": 50.0}, {"K+": 50.0, "Cl-": 50.0}, mobilities={"K+": s}
        )

    got = jax.jit(jax.vmap(one))(scale)
    D_na, D_cl = relative_mobility("Na+"), relative_mobility("Cl-")
    for s, v in zip(np.asarray(scale), np.asarray(got), strict=True):
        ref = vt(298.15) * nernst_planck_ref([50, 0, 50], [0, 50, 50], [1, 1, -1], [D_na, s, D_cl])
        assert v == pytest.approx(ref, abs=1e-6)


def test_henderson_terms_sum_to_henderson():
    pipette, bath = {"K+": 140.0, "Cl-": 20.0, "Gluconate-": 120.0}, {"Na+": 145.0, "Cl-": 145.0}
    terms = ionsweep.activity.henderson_terms(pipette, bath)
    total = ionsweep.liquid_junction_potential(pipette, bath, method="henderson")
    assert sum(float(v) for v in terms.values()) == pytest.approx(float(total), rel=1e-12)
    assert list(terms) == ["K+", "Cl-", "Gluconate-", "Na+"]


def test_activity_henderson_against_plain_python():
    """With an activity model the Henderson diffusion term uses ln a, with ln γ linear
    across the junction: V = −(a·L + b·M)/s, where a = Σ zD(Δc + c_p δ), b = Σ zDΔc δ,
    s = Σ z²D c_p, r = Σ z²DΔc/s, L = ln(1+r)/r, M = (r − ln(1+r))/r², δ = Δ ln γ, and γ
    from ionsweep.activity_coefficients of each side (Davies)."""
    pipette, bath = {"K+": 140.0, "Cl-": 140.0}, {"Na+": 20.0, "Cl-": 20.0}
    v = float(ionsweep.liquid_junction_potential(pipette, bath, method="henderson",
                                                 activity="davies"))  # fmt: skip
    names = ["K+", "Cl-", "Na+"]
    z, D = [1, -1, 1], [relative_mobility(n) for n in names]
    cp, cb = [140.0, 140.0, 0.0], [0.0, 20.0, 20.0]
    rho = float(ionsweep.activity.water_density(298.15)) / 1000  # mM -> mol/kg
    gp = ionsweep.activity_coefficients("davies", {"K+": 0.14 / rho, "Cl-": 0.14 / rho}, 298.15)
    gb = ionsweep.activity_coefficients("davies", {"Na+": 0.02 / rho, "Cl-": 0.02 / rho}, 298.15)
    ln_p = [math.log(float(gp["K+"])), math.log(float(gp["Cl-"])), math.log(float(gp["K+"]))]
    ln_b = [math.log(float(gb["Na+"])), math.log(float(gb["Cl-"])), math.log(float(gb["Na+"]))]
    delta = [b - p for p, b in zip(ln_p, ln_b, strict=True)]
    a = sum(zi * d * (q - p + p * dl) for zi, d, p, q, dl in zip(z, D, cp, cb, delta, strict=True))
    b = sum(zi * d * (q - p) * dl for zi, d, p, q, dl in zip(z, D, cp, cb, delta, strict=True))
    s = sum(zi * zi * d * p for zi, d, p in zip(z, D, cp, strict=True))
    r = sum(zi * zi * d * (q - p) for zi, d, p, q in zip(z, D, cp, cb, strict=True)) / s
    big_l, big_m = math.log1p(r) / r, (r - math.log1p(r)) / r**2
    assert v == pytest.approx(-vt(298.15) * (a * big_l + b * big_m) / s, rel=1e-9)
    ideal = float(ionsweep.liquid_junction_potential(pipette, bath, method="henderson"))
    assert abs(v - ideal) > 0.05  # the activities do change it


def test_k_gluconate_sign_and_correction_rule():
    """Gluconate is slower than K⁺: the bath charges positive relative to the pipette."""
    v = ionsweep.liquid_junction_potential({"K+": 140, "gluconate-": 140},
                                           {"Na+": 140, "Cl-": 140})  # fmt: skip
    assert float(v) > 10


BAD = [
    ({"Na+": 50, "Cl-": 40}, {"K+": 50, "Cl-": 50}, r"pipette is not electroneutral: Σz·c = \+10"),
    ({"Na+": 5, "Cl-": 5}, {"K+": 50, "SO4 2-": 50}, r"bath is not electroneutral: Σz·c = -50"),
    ({"Na+": -5, "Cl-": -5}, {"K+": 5, "Cl-": 5}, r"pipette\['Na\+'\] must be finite and ≥ 0"),
    ({"Xx+": 5, "Cl-": 5}, {"K+": 50, "Cl-": 50}, r"pipette: unknown ion 'Xx\+'"),
    ({"Guanidinium+": 5, "Cl-": 5}, {"K+": 5, "Cl-": 5}, r"no mobility for ion 'Guanidinium"),
]


@pytest.mark.parametrize(("pipette", "bath", "message"), BAD)
def test_bad_input_raises(pipette, bath, message):
    with pytest.raises(ValueError, match=message):
        ionsweep.liquid_junction_potential(pipette, bath)


def test_bad_method_raises():
    with pytest.raises(ValueError, match="method must be one of"):
        ionsweep.liquid_junction_potential({"K+": 1, "Cl-": 1}, {"K+": 2, "Cl-": 2}, method="x")


def test_nan_and_code_under_jit():
    """Under jit nothing can be checked: NaN, and the code says why (0 undefined,
    3 a side not electroneutral)."""
    z, D = (1, 1, -1), np.array([0.68, 1.0, 1.04])
    cp = np.array([[50.0, 0, 50], [50, 0, 40], [-1, 0, -1], [50, 0, 50]])
    cb = np.array([[0.0, 50, 50], [0, 50, 50], [0, 50, 50], [0, 0, 0]])
    v, code = jax.jit(lambda a, b: junction_potential(a, b, z, D, 298.15, with_code=True))(cp, cb)
    assert np.isfinite(v[0]) and int(code[0]) == 1
    assert np.isnan(v[1]) and int(code[1]) == 3
    assert np.isnan(v[2]) and int(code[2]) == 0
    assert np.isnan(v[3]) and int(code[3]) == 0  # a bath without ions


def test_organic_names_parse():
    for name, z in [("gluconate-", -1), ("HEPES-", -1), ("hepes-", -1), ("EGTA2-", -2),
                    ("SO4 2-", -2), ("MeSO3-", -1), ("NMDG+", 1), ("TEA+", 1), ("Tris+", 1),
                    ("tris+", 1), ("ATP2-", -2), ("ATP 4-", -4), ("GTP3-", -3)]:  # fmt: skip
        assert ionsweep.ions.valence(name) == z


def test_table_covers_the_known_inorganic_ions_and_cites_each_row():
    table = mobility_table()
    inorganic = ["H+", "Li+", "Na+", "K+", "Rb+", "Cs+", "NH4+", "Mg2+", "Ca2+", "Sr2+",
                 "Ba2+", "Mn2+", "Fe2+", "Co2+", "Ni2+", "Cu2+", "Zn2+", "Cd2+", "Fe3+",
                 "Al3+", "La3+", "Gd3+", "F-", "Cl-", "Br-", "I-", "SCN-", "NO3-", "OH-",
                 "HCO3-", "H2PO4-", "HSO4-", "CO3 2-", "SO4 2-", "HPO4 2-", "PO4 3-"]  # fmt: skip
    organic = ["Gluconate-", "Methanesulfonate-", "HEPES-", "EGTA2-", "ATP2-", "GTP3-",
               "TEA+", "Tris+", "NMDG+"]  # fmt: skip
    for name in inorganic + organic:
        assert name in table and table[name].source
    # D = RTλ/(|z|F²): K⁺ 1.957e-5 cm²/s, Ca²⁺ 0.792e-5 (CRC's diffusion coefficients).
    assert relative_mobility("Ca2+") * 1.957 == pytest.approx(0.792, abs=0.002)
