"""Sphinx configuration of the ionsweep documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (the test
extra installs what it needs). The notebooks are rendered with the outputs they are stored
with (``docs/execute_notebooks.py`` refreshes them); nothing is executed and nothing is
fetched from the network while building.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))


def _sync_notebooks() -> None:
    """Copy ``notebooks/*.ipynb`` to ``docs/notebooks/`` (ignored by git), where Sphinx reads
    them; a copy is rewritten only when its notebook changed, so rebuilds stay incremental.
    (A link to the folder would make the sdist hold the notebooks once, under docs/.)"""
    source, target = HERE.parent / "notebooks", HERE / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = {p.name: p for p in source.glob("*.ipynb")}
    for stale in set(p.name for p in target.glob("*.ipynb")) - set(wanted):
        (target / stale).unlink()
    for name, path in wanted.items():
        copy = target / name
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            shutil.copyfile(path, copy)


_sync_notebooks()

import ionsweep  # noqa: E402

project = "ionsweep"
author = "ionsweep developers"
copyright = "ionsweep developers (MIT license)"
release = ionsweep.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx-mathjax-offline",  # MathJax served from the site itself: math renders offline
    "ionsweep_docs",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# Notebooks: shown as stored, with their outputs; never executed while building.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: numpydoc docstrings; members listed by the ionsweep-api directive.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_module_names = True
default_role = "py:obj"  # `name` in a docstring: a link where it names an object

html_theme = "furo"
html_title = f"ionsweep {release}"
html_static_path = ["_static"]
html_css_files = ["ionsweep.css"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
