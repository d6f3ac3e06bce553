"""End to end in headless Chromium: ``ionsweep view`` on the quickstart store, the variable
list with units, a slider step that changes the shown coordinate and the plotted data.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it), driven by Playwright;
the screenshot is kept under the test's tmp path, and copied to the path in
``IONSWEEP_VIEW_SCREENSHOT`` when set (the README's picture is made this way).
"""

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (test extra)")

R, F = 8.314462618, 96485.33212  # CODATA 2018


def _chromium():
    for name in (os.environ.get("IONSWEEP_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(quickstart_store, tmp_path):
    port = _free_port()
    cmd = [
        str(Path(sys.executable).with_name("ionsweep")),
        "view",
        str(quickstart_store),
        "--port",
        str(port),
        "--no-browser",
    ]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    try:
        assert line and "serving" in line[0], proc.stderr.read() if proc.poll() else "no line"
        assert f"http://127.0.0.1:{port}/" in line[0]
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0


_DATA = (
    "() => { const d = Bokeh.documents[0].get_model_by_name('ionsweep-data-0').data;"
    " return Array.from(d.image ? d.image[0] : d.value); }"
)


def test_view_in_chromium(server, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium executable (apt-get install chromium; .ci/run does)")
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
            page.wait_for_timeout(300)
            shot = tmp_path / "view.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("IONSWEEP_VIEW_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["IONSWEEP_VIEW_SCREENSHOT"])
