#!/usr/bin/env bash
# The test steps of `make test` that are not ctest: notebooks executed headless against a small
# database, and (in CI, as root) the single-node Slurm job-array integration test.
#   scripts/test-extra.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

if [[ -x scripts/test-notebooks.sh ]]; then
  echo "== notebooks"
  scripts/test-notebooks.sh "$build"
fi

# Slurm: brings up munge + slurmctld + slurmd (about 10 s); run in CI or when asked.
if [[ "${CI:-}" == "true" || "${LEOPARD_TEST_SLURM:-}" == "1" ]]; then
  echo "== slurm job array + merge"
  set +e
  scripts/test-slurm.sh "$build"
  rc=$?
  set -e
  if [[ $rc -eq 77 ]]; then
    echo "slurm test skipped"
  elif [[ $rc -ne 0 ]]; then
    exit "$rc"
  fi
fi
echo "extra tests passed"
