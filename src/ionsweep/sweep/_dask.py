"""Running a plan's chunks as Dask tasks on an existing cluster (or a local one).

Each task evaluates one chunk with JAX on its worker and writes it to its own region of the
shared store, then marks it done in the manifest — the same steps as a local run, so a run
whose workers die is finished by ``--resume`` (locally or on Dask) with identical results.
An accumulated reduction (statistics over axes that span several chunks) runs one task per
run of consecutive chunks; each saves its partial state in the store, the states merge on
the workers as a tree, and only the merged statistics' state reaches the client.
For SLURM/PBS, start the cluster with dask-jobqueue and pass its scheduler address.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ionsweep._errors import missing_extra
from ionsweep.store import _partials as zpartials, _zarr as zstore
from ionsweep.sweep._accumulate import accumulate_chunks, chunk_numbers, own_partial
from ionsweep.sweep._executor import (
    RunResult,
    already_complete,
    devices_for,
    finish_run,
    mode,
    prepare_store,
    undo_on_failure,
    write_chunk,
)
from ionsweep.sweep._host import chunk_points, host_group
from ionsweep.sweep._plan import Plan
from ionsweep.sweep._reduce import Accumulator
from ionsweep.sweep._repair import repair_store
from ionsweep.sweep._store import finish_reduction

if TYPE_CHECKING:
    import os

    from ionsweep.sweep._store_check import StoreCheck


__all__ = ["run_dask"]


def _worker_setup(plan: Plan) -> None:
    """Prepare a worker process for a task: float64 if the plan asks for it, and on CPU the
    allocator tuning the command line applies (``ionsweep._allocator``; without it every
    chunk's buffers are fresh ``mmap`` regions, page-faulted anew: a worker ran several times
    slower than the command line, ``benchmarks/RESULTS.md``, design notes).
    ``IONSWEEP_TUNE_MALLOC=0`` in the workers' environment stops it."""
    import jax

    from ionsweep._allocator import tune_from_environment

    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    if jax.default_backend() == "cpu":
        tune_from_environment()


def _use_compilation_cache(path: str) -> None:
    """Worker side: keep every compiled program in JAX's persistent cache at ``path``."""
    import jax

    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


def _chunk_task(index, plan: Plan, out: str) -> int:
    """Worker side: compute one chunk, write it, mark it done; returns its point count."""
    import jax

    from ionsweep.sweep._launch import Launcher

    _worker_setup(plan)
    launch = Launcher(plan, jax.devices()[:1])  # compiled once per worker process (cached)
    host = host_group(plan, [index], launch.stacked(launch.to_host(launch([index]))))[0]
    write_chunk(zstore.open_group_rw(out), plan, out, index, host)
    return math.prod(s.stop - s.start for s in plan.chunk_region(index))


def run_dask(
    plan: Plan,
    out: str | os.PathLike[str],
    address: str,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    n_workers: int = 2,
    repair: bool = False,
    compilation_cache: str | None = None,
    checked: StoreCheck | None = None,
) -> RunResult:
    """Evaluate ``plan`` into ``out`` with one Dask task per chunk.

    Parameters
    ----------
    address : str
        Scheduler address (``tcp://host:8786``), or ``"local"`` for a
        ``distributed.LocalCluster`` of ``n_workers`` single-threaded processes.
    resume, overwrite, progress, repair, checked
        As for :func:`ionsweep.sweep.run`.
    compilation_cache : str, optional
        A directory for JAX's persistent compilation cache, which every worker connected
        at the start then uses for all its programs (``ionsweep run --dask`` passes its own,
        so a worker loads the chunk kernel a previous run compiled instead of compiling it).
    """
    try:
        from distributed import as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a test/cluster extra
        raise missing_extra(exc, "cluster", "`dask`") from exc
    out = Path(out)
    checked = prepare_store(
        plan,
        out,
        devices_for(plan),
        resume=resume,
        overwrite=overwrite,
        repair=repair,
        checked=checked,
    )
    if repair:
        checked = repair_store(checked, out)
    plan = checked.plan
    if checked.state == "complete":
        return already_complete(plan, out, checked.notes, checked.repaired)
    accumulate = mode(plan) == "reduce-accumulate"
    todo = _todo(plan, out, accumulate)
    bar = _progress_bar(plan, todo, sys.stderr.isatty() if progress is None else progress)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    complete = False
    with undo_on_failure(checked, out), _client(address, n_workers) as client:
        try:
            if compilation_cache is not None:
                client.run(_use_compilation_cache, compilation_cache)
            plan_f = client.scatter(plan, broadcast=True)
            if accumulate:
                complete = _reduce_on_workers(client, plan, plan_f, out, todo, bar)
            else:
                futures = [
                    client.submit(_chunk_task, idx, plan_f, str(out), pure=False) for idx in todo
                ]
                for fut in as_completed(futures):
                    n = fut.result()
                    if bar is not None:
                        bar.update(n)
        finally:
            if bar is not None:
                bar.close()
    extra = {"executor": f"dask ({address})"}
    result = finish_run(plan, out, todo, t0, started, complete=complete, extra=extra)
    result["notes"] = list(checked.notes)
    result["repaired"] = list(checked.repaired)
    return result


def _todo(plan: Plan, out: Path, accumulate: bool) -> list[tuple[int, ...]]:
    """The chunks still to compute: those no saved partial state covers (an accumulated
    reduction), else those not marked done in the manifest."""
    if accumulate:
        covered = zpartials.covered_by_others(out, "", plan.n_chunks)
        grid = list(np.ndindex(*plan.chunk_grid))
        return [i for i, c in zip(grid, covered[chunk_numbers(plan, grid)], strict=True) if not c]
    done = zstore.finished_chunks(out)
    return [i for i in np.ndindex(*plan.chunk_grid) if zstore.chunk_key(i) not in done]


def _progress_bar(plan: Plan, todo, enabled: bool):
    """A tqdm bar over the plan's points, the chunks not in ``todo`` counted done; None
    unless ``enabled``."""
    if not enabled:
        return None
    from tqdm import tqdm

    bar = tqdm(
        total=plan.n_points, unit="pt", unit_scale=True, desc="ionsweep[dask]", file=sys.stderr
    )
    bar.update(plan.n_points - sum(chunk_points(plan, i) for i in todo))
    return bar


@contextlib.contextmanager
def _client(address: str, n_workers: int):
    """A ``distributed.Client`` of the scheduler at ``address``, or of a ``LocalCluster`` of
    ``n_workers`` single-threaded processes for ``"local"``; closed (with the cluster) on
    exit."""
    from distributed import Client, LocalCluster

    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


#: Partial states combined per task of the tree that merges them on the workers.
FAN_IN = 4


def _reduce_task(indices, plan: Plan, out: str, owner: str):
    """Worker side of an accumulated reduction: accumulate ``indices`` (resuming from
    ``owner``'s saved state, if a retry of this task finds one), save the partial state in
    the store; returns (state, covered, points computed)."""
    import jax

    from ionsweep.sweep._launch import Launcher

    _worker_setup(plan)
    acc, covered = own_partial(plan, Path(out), owner)
    numbers = chunk_numbers(plan, indices)
    todo = [i for i, c in zip(indices, covered[numbers], strict=True) if not c]
    launch = Launcher(plan, jax.devices()[:1])  # compiled once per worker process (cached)

    def save(state, covered):
        zpartials.save_partial(out, owner, state, covered)

    accumulate_chunks(plan, launch, todo, acc, covered, save, None, 1)
    return acc.state, covered, sum(chunk_points(plan, i) for i in todo)


def _combine_task(plan: Plan, *parts):
    """Worker side: one (state, covered, points) holding the points of ``parts``."""
    acc = Accumulator(plan)
    covered = np.zeros(plan.n_chunks, bool)
    for state, cov, _ in parts:
        acc.merge_state(state)
        covered |= cov
    return acc.state, covered, 0


def _reduce_on_workers(client, plan: Plan, plan_f, out: Path, todo, bar) -> bool:
    """Accumulate ``todo`` on the workers: one task per run of consecutive chunks (four per
    worker thread), each saving its partial state in the store; the states are merged on
    the workers in a tree of :data:`FAN_IN`-way merges, and only the root's state comes to
    this process, which merges it with the states earlier runs saved and writes the
    statistics. Whether the store is complete."""
    from distributed import as_completed

    prefix = zpartials.new_task_prefix()
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    n_tasks = max(1, min(len(todo), 4 * max(1, threads)))
    bounds = np.linspace(0, len(todo), n_tasks + 1).astype(int)
    level = [
        client.submit(
            _reduce_task,
            todo[a:b],
            plan_f,
            str(out),
            zpartials.owner_name(task=f"{prefix}-{k}"),
            pure=False,
        )
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]
    if bar is not None:
        for fut in as_completed(list(level)):
            bar.update(fut.result()[2])
    while len(level) > 1:
        level = [
            client.submit(_combine_task, plan_f, *level[i : i + FAN_IN], pure=False)
            for i in range(0, len(level), FAN_IN)
        ]
    state, covered, _ = level[0].result()
    acc = Accumulator(plan)
    acc.merge_state(state)
    return finish_reduction(plan, out, acc, covered, skip=f"dask-{prefix}-")
