#!/usr/bin/env bash
# Throughput and memory of `wardwatch read` on the synthetic hospital capture from
# ../shared/bench/gen_hospital.py (real dcmtk DICOM associations + a hospital protocol mix).
#
#   bench/run_benchmark.sh [--scale S] [--runs N] [--build DIR]
#
# Reports the median over N runs (page cache warm) of packets/s, Mbit/s and peak RSS, next to libpcap's
# bare read loop on the same file. Never a pass/fail test: see docs/performance.md for figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=1.0 runs=3 build=build
while (($#)); do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
gen=../shared/bench/gen_hospital.py
[[ -f $gen ]] || { echo "bench: $gen not found (../shared must be beside the checkout)" >&2; exit 1; }
cache=${WARDWATCH_BENCH_DIR:-/var/tmp/wardwatch-bench}
mkdir -p "$cache"
capture=$cache/hospital-scale$scale-seed1.pcap
if [[ ! -s $capture ]]; then
  echo "generating $capture ..." >&2
  /usr/bin/python3 "$gen" "$capture.tmp" --scale "$scale" --seed 1 && mv "$capture.tmp" "$capture"
fi
cmake --build "$build" -j"$(nproc)" --target wardwatch ww_pcap_count >/dev/null
cat "$capture" >/dev/null  # warm the page cache: measure the agent, not the disk

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
measure() {  # prints "seconds max_rss_kib" for one run of "$@"
  /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null 2>&1
  tail -1 "$timing"
}
bytes=$(stat -L -c %s "$capture")
packets=$("$build/ww_pcap_count" "$capture" | awk '{print $1}')
wire_bytes=$("$build/ww_pcap_count" "$capture" | awk '{print $3}')

declare -a base_t ww_t ww_rss
for ((i = 0; i < runs; i++)); do
  read -r t _ < <(measure "$build/ww_pcap_count" "$capture"); base_t+=("$t")
  read -r t rss < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress); ww_t+=("$t"); ww_rss+=("$rss")
done
bt=$(printf '%s\n' "${base_t[@]}" | median)
wt=$(printf '%s\n' "${ww_t[@]}" | median)
rss=$(printf '%s\n' "${ww_rss[@]}" | median)
awk -v p="$packets" -v wb="$wire_bytes" -v fb="$bytes" -v bt="$bt" -v wt="$wt" -v rss="$rss" -v runs="$runs" \
    -v cap="$(basename "$capture")" -v cpu="$(nproc)" 'BEGIN {
  printf "capture            %s: %d packets, %.0f MB on disk\n", cap, p, fb / 1e6
  printf "runs               %d (median), %s CPUs, page cache warm\n", runs, cpu
  printf "libpcap read loop  %.2f s  %.2f Mpps\n", bt, p / bt / 1e6
  printf "wardwatch read     %.2f s  %.2f Mpps  %.0f Mbit/s  peak RSS %.0f MiB\n", wt, p / wt / 1e6, wb * 8 / wt / 1e6, rss / 1024
}'
