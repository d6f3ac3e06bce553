"""Every notebook runs top to bottom in a real Jupyter kernel (nbclient + ipykernel), as a
user runs it, and every cell that draws a figure shows it: an image output, never only a
printed ``<Figure size ...>``. Outputs are not compared with the stored ones.

All notebooks share one kernel, started once in the notebooks' folder (relative paths work
as in Jupyter): each notebook starts with ``%reset -f``, a fresh namespace, while the imported
modules (JAX, ionsweep, matplotlib) stay loaded, which saves a kernel start and those imports
per notebook. They run in name order, so a notebook that switches JAX to float64 affects only
those after it, as in one Jupyter session.
"""

import json
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))

#: Source that draws a figure: pyplot, xarray's .plot, ionsweep.plot, or a Figure object.
DRAWS = re.compile(
    r"\bplt\.|\.plot\(|\bplot\.(heatmap|lines|auto|indices|histogram)\(|subplots\(|Figure\("
)


def _has_image(output) -> bool:
    return "image/png" in output.get("data", {})


def _printed_figures(outputs) -> list[str]:
    """``<Figure size ...>`` texts of outputs that carry no image (a shown figure has both)."""
    texts = [out.get("text", "") + out.get("data", {}).get("text/plain", "") for out in outputs]
    return [
        t
        for t, out in zip(texts, outputs, strict=True)
        if "<Figure size" in t and not _has_image(out)
    ]


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    # As in a user's Jupyter: no MPLBACKEND (CI exports Agg for the other tests, which would
    # make the kernel's matplotlib draw off screen instead of inline).
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    km.start_kernel(cwd=str(NOTEBOOKS[0].parent), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_a_kernel_and_shows_its_figures(path, kernel):
    cells = json.loads(path.read_text())["cells"]  # as stored, before nbformat fills ids in
    missing_ids = [k for k, cell in enumerate(cells) if "id" not in cell]
    assert not missing_ids, f"{path.name}: cells without an id: {missing_ids}"
    nb = nbformat.reads(path.read_text(), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))  # a fresh namespace
    km, kc = kernel
    client = nbclient.NotebookClient(nb, km=km, timeout=600)
    client.kc = kc  # the shared client: nbclient neither starts another nor closes this one
    client.execute()  # raises CellExecutionError naming the cell and its traceback
    del nb.cells[0]
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        where = f"{path.name}, cell {k}"
        assert not _printed_figures(outputs), f"{where} prints a Figure instead of showing it"
        if DRAWS.search(cell.source):
            assert any(map(_has_image, outputs)), f"{where} draws a figure but shows none"
