#!/bin/bash
# Run one ionsweep sweep as a SLURM job array: every array task computes a disjoint,
# deterministic share of the chunks (every N-th chunk from its own) into the same store on a
# shared filesystem.
#
#   sbatch --array=0-15 examples/slurm_job_array.sh sweeps/gpu_reduce.toml /scratch/$USER/ghk.zarr
#
# The store is created by whichever task starts first (atomically; the others join it).
#
# Store mode, and statistics whose chunks hold the reduced axes whole: each task writes its
# chunks' regions. Statistics over axes that span several chunks — over EVERY axis, such as
# "the fraction of all 1e12 membrane states with |dE| > 5 mV" — split the same way: each
# task accumulates its chunks and saves its partial statistics in STORE/.ionsweep/partials/,
# and the task that completes the last chunk merges them all and writes the statistics.
# No extra job is needed to finish the study. A reduction over every axis, for example:
#
#   [reduce]
#   over = ["P_Na", "P_Cl", "P_Ca", "K_out", "Na_out", "Ca_out", "celsius"]
#   stats = ["min", "max", "mean", "std", "argmax"]
#   count = ["abs(V_rev) > 5"]
#   histogram = { V_rev = { bins = 100, range = [-100, 50] } }
#
# Afterwards `ionsweep info STORE` says whether the store is complete. If a task failed or
# was pre-empted, run the same array again (each task continues from its last saved state)
# or `ionsweep run SPEC --out STORE --resume` in one job: either computes the chunks that are
# missing and writes the statistics. Counts, histograms, min, max and their positions equal
# a single-process run exactly; means and standard deviations agree to a few ulp.
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
