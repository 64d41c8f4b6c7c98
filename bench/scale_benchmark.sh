#!/usr/bin/env bash
# The cost of a device: `wardwatch read` on generated flat networks of 1k, 10k and 100k devices
# (bench/gen_devices.py), next to libpcap's bare read loop on the same file, and the answers a database of
# that many devices gives (`fingerprint --explain`, `export`). Issue 15's cost curve; figures go to
# docs/performance.md ("Scale"). Never a pass/fail test.
#
#   bench/scale_benchmark.sh [--build DIR] [--runs N] [--devices "1000 10000 100000"] [--profile three|full]
#
# Per device count: the capture (cached in $WARDWATCH_BENCH_DIR, default /var/tmp/wardwatch-bench), then the
# median of N runs (page cache warm) of the loop, `read --quiet` (the packet path, as a user runs it), and
# `read --db --json` (the whole job) with its peak RSS.
#
# The cost of a device is taken from the packet phase alone (WARDWATCH_PHASE_TIMES, in milliseconds: the
# process's start-up, ~60 ms, is left out), less that phase on a one-device capture (its fixed cost: threads,
# libpcap, the first tables), divided by the devices. It is measured with the same heap at every size
# (GLIBC_TUNABLES=glibc.malloc.hugetlb=0: a user's run re-executes with huge pages only from 32 MiB of input,
# so its own figures compare a 4 KiB-page heap at 10k with a huge-page heap at 100k), twice: with the default
# limits (past 25,000 devices the tracker evicts: a device is two records of --max-assets 50,000) and with
# --max-assets at four records a device (no eviction). Whether a new device costs the same at 1k and at 100k
# is read off these two columns.
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

# The packet phase of one `read --quiet` run of $capture on a 4 KiB-page heap, in seconds; "$@": more options.
packet_phase() {
  measure env WARDWATCH_PHASE_TIMES=1 GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$build/wardwatch" read "$capture" \
    --quiet --no-progress "$@" >/dev/null
  sed -n 's/.*phases: packets \([0-9.]*\) s.*/\1/p' "$work/stderr"
}

# The fixed part of the packet phase: a capture of one device.
capture=$cache/devices-$profile-1.pcap
[[ -s $capture ]] || python3 bench/gen_devices.py "$capture" --devices 1 --profile "$profile"
fixed=()
for ((i = 0; i < runs; i++)); do fixed+=("$(packet_phase)"); done
fixed_s=$(printf '%s\n' "${fixed[@]}" | median)

printf "%-8s %-8s %-9s %-9s %-8s %-13s %-12s %-11s %-9s %-9s %-9s\n" devices packets loop_s read_s dev_us \
  dev_us_sized db_json_s db_json_MiB ratio explain_s export_s
for n in $device_counts; do
  capture=$cache/devices-$profile-$n.pcap
  [[ -s $capture ]] || python3 bench/gen_devices.py "$capture" --devices "$n" --profile "$profile"
  packets=$("$build/ww_pcap_count" "$capture" | awk '{print $1}')
  loop=() read_t=() phase=() phase_sized=() job_t=() job_rss=()
  for ((i = 0; i < runs; i++)); do
    read -r t _ < <(measure "$build/ww_pcap_count" "$capture"); loop+=("$t")
    read -r t _ < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress); read_t+=("$t")
    phase+=("$(packet_phase)")
    phase_sized+=("$(packet_phase --max-assets $((4 * n)))")
    rm -f "$work"/inv.db*
    read -r t rss < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress --db "$work/inv.db" \
      --json "$work/inv.json")
    job_t+=("$t"); job_rss+=("$rss")
  done
  lt=$(printf '%s\n' "${loop[@]}" | median)
  rt=$(printf '%s\n' "${read_t[@]}" | median)
  pt=$(printf '%s\n' "${phase[@]}" | median)
  ps=$(printf '%s\n' "${phase_sized[@]}" | median)
  jt=$(printf '%s\n' "${job_t[@]}" | median)
  jr=$(printf '%s\n' "${job_rss[@]}" | median)
  read -r et _ < <(measure "$build/wardwatch" fingerprint --explain 02:dd:00:00:00:07 --db "$work/inv.db")
  read -r xt _ < <(measure "$build/wardwatch" export --db "$work/inv.db" --format json -o "$work/export.json")
  awk -v n="$n" -v p="$packets" -v lt="$lt" -v rt="$rt" -v pt="$pt" -v ps="$ps" -v fx="$fixed_s" -v jt="$jt" \
    -v jr="$jr" -v et="$et" -v xt="$xt" 'BEGIN {
    printf "%-8d %-8d %-9.2f %-9.2f %-8.1f %-13.1f %-12.2f %-11d %-9s %-9.2f %-9.2f\n", n, p, lt, rt,
      (pt - fx) * 1e6 / n, (ps - fx) * 1e6 / n, jt, jr / 1024, sprintf("%.1fx", jt / (lt > 0 ? lt : 0.01)), et, xt }'
done
echo "(median of $runs runs; dev_us = (packet phase - its fixed part, ${fixed_s} s on one device) / devices, on a"
echo " 4 KiB-page heap, default limits; dev_us_sized the same with --max-assets 4 x devices (no eviction); ratio ="
echo " read --db --json over the loop; /usr/bin/time has 10 ms resolution: the 1k row's loop and read are at its floor)"
