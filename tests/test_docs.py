"""The documentation site (``docs/``) builds with warnings as errors, says what the code does,
and opens in a browser.

- The spec reference's key tables are exactly the keys the spec parsers accept (read from
  the parsers' own key lists, or from their answer to a probe), and a difference is found.
- Every ``$ ionsweep calc`` example of the calculator page prints what the page shows.
- ``sphinx-build -W --keep-going -b html`` succeeds: no warning, from the pages, the
  notebooks (rendered with their stored outputs, never executed) or the docstrings of the
  API reference. Nothing is fetched from the network.
- In headless Chromium (Debian's ``chromium``, skipped where none is installed), the index,
  a notebook page, the API page of ``ionsweep.nernst`` and the spec reference show every
  image they hold (``naturalWidth > 0``), and every internal link of the index and the
  notebook page leads to a file of the site and, with a fragment, to an element of that id.
  Screenshots are kept under the test's tmp path, and copied to the folder named by
  ``IONSWEEP_DOCS_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import http.server
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="needs the docs extra (in the test extra)")
pytest.importorskip("myst_nb", reason="needs the docs extra (in the test extra)")

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def _spec_keys():
    """docs/_ext/spec_keys.py, imported from its path (it is no package)."""
    spec = importlib.util.spec_from_file_location("spec_keys", DOCS / "_ext" / "spec_keys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_reference_lists_exactly_the_keys_the_parsers_accept():
    assert _spec_keys().problems() == []


def test_spec_reference_check_finds_a_missing_and_an_unknown_key(monkeypatch):
    keys = _spec_keys()
    heading, described = keys.TABLES["sweep-run"]
    changed = {k: v for k, v in described.items() if k != "memory"} | {"threads": "no such"}
    monkeypatch.setitem(keys.TABLES, "sweep-run", (heading, changed))
    heading, described = keys.TABLES["distributions"]
    changed = {k: v for k, v in described.items() if k != "lognormal"}
    monkeypatch.setitem(keys.TABLES, "distributions", (heading, changed))
    assert keys.problems() == [
        "[run]: 'memory' is accepted but not documented",
        "[run]: 'threads' is documented but not accepted",
        "[inputs] distributions: 'lognormal' is accepted but not documented",
    ]


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_executed_without_run_metadata(path):
    """The site shows the stored outputs: every code cell ran, in order, and what differs
    from run to run (timestamps, this checkout's path) is not stored
    (``python docs/execute_notebooks.py`` writes them so)."""
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    assert [c for c in code if "execution" in c.get("metadata", {})] == []
    text = json.dumps([c.get("outputs", []) for c in code])
    assert str(ROOT) not in text and "/home/" not in text


def calc_examples() -> list[tuple[str, list[str]]]:
    """(command, lines shown) for every ``$ ionsweep calc`` line of the calculator page."""
    text = (DOCS / "calculator.md").read_text()
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ ionsweep calc"):
                shown = []
                for out in lines[i + 1 :]:
                    if out.startswith("$") or not out.strip():
                        break
                    shown.append(out)
                examples.append((line[2:], shown))
    return examples


@pytest.mark.parametrize(("command", "shown"), calc_examples(), ids=lambda v: str(v)[:50])
def test_calculator_page_shows_what_calc_prints(capsys, command, shown):
    from ionsweep.cli import main

    assert shown, f"the page shows no output of {command}"
    if "error:" in shown[0]:  # bad input: status 2, one line on stderr
        assert main(shlex.split(command)[1:]) == 2
        assert capsys.readouterr().err.splitlines() == shown
        return
    assert main(shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out.splitlines()
    if shown[-1].strip() == "...":
        assert out[: len(shown) - 1] == shown[:-1]
    else:
        assert out == shown


def test_calculator_page_covers_every_quantity(capsys):
    from ionsweep.cli import main

    assert main(["calc", "--help"]) == 0
    usage = capsys.readouterr().out
    listed = usage.split("quantities:")[1].split("examples:")[0]
    quantities = re.findall(r"^ {4}([a-z][a-z-]+)", listed, flags=re.MULTILINE)
    assert "nernst" in quantities and "ljp" in quantities
    page = (DOCS / "calculator.md").read_text()
    shown = {shlex.split(command)[2] for command, _ in calc_examples()}
    assert [q for q in quantities if f"| `{q}` |" not in page or q not in shown] == []


def test_readme_links_into_the_site():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert "docs/specs.md" in links and "docs/index.md" in links
    assert [link for link in links if not (ROOT / link).is_file()] == []


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built from docs/ with warnings as errors (offline, notebooks not run)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    cmd += ["-d", str(out.parent / "doctrees"), str(DOCS), str(out)]
    env = {**os.environ, "MPLBACKEND": "Agg", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_site_builds_without_warnings_and_has_every_page(site):
    pages = ["index", "getting_started", "calculator", "specs", "scale_out", "sensitivity"]
    pages += ["fitting", "explorer", "conventions", "junction", "notebooks", "api/index"]
    pages += [f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    missing = [p for p in pages if not (site / f"{p}.html").is_file()]
    assert not missing
    specs = (site / "specs.html").read_text()
    for key in ("linspace", "geomspace", "num_resamples", "keep_samples", "elasticity"):
        assert f">{key}<" in specs, key  # a generated table row
    api = (site / "api" / "physics.html").read_text()
    assert 'id="ionsweep.physics.nernst"' in api
    notebook = (site / "notebooks" / "03_fit_permeability.html").read_text()
    assert notebook.count("<img") >= 1  # stored outputs are shown


class _Ids(html.parser.HTMLParser):
    """The ``id`` attributes of a page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id" and v)


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text())
    return frozenset(parser.ids)


def _broken_links(site: Path, page: Path, hrefs: list[str]) -> list[str]:
    """The internal links of ``page`` whose file, or whose fragment in that file, is missing."""
    broken = []
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("mailto:"):
            continue  # external
        path = page if not parts.path else (page.parent / urllib.parse.unquote(parts.path))
        path = path.resolve()
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or site.resolve() not in path.parents:
            broken.append(href)
        elif parts.fragment and path.suffix == ".html":
            if urllib.parse.unquote(parts.fragment) not in _ids(path):
                broken.append(href)
    return broken


@contextlib.contextmanager
def _served(root: Path):
    """``root`` over http on a free loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _chromium():
    for name in (os.environ.get("IONSWEEP_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


_IMAGES = "() => Array.from(document.images).map(i => [i.currentSrc, i.complete, i.naturalWidth])"
_HREFS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"

_TO_TOP = "e => e.scrollIntoView({behavior: 'instant'})"  # furo scrolls smoothly otherwise

#: (page, whether its links are checked, screenshot name, what to scroll to: a CSS selector)
_PAGES = [
    ("index.html", True, "index.png", None),
    ("notebooks/02_activity_error.html", True, "notebook_02.png", "div.cell_output img"),
    ("api/physics.html", False, "api_nernst.png", '[id="ionsweep.physics.nernst"]'),
    ("specs.html", False, "spec_reference.png", '[id="reduce"]'),
]


def _stored_figures(notebook: str) -> int:
    """The number of PNG outputs stored in ``notebooks/NOTEBOOK.ipynb``."""
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    return sum("image/png" in o.get("data", {}) for o in outputs)


def _local_only(route):
    """Serve the site; abort anything from elsewhere (nothing outside can be reached)."""
    if route.request.url.startswith("http://127.0.0.1:"):
        route.continue_()
    else:
        route.abort()


def test_pages_in_chromium(site, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium executable (apt-get install chromium; .ci/run does)")
    shots = tmp_path / "shots"
    shots.mkdir()
    with _served(site) as url, playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", _local_only)
            for name, links, shot, scroll_to in _PAGES:
                page.goto(url + name)
                page.wait_for_load_state("load")
                if scroll_to:
                    page.locator(scroll_to).first.evaluate(_TO_TOP)
                images = page.evaluate(_IMAGES)
                assert all(done and width > 0 for _, done, width in images), (name, images)
                if name.startswith("notebooks/"):  # every figure the notebook holds
                    assert len(images) == _stored_figures(Path(name).stem), images
                if name == "index.html":  # the explorer's picture
                    assert [src for src, _, _ in images if src.endswith("view.png")], images
                if links:
                    hrefs = page.evaluate(_HREFS)
                    assert hrefs, name
                    assert _broken_links(site, site / name, hrefs) == [], name
                page.screenshot(path=str(shots / shot))
        finally:
            browser.close()
    if os.environ.get("IONSWEEP_DOCS_SCREENSHOTS"):
        target = Path(os.environ["IONSWEEP_DOCS_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for png in shots.iterdir():
            shutil.copyfile(png, target / png.name)
