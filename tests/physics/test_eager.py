"""Eager calls of the public kernels: one cached jitted program, the kernel itself when traced.

Eager results are compared bit for bit with ``jax.jit`` of the undecorated kernel (the
program the wrapper runs), on NumPy float32 and float64 inputs with invalid points among
them. Compilations are counted with the cache size of the wrapper's jitted program.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pint
import pytest

import ionsweep
from ionsweep import _eager

Q = pint.UnitRegistry().Quantity
RNG = np.random.default_rng(26)
N = 7


def _u(lo, hi, shape=(N,)):
    return RNG.uniform(lo, hi, shape)


def _cases():
    """(kernel, args, kwargs) with per-point NumPy inputs; the last point of each is invalid."""
    c_in, c_out = _u(1, 200), _u(1, 200)
    c_in[-1] = -1.0
    P3, ci3, co3 = _u(0.01, 1, (N, 3)), _u(1, 200, (N, 3)), _u(1, 200, (N, 3))
    P3[-1, 0] = -1.0
    bath = _u(10, 150, (N, 3))
    bath[-1, 1] = np.nan
    V = _u(-90, 0)
    V[-1] = np.nan
    pump = _u(5, 40)
    pump[-1] = 1e6  # outruns the Na+ leak: no steady state
    return {
        "nernst": (ionsweep.nernst, (c_in, c_out, 1, _u(280, 320)), {}),
        "driving_force": (ionsweep.driving_force, (V, _u(-90, 60)), {}),
        "ghk_current": (
            ionsweep.ghk_current,
            (_u(-100, 100), _u(0, 1e-6), c_in, c_out, 2, 310.0),
            {},
        ),
        "ghk_voltage": (ionsweep.ghk_voltage, (P3, ci3, co3, np.array([1, 1, -1]), 310.0), {}),
        "ghk_voltage_la": (ionsweep.ghk_voltage, (P3, ci3, co3, np.array([1, 1, 3]), 310.0), {}),
        "donnan": (ionsweep.donnan, (bath, np.array([1, -1, 2]), _u(-80, 0), 310.0), {}),
        "pump_leak_steady_state": (
            ionsweep.pump_leak_steady_state,
            (pump, 1e-6, 5e-8, 1e-6, 5.0, 145.0, 150.0, _u(200, 600), -1.0, 310.0),
            {},
        ),
    }


CASES = _cases()


def _as(dtype, tree):
    return jax.tree.map(lambda a: a.astype(dtype) if isinstance(a, np.ndarray) else a, tree)


def _raw(kernel):
    return kernel.__wrapped__


#: The root solves compile for seconds: float64 only (float32 runs the same code paths).
SLOW = {"donnan", "pump_leak_steady_state"}


@pytest.mark.parametrize(
    ("name", "dtype"),
    [(n, d) for n in CASES for d in (np.float32, np.float64) if n not in SLOW or d == np.float64],
)
def test_eager_equals_the_kernel_under_jit_bit_for_bit(name, dtype):
    kernel, args, kwargs = CASES[name]
    args = _as(dtype, args)
    got = kernel(*args, **kwargs)
    want = jax.jit(_raw(kernel))(*args, **kwargs)
    assert type(got) is type(want)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))  # NaN where NaN
    assert np.isnan(np.asarray(jax.tree.leaves(got)[0])[-1])


@pytest.mark.parametrize("model", ["davies", "pitzer"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activity_coefficients_eager_equals_jit_and_keeps_the_ion_order(model, dtype):
    na = _u(0.01, 1).astype(dtype)
    na[-1] = -0.1  # negative: refused when concrete, so only in the traced reference
    # jit sorts a dict's keys: the reference gets them sorted, and so does the eager call.
    molality = {"Cl-": na + dtype(0.05), "K+": np.full(N, 0.05, dtype), "Na": na}
    checks = {"neutrality_rtol": None}
    want = jax.jit(_raw(ionsweep.activity_coefficients), static_argnums=0)(
        model, molality, 298.15, **checks
    )
    assert np.isnan(want["Na+"][-1])
    molality = {k: v[:-1] for k, v in molality.items()}
    got = ionsweep.activity_coefficients(model, molality, 298.15, **checks)
    for ion in got:
        assert got[ion].dtype == dtype
        np.testing.assert_array_equal(got[ion], want[ion][:-1])
    reordered = ionsweep.activity_coefficients(model, dict(reversed(molality.items())), 298.15)
    assert type(reordered) is dict and list(reordered) == ["Na+", "K+", "Cl-"]
    for ion in got:
        np.testing.assert_allclose(reordered[ion], got[ion], rtol=1e-5)


def test_a_second_call_with_new_values_compiles_nothing():
    kernel, args, _ = CASES["ghk_voltage"]
    kernel(*args)
    size = kernel.jitted._cache_size()
    again = kernel(*jax.tree.map(lambda a: a * 1.01 if isinstance(a, np.ndarray) else a, args))
    assert kernel.jitted._cache_size() == size
    assert np.isfinite(np.asarray(again)[:-1]).all()
    ionsweep.nernst(np.float32([140.0]), np.float32([5.0]), 1, 310.15)
    size = ionsweep.nernst.jitted._cache_size()
    ionsweep.nernst(np.float32([150.0]), np.float32([4.0]), 2, 300.0)
    assert ionsweep.nernst.jitted._cache_size() == size


def test_static_options_get_programs_of_their_own():
    P, ci, co = np.ones((3, 11)), np.full((3, 11), 10.0), np.full((3, 11), 20.0)
    z = np.array([[1.0], [1.0], [-1.0]])
    size = ionsweep.ghk_voltage.jitted._cache_size()
    last = ionsweep.ghk_voltage(P.T, ci.T, co.T, z.T, 310.0)
    first = ionsweep.ghk_voltage(P, ci, co, z, 310.0, axis=0)
    assert ionsweep.ghk_voltage.jitted._cache_size() == size + 2
    np.testing.assert_array_equal(first, last)

    comp, T = {"K+": 0.1, "Cl-": 0.1}, np.full((1, 1, 1), 298.15)  # a shape no other test uses
    size = ionsweep.activity_coefficients.jitted._cache_size()
    davies = ionsweep.activity_coefficients("davies", comp, T)
    ideal = ionsweep.activity_coefficients("ideal", comp, T)
    assert ionsweep.activity_coefficients.jitted._cache_size() == size + 2
    assert float(ideal["K+"][0, 0, 0]) == 1.0 and float(davies["K+"][0, 0, 0]) < 1.0


@pytest.mark.parametrize("name", ["nernst", "ghk_voltage"])
def test_traced_arguments_go_to_the_kernel_itself(name):
    kernel, args, kwargs = CASES[name]
    size = kernel.jitted._cache_size()
    got = jax.jit(kernel)(*args, **kwargs)
    want = jax.jit(_raw(kernel))(*args, **kwargs)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_array_equal(g, w)
    assert kernel.jitted._cache_size() == size


def test_vmap_goes_to_the_kernel_itself():
    c_in, c_out, z, T = CASES["nernst"][1]
    size = ionsweep.nernst.jitted._cache_size()
    got = jax.vmap(ionsweep.nernst, in_axes=(0, 0, None, 0))(c_in, c_out, z, T)
    want = jax.vmap(_raw(ionsweep.nernst), in_axes=(0, 0, None, 0))(c_in, c_out, z, T)
    np.testing.assert_array_equal(got, want)
    assert ionsweep.nernst.jitted._cache_size() == size


def test_gradients_pass_through_unchanged():
    size = ionsweep.nernst.jitted._cache_size()
    g = jax.grad(ionsweep.nernst, argnums=(0, 1, 3))(140.0, 5.0, 1, 310.0)
    want = jax.grad(_raw(ionsweep.nernst), argnums=(0, 1, 3))(140.0, 5.0, 1, 310.0)
    assert [float(x) for x in g] == [float(x) for x in want]
    assert ionsweep.nernst.jitted._cache_size() == size


def test_quantities_are_converted_by_the_kernel_itself():
    size = ionsweep.nernst.jitted._cache_size()
    E = ionsweep.nernst(Q(0.14, "M"), Q(5.0, "mM"), 1, Q(37.0, "degC"))
    assert ionsweep.nernst.jitted._cache_size() == size
    assert float(E) == pytest.approx(float(ionsweep.nernst(140.0, 5.0, 1, 310.15)), abs=1e-9)
    with pytest.raises(ValueError, match="c_in"):
        ionsweep.nernst(Q(140.0, "mV"), 5.0, 1, 310.15)


def test_the_kelvin_trap_still_warns_once():
    with pytest.warns(ionsweep.TemperatureUnitWarning) as record:
        ionsweep.ghk_voltage([1.0, 0.04], [140.0, 10.0], [5.0, 145.0], [1, 1], np.array([37.0]))
    assert len(record) == 1


def test_composition_checks_run_on_eager_calls():
    with pytest.raises(ValueError, match="not electroneutral"):
        ionsweep.activity_coefficients("davies", {"Na+": np.array([0.1, 0.2])}, 298.15)
    with pytest.raises(ValueError, match="T must be"):
        ionsweep.activity_coefficients("davies", {"Na+": 0.1, "Cl-": 0.1}, -1.0)
    with pytest.warns(ionsweep.activity.PitzerTemperatureWarning):
        ionsweep.activity_coefficients("pitzer:hmw84", {"Na+": 0.1, "Cl-": 0.1}, 373.0)


def test_valences_within_two_is_a_static_argument_compiled_per_value():
    P, ci, co = np.ones(3), np.array([140.0, 10.0, 1.0]), np.array([5.0, 145.0, 1.5])
    z2, z3 = np.array([1, 1, 2]), np.array([1, 1, 3])
    closed = ionsweep.ghk_voltage(P, ci, co, z2, 310.0, valences_within_two=True)
    size = ionsweep.ghk_voltage.jitted._cache_size()
    ionsweep.ghk_voltage(P, ci, co, z2 * -1, 311.0, valences_within_two=True)
    assert ionsweep.ghk_voltage.jitted._cache_size() == size  # one program per value
    np.testing.assert_array_equal(closed, ionsweep.ghk_voltage(P, ci, co, z2, 310.0))
    general = ionsweep.ghk_voltage(P, ci, co, z3, 310.0)
    assert ionsweep.ghk_voltage.jitted._cache_size() == size + 1
    np.testing.assert_array_equal(
        general, jax.jit(_raw(ionsweep.ghk_voltage))(P, ci, co, z3, 310.0)
    )


def test_dtypes_follow_the_kernels_promotion():
    f32 = np.float32([140.0, 10.0])
    assert ionsweep.nernst(f32, f32, 1, 310.15).dtype == jnp.float32  # Python scalars are weak
    P = [1.0, 0.04]  # a list is an array of the default float (float64 in this suite)
    assert ionsweep.ghk_voltage(P, f32, f32[::-1], [1, 1], np.float32(310.0)).dtype == jnp.float64


def test_the_allocator_is_tuned_on_the_first_eager_call_only(monkeypatch):
    calls = []
    monkeypatch.setattr(_eager._allocator, "tune_from_environment", lambda: calls.append(1))
    monkeypatch.setitem(_eager._allocator_state, "tuned", False)
    jax.jit(ionsweep.nernst)(140.0, 5.0, 1, 310.0)  # traced: not an eager call
    assert calls == []
    ionsweep.nernst(140.0, 5.0, 1, 310.0)
    ionsweep.driving_force(-65.0, -89.0)
    assert calls == ([1] if jax.default_backend() == "cpu" else [])


def test_help_and_signature_are_the_kernels():
    import inspect

    for kernel in (ionsweep.nernst, ionsweep.ghk_voltage, ionsweep.activity_coefficients):
        raw = inspect.unwrap(kernel)
        assert kernel.__doc__ == raw.__doc__ and kernel.__name__ == raw.__name__
        assert inspect.signature(kernel) == inspect.signature(raw)


def test_the_wrapped_kernels_pickle_by_name():
    import pickle

    for kernel in (ionsweep.nernst, ionsweep.donnan, ionsweep.activity_coefficients):
        assert pickle.loads(pickle.dumps(kernel)) is kernel


def _placed(values: np.ndarray, offset: int) -> np.ndarray:
    """``values`` copied into a buffer at ``offset`` bytes past a 64-byte boundary."""
    raw = np.empty(values.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    out = raw[start : start + values.nbytes].view(values.dtype).reshape(values.shape)
    out[...] = values
    assert out.ctypes.data % 64 == offset
    return out


@pytest.mark.parametrize("offset", [0, 16, 32, 48])
def test_large_numpy_arguments_read_in_place_give_the_same_result(offset, monkeypatch):
    # NumPy data aligned to 16 bytes reaches the program as a view from the 64-byte
    # boundary before it; the result equals the call on JAX arrays bit for bit.
    monkeypatch.setattr(_eager, "IN_PLACE_MIN_BYTES", 1024)
    rng = np.random.default_rng(offset)
    c_in = _placed(rng.uniform(1, 200, 5000).astype(np.float32), offset)
    c_out = _placed(rng.uniform(1, 200, 5000).astype(np.float32), (offset + 16) % 64)
    assert isinstance(_eager._in_place(c_in if offset else c_out), _eager._InPlace)
    got = np.asarray(ionsweep.nernst(c_in, c_out, 1, 310.15))
    want = np.asarray(ionsweep.nernst(jnp.asarray(c_in), jnp.asarray(c_out), 1, 310.15))
    np.testing.assert_array_equal(got, want)
    # Rows of three ions: read in place where whole rows reach back to a 64-byte boundary
    # within the array's memory page, copied otherwise; the same result either way.
    P = _placed(rng.uniform(0.01, 1, (2000, 3)).astype(np.float32), offset)
    c = _placed(rng.uniform(1, 150, (2000, 3)).astype(np.float32), offset)
    z = np.array([1, 1, -1])
    got = np.asarray(ionsweep.ghk_voltage(P, c, c[::-1].copy(), z, 310.15))
    want = ionsweep.ghk_voltage(jnp.asarray(P), jnp.asarray(c), jnp.asarray(c[::-1]), z, 310.15)
    np.testing.assert_array_equal(got, np.asarray(want))


def test_only_what_saves_a_copy_is_read_in_place(monkeypatch):
    monkeypatch.setattr(_eager, "IN_PLACE_MIN_BYTES", 1024)
    x = _placed(np.arange(4096, dtype=np.float32), 16)
    assert isinstance(_eager._in_place(x), _eager._InPlace)
    assert _eager._in_place(x[:100]) is not None  # small: as given
    assert not isinstance(_eager._in_place(x[:100]), _eager._InPlace)
    assert not isinstance(_eager._in_place(_placed(x, 0)), _eager._InPlace)  # aligned
    assert not isinstance(_eager._in_place(x[::2]), _eager._InPlace)  # not contiguous
    assert not isinstance(_eager._in_place(x.astype(">f4")), _eager._InPlace)  # byte order
    view = _eager._in_place(x)
    np.testing.assert_array_equal(np.asarray(view.array()), x)
