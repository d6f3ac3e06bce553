#!/bin/bash
# Run one ionsweep sweep as a SLURM job array: every array task computes a disjoint,
# deterministic share of the chunks into the same store on a shared filesystem.
#
#   sbatch --array=0-15 examples/slurm_job_array.sh sweeps/gpu_reduce.toml /scratch/$USER/ghk.zarr
#
# The store is created by whichever task starts first (atomically; the others join it).
# Afterwards `ionsweep info STORE` reports how many chunks are finished, and
# `ionsweep run SPEC --out STORE --resume` (one job, or the same array again) finishes any
# chunks whose task failed or was pre-empted. Results equal a single-process run exactly.
#
#SBATCH --job-name=ionsweep
#SBATCH --gpus-per-task=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=ionsweep-%A_%a.log
set -euo pipefail

SPEC=${1:?usage: sbatch --array=0-N examples/slurm_job_array.sh SPEC STORE}
STORE=${2:?usage: sbatch --array=0-N examples/slurm_job_array.sh SPEC STORE}
N=${SLURM_ARRAY_TASK_COUNT:?run this script with sbatch --array}

# Expects an environment with ionsweep installed, e.g. `pip install "ionsweep[cuda]"`.
ionsweep run "$SPEC" --out "$STORE" --shard "${SLURM_ARRAY_TASK_ID}/${N}" --quiet
