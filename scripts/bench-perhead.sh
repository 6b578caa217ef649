#!/usr/bin/env bash
# Issue 16: per-head statistics at full speed (`make bench-perhead` calls this with the build
# directory, configured with -DLEOPARD_BUILD_BENCH=ON).
#   scripts/bench-perhead.sh [BUILD_DIR]      BUILD_DIR defaults to build
# Environment: BENCH_RUNS (default 5) runs per figure, medians reported; BENCH_OUT (default
# BUILD_DIR/bench-perhead-out) for the raw outputs; BENCH_SKIP_MILLION=1 skips the million-design
# stored sweep on 2 threads (about a minute).
#
# Figures, each on dse/spaces/paper.yaml (3,888 designs, all fully priced) unless said otherwise:
#   1. bench_perhead, one thread, dse::run_sweep without a store: the per-head suite (6,972 heads,
#      each with its own statistics, bench/perhead_suite.hpp) on the grid with the run memo on and
#      off, with the random strategy, the merged paper suite, and the suite with every layer's
#      heads doubled (memo on and off): the cost ratio of doubling the heads.
#   2. The CLI as a user runs it: `sweep --space dse/spaces/paper.yaml --suite perhead.yaml
#      --store pareto --threads 1` on the per-head suite written as a statistics CSV + suite YAML.
#   3. Peak RSS of the CLI sweep with --store pareto for 3,888 and for 200,000 designs (wide.yaml):
#      memory flat in the number of designs.
#   4. The merged suite on the cost model alone (bench_cost_model BM_Suite, the README's headline).
#   5. A million-design stored sweep (default storage, wide.yaml grid) on 2 threads, per-head suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-$BUILD/bench-perhead-out}
export LEOPARD_HOME=${LEOPARD_HOME:-$ROOT}
BIN=$BUILD/leopard-dse
PH=$BUILD/bench/bench_perhead
mkdir -p "$OUT"
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
cmake --build "$BUILD" -j "$(nproc)" --target leopard-dse bench_perhead bench_cost_model

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { sed -E "s/.*$1=([0-9.e+-]+).*/\1/"; }

# 1. In-process sweeps (each line: median of RUNS runs; designs/s of wall time and of CPU time).
: >"$OUT/perhead.txt"
ph_case() {  # label memo args...
  local label=$1 memo=$2
  shift 2
  echo "-- $label (load $(load))"
  LEOPARD_HEAD_MEMO=$memo "$PH" --runs "$RUNS" "$@" | tee -a "$OUT/perhead.txt" | sed "s/^/$label: /"
}
ph_case "per-head grid, memo on" 1 --suite perhead
ph_case "per-head grid, memo off" 0 --suite perhead
ph_case "per-head random, memo on" 1 --suite perhead --strategy random
ph_case "merged grid" 1 --suite merged
ph_case "doubled heads grid, memo on" 1 --suite perhead2
ph_case "doubled heads grid, memo off" 0 --suite perhead2
us() { grep "suite=$1 .*strategy=grid.*memo=$2" "$OUT/perhead.txt" | tail -1 | field us_per_design; }
printf 'doubling the heads (13,944 vs 6,972): %.2fx the time per design with the memo on, %.2fx with it off\n' \
  "$(echo "$(us perhead2 on) / $(us perhead on)" | bc -l)" \
  "$(echo "$(us perhead2 off) / $(us perhead off)" | bc -l)" | tee -a "$OUT/perhead.txt"

# 2 and 3. The CLI on the per-head suite as files.
DIR=$(mktemp -d "${TMPDIR:-/tmp}/leopard-perhead.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
"$PH" --write "$DIR"
cli_sweep() {  # name threads extra-args... -> prints "designs_per_s peak_rss_kib"
  local name=$1 threads=$2
  shift 2
  rm -f "$DIR/$name.db"*
  /usr/bin/time -v "$BIN" sweep --suite "$DIR/perhead.yaml" --db "$DIR/$name.db" \
    --threads "$threads" --format json "$@" >"$OUT/cli-$name.json" 2>"$OUT/cli-$name.time"
  echo "$(sed -E 's/.*"designs_per_s":([0-9.e+]+).*/\1/' "$OUT/cli-$name.json") $(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/cli-$name.time")"
  rm -f "$DIR/$name.db"*
}
rates=() rss=()
for ((r = 0; r < RUNS; ++r)); do
  read -r rate kib < <(cli_sweep paper-pareto 1 --space dse/spaces/paper.yaml --strategy grid \
    --store pareto)
  rates+=("$rate") rss+=("$kib")
done
printf 'CLI per-head sweep, paper.yaml, --store pareto, 1 thread: %.0f designs/s (median of %s: %s), peak RSS %.0f MiB, load %s\n' \
  "$(printf '%s\n' "${rates[@]}" | median)" "$RUNS" "${rates[*]}" \
  "$(echo "$(printf '%s\n' "${rss[@]}" | median) / 1024" | bc -l)" "$(load)" | tee -a "$OUT/perhead.txt"
read -r rate kib < <(cli_sweep wide-pareto 1 --space dse/spaces/wide.yaml --strategy grid \
  --store pareto --budget 200000)
printf 'CLI per-head sweep, wide.yaml 200,000 designs, --store pareto, 1 thread: %.0f designs/s, peak RSS %.0f MiB, load %s\n' \
  "$rate" "$(echo "$kib / 1024" | bc -l)" "$(load)" | tee -a "$OUT/perhead.txt"

# 4. The merged suite on the cost model alone.
echo "-- bench_cost_model BM_Suite (median of $RUNS), load $(load)"
"$BUILD/bench/bench_cost_model" --benchmark_filter='BM_Suite$' --benchmark_repetitions="$RUNS" \
  --benchmark_report_aggregates_only=true 2>&1 | grep -E 'BM_Suite_median' | tee -a "$OUT/perhead.txt"

# 5. A million-design stored sweep on 2 threads with per-head statistics.
if [[ "${BENCH_SKIP_MILLION:-0}" != 1 ]]; then
  rm -f "$DIR/million.db"*
  /usr/bin/time -v "$BIN" sweep --suite "$DIR/perhead.yaml" --space dse/spaces/wide.yaml \
    --strategy grid --db "$DIR/million.db" --threads 2 --format json \
    >"$OUT/cli-million.json" 2>"$OUT/cli-million.time"
  printf 'CLI per-head million-design stored sweep (wide.yaml grid, default storage), 2 threads: %s designs + %s invalid in %s s = %.0f designs/s, peak RSS %.0f MiB, load %s\n' \
    "$(sed -E 's/.*"designs":([0-9]+).*/\1/' "$OUT/cli-million.json")" \
    "$(sed -E 's/.*"invalid":([0-9]+).*/\1/' "$OUT/cli-million.json")" \
    "$(sed -E 's/.*"seconds":([0-9.e+]+).*/\1/' "$OUT/cli-million.json")" \
    "$(sed -E 's/.*"designs_per_s":([0-9.e+]+).*/\1/' "$OUT/cli-million.json")" \
    "$(echo "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/cli-million.time") / 1024" | bc -l)" \
    "$(load)" | tee -a "$OUT/perhead.txt"
fi
