"""The Panel app driven from Python: controls from metadata, redraws, exports, PNG."""

import numpy as np
import pytest
from bokeh.models import Legend

import ionsweep
from ionsweep.explorer._app import Explorer

R, F = 8.314462618, 96485.33212  # CODATA 2018


def _data(app, panel=0):
    h = app._panels[panel]
    fig = h["fig"]
    data = dict((h["data"] if "data" in h else h["lines"][0]).data)
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
    source = app._panels[0]["data"]
    widgets["ion"].value = 1  # Na+: same figure, new data
    fig2, after = _data(app)
    assert fig2 is fig and app._panels[0]["data"] is source
    k = 3 * 71 + 70  # celsius 20 °C, c_out 316 mM, gamma_out 1
    expect = 1e3 * R * 293.15 / F * np.log(10**2.5 / 12.0)
    assert after["value"][k] == pytest.approx(expect, abs=2e-3)
    assert "ion = Na+" in fig.title.text.text and "c_in = 12 mM" in fig.title.text.text
    hover = dict(fig.tools[-1].tooltips)
    assert hover["E [mV]"] == "@image{%.6g}" and hover["c_out [mM]"] == "$x{%.6g}"
    assert hover["ion"] == "Na+" and hover["c_in"] == "12 mM"
    app.contour.value = 60.0
    contour = app._panels[0]["contour"].data
    assert len(contour["xs"]) >= 1 and "|E| = 60" in fig.title.text.text
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
    assert len(app._panels) == 4 and "ion = Ca2+" in app._panels[3]["fig"].title.text.text
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
    assert "confidence interval" in fig.title.text.text
    np.testing.assert_allclose(bars["upper"] - bars["value"], sensitivity_ds.ST_conf[0])


class _StoppedServer:
    """Panel's server as :func:`panel.serve` returns it, faked: its loop stops at once (as on
    Ctrl-C), so ``serve`` returns without anything listening."""

    class _Loop:
        def start(self):
            raise KeyboardInterrupt

    io_loop = _Loop()

    def stop(self):
        pass


def test_serve_builds_the_first_sessions_explorer_before_printing_its_address(
    quickstart_store, monkeypatch, capsys
):
    import socket

    import panel as pn

    from ionsweep.explorer import _app, _server

    built = []

    class Counted(Explorer):
        def __init__(self, ds):
            super().__init__(ds)
            built.append(self)

    seen = {}

    def fake_serve(apps, **kw):
        seen.update(kw, app=apps["/"])
        return _StoppedServer()

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


#: Where Bokeh shows a string as DOM text or draws it on the canvas: store text may sit
#: there as it is. Everything else that holds it must hold it escaped.
_TEXT_SLOTS = {
    ("PlainText", "text"),
    ("CustomSelect", "options"),
    ("Select", "options"),
    ("CustomSelect", "value"),  # the chosen option: matched, never shown
    ("Select", "value"),
    ("FactorRange", "factors"),
    ("ColumnDataSource", "data"),
    ("LegendItem", "label"),  # a legend's labels and title are DOM text, never TeX
    ("Legend", "title"),
}


def _strings(value, path):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, path)
            yield from _strings(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, np.ndarray) and value.dtype.kind in "UOT":
        yield from _strings(value.tolist(), path)


def _panes(obj):
    yield obj
    for child in getattr(obj, "objects", []):
        yield from _panes(child)


def _markup_holding(layout, payloads) -> list[str]:
    """Every property of the page's Bokeh models that holds a payload with a character of
    markup, TeX or tooltip templates (``<>&"'$@``) unescaped where the browser would read
    it as such (a Panel HTML pane's text is sent escaped once more, as Panel does, and is
    read after undoing that); and every Markdown pane holding a payload at all."""
    import html

    import panel as pn
    from bokeh.document import Document

    markdown = [m.object for m in _panes(layout) if isinstance(m, pn.pane.Markdown)]
    found = [f"Markdown: {p}" for text in markdown for p in payloads if p in text]
    payloads = [p for p in payloads if set(p) & set("<>&\"'$@")]
    for model in layout.get_root(Document()).references():
        kind = type(model).__name__
        for prop, value in model.properties_with_values(include_defaults=False).items():
            for path, text in _strings(value, prop):
                if (kind, prop) in _TEXT_SLOTS or (kind == "HoverTool" and path.endswith("[0]")):
                    continue  # a tooltip row's label is DOM text; its value a template
                shown = html.unescape(text) if type(model).__module__.startswith("panel") else text
                found += [f"{kind}.{path}: {p}" for p in payloads if p in shown]
    return found


def test_store_text_reaches_the_page_as_text_only(hostile_store, sensitivity_ds, xss):
    """Every view of a store whose title, labels, names, units and long names carry script
    and markup payloads: no payload where the browser reads markup; the panes that are
    HTML show it escaped; titles and axis labels are plain text (no TeX)."""
    import html

    payloads = list(xss.values())
    app = Explorer(ionsweep.open_results(hostile_store))
    assert _markup_holding(app.layout, payloads) == []  # heatmap
    head = app.layout.objects[0].objects[0].object
    assert f"<h3>{html.escape(xss['title'])}</h3>" in head
    assert f"ion = {html.escape(xss['ion'])}, c_in = 140 " in app.status.object
    slider = {w.name: w for w in app.dims_box.objects}
    label = html.escape(f"{xss['dim']} [{xss['units_dim']}]")
    assert slider[label]._text.value == f"{label}: <b>1</b>"  # Panel's slider label: HTML
    fig = app._panels[0]["fig"]
    title = fig.title.text.text.replace("\n", " ")  # wrapped at spaces
    assert title.startswith(f"{xss['long_E']} at ion = {xss['ion']}, ")
    assert fig.yaxis[0].axis_label.text == f"celsius [{xss['tex']}]"  # no TeX typesetting
    hover = dict(fig.tools[-1].tooltips)
    assert hover["ion"] == "&lt;svg/onload=window.__xss=2&gt;"
    assert hover["c_in"] == "140 &lt;script&gt;window.__xss=3&lt;/script&gt;"
    app.quantity.value = xss["var"]
    app.x.value = xss["dim"]  # on the x axis
    app.y.value = ""  # lines
    app.facet.value = "ion"  # one panel per hostile label
    figs = [h["fig"] for h in app._panels]
    app.dims_box.objects[0].value = 1  # a slider step: same figures, new titles
    assert [h["fig"] for h in app._panels] == figs and len(figs) == 4
    assert _markup_holding(app.layout, payloads) == []
    assert app._png().getvalue()[:4] == b"\x89PNG"  # a `$` in labels is no mathtext error
    app.facet.value = ""
    app.overlay.value = "ion"  # one line per hostile label, in the legend
    (legend,) = app._panels[0]["fig"].select({"type": Legend})
    assert [i.label.value for i in legend.items][:2] == [xss["ion"], xss["ion_link"]]
    assert _markup_holding(app.layout, payloads) == []
    assert app._png().getvalue()[:4] == b"\x89PNG"

    sens = sensitivity_ds.assign_coords(parameter=[xss["ion"], xss["ion_link"], xss["tex"]])
    sens.attrs["title"] = xss["title"]
    sens["ST"].attrs.update(units=xss["units_E"], long_name=xss["long_E"])
    bars = Explorer(sens)
    assert list(bars._panels[0]["data"].data["x"]) == [xss["ion"], xss["ion_link"], xss["tex"]]
    assert _markup_holding(bars.layout, payloads) == []
    assert bars._png().getvalue()[:4] == b"\x89PNG"


def test_only_loopback_addresses_count_as_this_machine():
    from ionsweep.explorer._server import is_loopback

    local = ["127.0.0.1", "127.4.5.6", "::1", "[::1]", "localhost", "LocalHost."]
    others = ["0.0.0.0", "::", "", "192.168.1.5", "10.0.0.1", "fe80::1", "2001:db8::1"]
    assert [is_loopback(h) for h in local] == [True] * len(local)
    assert [is_loopback(h) for h in others] == [False] * len(others)


def test_other_addresses_warn_and_ask_for_a_password(quickstart_store, monkeypatch, capsys):
    """Another address than loopback: a warning, a random password printed once with the
    address and handed to Panel's login; the password from the environment is used on any
    address and never printed. Nothing binds or listens here (Panel's server is faked)."""
    import socket

    import panel as pn

    from ionsweep.explorer import _app, _server

    class NoExplorer:
        def __init__(self, ds):
            self.layout = None

    seen = []
    monkeypatch.setattr(pn, "serve", lambda apps, **kw: seen.append(kw) or _StoppedServer())
    monkeypatch.setattr(_server, "check_port", lambda host, port: None)
    monkeypatch.setattr(_app, "Explorer", NoExplorer)
    monkeypatch.delenv("IONSWEEP_VIEW_PASSWORD", raising=False)
    name = socket.gethostname()

    _server.serve(quickstart_store, port=5999, host="0.0.0.0", show=False)
    out, err = capsys.readouterr()
    assert err.startswith("ionsweep view: warning: 0.0.0.0 is not a loopback address")
    head, _, password = out.splitlines()[0].removesuffix(" (Ctrl-C to stop)").rpartition(" ")
    assert head.endswith(f"at http://{name}:5999/, log in with any user name and the password")
    assert len(password) >= 22 and out.count(password) == 1  # 128 random bits, shown once
    auth = seen[-1]["basic_auth"]
    assert password == auth and password + "x" != auth and password[:-1] != auth
    assert len(seen[-1]["cookie_secret"]) >= 32 and f"{name}:5999" in seen[-1]["websocket_origin"]

    _server.serve(quickstart_store, port=5999, host="127.0.0.1", show=False)
    out, err = capsys.readouterr()
    assert "basic_auth" not in seen[-1] and "warning" not in err and "password" not in out

    monkeypatch.setenv("IONSWEEP_VIEW_PASSWORD", "their own")
    _server.serve(quickstart_store, port=5999, host="127.0.0.1", show=False)
    out, err = capsys.readouterr()
    assert "their own" == seen[-1]["basic_auth"] and "their own" not in out + err
    assert "password in IONSWEEP_VIEW_PASSWORD" in out and "warning" not in err


def test_statistics_over_every_axis_are_shown_as_numbers():
    """A [reduce] over every axis stores each statistic as one number (no dims): the app
    shows the quantity's statistics as a table instead of a plot, and the histogram (which
    keeps its bins) as a figure again when chosen."""
    import xarray as xr

    mv = {"units": "mV", "long_name": "Nernst potential"}
    ds = xr.Dataset(
        {
            "E_min": ((), -95.25, mv),
            "E_max": ((), 61.5, mv),
            "E_mean": ((), -12.125, mv),
            "E_hist": (("E_bin",), np.array([3, 5, 2]), {"units": "1", "long_name": "count"}),
        },
        coords={"E_bin": ("E_bin", [-50.0, 0.0, 50.0], {"units": "mV", "long_name": "bin"})},
        attrs={"ionsweep_mode": "reduce", "ionsweep_spec": '[outputs]\nvariables = ["E"]\n'},
    )
    app = Explorer(ds)
    assert app.stat.value == "mean"
    table = app.plots.objects[0].object
    assert "<th>min</th><td>-95.25 mV</td>" in table and "<td>-12.125 mV</td>" in table
    assert not app.x.visible and not app.png.visible and not app.export_head.visible
    assert "one number over every point" in app.status.object
    app.stat.value = "histogram"
    assert app.x.visible and app.x.value == "E_bin" and app._panels and app.export_head.visible
