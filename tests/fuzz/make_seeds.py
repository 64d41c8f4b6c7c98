#!/usr/bin/python3
"""Seed corpora for the fuzzers from real captures: every UDP/TCP payload and L2 payload of the project's
lab capture and of ../shared/pcaps (read in place), one file per distinct payload, in CORPUS/<target>/
for every target (each parser's probe decides what it accepts), plus framed whole frames for `pipeline`, and
built messages for the protocols no capture holds (intellivue).

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
    # The spec-built captures: the only samples of the protocols no public capture holds.
    for name in ("intellivue", "carescape", "poct1a"):
        yield os.path.join(REPO, "tests", "fixtures", name, f"{name}.pcap")
    yield from sorted(glob.glob(os.path.join(SHARED, "*.pcap*")))


def intellivue_seeds():
    """Philips IntelliVue Data Export messages, built as tests/unit/test_intellivue.cpp builds them (no public
    capture holds any): a Connect Indication, an MDS Create Event Report, a Get Result on the MDS object with
    a patient attribute among the device ones, a poll request, an association request and a release."""
    def u16(v):
        return struct.pack(">H", v)

    def counted(body):
        return u16(len(body)) + body

    def label(text):  # VariableLabel: even length
        text = text + (b"\0" if len(text) % 2 else b"")
        return counted(text)

    def attrs(items):  # AttributeList
        body = b"".join(u16(i) + counted(v) for i, v in items)
        return u16(len(items)) + counted(body)

    def event(obj, kind, data):  # EventReportArgument
        return u16(obj) + u16(0) + u16(0) + struct.pack(">I", 0x00D6D400) + u16(kind) + counted(data)

    def op(invoke, command, data):  # ROIVapdu / RORSapdu
        return u16(invoke) + u16(command) + counted(data)

    def export(ro_type, data):  # SPpdu > ROapdus
        return b"\xe1\x00\x00\x02" + u16(ro_type) + counted(data)

    spec = b"".join(u16(t) + u16(c) + label(v) for t, c, v in
                    [(1, 8, b"DE00000000"), (2, 8, b"M8007A"), (3, 8, b" B.00.05"), (4, 0x58, b"G.01.78 ")])
    pcol = u16(2) + counted(u16(1) + u16(1) + u16(24105) + u16(0) + u16(5) + u16(1) + u16(24105) + u16(0))
    device = [(0x0986, u16(1) + u16(0x114D)), (0x0928, label(b"Philips") + label(b"M8007A")),
              (0x092D, u16(4) + counted(spec)), (0xF101, pcol),
              (0xF100, bytes([0, 9, 0xFB, 1, 2, 3, 10, 0, 0, 5, 255, 255, 255, 0])),
              (0x091E, counted("ICU-1".encode("utf-16-be"))), (0x0984, label(bytes([0, 9, 0xFB, 1, 2, 3])))]
    patient = [(0x095C, counted("SEED".encode("utf-16-be")))]
    session = b"\x05\x08\x13\x01\x00\x16\x01\x02\x80\x00\x14\x02\x00\x02\xc1\x02\x31\x80"
    return {
        "connect_indication": b"\x00\x00\x01\x00" + u16(1) + counted(op(0, 0, event(0x23, 0x0D17, attrs(device)))),
        "mds_create": export(1, op(1, 1, event(0x21, 0x0D06, u16(0x21) + u16(0) + u16(0) + attrs(device)))),
        "get_result": export(2, op(7, 3, u16(0x21) + u16(0) + u16(0) + attrs(patient + device))),
        "poll_request": export(1, op(2, 7, u16(0x21) + bytes(8) + u16(0x0C16) + counted(bytes([0, 1, 0, 1, 0, 6, 8, 3])))),
        "association_request": b"\x0d" + bytes([len(session)]) + session,
        "release_request": b"\x09\x18\xc1\x16\x61\x80\x30\x80\x02\x01\x01\xa0\x80\x62\x80\x80\x01\x00" + bytes(8),
    }


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
            if t == "intellivue":
                for name, data in intellivue_seeds().items():
                    open(os.path.join(d, name), "wb").write(data)
    print(f"{len(payloads)} payload seeds, {len(frames)} frames, {len(targets)} targets")


if __name__ == "__main__":
    main()
