"""The Panel app driven from Python: controls from metadata, redraws, exports, PNG."""

import numpy as np
import pytest

import ionsweep
from ionsweep.view._app import Explorer

R, F = 8.314462618, 96485.33212  # CODATA 2018


def _data(app, panel=0):
    fig, sources = app._figs[panel]
    data = dict(sources["data"].data)
    if "image" in data:  # evenly spaced heatmap axes: one image, row-major over (y, x)
        data["value"] = np.ravel(data["image"][0])
    return fig, data


def test_controls_come_from_the_store_and_sliders_redraw_in_place(quickstart_store):
    app = Explorer(ionsweep.open_results(quickstart_store))
    labels = list(app.quantity.options)
    assert labels[0] == "E — Nernst equilibrium potential [mV]"
    assert app.x.value == "c_out" and app.y.value == "celsius"
    assert list(app.x.options) == ["ion", "c_out [mM]", "celsius [°C]", "gamma_out"]
    widgets = {w.label: w for w in app.dims_box.objects}
    assert set(widgets) == {"ion", "gamma_out"}
    assert list(widgets["gamma_out"].options) == ["1", "0.9", "0.75"]  # actual values
    fig, before = _data(app)
    assert fig.x_scale.__class__.__name__ == "LogScale"  # c_out is log-spaced
    source = app._figs[0][1]["data"]
    widgets["ion"].value = 1  # Na+: same figure, new data
    fig2, after = _data(app)
    assert fig2 is fig and app._figs[0][1]["data"] is source
    k = 3 * 71 + 70  # celsius 20 °C, c_out 316 mM, gamma_out 1
    expect = 1e3 * R * 293.15 / F * np.log(10**2.5 / 12.0)
    assert after["value"][k] == pytest.approx(expect, abs=2e-3)
    assert "ion = Na+" in fig.title.text and "c_in = 12 mM" in fig.title.text
    hover = dict(fig.tools[-1].tooltips)
    assert hover["E [mV]"] == "@image{%.6g}" and hover["c_out [mM]"] == "$x{%.6g}"
    assert hover["ion"] == "Na+" and hover["c_in"] == "12 mM"
    app.contour.value = 60.0
    contour = app._figs[0][1]["contour"].data
    assert len(contour["xs"]) >= 1 and "|E| = 60" in fig.title.text
    app.y.value = "gamma_out"  # unevenly spaced (1, 0.9, 0.75): one quad per cell
    _, quads = _data(app)
    assert "image" not in quads and len(quads["value"]) == 3 * 71
    cell = sorted([quads["top"][0], quads["bottom"][0]])  # gamma_out 1: midpoints to 0.9
    assert cell == pytest.approx([0.95, 1.05])
    app.y.value = ""  # lines
    fig3, lines = _data(app)
    assert fig3 is not fig and len(lines["value"]) == 71
    assert {w.label for w in app.dims_box.objects} == {"ion", "celsius [°C]", "gamma_out"}


def test_facets_statistics_and_exports(quickstart_store, reduce_store, sensitivity_ds):
    app = Explorer(ionsweep.open_results(quickstart_store))
    app.y.value = ""
    assert app._png().getvalue()[:8] == b"\x89PNG\r\n\x1a\n"  # matplotlib, same slice
    app.y.value = "celsius"
    app.facet.value = "ion"
    assert len(app._figs) == 4 and "ion = Ca2+" in app._figs[3][0].title.text
    assert app._csv().getvalue().count("\n") == 4 * 8 * 71 + 1
    red = Explorer(ionsweep.open_results(reduce_store))
    assert red.stat.visible and red.stat.value == "mean"
    red.stat.value = "histogram"
    assert red.var == "V_rev_hist" and red.x.value == "V_rev_bin"
    _, hist = _data(red)  # at K_out = 2 mM, 20 °C: GHK voltages over the 6 P_Na values
    pna = np.logspace(-3, 0, 6)
    v = 1e3 * R * 293.15 / F * np.log((2 + 145 * pna + 0.7) / (140 + 12 * pna + 12))
    np.testing.assert_array_equal(hist["value"], np.histogram(v, 10, (-100, 50))[0])
    sens = Explorer(sensitivity_ds)
    fig, bars = _data(sens)
    assert list(bars["x"]) == ["I_in", "I_out", "celsius"]
    assert "confidence interval" in fig.title.text
    np.testing.assert_allclose(bars["upper"] - bars["value"], sensitivity_ds.ST_conf[0])


def test_serve_builds_the_first_sessions_explorer_before_printing_its_address(
    quickstart_store, monkeypatch, capsys
):
    import socket

    import panel as pn

    from ionsweep.view import _app, _server

    built = []

    class Counted(Explorer):
        def __init__(self, ds):
            super().__init__(ds)
            built.append(self)

    class Loop:
        def start(self):
            raise KeyboardInterrupt

    class Server:
        io_loop = Loop()

        def stop(self):
            pass

    seen = {}

    def fake_serve(apps, **kw):
        seen.update(kw, app=apps["/"])
        return Server()

    monkeypatch.setattr(_app, "Explorer", Counted)
    monkeypatch.setattr(pn, "serve", fake_serve)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _server.serve(quickstart_store, port=port, show=False)
    assert seen["warm"] is True  # Panel renders one throwaway session before serving
    assert "serving" in capsys.readouterr().out and len(built) == 1  # built ahead
    first = seen["app"]()
    assert first is built[0].layout and len(built) == 1  # the first session takes it
    assert seen["app"]() is built[1].layout  # later sessions build their own
