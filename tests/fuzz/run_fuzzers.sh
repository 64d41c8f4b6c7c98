#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR for SECONDS each, seeded from real captures. Fails on any crash,
# leak, sanitizer report or timeout; the crashing input is left in BUILD_DIR/fuzz-artifacts/.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1 seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
targets=()
for f in "$build"/tests/fuzz/fuzz_*; do [[ -x $f ]] && targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
((${#targets[@]})) || { echo "no fuzz targets in $build/tests/fuzz (configure with -DWARDWATCH_FUZZ=ON and clang++)" >&2; exit 1; }
corpus=$build/fuzz-corpus artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
/usr/bin/python3 "$here/make_seeds.py" "$corpus" "${targets[@]}"
failed=0 passed=0
for t in "${targets[@]}"; do
  if "$build/tests/fuzz/fuzz_$t" "$corpus/$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
       -artifact_prefix="$artifacts/$t-" -print_final_stats=0 >"$build/fuzz-$t.log" 2>&1; then
    echo "PASS fuzz_$t ($(grep -o 'cov: [0-9]*' "$build/fuzz-$t.log" | tail -1))"
    passed=$((passed + 1))
  else
    echo "FAIL fuzz_$t: see $build/fuzz-$t.log"; tail -30 "$build/fuzz-$t.log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
