"""Explore a result store in the browser: ``ionsweep view STORE`` or :func:`view`.

Controls are built from the store's own metadata: the variable (with its long name and
units), the x axis and an optional y axis (a heatmap, on log axes where the coordinate is
log-spaced, with an optional contour at ``|value| = level``), one slider or selector per
remaining dimension showing the coordinate value and units, a facet over a categorical
dimension (one grid, one toolbar, linked zoom, shared or independent y) or an overlay of
one as coloured lines with a legend, the statistic of a reduce-mode store, bars over the
parameter names with confidence intervals for sensitivity indices, and a mask of points
whose ``valid`` flag is 0. Values of both signs get a diverging colour map centred on 0;
the PNG export draws the same view. Only the displayed slice is read from disk. Needs the
``view`` extra: ``pip install "ionsweep[view]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ionsweep.explorer._store import open_store

if TYPE_CHECKING:
    import os

    import panel as pn
    import xarray as xr


__all__ = ["open_store", "view"]


def view(
    data: xr.Dataset | str | os.PathLike[str], *, allow_incomplete: bool = False
) -> pn.layout.Row:
    """The explorer of a result store as a Panel object (for a notebook or ``pn.serve``).

    Parameters
    ----------
    data : xarray.Dataset or str or Path
        A Dataset from :func:`ionsweep.open_results`, or the path of a store.
    allow_incomplete : bool
        Accept a store whose run has not finished (unwritten points show as NaN).

    Returns
    -------
    panel.layout.Row
        Display it in a notebook (after ``panel.extension()``) or serve it with
        ``panel.serve(app)``.

    Raises
    ------
    ionsweep.store.StoreError
        ``data`` is a path that is not a finished ionsweep store.
    """
    import xarray as xr

    from ionsweep.explorer._app import Explorer

    ds = (
        data
        if isinstance(data, xr.Dataset)
        else open_store(data, allow_incomplete=allow_incomplete)
    )
    return Explorer(ds).layout
