"""ΔE, the activity error of a Nernst potential: one formula, accurate in float32."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
from ionsweep.activity import delta_E

# R and F from the exact SI constants (2019): N_A, k and e; RT/F in mV per K.
_N_A, _K_B, _E = 6.02214076e23, 1.380649e-23, 1.602176634e-19
_R_OVER_F_MV = 1000.0 * (_N_A * _K_B) / (_N_A * _E)


def _closed_form(z, T, lg_in, lg_out):
    """(RT/zF)·(ln γ_out − ln γ_in) in float64 from the very float32 numbers given."""
    lg_in, lg_out, T = (np.asarray(a, np.float64) for a in (lg_in, lg_out, T))
    return _R_OVER_F_MV * T * (lg_out - lg_in) / z


def _cases():
    """Tiny activity errors: γ_out/γ_in = exp(δ) ≈ 1 + δ with δ from 1e-7 to 1e-4."""
    lg_in = np.float32([-0.05, -0.25, -0.7, -1.3]).reshape(-1, 1)
    delta = np.float32([1e-7, 1e-6, 1e-5, 1e-4])
    lg_out = (lg_in + delta).astype(np.float32)  # the float32 numbers both methods receive
    return lg_in, lg_out


@pytest.mark.parametrize(("z", "T"), [(1, 310.15), (-1, 298.15), (2, 277.15)])
def test_float32_delta_E_keeps_its_relative_accuracy_where_a_difference_of_potentials_cannot(z, T):
    lg_in, lg_out = _cases()
    T32 = np.float32(T)
    expected = _closed_form(z, T32, lg_in, lg_out)
    got = delta_E(z, T32, lg_in, lg_out)
    assert got.dtype == jnp.float32
    # a few float32 roundings: the difference of ln γ is exact (Sterbenz), RT/zF·Δ adds ~3 ulp
    np.testing.assert_allclose(np.asarray(got, np.float64), expected, rtol=1e-6, atol=0)
    # The old way, E(model) − E(ideal), for E_K-like gradients of 140 mM / 5 mM: each E is
    # ~90 mV, known to ~1e-5 mV in float32, while ΔE is ~2.7e-6 .. 2.7e-3 mV.
    c_in, c_out = np.float32(140.0), np.float32(5.0)
    old = ionsweep.nernst(c_in, c_out, z, T32, jnp.exp(lg_in), jnp.exp(lg_out)) - ionsweep.nernst(
        c_in, c_out, z, T32
    )
    assert old.dtype == jnp.float32
    old_error = np.max(np.abs(np.asarray(old, np.float64) / expected - 1))
    assert old_error > 1e-2  # (the new form is > 1e4 times closer)


def test_reference_terms_and_defined_points():
    lg_in = np.array([-0.3, -0.3, -0.3])
    lg_out = np.array([-0.2, -0.2, -0.2])
    ref_in, ref_out = np.array([-0.1, -0.1, -0.1]), np.array([-0.15, -0.15, -0.15])
    got = delta_E(
        2, 310.15, lg_in, lg_out, ref_in, ref_out, c_in=[1.0, 0.0, 1.0], c_out=[2.0, 2.0, np.inf]
    )
    want = _R_OVER_F_MV * 310.15 / 2 * ((-0.2 + 0.3) - (-0.15 + 0.1))
    np.testing.assert_allclose(got[0], want, rtol=1e-14)
    assert np.isnan(got[1]) and np.isnan(got[2])  # c_in = 0, c_out = inf: E undefined
    assert np.isnan(delta_E(1, 0.0, -0.1, -0.2))  # T = 0 K
    assert delta_E(1, 310.15, lg_in, lg_out, lg_in, lg_out).tolist() == [0.0, 0.0, 0.0]


# Equal ionic strengths on both sides (mM): 0.5·Σz²c = 150 inside and outside, so every
# ionic-strength model gives the same γ on both sides and ΔE = 0, while E_K ≈ −89 mV, whose
# float32 ulp is 7.6e-6 mV. activity_error_ghk sums I in mM (exactly 150) before converting
# to mol/kg: ΔE is exactly 0. activity_error converts each ion to mol/kg first, so the two
# sides' I differ by float32 rounding (~1e-8 relative): |ΔE| ≲ (RT/F)·1e-8·|d ln γ/d ln I|.
_EQUAL_I = {"K_in": 140.0, "Na_in": 10.0, "K_out": 5.0, "Na_out": 145.0}


@pytest.mark.parametrize(("name", "atol"), [("activity_error", 2e-6), ("activity_error_ghk", 0.0)])
def test_sweep_models_compute_delta_E_without_cancellation_in_float32(name, atol):
    model = ionsweep.models.get_model(
        name, {"ions": ["K+", "Na+", "Cl-"], "balance": "Cl-", "models": ["ideal", "davies"]}
    )
    x = {k: jnp.full(3, v, jnp.float32) for k, v in _EQUAL_I.items()}
    x["T"] = jnp.float32([283.15, 298.15, 310.15])
    x["activity_model"] = jnp.full(3, ionsweep.activity.model_index("davies"), jnp.float32)
    x |= {i.name: jnp.float32(i.default) for i in model.inputs if i.default is not None}
    out = jax.jit(model.fn)(x)  # one compilation rather than many eager ops
    assert out["dE_K"].dtype == jnp.float32
    assert np.all(np.asarray(out["E_K"]) < -80)
    assert np.all(np.abs(np.asarray(out["dE_K"])) <= atol)
    assert np.all(np.abs(np.asarray(out["dE_Na"])) <= atol)


def test_public_activity_error_float32_matches_the_sweep_model():
    c_in = {"K+": np.float32(140.0), "Na+": np.float32(10.0), "Cl-": np.float32(150.0)}
    c_out = {"K+": np.float32(5.0), "Na+": np.float32(145.0), "Cl-": np.float32(150.0)}
    dE = ionsweep.activity_error("K+", c_in, c_out, np.float32(310.15), "davies")
    assert dE.dtype == jnp.float32 and abs(float(dE)) <= 2e-6  # as the activity_error model
