#!/usr/bin/env bash
# The cost curve of issue 15: `wardwatch read` (the packet path) and `read --db --json` (the whole job) on the
# benchmark capture at several scales (../shared/bench/gen_hospital.py, cached like bench/run_benchmark.sh's),
# each next to libpcap's bare read loop on the same file: time, packets a second, peak RSS, and the ratio to
# the loop. Figures go to docs/performance.md ("The cost curve"). Never a pass/fail test.
#
#   bench/curve_benchmark.sh [--build DIR] [--runs N] [--scales "0.25 0.5 1.0 2.0 4.0"]
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
runs=3
scales="0.25 0.5 1.0 2.0 4.0"
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scales) scales=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--runs N] [--scales \"S ...\"]" >&2; exit 2 ;;
  esac
done
gen=../shared/bench/gen_hospital.py
[[ -f $gen ]] || { echo "curve_benchmark: $gen not found (../shared must be beside the checkout)" >&2; exit 1; }
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_setup "$build"

printf "%-6s %-9s %-8s %-7s %-7s %-9s %-7s %-10s %-9s %-9s\n" scale packets devices loop_s read_s read_MiB \
  read_x job_s job_MiB job_x
for s in $scales; do
  capture=$cache/hospital-scale$s-seed1.pcap
  if [[ ! -s $capture ]]; then
    echo "generating $capture ..." >&2
    /usr/bin/python3 "$gen" "$capture.tmp" --scale "$s" --seed 1 && mv "$capture.tmp" "$capture"
  fi
  packets=$("$build/ww_pcap_count" "$capture" | awk '{print $1}')
  loop=() rt=() rr=() jt=() jr=()
  for ((i = 0; i < runs; i++)); do
    read -r t _ < <(measure "$build/ww_pcap_count" "$capture"); loop+=("$t")
    read -r t r < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress); rt+=("$t"); rr+=("$r")
    rm -f "$work"/inv.db*
    read -r t r < <(measure "$build/wardwatch" read "$capture" --quiet --no-progress --db "$work/inv.db" \
      --json "$work/inv.json"); jt+=("$t"); jr+=("$r")
  done
  devices=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['assets']))" "$work/inv.json")
  l=$(printf '%s\n' "${loop[@]}" | median)
  awk -v s="$s" -v p="$packets" -v d="$devices" -v l="$l" \
    -v rt="$(printf '%s\n' "${rt[@]}" | median)" -v rr="$(printf '%s\n' "${rr[@]}" | median)" \
    -v jt="$(printf '%s\n' "${jt[@]}" | median)" -v jr="$(printf '%s\n' "${jr[@]}" | median)" 'BEGIN {
      if (l <= 0) l = 0.01
      printf "%-6s %-9d %-8d %-7.2f %-7.2f %-9d %-7.1f %-10.2f %-9d %-9.1f\n", s, p, d, l, rt, rr / 1024, rt / l, jt,
        jr / 1024, jt / l }'
done
echo "(median of $runs runs; _x = time over the libpcap loop's time)"
