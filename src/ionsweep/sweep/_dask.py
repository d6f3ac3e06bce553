"""Running a plan's chunks as Dask tasks on an existing cluster (or a local one).

Each task evaluates one chunk with JAX on its worker and writes it to its own region of the
shared store, then marks it done in the manifest — the same steps as a local run, so a run
whose workers die is finished by ``--resume`` (locally or on Dask) with identical results.
For SLURM/PBS, start the cluster with dask-jobqueue and pass its scheduler address.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ionsweep.store import _zarr as zstore
from ionsweep.sweep._executor import (
    RunResult,
    already_complete,
    devices_for,
    finish_run,
    host_results,
    mode,
    prepare_store,
    undo_on_failure,
    write_chunk,
)
from ionsweep.sweep._plan import Plan
from ionsweep.sweep._repair import repair_store

__all__ = ["run_dask"]


def _chunk_task(index, plan: Plan, out: str) -> int:
    """Worker side: compute one chunk, write it, mark it done; returns its point count."""
    import jax

    from ionsweep.sweep._launch import Launcher

    if plan.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    launch = Launcher(plan, jax.devices()[:1])  # compiled once per worker process (cached)
    host = host_results(plan, index, launch.to_host(launch([index])))
    write_chunk(zstore.open_group_rw(out), plan, out, index, host)
    return math.prod(s.stop - s.start for s in plan.chunk_region(index))


def run_dask(
    plan: Plan,
    out,
    address: str,
    *,
    resume=False,
    overwrite=False,
    progress=None,
    n_workers: int = 2,
    repair=False,
) -> RunResult:
    """Evaluate ``plan`` into ``out`` with one Dask task per chunk.

    Parameters
    ----------
    address : str
        Scheduler address (``tcp://host:8786``), or ``"local"`` for a
        ``distributed.LocalCluster`` of ``n_workers`` single-threaded processes.
    resume, overwrite, progress, repair
        As for :func:`ionsweep.sweep.run`.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a test/cluster extra
        raise zstore.StoreError(
            "`dask` runs need the 'distributed' package: pip install 'ionsweep[cluster]'"
        ) from exc
    if mode(plan) == "reduce-accumulate":
        raise zstore.StoreError(
            "this reduction spans several chunks along the reduced axes "
            "and can only be accumulated in one process; raise `memory` "
            "or run without `dask`"
        )
    out = Path(out)
    checked = prepare_store(
        plan, out, devices_for(plan), resume=resume, overwrite=overwrite, repair=repair
    )
    if repair:
        checked = repair_store(checked, out)
    plan = checked.plan
    if checked.state == "complete":
        return already_complete(plan, out, checked.notes, checked.repaired)
    done = zstore.finished_chunks(out)
    todo = [i for i in np.ndindex(*plan.chunk_grid) if zstore.chunk_key(i) not in done]
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=plan.n_points, unit="pt", unit_scale=True, desc="ionsweep[dask]", file=sys.stderr
        )
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with undo_on_failure(checked, out):  # no broken store left behind
        cluster = None
        if address == "local":
            cluster = LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(address)
        try:
            plan_f = client.scatter(plan, broadcast=True)
            futures = [
                client.submit(_chunk_task, idx, plan_f, str(out), pure=False) for idx in todo
            ]
            for fut in as_completed(futures):
                n = fut.result()
                if bar is not None:
                    bar.update(n)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
            if bar is not None:
                bar.close()
    result = finish_run(plan, out, todo, t0, started, extra={"executor": f"dask ({address})"})
    result["notes"] = list(checked.notes)
    result["repaired"] = list(checked.repaired)
    return result
