"""jit with traced valences, vmap over a batch axis, dtype preservation, no retracing.

Kernels containing a root solve (``ghk_voltage``, ``donnan``) are called through ``jax.jit``
wherever possible: an eager call compiles its ``lax.while_loop`` anew each time.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep

ghk_voltage = jax.jit(ionsweep.ghk_voltage)
donnan = jax.jit(ionsweep.donnan)

# Rows: K, Na, Cl, Ca (closed form); K, Na, Cl, La3+ (root solve); a trivalent anion;
# all monovalent; a mix of mono-, di- and trivalent ions.
Z = np.array([[1, 1, -1, 2], [1, 1, -1, 3], [1, 1, -1, -3], [1, 1, -1, -1], [1, -2, 2, 3]])


def _batch():
    rng = np.random.default_rng(50)
    n = len(Z)
    P = np.exp(rng.uniform(-5, 0, (n, 4)))
    ci = np.exp(rng.uniform(-3, 5, (n, 4)))
    co = np.exp(rng.uniform(-3, 5, (n, 4)))
    T = rng.uniform(280, 320, n)
    V = rng.uniform(-100, 100, n)
    return P, ci, co, Z, T, V


def _bath():
    """Electroneutral baths with mono-, di- and trivalent ions; valences differ per row."""
    zd = np.array([[1, 2, 3, -1], [1, 2, -2, -1], [1, 3, -3, -1], [1, 1, -1, -1], [2, 2, 3, -1]])
    cb = np.array(
        [
            [140.0, 2.0, 1.0, 0.0],
            [140.0, 2.0, 1.0, 0.0],
            [140.0, 1.0, 0.5, 0.0],
            [140.0, 5.0, 100.0, 0.0],
            [3.0, 1.0, 0.5, 0.0],
        ]
    )
    cb[:, 3] = (cb[:, :3] * zd[:, :3]).sum(1)
    return cb, zd, np.linspace(-50.0, 50.0, 5), np.linspace(290.0, 310.0, 5)


def test_traced_valences_match_eager():
    # One compiled function serves every valence mix: z is a traced argument, so choosing
    # between the closed form and the root solve happens on traced values.
    P, ci, co, z, T, _ = _batch()
    jitted = np.asarray(ghk_voltage(P, ci, co, z, T))
    eager = np.asarray(ionsweep.ghk_voltage(P, ci, co, z, T))
    assert np.isfinite(jitted).all()
    np.testing.assert_allclose(jitted, eager, rtol=0, atol=1e-11)
    # (donnan with traced valences is checked against brentq in test_donnan.py.)


def _same(vmapped, direct):
    for a, b in zip(
        jax.tree_util.tree_leaves(vmapped), jax.tree_util.tree_leaves(direct), strict=True
    ):
        assert np.isfinite(np.asarray(a)).all()
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-11)


def test_vmap_elementwise_kernels():
    P, ci, co, z, T, V = _batch()
    k = slice(None), 0  # the first ion of each row
    _same(jax.vmap(ionsweep.nernst)(ci[k], co[k], z[k], T), ionsweep.nernst(ci[k], co[k], z[k], T))
    _same(
        jax.vmap(ionsweep.ghk_current)(V, P[k], ci[k], co[k], z[k], T),
        ionsweep.ghk_current(V, P[k], ci[k], co[k], z[k], T),
    )
    _same(jax.vmap(ionsweep.driving_force)(V, T / 10), ionsweep.driving_force(V, T / 10))
    _same(jax.vmap(ionsweep.thermal_voltage)(T), ionsweep.thermal_voltage(T))
    pl = (P[:, 0], P[:, 1], ci[:, 0], co[:, 0], ci[:, 1], co[:, 1], T, T / 200)
    _same(jax.vmap(ionsweep.pump_leak_voltage)(*pl), ionsweep.pump_leak_voltage(*pl))


def test_vmap_ghk_voltage():
    P, ci, co, z, T, _ = _batch()
    _same(jax.jit(jax.vmap(ionsweep.ghk_voltage))(P, ci, co, z, T), ghk_voltage(P, ci, co, z, T))


def test_vmap_donnan():
    cb, zd, rho, T = _bath()
    _same(jax.jit(jax.vmap(ionsweep.donnan))(cb, zd, rho, T), donnan(cb, zd, rho, T))
    # Over the fixed charge only (in_axes), the ion table shared: 1-D batch of a (4,) bath.
    rhos = jnp.linspace(-80.0, 80.0, 5)
    osm = jax.jit(jax.vmap(ionsweep.donnan_osmotic_imbalance, in_axes=(None, None, 0, None, 0)))
    got = osm(cb[0], zd[0], rhos, 300.0, jnp.abs(rhos))
    V, c_in = donnan(np.broadcast_to(cb[0], (5, 4)), zd[0], rhos, 300.0)
    _same(got, np.asarray(c_in).sum(-1) - cb[0].sum() + np.abs(np.asarray(rhos)))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_dtype_is_preserved(dtype):
    # Float inputs keep their precision (x64 is enabled in this test run); integer valences
    # and Python scalars do not promote float32. jax.eval_shape gives the dtype the kernel
    # produces without compiling it (test_float32.py checks computed outputs too).
    def f(*xs):
        return tuple(jax.ShapeDtypeStruct(np.shape(x), dtype) for x in xs)

    z1 = jax.ShapeDtypeStruct((), jnp.int32)
    z4 = jax.ShapeDtypeStruct((4,), jnp.int64)
    ion4 = f(np.zeros(4), np.zeros(4), np.zeros(4))
    V, c, T = f(0.0, 0.0, 0.0)
    pl = f(*range(8))
    calls = {
        "thermal_voltage": (ionsweep.thermal_voltage, (T,)),
        "nernst": (ionsweep.nernst, (c, c, z1, T)),
        "nernst with gamma": (ionsweep.nernst, (c, c, z1, T, c, c)),
        "nernst (Python T)": (lambda c: ionsweep.nernst(c, c, 1, 310.0), (c,)),
        "driving_force": (ionsweep.driving_force, (V, c)),
        "ghk_current": (ionsweep.ghk_current, (V, c, c, c, z1, T)),
        "ghk_voltage": (ionsweep.ghk_voltage, (*ion4, z4, T)),
        "donnan": (ionsweep.donnan, (ion4[0], z4, V, T)),
        "donnan_osmotic_imbalance": (ionsweep.donnan_osmotic_imbalance, (ion4[0], z4, V, T, c)),
        "pump_leak_voltage": (ionsweep.pump_leak_voltage, pl),
    }
    for name, (fun, args) in calls.items():
        for leaf in jax.tree_util.tree_leaves(jax.eval_shape(fun, *args)):
            assert leaf.dtype == dtype, name


def test_no_retrace_on_new_values():
    # Count traces with a Python side effect inside the traced function: a second call with
    # new values of the same shapes (valences included) must reuse the compiled kernel.
    traces = {"n": 0}

    @jax.jit
    def model(P, ci, co, z, T, V, cb, zd, rho):
        traces["n"] += 1
        return (
            ionsweep.nernst(ci[..., 0], co[..., 0], z[..., 0], T),
            ionsweep.ghk_current(V, P[..., 0], ci[..., 0], co[..., 0], z[..., 0], T),
            ionsweep.ghk_voltage(P, ci, co, z, T),
            ionsweep.donnan(cb, zd, rho, T),
            ionsweep.pump_leak_voltage(
                P[..., 0], P[..., 1], ci[..., 0], co[..., 0], ci[..., 1], co[..., 1], T
            ),
        )

    P, ci, co, z, T, V = _batch()
    cb, zd, rho, _ = _bath()
    first = model(P, ci, co, z, T, V, cb, zd, rho)
    second = model(P * 2, ci + 1, co * 3, -z, T + 5, V - 10, cb * 2, zd, -rho)
    assert traces["n"] == 1
    assert not np.allclose(np.asarray(first[2]), np.asarray(second[2]), equal_nan=True)
