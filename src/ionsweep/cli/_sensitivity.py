"""``ionsweep sensitivity``: Sobol / Morris / Monte Carlo analyses of a spec into a store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ionsweep.cli._common import CliError
from ionsweep.cli._examples import resolve_spec

__all__ = ["register"]

EPILOG = """\
examples:
  ionsweep sensitivity sweeps/activity_error_sobol.toml       # writes activity_error_sobol.zarr
  ionsweep sensitivity spec.toml --out sobol.zarr --n 8192 --seed 1
  ionsweep sensitivity spec.toml --no-store                   # print the tables only
  ionsweep plot activity_error_sobol.zarr ST -o sobol.png     # bar chart with CIs

A sensitivity spec names a sweep model like a sweep spec, gives inputs distributions in
[inputs] ({ uniform = [lo, hi] }, { normal = [mean, sd] }, { lognormal = [median, sigma] },
{ triangular = [lo, mode, hi] }, { relative = 0.05, value = 5.0 }, { choices = [...] }),
fixes the rest in [fixed] and asks for [sobol], [morris] and/or [uncertainty] (each with
n = samples). See sweeps/activity_error_sobol.toml.
"""


def _sensitivity(args) -> int:
    from ionsweep import sensitivity
    from ionsweep.store import StoreError
    from ionsweep.sweep import SpecError

    if args.n is not None and args.n < 2:
        raise CliError("--n", f"must be an integer >= 2, got {args.n}")
    if args.seed is not None and args.seed < 0:
        raise CliError("--seed", f"must be >= 0, got {args.seed}")
    args.spec = resolve_spec(args.spec)
    overrides = {k: getattr(args, k) for k in ("dtype", "device", "n", "seed")}
    try:
        plan = sensitivity.load_sensitivity_spec(args.spec, **overrides)
    except SpecError as exc:
        raise CliError("SPEC", str(exc)) from None
    out = None if args.no_store else Path(args.out or Path(args.spec).stem + ".zarr")
    if out is not None and out.exists() and not args.overwrite:
        raise CliError("--out", f"{out} already exists; use --overwrite to replace it")
    if not args.quiet:
        inputs = ", ".join(ri.key for ri in plan.inputs)
        print(
            f"ionsweep sensitivity {args.spec}: {plan.model_name}, {', '.join(plan.methods)} "
            f"over {len(plan.inputs)} inputs ({inputs}); {plan.n_evaluations:,} evaluations "
            f"({plan.dtype})" + (f" → {out}" if out else ""),
            file=sys.stderr,
        )
    try:
        ds = sensitivity.run_sensitivity(plan)
    except ValueError as exc:
        raise CliError("SPEC", str(exc)) from None
    if out is not None:
        try:
            sensitivity.write_results(ds, out, overwrite=args.overwrite)
        except StoreError as exc:
            raise CliError("--out", str(exc)) from None
    if args.json:
        print(json.dumps(_as_json(ds)))
        return 0
    print("\n".join(sensitivity.format_results(ds)))
    a = ds.attrs
    evals = ", ".join(
        f"{m} {a[f'{m}_n_evaluations']:,} in {a[f'{m}_evaluation_s']:.3g} s "
        f"(compile {a[f'{m}_compile_s']:.3g} s)"
        for m in plan.methods
    )
    print(f"model evaluations, one batched call per analysis: {evals}")
    if out is not None:
        print(
            f"wrote {out}; open it with: ionsweep info {out}   or   ionsweep.open_results('{out}')"
        )
    return 0


def _as_json(ds) -> dict:
    """The results as ``Dataset.to_dict()``: ``xarray.Dataset.from_dict`` reads them back.

    NumPy scalars and arrays in attributes become plain numbers and lists; NaN stays NaN
    (JSON ``NaN``, which Python's ``json`` reads).
    """
    return _plain(ds.to_dict(data="list"))


def _plain(value):
    """``value`` with NumPy scalars and arrays turned into Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return _plain(value.tolist())
    return value


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sensitivity",
        help="Sobol indices, Morris screening and Monte Carlo uncertainty of a model",
        description="Sample the input distributions of a sensitivity spec (SALib), evaluate "
        "the model on all samples in one batched JAX call, analyse (Sobol indices with "
        "bootstrap confidence intervals, Morris mu*/sigma, Monte Carlo quantiles), print "
        "the tables and store the labelled results in zarr.",
        epilog=EPILOG,
    )
    p.add_argument(
        "spec",
        metavar="SPEC",
        help="sensitivity spec, a TOML file, or a bundled example's name (ionsweep examples)",
    )
    p.add_argument(
        "--out", metavar="STORE", help="store directory (default: SPEC's name with .zarr)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing store")
    p.add_argument("--no-store", action="store_true", help="print the results, write nothing")
    p.add_argument("--n", type=int, metavar="N", help="samples of every analysis (override n)")
    p.add_argument("--seed", type=int, metavar="SEED", help="random seed (override seed)")
    p.add_argument("--dtype", choices=("float32", "float64"), help="override [run] dtype")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), help="override [run] device")
    p.add_argument("--quiet", action="store_true", help="no plan line on stderr")
    p.add_argument("--json", action="store_true", help="machine-readable results")
    p.set_defaults(handler=_sensitivity, cli_parser=p)
