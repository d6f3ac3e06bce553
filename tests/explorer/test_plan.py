"""The plan of a view (ranges, ticks, colours, titles, factors, overlay) and its two
renderings: the Bokeh figures on screen and the matplotlib PNG show the same thing."""

import math
import os
from pathlib import Path

import numpy as np
import pytest

from ionsweep.explorer import _figures
from ionsweep.explorer._app import Explorer
from ionsweep.explorer._plan import color_scale, log_ticks, make_plan, palette, wrap_title
from ionsweep.explorer._png import plan_figure

R, F = 8.314462618, 96485.33212  # CODATA 2018


def test_log_ticks_label_both_ends():
    assert log_ticks(0.01, 0.5) == (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)  # 1.7 decades
    assert log_ticks(2.0, 50.0) == (2.0, 5.0, 10.0, 20.0, 50.0)
    assert log_ticks(10**-1, 10**2.5) == (0.1, 1.0, 10.0, 100.0)  # 3.5 decades: powers
    assert log_ticks(0.001, 0.1) == (0.001, 0.01, 0.1)  # exactly two decades
    assert log_ticks(1.0, 1.0) == () and log_ticks(-1.0, 2.0) == ()


def test_colour_scale_is_centred_on_zero_for_signed_values():
    assert color_scale([-7.0, 2.0, np.nan]) == ("RdBu_r", -7.0, 7.0)
    assert color_scale([0.5, 2.0]) == ("viridis", 0.5, 2.0)
    assert color_scale([-3.0, -1.0]) == ("viridis", -3.0, -1.0)
    blue, red = palette("RdBu_r")[0], palette("RdBu_r")[-1]
    assert (blue, red) == ("#053061", "#67001f")  # ColorBrewer RdBu, reversed: −max is blue


def test_titles_wrap_at_spaces_and_keep_each_coordinate_whole():
    text = "activity error at " + ", ".join(f"x{i} = {i}\u00a0mV" for i in range(20))
    wrapped = wrap_title(text, 40)
    lines = wrapped.split("\n")
    assert len(lines) > 3 and all(len(line) <= 40 for line in lines)
    assert wrapped.replace("\n", " ") == text.replace("\u00a0", " ")
    assert not any(line.startswith("mV") for line in lines)  # "x3 = 3 mV" is never cut


def _padded(lo, hi):
    return lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)


def test_facet_ranges_are_shared_or_each_its_own_and_bars_hold_their_whiskers(views_ds):
    ds = views_ds
    dims = {"x": "I_out", "facet": "activity_model"}
    shared = make_plan(ds, "lines", dims, ds.dE_K)
    v = ds.dE_K.values
    (one,) = {p.y_range for p in shared.panels}
    assert one == pytest.approx(_padded(v.min(), v.max()))
    own = make_plan(ds, "lines", dims, ds.dE_K, shared=False)
    for p, row in zip(own.panels, v, strict=True):
        assert p.y_range == pytest.approx(_padded(row.min(), row.max()))
    assert shared.x_ticks == (0.01, 0.02, 0.05, 0.1, 0.2, 0.5) and shared.x_log
    assert "activity_model = extended_debye_huckel" in shared.panels[1].title.replace("\n", " ")

    st, conf = ds.ST.isel(output=0), ds.ST_conf.isel(output=0)
    bars = make_plan(ds, "bars", {"x": "parameter"}, st, conf)
    assert bars.factors == ("I_in", "I_out", "celsius")
    top = float((st + conf).max())  # 0.9 + 0.2: the largest whisker
    assert bars.panels[0].y_range == pytest.approx(_padded(0.0, top))


def test_png_shows_what_the_screen_shows(views_ds):
    """Both renderings of one plan: the same titles, value ranges (one range object when
    shared), log ticks and labels, colour map and limits, factors, legend."""
    ds = views_ds
    views = {
        "facets": make_plan(ds, "lines", {"x": "I_out", "facet": "activity_model"}, ds.dE_K),
        "own": make_plan(
            ds, "lines", {"x": "I_out", "facet": "activity_model"}, ds.dE_K, shared=False
        ),
        "overlay": make_plan(ds, "lines", {"x": "I_out", "overlay": "activity_model"}, ds.dE_K),
        "map": make_plan(ds, "heatmap", {"x": "I_out", "y": "I_in"}, ds.dE_K_map, level=2.0),
        "bars": make_plan(
            ds, "bars", {"x": "parameter"}, ds.ST.isel(output=0), ds.ST_conf.isel(output=0)
        ),
    }
    for name, plan in views.items():
        root, handles = _figures.build(plan, ds)
        fig = plan_figure(plan, ds)
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert len(axes) == len(handles) == len(plan.panels), name
        for h, ax in zip(handles, axes, strict=True):
            bk = h["fig"]
            assert bk.title.text.text == ax.get_title(), name
            assert (bk.y_range.start, bk.y_range.end) == pytest.approx(ax.get_ylim()), name
            if plan.x_log:
                ticks = list(bk.xaxis[0].ticker.ticks)
                assert ticks == list(ax.get_xticks()), name
                fmt = ax.xaxis.get_major_formatter()  # labels hidden on inner panels
                assert [fmt(t, i) for i, t in enumerate(ticks)] == [f"{t:g}" for t in ticks]
                assert bk.xaxis[0].major_label_overrides == {t: f"{t:g}" for t in ticks}
        ranges = {id(h["y_range"]) for h in handles}
        assert len(ranges) == (1 if plan.shared else len(handles)), name
        assert len({id(h["fig"].x_range) for h in handles}) == 1, name  # linked zoom
        if len(handles) > 1:
            assert root.name == "ionsweep-grid" and root.toolbar_location == "right"
            assert all(h["fig"].toolbar_location is None for h in handles)
        _save(fig, name)
    overlay = views["overlay"]
    legend = plan_figure(overlay, ds).axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    (bk_legend,) = _figures.build(overlay, ds)[1][0]["fig"].select({"type": _figures.Legend})
    assert labels == [i.label.value for i in bk_legend.items] == list(ds.activity_model.values)

    heat = views["map"]
    mapper = _figures.build(heat, ds)[1][0]["mapper"]
    mesh = plan_figure(heat, ds).axes[0].collections[0]
    m = float(np.abs(ds.dE_K_map).max())
    assert (mapper.low, mapper.high) == mesh.get_clim() == pytest.approx((-m, m))
    assert mesh.get_cmap().name.startswith("RdBu_r") and mapper.palette == palette("RdBu_r")
    bars = plan_figure(views["bars"], ds).axes[0]
    assert [t.get_text() for t in bars.get_xticklabels()] == ["I_in", "I_out", "celsius"]


def _save(fig, name):
    """Keep the PNG where ``IONSWEEP_VIEW_SHOTS`` says (to look at it)."""
    if os.environ.get("IONSWEEP_VIEW_SHOTS"):
        fig.savefig(Path(os.environ["IONSWEEP_VIEW_SHOTS"]) / f"png_{name}.png", dpi=100)


def test_app_exports_the_plan_it_shows(quickstart_store):
    """The app's default view of the quickstart store: E of K+ over c_out and celsius,
    values of both signs (−195 … +22 mV): a diverging map centred on 0, on screen and in
    the PNG download."""
    import ionsweep

    app = Explorer(ionsweep.open_results(quickstart_store))
    mapper = app._panels[0]["mapper"]
    e_max = 1e3 * R * 313.15 / F * math.log(140 / 0.1)  # 40 °C, c_out 0.1 mM
    assert mapper.high == -mapper.low == pytest.approx(e_max, rel=1e-5)
    assert mapper.palette == palette("RdBu_r")
    assert app._png().getvalue()[:4] == b"\x89PNG"
    app.y.value = ""
    app.overlay.value = "ion"
    assert len(app._panels[0]["lines"]) == 4 and not app.facet.options.get("ion")
    plan = app.plan()
    assert plan.overlay_labels == ("K+", "Na+", "Cl-", "Ca2+") and plan.cmap is None
    app.overlay.value = ""
    app.facet.value = "ion"
    app.scale.value = "independent"
    ids = {id(h["y_range"]) for h in app._panels}
    assert len(ids) == 4
    app.dims_box.objects[0].value = 2  # celsius 15 °C: new data, the same four ranges
    assert {id(h["y_range"]) for h in app._panels} == ids
    plan = app.plan()
    for h, p in zip(app._panels, plan.panels, strict=True):
        assert (h["y_range"].start, h["y_range"].end) == p.y_range


def test_sobol_bars_name_their_parameters_and_hold_their_whiskers(views_ds):
    app = Explorer(views_ds)
    app.quantity.value = "ST"
    fig = app._panels[0]["fig"]
    assert list(fig.x_range.factors) == ["I_in", "I_out", "celsius"]
    assert fig.y_range.end > 1.1 and fig.y_range.start < 0  # whisker 0.9 + 0.2, bars from 0


def test_histograms_are_drawn_over_their_own_bin_centres():
    """A Monte Carlo histogram's bins differ per output (``bin_center`` over (output, bin)):
    each line is drawn over its own centres in mV, not over bin numbers."""
    import xarray as xr

    centres = np.array([[-3.0, -1.0, 1.0, 3.0], [-12.0, -4.0, 4.0, 12.0]])
    ds = xr.Dataset(
        {"histogram": (("output", "bin"), [[0.1, 0.2, 0.15, 0.05], [0.02, 0.05, 0.04, 0.01]])},
        coords={
            "output": ("output", np.array(["dE_K", "dE_Ca"], dtype=object)),
            "bin_center": (("output", "bin"), centres, {"units": "mV"}),
        },
        attrs={"ionsweep_mode": "sensitivity"},
    )
    ds["histogram"].attrs = {"units": "1/mV", "long_name": "probability density"}
    app = Explorer(ds)
    assert app.x.value == "bin"
    fig = app._panels[0]["fig"]
    assert fig.xaxis[0].axis_label.text == "bin_center [mV]"
    np.testing.assert_array_equal(app._panels[0]["lines"][0].data["x"], centres[0])
    app.overlay.value = "output"
    lines = app._panels[0]["lines"]
    for src, row in zip(lines, centres, strict=True):
        np.testing.assert_array_equal(src.data["x"], row)
    x_range = app._panels[0]["fig"].x_range
    assert (x_range.start, x_range.end) == pytest.approx((-12.0 - 0.48, 12.0 + 0.48))
    ax = plan_figure(app.plan(), ds).axes[0]
    assert ax.get_xlabel() == "bin_center [mV]" and ax.get_xlim() == pytest.approx((-12.48, 12.48))
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), centres[1])


def test_bar_labels_turn_only_where_they_would_collide():
    from ionsweep.explorer._plan import label_rotation

    assert label_rotation(["I_in", "I_out", "celsius"]) == 0
    assert label_rotation([f"p{i}" for i in range(8)]) == 35
    assert label_rotation(["activity_model_parameter", "T"]) == 35
