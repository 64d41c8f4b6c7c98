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
# Measure the agent, not the disk: the page cache is warmed before every run (on the shared build VM the
# host reclaims a few MB of an idle file's cache every few seconds, which showed up as block I/O in runs).
warm() { cat "$capture" >/dev/null; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minimum() { sort -n | head -1; }
timing=$(mktemp)
out_dir=$(mktemp -d)
trap 'rm -f "$timing"; rm -rf "$out_dir"' EXIT
measure() {  # runs "$@" once; leaves "seconds max_rss_kib" as the last line of $timing
  warm
  if ! /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null 2>"$out_dir/stderr"; then
    echo "bench: failed: $*" >&2
    cat "$out_dir/stderr" >&2
    exit 1
  fi
}
bytes=$(stat -L -c %s "$capture")
packets=$("$build/ww_pcap_count" "$capture" | awk '{print $1}')
wire_bytes=$("$build/ww_pcap_count" "$capture" | awk '{print $3}')

# Three jobs: the packet path alone (nothing exported), the main job (inventory classified and written as
# JSON), and a run that persists to a fresh SQLite database file.
declare -A mode_args=(
  [read]=""
  [json]="--json $out_dir/inventory.json"
  [db]="--db $out_dir/inventory.db"
)
modes=(read json db)
declare -a base_t
declare -A times rsses
for ((i = 0; i < runs; i++)); do
  measure "$build/ww_pcap_count" "$capture"
  read -r t _ < <(tail -1 "$timing"); base_t+=("$t")
  for m in "${modes[@]}"; do
    rm -f "$out_dir"/inventory.db*
    # shellcheck disable=SC2086  # mode_args holds words
    measure "$build/wardwatch" read "$capture" --quiet --no-progress ${mode_args[$m]}
    read -r t rss < <(tail -1 "$timing")
    times[$m]+="$t "; rsses[$m]+="$rss "
  done
done
# The median is the figure; the fastest run is printed beside it because this shared VM's neighbours slow
# whole stretches of runs (the fastest run is the least disturbed one, as timeit's documentation argues).
bt=$(printf '%s\n' "${base_t[@]}" | median)
bt_min=$(printf '%s\n' "${base_t[@]}" | minimum)
awk -v p="$packets" -v fb="$bytes" -v bt="$bt" -v bm="$bt_min" -v runs="$runs" -v cap="$(basename "$capture")" -v cpu="$(nproc)" 'BEGIN {
  printf "capture            %s: %d packets, %.0f MB on disk\n", cap, p, fb / 1e6
  printf "runs               %d (median; fastest run in brackets), %s CPUs, page cache warm\n", runs, cpu
  printf "libpcap read loop  %.2f s  %.2f Mpps  (%.2f s)\n", bt, p / bt / 1e6, bm
}'
declare -A label=([read]="wardwatch read" [json]="read --json" [db]="read --db")
for m in "${modes[@]}"; do
  wt=$(tr ' ' '\n' <<<"${times[$m]}" | grep . | median)
  wt_min=$(tr ' ' '\n' <<<"${times[$m]}" | grep . | minimum)
  rss=$(tr ' ' '\n' <<<"${rsses[$m]}" | grep . | median)
  awk -v p="$packets" -v wb="$wire_bytes" -v wt="$wt" -v wm="$wt_min" -v rss="$rss" -v name="${label[$m]}" 'BEGIN {
    printf "%-18s %.2f s  %.2f Mpps  %.0f Mbit/s  peak RSS %.0f MiB  (%.2f s, %.2f Mpps)\n", name, wt, p / wt / 1e6, wb * 8 / wt / 1e6, rss / 1024, wm, p / wm / 1e6
  }'
done
