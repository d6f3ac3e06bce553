"""The example sweep specs and notebooks, shipped with the package.

An installed ionsweep carries the specs of the repository's ``sweeps/`` folder and its Jupyter
notebooks, so that ``ionsweep run quickstart`` works without a clone. In a source checkout
(an editable install) the repository's own ``sweeps/`` and ``notebooks/`` are the examples.

A spec is named by its file name without ``.toml`` (``quickstart``); a notebook likewise
(``01_textbook_potentials``). :func:`copy_examples` lays them out as in the repository,
``sweeps/`` beside ``notebooks/``, where the notebooks find the specs they read
(``../sweeps/textbook.toml``).

Examples
--------
>>> from ionsweep import examples
>>> examples.find_spec("quickstart").name
'quickstart.toml'
>>> examples.find_spec("quickstart.toml") == examples.find_spec("quickstart")
True
>>> examples.find_spec("no_such_example") is None
True
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Example", "copy_examples", "examples_root", "find_spec", "list_examples"]

#: Folders of the examples, relative to :func:`examples_root`, and the files each holds.
_FOLDERS = {"sweeps": "*.toml", "notebooks": "*.ipynb"}


@dataclass(frozen=True)
class Example:
    """One bundled example.

    Attributes
    ----------
    name : str
        File name without its suffix (``quickstart``).
    kind : str
        ``"sweep"`` (for ``ionsweep run``), ``"sensitivity"`` (for ``ionsweep sensitivity``)
        or ``"notebook"``.
    path : Path
        The file.
    description : str
        One line: a spec's ``title``, a notebook's first heading.
    """

    name: str
    kind: str
    path: Path
    description: str


def examples_root() -> Path:
    """The folder holding ``sweeps/`` and ``notebooks/``.

    The package's own copy once installed from a wheel; in a source checkout, the
    repository's root.

    Raises
    ------
    FileNotFoundError
        If neither exists (a package installed without its data).
    """
    here = Path(__file__).resolve().parent
    if (here / "sweeps").is_dir():
        return here
    checkout = here.parents[2]  # src/ionsweep/examples -> the repository
    if (checkout / "sweeps").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    raise FileNotFoundError(f"{here}: this installation of ionsweep holds no example specs")


def _files() -> list[Path]:
    """Every example file, specs first, each folder in name order."""
    root = examples_root()
    return [p for folder, glob in _FOLDERS.items() for p in sorted((root / folder).glob(glob))]


def _describe(path: Path) -> tuple[str, str]:
    """(kind, one-line description) of an example file."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        text = next(("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), "")
        first = next((line for line in text.splitlines() if line.strip()), "")
        return "notebook", first.lstrip("#").strip()
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    kind = "sensitivity" if "inputs" in spec else "sweep"
    return kind, str(spec.get("title", ""))


def list_examples() -> list[Example]:
    """The bundled specs and notebooks, specs first, each in name order.

    Returns
    -------
    list of Example
    """
    return [Example(p.stem, kind, p, text) for p in _files() for kind, text in [_describe(p)]]


def find_spec(name: str) -> Path | None:
    """The bundled spec called ``name`` (``quickstart`` or ``quickstart.toml``), or None.

    Parameters
    ----------
    name : str
        A spec's name, with or without ``.toml``; a name with a folder in it is no example's.

    Returns
    -------
    Path or None
    """
    if not name or Path(name).name != name:
        return None
    stem = name.removesuffix(".toml")
    path = examples_root() / "sweeps" / f"{stem}.toml"
    return path if path.is_file() else None


def copy_examples(dest: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the specs to ``dest/sweeps`` and the notebooks to ``dest/notebooks``.

    Parameters
    ----------
    dest : str or Path
        Folder to copy into; made if missing.
    force : bool
        Replace files of the same names. Without it, nothing is copied when any exists.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    FileExistsError
        Without ``force``, naming the first file that exists.
    """
    root, dest = examples_root(), Path(dest)
    pairs = [(src, dest / src.relative_to(root)) for src in _files() + _readmes(root)]
    existing = [target for _, target in pairs if target.exists()]
    if existing and not force:
        n = len(existing)
        more = f" (and {n - 1} more)" if n > 1 else ""
        raise FileExistsError(f"{existing[0]} already exists{more}")
    for src, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return [target for _, target in pairs]


def _readmes(root: Path) -> list[Path]:
    """The folders' README files (the spec reference of ``sweeps/``)."""
    return [p for folder in _FOLDERS if (p := root / folder / "README.md").is_file()]
