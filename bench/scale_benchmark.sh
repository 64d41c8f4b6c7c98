#!/usr/bin/env bash
# The cost of a device: `wardwatch read` on generated flat networks of 1k, 10k and 100k devices
# (bench/gen_devices.py), next to libpcap's bare read loop on the same file, and the answers a database of
# that many devices gives (`fingerprint --explain`, `export`). Issue 15's cost curve; figures go to
# docs/performance.md ("Scale"). Never a pass/fail test.
#
#   bench/scale_benchmark.sh [--build DIR] [--runs N] [--devices "1000 10000 100000"] [--profile three|full]
#
# Per device count: the capture (cached in $WARDWATCH_BENCH_DIR, default /var/tmp/wardwatch-bench), then the
# median of N runs (page cache warm) of the loop, `read --quiet` (the packet path), and `read --db --json`
# (the whole job) with its peak RSS; the packet path's cost per device (its time less the loop's, divided by
# the devices) shows whether a new device costs the same at 1k and at 100k.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
runs=3
device_counts="1000 10000 100000"
profile=three
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --devices) device_counts=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--runs N] [--devices \"N ...\"] [--profile three|full]" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_setup "$build"

printf "%-8s %-8s %-9s %-9s %-9s %-12s %-11s %-9s %-9s %-9s\n" devices packets loop_s read_s per_dev_us \
  db_json_s db_json_MiB ratio explain_s export_s
for n in $device_counts; do
  capture=$cache/devices-$profile-$n.pcap
  [[ -s $capture ]] || python3 bench/gen_devices.py "$capture" --devices "$n" --profile "$profile"
  packets=$("$build/ww_pcap_count" "$capture" | awk '{print $1}')
  loop=() read_t=() job_t=() job_rss=()
  for ((i = 0; i < runs; i++)); do
    read -r t _ < <(measure "$build/ww_pcap_count" "$capture"); loop+=("$t")
    read -r t _ < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress); read_t+=("$t")
    rm -f "$work"/inv.db*
    read -r t rss < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress --db "$work/inv.db" \
      --json "$work/inv.json")
    job_t+=("$t"); job_rss+=("$rss")
  done
  lt=$(printf '%s\n' "${loop[@]}" | median)
  rt=$(printf '%s\n' "${read_t[@]}" | median)
  jt=$(printf '%s\n' "${job_t[@]}" | median)
  jr=$(printf '%s\n' "${job_rss[@]}" | median)
  read -r et _ < <(measure "$build/wardwatch" fingerprint --explain 02:dd:00:00:00:07 --db "$work/inv.db")
  read -r xt _ < <(measure "$build/wardwatch" export --db "$work/inv.db" --format json -o "$work/export.json")
  awk -v n="$n" -v p="$packets" -v lt="$lt" -v rt="$rt" -v jt="$jt" -v jr="$jr" -v et="$et" -v xt="$xt" 'BEGIN {
    printf "%-8d %-8d %-9.2f %-9.2f %-9.1f %-12.2f %-11d %-9s %-9.2f %-9.2f\n", n, p, lt, rt, (rt - lt) * 1e6 / n, jt,
      jr / 1024, sprintf("%.1fx", jt / (lt > 0 ? lt : 0.01)), et, xt }'
done
echo "(median of $runs runs; per_dev_us = (read - loop) / devices; ratio = read --db --json over the loop;"
echo " /usr/bin/time has 10 ms resolution: the 1k row's times are at its floor)"
