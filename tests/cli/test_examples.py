"""``ionsweep examples`` and bundled specs by name, as a user runs them.

In a source checkout the bundled examples are the repository's ``sweeps/`` and ``notebooks/``;
``tests/test_wheel.py`` checks the same commands on an installed wheel.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from ionsweep.cli import main
from ionsweep.cli._examples import resolve_spec
from ionsweep.store import open_results

ROOT = Path(__file__).parents[2]
SPECS = sorted((ROOT / "sweeps").glob("*.toml"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def ionsweep(*args, cwd):
    exe = Path(sys.executable).with_name("ionsweep")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True)


def test_examples_lists_every_spec_and_notebook_with_its_title(tmp_path):
    r = ionsweep("examples", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for spec in SPECS:
        title = tomllib.loads(spec.read_text())["title"]
        assert any(line.split() == [spec.stem, *title.split()] for line in lines), spec.name
    for nb in NOTEBOOKS:
        heading = json.loads(nb.read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert any(line.split() == [nb.stem, *heading.split()] for line in lines), nb.name
    # Sensitivity specs are listed under the command that runs them.
    sens = lines.index(next(line for line in lines if line.startswith("sensitivity:")))
    assert lines[sens + 1].split()[0] == "activity_error_sobol"
    assert "ionsweep sensitivity NAME" in lines[sens]


def test_copy_writes_the_repository_layout_and_refuses_to_overwrite(tmp_path):
    dest = tmp_path / "mine"
    r = ionsweep("examples", "--copy", str(dest), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for src in [*SPECS, *NOTEBOOKS, ROOT / "sweeps" / "README.md"]:
        copied = dest / src.parent.name / src.name
        assert copied.read_bytes() == src.read_bytes(), copied
    assert f"copied {len(SPECS)} specs" in r.stdout

    edited = dest / "sweeps" / "quickstart.toml"
    edited.write_text("# mine\n")
    (dest / "notebooks" / "03_fit_permeability.ipynb").unlink()
    r = ionsweep("examples", "--copy", str(dest), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "--copy" in r.stderr and "already exists" in r.stderr and "--force" in r.stderr
    assert edited.read_text() == "# mine\n"  # nothing replaced
    assert not (dest / "notebooks" / "03_fit_permeability.ipynb").exists()  # nothing added

    r = ionsweep("examples", "--copy", str(dest), "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert edited.read_bytes() == (ROOT / "sweeps" / "quickstart.toml").read_bytes()
    assert (dest / "notebooks" / "03_fit_permeability.ipynb").exists()


def test_force_without_copy_is_refused(tmp_path):
    r = ionsweep("examples", "--force", cwd=tmp_path)
    assert r.returncode == 2 and "--force" in r.stderr


def test_run_takes_a_bundled_spec_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no quickstart.toml here
    assert main(["run", "quickstart", "--quiet"]) == 0
    assert "wrote quickstart.zarr" in capsys.readouterr().out
    ds = open_results(tmp_path / "quickstart.zarr")
    spec = tomllib.loads((ROOT / "sweeps" / "quickstart.toml").read_text())
    assert list(ds.ion.values) == spec["axes"]["ion"]["ion"]
    # E = (RT/zF) ln(gamma_out c_out / (gamma_in c_in)), exact SI constants, float32 spec.
    k_B, e = 1.380649e-23, 1.602176634e-19
    pt = ds.sel(ion="Ca2+").isel(c_out=-1, celsius=-1, gamma_out=-1)
    T = float(pt.celsius) + 273.15
    expected = 1e3 * k_B * T / (2 * e) * np.log(float(pt.gamma_out) * float(pt.c_out) / 1e-4)
    np.testing.assert_allclose(float(pt.E), expected, rtol=1e-5)


def test_a_file_in_the_working_directory_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = resolve_spec("quickstart.toml")
    assert Path(bundled).is_absolute()  # paths in the spec resolve beside it, not here
    assert Path(bundled).read_bytes() == (ROOT / "sweeps" / "quickstart.toml").read_bytes()
    assert resolve_spec("quickstart") == bundled
    (tmp_path / "quickstart.toml").write_text("# mine\n")
    assert resolve_spec("quickstart.toml") == "quickstart.toml"
    (tmp_path / "quickstart").write_text("# mine too\n")
    assert resolve_spec("quickstart") == "quickstart"


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_an_unknown_name_lists_the_bundled_specs(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    assert main([command, "quikstart"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPEC: quikstart" in err
    for spec in SPECS:
        assert spec.stem in err
    assert not list(tmp_path.iterdir())  # nothing created


def test_sensitivity_reads_the_bundled_spec_of_that_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # A sweep spec given to sensitivity: refused by the sensitivity spec loader, which read
    # the bundled file (named in the message), not "no such file".
    assert main(["sensitivity", "quickstart", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert str(Path("sweeps", "quickstart.toml")) in err and "no such file" not in err
