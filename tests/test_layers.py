"""The layer order of DESIGN.md, enforced on every import of every module.

Each layer imports only its own layer and those above it (lower numbers here). Every
import counts: module level and inside functions, ``import x`` and ``from x import y``,
relative imports, ``TYPE_CHECKING`` blocks, and ``importlib.import_module``/``__import__``
of a literal name (or of a module-level string constant).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ionsweep"

#: Layer of each part of the package (a name covers its submodules). The top-level private
#: helpers are the base layer: constants, ions, units, numeric helpers, the text of one line
#: (``_text``), the error classes of every tier (``_errors``), the fault-injection points
#: (``_faults``), the stop signal (``_stop``), the CPU allocator tuning (``_allocator``), the
#: eager dispatch of the public kernels (``_eager``), the number of CPU devices (``_cpu``) and
#: the packaged example data.
LAYERS = {
    **dict.fromkeys(
        (
            "ionsweep.constants",
            "ionsweep._ions",
            "ionsweep._units",
            "ionsweep._util",
            "ionsweep._fastmath",
            "ionsweep._text",
            "ionsweep._errors",
            "ionsweep._faults",
            "ionsweep._stop",
            "ionsweep._allocator",
            "ionsweep._eager",
            "ionsweep._cpu",
            "ionsweep._stats",
            "ionsweep.data",
            "ionsweep.examples",
        ),
        1,
    ),
    "ionsweep.physics": 2,
    "ionsweep.activity": 3,
    "ionsweep.models": 4,
    "ionsweep.store": 5,
    "ionsweep.sweep": 6,
    "ionsweep.analysis": 7,
    "ionsweep.sensitivity": 7,  # the public face of analysis' sensitivity subpackage
    "ionsweep.plot": 7,  # likewise for plots
    "ionsweep.cli": 8,
    "ionsweep.explorer": 8,
}
#: The package itself and ``python -m ionsweep`` are the public face: they may import
#: anything, and only the other faces (``cli``, ``view``) may import them.
FACE = {"ionsweep", "ionsweep.__main__"}
FACE_LAYER = 8

#: Upward imports allowed, as {(importing module, imported module): reason}. Empty: keep it
#: so, or say here why an exception is right.
ALLOWED: dict[tuple[str, str], str] = {}

#: Modules that import a module named at run time (not checkable here), with the reason.
DYNAMIC = {
    "ionsweep.models._registry": "a user's own model, `module:function` from the spec",
}


def module_name(path: Path) -> tuple[str, bool]:
    """(dotted name, whether it is a package) of a file under src/ionsweep."""
    parts = ["ionsweep", *path.relative_to(SRC).with_suffix("").parts]
    package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if package else parts), package


def all_modules() -> dict[str, tuple[str, bool]]:
    """{name: (source, is_package)} of every module of the package."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        name, package = module_name(path)
        out[name] = (path.read_text(encoding="utf-8"), package)
    return out


def layer_of(name: str) -> int | None:
    """Layer of a module, by the longest matching entry of LAYERS; None if it has none."""
    if name in FACE:
        return FACE_LAYER
    best = max((p for p in LAYERS if name == p or name.startswith(p + ".")), key=len, default="")
    return LAYERS.get(best)


def _face_names() -> dict[str, str]:
    """{name: defining module} of the names the package exports (its stub, read lazily at
    run time) or imports at its top level."""
    out = {}
    for source in ("__init__.pyi", "__init__.py"):
        tree = ast.parse((SRC / source).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level in (0, 1):
                base = "ionsweep" if node.level else ""
                module = ".".join(p for p in (base, node.module or "") if p)
                for a in node.names:
                    out[a.asname or a.name] = module if node.module else f"{module}.{a.name}"
    return out


def _root_name(name: str) -> str:
    """What ``from ionsweep import name`` imports: a dunder of the package (its version) is
    there for everyone; a name the package imports or exports lazily is its defining
    module; anything else is the face."""
    if name.startswith("__") and name.endswith("__"):
        return "ionsweep._metadata"  # mapped to the base layer below
    return _face_names().get(name, "ionsweep")


def _string_constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, str):
                out.update(
                    {t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)}
                )
    return out


def _is_import_call(node: ast.Call) -> bool:
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in ("import_module", "__import__")


def imports(name: str, source: str, package: bool, known) -> tuple[list, list]:
    """(imports, dynamic) of one module: imports as (line, imported ionsweep module),
    dynamic as the lines of import calls whose name is not a literal."""
    tree = ast.parse(source)
    here = name if package else name.rpartition(".")[0]
    constants = _string_constants(tree)
    found, dynamic = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{parent}.{base}" if base else parent
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:
                    found.append((node.lineno, sub))
                elif base == "ionsweep":
                    found.append((node.lineno, _root_name(a.name)))
                else:
                    found.append((node.lineno, base))
        elif isinstance(node, ast.Call) and _is_import_call(node) and node.args:
            arg = node.args[0]
            value = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(arg, ast.Name):
                value = constants.get(arg.id)
            if isinstance(value, str):
                found.append((node.lineno, value))
            else:
                dynamic.append(node.lineno)
    return sorted({(line, t) for line, t in found if t.split(".")[0] == "ionsweep"}), dynamic


def upward_imports(name: str, source: str, package: bool, known) -> list[str]:
    """Every import of ``name`` that goes to a later layer (or to a module of no layer)."""
    mine = layer_of(name)
    if mine is None:
        return [f"{name}: no layer; add it to LAYERS"]
    found, _ = imports(name, source, package, known)
    bad = []
    for line, target in found:
        theirs = 1 if target == "ionsweep._metadata" else layer_of(target)
        if theirs is None:
            bad.append(f"{name}:{line} imports {target}, which has no layer")
        elif theirs > mine and (name, target) not in ALLOWED:
            bad.append(f"{name}:{line} (layer {mine}) imports {target} (layer {theirs})")
    return bad


MODULES = all_modules()


def test_every_module_has_a_layer():
    assert len(MODULES) > 90, "the package's modules were not found"
    assert [n for n in MODULES if layer_of(n) is None] == []


def test_every_import_goes_to_the_same_or_an_earlier_layer():
    bad = [b for n, (src, pkg) in MODULES.items() for b in upward_imports(n, src, pkg, MODULES)]
    assert bad == []


def test_imports_by_run_time_name_are_only_the_listed_ones():
    dynamic = {n for n, (src, pkg) in MODULES.items() if imports(n, src, pkg, MODULES)[1]}
    assert dynamic == set(DYNAMIC)


def test_allowed_exceptions_are_still_needed():
    for (name, target), reason in ALLOWED.items():
        src, pkg = MODULES[name]
        assert reason and target in {t for _, t in imports(name, src, pkg, MODULES)[0]}


UPWARD = [
    "from ionsweep.sweep import run",
    "def f():\n    from ionsweep.sweep._executor import run\n    return run",
    "from ..sweep import _plan",
    "from .. import sweep",
    "import ionsweep.analysis._fit",
    "import importlib\nm = importlib.import_module('ionsweep.cli')",
    "_M = 'ionsweep.cli'\ndef f():\n    import importlib\n    return importlib.import_module(_M)",
    "x = __import__('ionsweep.sweep._plan', fromlist=['Plan'])",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ionsweep.sweep import Plan",
    "from ionsweep import run_sweep",  # a lazily exported name counts as its own module
    "import ionsweep",  # the face itself
    "from ionsweep import view",  # the explorer, exported lazily
]


@pytest.mark.parametrize("source", UPWARD)
def test_the_checker_flags_an_upward_import(source):
    bad = upward_imports("ionsweep.store._x", source, False, MODULES)
    assert len(bad) == 1 and bad[0].startswith("ionsweep.store._x:"), bad


SAME_OR_EARLIER = [
    "from ionsweep.store._zarr import StoreError",
    "from ._zarr import StoreError",
    "from . import _zarr",
    "from ionsweep._text import one_line",
    "from ionsweep import _faults, __version__",
    "from ionsweep import ions",  # the face's own import of the ion table (base layer)
    "from ionsweep.models import VALID_FLAGS",
    "import numpy as np\nimport zarr",
]


@pytest.mark.parametrize("source", SAME_OR_EARLIER)
def test_the_checker_passes_an_import_of_the_same_or_an_earlier_layer(source):
    assert upward_imports("ionsweep.store._x", source, False, MODULES) == []
