"""Spec validation: every bad spec is refused before any work, with the field named."""

import numpy as np
import pytest

from ionsweep.sweep import SpecError, parse_spec

BASE = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [1, 10, 4] }}
{extra_axes}
[fixed]
c_in = 140
{extra_fixed}
"""


def spec(extra_axes="", extra_fixed='ion = "K+"', tail=""):
    return BASE.format(extra_axes=extra_axes, extra_fixed=extra_fixed) + tail


def test_minimal_spec_builds_a_plan():
    plan = parse_spec(spec(extra_axes='celsius = [20, 37]\nion = ["K+", "Ca++"]', extra_fixed=""))
    assert plan.dims == ("c_out", "celsius", "ion")
    assert plan.shape == (4, 2, 2)
    np.testing.assert_allclose(plan.axes[0].feeds["c_out"], [1, 4, 7, 10])
    np.testing.assert_allclose(plan.axes[1].feeds["T"], [293.15, 310.15])
    np.testing.assert_allclose(plan.axes[1].coord, [20, 37])
    assert plan.axes[2].coord.tolist() == ["K+", "Ca2+"]  # canonical names
    np.testing.assert_allclose(plan.axes[2].feeds["z"], [1, 2])
    assert plan.fixed["c_in"] == 140 and "T" not in plan.fixed
    assert parse_spec(spec()).fixed["T"] == 310.15  # default: 37 °C
    assert plan.dtype == "float32"


def test_generators():
    plan = parse_spec(
        spec(
            extra_axes="T = { logspace = [2, 3, 3] }\n"
            "gamma_in = { geomspace = [0.5, 2, 3] }\n"
            "gamma_out = { arange = [0.5, 1.0, 0.25] }"
        )
    )
    np.testing.assert_allclose(plan.axes[1].feeds["T"], [100, 10**2.5, 1000])
    np.testing.assert_allclose(plan.axes[2].feeds["gamma_in"], [0.5, 1, 2])
    np.testing.assert_allclose(plan.axes[3].feeds["gamma_out"], [0.5, 0.75])


def test_zip_axis_labels_and_members():
    plan = parse_spec("""
[model]
name = "nernst"
[fixed]
ion = "Na+"
[axes.solution]
labels = ["ringer", "acsf"]
c_out = [5, 2.5]
c_in = [140, 130]
[axes]
celsius = [37]
""")
    ax = plan.axes[0]
    assert ax.coord.tolist() == ["ringer", "acsf"]
    assert set(ax.feeds) == {"c_out", "c_in"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (spec(tail="[bogus]\nx = 1\n"), "bogus: unknown key"),
        (spec(extra_axes="c_outside = [1, 2]"), "[axes] c_outside"),
        (spec(extra_axes="c_in = [1, 2]"), "[fixed] c_in: input 'c_in' is also set"),
        (spec(extra_axes='ion = ["K+", "Xx+"]', extra_fixed=""), "unknown ion 'Xx+'"),
        (spec(extra_axes="z = [1, 0]", extra_fixed=""), "valence must be non-zero"),
        (spec(extra_axes="T = [300, 0]"), "must be > 0 K"),
        (spec(extra_axes="celsius = [-300]"), "above absolute zero (-273.15 °C), got -300 °C"),
        (spec(extra_axes="gamma_in = []"), "[axes] gamma_in: axis is empty"),
        (spec(extra_axes='gamma_in = [1, "abc"]'), "values must be numbers"),
        (spec(extra_axes="gamma_in = [1, nan]"), "must be finite"),
        (spec(extra_axes="gamma_in = [1, 1]"), "distinct"),
        (spec(extra_axes="gamma_in = { linspace = [1, 2] }"), "linspace takes [start, stop, num]"),
        (spec(tail='[outputs]\nvariables = ["V"]\n'), "unknown output 'V'"),
        (spec(tail='[outputs]\ngrad = ["z"]\n'), "categorical"),
        (spec(tail='[outputs]\ngrad = ["ion"]\n'), "not an input"),
        (spec(tail='[run]\ndtype = "float16"\n'), "[run] dtype"),
        (spec(tail='[run]\nmemory = "lots"\n'), "[run] memory"),
        (spec(tail="[run]\nthreads = 4\n"), "[run] threads: unknown key"),
        (spec(tail='[reduce]\nover = ["nope"]\n'), "[reduce] over"),
        (spec(tail='[reduce]\ncount = ["E >> 5"]\n'), "[reduce] count"),
        (
            "[model]\nname = 'nernst'\n[axes]\nc_out = [1, -5]\n[fixed]\nc_in = 1\nz = 1",
            "must be > 0",
        ),
        (
            "[model]\nname = 'nernst'\n[axes]\nc_out = [1, 0]\n[fixed]\nc_in = 1\nz = 1",
            "must be > 0",
        ),
        ("[model]\nname = 'nernst'\n[axes]\nc_out = [1, 2]\n", "needs input 'c_in'"),
        ("[model]\nname = 'nerst'\n[axes]\nc_out = [1]\n", "unknown model 'nerst'"),
        ("[model]\nname = 'nernst'\n", "at least one axis"),
        ("[axes]\nc_out = [1]\n", "[model]"),
        ("model = [", "not valid TOML"),
        (
            "[model]\nname='nernst'\n[axes.s]\nc_in=[1,2]\nc_out=[1]\n[fixed]\nz=1",
            "unequal lengths",
        ),
        ("[model]\nname='ghk_voltage'\nions=['K+','K']\n[axes]\nT=[300]\n", "lists an ion twice"),
        ("[model]\nname='no.such.module:f'\n[axes]\nx=[1]\n", "cannot import model"),
    ],
)
def test_bad_specs_name_the_field(text, needle):
    with pytest.raises(SpecError) as err:
        parse_spec(text, source="s.toml")
    assert str(err.value).startswith("s.toml: ")
    assert needle in str(err.value)


def test_ghk_current_allows_zero_concentration_but_not_negative():
    ok = "[model]\nname='ghk_current'\n[axes]\nc_out=[0, 1]\n[fixed]\nc_in=1\nP=1e-6\nV=0\nz=1\n"
    parse_spec(ok)
    with pytest.raises(SpecError, match="must be >= 0"):
        parse_spec(ok.replace("c_out=[0, 1]", "c_out=[-1, 1]"))


def test_chunks_follow_memory_budget_and_requests():
    text = spec(
        extra_axes="celsius = { linspace = [0, 40, 1000] }", tail='[run]\nmemory = "100kB"\n'
    )
    plan = parse_spec(text)
    assert plan.chunks[0] * plan.chunks[1] * 4 * 1 * 4 <= 100_000
    assert plan.chunks[1] > 1  # the last (contiguous) axis is filled first
    plan = parse_spec(spec(tail="[run]\nchunks = { c_out = 3 }\n"))
    assert plan.chunks == (3,)


def test_ion_symbols_keep_a_monovalent_ions_formula_digits():
    from ionsweep.models._builtin import symbol

    names = ["K+", "Ca2+", "Ca++", "SO4 2-", "HCO3-", "Cl-", "La3+"]
    assert [symbol(i) for i in names] == ["K", "Ca", "Ca", "SO4", "HCO3", "Cl", "La"]


def test_a_dict_spec_is_validated_directly_and_recorded_as_toml():
    spec = {
        "model": {"name": "nernst"},
        "axes": {"c_out": np.array([5.0, 10.0]), "ion": ("K+", "Na+")},
        "fixed": {"c_in": np.float32(140.0), "celsius": 37.0},
    }
    plan = parse_spec(spec, source="<dict>")
    assert plan.shape == (2, 2) and plan.fixed["c_in"] == 140.0
    again = parse_spec(plan.spec_text)  # the recorded text gives the same plan
    assert again.spec_hash == plan.spec_hash and again.shape == plan.shape
    assert again.fixed == plan.fixed
    # A value TOML cannot hold is named by its field, not reported as a TOML syntax error.
    with pytest.raises(SpecError, match=r"<dict>: \[fixed\] c_in: values must be numbers"):
        parse_spec({**spec, "fixed": {"c_in": None, "celsius": 37.0}}, source="<dict>")
