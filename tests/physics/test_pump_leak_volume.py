"""Pump–leak–Donnan steady state against an independent scalar brentq solve, closed forms,
the Mullins–Noda and Goldman equations, the Donnan limit, and implicit gradients."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.optimize import brentq

import ionsweep
from ionsweep.physics import _pump_leak_solve, pump_leak_volume

# R = N_A k, F = N_A e from the exact 2019 SI defining constants (CODATA 2018).
R = 6.02214076e23 * 1.380649e-23
F = 6.02214076e23 * 1.602176634e-19

steady = jax.jit(ionsweep.pump_leak_steady_state)

# A neuron-like reference point: pump 20 pmol/(cm² s), P_K 1e-6 cm/s, P_Na/P_K = 0.05,
# bath 145 Na / 5 K / 150 Cl mM, 400 mM·µm of monovalent impermeant anion, 37 °C.
BASE = dict(
    pump_flux=20.0,
    P_K=1e-6,
    P_Na=5e-8,
    P_Cl=1e-6,
    K_out=5.0,
    Na_out=145.0,
    Cl_out=150.0,
    impermeant=400.0,
    z_impermeant=-1.0,
    T=310.15,
    r=1.5,
    osmolyte_out=0.0,
)
NAMES = tuple(BASE)


# ---------------------------------------------------------------------------------------
# Independent scalar implementation: the same physics written directly from the GHK flux
# balances, reduced to the neutrality residual N(v) with the impermeant concentration from
# the osmotic balance, bracketed on the admissible interval (Na_in >= 0, c_X > 0) found by
# two auxiliary brentq solves, and solved with brentq.
# ---------------------------------------------------------------------------------------
def _ions(v, Na_o, K_o, Cl_o, phN, phK):
    # GHK: outward flux P (c_in B(-v) - c_out B(v)), B(u) = u/(e^u - 1); Na: -pump, K: +pump/r.
    b_pos = 1.0 if v == 0 else v / math.expm1(v)  # B(v)
    b_neg = 1.0 if v == 0 else -v / math.expm1(-v)  # B(-v)
    Na_i = (Na_o * b_pos - phN) / b_neg
    K_i = (K_o * b_pos + phK) / b_neg
    Cl_i = Cl_o * math.exp(v)
    return Na_i, K_i, Cl_i


def ref_state(p, P_K, P_Na, P_Cl, K_o, Na_o, Cl_o, X, z, T, r=1.5, extra=0.0):
    """(V mV, Na_i, K_i, Cl_i, volume µm) or None; float64 scalar code, brentq xtol 1e-15."""
    phN = 1e-6 * p / P_Na
    phK = 1e-6 * p / (r * P_K)
    O = Na_o + K_o + Cl_o + extra

    def charge(v):  # inside permeant charge, decreasing in v on the Na-admissible side
        Na_i, K_i, Cl_i = _ions(v, Na_o, K_o, Cl_o, phN, phK)
        return Na_i + K_i - Cl_i

    def neutrality(v):  # inside net charge with c_X = O - Na - K - Cl
        Na_i, K_i, Cl_i = _ions(v, Na_o, K_o, Cl_o, phN, phK)
        return Na_i + K_i - Cl_i + z * (O - Na_i - K_i - Cl_i)

    lo, hi = -30.0, 30.0
    na_at = lambda v: _ions(v, Na_o, K_o, Cl_o, phN, phK)[0]  # noqa: E731
    if na_at(lo) < 0:
        return None
    if na_at(hi) < 0:
        hi = brentq(na_at, lo, hi, xtol=1e-15, rtol=1e-15)
    # c_X = -charge/z > 0: charge > 0 for z < 0 (left part), charge < 0 for z > 0 (right).
    if charge(lo) > 0 > charge(hi):
        v_sc = brentq(charge, lo, hi, xtol=1e-15, rtol=1e-15)
        lo, hi = (lo, v_sc) if z < 0 else (v_sc, hi)
    elif (charge(hi) >= 0) if z > 0 else (charge(lo) <= 0):
        return None
    a, b = neutrality(lo), neutrality(hi)
    if not a * b < 0:
        return None
    v = brentq(neutrality, lo, hi, xtol=1e-15, rtol=1e-15)
    Na_i, K_i, Cl_i = _ions(v, Na_o, K_o, Cl_o, phN, phK)
    c_X = O - Na_i - K_i - Cl_i
    if c_X <= 1e-9 * O or Na_i < 0:
        return None
    return 1000 * R * T / F * v, Na_i, K_i, Cl_i, X / c_X


N_BATCH = 400


def state(**kw):
    """The kernel on BASE updated by ``kw``, every input padded to one (N_BATCH,) shape so that
    all tests share one compiled program; results are cut back to the longest input."""
    kw = {**BASE, **kw}
    n = max(np.size(v) for v in kw.values())
    padded = {
        k: np.pad(
            np.broadcast_to(np.asarray(v, np.float64).ravel(), (n,)), (0, N_BATCH - n), "edge"
        )
        for k, v in kw.items()
    }
    out = steady(**padded)
    cut = [np.asarray(a)[:n] for a in out]
    return ionsweep.physics.PumpLeakState(*(c if n > 1 else c[0] for c in cut))


def random_inputs(n, seed):
    rng = np.random.default_rng(seed)

    def lu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    P_K = lu(1e-7, 1e-5)
    P_Na = P_K * lu(3e-3, 0.5)
    Na_out = rng.uniform(100, 450, n)
    # Pump flux relative to the Na leak at V = 0 (beyond ~1 often no steady state).
    p = 1e6 * P_Na * Na_out * rng.uniform(0, 2.5, n)
    z = rng.choice([-1.0, -0.85, -0.5, -1.5, -2.0, 0.7, 1.0, 2.0], n)
    return dict(
        pump_flux=p,
        P_K=P_K,
        P_Na=P_Na,
        P_Cl=lu(1e-9, 1e-5),
        K_out=rng.uniform(1, 30, n),
        Na_out=Na_out,
        Cl_out=rng.uniform(50, 550, n),
        impermeant=lu(10, 1e4),
        z_impermeant=z,
        T=rng.uniform(273, 323, n),
        r=rng.uniform(1.0, 2.0, n),
        osmolyte_out=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 100, n)),
    )


def test_against_scalar_brentq():
    inp = random_inputs(N_BATCH, seed=170)
    got = state(**inp)
    n_valid = 0
    for i in range(N_BATCH):
        want = ref_state(*(inp[k][i] for k in NAMES))
        row = [float(a[i]) for a in got[:5]]
        if want is None:
            assert not bool(got.valid[i]) and all(math.isnan(a) for a in row), i
            continue
        n_valid += 1
        assert bool(got.valid[i]), i
        assert abs(row[0] - want[0]) <= 1e-9, (i, row[0], want[0])
        np.testing.assert_allclose(row[1:], want[1:], rtol=1e-9, atol=1e-12, err_msg=str(i))
    # Both outcomes are exercised in quantity.
    assert 100 < n_valid < 350, n_valid


def test_docstring_point_and_units():
    s = state()
    # Hand check of the balances at the returned state, in SI-consistent units:
    # Na+ leak (cm/s · mM = µmol/(cm² s)) equals the pump's 20 pmol/(cm² s).
    v = float(s.V) * F / (1000 * R * BASE["T"])
    b = lambda u: u / math.expm1(u)  # noqa: E731
    na_leak_in = BASE["P_Na"] * (BASE["Na_out"] * b(v) - float(s.Na_in) * b(-v))
    k_leak_out = BASE["P_K"] * (float(s.K_in) * b(-v) - BASE["K_out"] * b(v))
    assert na_leak_in * 1e6 == pytest.approx(20.0, rel=1e-12)
    assert k_leak_out * 1e6 == pytest.approx(20.0 / 1.5, rel=1e-12)
    c_X = BASE["impermeant"] / float(s.volume)
    inside = float(s.Na_in) + float(s.K_in) + float(s.Cl_in)
    assert inside + c_X == pytest.approx(300.0, rel=1e-13)  # isosmotic
    assert inside - 2 * float(s.Cl_in) - c_X == pytest.approx(0.0, abs=1e-11)  # neutral


def test_closed_form_monovalent_impermeant_neutral_bath():
    # z = -1 and Cl_out = Na_out + K_out (no outside osmolyte): isosmosis and neutrality give
    # Na_i + K_i = Na_out + K_out, i.e. e^(-v)(A + δ k(v)) = A with k(v) = (e^v - 1)/v, whose
    # root is exactly v = δ / A, δ = φ_K − φ_Na, A = Na_out + K_out.
    p = np.array([0.5, 5.0, 12.0, 18.0, 20.0])
    s = state(pump_flux=p)
    phN = 1e-6 * p / BASE["P_Na"]
    phK = 1e-6 * p / (BASE["r"] * BASE["P_K"])
    v = (phK - phN) / 150.0
    np.testing.assert_allclose(s.V, 1000 * R * BASE["T"] / F * v, rtol=1e-12)
    x, k = np.exp(-v), np.expm1(v) / v
    np.testing.assert_allclose(s.Na_in, x * (145.0 - phN * k), rtol=1e-11)
    np.testing.assert_allclose(s.Cl_in, 150.0 / x, rtol=1e-12)


def test_mullins_noda_and_goldman_at_the_computed_internal_ions():
    inp = random_inputs(N_BATCH, seed=171)
    s = state(**inp)
    ok = np.asarray(s.valid)
    # Mullins–Noda: with Cl- at equilibrium the K+ and Na+ leaks balance the r:1 pump.
    V_mn = ionsweep.pump_leak_voltage(
        inp["P_K"], inp["P_Na"], s.K_in, inp["K_out"], s.Na_in, inp["Na_out"], inp["T"], inp["r"]
    )
    np.testing.assert_allclose(np.asarray(s.V)[ok], np.asarray(V_mn)[ok], atol=1e-9)
    # An electroneutral pump (r = 1) leaves no net passive current: V is the GHK voltage.
    inp["r"] = np.ones(N_BATCH)
    s = state(**inp)
    ok = np.asarray(s.valid)
    assert ok.sum() > 50
    V_ghk = ionsweep.ghk_voltage(
        np.stack([inp["P_K"], inp["P_Na"], inp["P_Cl"]], -1),
        np.stack([s.K_in, s.Na_in, s.Cl_in], -1),
        np.stack([inp["K_out"], inp["Na_out"], inp["Cl_out"]], -1),
        jnp.array([1, 1, -1]),
        inp["T"],
    )
    np.testing.assert_allclose(np.asarray(s.V)[ok], np.asarray(V_ghk)[ok], atol=1e-9)


def test_pump_balanced_by_permeabilities_is_donnan_like():
    # P_Na = r P_K makes φ_Na = φ_K: the pump drops out of Na_i + K_i and the state is the
    # Donnan equilibrium of the bath with the impermeant charge (here finite thanks to an
    # outside osmolyte); Na_i alone still carries the pump.
    s = state(P_Na=1.5e-6, osmolyte_out=40.0)
    c_X = BASE["impermeant"] / float(s.volume)
    V_d, c_in = ionsweep.donnan([145.0, 5.0, 150.0], [1, 1, -1], -c_X, BASE["T"])
    assert float(s.V) == pytest.approx(float(V_d), abs=1e-9)
    assert float(s.Na_in + s.K_in) == pytest.approx(float(c_in[0] + c_in[1]), rel=1e-12)
    assert float(s.Cl_in) == pytest.approx(float(c_in[2]), rel=1e-12)


def test_chloride_permeability_drops_out():
    P_Cl = jnp.array([0.0, 1e-14, 1e-9, 1e-6, 1e-2])
    s = state(P_Cl=P_Cl)
    for a in s[:5]:
        np.testing.assert_allclose(a, a[0], rtol=1e-14)
    g = grads(*(jnp.float64(BASE[k]) for k in NAMES))
    assert all(float(a) == 0.0 for a in g[3])  # d(outputs)/d(P_Cl)


def test_donnan_limit_as_the_pump_stops():
    p = np.array([1e-1, 1e-2, 1e-3, 1e-4])
    s = state(pump_flux=p)
    assert np.all(np.asarray(s.valid))
    # Volume grows like 1/pump_flux: for z = -1 and a neutral bath v = −(φ_Na − φ_K)/A
    # exactly (see the closed-form test), so c_X = A(1 − e^v) -> φ_Na − φ_K.
    d = 1e-6 * (1 / BASE["P_Na"] - 1 / (BASE["r"] * BASE["P_K"])) * p
    A = 150.0
    np.testing.assert_allclose(s.volume, BASE["impermeant"] / (-A * np.expm1(-d / A)), rtol=1e-9)
    np.testing.assert_allclose(s.volume[-1] * d[-1], BASE["impermeant"], rtol=1e-5)
    # ... and the ions approach the bath, as Donnan's distribution for the same impermeant
    # charge does: the two differ by O(pump_flux) (the pump's φ terms are of the order of
    # c_X itself, so V is about twice Donnan's, and both vanish).
    c_X = BASE["impermeant"] / np.asarray(s.volume)
    V_d, c_in = ionsweep.donnan(
        jnp.array([145.0, 5.0, 150.0]), jnp.array([1, 1, -1]), -c_X, BASE["T"]
    )
    err_V = np.abs(np.asarray(s.V) - np.asarray(V_d))
    err_c = np.max(np.abs(np.stack([s.Na_in, s.K_in, s.Cl_in], -1) - c_in), axis=-1)
    np.testing.assert_allclose(err_V[1:] / err_V[:-1], 0.1, rtol=0.02)
    np.testing.assert_allclose(err_c[1:] / err_c[:-1], 0.1, rtol=0.02)
    # With an outside osmolyte the pump-free state is a finite Donnan equilibrium, and the
    # pump-leak state converges to it as the pump stops.
    pe = np.array([1e-2, 1e-3, 1e-4, 0.0])
    s = state(pump_flux=pe, osmolyte_out=30.0)
    c_X = BASE["impermeant"] / float(s.volume[-1])
    V_d, c_in = ionsweep.donnan([145.0, 5.0, 150.0], [1, 1, -1], -c_X, BASE["T"])
    assert float(s.V[-1]) == pytest.approx(float(V_d), abs=1e-9)
    np.testing.assert_allclose([s.Na_in[-1], s.K_in[-1], s.Cl_in[-1]], c_in, rtol=1e-10)
    rel = np.abs(s.V[:-1] / float(V_d) - 1)
    np.testing.assert_allclose(rel[1:] / rel[:-1], 0.1, rtol=0.02)
    assert rel[-1] < 3e-4
    # With the pump stopped and nothing outside to balance the impermeant: unbounded volume.
    s0 = state(pump_flux=0.0)
    assert not bool(s0.valid) and math.isnan(float(s0.volume))


def test_pump_outrunning_the_leak_has_no_steady_state():
    p = np.linspace(20.0, 60.0, 41)
    s = state(pump_flux=p)
    valid = np.asarray(s.valid)
    # Valid up to a threshold flux, none beyond (Na_in reaches 0 first for these inputs).
    k = int(valid.sum())
    assert 0 < k < 41 and valid[:k].all() and not valid[k:].any()
    assert np.isnan(np.asarray(s.V)[k:]).all()
    assert float(s.Na_in[k - 1]) < 0.2 * float(s.Na_in[0])


@pytest.mark.parametrize(
    "bad",
    [
        dict(pump_flux=-1.0),
        dict(K_out=-1.0),
        dict(z_impermeant=0.0),
        dict(T=0.0),
        dict(P_Na=0.0),
        dict(impermeant=0.0),
        dict(r=0.0),
        dict(osmolyte_out=jnp.nan),
    ],
)
def test_invalid_input_is_nan(bad):
    s = state(**bad)
    assert not bool(s.valid)
    assert all(math.isnan(float(a)) for a in s[:5])


def _outputs(*args):
    s = ionsweep.pump_leak_steady_state(*args)
    return jnp.stack([s.V, s.Na_in, s.K_in, s.Cl_in, s.volume])


# One compiled Jacobian (forward mode) for every gradient test below.
grads = jax.jit(jax.jacfwd(_outputs, argnums=tuple(range(12))))
GRAD_POINT = {**BASE, "z_impermeant": -0.85, "osmolyte_out": 20.0, "pump_flux": 12.0}


def test_check_grads_every_input():
    kw = GRAD_POINT
    scale = [kw[k] for k in NAMES]  # check in units of each input's own size
    assert bool(state(**kw).valid)

    @jax.jit
    def scaled(*u):
        return _outputs(*(ui * si for ui, si in zip(u, scale, strict=True)))

    ones = tuple(jnp.float64(1.0) for _ in NAMES)
    check_grads(scaled, ones, order=1, modes=("fwd", "rev"), eps=1e-5)


@pytest.mark.parametrize(
    "point",
    [
        GRAD_POINT,
        {**GRAD_POINT, "z_impermeant": -1.6},
        {**GRAD_POINT, "z_impermeant": 0.6, "Cl_out": 250.0, "pump_flux": 2.0},
        {**GRAD_POINT, "z_impermeant": -1.0, "osmolyte_out": 0.0, "r": 1.0},
    ],
)
def test_implicit_gradients_against_scalar_finite_differences(point):
    args = [point[k] for k in NAMES]
    jac = grads(*map(jnp.float64, args))
    for j, name in enumerate(NAMES):
        h = 1e-5 * abs(args[j]) if args[j] else 1e-5
        up, dn = list(args), list(args)
        up[j] += h
        dn[j] -= h
        fd = (np.array(ref_state(*up)) - np.array(ref_state(*dn))) / (2 * h)
        np.testing.assert_allclose(
            np.asarray(jac[j]), fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max() + 1e-300, err_msg=name
        )


def test_several_states_never_returns_the_unstable_one():
    # |z| > 1 admits several states: this case (found by a randomized search) has two valid
    # ones, at v ≈ 2.20 and v ≈ 2.88. The residual crosses zero upwards at the first (stable
    # to slow volume change: the osmotic excess inside grows with c_X there), downwards at
    # the second, which the bracketing solve cannot return. As documented, the solve may
    # also settle on the boundary of the admissible interval and report no state.
    phN, phK = 12.514794518359812, 404.8245652581667
    kw = dict(
        pump_flux=1.0,
        P_K=1e-6 / phK,
        P_Na=1e-6 / phN,
        P_Cl=1e-6,
        K_out=32.65546929538466,
        Na_out=108.00285056564789,
        Cl_out=5.125962946753204,
        impermeant=100.0,
        z_impermeant=-11.098863439245392,
        T=310.15,
        r=1.0,
        osmolyte_out=86.07849030452421,
    )
    s = state(**kw)
    v = float(s.V) * F / (1000 * R * 310.15)
    # The two states, each bracketed by hand, with the reference's admissibility check.
    phi = (kw["Cl_out"], kw["Na_out"], kw["K_out"])
    O = sum(phi) + kw["osmolyte_out"]
    z = kw["z_impermeant"]

    def neutrality(v):
        Na_i, K_i, Cl_i = _ions(v, kw["Na_out"], kw["K_out"], kw["Cl_out"], phN, phK)
        return Na_i + K_i - Cl_i + z * (O - Na_i - K_i - Cl_i)

    for lo, hi, want in [(2.1, 2.5, 2.2022302629395836), (2.6, 3.0, 2.880332544401865)]:
        root = brentq(neutrality, lo, hi, xtol=1e-15)
        Na_i, K_i, Cl_i = _ions(root, kw["Na_out"], kw["K_out"], kw["Cl_out"], phN, phK)
        assert root == pytest.approx(want, abs=1e-9)
        assert Na_i > 0 and O - Na_i - K_i - Cl_i > 0
    if bool(s.valid):
        assert v == pytest.approx(2.2022302629395836, abs=1e-8)
    else:
        assert math.isnan(v)


def test_jit_vmap_and_no_retrace():
    traces = {"n": 0}

    def f(p, P_Na):
        traces["n"] += 1
        return ionsweep.pump_leak_steady_state(
            p, 1e-6, P_Na, 1e-6, 5.0, 145.0, 150.0, 400.0, -1, 310.15
        )

    jf = jax.jit(f)
    jf(jnp.array([5.0, 10.0]), jnp.array([5e-8, 6e-8]))
    b = jf(jnp.array([15.0, 20.0]), jnp.array([5e-8, 7e-8]))
    assert traces["n"] == 1
    v = jax.vmap(f)(jnp.array([15.0, 20.0]), jnp.array([5e-8, 7e-8]))
    for x, y in zip(b, v, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-14)
    want = state(pump_flux=[15.0, 20.0], P_Na=[5e-8, 7e-8])
    np.testing.assert_allclose(b.V, want.V, rtol=1e-14)
    # Broadcasting: a (3, 1) pump axis against a (4,) permeability axis (shapes only).
    shapes = jax.eval_shape(
        ionsweep.pump_leak_steady_state,
        *(
            jnp.ones((3, 1)) if k == "pump_flux" else jnp.ones(4) if k == "P_Na" else BASE[k]
            for k in NAMES
        ),
    )
    assert all(a.shape == (3, 4) for a in shapes)
    assert shapes.valid.dtype == jnp.bool_


# ---------------------------------------------------------------------------------------
# The two solve paths and the fused helpers they use.
# ---------------------------------------------------------------------------------------
_fast = jax.jit(_pump_leak_solve._fast)
_robust = jax.jit(_pump_leak_solve._robust)


def test_halley_path_agrees_with_the_safeguarded_solve():
    # The straight-line Halley path settles most points (the rest, here mostly points
    # without a steady state, go to the safeguarded Newton-bisection); where it settles a
    # point the safeguarded solve of the guarded log residual finds the same root.
    inp = random_inputs(N_BATCH, seed=172)
    raw = [jnp.asarray(inp[k]) for k in NAMES]
    v_fast = np.asarray(_fast(*raw))
    valid, args = _pump_leak_solve._prepare(*raw)
    v_safe = np.asarray(_robust(valid, *args))
    settled = np.isfinite(v_fast)
    assert 150 < settled.sum() < N_BATCH, settled.sum()
    np.testing.assert_allclose(v_fast[settled], v_safe[settled], rtol=0, atol=1e-14)
    # Points it certifies as having no steady state (the pump outruns the Na+ leak: see
    # the module doc) have none by the brentq reference either.
    none = np.isinf(v_fast) & np.asarray(valid)
    assert none.sum() > 20, none.sum()
    assert all(ref_state(*(inp[k][i] for k in NAMES)) is None for i in np.flatnonzero(none))
    # Physiological cells (the benchmark's ranges): every point is settled on the fast path.
    rng = np.random.default_rng(173)
    u = rng.uniform
    P_K = 10 ** u(-6.5, -5.5, N_BATCH)
    P_Na = P_K * 10 ** u(-2, -1, N_BATCH)
    Na = u(130, 150, N_BATCH)
    cells = [1e6 * P_Na * Na * u(0.05, 1.2, N_BATCH), P_K, P_Na, u(1e-7, 1e-5, N_BATCH)]
    cells += [u(3, 8, N_BATCH), Na, u(130, 160, N_BATCH), u(200, 600, N_BATCH)]
    cells += [u(-1.3, -0.7, N_BATCH), u(293, 310, N_BATCH), u(1.3, 1.7, N_BATCH)]
    cells += [u(0, 30, N_BATCH)]
    assert np.isfinite(np.asarray(_fast(*map(jnp.asarray, cells)))).all()
    # A few points the Halley path leaves undecided among many it settles: they are
    # gathered and solved alone (at most 64 of 400 here); all agree with brentq.
    hard = np.flatnonzero(np.isnan(v_fast))[:10]
    mixed = {k: np.array(c) for k, c in zip(NAMES, cells, strict=True)}
    for k in NAMES:
        mixed[k][:10] = inp[k][hard]
    got = state(**mixed)
    for i in range(N_BATCH):
        want = ref_state(*(mixed[k][i] for k in NAMES))
        if want is None:
            assert not bool(got.valid[i]), i
        else:
            assert abs(float(got.V[i]) - want[0]) <= 1e-9, i
            np.testing.assert_allclose(float(got.volume[i]), want[4], rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_exp_and_reciprocal(dtype):
    # _exp and _recip are built from multiplications, additions and bitcasts (so that
    # XLA:CPU fuses them); against NumPy's float64 exp and division, within 2 ulp.
    eps = np.finfo(dtype).eps
    v = np.linspace(-40, 40, 20001).astype(dtype)
    got = np.asarray(jax.jit(pump_leak_volume._exp)(jnp.asarray(v)), np.float64)
    assert np.max(np.abs(got / np.exp(v.astype(np.float64)) - 1)) <= 2 * eps
    y = np.concatenate([np.geomspace(1e-30, 1e30, 20001), -np.geomspace(1e-20, 1e20, 101)])
    y = y.astype(dtype)
    got = np.asarray(jax.jit(pump_leak_volume._recip)(jnp.asarray(y)), np.float64)
    assert np.max(np.abs(got * y.astype(np.float64) - 1)) <= 2 * eps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_exp_and_reciprocal_are_nan_outside_their_domains(dtype):
    # Outside their domains the exponent-field arithmetic gave garbage (float32: e^−100 =
    # −4.3e33, e^100 = −2.3e−34, 1/inf = −inf, 1/1e38 = 0); now NaN, also for a NaN that
    # reaches them as the constant of a jnp.where inside one fused loop.
    big = 100.0 if dtype == np.float32 else 800.0
    v = np.array([big, -big, 1e4, -1e4, np.inf, -np.inf, np.nan], dtype)
    assert np.all(np.isnan(jax.jit(pump_leak_volume._exp)(jnp.asarray(v))))
    huge = 1e38 if dtype == np.float32 else 1e308
    sub = np.finfo(dtype).tiny / 4  # a subnormal
    y = np.array([0.0, -0.0, sub, -sub, huge, -huge, np.inf, -np.inf, np.nan], dtype)
    assert np.all(np.isnan(jax.jit(pump_leak_volume._recip)(jnp.asarray(y))))
    x = jnp.asarray([-1.0, 0.5, 2.0], dtype)

    @jax.jit
    def masked(x):  # NaN selected in the same loop as the fused functions
        m = jnp.where(x < 0, jnp.nan, x)
        return pump_leak_volume._exp(m), pump_leak_volume._recip(m)

    for got, want in zip(masked(x), (np.exp, np.reciprocal), strict=True):
        assert np.isnan(got[0])
        np.testing.assert_allclose(got[1:], want(np.asarray(x[1:], np.float64)), rtol=4e-7)
