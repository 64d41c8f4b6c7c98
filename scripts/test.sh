#!/usr/bin/env bash
# Installs what the tests need (Debian 12, as root), builds, and runs the whole test suite:
# GoogleTest units, golden captures, end-to-end tests of the real binary (live capture in network
# namespaces when run as root), and each parser fuzzer for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDWATCH_TESTS=ON
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"

# Every parser's libFuzzer target (clang, ASan+UBSan), seeded from real captures, for a bounded time.
fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$fuzz_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DWARDWATCH_FUZZ=ON -DWARDWATCH_TESTS=OFF >/dev/null
cmake --build "$fuzz_dir" -j"$(nproc)"
bash tests/fuzz/run_fuzzers.sh "$fuzz_dir" "${FUZZ_SECONDS:-8}"
