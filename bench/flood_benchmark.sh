#!/usr/bin/env bash
# Hostile captures (bench/gen_flood.py) beside the benchmark mix: wall time, packet rate as a ratio to the
# libpcap read loop on the same file in the same run, peak RSS, and the assets the inventory kept. churn-100k is
# not hostile: 100,000 real-looking devices, past --max-assets (evictions, and without --db the memory store).
#
#   bench/flood_benchmark.sh [--build DIR] [--runs N]
#
# Never a pass/fail test: figures go to docs/performance.md ("Hostile traffic").
set -euo pipefail
cd "$(dirname "$0")/.."
build=build runs=3
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--runs N]" >&2; exit 2 ;;
  esac
done
cmake --build "$build" -j"$(nproc)" --target wardwatch ww_pcap_count >/dev/null
cache=${WARDWATCH_BENCH_DIR:-/var/tmp/wardwatch-bench}
mkdir -p "$cache"
gen() {  # NAME ARGS...: generates $cache/NAME.pcap once
  local name=$1
  shift
  [[ -s $cache/$name.pcap ]] && return
  python3 bench/gen_flood.py "$cache/$name.pcap.tmp" "$@"
  mv -f "$cache/$name.pcap.tmp" "$cache/$name.pcap"
}
gen syn-2M --kind syn --count 2000000
gen arp-200k --kind arp --count 200000
gen macof-200k --kind macof --count 200000
gen scan-200k --kind scan --count 200000
gen churn-100k --kind churn --count 300000
captures=(syn-2M arp-200k macof-200k scan-200k churn-100k)
mix=$cache/hospital-scale1.0-seed1.pcap
if [[ ! -s $mix && -f ../shared/bench/gen_hospital.py ]]; then
  /usr/bin/python3 ../shared/bench/gen_hospital.py "$mix.tmp" --scale 1.0 --seed 1 && mv "$mix.tmp" "$mix"
fi
[[ -s $mix ]] && captures=(hospital-scale1.0-seed1 "${captures[@]}")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() {  # prints "seconds max_rss_kib" of "$@"
  cat "${@: -1}" >/dev/null 2>&1 || true
  /usr/bin/time -f "%e %M" -o "$out/t" "$@" >/dev/null 2>"$out/err" || { cat "$out/err" >&2; exit 1; }
  tail -1 "$out/t"
}
printf '%-24s %9s  %8s  %-28s %-28s %s\n' capture packets "loop (s)" "read --json: s, ratio, RSS" "read --db --json: s, ratio, RSS" assets
for c in "${captures[@]}"; do
  f=$cache/$c.pcap
  packets=$("$build/ww_pcap_count" "$f" | awk '{print $1}')
  declare -a lt=() jt=() jr=() dt=() dr=()
  for ((i = 0; i < runs; i++)); do
    cat "$f" >/dev/null
    read -r t _ < <(run "$build/ww_pcap_count" "$f"); lt+=("$t")
    cat "$f" >/dev/null
    read -r t r < <(run "$build/wardwatch" read "$f" --no-progress --json "$out/inv.json"); jt+=("$t"); jr+=("$r")
    rm -f "$out"/inv.db*
    cat "$f" >/dev/null
    read -r t r < <(run "$build/wardwatch" read "$f" --no-progress --db "$out/inv.db" --json "$out/inv.json"); dt+=("$t"); dr+=("$r")
  done
  l=$(printf '%s\n' "${lt[@]}" | median)
  j=$(printf '%s\n' "${jt[@]}" | median); jm=$(printf '%s\n' "${jr[@]}" | median)
  d=$(printf '%s\n' "${dt[@]}" | median); dm=$(printf '%s\n' "${dr[@]}" | median)
  assets=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['assets']))" "$out/inv.json")
  awk -v c="$c" -v p="$packets" -v l="$l" -v j="$j" -v jm="$jm" -v d="$d" -v dm="$dm" -v a="$assets" 'BEGIN {
    lr = (l > 0 ? l : 0.01)
    printf "%-24s %9d  %8.2f  %5.2f s %5.1f%% %5.0f MiB      %5.2f s %5.1f%% %5.0f MiB      %d\n", c, p, l, j, 100 * lr / j, jm / 1024, d, 100 * lr / d, dm / 1024, a
  }'
done
echo "ratio: the libpcap loop's wall time over wardwatch's (100% = as fast as reading the file); median of $runs runs"
