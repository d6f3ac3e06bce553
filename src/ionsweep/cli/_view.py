"""``ionsweep view``: explore a result store in the browser."""

from __future__ import annotations

from ionsweep._errors import StoreError, missing_extra
from ionsweep.cli._common import CliError

__all__ = ["register"]

EPILOG = """\
examples:
  ionsweep view quickstart.zarr                    # opens http://127.0.0.1:5006/
  ionsweep view big.zarr --port 8080 --no-browser  # print the address only
  ssh -L 5006:localhost:5006 cluster               # then view a store on a cluster node
  ionsweep view big.zarr --host 0.0.0.0            # other machines: asks for a password

Pick a variable, an x axis and optionally a y axis (heatmap; log axes where the coordinate
is log-spaced; a diverging colour map for values of both signs), overlay a categorical
dimension as coloured lines or facet over it (one panel each, shared or own y range), move
the sliders through the other dimensions, hover for values with units, and download the
current view as PNG (the same view) or the slice as CSV/netCDF. Only the slice shown is
read, so stores of any size open at once. Needs the view extra: pip install "ionsweep[view]".

Text in a store (title, names, labels, units) is shown as text, never run as markup. An
address other than loopback (127.0.0.0/8, ::1, localhost) warns and asks for a password on
a login page: the value of IONSWEEP_VIEW_PASSWORD, or else a random one printed once with
the address. Setting IONSWEEP_VIEW_PASSWORD guards a loopback server too. The traffic is
plain http: on a shared network prefer ssh -L.
"""


def _view(args) -> int:
    if not 0 < args.port < 65536:
        raise CliError("--port", f"a port is 1 to 65535, got {args.port}")
    try:
        from ionsweep.explorer._server import check_port, serve
        from ionsweep.explorer._store import check_store
    except ImportError as exc:
        raise missing_extra(exc, "view", "view") from None
    try:
        check_store(args.store, allow_incomplete=args.allow_incomplete)
    except StoreError as exc:
        raise CliError("STORE", str(exc)) from None
    try:
        check_port(args.host, args.port)
    except OSError as exc:
        raise CliError("--port", str(exc)) from None
    try:
        serve(
            args.store,
            port=args.port,
            host=args.host,
            show=not args.no_browser,
            allow_incomplete=args.allow_incomplete,
        )
    except StoreError as exc:
        raise CliError("STORE", str(exc)) from None
    except OSError as exc:
        raise CliError("--port", str(exc)) from None
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "view",
        help="explore a result store in the browser (sliders, heatmaps, hover, export)",
        description="Serve a local web app over a store written by ionsweep run or "
        "ionsweep sensitivity: variable, axes, a slider per other dimension with its "
        "coordinate value and units, heatmap contour, statistic (reduce mode), index bars "
        "with confidence intervals (sensitivity), valid mask, PNG/CSV/netCDF export.",
        epilog=EPILOG,
    )
    p.add_argument("store", metavar="STORE", help="store written by ionsweep run / sensitivity")
    p.add_argument("--port", type=int, default=5006, help="port to listen on (5006)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (127.0.0.1: this machine only; any other address asks "
        "for a password, see below)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="view a store whose run has not finished (unwritten points show as NaN)",
    )
    p.set_defaults(handler=_view, cli_parser=p)
