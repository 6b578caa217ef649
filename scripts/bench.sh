#!/usr/bin/env bash
# Issue 9: builds and runs every benchmark (`make bench` calls this with the build directory).
#   scripts/bench.sh [BUILD_DIR]      BUILD_DIR defaults to build
# Environment: BENCH_RUNS (default 5) runs per figure, medians reported (BENCH_SWEEP_RUNS, default
# BENCH_RUNS, for the end-to-end sweeps, about a minute each); BENCH_OUT (default
# BUILD_DIR/bench-out) for the raw outputs; BENCH_SKIP_SWEEP=1 skips the end-to-end sweeps.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build}
RUNS=${BENCH_RUNS:-5}
SWEEP_RUNS=${BENCH_SWEEP_RUNS:-$RUNS}
OUT=${BENCH_OUT:-$BUILD/bench-out}
export LEOPARD_HOME=${LEOPARD_HOME:-$ROOT}
BIN=$BUILD/leopard-dse
mkdir -p "$OUT"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"

cmake --build "$BUILD" -j "$(nproc)" --target leopard-dse bench_cost_model bench_pareto bench_profile bench_sweep bench_tail

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# 1, 3, 4 and the no-database sweep: Google Benchmark, medians of RUNS repetitions.
for b in bench_cost_model bench_pareto bench_profile bench_sweep bench_tail; do
  echo "== $b (median of $RUNS), load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$BUILD/bench/$b" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true \
    --benchmark_out="$OUT/$b.json" --benchmark_out_format=json 2>&1 |
    grep -v -E '_(mean|stddev|cv) ' | tee "$OUT/$b.txt"
done

if [[ "${BENCH_SKIP_SWEEP:-0}" == 1 ]]; then exit 0; fi

# 2 and 5: the million-design grid sweep end to end with /usr/bin/time -v, then the queries.
DB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/leopard-bench.XXXXXX")
trap 'rm -rf "$DB_DIR"' EXIT
one_sweep() {  # name threads extra-args... -> appends to secs_NAME, rss_NAME, size_NAME, rate_NAME
  local name=$1 threads=$2
  shift 2
  rm -f "$DB_DIR/$name.db"*
  /usr/bin/time -v "$BIN" sweep --space dse/spaces/wide.yaml --suite paper --strategy grid \
    --db "$DB_DIR/$name.db" --threads "$threads" --format json "$@" \
    >"$OUT/sweep-$name.json" 2>"$OUT/sweep-$name.time"
  local key=${name//-/_}
  eval "secs_$key+=(\"$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + t[i]; print s}' "$OUT/sweep-$name.time")\")"
  eval "rss_$key+=(\"$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/sweep-$name.time")\")"
  eval "size_$key+=(\"$(du -cb "$DB_DIR/$name.db"* | tail -1 | cut -f1)\")"
  eval "rate_$key+=(\"$(sed -E 's/.*"designs_per_s":([0-9.e+]+).*/\1/' "$OUT/sweep-$name.json")\")"
  [[ $name == default-2t ]] || rm -f "$DB_DIR/$name.db"*
}
report_sweep() {  # name threads
  local name=$1 threads=$2 key=${1//-/_} designs s
  local -n secs=secs_$key rss=rss_$key size=size_$key rate=rate_$key
  designs=$(sed -E 's/.*"designs":([0-9]+).*"invalid":([0-9]+).*/\1 + \2/' "$OUT/sweep-$name.json" | bc)
  s=$(printf '%s\n' "${secs[@]}" | median)
  printf '%-28s threads=%s designs=%s wall_s=%s (runs: %s) wall_designs/s=%.0f sweep_designs/s=%.0f peak_rss_MiB=%.0f db_MiB=%.1f load=%s\n' \
    "$name" "$threads" "$designs" "$s" "${secs[*]}" "$(echo "$designs / $s" | bc -l)" \
    "$(printf '%s\n' "${rate[@]}" | median)" \
    "$(echo "$(printf '%s\n' "${rss[@]}" | median) / 1024" | bc -l)" \
    "$(echo "$(printf '%s\n' "${size[@]}" | median) / 1048576" | bc -l)" \
    "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/sweep.txt"
}
sweep_case() {  # name threads extra-args...: SWEEP_RUNS runs in a row
  for ((r = 0; r < SWEEP_RUNS; ++r)); do one_sweep "$@"; done
  report_sweep "$1" "$2"
}
: >"$OUT/sweep.txt"
echo "== sweep end to end (median of $SWEEP_RUNS)"
sweep_case task-metrics-none-2t 2 --task-metrics none
sweep_case store-pareto-2t 2 --store pareto --task-metrics none
# Peak RSS must not grow with the number of designs: a quarter of the grid for comparison.
sweep_case default-2t-quarter 2 --budget 250000
# 1 vs 2 threads, alternated run by run so that drifts of this shared machine's speed cancel in
# the ratio (the default-2t database is kept for the queries below).
ratios=()
for ((r = 0; r < SWEEP_RUNS; ++r)); do
  one_sweep default-1t 1
  one_sweep default-2t 2
  ratios+=("$(echo "${secs_default_1t[$r]} / ${secs_default_2t[$r]}" | bc -l)")
done
report_sweep default-1t 1
report_sweep default-2t 2
printf '2 threads vs 1: %.2fx (median of %s alternated pairs; pairs: %s)\n' \
  "$(printf '%s\n' "${ratios[@]}" | median)" "$SWEEP_RUNS" \
  "$(printf '%.2f ' "${ratios[@]}")" | tee -a "$OUT/sweep.txt"

# 5: queries on the million-design database left by the last default-2t run.
QDB=$DB_DIR/default-2t.db
echo "== queries on a $(du -cb "$QDB"* | tail -1 | cut -f1)-byte database (median of $RUNS)" | tee "$OUT/query.txt"
query_case() {  # name args...
  local name=$1
  shift
  local ms=()
  for ((r = 0; r < RUNS; ++r)); do
    local t0 t1
    t0=$(date +%s%N)
    "$BIN" query --db "$QDB" "$@" >/dev/null
    t1=$(date +%s%N)
    ms+=("$(((t1 - t0) / 1000000))")
  done
  printf '%-24s %s ms (process wall time incl. start-up), load=%s\n' "$name" \
    "$(printf '%s\n' "${ms[@]}" | median)" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/query.txt"
}
query_case "pareto" pareto
query_case "top -n 10 --by latency" top --by latency -n 10
query_case "top -n 10 --by edp" top --by edp -n 10
t0=$(date +%s%N); "$BIN" --version >/dev/null 2>&1 || true; t1=$(date +%s%N)
echo "process start-up alone: $(((t1 - t0) / 1000000)) ms" | tee -a "$OUT/query.txt"

# Export of the million-design run: streamed, so peak RSS must not grow with the run (one run each).
for f in csv json; do
  /usr/bin/time -v "$BIN" export --db "$QDB" --format "$f" -o "$DB_DIR/export.$f" >/dev/null 2>"$OUT/export-$f.time"
  printf 'export %-4s wall_s=%s peak_rss_MiB=%.0f file_MiB=%.0f\n' "$f" \
    "$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + t[i]; print s}' "$OUT/export-$f.time")" \
    "$(echo "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/export-$f.time") / 1024" | bc -l)" \
    "$(echo "$(stat -c %s "$DB_DIR/export.$f") / 1048576" | bc -l)" | tee -a "$OUT/query.txt"
  rm -f "$DB_DIR/export.$f"
done
