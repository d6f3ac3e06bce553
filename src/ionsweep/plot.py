"""Figures of ionsweep results, labelled with the units stored in the results.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (it works
without a display; save it with ``fig.savefig("fig.png")``, ``.svg`` or ``.pdf``):

* :func:`lines` — a variable against one dimension, lines over a numeric dimension, one
  panel per value of the categorical ones (``activity_model``, ``ion``);
* :func:`heatmap` — a variable over two dimensions with a contour at a chosen |value|,
  e.g. the line |ΔE| = 5 mV, one panel per remaining value;
* :func:`indices` — Sobol (S1, ST) or Morris (μ*, σ) bar charts with confidence intervals;
* :func:`histogram` — the Monte Carlo distribution of an output with its quantiles;
* :func:`auto` — the natural one of these for a stored variable (what ``ionsweep plot``
  draws).

Examples
--------
>>> import ionsweep
>>> ds = ionsweep.run_sweep({"model": {"name": "nernst"},
...                          "axes": {"c_out": [2.0, 5.0, 10.0], "ion": ["K+", "Na+"]},
...                          "fixed": {"c_in": 140.0, "celsius": 37.0}})
>>> fig = ionsweep.plot.lines(ds.E, x="c_out")
>>> fig.axes[0].get_ylabel()
'Nernst equilibrium potential [mV]'
"""

from ionsweep.analysis._plot import auto, heatmap, lines
from ionsweep.analysis._plot_indices import histogram, indices
from ionsweep.analysis._plot_labels import label, select

__all__ = ["auto", "heatmap", "histogram", "indices", "label", "lines", "select"]
