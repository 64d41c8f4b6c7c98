#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds wardwatch, and runs it on the project's own
# sample capture (tests/fixtures/lab/hospital-lab.pcap, made by tests/fixtures/lab/make_lab_capture.sh with
# dcmtk, mllp_send and dnsmasq in network namespaces). Prints a summary and writes inventory.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDWATCH_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target wardwatch
./build/wardwatch read tests/fixtures/lab/hospital-lab.pcap --db inventory.db --json inventory.json
/usr/bin/python3 - <<'PY'
import json
doc = json.load(open("inventory.json"))
print(f"{len(doc['assets'])} devices -> inventory.json (and inventory.db)")
for a in doc["assets"]:
    names = sorted({o["value"] for o in a["observations"] if o["key"] in ("dhcp.hostname", "dicom.ae_title", "hl7.application")})
    print(f"  {a['mac'] or '-':17}  {', '.join(a['ips'][:2]):28}  {(a['vendor'] or '?')[:30]:30}  {' '.join(names)}")
PY
