"""``ionsweep fit``: fit permeability ratios to measured reversal potentials in a CSV file.

The command reads the table, calls :func:`ionsweep.fit_permeability_ratios` in float64 and
prints the ratios ± standard errors (or JSON with ``--json``); ``--out`` writes the full
result as JSON and ``--plot`` a figure of measured against fitted potentials. Bad input
exits with status 2 and one line naming the argument (``DATA`` for the table); warnings
of the fit (an unidentifiable ratio, a fit that did not converge) go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from ionsweep.cli import _common as cm, _jax
from ionsweep.cli._calc_ljp import composition

__all__ = ["register"]

_DESCRIPTION = """\
Fit permeability ratios P_ion/P_reference to measured reversal potentials with the
Goldman-Hodgkin-Katz voltage equation (least squares on log ratios, exact JAX Jacobians).

DATA is a CSV file with one row per measurement: columns <ion>_in and <ion>_out (mM) for
every ion of --ions (e.g. K+_in, Na+_out, Ca2+_out), V_rev (mV), and optionally V_rev_sd
(mV; used as weights), celsius (°C) and cell (recording id). Other columns are ignored.
A concentration of 0 means the ion is absent on that side (bi-ionic recordings).
With --junction each row is corrected for the liquid junction potential between the
pipette (inside) and the bath (outside): the fit uses V_rev - LJP (V_membrane = V_recorded
- LJP, the LJP being the bath relative to the pipette) and reports the LJP of every row.

units: potentials in mV (V = phi_in - phi_out), concentrations in mM, temperature in °C
(--celsius) or K (--kelvin) unless the table has a celsius column."""

_EPILOG = """\
examples:
  ionsweep fit --example                       # the shipped example table
  ionsweep fit cells.csv --ions K+,Na+,Cl- --reference K+ --celsius 22
  ionsweep fit cells.csv --ions K+,Na+,Cl- --per-cell --plot fit.png --out result.json
  ionsweep fit biionic.csv --ions Na+,Ca2+ --reference Na+ --activity pitzer
  ionsweep fit biionic.csv --ions K+,Na+ --background-ions gluconate-,Cl- --junction \
      --pipette-ions K+=130,gluconate-=110,Cl-=20"""

_FLAGS = {
    "ions": "--ions",
    "reference": "--reference",
    "T": "--celsius",
    "activity_model": "--activity",
    "background_ions": "--background-ions",
    "junction": "--junction",
    "junction_method": "--junction-method",
    "method": "--method",
    "bootstrap": "--bootstrap",
    "seed": "--seed",
}

#: Image formats ``--plot`` writes (by the file's extension), all of them matplotlib's.
PLOT_FORMATS = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fit`` command to the top-level subparsers."""
    p = subparsers.add_parser(
        "fit",
        help="fit permeability ratios to measured reversal potentials (CSV)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    _add_data_options(p)
    _add_junction_options(p)
    _add_solver_options(p)
    _add_output_options(p)
    p.set_defaults(handler=_run, cli_parser=p)


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", nargs="?", help="CSV file of measurements")
    p.add_argument(
        "--example",
        action="store_true",
        help="fit the example table shipped with ionsweep (its path is printed; --ions "
        "defaults to K+,Na+,Cl-)",
    )
    p.add_argument(
        "--ions",
        type=cm.name_list,
        metavar="NAMES",
        help="permeant ions, comma-separated (K+,Na+,Cl-; aliases like K, Ca++); required "
        "unless --example",
    )
    p.add_argument(
        "--reference",
        default="K+",
        metavar="ION",
        help="the ion the ratios are relative to (default K+)",
    )
    cm.add_temperature(p)
    p.add_argument(
        "--activity",
        metavar="MODEL",
        help="activity model for activity-corrected fits (ideal, davies, pitzer, ...)",
    )
    p.add_argument(
        "--background-ions",
        type=cm.name_list,
        default=(),
        metavar="NAMES",
        help="impermeant ions whose columns enter the ionic strength (--activity) and the "
        "junction's compositions (--junction)",
    )


def _add_junction_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--junction",
        action="store_true",
        help="correct every row for the liquid junction potential between pipette (inside) "
        "and bath (outside): fit V_rev - LJP; the pipette is each row's <ion>_in columns, "
        "or --pipette-ions",
    )
    p.add_argument(
        "--pipette-ions",
        type=composition,
        metavar="ION=MM,...",
        help="with --junction: one pipette solution for every row (e.g. "
        "K+=130,gluconate-=110,Cl-=20; electroneutral); the <ion>_in columns are then optional",
    )
    p.add_argument(
        "--junction-method",
        default="nernst-planck",
        choices=("nernst-planck", "henderson"),
        help="how the junction potential is computed (default nernst-planck)",
    )


def _add_solver_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--offset",
        action="store_true",
        help="also fit an offset (mV) added to every potential (an electrode offset, or a "
        "junction potential the same in every row)",
    )
    p.add_argument(
        "--per-cell",
        action="store_true",
        help="fit every cell (column 'cell') separately, in one batched call",
    )
    p.add_argument(
        "--method",
        default="auto",
        choices=("auto", "levenberg-marquardt", "gauss-newton"),
        help="least-squares method (default auto: Gauss-Newton, then "
        "Levenberg-Marquardt where it fails)",
    )
    p.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="residual-bootstrap resamples for bootstrap errors: 0 (default, none) or 2 to "
        "100000; below 20 a warning says the errors are rough",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the bootstrap, 0 to 2**63-1 (default 0)"
    )


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help=f"write measured vs fitted V_rev; the extension picks the format "
        f"({', '.join(PLOT_FORMATS)})",
    )
    p.add_argument("--out", type=Path, metavar="JSON", help="write the full result as JSON")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def _check_output(path: Path | None, flag: str) -> None:
    if path is not None and not path.parent.is_dir():
        raise cm.CliError(flag, f"directory {str(path.parent)!r} does not exist")
    if path is not None and path.is_dir():
        raise cm.CliError(flag, f"{str(path)!r} is a directory; give a file name")
    if flag == "--plot" and path is not None:
        ext = path.suffix.lower().removeprefix(".")
        if ext not in PLOT_FORMATS:
            raise cm.CliError(
                flag,
                f"{path.name!r}: no image format has the extension {path.suffix!r}; end the "
                f"name in one of .{', .'.join(PLOT_FORMATS)}"
                if path.suffix
                else f"{path.name!r} has no extension; end it in one of "
                f".{', .'.join(PLOT_FORMATS)}",
            )


def _temperature(args: argparse.Namespace) -> float | None:
    if args.kelvin is not None:
        if args.kelvin <= 0:
            raise cm.CliError("--kelvin", f"temperature must be > 0 K, got {args.kelvin:g} K")
        return args.kelvin
    if args.celsius is not None:
        return cm.temperature_kelvin(args)
    return None


def _junction(args: argparse.Namespace):
    """``junction=`` of the fit: None, True (pipette from the columns) or the pipette."""
    if args.pipette_ions is not None and not args.junction:
        raise cm.CliError("--pipette-ions", "a pipette composition is used only with --junction")
    if not args.junction:
        return None
    return True if args.pipette_ions is None else args.pipette_ions


def _example(args: argparse.Namespace) -> None:
    """``--example``: the shipped table as DATA, its ions as the default ``--ions``."""
    if args.example:
        if args.data is not None:
            raise cm.CliError("--example", "give either DATA or --example, not both")
        from ionsweep.data import example_fit_path

        args.data = str(example_fit_path())
        args.ions = args.ions or ["K+", "Na+", "Cl-"]
        args.note = f"example data: {args.data}"  # printed once the input is accepted
    elif args.data is None:
        raise cm.CliError("DATA", "required (a CSV file of measurements, or --example)")
    if args.ions is None:
        raise cm.CliError("--ions", "required (the permeant ions, e.g. K+,Na+,Cl-)")


def _run(args: argparse.Namespace) -> int:
    _example(args)
    if not Path(args.data).is_file():
        raise cm.CliError("DATA", f"no such file: {args.data}")
    if args.bootstrap < 0:
        raise cm.CliError("--bootstrap", f"must be >= 0, got {args.bootstrap}")
    _check_output(args.plot, "--plot")
    _check_output(args.out, "--out")
    T = _temperature(args)
    junction = _junction(args)
    isw = _jax.float64_kernels()
    from ionsweep.analysis import FitInputError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = isw.fit_permeability_ratios(
                args.data,
                args.ions,
                args.reference,
                T,
                activity_model=args.activity,
                background_ions=args.background_ions,
                junction=junction,
                junction_method=args.junction_method,
                fit_offset=args.offset,
                per_cell=args.per_cell,
                method=args.method,
                bootstrap=args.bootstrap,
                seed=args.seed,
            )
        except FitInputError as exc:
            raise _cli_error(exc, args) from None
    if getattr(args, "note", None):  # the input was accepted
        print(args.note, file=sys.stderr)
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"{args.cli_parser.prog}: warning: {w.message}", file=sys.stderr)
    if args.out is not None:
        result.to_json(args.out)
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        ax.figure.savefig(args.plot, dpi=150)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
        for path in (args.out, args.plot):
            if path is not None:
                print(f"wrote {path}")
    return 0


def _cli_error(exc, args: argparse.Namespace) -> cm.CliError:
    message = str(exc)
    if exc.field == "T":
        if message.startswith("no temperature"):
            message = "required: the table has no 'celsius' column (or give --kelvin)"
        elif "disagrees" in message:
            message = message.replace("T (", "the given temperature (")
        return cm.CliError("--kelvin" if args.kelvin is not None else "--celsius", message)
    if exc.field == "junction" and message.startswith("pipette"):
        return cm.CliError("--pipette-ions", message)
    return cm.CliError(_FLAGS.get(exc.field, "DATA"), message)
