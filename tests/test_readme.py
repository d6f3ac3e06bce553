"""The README's examples work as printed: its Python blocks run (against the quickstart
store, written to a temporary directory), and its `$ ionsweep calc ...` lines exit 0 and print
what the README shows (where it shows the whole output)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from ionsweep.cli import main  # noqa: E402

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_python_blocks_run(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    import ionsweep

    (tmp_path / "sweeps").mkdir()
    shutil.copy(ROOT / "sweeps" / "quickstart.toml", tmp_path / "sweeps")
    monkeypatch.chdir(tmp_path)
    ionsweep.run_sweep("sweeps/quickstart.toml", "quickstart.zarr")  # the README's main command
    code = blocks("python")
    assert code, "the README has Python examples"
    for k, block in enumerate(code):
        exec(compile(block, f"README.md python block {k}", "exec"), {"__name__": "__readme__"})
    plt.close("all")


def calc_examples() -> list[tuple[str, list[str]]]:
    """(command, printed lines) for every `$ ionsweep calc` line of the README."""
    examples = []
    for block in blocks(""):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ ionsweep calc"):
                continue
            shown = []
            for out in lines[i + 1 :]:
                if out.startswith("$") or not out.strip():
                    break
                shown.append(out)
            examples.append((line[2:], shown))
    return examples


@pytest.mark.parametrize(("command", "shown"), calc_examples(), ids=lambda v: str(v)[:40])
def test_calc_examples_print_what_the_readme_shows(capsys, command, shown):
    assert main(shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out.splitlines()
    if not shown:  # the README shows the command only
        return
    if "..." in "\n".join(shown):
        complete = shown[: next(i for i, s in enumerate(shown) if "..." in s)]
        assert out[: len(complete)] == complete
    else:
        assert out == shown
