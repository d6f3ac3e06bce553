"""``ionsweep plot``: a figure of one variable of a store (PNG, SVG or PDF)."""

from __future__ import annotations

from pathlib import Path

from ionsweep.cli._common import CliError

__all__ = ["register"]

EPILOG = """\
examples:
  ionsweep plot activity_error.zarr dE_K --x I_out --y I_in --contour 5 \\
      --sel celsius=37 -o dE_K_map.png          # heatmap, |dE_K| = 5 mV line, panel per model
  ionsweep plot activity_error.zarr dE_K --x I_out --sel I_in=0.15 celsius=37 -o dE_K.svg
  ionsweep plot activity_error_sobol.zarr ST -o sobol.pdf     # Sobol bars with CIs
  ionsweep plot activity_error_sobol.zarr mu_star -o morris.png
  ionsweep plot activity_error_sobol.zarr histogram --sel output=dE_K -o dE_K_hist.png

Numeric coordinates are selected by nearest value, categorical ones by label. Dimensions
left over become panels (categorical) or lines (numeric); select the rest with --sel.
"""

_FORMATS = (".png", ".svg", ".pdf")


def _parse_sel(items) -> dict:
    sel = {}
    for item in items or []:
        dim, eq, value = item.partition("=")
        if not eq or not dim or not value:
            raise CliError("--sel", f"expected DIM=VALUE, got {item!r}")
        sel[dim.strip()] = value.strip()
    return sel


def _plot(args) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in _FORMATS:
        raise CliError("-o", f"{out.name}: the file must end in .png, .svg or .pdf")
    sel = _parse_sel(args.sel)
    if args.contour is not None and args.contour < 0:
        raise CliError("--contour", f"a level of |value| must be >= 0, got {args.contour:g}")
    import matplotlib

    matplotlib.use("Agg")
    from ionsweep import plot
    from ionsweep.store import StoreError, open_results

    try:
        ds = open_results(args.store)
    except StoreError as exc:
        raise CliError("STORE", str(exc)) from None
    if args.var not in ds.data_vars:
        have = ", ".join(map(str, ds.data_vars))
        raise CliError("VAR", f"{args.store} has no variable {args.var!r}; it has {have}")
    dims = set(ds[args.var].dims) | {"output"}
    for name, value in ((args.x, "--x"), (args.y, "--y"), *((d, "--sel") for d in sel)):
        if name is not None and name not in dims:
            dim_list = ", ".join(ds[args.var].dims)
            raise CliError(value, f"{name!r} is not a dimension of {args.var} ({dim_list})")
    for name, value in ((args.x, "--x"), (args.y, "--y")):
        if name is not None and ds[name].dtype.kind not in "fiu" and args.y is not None:
            raise CliError(value, f"{name!r} is categorical; heatmap axes need numeric dimensions")
    try:
        fig = plot.auto(ds, args.var, x=args.x, y=args.y, contour=args.contour, sel=sel)
    except ValueError as exc:
        raise CliError("--sel", str(exc)) from None
    try:
        fig.savefig(out, dpi=args.dpi)
    except OSError as exc:
        raise CliError("-o", f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {out}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plot",
        help="plot a variable of a result store (lines, heatmap, indices, histogram)",
        description="Draw one variable of a store: lines against a dimension (panels per "
        "categorical value), a heatmap over two dimensions with an optional |value| contour, "
        "Sobol/Morris bar charts with confidence intervals, or a Monte Carlo histogram. "
        "Axes are labelled with the units stored in the results.",
        epilog=EPILOG,
    )
    p.add_argument("store", metavar="STORE", help="store written by ionsweep run / sensitivity")
    p.add_argument("var", metavar="VAR", help="variable to plot (see ionsweep info STORE)")
    p.add_argument("--x", metavar="DIM", help="dimension on the horizontal axis")
    p.add_argument("--y", metavar="DIM", help="dimension on the vertical axis (heatmap)")
    p.add_argument(
        "--contour", type=float, metavar="VALUE", help="heatmap line where |VAR| = VALUE"
    )
    p.add_argument(
        "--sel", nargs="+", action="extend", metavar="DIM=VALUE", help="select coordinates"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="figure file (.png, .svg, .pdf)"
    )
    p.add_argument("--dpi", type=int, default=150, help="resolution of PNG output (150)")
    p.set_defaults(handler=_plot, cli_parser=p)
