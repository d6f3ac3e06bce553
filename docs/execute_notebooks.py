"""Execute the notebooks in ``notebooks/`` in place, so that the documentation shows their
outputs (the site renders them without executing them).

Run from the repository root with the test extra installed::

    python docs/execute_notebooks.py            # every notebook
    python docs/execute_notebooks.py 03         # those whose name starts with 03
    python docs/execute_notebooks.py --clean    # only tidy the stored outputs

Each notebook runs in a fresh kernel started in ``notebooks/`` (as a user opens it in
Jupyter). What differs from one run to the next and says nothing about the results is
removed before writing: execution timestamps, the kernel's Python version, and any absolute
path of this checkout in the outputs (written as a path relative to the notebooks).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbclient
import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"


def _clean_text(text: str) -> str:
    """``text`` without absolute paths of this checkout."""
    for root, shown in ((str(NOTEBOOKS), "."), (str(NOTEBOOKS.parent), "..")):
        text = text.replace(root, shown)
    return text


def _merged_streams(outputs: list) -> list:
    """``outputs`` with consecutive stream outputs of one name (stdout, stderr) as one: how
    a kernel splits printed text into messages depends on timing, not on the results."""
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and last is not None
            and last.get("output_type") == "stream"
            and last.get("name") == out.get("name")
        ):
            last["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def _clean(nb) -> None:
    """Drop per-run metadata and machine paths from the executed notebook ``nb``."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = _merged_streams(cell.outputs)
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _clean_text(out["text"])
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in data:
                    data[mime] = _clean_text(data[mime])
            if "traceback" in out:
                out["traceback"] = [_clean_text(t) for t in out["traceback"]]


def execute(path: Path) -> None:
    """Run the notebook at ``path`` top to bottom and store it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.pop("MPLBACKEND", None)  # inline figures, as in Jupyter
    try:
        client = nbclient.NotebookClient(
            nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
        )
        client.execute()
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    _clean(nb)
    nbformat.write(nb, path)


def main(args: list[str]) -> None:
    clean_only = "--clean" in args
    prefixes = [a for a in args if a != "--clean"]
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if not prefixes or any(path.name.startswith(p) for p in prefixes):
            if clean_only:
                nb = nbformat.read(path, as_version=4)
                _clean(nb)
                nbformat.write(nb, path)
                continue
            print(f"executing {path.name}", flush=True)
            execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
