#!/usr/bin/env bash
# `wardwatch report` on a 5,000-device database: the time of each format (median of N runs), the size of
# what it writes, and how long the HTML report takes to load in headless Chromium (network off), through
# tests/e2e/chromium_cdp.py. The devices are bench/gen_flood.py's churn (real-looking: ARP, DNS, a TCP
# connection each) merged with the hospital-lab and identity-lab captures, so that some are classified.
#
#   bench/report_benchmark.sh [--build DIR] [--runs N] [--devices N]
#
# Never a pass/fail test: figures go to docs/performance.md ("Reports").
set -euo pipefail
cd "$(dirname "$0")/.."
build=build runs=3 devices=5000
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/gen_flood.py "$work/churn.pcap" --kind churn --count $((devices * 3)) \
  --mix tests/fixtures/lab/hospital-lab.pcap >/dev/null
"$build/wardwatch" read "$work/churn.pcap" tests/fixtures/identity/identity-lab.pcap --db "$work/inv.db" --quiet \
  --no-progress --max-assets $((devices * 2))
assets=$(sqlite3 "$work/inv.db" "SELECT count(*) FROM classifications")
echo "database: $assets devices"
printf '%-10s %10s %12s\n' format "median s" "bytes"
for format in $("$build/wardwatch" report --help | sed -n "1s/.*--format \([a-z|]*\).*/\1/p" | tr "|" " "); do
  times=()
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s.%N)
    "$build/wardwatch" report --db "$work/inv.db" --format "$format" -o "$work/report.$format"
    times+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%-10s %10.2f %12d\n' "$format" "$median" "$(stat -c %s "$work/report.$format")"
done
if command -v chromium >/dev/null; then
  WORK=$work RUNS=$runs /usr/bin/python3 - <<'PY'
import os, statistics, sys
sys.path.insert(0, "tests/e2e")
from chromium_cdp import Browser
html = os.path.join(os.environ["WORK"], "report.html")
loads = []
for _ in range(int(os.environ["RUNS"])):
    with Browser() as b:
        page = b.open(html)
        rows = page.evaluate("document.querySelectorAll('#assets tbody tr').length")
        loads.append(page.load_seconds)
        errors = page.errors
        page.close()
print(f"html in chromium: {rows} rows, load event after {statistics.median(loads):.2f} s (median of {len(loads)}), "
      f"{len(errors)} console errors")
PY
else
  echo "chromium not installed: HTML load time not measured"
fi
