# Shared by the benchmark scripts (sourced, not run): medians and one timed run with the page cache warm.
# The caller sets $capture (the file to warm) and $work (a scratch directory).

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs "$@" once, the capture's pages read into the cache first (measure the program, not the disk); prints
# "seconds max_rss_kib" (GNU time). A failing command stops the benchmark with its stderr.
measure() {
  cat "$capture" >/dev/null
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "$(basename "$0"): failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  cat "$work/time"
}
