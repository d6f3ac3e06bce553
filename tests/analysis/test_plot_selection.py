"""Plot selection says what it plots (nearest grid value, out-of-range errors), contours are
laid out on the final axis scales, colour ranges per panel where one would wash out others."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from ionsweep import plot  # noqa: E402
from ionsweep.cli import main  # noqa: E402


def grid(scale=(1.0, 1.3)):
    """ΔE over (activity_model, I_in, I_out, celsius), celsius 5…40 step 5 as in the issue."""
    I = np.geomspace(0.01, 0.5, 7)
    T = np.arange(5.0, 45.0, 5.0)
    s = np.asarray(scale)[:, None, None, None]
    dE = 10.0 * s * (np.log(I)[None, :, None, None] - np.log(I)[None, None, :, None])
    dE = dE * (1 + 0.003 * T)[None, None, None, :]
    return xr.DataArray(
        dE,
        dims=("activity_model", "I_in", "I_out", "celsius"),
        name="dE_K",
        attrs={"units": "mV", "long_name": "activity error of E_K"},
        coords={
            "activity_model": ("activity_model", ["davies", "pitzer"], {"units": "1"}),
            "I_in": ("I_in", I, {"units": "mol/kg", "long_name": "ionic strength inside"}),
            "I_out": ("I_out", I, {"units": "mol/kg", "long_name": "ionic strength outside"}),
            "celsius": ("celsius", T, {"units": "degC", "long_name": "temperature"}),
        },
    )


def test_nearest_grid_value_is_shown_with_its_units():
    fig = plot.heatmap(grid(), "I_out", "I_in", contour=5.0, sel={"celsius": "37"})
    assert "celsius = 35 °C (nearest grid value to 37)" in fig.get_suptitle()
    fig = plot.lines(grid(), "I_out", sel={"I_in": 0.15, "celsius": 35})
    title = fig.get_suptitle()
    assert "I_in = 0.1357 mol/kg (nearest grid value to 0.15)" in title
    assert "celsius = 35 °C" in title and "nearest grid value to 35" not in title


@pytest.mark.parametrize("value", ["370", "-3", "4.99"])
def test_selection_outside_the_grid_is_an_error_naming_its_range(value):
    with pytest.raises(ValueError, match=r"celsius = .* is outside the grid: .* 5 to 40 °C"):
        plot.select(grid(), {"celsius": value})


def test_cli_selection_outside_the_grid_exits_2(tmp_path, capsys):
    store = tmp_path / "t.zarr"
    spec = tmp_path / "t.toml"
    spec.write_text(
        '[model]\nname = "nernst"\n[axes]\nc_out = [2.0, 5.0, 10.0]\n'
        "celsius = [5.0, 20.0, 40.0]\n[fixed]\nc_in = 140.0\nz = 1\n"
    )
    assert main(["run", str(spec), "--out", str(store), "--quiet"]) == 0
    capsys.readouterr()
    code = main(["plot", str(store), "E", "--x", "c_out", "--sel", "celsius=370", "-o",
                 str(tmp_path / "f.png")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1
    assert "celsius = 370 is outside the grid" in err and "5 to 40" in err


def test_contours_are_drawn_on_the_final_axis_scales(monkeypatch):
    scales = []
    original = Axes.clabel

    def spy(self, *args, **kwargs):
        scales.append((self.get_xscale(), self.get_yscale()))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "clabel", spy)
    plot.heatmap(grid(), "I_out", "I_in", contour=5.0, sel={"celsius": 35})
    assert scales and all(s == ("log", "log") for s in scales)


def meshes(fig):
    return [c for ax in fig.axes for c in ax.collections if hasattr(c, "get_clim")][:2]


def test_colour_range_per_panel_when_one_would_wash_out_the_others():
    fig = plot.heatmap(grid(scale=(1.0, 30.0)), "I_out", "I_in", sel={"celsius": 35})
    (lo1, hi1), (lo2, hi2) = (m.get_clim() for m in meshes(fig))
    assert hi2 / hi1 == pytest.approx(30.0, rel=1e-9)  # each panel spans its own data
    assert "colour scale per panel" in fig.get_suptitle()
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 2
    fig = plot.heatmap(grid(scale=(1.0, 1.3)), "I_out", "I_in", sel={"celsius": 35})
    (lo1, hi1), (lo2, hi2) = (m.get_clim() for m in meshes(fig))
    assert (lo1, hi1) == (lo2, hi2)  # similar ranges: one shared scale and colour bar
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 1


def test_histogram_quantile_labels_clear_the_title():
    from ionsweep import sensitivity

    ds = sensitivity.propagate(
        lambda x: 2.0 * x["a"], {"a": sensitivity.uniform(0.0, 1.0)}, n=500, units="mV"
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    ds = ds.expand_dims(output=["E"]).assign_coords(
        output_long_name=("output", ["Nernst equilibrium potential"])
    )
    fig = plot.histogram(ds)
    assert fig.axes[0].get_title() == "E: Nernst equilibrium potential"
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = next(a for a in fig.axes if a.get_visible())
    title = ax.title.get_window_extent(renderer)
    for text in ax.texts:
        if text.get_text().startswith("q"):
            assert not text.get_window_extent(renderer).overlaps(title), text.get_text()


def test_legend_title_is_the_dimension_and_its_units():
    da = grid().sel(activity_model="davies", I_in=0.01)
    da["celsius"].attrs["long_name"] = "celsius (zip axis)"
    fig = plot.lines(da, "I_out")
    legend = next(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)
    assert legend.get_title().get_text() == "celsius [°C]"
