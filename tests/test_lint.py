"""Lint and type check as part of the suite: ruff over src, tests and benchmarks, mypy over
src (configured in pyproject.toml), each with no finding."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("src", "tests", "benchmarks")


def _run(*args: str) -> subprocess.CompletedProcess:
    """``python -m TOOL …`` from the repository root, where pyproject.toml configures it."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", *PATHS), ("ruff", "format", "--check", *PATHS)],
    ids=["check", "format"],
)
def test_ruff_finds_nothing(command):
    out = _run(*command)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_nothing():
    # The cache (.mypy_cache at the root) makes a second run take about a second.
    out = _run("mypy")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Success:"), out.stdout
