#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds wardwatch, and runs it on the project's own
# sample capture (tests/fixtures/lab/hospital-lab.pcap, made by tests/fixtures/lab/make_lab_capture.sh with
# dcmtk, mllp_send and dnsmasq in network namespaces). Prints a summary and writes inventory.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDWATCH_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target wardwatch
rm -f inventory.db inventory.db-wal inventory.db-shm  # a fresh inventory each time (runs add up in one DB)
./build/wardwatch read tests/fixtures/lab/hospital-lab.pcap --db inventory.db --json inventory.json
/usr/bin/python3 - <<'PY'
import json
doc = json.load(open("inventory.json"))
print(f"{len(doc['assets'])} devices -> inventory.json (and inventory.db)")
print(f"  {'device':17}  {'address':14}  {'category':22}  {'vendor':22}  {'crown jewel':20}  names")
for a in doc["assets"]:
    c = a["classification"]
    names = sorted({o["value"] for o in a["observations"]
                    if o["key"] in ("dhcp.hostname", "dicom.ae_title", "hl7.sending_application", "lldp.system_name")})
    jewel = a["crown_jewel"]["kind"] if a["crown_jewel"] else ""
    print(f"  {a['mac'] or a['id']:17}  {(a['ips'] or [''])[0]:14}  {c['category']:22}  "
          f"{(c['vendor'] or a['vendor'] or '?')[:22]:22}  {jewel:20}  {' '.join(names)}")
print("explain one: ./build/wardwatch fingerprint --explain <MAC> --db inventory.db")
PY
