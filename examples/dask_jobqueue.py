"""Run an ionsweep sweep on a SLURM (or PBS) cluster through Dask.

dask-jobqueue starts Dask workers as batch jobs. In store mode ionsweep sends one task per
chunk, each worker evaluating its chunk with JAX and writing it to the shared zarr store.
For statistics over axes that span several chunks (over every axis, for instance), each task
accumulates a run of consecutive chunks and saves its partial statistics in the store; the
states are merged on the workers as a tree and only the merged state comes back here, to be
written as the statistics.

    pip install "ionsweep[cluster]" dask-jobqueue
    python examples/dask_jobqueue.py sweeps/gpu_reduce.toml /scratch/$USER/ghk.zarr --all-axes

``--all-axes`` reduces over every axis of the spec (each statistic becomes one number)
instead of the axes its ``[reduce]`` table names. For PBS use ``dask_jobqueue.PBSCluster``
with the same arguments. Killed workers leave the store resumable: ``ionsweep run SPEC --out
STORE --resume`` (locally, as shards or with --dask) computes what is missing and merges.
"""

import sys
import tomllib

from dask_jobqueue import SLURMCluster

from ionsweep.sweep import parse_spec, run_dask

spec_path, store = sys.argv[1], sys.argv[2]
with open(spec_path, "rb") as f:
    spec = tomllib.load(f)
if "--all-axes" in sys.argv[3:]:
    spec["reduce"]["over"] = list(spec["axes"])

cluster = SLURMCluster(
    cores=4,
    processes=1,
    memory="16GB",
    walltime="02:00:00",
    job_extra_directives=["--gpus-per-task=1"],
)
cluster.scale(jobs=8)
result = run_dask(parse_spec(spec), store, cluster.scheduler_address, progress=True)
print(f"{result['points']:,} points in {result['wall_time_s']:.1f} s; complete: {result['complete']}")
