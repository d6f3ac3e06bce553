"""Figures: labelled axes with units, facets, contours, bar charts; headless (Agg)."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from ionsweep import plot, sensitivity  # noqa: E402


@pytest.fixture
def sweep():
    """A stored-sweep-like Dataset: ΔE over (activity_model, I_in, I_out, celsius)."""
    I = np.geomspace(0.01, 0.5, 9)
    T = np.array([5.0, 37.0])
    models = np.array(["davies", "pitzer"])
    scale = np.array([1.0, 1.3])[:, None, None, None]
    dE = 25.0 * scale * (np.log(I)[None, :, None, None] - np.log(I)[None, None, :, None]) / 2.5
    dE = dE * (1 + 0.003 * T)[None, None, None, :]
    return xr.Dataset(
        {
            "dE_K": (
                ("activity_model", "I_in", "I_out", "celsius"),
                dE,
                {"units": "mV", "long_name": "activity error of E_K"},
            )
        },
        coords={
            "activity_model": ("activity_model", models, {"units": "1", "long_name": "model"}),
            "I_in": ("I_in", I, {"units": "M", "long_name": "ionic strength inside"}),
            "I_out": ("I_out", I, {"units": "M", "long_name": "ionic strength outside"}),
            "celsius": ("celsius", T, {"units": "degC", "long_name": "temperature"}),
        },
    )


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_lines_facetted_by_categorical_axis(sweep, tmp_path):
    fig = plot.lines(sweep.dE_K, x="I_out", sel={"I_in": 0.15})
    axes = visible(fig)
    assert len(axes) == 2  # one panel per activity model; celsius → one line per value
    assert [ax.get_title() for ax in axes] == ["activity_model = davies", "activity_model = pitzer"]
    assert axes[0].get_ylabel() == "activity error of E_K [mV]"
    assert axes[0].get_xlabel() == "ionic strength outside [M]"
    assert axes[0].get_xscale() == "log"  # geometric coordinate
    assert len(axes[0].get_lines()) == 2
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["5 °C", "37 °C"]
    for suffix in ("png", "svg", "pdf"):
        fig.savefig(tmp_path / f"f.{suffix}")
        assert (tmp_path / f"f.{suffix}").stat().st_size > 1000


def test_heatmap_with_contour_at_5_mV(sweep):
    fig = plot.heatmap(sweep.dE_K, "I_out", "I_in", contour=5.0, sel={"celsius": 37})
    axes = visible(fig)
    assert len(axes) == 2
    ax = axes[0]
    assert ax.get_xlabel() == "ionic strength outside [M]"
    assert ax.get_ylabel() == "ionic strength inside [M]"
    assert any(isinstance(c, ContourSet) for c in ax.collections)
    colorbar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert "[mV]" in colorbar.get_ylabel()
    assert "|dE_K| = 5 mV" in fig.get_suptitle()
    lo, hi = ax.collections[0].get_clim()
    assert lo == -hi < 0  # diverging, centred on 0


def test_selection_and_layout_errors(sweep):
    extra = sweep.dE_K.expand_dims(ion=["K+", "Na+"])
    with pytest.raises(ValueError, match="select some of them"):
        plot.heatmap(extra, "I_out", "I_in")  # ion, activity_model, celsius left over
    with pytest.raises(ValueError, match="no label 'ideal'"):
        plot.select(sweep.dE_K, {"activity_model": "ideal"})
    with pytest.raises(ValueError, match="cannot select bogus"):
        plot.select(sweep.dE_K, {"bogus": 1})
    assert float(plot.select(sweep.dE_K, {"celsius": "36"}).celsius) == 37.0  # nearest


@pytest.fixture(scope="module")
def indices_ds():
    spec = {
        "model": {"name": "nernst"},
        "inputs": {"c_out": {"uniform": [2.0, 10.0]}, "celsius": {"uniform": [20.0, 40.0]}},
        "fixed": {"c_in": 140.0, "ion": "K+"},
        "sobol": {"n": 128},
        "morris": {"n": 10},
        "uncertainty": {"n": 1000, "thresholds": [80.0]},
    }
    return sensitivity.run_sensitivity(spec)


def test_sobol_and_morris_bars_with_confidence_intervals(indices_ds):
    fig = plot.indices(indices_ds)
    (ax,) = visible(fig)
    assert ax.get_ylabel() == "Sobol index (dimensionless)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["c_out\n[mM]", "celsius\n[°C]"]
    assert len(ax.containers) == 4  # S1 and ST bars, each with its error bars
    assert "E: Nernst equilibrium potential" in ax.get_title()
    fig = plot.indices(indices_ds, kind="morris")
    (ax,) = visible(fig)
    assert ax.get_ylabel() == "μ*, σ [mV]"


def test_histogram_of_monte_carlo(indices_ds):
    fig = plot.histogram(indices_ds)
    (ax,) = visible(fig)
    assert ax.get_xlabel() == "E [mV]"
    assert ax.get_ylabel() == "probability density [1/mV]"
    assert "P(|x| > 80)" in ax.texts[-1].get_text()


def test_auto_picks_the_figure(indices_ds, sweep):
    assert "Sobol" in plot.auto(indices_ds, "ST").get_suptitle()
    assert "Morris" in plot.auto(indices_ds, "mu_star").get_suptitle()
    assert "Monte Carlo" in plot.auto(indices_ds, "histogram").get_suptitle()
    fig = plot.auto(sweep, "dE_K", x="I_out", y="I_in", contour=5, sel={"celsius": 5})
    assert any(isinstance(c, ContourSet) for c in visible(fig)[0].collections)
    with pytest.raises(ValueError, match="no variable 'nope'"):
        plot.auto(sweep, "nope")


def test_store_text_with_dollar_signs_is_drawn_as_text(sweep):
    """Store text is anyone's: an unbalanced ``$`` (a mathtext error) and a TeX command
    in a long name and units are drawn as the characters they are, in every figure kind."""
    import matplotlib.pyplot as plt

    da = sweep.dE_K.assign_attrs(long_name=r"cost in $ \href{x}{y}", units="$mV")
    fig = plot.heatmap(da, x="I_in", y="I_out", sel={"activity_model": "davies", "celsius": 37})
    texts = [t for t in fig.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert texts and not any(t.get_parse_math() for t in texts)
    fig.savefig(io.BytesIO(), format="png")  # mathtext would raise on the lone '$'
    line = plot.lines(da, x="I_in", sel={"activity_model": "davies", "I_out": 0.5, "celsius": 37})
    line.savefig(io.BytesIO(), format="png")
    plt.close("all")
    assert matplotlib.rcParams["text.parse_math"]  # the caller's own setting is untouched


def test_sobol_bars_of_many_inputs_and_outputs_stack_into_a_readable_figure(tmp_path):
    """7 inputs × 3 outputs (the activity-error Sobol spec's shape): panels stack rather
    than make a 2632 × 570 px strip, and the x label names what the axis holds."""
    names = ["I_in", "I_out", "celsius", "K_out", "activity_model", "g_in", "g_out"]
    units = ["M", "M", "degC", "mM", "1", "1", "1"]
    rng = np.random.default_rng(0)
    shape = (3, len(names))
    ds = xr.Dataset(
        {v: (("output", "parameter"), rng.uniform(0, 0.5, shape)) for v in ("S1", "ST")}
        | {f"{v}_conf": (("output", "parameter"), np.full(shape, 0.05)) for v in ("S1", "ST")},
        coords={
            "output": ["dE_K", "dE_Cl", "dE_Ca"],
            "parameter": names,
            "parameter_units": ("parameter", units),
            "output_units": ("output", ["mV"] * 3),
        },
    )
    fig = plot.indices(ds)
    axes = visible(fig)
    assert len(axes) == 3 and {ax.get_xlabel() for ax in axes} == {"input"}
    fig.savefig(tmp_path / "s.png", dpi=150)
    import matplotlib.image

    height, width = matplotlib.image.imread(tmp_path / "s.png").shape[:2]
    assert width <= 1650 and height >= 0.5 * width, (width, height)
