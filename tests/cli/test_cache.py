"""The command line's persistent compilation cache, seen from new processes.

A second ``ionsweep calc`` finds in the cache every program the first one compiled: JAX logs
each cache hit (with ``JAX_LOG_COMPILES=1``), and the second process writes no new entry
while printing the same result. Counted, not timed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ionsweep.cli import COMPILING_COMMANDS, _jax, main

NERNST = ["calc", "nernst", "--ion", "K+,Na+", "--inside", "140,12", "--outside", "5,145"]

#: JAX's log lines (``JAX_LOG_COMPILES=1``): one per program handed to the compiler, one per
#: program found in the persistent cache instead.
COMPILE_REQUEST = re.compile(r"^Compiling jit\(", re.MULTILINE)
CACHE_HIT = re.compile(r"^Persistent compilation cache hit for ", re.MULTILINE)


def console_script() -> str:
    exe = shutil.which("ionsweep", path=str(Path(sys.executable).parent))
    assert exe is not None, "the ionsweep console script is not installed next to python"
    return exe


def run_command(args: list[str], cache_home: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != _jax.CACHE_ENV}
    environ.update(XDG_CACHE_HOME=str(cache_home), JAX_LOG_COMPILES="1", **env)
    proc = subprocess.run(
        [console_script(), *args], env=environ, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def entries(cache_home: Path) -> set[str]:
    cache = cache_home / "ionsweep" / "jax"
    return {p.name for p in cache.iterdir()} if cache.is_dir() else set()


def test_second_process_loads_its_programs_from_the_cache(tmp_path):
    first = run_command(NERNST, tmp_path)
    compiled = len(COMPILE_REQUEST.findall(first.stderr))
    assert compiled >= 1
    assert CACHE_HIT.findall(first.stderr) == []  # an empty cache: everything compiled
    written = entries(tmp_path)
    assert len(written) >= compiled  # every program written, however short its compile

    second = run_command(NERNST, tmp_path)
    assert len(COMPILE_REQUEST.findall(second.stderr)) == compiled
    assert len(CACHE_HIT.findall(second.stderr)) == compiled  # each one found in the cache
    assert entries(tmp_path) == written  # nothing compiled anew, nothing added
    assert second.stdout == first.stdout and "E = -89.06 mV" in second.stdout


def test_cache_turned_off(tmp_path):
    proc = run_command(NERNST, tmp_path, **{_jax.CACHE_ENV: "0"})
    assert CACHE_HIT.findall(proc.stderr) == []
    assert entries(tmp_path) == set()
    assert "E = -89.06 mV" in proc.stdout


@pytest.mark.parametrize("command", sorted(COMPILING_COMMANDS))
def test_every_compiling_command_imports_jax_with_the_cache(command, monkeypatch, capsys):
    """Checked in process: each command that compiles goes through ``import_jax``, which
    switches the cache on in a fresh process, before its handler runs (here it refuses its
    input, before computing anything)."""
    calls = []
    real = _jax.import_jax
    monkeypatch.setattr(_jax, "import_jax", lambda: calls.append(command) or real())
    args = {
        "calc": ["nernst", "--ion", "K+", "--inside", "-1", "--outside", "5"],
        "fit": ["missing.csv", "--ions", "K+"],
    }
    assert main([command, *args.get(command, ["missing.toml"])]) == 2
    assert calls and set(calls) == {command}
    capsys.readouterr()


def test_commands_that_compile_nothing_import_no_jax(monkeypatch, capsys):
    monkeypatch.setattr(_jax, "import_jax", lambda: pytest.fail("JAX imported"))
    assert main(["info", "missing.zarr"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize(
    "args", [[], ["calc"], ["calc", "nernst"], ["run"], ["fit"], ["sensitivity"]]
)
def test_help_says_where_the_cache_is_and_how_to_turn_it_off(args, capsys):
    assert main([*args, "--help"]) == 0
    out = capsys.readouterr().out
    assert "~/.cache/ionsweep/jax" in out and "$XDG_CACHE_HOME/ionsweep/jax" in out
    assert f"{_jax.CACHE_ENV}=0" in out
