"""Run an ionsweep sweep on a SLURM (or PBS) cluster through Dask.

dask-jobqueue starts Dask workers as batch jobs; ionsweep then sends one task per chunk to
them, each worker evaluating its chunk with JAX and writing it to the shared zarr store.

    pip install "ionsweep[cluster]" dask-jobqueue
    python examples/dask_jobqueue.py sweeps/gpu_reduce.toml /scratch/$USER/ghk.zarr

For PBS use ``dask_jobqueue.PBSCluster`` with the same arguments. Killed workers leave the
store resumable: ``ionsweep run SPEC --out STORE --resume`` (locally or with --dask).
"""

import sys

from dask_jobqueue import SLURMCluster

from ionsweep.sweep import load_spec, run_dask

spec, store = sys.argv[1], sys.argv[2]
cluster = SLURMCluster(cores=4, processes=1, memory="16GB", walltime="02:00:00",
                       job_extra_directives=["--gpus-per-task=1"])
cluster.scale(jobs=8)
result = run_dask(load_spec(spec), store, cluster.scheduler_address, progress=True)
print(f"{result['points']:,} points in {result['wall_time_s']:.1f} s")
