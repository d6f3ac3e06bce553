"""The model registry: names, errors, lax.switch dispatch, one compilation per batch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ionsweep.activity import (
    MODELS,
    get_activity_model,
    log_gamma,
    log_gamma_davies,
    log_gamma_indexed,
    model_index,
    registered_models,
)

NAMES = ("Na+", "K+", "Ca2+", "Mg2+", "Cl-")
M = jnp.array([[0.14, 0.005, 0.002, 0.001, 0.152], [0.01, 0.14, 0.0, 0.0005, 0.011]])
T = jnp.array([298.15, 310.15])


def test_model_names():
    assert MODELS == (
        "ideal",
        "debye_huckel",
        "extended_debye_huckel",
        "truesdell_jones",
        "davies",
        "pitzer",
    )
    assert registered_models() == (*MODELS, "davies_0.2")
    assert model_index("davies") == 4
    assert model_index("davies", ("ideal", "davies", "pitzer")) == 1


@pytest.mark.parametrize("bad", ["Davies", "pitzr", "", None, 3])
def test_unknown_model_raises_naming_it_and_listing_known(bad):
    with pytest.raises(ValueError) as err:
        log_gamma(bad, NAMES, M, T)
    assert repr(bad) in str(err.value)
    assert all(m in str(err.value) for m in MODELS)
    with pytest.raises(ValueError, match="unknown activity model"):
        log_gamma_indexed(0, NAMES, M, T, models=("ideal", bad))


def test_davies_coefficient_option():
    lg02 = log_gamma("davies_0.2", NAMES, M, T)
    np.testing.assert_array_equal(lg02, log_gamma_davies(NAMES, M, T, coefficient=0.2))
    assert not np.allclose(lg02, log_gamma("davies", NAMES, M, T))


def test_log_gamma_accepts_aliases():
    np.testing.assert_array_equal(
        log_gamma("davies", ("Na", "K", "Ca", "Mg", "chloride"), M, T),
        log_gamma("davies", NAMES, M, T),
    )
    with pytest.raises(KeyError, match="Qq"):
        log_gamma("davies", ("Qq+",), M[..., :1], T)


def _models_here():
    return MODELS


def test_switch_equals_direct_calls():
    models = _models_here()
    n = len(models)
    switched = jax.jit(jax.vmap(lambda i: log_gamma_indexed(i, NAMES, M, T, models=models)))
    direct = jax.jit(lambda: jnp.stack([log_gamma(name, NAMES, M, T) for name in models]))
    out = switched(jnp.arange(-1, n + 1))
    np.testing.assert_allclose(out[1:-1], direct(), rtol=1e-12, atol=1e-15)
    # Out of range: NaN, not a clamped neighbour.
    assert np.all(np.isnan(out[0])) and np.all(np.isnan(out[-1]))
    # A scalar index outside vmap goes through lax.switch itself.
    np.testing.assert_allclose(log_gamma_indexed(1, NAMES, M, T, models=("ideal", "davies")),
                               log_gamma_davies(NAMES, M, T), rtol=1e-12)  # fmt: skip


def test_one_compilation_for_a_batch_of_model_indices():
    models = ("ideal", "extended_debye_huckel", "truesdell_jones", "davies")
    traces = []

    def kernel(index, m, T):
        traces.append(1)
        return log_gamma_indexed(index, NAMES, m, T, models=models)

    # A model axis as an integer sweep axis: vmap over indices, broadcast over compositions.
    batched = jax.jit(jax.vmap(kernel, in_axes=(0, None, None)))
    idx = jnp.array([0, 3, 1, 2, 3, 0])
    out = batched(idx, M, T)
    assert out.shape == (6, 2, 5)
    for k, i in enumerate(idx.tolist()):
        np.testing.assert_allclose(out[k], log_gamma(models[i], NAMES, M, T), rtol=1e-12)
    # New index values and new compositions of the same shapes: no retrace.
    batched(jnp.array([2, 2, 2, 1, 0, 3]), M * 0.5, T + 5.0)
    scalar = jax.jit(kernel)
    for i in range(len(models)):
        scalar(i, M, T)
    assert len(traces) == 2  # one trace for the batched kernel, one for the scalar one


def test_pitzer_through_the_registry():
    from ionsweep.activity._pitzer import log_gamma_pitzer

    assert get_activity_model("pitzer")(NAMES, M, T) is not None
    models = ("ideal", "davies", "pitzer")
    kernel = jax.jit(jax.vmap(lambda i: log_gamma_indexed(i, NAMES, M, T, models=models)))
    out = kernel(jnp.arange(3))
    direct = jax.jit(lambda m, T: log_gamma_pitzer(NAMES, m, T))(M, T)
    np.testing.assert_allclose(out[2], direct, rtol=1e-12)
    np.testing.assert_array_equal(out[0], 0.0)
