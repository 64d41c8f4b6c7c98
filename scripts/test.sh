#!/usr/bin/env bash
# Installs what the tests need (Debian 12, as root), builds, and runs the whole test suite:
# GoogleTest units, golden captures, end-to-end tests of the real binary (live capture in network
# namespaces when run as root), each parser fuzzer for a bounded time, and the Debian package (a Release
# build with dpkg-buildflags, lintian, install, capture, purge).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
build_dir=${BUILD_DIR:-build}
# Warnings are errors here (development and CI), never in a user's or a packager's build.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDWATCH_TESTS=ON -DWARDWATCH_WERROR=ON
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)"

# Every parser's libFuzzer target (clang, ASan+UBSan), seeded from real captures, for a bounded time.
fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$fuzz_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DWARDWATCH_FUZZ=ON -DWARDWATCH_TESTS=OFF -DWARDWATCH_WERROR=ON >/dev/null
cmake --build "$fuzz_dir" -j"$(nproc)"
bash tests/fuzz/run_fuzzers.sh "$fuzz_dir" "${FUZZ_SECONDS:-8}"

# The Debian package: a Release build with Debian's default flags (warnings fatal here too), lintian,
# systemd-analyze security, dpkg -i, a capture by the installed binary, dpkg --purge (as root; skips otherwise).
pkg_rc=0
bash tests/package/test_package.sh "${PKG_BUILD_DIR:-build-deb}" || pkg_rc=$?
if [[ $pkg_rc -ne 0 && $pkg_rc -ne 77 ]]; then exit "$pkg_rc"; fi
