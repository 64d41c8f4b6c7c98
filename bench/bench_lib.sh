# Shared by the benchmark scripts (sourced, not run): set-up, medians, and one timed run with the page cache warm.
# bench_setup sets $cache and $work; measure warms $capture, which the caller sets.

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs "$@" once, the capture's pages read into the cache first (measure the program, not the disk); prints
# "seconds max_rss_kib" (GNU time). A failing command stops the benchmark with its stderr.
measure() {
  cat "$capture" >/dev/null
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "$(basename "$0"): failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  cat "$work/time"
}

# Checks that the tools are built in $1, makes the capture cache ($cache, $WARDWATCH_BENCH_DIR or
# /var/tmp/wardwatch-bench) and a scratch directory ($work, removed on exit).
bench_setup() {
  local build=$1 tool
  for tool in "$build/wardwatch" "$build/ww_pcap_count"; do
    [[ -x $tool ]] || { echo "$(basename "$0"): $tool not built (cmake --build $build)" >&2; exit 1; }
  done
  cache=${WARDWATCH_BENCH_DIR:-/var/tmp/wardwatch-bench}
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
}
