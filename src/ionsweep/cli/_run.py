"""``ionsweep run``: evaluate a sweep spec into a zarr store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ionsweep.cli._common import CliError
from ionsweep.cli._examples import resolve_spec

__all__ = ["register"]

RUN_EPILOG = """\
examples:
  ionsweep run sweeps/quickstart.toml                    # writes quickstart.zarr
  ionsweep run quickstart                                # the bundled spec (ionsweep examples)
  ionsweep run sweeps/quickstart.toml --dry-run          # the plan and an estimated time
  ionsweep run big.toml --out /scratch/big.zarr --memory 8GB --quiet
  ionsweep run big.toml --out /scratch/big.zarr --resume # finish an interrupted run
  ionsweep run big.toml --out big.zarr --resume --repair  # recompute lost or corrupt chunks
  ionsweep run big.toml --out /scratch/big.zarr --shard $SLURM_ARRAY_TASK_ID/16
  ionsweep run big.toml --out big.zarr --dask tcp://scheduler:8786

exit status:
  0  the store is written (or a shard of it, or it was already complete)
  1  the run failed while computing (e.g. a user model raised): one line names the
     cause; a store holding finished chunks is left for --resume, one without is removed
  2  bad input, refused before anything is created: one line names the field or flag
"""


def _count(n: int, noun: str) -> str:
    """``"1 chunk"``, ``"4,096 chunks"``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _human_time(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.3g} ms"
    if s < 120:
        return f"{s:.3g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    return f"{s / 3600:.3g} h"


def zstore_finished(out):
    from ionsweep.store._zarr import finished_chunks

    return finished_chunks(out)


def _load(args):
    from ionsweep.sweep import SpecError, load_spec

    try:
        return load_spec(
            args.spec,
            dtype=args.dtype,
            memory=args.memory,
            device=args.device,
            plan_only=bool(getattr(args, "dry_run", False)),
        )
    except SpecError as exc:
        raise CliError("SPEC", str(exc)) from None


def _dry_run(args, plan, out: Path, dims: str) -> int:
    """Print the plan (each axis as its length, first and last value) and, for a plan a run
    accepts, the time of one chunk; a plan of more chunks than a run handles says so."""
    from ionsweep.sweep import dry_run
    from ionsweep.sweep._chunks import format_bytes
    from ionsweep.sweep._plan import chunk_count_refusal

    refusal = chunk_count_refusal(plan.shape, plan.chunks)
    info = dry_run(plan, calibrate=refusal is None)
    if args.json:
        refused = {"refused": refusal} if refusal else {}
        print(json.dumps({"store": str(out), **info, **refused}, default=str))
        return 0
    print(f"plan for {args.spec} (model {plan.model_name}, {plan.dtype})")
    print(f"  grid:     {dims} = {plan.n_points:,} points")
    for axis in plan.axes:
        print(f"  axis:     {axis.name}: {axis.describe()}")
    chunk = " × ".join(str(c) for c in plan.chunks)
    print(
        f"  chunks:   {plan.n_chunks:,} of {chunk} (memory budget "
        f"{format_bytes(plan.memory_bytes)})"
    )
    mode = "reduce over " + ", ".join(plan.reduce.over) if plan.reduce else "store"
    print(f"  mode:     {mode}")
    print(f"  writes:   {format_bytes(info['bytes_written'])} to {out}")
    if refusal:
        print(f"  refused:  a run of this plan: {refusal}")
    else:
        print(
            f"  device:   {info['device']}; compile {_human_time(info['compile_s'])}, "
            f"estimated run {_human_time(info['estimated_s'])}"
        )
        if "cpu_devices" in info:
            print(f"  cores:    {info['cpu_devices']}")
    for note in plan.warnings:
        print(f"  warning:  {note}")
    return 0


def _finished(plan, out) -> int:
    """Chunks of the store ``out`` computed so far: marked in its manifest, or, for
    statistics accumulated over chunks, covered by its saved partial states."""
    from ionsweep.store._partials import covered_by_others
    from ionsweep.sweep._plan import mode

    if mode(plan) == "reduce-accumulate":
        return int(covered_by_others(out, "", plan.n_chunks).sum())
    return len(zstore_finished(out))


def _cpu_devices() -> None:
    """JAX asked for one CPU device per core, or ``IONSWEEP_CPU_DEVICES`` of them
    (:mod:`ionsweep._cpu`), before anything starts its backend; a bad value is refused."""
    from ionsweep import _cpu

    try:
        _cpu.configure()
    except ValueError as exc:
        raise CliError("environment", str(exc)) from None


def _cache_dir() -> str | None:
    """The persistent compilation cache this process uses (None if off), for Dask workers."""
    import jax

    return jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]  # set at run time


def _run(args) -> int:
    args.spec = resolve_spec(args.spec)
    _cpu_devices()
    if args.resume and args.overwrite:
        raise CliError("--resume/--overwrite", "choose one: finish the store, or replace it")
    plan = _load(args)
    out = Path(args.out) if args.out else Path(Path(args.spec).stem + ".zarr")
    dims = " × ".join(f"{d}={n}" for d, n in zip(plan.dims, plan.shape, strict=True))
    if args.dry_run:
        return _dry_run(args, plan, out, dims)
    shard = _shard(args)
    devices = _devices(plan)
    checked = _check_store(args, plan, out, shard)
    plan = checked.plan
    for note in checked.notes:
        print(f"ionsweep run: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"ionsweep run {args.spec}: {plan.model_name}, {dims} = {plan.n_points:,} points "
            f"in {_count(plan.n_chunks, 'chunk')} → {out}",
            file=sys.stderr,
        )
    result = _execute(args, checked, out, shard, devices)
    _print_repaired(out, result.get("repaired") or [], args.json)
    _print_result(args, plan, out, result)
    return 0


def _shard(args) -> tuple[int, int] | None:
    """``--shard I/N`` as (I, N), or None."""
    from ionsweep.sweep import parse_shard

    if not args.shard:
        return None
    try:
        shard = parse_shard(args.shard)
    except ValueError as exc:
        raise CliError("--shard", str(exc)) from None
    if args.dask:
        raise CliError("--shard/--dask", "choose one way to split the work")
    return shard


def _devices(plan) -> list:
    """The devices the run uses, found before anything is shown: a device the machine
    does not have is bad input (a ``ValueError``, exit status 2)."""
    from ionsweep.sweep._executor import devices_for

    return list(devices_for(plan))


def _check_store(args, plan, out: Path, shard):
    """What the run will do with its store (the one check of it, handed on to the run)."""
    from ionsweep.store import StoreError
    from ionsweep.sweep import check_store

    try:
        return check_store(
            plan, out, resume=args.resume, overwrite=args.overwrite, shard=shard, repair=args.repair
        )
    except StoreError as exc:
        raise CliError("--out", str(exc)) from None


def _execute(args, checked, out: Path, shard, devices):
    """Run the checked plan into ``out`` on ``devices``, or as Dask tasks with ``--dask``."""
    from ionsweep.store import StoreError
    from ionsweep.sweep import run, run_dask

    show = (args.progress or None) if not args.quiet else False
    flags = {"resume": args.resume, "overwrite": args.overwrite, "repair": args.repair}
    try:
        if args.dask:
            return run_dask(
                checked.plan,
                out,
                args.dask,
                progress=show,
                compilation_cache=_cache_dir(),
                checked=checked,
                **flags,
            )
        return run(
            checked.plan,
            out,
            progress=show,
            shard=shard,
            devices=devices,
            checked=checked,
            **flags,
        )
    except StoreError as exc:
        raise CliError("--out", str(exc)) from None


def _print_result(args, plan, out: Path, result) -> None:
    """The run's result on stdout: JSON, or a line or two for a person."""
    if args.json:
        print(json.dumps(dict(result), default=float))
    elif result["already_complete"]:
        print(f"{out}: already complete, nothing to do")
    elif not result.get("complete", True):
        done = _finished(plan, out)
        print(
            f"wrote {_count(result['computed_chunks'], 'chunk')} of shard {args.shard} to {out} in "
            f"{_human_time(result['wall_time_s'])}; {done}/{plan.n_chunks} chunks of the "
            "store are finished (ionsweep info shows progress; --resume finishes the rest)"
        )
    else:
        print(
            f"wrote {out}: {_count(plan.n_points, 'point')}, "
            f"{_count(result['computed_chunks'], 'chunk')} in "
            f"{_human_time(result['wall_time_s'])} ({result['points_per_s']:.3g} points/s)"
        )
        print(f"open it with: ionsweep info {out}   or   ionsweep.open_results('{out}')")


def _print_repaired(out, repaired, as_json) -> None:
    """What a repair found (stderr), before the usual result lines."""
    if repaired and not as_json:
        print(
            f"ionsweep run: repaired {out}: {_count(len(repaired), 'damaged piece')}",
            file=sys.stderr,
        )
        for line in repaired:
            print(f"  {line}", file=sys.stderr)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="evaluate a sweep spec (TOML) into a zarr store",
        description="Evaluate every point of the grid a sweep spec describes, chunk by chunk, "
        "into a labeled zarr store (xarray Dataset). Progress is shown on a terminal. "
        "A killed run can be finished with --resume.\n\n"
        "A spec whose [model] name is 'module:function' runs that module's Python code\n"
        "(as importing it would), found beside the spec or on the Python path: run only\n"
        "specs you trust. Specs naming built-in models run no code of their own.",
        epilog=RUN_EPILOG,
    )
    p.add_argument(
        "spec",
        metavar="SPEC",
        help="sweep spec, a TOML file, or a bundled example's name (ionsweep examples)",
    )
    _add_store_options(p)
    _add_plan_options(p)
    _add_work_options(p)
    p.set_defaults(handler=_run, cli_parser=p)


def _add_store_options(p) -> None:
    """Where the run writes, and what it does with a store already there."""
    p.add_argument(
        "--out",
        metavar="STORE",
        help="store directory (default: SPEC's name with .zarr, in the current directory)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted store written from the same spec",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing store")
    p.add_argument(
        "--repair",
        action="store_true",
        help="with --resume: read every chunk of the store and compute again exactly those "
        "that are missing or corrupt (see ionsweep info --verify)",
    )


def _add_plan_options(p) -> None:
    """Overrides of the spec's [run] table, and the dry run."""
    p.add_argument("--dtype", choices=("float32", "float64"), help="override [run] dtype")
    p.add_argument(
        "--memory", metavar="SIZE", help="memory budget, e.g. 2GB (override [run] memory)"
    )
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), help="override [run] device")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (points, chunks, bytes, estimated time) and exit",
    )


def _add_work_options(p) -> None:
    """How the work is shown and split, and the result's form."""
    p.add_argument("--quiet", action="store_true", help="no progress bar or plan line")
    p.add_argument(
        "--progress", action="store_true", help="progress bar even when not on a terminal"
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="compute only shard I of N (0-based) into "
        "a store shared with the other shards, e.g. from a SLURM job array",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the chunks as Dask tasks on the "
        "scheduler at ADDRESS, or 'local' for a local cluster",
    )
    p.add_argument("--json", action="store_true", help="machine-readable result")
