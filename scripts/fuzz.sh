#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ with clang-14 (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60). `make fuzz` runs this; CI too. Seeds come from the test fixtures and
# the bad-input corpus; crashes land in $FUZZ_BUILD/artifacts/<fuzzer>/ and fail the script.
#   FUZZ_SECONDS=600 scripts/fuzz.sh                 # all fuzzers, 10 minutes each
#   scripts/fuzz.sh fuzz_npy fuzz_stats_csv          # some of them
#   FUZZ_NO_BUILD=1 scripts/fuzz.sh fuzz_npy         # run what is already built
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FUZZ_BUILD:-$ROOT/build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-60}"
JOBS="${FUZZ_JOBS:-$(nproc)}"
CXX_FUZZ="${FUZZ_CXX:-clang++-14}"
ALL=(fuzz_space_yaml fuzz_stats_csv fuzz_hf_config fuzz_npy fuzz_onnx)
TARGETS=("$@")
((${#TARGETS[@]} == 0)) && TARGETS=("${ALL[@]}")

command -v "$CXX_FUZZ" >/dev/null || {
  echo "fuzz: $CXX_FUZZ not found (scripts/install-deps.sh installs clang-14)" >&2
  exit 1
}
if [[ "${FUZZ_NO_BUILD:-0}" != 1 ]]; then
  cmake -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" >/dev/null
  cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"
fi

# Seed corpus of each fuzzer: fixtures of the matching format.
seeds() {
  case "$1" in
    fuzz_space_yaml)
      # space_too_many_designs.yaml is left out: it expands 3 x 10^6 axis values before the size
      # check refuses it (seconds under ASan; reported, see issue 8 notes).
      ls "$ROOT"/dse/spaces/*.yaml "$ROOT"/models/presets/*.yaml "$ROOT"/tests/bad_inputs/arch_*.yaml \
        "$ROOT"/tests/bad_inputs/space_*.yaml 2>/dev/null | grep -v space_too_many_designs ;;
    fuzz_stats_csv)
      ls "$ROOT"/tests/data/workloads/*.csv "$ROOT"/tests/data/workloads/bad/*.csv \
        "$ROOT"/tests/bad_inputs/stats_*.csv 2>/dev/null ;;
    fuzz_hf_config)
      ls "$ROOT"/fuzz/seeds/hf_config/*.json "$ROOT"/tests/data/workloads/*.json "$ROOT"/tests/bad_inputs/hf_*.json \
        2>/dev/null ;;
    fuzz_npy)
      ls "$ROOT"/tests/data/npy/*.npy "$ROOT"/tests/bad_inputs/*.npy 2>/dev/null ;;
    fuzz_onnx)
      ls "$ROOT"/fuzz/seeds/onnx/*.onnx "$ROOT"/tests/bad_inputs/onnx_*.onnx 2>/dev/null ;;
  esac
}

status=0
for f in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$f"
  artifacts="$BUILD/artifacts/$f"
  mkdir -p "$corpus" "$artifacts"
  while read -r s; do [[ -n "$s" ]] && cp -n "$s" "$corpus/" 2>/dev/null || true; done < <(seeds "$f")
  echo "fuzz: $f for ${SECONDS_EACH}s ($(ls "$corpus" | wc -l) inputs in the corpus)"
  # -rss_limit_mb: a 2.5 GB input-driven allocation is a finding; -timeout: a slow input is a hang
  # (space axes may legitimately expand up to 10^6 values each: 60 s there, 10 s elsewhere).
  timeout=10
  [[ "$f" == fuzz_space_yaml ]] && timeout=60
  if ! "$BUILD/$f" "$corpus" -max_total_time="$SECONDS_EACH" -timeout="$timeout" -rss_limit_mb=2560 \
      -max_len=65536 -artifact_prefix="$artifacts/" -print_final_stats=1 \
      >"$BUILD/$f.log" 2>&1; then
    status=1
    echo "fuzz: $f FOUND A PROBLEM: see $BUILD/$f.log and $artifacts/" >&2
    grep -E "^==[0-9]+==ERROR|runtime error|uncaught|Test unit written" "$BUILD/$f.log" | head -5 >&2
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/$f.log" | sed "s/^/fuzz: $f /"
done
exit $status
