#!/bin/bash
# Submits a sharded sweep as a Slurm job array plus the dependent merge step.
#   scripts/slurm/submit.sh N [extra sbatch options...]
# Environment as in sweep-array.sbatch and merge.sbatch (SPACE, SUITE, STRATEGY, SEED, NAME,
# SHARD_DIR, OUT, LEOPARD_BIN). Prints the two job ids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:?usage: submit.sh N [sbatch options...]}
shift
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit.sh: N must be a positive integer, got '$n'" >&2
  exit 2
fi
array=$(sbatch --parsable --export=ALL --array=0-$((n - 1)) "$@" "$here/sweep-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$@" "$here/merge.sbatch")
echo "array job $array, merge job ${merge%%;*}"
