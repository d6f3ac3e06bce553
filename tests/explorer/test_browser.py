"""End to end in headless Chromium: ``ionsweep view`` on the quickstart store, the variable
list with units, a slider step that changes the shown coordinate and the plotted data; the
views an hvPlot user expects (facets, overlay, Sobol bars, a signed map), checked through
the page's Bokeh models; and a store carrying script payloads in its text, behind a
password: refused without it, shown as literal text with it, no script run.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it), driven by Playwright;
the screenshot is kept under the test's tmp path, and copied to the path in
``IONSWEEP_VIEW_SCREENSHOT`` when set (the README's picture is made this way); the views'
screenshots and PNG downloads go to the folder ``IONSWEEP_VIEW_SHOTS`` when set.
"""

import asyncio
import contextlib
import http.client
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (test extra)")

R, F = 8.314462618, 96485.33212  # CODATA 2018


@pytest.fixture(scope="module")
def exe():
    """The Chromium executable (``IONSWEEP_CHROMIUM``, ``chromium``, ``chromium-browser``);
    the test is skipped without one."""
    for name in (os.environ.get("IONSWEEP_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium executable (apt-get install chromium; .ci/run does)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve(store, cwd, env=None, stop=signal.SIGINT):
    """``ionsweep view STORE`` on a free loopback port: yields its URL and first line."""
    port = _free_port()
    cmd = [str(Path(sys.executable).with_name("ionsweep")), "view", str(store)]
    cmd += ["--port", str(port), "--no-browser"]
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    try:
        assert line and "serving" in line[0], proc.stderr.read() if proc.poll() else "no line"
        assert f"http://127.0.0.1:{port}/" in line[0]
        yield f"http://127.0.0.1:{port}/", line[0]
    finally:
        proc.send_signal(stop)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "warning" not in err  # loopback: no warning


@pytest.fixture
def server(quickstart_store, tmp_path):
    with _serve(quickstart_store, tmp_path) as (url, _):
        yield url


_DATA = (
    "() => { const d = Bokeh.documents[0].get_model_by_name('ionsweep-data-0').data;"
    " return Array.from(d.image ? d.image[0] : d.value); }"
)


def test_view_in_chromium(server, tmp_path, exe):
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server)
            page.wait_for_function(
                "() => window.Bokeh && Bokeh.documents.length > 0 && "
                "Bokeh.documents[0].get_model_by_name('ionsweep-data-0') !== null",
                timeout=30000,
            )
            options = page.locator("select").first.locator("option").all_inner_texts()
            assert options == [
                "E — Nernst equilibrium potential [mV]",
                "dE_dT — derivative of Nernst equilibrium potential with respect to "
                "temperature [mV/K]",
                "dE_dc_out — derivative of Nernst equilibrium potential with respect to "
                "concentration outside [mV/mM]",
            ]
            axes = (
                page.locator("select >> visible=true")
                .nth(1)
                .evaluate("s => s.selectedOptions[0].text")
            )
            assert axes == "c_out [mM]"
            label = page.get_by_text("gamma_out:").first
            assert label.inner_text().replace("\n", " ").strip() == "gamma_out: 1"
            before = page.evaluate(_DATA)
            k = 3 * 71 + 40  # 20 °C, c_out index 40, K+ (140 mM inside)
            c_out = 10 ** (-1 + 3.5 * 40 / 70)
            e_ideal = 1e3 * R * 293.15 / F * math.log(c_out / 140.0)
            assert before[k] == pytest.approx(e_ideal, abs=2e-3)

            page.locator(".noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => ({_DATA})()[{k}] !== {before[k]!r}", timeout=10000)
            assert label.inner_text().replace("\n", " ").strip() == "gamma_out: 0.9"
            after = page.evaluate(_DATA)
            e_09 = 1e3 * R * 293.15 / F * math.log(0.9 * c_out / 140.0)
            assert after[k] == pytest.approx(e_09, abs=2e-3)
            assert page.get_by_text("gamma_out = 0.9").count() >= 1  # status and title

            contour = page.locator("input[type=text], input:not([type])").first
            contour.fill("60")
            contour.press("Enter")
            page.wait_for_function(
                "() => Bokeh.documents[0].get_model_by_name('ionsweep-contour-0')"
                ".data.xs.length > 0",
                timeout=10000,
            )
            fig = page.evaluate(_FIGURES)["figs"][0]  # the contour's words: a second line
            assert fig["title"].endswith("black line:\n|E| = 60") and fig["height"] == 396
            page.wait_for_timeout(300)
            shot = tmp_path / "view.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("IONSWEEP_VIEW_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["IONSWEEP_VIEW_SCREENSHOT"])


# The page's Bokeh models as shown now: the figures of the newest root (a facet grid's
# panels, or one figure; models of replaced figures may linger in the document until it is
# cleaned, and ids grow with creation), each with what the checks need.
_FIGURES = """() => {
  const all = Array.from(Bokeh.documents[0].all_models);
  const newest = (name) => all.filter((m) => m.name === name)
    .sort((a, b) => parseInt(b.id.slice(1)) - parseInt(a.id.slice(1)))[0];
  const first = newest("ionsweep-figure-0");
  const grid = newest("ionsweep-grid");
  const inGrid = grid && grid.children.some((c) => c[0] === first);
  const figs = inGrid ? grid.children.map((c) => c[0]) : [first];
  return {
    toolbar: inGrid ? grid.toolbar_location : first.toolbar_location,
    figs: figs.map((f) => ({
      x_range: f.x_range.id, y_range: f.y_range.id,
      y: [f.y_range.start, f.y_range.end], factors: f.x_range.factors ?? null,
      x_axis: f.below[0].type, x_ticks: f.below[0].ticker.ticks ?? null,
      toolbar: f.toolbar_location, title: f.title.text.text, height: f.height,
      legend: f.right.filter((r) => r.items).map((l) => l.items.map((i) => i.label.value)),
      mapper: f.right.filter((r) => r.color_mapper).map((c) => ({
        first: c.color_mapper.palette[0], last: c.color_mapper.palette.at(-1),
        n: c.color_mapper.palette.length, low: c.color_mapper.low, high: c.color_mapper.high,
      })),
    })),
  };
}"""


_READY_VIEWS = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('ionsweep-figure-0') !== null"
)


def _shown(page, condition):
    """Wait until ``condition`` (JavaScript over ``s``, the figures shown) holds; return s."""
    page.wait_for_function(f"() => {{ const s = ({_FIGURES})(); return {condition}; }}")
    return page.evaluate(_FIGURES)


def _keep(page, tmp_path, name):
    """Screenshot and the app's PNG download of the view, kept in ``IONSWEEP_VIEW_SHOTS``."""
    page.wait_for_timeout(300)  # the canvas paints after the models arrive
    with page.expect_download() as download:
        page.get_by_role("button", name="PNG").click()
    png = tmp_path / f"export_{name}.png"
    download.value.save_as(png)
    assert png.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("IONSWEEP_VIEW_SHOTS"):
        keep = Path(os.environ["IONSWEEP_VIEW_SHOTS"])
        page.screenshot(path=str(keep / f"screen_{name}.png"), full_page=True)
        shutil.copyfile(png, keep / f"export_{name}.png")


@pytest.fixture(scope="module")
def views_server(views_store, tmp_path_factory):
    with _serve(views_store, tmp_path_factory.mktemp("views")) as (url, _):
        yield url


def test_facets_overlay_bars_and_signed_map_in_chromium(views_server, tmp_path, exe):
    """hvPlot-like views, read from the page's Bokeh models: a signed map on a diverging
    scale centred on 0; facets sharing one y range (or each its own), one toolbar, linked
    x, full titles, 1-2-5 log ticks down to 0.01 M; an overlay with a legend; Sobol bars
    labelled with the parameters, whiskers inside the y range."""
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(20000)
            page.goto(views_server)
            page.wait_for_function(_READY_VIEWS)
            _check_views(page, tmp_path)
        finally:
            browser.close()


def _check_views(page, tmp_path):
    s = _shown(page, "s.figs[0].mapper.length === 1")
    (mapper,) = s["figs"][0]["mapper"]  # E of K+: −195 … +22 mV
    e_max = 1e3 * R * 313.15 / F * math.log(140 / 0.1)  # 40 °C, c_out 0.1 mM
    assert mapper["high"] == -mapper["low"] == pytest.approx(e_max, rel=1e-5)
    assert (mapper["first"], mapper["last"], mapper["n"]) == ("#053061", "#67001f", 256)
    assert s["figs"][0]["x_ticks"] == [0.1, 1, 10, 100]  # c_out: 3.5 decades
    _keep(page, tmp_path, "signed_map")

    page.get_by_label("Variable").select_option(label="dE_K — activity error of E_K: "
                                                 "E(activity_model) - E(ideal) [mV]")  # fmt: skip
    _shown(page, "s.figs[0].x_ticks && s.figs[0].x_ticks[0] === 0.01")
    page.get_by_label("Facet: one panel per value").select_option(label="activity_model")
    s = _shown(page, "s.figs.length === 3")
    d_e = [-11.77, 6.51]  # debye_huckel at 0.5 and 0.01 M: the extremes of all three
    lo, hi = d_e[0] - 0.05 * (d_e[1] - d_e[0]), d_e[1] + 0.05 * (d_e[1] - d_e[0])
    for f, model in zip(
        s["figs"], ["debye_huckel", "extended_debye_huckel", "davies"], strict=True
    ):
        assert f["y"] == pytest.approx([lo, hi], abs=0.02) and f["toolbar"] is None
        assert f"activity_model = {model}" in f["title"].replace("\n", " ")
        assert max(len(line) for line in f["title"].split("\n")) <= 55
        assert f["x_ticks"] == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    assert len({f["y_range"] for f in s["figs"]}) == len({f["x_range"] for f in s["figs"]}) == 1
    assert s["toolbar"] == "right"  # one toolbar for the grid
    _keep(page, tmp_path, "facets")
    page.get_by_label("Facet scale (y range, colours)").select_option(label="each panel its own")
    s = _shown(page, "new Set(s.figs.map((f) => f.y_range)).size === 3")
    assert s["figs"][2]["y"][1] - s["figs"][2]["y"][0] < 0.5 * (hi - lo)  # davies: −1.6…3.7

    page.get_by_label("Facet: one panel per value").select_option(label="(none)")
    _shown(page, "s.figs.length === 1")
    page.get_by_label("Overlay: one coloured line per value").select_option(label="activity_model")
    s = _shown(page, "s.figs[0].legend.length === 1")
    assert s["figs"][0]["legend"] == [["debye_huckel", "extended_debye_huckel", "davies"]]
    assert s["figs"][0]["y"] == pytest.approx([lo, hi], abs=0.02)
    _keep(page, tmp_path, "overlay")

    page.get_by_label("Variable").select_option(label="ST — total-order Sobol index")
    s = _shown(page, "s.figs[0].factors !== null")
    bars = s["figs"][0]
    assert bars["factors"] == ["I_in", "I_out", "celsius"] and bars["x_axis"] == "CategoricalAxis"
    assert bars["y"][1] >= 0.9 + 0.2 and bars["y"][0] <= 0  # the whisker of the largest bar
    _keep(page, tmp_path, "sobol_bars")


PASSWORD = "pass <wörd> & more"  # from the environment, as a user would give it


def _request(url, method="GET", path="/", body=None, headers=None):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _login(url, password):
    """POST Panel's login form: status, Location and the cookies set (non-empty ones)."""
    body = urllib.parse.urlencode({"username": "anyone", "password": password})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, _ = _request(url, "POST", "/login", body, form)
    cookies = {}
    for text in headers.get_all("Set-Cookie") or []:
        name, _, rest = text.partition("=")
        value = rest.split(";")[0]
        if value not in ("", '""'):
            cookies[name] = value
    return status, headers.get("Location", ""), cookies


def _websocket(url, cookies=None):
    """Open the app's websocket with a session token made up here: the HTTP status of a
    refused handshake, or the server's first message."""
    from bokeh.util.token import generate_jwt_token, generate_session_id
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def talk():
        headers = {"Origin": url.rstrip("/")}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        request = HTTPRequest("ws" + url.removeprefix("http") + "ws", headers=headers)
        token = generate_jwt_token(generate_session_id())
        try:
            conn = await websocket_connect(request, subprotocols=["bokeh", token])
        except HTTPClientError as exc:
            return exc.code
        try:
            return await asyncio.wait_for(conn.read_message(), 20)
        finally:
            conn.close()

    return asyncio.run(talk())


@pytest.fixture(scope="module")
def guarded_server(hostile_store, tmp_path_factory):
    """The hostile store served on loopback with a password from the environment, stopped
    with SIGTERM (a clean stop, exit 0)."""
    env = dict(os.environ, IONSWEEP_VIEW_PASSWORD=PASSWORD)
    cwd = tmp_path_factory.mktemp("guarded")
    with _serve(hostile_store, cwd, env, signal.SIGTERM) as (url, line):
        assert line.rstrip().endswith(
            ", log in with any user name and the password in IONSWEEP_VIEW_PASSWORD "
            "(Ctrl-C to stop)"
        )
        assert PASSWORD not in line  # the user's own password is never echoed
        yield url


def test_password_refuses_page_and_websocket_without_it(guarded_server):
    url = guarded_server
    status, headers, body = _request(url)
    assert status == 302 and headers["Location"].lstrip(".").startswith("/login")
    assert b"bokeh" not in body.lower()
    assert _websocket(url) == 403  # a made-up session token without the login cookie
    status, where, cookies = _login(url, PASSWORD[:-1])
    assert status == 302 and where.startswith("/login?error=") and "user" not in cookies
    status, where, cookies = _login(url, PASSWORD)
    assert status == 302 and where == "/" and "user" in cookies
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, _, body = _request(url, headers={"Cookie": cookie})
    assert status == 200 and b"bokeh" in body.lower()
    assert '"msgtype": "ACK"' in _websocket(url, cookies)


_READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('ionsweep-data-0') !== null"
)


def test_store_text_is_shown_as_text_and_runs_no_script(guarded_server, xss, exe):
    url = guarded_server
    _, _, cookies = _login(url, PASSWORD)
    outside, dialogs = [], []

    def loopback_only(route):
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.add_cookies([{"name": k, "value": v, "url": url} for k, v in cookies.items()])
            context.route("**/*", loopback_only)
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url)
            page.wait_for_function(_READY, timeout=30000)
            assert page.title() == f"ionsweep view: {xss['title']}"
            shown = [
                xss["title"],  # sidebar heading
                f"ion = {xss['ion']}",  # status line: zip label, member units
                f"c_in = 140 {xss['units_c_in']}",
                f"[{xss['units_E']}]",
                f"{xss['dim']} [{xss['units_dim']}]: 1",  # slider label and value
            ]
            for text in shown:
                assert page.get_by_text(text).count() >= 1, text
            options = page.locator("select option").all_inner_texts()
            assert f"E — {xss['long_E']} [{xss['units_E']}]" in options
            assert any(o.startswith(xss["var"] + " — ") for o in options)
            assert xss["ion"] in options and xss["ion_link"] in options
            member = page.get_by_text(f"140 {xss['units_c_in']}")
            assert member.count() == 1  # the status line; then the hover tooltip too
            box = page.locator("canvas").first.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            member.nth(1).wait_for(timeout=10000)
            assert page.get_by_text(xss["ion"]).count() >= 3  # option, status, tooltip
            page.wait_for_timeout(300)
            assert page.evaluate("() => window.__xss === undefined")
        finally:
            browser.close()
    assert dialogs == [] and outside == []
