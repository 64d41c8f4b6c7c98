#!/usr/bin/env bash
# The Debian package end to end, as root on Debian 12:
#   a. configure a Release build with dpkg-buildflags (and -Werror) and build the .deb with CPack;
#   b. lintian: no error;  c. systemd-analyze security: the unit's exposure <= 2.0;
#   d. dpkg -i: binary, man page, completion, conffiles, the wardwatch user and /var/lib/wardwatch;
#   e. the installed binary inventories the sample capture;
#   f. the installed binary captures on a veth in network namespaces it creates (wwpkg-*, 10.98.0.0/24);
#   g. dpkg -r then dpkg --purge leave nothing behind.
# Usage: tests/package/test_package.sh [BUILD_DIR]   (default: $PKG_BUILD_DIR, else build-deb in the repo)
# Prints PASS/FAIL lines and `N passed, N failed`; exit 0 if all passed, 1 if not, 77 if it cannot run.
# Safe to run repeatedly: a previous install is purged first. DEB_CXXFLAGS_APPEND etc. are honoured.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${1:-${PKG_BUILD_DIR:-build-deb}}
[[ $build_dir == /* ]] || build_dir=$repo/$build_dir

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (dpkg -i/--purge, network namespaces)"
  exit 77
fi
for tool in dpkg dpkg-deb dpkg-buildflags dpkg-parsechangelog lintian cmake python3 ip systemd-analyze; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is missing (apt-get install dpkg-dev lintian cmake python3 iproute2 systemd)"
    exit 77
  fi
done

started=$SECONDS
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() {  # check "what" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "elapsed: $((SECONDS - started)) s"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]] && exit 0 || exit 1
}

NS=(wwpkg-sw wwpkg-a wwpkg-b wwpkg-s)
tmp=$(mktemp -d /tmp/wwpkg.XXXXXX)
cleanup() {
  local ns
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

purge_installed() {
  if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' wardwatch 2>/dev/null || true) =~ ^[a-z][a-zA-Z] ]]; then
    dpkg --purge wardwatch >"$tmp/purge-previous.log" 2>&1 || { cat "$tmp/purge-previous.log"; return 1; }
  fi
}
purge_installed

# --- a. Release build with the Debian build flags, then the package -----------------------------------
CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
export CXXFLAGS LDFLAGS
rm -f "$build_dir"/wardwatch_*.deb
# The flags also go on the command line: the environment only seeds a new cache.
if cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DWARDWATCH_TESTS=OFF -DWARDWATCH_WERROR=ON \
      -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" >"$tmp/configure.log" 2>&1 &&
    cmake --build "$build_dir" --target package -j"$(nproc)" >"$tmp/build.log" 2>&1; then
  pass "Release build with dpkg-buildflags and -Werror, CPack package ($(grep -c 'Building CXX' "$tmp/build.log" || true) files compiled)"
else
  fail "Release build / package (CXXFLAGS=$CXXFLAGS LDFLAGS=$LDFLAGS); the end of the log:"
  tail -n 40 "$tmp/configure.log" "$tmp/build.log" | sed 's/^/    /'
  finish
fi
debs=("$build_dir"/wardwatch_*.deb)
deb=${debs[0]}
if [[ ${#debs[@]} -ne 1 || ! -f $deb ]]; then
  fail "exactly one wardwatch_*.deb in $build_dir (found: ${debs[*]})"
  finish
fi
echo "     package: $deb"

field() { dpkg-deb -f "$deb" "$1"; }
check "package version $(field Version) is the changelog's top entry" \
  test "$(field Version)" = "$(dpkg-parsechangelog -l "$repo/packaging/changelog" -S Version)"
check "Maintainer: $(field Maintainer)" \
  test "$(field Maintainer)" = "wardwatch maintainers <maintainers@users.noreply.h-seed-148dbdea.example>"
depends=$(field Depends)
echo "     Depends: $depends"
missing=
for dep in adduser ieee-data libwireshark-data p0f 'libpcap0.8' 'libc6' 'libsqlite3-0'; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || missing+=" $dep"
done
check "Depends has the data packages, adduser and dpkg-shlibdeps' libraries${missing:+ (missing:$missing)}" test -z "$missing"
mkdir -p "$tmp/deb"
dpkg-deb -x "$deb" "$tmp/deb"
bin=$tmp/deb/usr/bin/wardwatch
check "binary has RELRO (LDFLAGS applied)" bash -c "readelf -lW '$bin' | grep -q GNU_RELRO"
check "binary uses fortified functions (-D_FORTIFY_SOURCE applied)" bash -c "readelf -W --dyn-syms '$bin' | grep -q '__[a-z_]*_chk'"
check "binary is stripped" bash -c "! readelf -SW '$bin' | grep -q '\\.symtab'"

# --- b. lintian ---------------------------------------------------------------------------------------
lintian --no-tag-display-limit "$deb" >"$tmp/lintian.log" 2>&1 || true
lintian_e=$(grep -c '^E: ' "$tmp/lintian.log" || true)
lintian_w=$(grep -c '^W: ' "$tmp/lintian.log" || true)
check "lintian: no error ($lintian_e E, $lintian_w W)" test "$lintian_e" -eq 0
grep -E '^[EW]: ' "$tmp/lintian.log" | sed 's/^/    /' || true

# --- c. the unit's exposure -------------------------------------------------------------------------------
unit_from_deb=$tmp/deb/lib/systemd/system/wardwatch.service
check "the package ships the unit as packaging/wardwatch.service" cmp -s "$unit_from_deb" "$repo/packaging/wardwatch.service"
exposure=$(SYSTEMD_COLORS=0 systemd-analyze security --no-pager --offline=yes "$unit_from_deb" 2>&1 |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
check "systemd-analyze security --offline=yes: exposure ${exposure:-?} <= 2.0" \
  python3 -c "import sys; sys.exit(0 if float('${exposure:-99}') <= 2.0 else 1)"

# --- d. install ------------------------------------------------------------------------------------------
if dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
  pass "dpkg -i $(basename "$deb")"
elif apt-get install -y "$deb" >>"$tmp/install.log" 2>&1; then
  pass "apt-get install ./$(basename "$deb") (dpkg -i lacked dependencies)"
else
  fail "install; the log:"
  sed 's/^/    /' "$tmp/install.log"
  finish
fi
check "/usr/bin/wardwatch runs (--version: $(/usr/bin/wardwatch --version 2>&1 | head -n 1))" bash -c "/usr/bin/wardwatch --version >/dev/null"
man_path=$(man -w wardwatch 2>/dev/null || true)
check "man page wardwatch(1) installed (${man_path:-not found})" test -f /usr/share/man/man1/wardwatch.1.gz
check "man page is gzip -9n (no name, no timestamp) and renders" bash -c \
  "gzip -lv /usr/share/man/man1/wardwatch.1.gz >/dev/null && [ \"\$(od -An -tu4 -j4 -N4 /usr/share/man/man1/wardwatch.1.gz | tr -d ' ')\" = 0 ] && MANWIDTH=80 man -l /usr/share/man/man1/wardwatch.1.gz 2>/dev/null | grep -q 'EXIT STATUS'"
completion=/usr/share/bash-completion/completions/wardwatch
check "bash completion installed and completes commands" bash -c \
  "source $completion; COMP_WORDS=(wardwatch ca); COMP_CWORD=1; _wardwatch; [ \"\${COMPREPLY[*]}\" = capture ]"
check "bash completion offers interfaces for -i" bash -c \
  "source $completion; COMP_WORDS=(wardwatch capture -i ''); COMP_CWORD=3; _wardwatch; [[ \" \${COMPREPLY[*]} \" == *' lo '* ]]"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' wardwatch)
check "conffiles: /etc/wardwatch/wardwatch.conf and /etc/default/wardwatch" \
  bash -c "grep -q '^ /etc/wardwatch/wardwatch.conf ' <<<'$conffiles' && grep -q '^ /etc/default/wardwatch ' <<<'$conffiles'"
check "wardwatch.conf sets user, db and json" bash -c \
  "grep -qx 'user = wardwatch' /etc/wardwatch/wardwatch.conf && grep -qx 'db = /var/lib/wardwatch/inventory.db' /etc/wardwatch/wardwatch.conf && grep -qx 'json = /var/lib/wardwatch/inventory.json' /etc/wardwatch/wardwatch.conf"
check "system user wardwatch ($(getent passwd wardwatch || echo none))" bash -c \
  "IFS=: read -r _ _ uid gid _ home shell < <(getent passwd wardwatch) && [ \$uid -lt 1000 ] && [ \$home = /var/lib/wardwatch ] && [ \$shell = /usr/sbin/nologin ] && [ \"\$(getent group \$gid | cut -d: -f1)\" = wardwatch ]"
check "/var/lib/wardwatch is 750 wardwatch:wardwatch ($(stat -c '%a %U:%G' /var/lib/wardwatch 2>&1))" \
  test "$(stat -c '%a %U:%G' /var/lib/wardwatch 2>/dev/null)" = "750 wardwatch:wardwatch"
check "unit installed, not enabled (an interface must be configured first)" bash -c \
  "[ -f /lib/systemd/system/wardwatch.service ] && [ ! -e /etc/systemd/system/multi-user.target.wants/wardwatch.service ]"
check "copyright (DEP-5) and changelog.Debian.gz in /usr/share/doc/wardwatch" bash -c \
  "head -n 1 /usr/share/doc/wardwatch/copyright | grep -q copyright-format/1.0 && gzip -t /usr/share/doc/wardwatch/changelog.Debian.gz"
check "installed rules load (fingerprint --check-rules)" bash -c "cd / && env -u WARDWATCH_RULES /usr/bin/wardwatch fingerprint --check-rules >/dev/null"
if dpkg -i "$deb" >"$tmp/reinstall.log" 2>&1; then pass "re-installing the same package"; else fail "re-installing the same package"; sed 's/^/    /' "$tmp/reinstall.log"; fi

# --- e. the sample capture --------------------------------------------------------------------------------
lab_json=$tmp/lab.json
check "installed binary reads tests/fixtures/lab/hospital-lab.pcap" bash -c \
  "cd / && env -u WARDWATCH_RULES /usr/bin/wardwatch read '$repo/tests/fixtures/lab/hospital-lab.pcap' --json '$lab_json' --quiet"
lab_assets=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['assets']))" "$lab_json" 2>/dev/null || echo 0)
check "the lab capture's inventory has >= 5 assets ($lab_assets)" test "$lab_assets" -ge 5
# The service's user can write its state directory.
check "user wardwatch writes /var/lib/wardwatch/inventory.db" bash -c \
  "cd / && runuser -u wardwatch -- /usr/bin/wardwatch read '$repo/tests/fixtures/lab/hospital-lab.pcap' --db /var/lib/wardwatch/inventory.db --quiet </dev/null && [ \"\$(stat -c %U /var/lib/wardwatch/inventory.db)\" = wardwatch ]"

# --- f. live capture on a mirror port, in network namespaces ------------------------------------------
# wwpkg-a and wwpkg-b talk across a bridge in wwpkg-sw that floods every frame (ageing 0: a hub);
# wardwatch listens on the bridge's third port, in wwpkg-s, which has no address.
mac_a=02:98:00:00:00:0a mac_b=02:98:00:00:00:0b ip_a=10.98.0.10 ip_b=10.98.0.11
nsx() { ip netns exec "$@"; }
setup_netns() {
  local ns h
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; ip netns add "$ns"; done
  nsx wwpkg-sw ip link add br0 type bridge ageing_time 0
  nsx wwpkg-sw ip link set br0 up
  for h in a b s; do
    ip link add "p-$h" netns wwpkg-sw type veth peer name eth0 netns "wwpkg-$h"
    nsx wwpkg-sw ip link set "p-$h" master br0 up
  done
  nsx wwpkg-a ip link set eth0 address "$mac_a"
  nsx wwpkg-b ip link set eth0 address "$mac_b"
  nsx wwpkg-a ip addr add "$ip_a/24" dev eth0
  nsx wwpkg-b ip addr add "$ip_b/24" dev eth0
  nsx wwpkg-s sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
  for h in a b s; do nsx "wwpkg-$h" ip link set eth0 up; done
  sleep 0.5
}
if ! setup_netns >"$tmp/netns.log" 2>&1; then
  fail "network namespaces wwpkg-*; the log:"
  sed 's/^/    /' "$tmp/netns.log"
else
  live_json=$tmp/live.json
  capture_args=(capture -i eth0 --duration 3 --json "$live_json")
  # The installed conffile says `user = wardwatch`; a binary that reads it gets an empty one instead.
  # Not `| grep -q` under pipefail: grep exits at the first match and the binary, still writing its help,
  # dies of SIGPIPE, which fails the pipeline (two runs in three) and left the conffile's `user` in force.
  capture_help=$(/usr/bin/wardwatch capture --help 2>&1 || true)
  if [[ $capture_help == *--config* ]]; then
    : >"$tmp/empty.conf"
    capture_args+=(--config "$tmp/empty.conf")
  fi
  tx_before=$(nsx wwpkg-s cat /sys/class/net/eth0/statistics/tx_packets)
  nsx wwpkg-s /usr/bin/wardwatch "${capture_args[@]}" >"$tmp/live.out" 2>"$tmp/live.err" &
  agent=$!
  sleep 1
  nsx wwpkg-a ping -c 3 -i 0.2 -W 1 "$ip_b" >"$tmp/ping.log" 2>&1 || true
  nsx wwpkg-b ping -c 2 -i 0.2 -W 1 "$ip_a" >>"$tmp/ping.log" 2>&1 || true
  rc=0
  wait "$agent" || rc=$?
  check "capture --duration 3 on a veth exits 0 (exit $rc: $(tr '\n' ' ' <"$tmp/live.err" | cut -c1-200))" test "$rc" -eq 0
  for h in a b; do
    mac_var=mac_$h ip_var=ip_$h
    check "live inventory has host $h ${!mac_var} with ${!ip_var}" python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
sys.exit(0 if any(a.get("mac") == sys.argv[2] and sys.argv[3] in a.get("ips", []) for a in doc["assets"]) else 1)
' "$live_json" "${!mac_var}" "${!ip_var}"
  done
  tx_after=$(nsx wwpkg-s cat /sys/class/net/eth0/statistics/tx_packets)
  check "nothing transmitted on the capture interface ($tx_before -> $tx_after)" test "$tx_before" = "$tx_after"
fi

# --- g. remove, then purge ---------------------------------------------------------------------------------
echo "# an administrator's note" >/etc/wardwatch/local.conf.note
if dpkg -r wardwatch >"$tmp/remove.log" 2>&1; then pass "dpkg -r wardwatch"; else fail "dpkg -r wardwatch"; sed 's/^/    /' "$tmp/remove.log"; fi
check "after remove: binary gone, conffiles and the user kept" bash -c \
  "[ ! -e /usr/bin/wardwatch ] && [ -f /etc/wardwatch/wardwatch.conf ] && getent passwd wardwatch >/dev/null"
if dpkg --purge wardwatch >"$tmp/purge.log" 2>&1; then pass "dpkg --purge wardwatch"; else fail "dpkg --purge wardwatch"; sed 's/^/    /' "$tmp/purge.log"; fi
leftovers=
for path in /usr/bin/wardwatch /etc/wardwatch /etc/default/wardwatch /var/lib/wardwatch /lib/systemd/system/wardwatch.service \
  /usr/share/man/man1/wardwatch.1.gz /usr/share/bash-completion/completions/wardwatch /usr/share/doc/wardwatch /usr/share/wardwatch \
  /etc/systemd/system/multi-user.target.wants/wardwatch.service /etc/systemd/system/wardwatch.service \
  /var/lib/systemd/deb-systemd-helper-enabled/wardwatch.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-masked/wardwatch.service; do
  [[ -e $path || -L $path ]] && leftovers+=" $path"
done
check "purge leaves no file${leftovers:+ (left:$leftovers)}" test -z "$leftovers"
check "purge removes the wardwatch user and group" bash -c "! getent passwd wardwatch >/dev/null && ! getent group wardwatch >/dev/null"
check "dpkg knows nothing of wardwatch (dpkg -L fails)" bash -c "! dpkg -L wardwatch >/dev/null 2>&1"

finish
