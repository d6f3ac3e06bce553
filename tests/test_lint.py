"""Lint and type check as part of the suite: ruff over src, tests and benchmarks, mypy over
src (configured in pyproject.toml), each with no finding."""

import ast
import importlib
import importlib.util
import inspect
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


#: The namespaces whose exported functions are the public API.
PUBLIC = ("ionsweep", "ionsweep.physics", "ionsweep.activity", "ionsweep.analysis",
          "ionsweep.sensitivity", "ionsweep.store", "ionsweep.sweep", "ionsweep.plot",
          "ionsweep.explorer", "ionsweep.constants", "ionsweep.models")  # fmt: skip


def _unannotated(fn) -> list[str]:
    """The parameters (and ``return``) of ``fn`` without an annotation."""
    sig = inspect.signature(fn)
    missing = [n for n, p in sig.parameters.items() if p.annotation is inspect.Parameter.empty]
    return missing + (["return"] if sig.return_annotation is inspect.Signature.empty else [])


def test_every_public_function_is_annotated():
    functions = {}
    for ns in PUBLIC:
        module = importlib.import_module(ns)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj):
                functions.setdefault(inspect.unwrap(obj), f"{ns}.{name}")
    assert len(functions) > 80  # the API is found (93 functions when written)
    missing = {qual: _unannotated(fn) for fn, qual in functions.items() if _unannotated(fn)}
    assert not missing, missing


def _defined_public_names(ns: str) -> set[str]:
    """The public names a namespace's ``__init__`` binds: what it imports (``from x import a``)
    or defines, read from its source; submodules and typing-only imports excluded."""
    spec = importlib.util.find_spec(ns)
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin)
    source = path.with_suffix(".pyi") if path.with_suffix(".pyi").exists() else path
    names = set()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.level or node.module.startswith("ionsweep")):
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("ns", PUBLIC)
def test_each_namespace_exports_exactly_its_one_list(ns):
    # The list is __all__ (or, for a namespace that loads lazily, its __init__.pyi): every
    # public name the namespace binds is in it, and every name in it exists.
    module = importlib.import_module(ns)
    assert set(module.__all__) == _defined_public_names(ns)
    assert all(hasattr(module, name) for name in module.__all__)
