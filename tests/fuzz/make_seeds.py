#!/usr/bin/python3
"""Seed corpora for the fuzzers from real captures: every UDP/TCP payload and L2 payload of the project's
lab capture and of ../shared/pcaps (read in place), one file per distinct payload, in CORPUS/<target>/
for every target (each parser's probe decides what it accepts), plus framed whole frames for `pipeline`.

    make_seeds.py CORPUS_DIR TARGET..."""
import glob
import hashlib
import os
import struct
import sys

from scapy.all import PcapReader, Raw  # Debian: python3-scapy

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "pcaps")


def captures():
    yield os.path.join(REPO, "tests", "fixtures", "lab", "hospital-lab.pcap")
    yield from sorted(glob.glob(os.path.join(SHARED, "*.pcap*")))


def main():
    out, targets = sys.argv[1], sys.argv[2:]
    payloads, frames = {}, []
    for path in captures():
        try:
            with PcapReader(path) as reader:
                for i, pkt in enumerate(reader):
                    if i > 400:
                        break
                    raw = bytes(pkt)
                    if len(frames) < 200:
                        frames.append(raw)
                    if Raw in pkt:
                        data = bytes(pkt[Raw].load)[:4096]
                        payloads[hashlib.sha1(data).hexdigest()] = data
        except Exception as e:  # a capture scapy cannot read is simply not a seed source
            print(f"skip {path}: {e}", file=sys.stderr)
    for t in targets:
        d = os.path.join(out, t)
        os.makedirs(d, exist_ok=True)
        if t == "inventory_json":
            # Inventory JSON: the golden outputs, cut to the fuzzer's length limit (a cut document is a seed
            # for the reader's refusals), and a small complete one.
            for path in sorted(glob.glob(os.path.join(REPO, "tests", "golden", "expected", "*.json"))):
                with open(path, "rb") as f:
                    open(os.path.join(d, os.path.basename(path)), "wb").write(f.read()[:8000])
            open(os.path.join(d, "small.json"), "wb").write(
                b'{"schema_version": 1, "assets": [{"id": "mac:00:00:00:00:00:01", "mac": "00:00:00:00:00:01",'
                b' "ips": ["10.0.0.1"], "services": {"offered": [{"proto": "tcp", "port": 104}]},'
                b' "classification": {"category": "pacs"}, "crown_jewel": {"kind": "pacs"}}]}')
        elif t == "cmdb_csv":
            for path in sorted(glob.glob(os.path.join(REPO, "tests", "fixtures", "cmdb", "*.csv"))):
                with open(path, "rb") as f:
                    open(os.path.join(d, os.path.basename(path)), "wb").write(f.read()[:8000])
        elif t == "udi":
            # The carriers of tests/unit/test_udi.cpp: GS1 (both forms) and HIBCC (primary, secondaries).
            for i, seed in enumerate([b"(01)00643169001763(17)160712(21)21A11F4855",
                                      b"]d2010088442612345711250100" b"10LOT-7\x1d" b"21SN0042",
                                      b"+A123BJC5D6E71G", b"+A123BJC5D6E71/$$3250630LOT42I",
                                      b"+H123PUMP8000/$+SN0099/16D202401158", b"+H123PUMP8000/25180B12T"]):
                open(os.path.join(d, f"udi{i}"), "wb").write(seed)
        elif t == "pipeline":
            for i in range(0, len(frames), 8):
                blob = b"".join(struct.pack(">H", len(f)) + f for f in frames[i:i + 8])
                open(os.path.join(d, f"frames{i}"), "wb").write(blob)
        else:
            for h, data in payloads.items():
                open(os.path.join(d, h), "wb").write(data)
    print(f"{len(payloads)} payload seeds, {len(frames)} frames, {len(targets)} targets")


if __name__ == "__main__":
    main()
