"""Activity error, Sobol/Morris indices, Monte Carlo propagation and sensitivity specs."""

import logging
import math

import jax.numpy as jnp
import numpy as np
import pytest

import ionsweep
import ionsweep.models
from ionsweep import sensitivity
from ionsweep.store import decode_attrs
from ionsweep.sweep import SpecError

PI = math.pi


# --------------------------------------------------------------------------- Sobol, Morris
def ishigami_exact(a=7.0, b=0.1):
    """Analytic Sobol indices of the Ishigami function on [-π, π]³.

    Ishigami & Homma (1990), Proc. ISUMA '90, 398-403; Saltelli et al. (2008), Global
    Sensitivity Analysis: The Primer, Wiley, §4.9: S1 = (0.3139, 0.4424, 0) and
    ST = (0.5576, 0.4424, 0.2437) for a = 7, b = 0.1.
    """
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_exact_values_are_the_published_ones():
    s1, st = ishigami_exact()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_sobol_ishigami_within_confidence_intervals_one_batched_call():
    traces = []

    def ishigami(x, a=7.0, b=0.1):
        traces.append(1)  # runs once per trace; jit traces once for the whole batch
        x1, x2, x3 = x["x1"], x["x2"], x["x3"]
        return jnp.sin(x1) + a * jnp.sin(x2) ** 2 + b * x3**4 * jnp.sin(x1) + 0.0 * x["dummy"]

    bounds = {k: (-PI, PI) for k in ("x1", "x2", "x3", "dummy")}
    ds = sensitivity.sobol(ishigami, bounds, n=4096, seed=0)
    assert len(traces) == 1
    assert ds.attrs["n_evaluations"] == 4096 * (4 + 2)
    s1, st = ishigami_exact()
    s1, st = np.append(s1, 0.0), np.append(st, 0.0)
    assert np.all(np.abs(ds.S1.values - s1) <= ds.S1_conf.values)
    assert np.all(np.abs(ds.ST.values - st) <= ds.ST_conf.values)
    assert np.all(ds.S1_conf.values[:3] < 0.05)
    # an input the model ignores: A and AB_dummy give identical outputs, so ST = 0 exactly
    assert ds.ST.sel(parameter="dummy").item() == 0.0
    assert ds.ST_conf.sel(parameter="dummy").item() == 0.0
    assert set(ds.data_vars) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert ds.parameter.values.tolist() == ["x1", "x2", "x3", "dummy"]
    for v in ds.variables.values():
        assert v.attrs["units"] and v.attrs["long_name"]


def test_sobol_rounds_n_up_to_a_power_of_two_and_is_reproducible():
    f = lambda x: x["a"] * (1 + x["b"])  # noqa: E731
    a = sensitivity.sobol(f, {"a": (0, 1), "b": (0, 1)}, n=100, seed=3)
    b = sensitivity.sobol(f, {"a": (0, 1), "b": (0, 1)}, n=128, seed=3)
    assert a.attrs["n_base"] == 128
    np.testing.assert_array_equal(a.S1.values, b.S1.values)
    np.testing.assert_array_equal(a.ST_conf.values, b.ST_conf.values)


def test_morris_linear_model():
    # y = 3a + 0.5b over a in [0, 2], b in [-1, 1]: every elementary effect, per whole
    # range, is exactly 3·2 = 6 for a and 0.5·2 = 1 for b; c is ignored.
    ds = sensitivity.morris(
        lambda x: 3 * x["a"] + 0.5 * x["b"] + 0 * x["c"],
        {"a": (0, 2), "b": (-1, 1), "c": (0, 1)},
        n=30,
        units="mV",
    )
    assert set(ds.data_vars) == {"mu_star", "mu_star_conf", "sigma"}
    np.testing.assert_allclose(ds.mu_star.values, [6.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ds.sigma.values, 0.0, atol=1e-6)
    assert ds.mu_star.attrs["units"] == "mV"
    assert ds.attrs["n_evaluations"] == 30 * 4


def test_nonfinite_outputs_are_refused_with_the_sample():
    with pytest.raises(ValueError, match=r"non-finite value\(s\).*first at a="):
        sensitivity.sobol(lambda x: jnp.log(x["a"]), {"a": (-1.0, 1.0)}, n=64)


def test_numpy_function_without_jit():
    ds = sensitivity.sobol(
        lambda x: np.asarray(x["a"]) ** 2, {"a": (0, 1), "b": (0, 1)}, n=256, jit=False
    )
    assert ds.ST.sel(parameter="b").item() == 0.0


# ---------------------------------------------------------------------------- distributions
def test_distributions_map_like_salib_dists():
    from SALib.util import scale_samples

    dists = {
        "u": sensitivity.uniform(2.0, 40.0),
        "n": sensitivity.normal(310.15, 1.0),
        "l": sensitivity.lognormal(5.0, 0.1),
        "t": sensitivity.triangular(1.0, 1.5, 3.0),
    }
    unit = np.random.default_rng(0).random((500, 4))
    names, bounds = [], []
    kinds = []
    for k, d in dists.items():
        kind, b = d.salib()
        names.append(k)
        kinds.append(kind)
        bounds.append(b)
    problem = {"num_vars": 4, "names": names, "bounds": bounds, "dists": kinds}
    expected = scale_samples(unit.copy(), problem)
    got = np.stack([d.ppf(unit[:, i]) for i, d in enumerate(dists.values())], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_relative_and_choice():
    assert sensitivity.relative(140.0, 0.05) == sensitivity.normal(140.0, 7.0)
    assert sensitivity.relative(1.0, 0.1, "uniform") == sensitivity.uniform(0.9, 1.1)
    c = sensitivity.choice(["davies", "pitzer"], values=[4, 5], weights=[3, 1])
    draws = c.ppf(np.random.default_rng(1).random(40000), weighted=True)
    assert set(np.unique(draws)) == {4.0, 5.0}
    assert abs(np.mean(draws == 4.0) - 0.75) < 0.01
    np.testing.assert_array_equal(c.ppf([0.1, 0.6]), [4.0, 5.0])  # Sobol: equal shares
    with pytest.raises(ValueError, match="high > low"):
        sensitivity.uniform(3.0, 1.0)


# --------------------------------------------------------------------------- Monte Carlo
def test_propagate_lognormal_concentration_gives_normal_potential():
    # E = (RT/F) ln(c_out/c_in) with ln c_out ~ N(ln 5, 0.05): E ~ N((RT/F) ln(5/140), (RT/F) 0.05)
    vt = float(ionsweep.thermal_voltage(310.15))
    ds = sensitivity.propagate(
        lambda x: ionsweep.nernst(140.0, x["K_out"], 1, 310.15),
        {"K_out": sensitivity.lognormal(5.0, 0.05)},
        n=40000,
        thresholds=[90.0],
        units="mV",
    )
    mean, sd = vt * math.log(5 / 140), vt * 0.05
    assert abs(ds["mean"].item() - mean) < 4 * sd / math.sqrt(40000)
    assert abs(ds["std"].item() / sd - 1) < 0.02
    from scipy.stats import norm

    q = ds.quantiles.sel(quantile=0.975).item()
    assert abs(q - (mean + norm.ppf(0.975) * sd)) < 0.03
    p = norm.cdf((-90 - mean) / sd)  # P(|E| > 90) = P(E < -90)
    assert abs(ds.p_exceed.item() - p) < 0.01
    width = ds.bin_center.values[1] - ds.bin_center.values[0]
    assert abs(ds.histogram.sum().item() * width - 1) < 1e-9
    assert ds.quantiles.attrs["units"] == "mV" and ds.histogram.attrs["units"] == "1/mV"


def test_propagate_model_choice_as_categorical_input():
    models = ("ideal", "davies")

    def de(x):
        lg = jnp.stack(
            [
                ionsweep.activity.log_gamma_indexed(
                    i, ("K+", "Cl-"), jnp.array([0.3, 0.3]), 298.15, models
                )
                - ionsweep.activity.log_gamma_indexed(
                    i, ("K+", "Cl-"), jnp.array([0.01, 0.01]), 298.15, models
                )
                for i in range(2)
            ]
        )[:, 0]
        return jnp.where(x["model"] == 0, lg[0], lg[1]) * -25.69

    ds = sensitivity.propagate(
        de, {"model": sensitivity.choice(models, weights=[1, 3])}, n=4000, keep_samples=True
    )
    labels = ds.sample_model.values
    assert set(labels) == {"ideal", "davies"}
    assert abs(np.mean(labels == "davies") - 0.75) < 0.03
    assert np.all(ds.sample_value.values[labels == "ideal"] == 0.0)


# ------------------------------------------------------------------------- activity error
C_IN = {"K+": 140.0, "Na+": 12.0, "Ca2+": 1e-4, "Cl-": 152.0002}
C_OUT = {"K+": 5.0, "Na+": 145.0, "Ca2+": 2.0, "Cl-": 154.0}


@pytest.mark.parametrize("model", ["ideal", "davies", "truesdell_jones"])
def test_activity_error_against_itself_is_exactly_zero(model):
    for ion in ("K+", "Na+", "Cl-", "Ca2+"):
        assert float(ionsweep.activity_error(ion, C_IN, C_OUT, 310.15, model, model)) == 0.0


def test_activity_error_is_difference_of_potentials_and_broadcasts():
    k_out = np.array([2.0, 5.0, 20.0])
    c_out = {**C_OUT, "K+": k_out, "Cl-": 149.0 + k_out}
    dE = ionsweep.activity_error("K+", C_IN, c_out, 310.15, "davies")
    E = ionsweep.nernst_activity("K+", C_IN, c_out, 310.15, "davies")
    E0 = ionsweep.nernst_activity("K+", C_IN, c_out, 310.15, "ideal")
    assert dE.shape == (3,)
    np.testing.assert_allclose(dE, E - E0, atol=1e-10)


def test_activity_error_sign_against_hand_calculation():
    # 300 mM KCl inside, 10 mM outside, 25 °C, Davies (c = 0.3). By hand: molality m = c/ρ_w
    # with ρ_w(25 °C) = 997.045 kg/m³ (Kell 1975) → I_in = 0.300889, I_out = 0.0100296 mol/kg;
    # A = 3 A_φ / ln 10 with A_φ = 0.39148 (kg/mol)^½ (Archer & Wang 1990) → A = 0.51005;
    # log10 γ = -A (√I/(1+√I) - 0.3 I) → γ_in = 0.73344, γ_out = 0.90179;
    # ΔE_K = (RT/F) ln(γ_out/γ_in) = 25.6926 mV × 0.206629 = +5.309 mV: activities shrink
    # the inside (higher I) more, so E_K moves positive. Cl⁻ (z = -1): -5.309 mV;
    # Ca²⁺ (z = 2, ln γ ∝ z²): 2 × 5.309 mV.
    A = 3 * 0.39148 / math.log(10)
    vt = 1000 * ionsweep.GAS_CONSTANT * 298.15 / ionsweep.FARADAY

    def lg10(z, I):
        return -A * z * z * (math.sqrt(I) / (1 + math.sqrt(I)) - 0.3 * I)

    I_in, I_out = 300 / 997.045, 10 / 997.045
    hand = vt * math.log(10) * (lg10(1, I_out) - lg10(1, I_in))
    assert abs(hand - 5.309) < 0.001
    d = {
        ion: float(
            ionsweep.activity_error(
                ion, {"K+": 300.0, "Cl-": 300.0}, {"K+": 10.0, "Cl-": 10.0}, 298.15, "davies"
            )
        )
        for ion in ("K+", "Cl-")
    }
    assert abs(d["K+"] - hand) < 0.01
    assert abs(d["Cl-"] + hand) < 0.01
    # the same through the sweep model, with Ca2+ as a trace: ΔE_Ca = 2 ΔE_K
    ds = ionsweep.run_sweep(
        {
            "model": {
                "name": "activity_error_ghk",
                "ions": ["K+", "Ca2+", "Cl-"],
                "balance": "Cl-",
                "models": ["ideal", "davies"],
            },
            "axes": {"activity_model": ["ideal", "davies"]},
            "fixed": {"K_in": 300.0, "K_out": 10.0, "Ca_in": 1e-6, "Ca_out": 1e-6, "T": 298.15},
        },
        dtype="float64",
    )
    dav = ds.sel(activity_model="davies")
    assert abs(dav.dE_K.item() - hand) < 0.01
    assert abs(dav.dE_Cl.item() + hand) < 0.01
    assert abs(dav.dE_Ca.item() - 2 * hand) < 0.02
    assert np.all(ds.sel(activity_model="ideal")[["dE_K", "dE_Cl", "dE_Ca"]].to_array() == 0.0)


def _ghk_spec(**fixed):
    return {
        "model": {
            "name": "activity_error_ghk",
            "ions": ["K+", "Na+", "Cl-"],
            "balance": "Cl-",
            "fill": "Na+",
            "permeant": ["K+"],
            "models": ["extended_debye_huckel", "davies"],
        },
        "axes": {"activity_model": ["extended_debye_huckel", "davies"], "I_out": [0.02, 0.3]},
        "fixed": {"K_in": 4.0, "K_out": 2.0, "I_in": 0.15, "P_K": 1.0, "celsius": 37.0, **fixed},
        "outputs": {
            "variables": ["E_K", "dE_K", "V_rev", "dV_rev", "ionic_strength_out"],
            "grad": ["I_out", "T"],
            "elasticity": ["I_out", "K_out", "T"],
        },
    }


@pytest.fixture(scope="module")
def ghk_ds():
    return ionsweep.run_sweep(_ghk_spec(), dtype="float64")


def test_ghk_of_one_ion_is_its_nernst_error_and_fill_sets_ionic_strength(ghk_ds):
    ds = ghk_ds
    np.testing.assert_allclose(ds.V_rev, ds.E_K, rtol=1e-9)
    np.testing.assert_allclose(ds.dV_rev, ds.dE_K, atol=1e-9)
    # molar-scale I → molality through the density of water at 37 °C
    rho = float(ionsweep.activity.water_density(310.15))
    np.testing.assert_allclose(
        ds.ionic_strength_out.isel(activity_model=0), np.array([0.02, 0.3]) * 1000 / rho, rtol=1e-12
    )


def test_elasticities_and_gradients_match_finite_differences(ghk_ds):
    ds = ghk_ds
    spec = _ghk_spec()
    options = {k: v for k, v in spec["model"].items() if k != "name"}
    model = ionsweep.models.get_model("activity_error_ghk", options)
    idx = [ionsweep.activity.model_index(m) for m in spec["axes"]["activity_model"]]
    base = {i.name: i.default for i in model.inputs if i.default is not None}
    base |= {k: v for k, v in spec["fixed"].items() if k != "celsius"}
    base |= {
        "T": 310.15,
        "activity_model": np.array(idx, float)[:, None],
        "I_out": np.array(spec["axes"]["I_out"])[None, :],
    }

    def E(x, factor):
        return np.asarray(model.fn(base | {x: base[x] * factor})["E_K"])

    h = 1e-6
    for x in ("I_out", "K_out", "T"):
        fd = (E(x, 1 + h) - E(x, 1 - h)) / (2 * h) / ds.E_K.values  # (x/E) dE/dx
        np.testing.assert_allclose(ds[f"E_K_elasticity_{x}"].values, fd, rtol=1e-6)
    fd = (E("I_out", 1 + h) - E("I_out", 1 - h)) / (2 * h * ds.I_out.values)
    # E and ΔE differ by E(ideal), which does not depend on I_out: same derivative
    np.testing.assert_allclose(ds.dE_K_dI_out.values, fd, rtol=1e-6)
    assert ds.dE_K_dI_out.attrs["units"] == "mV/M"
    assert ds.E_K_elasticity_T.attrs["units"] == "1"


# ------------------------------------------------------------------------ sensitivity specs
SPEC = """
title = "E_K under uncertain K_out and temperature"
[model]
name = "nernst"
[inputs]
c_out = { uniform = [2.0, 10.0] }
celsius = { normal = [37.0, 1.0] }
gamma_out = { relative = 0.02 }
[fixed]
c_in = 140.0
ion = "K+"
[sobol]
n = 512
[uncertainty]
n = 2000
thresholds = [100.0]
"""


def test_spec_runner_store_round_trip(tmp_path):
    ds = sensitivity.run_sensitivity(SPEC, tmp_path / "s.zarr")
    assert ds.parameter.values.tolist() == ["c_out", "celsius", "gamma_out"]
    assert ds.output.values.tolist() == ["E"]
    assert ds.parameter_units.values.tolist() == ["mM", "degC", "1"]
    assert ds.distribution.values.tolist()[1] == "normal(37, 1)"
    e = ds.sel(output="E")
    assert e.ST.sel(parameter="c_out") > 0.9 > e.ST.sel(parameter="celsius")
    assert e.quantiles.attrs["units"] == "mV" and e.S1.attrs["units"] == "1"
    for v in ds.variables.values():  # CF: no units on text labels
        assert ("units" in v.attrs) != (v.dtype.kind in "UOT") and "long_name" in v.attrs
    a = ds.attrs
    assert a["ionsweep_mode"] == "sensitivity" and a["ionsweep_complete"]
    assert a["ionsweep_spec"] == SPEC and a["sobol_n_evaluations"] == 512 * 5
    assert a["jax_version"] and a["dtype"] == "float32" and a["wall_time_s"] > 0
    text = "\n".join(sensitivity.format_results(ds.load()))
    assert "Sobol indices of E [mV]" in text and "P(|E| > 100)" in text


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            ("c_out = { uniform = [2.0, 10.0] }", "c_out = 5.0"),
            r"\[inputs\] c_out: give a distribution",
        ),
        (("uniform = [2.0, 10.0]", "uniform = [-2.0, 10.0]"), r"c_out \(distribution\).*> 0"),
        (("uniform = [2.0, 10.0]", "gamma = [2.0, 10.0]"), "give exactly one of"),
        (("celsius = { normal = [37.0, 1.0] }", "celsius = { relative = 0.01 }"), "Celsius"),
        (('ion = "K+"', 'ion = "K+"\nc_out = 3'), "also set by"),
        (("[sobol]\nn = 512", "[sobol]\nn = 1"), r"\[sobol\] n"),
        (
            ("[sobol]\nn = 512\n[uncertainty]\nn = 2000\nthresholds = [100.0]", ""),
            "at least one analysis",
        ),
    ],
)
def test_bad_specs_name_the_field(edit, needle):
    with pytest.raises(SpecError, match=needle):
        sensitivity.parse_sensitivity_spec(SPEC.replace(*edit))


def test_categorical_activity_model_in_spec():
    spec = {
        "model": {
            "name": "activity_error",
            "ions": ["K+", "Cl-"],
            "balance": "Cl-",
            "models": ["ideal", "davies", "extended_debye_huckel"],
        },
        "inputs": {
            "K_out": {"uniform": [2.0, 300.0]},
            "activity_model": {"choices": ["davies", "extended_debye_huckel"]},
        },
        "fixed": {"K_in": 140.0, "celsius": 25.0},
        "outputs": {"variables": ["dE_K"]},
        "morris": {"n": 20},
    }
    ds = sensitivity.run_sensitivity(spec)
    assert ds.mu_star.attrs["units"] == "mV"
    assert ds.mu_star.sel(output="dE_K", parameter="K_out") > 1.0
    bad = {**spec, "inputs": {**spec["inputs"], "activity_model": {"uniform": [0, 1]}}}
    with pytest.raises(SpecError, match="categorical"):
        sensitivity.run_sensitivity(bad)


def test_three_analyses_in_one_result_and_one_compiled_kernel(caplog):
    import jax

    # A title no other test uses: no kernel of this spec is cached in the process yet.
    spec = SPEC.replace("[uncertainty]", "[morris]\nn = 10\n[uncertainty]")
    spec = spec.replace('title = "', 'title = "three analyses: ')
    jax.config.update("jax_log_compiles", True)  # JAX logs every XLA compilation
    try:
        with caplog.at_level(logging.WARNING, logger="jax"):
            ds = sensitivity.run_sensitivity(spec)
    finally:
        jax.config.update("jax_log_compiles", False)
    compiled = [r.getMessage() for r in caplog.records if "XLA compilation" in r.getMessage()]
    # 2560 Sobol, 40 Morris and 2000 Monte Carlo samples through one kernel
    assert sum("Finished XLA compilation of jit(kernel)" in m for m in compiled) == 1, compiled
    assert decode_attrs(ds.attrs)["ionsweep_methods"] == ["sobol", "morris", "uncertainty"]
    assert {"S1", "mu_star", "histogram"} <= set(ds.data_vars)
    assert ds.attrs["morris_n_evaluations"] == 10 * 4


@pytest.mark.parametrize(
    "model", ["ideal", "debye_huckel", "extended_debye_huckel", "truesdell_jones", "davies"]
)
def test_ion_by_ion_gamma_of_the_sweep_model_equals_log_gamma(model):
    from ionsweep.models._activity_ghk import _ln_gamma

    names = ("K+", "Na+", "Ca2+", "Cl-")
    rng = np.random.default_rng(0)
    m = rng.uniform(0.0, 0.3, (50, 4))
    m[0] = 0.0  # pure water
    m[1, 2] = -0.01  # invalid: NaN
    T = rng.uniform(278.15, 313.15, 50)
    expected = ionsweep.activity.log_gamma(model, names, m, T)
    c = {n: np.asarray(ionsweep.activity.molality_to_mM(m[:, k], T)) for k, n in enumerate(names)}
    got = _ln_gamma(model, names, c, T, ("Cl-", "Ca2+"))
    np.testing.assert_allclose(got["Cl-"], expected[:, 3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got["Ca2+"], expected[:, 2], rtol=1e-12, atol=1e-15)
    assert np.isnan(got["Cl-"][1])


def test_pitzer_temperatures_outside_the_parameter_range_are_flagged():
    from ionsweep.sweep import PlanWarning

    spec = {
        "model": {
            "name": "activity_error",
            "ions": ["Na+", "Ca2+", "Cl-", "SO4 2-"],
            "balance": "Cl-",
            "models": ["davies", "pitzer:hmw84"],
        },
        "inputs": {
            "celsius": {"uniform": [20.0, 40.0]},
            "activity_model": {"choices": ["davies", "pitzer:hmw84"]},
        },
        "fixed": {
            "Na_in": 12.0,
            "Na_out": 145.0,
            "Ca_in": 0.0001,
            "Ca_out": 2.0,
            "SO4_in": 1.0,
            "SO4_out": 1.0,
        },
        "outputs": {"variables": ["dE_Ca"]},
        "morris": {"n": 4},
    }
    # HMW84 is stated at 25 °C only; the sampled 20–40 °C goes beyond it.
    with pytest.warns(PlanWarning, match="hmw84.*293.15–313.15 K.*Ca2\\+–Cl-"):
        ds = sensitivity.run_sensitivity(spec)
    assert len(decode_attrs(ds.attrs)["ionsweep_warnings"]) == 1
    # Without the Pitzer model among the choices there is nothing to flag.
    from ionsweep.analysis._sensitivity_spec import parse_sensitivity_spec
    from ionsweep.sweep._api import spec_to_toml

    spec["inputs"]["activity_model"] = {"choices": ["davies"]}
    assert parse_sensitivity_spec(spec_to_toml(spec)).warnings == ()
