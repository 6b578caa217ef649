#!/bin/bash
# Notebook test (`make test`): builds a SMALL database and the tool's CSV inputs in a temp dir, runs
# every notebook against them headless, and fails if a cell fails or an expected figure is missing.
#
#   scripts/test-notebooks.sh [BUILD_DIR]        (BUILD_DIR default: build)
#
# It calls scripts/figures.sh with (all in the temp dir, removed on exit):
#   LEOPARD_DB=<tmp>/leopard.db, LEOPARD_FIGURES=<tmp>/figures, LEOPARD_DATA=<tmp>,
#   LEOPARD_SPACE=notebooks/test_space.yaml (24 designs instead of dse/spaces/paper.yaml's 3,888),
#   LEOPARD_PARETO_RUN=nb-test, LEOPARD_THREADS=2.
# The sensitivity, Fig. 11 and tail spaces (notebooks/spaces/, 45, 16 and 60 designs) are used as
# they are; the per-sample suite has 30 samples per task (LEOPARD_TAIL_SAMPLES=30) instead of 100.
# Set LEOPARD_TEST_KEEP=1 to keep the temp dir (printed) for inspection.
# Exit: 0 pass, 1 fail, 77 skipped (this leopard-dse has no `sweep` command yet).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
bin="$build/leopard-dse"

log() { echo "test-notebooks: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

[ -x "$bin" ] || fail "no leopard-dse at $bin (build first)"
if ! "$bin" sweep --help >/dev/null 2>&1; then
  log "SKIP: this leopard-dse has no 'sweep' command"
  exit 77
fi

# The figures every notebook must write (PNG and SVG each).
expected=(
  pareto_front pareto_pairwise                 # pareto.ipynb
  paper_speedup paper_energy paper_parity      # paper_reproduction.ipynb
  energy_breakdown area_breakdown roofline     # breakdown.ipynb
  vpu_utilisation energy_vs_bits               # sensitivity.ipynb
  tail_distributions tail_front                # distributions.ipynb
  llm_tokens_per_s llm_dram_bytes              # llm.ipynb
)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/leopard-nbtest.XXXXXX")
if [ "${LEOPARD_TEST_KEEP:-0}" = 1 ]; then
  log "keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi

start=$(date +%s)
if ! LEOPARD_DB="$tmp/leopard.db" LEOPARD_FIGURES="$tmp/figures" LEOPARD_DATA="$tmp" \
    LEOPARD_SPACE="$root/notebooks/test_space.yaml" LEOPARD_PARETO_RUN=nb-test LEOPARD_THREADS=2 \
    LEOPARD_TAIL_SAMPLES=30 \
    LEOPARD_NOTEBOOKS='' "$root/scripts/figures.sh" "$build"; then
  fail "scripts/figures.sh failed on the small database (see above)"
fi

missing=()
for name in "${expected[@]}"; do
  for ext in png svg; do
    f="$tmp/figures/$name.$ext"
    [ -s "$f" ] || missing+=("$name.$ext")
  done
done
[ ${#missing[@]} -eq 0 ] || fail "expected figure(s) missing: ${missing[*]}"

# Every PNG must be a real image (not an empty canvas of a failed plot): check the signature and size.
for name in "${expected[@]}"; do
  f="$tmp/figures/$name.png"
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$name.png is not a PNG"
  [ "$(stat -c %s "$f")" -gt 10000 ] || fail "$name.png is suspiciously small ($(stat -c %s "$f") bytes)"
done

# The committed notebooks must carry no outputs.
/usr/bin/python3 - "$root"/notebooks/*.ipynb <<'EOF' || fail "committed notebooks must have no outputs (clear them)"
import json, sys
bad = [p for p in sys.argv[1:]
       if any(c.get("outputs") or c.get("execution_count") for c in json.load(open(p))["cells"])]
if bad:
    print("notebooks with outputs:", *bad, file=sys.stderr)
    sys.exit(1)
EOF

log "PASS: ${#expected[@]} figures from $(find "$root/notebooks" -maxdepth 1 -name "*.ipynb" | wc -l) notebooks in $(( $(date +%s) - start )) s"
