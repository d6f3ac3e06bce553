"""The distribution as a pip user gets it: ``python -m build`` writes an sdist and a wheel (built
from the sdist) that ``twine check`` passes; the wheel, installed into a fresh virtual
environment outside the repository, runs the quick start with the specs it carries.

Installing JAX, xarray and zarr from an index would take minutes, so the fresh environment
sees this environment's site-packages through a ``.pth`` file naming it. Python adds the
directories a ``.pth`` file names to ``sys.path`` but reads no ``.pth`` files inside them, so
an editable install of ionsweep here (itself a ``.pth`` file) stays invisible there: the test
checks that ``ionsweep`` is imported from the fresh environment.
"""

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]


def run(*cmd, cwd, env=None):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling, in the test extra) is taken from here.
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT, cwd=out)
    return out


def test_build_writes_an_sdist_and_a_wheel_that_twine_accepts(dist):
    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"ionsweep-{VERSION}-py3-none-any.whl", f"ionsweep-{VERSION}.tar.gz"]
    report = run(sys.executable, "-m", "twine", "check", "--strict", *dist.iterdir(), cwd=dist)
    assert report.count("PASSED") == 2


def test_wheel_carries_the_examples_and_the_license(dist):
    wheel = zipfile.ZipFile(next(dist.glob("*.whl")))
    names = set(wheel.namelist())
    for folder, glob in (("sweeps", "*.toml"), ("notebooks", "*.ipynb")):
        for src in (ROOT / folder).glob(glob):
            assert wheel.read(f"ionsweep/examples/{folder}/{src.name}") == src.read_bytes()
    assert f"ionsweep-{VERSION}.dist-info/licenses/LICENSE" in names
    metadata = wheel.read(f"ionsweep-{VERSION}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata.splitlines()


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    """A fresh virtual environment with the wheel installed, seeing this one's dependencies."""
    env = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", "--without-pip", env, cwd=env.parent)
    python = env / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index"]
    run(*pip, wheel, cwd=env.parent)
    # After the install, so that pip sees no ionsweep already there.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=env)
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(site.strip(), "test_dependencies.pth").write_text("\n".join(ours) + "\n")
    return env


def clean_env():
    """This process's environment without anything that would point Python at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def test_installed_wheel_runs_the_quick_start_outside_the_repository(venv, tmp_path):
    env, bin_ = clean_env(), venv / "bin"
    code = "import ionsweep; print(ionsweep.__file__)"
    where = run(bin_ / "python", "-c", code, cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(venv), where
    listing = run(bin_ / "ionsweep", "examples", cwd=tmp_path, env=env)
    assert f"bundled examples ({venv}" in listing and "quickstart" in listing

    store = tmp_path / "out" / "quickstart.zarr"
    out = run(
        bin_ / "ionsweep", "run", "quickstart", "--out", store, "--quiet", cwd=tmp_path, env=env
    )
    assert f"wrote {store}: 6,816 points" in out  # 4 ions x 71 c_out x 8 T x 3 gamma_out
    info = run(bin_ / "ionsweep", "info", store, cwd=tmp_path, env=env)
    assert "dims: ion=4, c_out=71, celsius=8, gamma_out=3" in info.splitlines()
    assert "chunks: 1/1 finished (100.0 %), complete" in info.splitlines()
    assert f"ionsweep_version: {VERSION}" in info.splitlines()
    # The numbers: E = (RT/zF) ln(gamma_out c_out / c_in), exact SI constants (float32 spec).
    ds = xr.open_zarr(store)
    T = ds.celsius + 273.15
    z = xr.DataArray([1, 1, -1, 2], dims="ion")
    expected = (
        1e3 * 1.380649e-23 * T / (z * 1.602176634e-19) * np.log(ds.gamma_out * ds.c_out / ds.c_in)
    )
    # float32: a few ulps of logarithms up to 15 (Ca2+, c_in = 1e-4 mM) times RT/F ~ 27 mV.
    got, want = ds.E.values, expected.transpose(*ds.E.dims).values
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=5e-5)


def test_citation_and_changelog_match_the_package():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == VERSION
    assert cff["license"] == PYPROJECT["project"]["license"] == "MIT"
    assert cff["message"] and cff["title"].startswith("ionsweep")
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    assert "the ionsweep developers" in (ROOT / "LICENSE").read_text().splitlines()[2]

    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)
    assert headings and headings[0] in ("Unreleased", VERSION)
    assert VERSION in changelog
    readme = (ROOT / "README.md").read_text()
    for name in ("LICENSE", "CITATION.cff", "CHANGELOG.md"):
        assert f"]({name})" in readme, f"the README links {name}"
