"""Choosing an activity model by a (traced) value: the one dispatch of the registry."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
from ionsweep.activity import ion_form, ionic_strength, log_gamma, select_model

NAMES = ("K+", "Na+", "Ca2+", "Cl-")
M = np.array([[0.14, 0.01, 0.002, 0.154], [0.005, 0.145, 0.002, 0.154], [0.0, 0.0, 0.0, 0.0]])
T = np.array([298.15, 310.15, 277.15])
MODELS = ("ideal", "davies", "truesdell_jones")
CODES = (0, 4, 3)  # the models' indices in ionsweep.activity.MODELS


def _lg(model):
    return log_gamma(model, NAMES, M, T)


# one compilation for scalar indices, one for arrays of indices of one shape
_select = jax.jit(lambda i: select_model(i, MODELS, _lg, codes=CODES))
_direct = jax.jit(lambda: {c: _lg(m) for m, c in zip(MODELS, CODES, strict=True)})


def test_scalar_index_is_a_switch_and_an_array_index_a_select():
    scalar = jax.make_jaxpr(lambda i: select_model(i, MODELS, _lg, codes=CODES))(4)
    batch = jax.make_jaxpr(lambda i: select_model(i, MODELS, _lg, codes=CODES))(jnp.zeros((3, 1)))
    assert "cond[" in str(scalar)  # lax.switch: only the chosen model runs
    assert "cond[" not in str(batch)  # every model, then a select per point


def test_codes_pick_their_model_and_other_values_give_nan():
    direct = _direct()
    for code in CODES:
        np.testing.assert_allclose(_select(code), direct[code], rtol=1e-14, atol=0)
    assert np.all(np.isnan(_select(1)))
    got = np.asarray(_select(np.array([4, 0, 7])[:, None]))  # one model per row
    np.testing.assert_allclose(got[0], direct[4][0], rtol=1e-14, atol=0)
    np.testing.assert_allclose(got[1], direct[0][1], rtol=1e-14, atol=0)
    assert np.all(np.isnan(got[2]))


def test_unmatched_scalar_index_stays_nan_through_a_float32_exp():
    m = jnp.asarray(M, jnp.float32)

    @jax.jit
    def gamma(i):
        lg = select_model(i, MODELS, lambda k: log_gamma(k, NAMES, m, T.astype(np.float32)))
        return jnp.exp(lg)

    assert np.all(np.isnan(gamma(jnp.float32(101.0))))
    np.testing.assert_allclose(gamma(jnp.float32(1.0)), np.exp(_lg("davies")), rtol=1e-6)


@pytest.mark.parametrize("model", ["ideal", "debye_huckel", "davies", "davies_0.2"])
def test_ion_form_is_log_gamma_one_ion_at_a_time(model):
    I = np.asarray(ionic_strength(M, NAMES))
    expected = np.asarray(log_gamma(model, NAMES, M, T))
    for k, name in enumerate(NAMES):
        np.testing.assert_allclose(ion_form(model)(name, I, T), expected[:, k], rtol=1e-13)
    assert ion_form("pitzer") is None and ion_form("pitzer:hmw84") is None
    with pytest.raises(ValueError, match="unknown activity model 'nope'"):
        ion_form("nope")


@pytest.mark.parametrize("name", ["activity_error", "activity_error_ghk"])
def test_activity_model_axis_equals_each_model_fixed(name):
    """A swept activity_model (array, select) gives what each fixed model (scalar, switch) does."""
    options = {"ions": ["K+", "Na+", "Cl-"], "balance": "Cl-", "models": ["ideal", "davies"]}
    model = ionsweep.models.get_model(name, options)
    x = {"K_in": 140.0, "Na_in": 10.0, "K_out": np.array([5.0, 40.0]), "Na_out": 145.0}
    x |= {"T": 310.15} | {i.name: i.default for i in model.inputs if i.default is not None}
    fn = jax.jit(model.fn)
    codes = (0, 4)
    axis = fn(x | {"activity_model": np.array(codes, float)[:, None]})
    for row, code in enumerate(codes):
        fixed = fn(x | {"activity_model": float(code)})
        for key in ("dE_K", "E_Na", "gamma_in_Cl"):
            np.testing.assert_allclose(axis[key][row], fixed[key], rtol=1e-13, atol=1e-15)
