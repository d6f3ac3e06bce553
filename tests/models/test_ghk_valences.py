"""GHK models in sweeps: the closed form alone only where every valence is ±1 or ±2.

The reference is an independent scalar root find (Brent's method on the net GHK current of
each ion, Hille 2001, eq. 14-6), not ionsweep's own solver.
"""

import math

import numpy as np
from scipy.optimize import brentq

import ionsweep
from ionsweep.constants import R_OVER_F_MV
from ionsweep.sweep import parse_spec
from ionsweep.sweep._chunk_eval import _model_fn

SPEC = """
[model]
name = "activity_error_ghk"
ions = ["K+", "La3+", "Cl-"]
balance = "Cl-"
fill = "K+"
permeant = ["K+", "La3+", "Cl-"]
models = ["davies"]
[axes]
activity_model = ["davies"]
I_out = [0.1, 0.15]
[fixed]
I_in = 0.15
La_in = 1.0
La_out = 10.0
P_K = 1.0
P_La = 5.0
P_Cl = 0.45
celsius = 25
[outputs]
variables = ["V_rev", "gamma_in_K", "gamma_out_K", "gamma_in_La", "gamma_out_La",
             "gamma_in_Cl", "gamma_out_Cl"]
"""


def _ghk_root(P, a_in, a_out, z, T):
    """Zero of Σ P z² v (a_in − a_out e^(−zv)) / (1 − e^(−zv)), v = FV/RT; V in mV."""

    def current(v):
        return sum(
            p * zi * zi * v * (ai - ao * math.exp(-zi * v)) / (1 - math.exp(-zi * v))
            for p, ai, ao, zi in zip(P, a_in, a_out, z, strict=True)
        )

    return brentq(current, -10.0 + 1e-9, 10.0) * R_OVER_F_MV * T


def test_a_trivalent_permeant_ion_is_solved_for_not_taken_by_the_closed_form():
    ds = ionsweep.run_sweep(SPEC, dtype="float64").isel(activity_model=0)
    T = 298.15
    # Molar composition: I = K + 6 La (mM/1000), Cl = K + 3 La.
    for k, I_out in enumerate((0.1, 0.15)):
        K_in, K_out = 150.0 - 6.0, 1000 * I_out - 60.0
        c_in = {"K": K_in, "La": 1.0, "Cl": K_in + 3.0}
        c_out = {"K": K_out, "La": 10.0, "Cl": K_out + 30.0}
        a_in = [float(ds[f"gamma_in_{s}"][k]) * c_in[s] for s in ("K", "La", "Cl")]
        a_out = [float(ds[f"gamma_out_{s}"][k]) * c_out[s] for s in ("K", "La", "Cl")]
        expected = _ghk_root([1.0, 5.0, 0.45], a_in, a_out, [1, 3, -1], T)
        np.testing.assert_allclose(float(ds.V_rev[k]), expected, rtol=1e-9)


def _ghk_spec(z_Ca):
    fixed = {"K_in": 140.0, "Ca_in": 1e-4, "Ca_out": 2.0, "P_K": 1.0, "P_Ca": 10.0, "T": 310.0}
    axes = {"K_out": [5.0, 10.0]}
    (axes if isinstance(z_Ca, list) else fixed)["z_Ca"] = z_Ca
    return {"model": {"name": "ghk_voltage", "ions": ["K+", "Ca2+"]}, "axes": axes, "fixed": fixed}


def test_the_sweep_takes_the_closed_form_alone_only_for_valences_fixed_within_two():
    fixed = parse_spec(_ghk_spec(2), source="<dict>")
    assert _model_fn(fixed) is fixed.model.fn_within_two
    for z_Ca in (3, [1, 2]):  # a trivalent ion; valences along an axis
        plan = parse_spec(_ghk_spec(z_Ca), source="<dict>")
        assert _model_fn(plan) is plan.model.fn
    ds = ionsweep.run_sweep(_ghk_spec(3), dtype="float64")
    for k, K_out in enumerate((5.0, 10.0)):
        expected = _ghk_root([1.0, 10.0], [140.0, 1e-4], [K_out, 2.0], [1, 3], 310.0)
        np.testing.assert_allclose(float(ds.V_rev[k]), expected, rtol=1e-9)
