#!/bin/bash
# Single-node Slurm integration test (issue 5): brings up munge + slurmctld + slurmd on this machine,
# runs a 4-task job-array sweep (scripts/slurm/sweep-array.sbatch) and the merge step
# (scripts/slurm/merge.sbatch), and checks that the merged database has the same designs, metrics and
# Pareto set as an unsharded run of the same sweep.
#
#   scripts/test-slurm.sh [BUILD_DIR]        (as root; installs slurm-wlm and munge when missing)
#
# Environment: SPACE (default dse/spaces/paper.yaml), SLURM_TEST_TIMEOUT (seconds, default 600).
# Exit: 0 pass, 1 fail, 77 skipped (no `leopard-dse sweep` yet, or not root and Slurm missing).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
bin="$build/leopard-dse"
space=${SPACE:-$root/dse/spaces/paper.yaml}

if [ -z "${LEOPARD_SLURM_TEST_INNER:-}" ]; then
  export LEOPARD_SLURM_TEST_INNER=1
  set +e
  timeout --kill-after=10 "${SLURM_TEST_TIMEOUT:-600}" "$0" "$@"
  rc=$?
  set -e
  [ "$rc" -eq 124 ] && echo "test-slurm: FAIL (timed out)" >&2
  exit "$rc"
fi

log() { echo "test-slurm: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [ ! -x "$bin" ] || ! "$bin" sweep --help >/dev/null 2>&1; then
  log "SKIP: $bin has no 'sweep' command"
  exit 77
fi
[ -f "$space" ] || { log "SKIP: no design space $space"; exit 77; }

# --- install --------------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || \
   ! command -v munged >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    log "SKIP: slurm-wlm / munge missing and not root"
    exit 77
  fi
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || {
    apt-get update >/dev/null && apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null
  }
fi

work=$(mktemp -d /tmp/leopard-slurm.XXXXXX)
started_pids=()
cleanup() {
  local pid watchdog
  for pid in "${started_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    # Reap our own daemon (no zombie left behind); SIGKILL it if it ignores SIGTERM for 5 s.
    (sleep 5 && kill -9 "$pid" 2>/dev/null) &
    watchdog=$!
    wait "$pid" 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
  done
  if [ -n "${KEEP_SLURM_TEST:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- munge ----------------------------------------------------------------------------------------
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile=/etc/munge/munge.key --force
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  runuser -u munge -- munged --foreground >"$work/munged.log" 2>&1 &
  started_pids+=($!)
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || fail "munged did not start (see $work/munged.log)"
fi

# --- slurm ----------------------------------------------------------------------------------------
node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/shards"
cat >"$work/slurm.conf" <<CONF
ClusterName=leopardtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=4
SchedulerParameters=batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
started_pids+=($!)
slurmd -D -N "$node" -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
started_pids+=($!)
for _ in $(seq 100); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [ "$state" = "idle" ] && break
  sleep 0.2
done
[ "$state" = "idle" ] || fail "node not idle (state '$state'); see $work/slurmctld.log"
log "slurm up on $node with $cpus CPUs"

# --- the sweeps -----------------------------------------------------------------------------------
t0=$(date +%s)
"$bin" sweep --space "$space" --suite paper --strategy grid --seed 1 --name reference \
  --db "$work/reference.db" >"$work/reference.out" 2>&1 || fail "unsharded sweep failed"

export LEOPARD_BIN="$bin" SPACE="$space" SUITE=paper STRATEGY=grid SEED=1 NAME=slurm-sweep \
  SHARD_DIR="$work/shards" OUT="$work/merged.db"
sbatch --wait --quiet --export=ALL --array=0-3 --chdir="$work" \
  "$root/scripts/slurm/sweep-array.sbatch" || fail "array job failed (see $work/*.out)"
sbatch --wait --quiet --export=ALL --chdir="$work" "$root/scripts/slurm/merge.sbatch" ||
  fail "merge job failed (see $work/leopard-merge-*.out)"
log "array + merge took $(($(date +%s) - t0)) s (including the unsharded run)"

# --- checks ---------------------------------------------------------------------------------------
shards=("$work"/shards/shard-*.db)
[ ${#shards[@]} -eq 4 ] || fail "expected 4 shard databases, found ${#shards[@]}"
for s in "${shards[@]}"; do
  "$bin" query --db "$s" sql "SELECT shard_index || '/' || shard_count FROM runs" --format csv |
    tail -n +2 >>"$work/shard-list.txt"
done
[ "$(sort "$work/shard-list.txt" | tr '\n' ' ')" = "0/4 1/4 2/4 3/4 " ] ||
  fail "shard indices: $(tr '\n' ' ' <"$work/shard-list.txt")"

status=$("$bin" query --db "$work/merged.db" sql "SELECT status FROM runs" --format csv | tail -n 1)
[ "$status" = "complete" ] || fail "merged run status '$status'"

# Designs and metrics (export without the design_id column), and the Pareto sets by design index.
for name in reference merged; do
  "$bin" export --db "$work/$name.db" --format csv -o "$work/$name.csv" >/dev/null
  cut -d, -f2- "$work/$name.csv" | sort >"$work/$name.sorted.csv"
  "$bin" query --db "$work/$name.db" sql \
    "SELECT design_index FROM pareto_designs ORDER BY design_index" --format csv >"$work/$name.pareto"
done
designs=$(($(wc -l <"$work/reference.csv") - 1))
[ "$designs" -gt 0 ] || fail "the reference run stored no designs"
cmp -s "$work/reference.sorted.csv" "$work/merged.sorted.csv" ||
  fail "designs/metrics differ: $(diff "$work/reference.sorted.csv" "$work/merged.sorted.csv" | head -5)"
cmp -s "$work/reference.pareto" "$work/merged.pareto" ||
  fail "Pareto sets differ: $(diff "$work/reference.pareto" "$work/merged.pareto" | head -5)"
log "PASS: 4 shards merged = unsharded run ($designs designs, $(($(wc -l <"$work/merged.pareto") - 1)) on the Pareto front)"
