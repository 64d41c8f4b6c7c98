#!/usr/bin/env bash
# Installs every Debian 12 package wardwatch needs to build, run and test.
# Idempotent; safe to run as root on a fresh machine. Usage: scripts/install-deps.sh [--test]
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

build_pkgs=(
  build-essential cmake pkg-config ca-certificates
  libpcap-dev libtins-dev libboost-program-options-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libdcmtk-dev libssl-dev libabsl-dev libre2-dev libxxhash-dev ieee-data p0f libwireshark-data
  python3 python3-scapy dcmtk tcpdump iproute2 python3-hl7 sqlite3
  libcap-ng-dev libsystemd-dev scdoc dpkg-dev fakeroot
)
test_pkgs=(
  googletest libgtest-dev lintian systemd tshark python3-jsonschema python3-yaml clang libclang-rt-14-dev
  dnsmasq isc-dhcp-client udhcpc lldpd snmpd snmp avahi-daemon avahi-utils
  python3-zeroconf procps time iputils-ping ethtool
  curl openssl openssh-server rsyslog rsyslog-openssl postgresql wsdd miniupnpc miniupnpd-nftables samba ntpsec-ntpdig graphviz
  chromium python3-websocket orthanc orthanc-dicomweb minidlna
)

pkgs=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == *"install ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  # tshark asks whether non-root users may capture; answer "no" without prompting.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  # Never start services we install for tests (dnsmasq, snmpd, lldpd, avahi, ...): the labs start their own.
  # (invoke-rc.d honours policy-rc.d; exit 101 = action forbidden.) Leave an existing policy alone.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official CycloneDX JSON schemas (1.6, with the SPDX and JSF schemas it references), which the tests
# validate `wardwatch report --format cyclonedx` against. Debian does not package them; the CycloneDX
# project ships them in its npm library (res/schema/). Pinned version, checked against the registry's
# sha512 integrity before it is unpacked.
if [[ "${1:-}" == "--test" ]]; then
  cdx_version=10.3.0
  cdx_integrity=sha512-RIT28sp1U0PCHaaeF3yNRwk6Jig/XJ8UsYAVOMYaHQ+0VVOvsjcp0PTWQFLUqJFF8XMud+Kdq6G+wtDAh+QJFA==
  cdx_dir=${WARDWATCH_TEST_DATA:-/var/cache/wardwatch-test}/cyclonedx-library-$cdx_version
  if [[ ! -f $cdx_dir/package/res/schema/bom-1.6.SNAPSHOT.schema.json ]]; then
    tmp=$(mktemp -d)
    curl -fsS --retry 3 -m 120 -o "$tmp/lib.tgz" \
      "https://registry.npmjs.org/@cyclonedx/cyclonedx-library/-/cyclonedx-library-$cdx_version.tgz"
    got="sha512-$(openssl dgst -sha512 -binary "$tmp/lib.tgz" | base64 -w0)"
    if [[ $got != "$cdx_integrity" ]]; then
      echo "install-deps: cyclonedx-library-$cdx_version.tgz: integrity $got, expected $cdx_integrity" >&2
      rm -rf "$tmp"
      exit 1
    fi
    mkdir -p "$cdx_dir"
    tar -xzf "$tmp/lib.tgz" -C "$cdx_dir" package/res/schema package/LICENSE package/package.json
    rm -rf "$tmp"
  fi
fi
