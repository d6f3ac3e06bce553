"""A NaN ln γ stays NaN through every exp of ln γ, under jit on CPU in float32.

XLA:CPU expands a float32 exp inline with a float-to-integer conversion that LLVM treats as
undefined for a NaN; a ln γ masked to NaN by ``jnp.where`` then came out of ``exp`` as a
finite γ (1 for the ideal model), and the potentials built on it as finite numbers. The
points below are invalid because one ion of the inside solution has a negative
concentration (traced: no check refuses it), while the reported ion itself is valid.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
from ionsweep._fastmath import exp_keep_nan
from ionsweep.activity import activity_coefficients, mean_activity_coefficient

f32 = np.float32
N = 16
BAD = np.arange(N) % 3 == 0  # invalid points among valid ones, in one vectorized loop
T = jnp.full(N, 310.15, f32)


def test_exp_keep_nan():
    x = jnp.asarray(np.linspace(-3, 3, N), f32)
    x64 = np.asarray(x, np.float64)

    @jax.jit
    def f(x):  # ln γ of the ideal model (0, NaN where invalid), and one that varies
        bad = x < -1
        ideal = jnp.where(bad, jnp.nan, jnp.zeros_like(x))
        return exp_keep_nan(ideal), exp_keep_nan(jnp.where(bad, jnp.nan, x))

    ideal, varying = f(x)  # plain jnp.exp gave 0 for the first at the NaN points
    np.testing.assert_array_equal(ideal, np.where(x64 < -1, np.nan, 1.0))
    np.testing.assert_allclose(varying, np.where(x64 < -1, np.nan, np.exp(x64)), rtol=2e-7)
    assert ideal.dtype == varying.dtype == jnp.float32
    assert float(jax.grad(exp_keep_nan)(1.0)) == pytest.approx(np.e, rel=1e-15)


def test_activity_coefficients_and_mean():
    m = jnp.asarray(np.where(BAD, -0.1, 0.1), f32)

    @jax.jit
    def gammas(m):
        g = activity_coefficients("ideal", {"Na+": m, "Cl-": jnp.full(N, 0.1, f32)}, T[0],
                                  neutrality_rtol=None)  # fmt: skip
        return g["Na+"], g["Cl-"], mean_activity_coefficient("NaCl", m, T[0], "ideal")

    for g in gammas(m):
        assert g.dtype == jnp.float32
        np.testing.assert_array_equal(np.isnan(g), BAD)  # γ = 1 (ideal) elsewhere
        assert np.all(np.asarray(g)[~BAD] == 1)


def test_activity_corrected_potentials():
    cl = jnp.asarray(np.where(BAD, -150.0, 150.0), f32)
    c_out = {"K+": f32(5), "Na+": f32(145), "Cl-": f32(150)}

    @jax.jit
    def potentials(cl):
        c_in = {"K+": f32(140), "Na+": f32(10), "Cl-": cl}
        E = ionsweep.nernst_activity("K+", c_in, c_out, T, "ideal", neutrality_rtol=None)
        P = jnp.asarray([1.0, 0.05], f32)
        V = ionsweep.ghk_voltage_activity(
            ("K+", "Na+"), P, c_in, c_out, T, "ideal", neutrality_rtol=None
        )
        return E, V

    E, V = potentials(cl)
    np.testing.assert_array_equal(np.isnan(E), BAD)
    np.testing.assert_array_equal(np.isnan(V), BAD)
    # The valid points: the ideal model's potentials are the plain ones (scalar closed forms).
    rt_f = 8.314462618 * 310.15 / 96485.33212 * 1e3
    np.testing.assert_allclose(np.asarray(E)[~BAD], rt_f * np.log(5 / 140), rtol=2e-6)
    want = rt_f * np.log((5 + 0.05 * 145) / (140 + 0.05 * 10))
    np.testing.assert_allclose(np.asarray(V)[~BAD], want, rtol=2e-6)


def test_activity_error_sweep_model():
    model = ionsweep.models.get_model(
        "activity_error", {"ions": ["K+", "Na+", "Cl-"], "balance": "Cl-", "models": ["ideal"]}
    )
    x = {k: jnp.full(N, v, f32) for k, v in (("K_in", 140), ("K_out", 5), ("Na_out", 145))}
    x["Na_in"] = jnp.asarray(np.where(BAD, -50.0, 10.0), f32)  # Cl_in = 90 or 150: positive
    x["T"] = T
    x["activity_model"] = jnp.full(N, ionsweep.activity.model_index("ideal"), f32)
    x |= {i.name: f32(i.default) for i in model.inputs if i.default is not None and i.name not in x}
    out = jax.jit(model.fn)(x)
    for name in ("E_K", "gamma_in_K", "gamma_in_Na"):
        np.testing.assert_array_equal(np.isnan(out[name]), BAD, err_msg=name)
    assert np.all(np.isfinite(out["gamma_out_K"]))  # the outside solution is valid
