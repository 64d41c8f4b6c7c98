#!/usr/bin/env bash
# Soak benchmark of the live agent (not a test: figures go to docs/performance.md).
#
# Replays the benchmark capture (../shared/bench/gen_hospital.py) with tcpreplay into a veth pair between two
# network namespaces; wardwatch captures on the other end with --db and the default flush interval. Every 10 s
# it samples the agent's RSS and peak RSS, the database's size and the latest status line; at the end it prints libpcap's
# counters (kernel/interface drops), the sustained packet rate, the writer's flush figures, and whether the
# inventory's devices equal those of `wardwatch read` on the same file.
#
# Usage (root): bench/soak.sh [--minutes M] [--mbps R | --topspeed] [--scale S] [--capture FILE]
#                              [--agent-args "ARGS"] [--build DIR]
#   defaults: 10 minutes at 1000 Mbit/s, scale 1.0, build/. --capture replays FILE instead of the benchmark
#   capture (e.g. bench/gen_devices.py's 100,000 devices, for the flush cost at that size); --agent-args are
#   added to the agent's command line (e.g. "--max-assets 200000").
# Only the two namespaces made here carry traffic; they are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=10 rate=(--mbps=1000) scale=1.0 build=build given_capture="" agent_args=""
while (($#)); do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --mbps) rate=(--mbps="$2"); shift 2 ;;
    --topspeed) rate=(--topspeed); shift ;;
    --scale) scale=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --capture) given_capture=$(realpath "$2"); shift 2 ;;
    --agent-args) agent_args=$2; shift 2 ;;
    *) echo "usage: $0 [--minutes M] [--mbps R | --topspeed] [--scale S] [--capture FILE] [--agent-args ARGS] [--build DIR]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "soak: needs root (network namespaces)" >&2; exit 1; }
command -v tcpreplay >/dev/null || apt-get install -y -qq --no-install-recommends tcpreplay >/dev/null
gen=../shared/bench/gen_hospital.py
[[ -f $gen ]] || { echo "soak: needs $gen beside the repository" >&2; exit 1; }
bin=$(realpath "$build/wardwatch")

work=$(mktemp -d /tmp/ww-soak-XXXXXX)
capture=$work/hospital.pcap
cleanup() {
  ip netns del wwsoak-tx 2>/dev/null || true
  ip netns del wwsoak-rx 2>/dev/null || true
}
trap cleanup EXIT
cleanup
if [[ -n $given_capture ]]; then
  capture=$given_capture
else
  echo "soak: generating the benchmark capture (scale $scale) in $work"
  /usr/bin/python3 "$gen" "$capture" --scale "$scale" >/dev/null
fi

ip netns add wwsoak-tx
ip netns add wwsoak-rx
ip link add soak-tx netns wwsoak-tx type veth peer name soak-rx netns wwsoak-rx
ip -n wwsoak-tx link set soak-tx up mtu 9000
ip -n wwsoak-rx link set soak-rx up mtu 9000
ip netns exec wwsoak-rx sysctl -qw net.ipv6.conf.all.disable_ipv6=1

db=$work/soak.db
# shellcheck disable=SC2086  # agent_args holds words
ip netns exec wwsoak-rx "$bin" capture --config /dev/null -i soak-rx --db "$db" --json "$work/live.json" $agent_args \
  --status-interval 10 2>"$work/agent.log" &
agent=$!
sleep 2
seconds=$((minutes * 60))
echo "soak: replaying for ${minutes} min (${rate[*]}) into soak-tx; agent pid $agent"
ip netns exec wwsoak-tx tcpreplay -i soak-tx "${rate[@]}" --loop=0 --duration="$seconds" -q "$capture" \
  >"$work/tcpreplay.log" 2>&1 &
replay=$!

printf '%6s %10s %10s %10s  %s\n' "t(s)" "RSS(MiB)" "peak(MiB)" "DB(MiB)" "status"
t=0
while kill -0 "$replay" 2>/dev/null; do
  sleep 10
  t=$((t + 10))
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$agent/status" 2>/dev/null || echo "?")
  peak=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$agent/status" 2>/dev/null || echo "?")  # the peak so far
  size=$(du -cm "$db" "$db-wal" 2>/dev/null | awk 'END {print $1}')
  last=$(grep 'status:' "$work/agent.log" | tail -n1 | sed 's/^wardwatch: status: //' | cut -c1-110 || true)
  printf '%6d %10s %10s %10s  %s\n' "$t" "$rss" "$peak" "$size" "$last"
done
wait "$replay" || true
sleep 2
kill -TERM "$agent"
wait "$agent" || true
echo "--- tcpreplay"
grep -E 'Actual|Rated|Statistics|Successful|Failed|Truncated|Retried' "$work/tcpreplay.log" || cat "$work/tcpreplay.log"
echo "--- agent"
grep -E 'libpcap counters|packets \(' "$work/agent.log" | tail -n2
"$bin" status --db "$db"
echo "--- inventory: capture vs read of the same file"
"$bin" read "$capture" --json "$work/read.json" --quiet
/usr/bin/python3 - "$work/live.json" "$work/read.json" <<'PY'
import json, sys
live, read = (json.load(open(p)) for p in sys.argv[1:3])
ids = lambda d: {a["id"] for a in d["assets"]}
facts = lambda d: {(a["id"], o["key"], o["value"]) for a in d["assets"] for o in a["observations"]}
li, ri = ids(live), ids(read)
lf, rf = facts(live), facts(read)
print(f"devices: capture {len(li)}, read {len(ri)}, only in capture {len(li - ri)}, only in read {len(ri - li)}")
print(f"facts:   capture {len(lf)}, read {len(rf)}, only in capture {len(lf - rf)}, only in read {len(rf - lf)}")
PY
echo "soak: logs and database in $work"
