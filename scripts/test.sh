#!/usr/bin/env bash
# Installs what the tests need (Debian 12, as root), builds, and runs the whole test suite:
# GoogleTest units, golden captures, end-to-end tests of the real binary (live capture in network
# namespaces when run as root), and each parser fuzzer for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"
