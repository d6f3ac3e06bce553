"""Gouy–Chapman surface potential and Debye length against published forms and an
independent integration of the diffuse layer's charge."""

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad

import ionsweep
from ionsweep.physics import debye_length, surface_potential

R, F, EPS0 = 8.314462618, 96485.33212, 8.8541878128e-12  # CODATA 2018
T25 = 298.15


def eps_water(T):
    return float(ionsweep.physics._water.water_permittivity(np.float64(T)))


@pytest.mark.parametrize("molar", [0.001, 0.01, 0.1, 1.0])
def test_debye_length_of_a_1_1_salt_at_25_C(molar):
    # Israelachvili (2011), Intermolecular and Surface Forces, 3rd ed., ch. 14:
    # 1/κ = 0.304 / √[NaCl] nm at 25 °C, [NaCl] in M (stated to three digits).
    lam = float(debye_length(np.float64(1000 * molar), 1, T25))
    assert lam == pytest.approx(0.304 / math.sqrt(molar), rel=2e-3)


@pytest.mark.parametrize("sigma", [-0.3, -0.05, -0.005, 0.02])
def test_grahame_equation_at_25_C(sigma):
    # Israelachvili (2011), ch. 14: σ = 0.117 √[NaCl] sinh(ψ₀ / 51.4 mV) C/m² at 25 °C.
    molar = 0.1
    psi = float(surface_potential(np.float64(sigma), 1000 * molar, 1, T25))
    assert 0.117 * math.sqrt(molar) * math.sinh(psi / 51.4) == pytest.approx(sigma, rel=5e-3)


def diffuse_charge(psi0_mV, c_mM, z, T):
    """−∫₀^∞ ρ(x) dx of the Gouy–Chapman profile tanh(zFψ/4RT) = tanh(zFψ₀/4RT)·e^(−κx),
    ρ = −2 z F c sinh(zFψ/RT): the charge the diffuse layer holds, C/m² (it balances σ)."""
    kappa = math.sqrt(2 * z * z * F * F * c_mM / (eps_water(T) * EPS0 * R * T))
    u0 = z * F * psi0_mV * 1e-3 / (R * T)

    def rho(x):
        u = 4 * math.atanh(math.tanh(u0 / 4) * math.exp(-kappa * x))
        return -2 * z * F * c_mM * math.sinh(u)

    lam = 1 / kappa
    total = sum(quad(rho, k * lam, (k + 1) * lam, epsabs=0, epsrel=1e-12)[0] for k in range(60))
    return -total


@pytest.mark.parametrize(
    ("sigma", "c", "z", "T"),
    [(-0.05, 150.0, 1, 310.15), (-0.2, 20.0, 1, 298.15), (0.03, 5.0, 2, 283.15)],
)
def test_surface_charge_is_balanced_by_the_diffuse_layer(sigma, c, z, T):
    psi0 = float(surface_potential(np.float64(sigma), np.float64(c), z, np.float64(T)))
    assert diffuse_charge(psi0, c, z, T) == pytest.approx(sigma, rel=1e-9)


def test_small_charge_follows_the_linear_debye_huckel_limit():
    # ψ₀ → σ λ_D / (ε_r ε₀) as σ → 0.
    sigma, c, T = np.float64(-1e-5), np.float64(100.0), np.float64(310.15)
    lam = float(debye_length(c, 1, T)) * 1e-9
    linear = sigma * lam / (eps_water(T) * EPS0) * 1e3
    assert float(surface_potential(sigma, c, 1, T)) == pytest.approx(linear, rel=1e-6)


def test_divalent_salt_screens_more_and_signs_follow_the_charge():
    psi = np.asarray(
        surface_potential(np.array([-0.05, -0.05, 0.05]), 50.0, np.array([1, 2, 1]), 310.15)
    )
    assert psi[0] < psi[1] < 0 < psi[2]
    assert psi[2] == pytest.approx(-psi[0], rel=1e-6)


def test_invalid_points_are_nan():
    psi = surface_potential(-0.05, np.array([0.0, -1.0, 150.0]), 1, 310.15)
    lam = debye_length(np.array([150.0, 150.0]), np.array([0, 1]), np.array([310.15, -1.0]))
    assert np.isnan(psi[:2]).all() and np.isfinite(psi[2])
    assert np.isnan(lam).all()


def test_float32_within_a_microvolt_of_float64():
    sigma = np.linspace(-0.3, 0.3, 13)
    psi32 = np.asarray(
        surface_potential(sigma.astype(np.float32), np.float32(150.0), 1, np.float32(310.15))
    )
    psi64 = np.asarray(surface_potential(sigma, np.float64(150.0), 1, np.float64(310.15)))
    assert psi32.dtype == np.float32 and np.abs(psi32 - psi64).max() < 1e-3


def test_a_sweep_and_calc_come_from_the_registration(capsys):
    from ionsweep.cli import main

    spec = {
        "model": {"name": "surface_potential"},
        "axes": {"sigma": [-0.1, -0.05], "c_salt": [15.0, 150.0]},
        "fixed": {"T": 310.15},
        "run": {"dtype": "float64"},
    }
    ds = ionsweep.run_sweep(spec)
    assert ds["psi0"].attrs["units"] == "mV" and ds["sigma"].attrs["units"] == "C/m2"
    assert ds["psi0"].attrs["long_name"] == "surface potential relative to the bulk solution"
    sigma, c = np.meshgrid([-0.1, -0.05], [15.0, 150.0], indexing="ij")
    direct = surface_potential(sigma, c, 1, np.float64(310.15))
    np.testing.assert_allclose(ds["psi0"].transpose("sigma", "c_salt"), direct, rtol=1e-12)
    assert main(["calc", "surface-potential", "--sigma", "-0.05", "--c-salt", "150", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = surface_potential(np.float64(-0.05), np.float64(150.0), 1, np.float64(310.15))
    assert out["outputs"]["psi0"]["value"] == pytest.approx(float(expected), rel=1e-12)
    assert out["inputs"]["c_salt"] == {"value": 150.0, "units": "mM"}
    assert main(["calc", "debye-length", "--c-salt", "0"]) == 2
    assert "--c-salt: concentration of the z:z electrolyte must be > 0" in capsys.readouterr().err
