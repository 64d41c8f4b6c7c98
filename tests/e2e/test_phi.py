#!/usr/bin/python3
"""No patient data, proven: the real binary reads captures that carry planted patient names, IDs,
addresses and phone numbers (DICOM datasets, HL7 PID/PV1/OBX), then the JSON, the CSV, the SQLite files
(raw bytes, with WAL) and all stdout/stderr are searched for every planted string: zero hits, or fail."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, LAB, SHARED  # noqa: E402

# Patient data visible in the public tapirx captures (tshark -qz follow,tcp,ascii,0 shows them).
PUBLIC_PHI = ["MOUSE^MICKEY", "MOUSE", "MICKEY", "Disney"]


def main():
    planted = [l.strip() for l in open(os.path.join(LAB, "planted_phi.txt")) if l.strip() and not l.startswith("#")]
    captures = sorted(glob.glob(os.path.join(LAB, "*.pcap")))
    public = [os.path.join(SHARED, f) for f in ("tapirx_HL7-ADT.pcap", "tapirx_HL7-ORM.pcap",
                                                "tapirxl_ct_to_pacs_scenario.pcap")]
    captures += [p for p in public if os.path.exists(p)]
    needles = planted + (PUBLIC_PHI if any(os.path.exists(p) for p in public) else [])
    # Positive control: the planted strings really are in the lab capture, so a leak would be seen.
    lab_bytes = open(os.path.join(LAB, "hospital-lab.pcap"), "rb").read().lower()
    absent = [n for n in planted if n.encode().lower() not in lab_bytes]
    if absent:
        print("FAIL planted strings missing from hospital-lab.pcap (control): " + ", ".join(absent))
        print("phi: 0 passed, 1 failed")
        return 1
    work = tempfile.mkdtemp(prefix="ww-phi-")
    failures, checks = [], 0
    try:
        db = os.path.join(work, "inv.db")
        outputs = []
        for cap in captures:
            p = subprocess.run([BINARY, "read", cap, "--db", db, "--json", os.path.join(work, os.path.basename(cap) + ".json")],
                               capture_output=True, timeout=300)
            outputs.append(("stdout/stderr of read " + os.path.basename(cap), p.stdout + p.stderr))
        p = subprocess.run([BINARY, "export", "--db", db, "--format", "csv", "-o", os.path.join(work, "inv.csv")],
                           capture_output=True, timeout=120)
        outputs.append(("stdout/stderr of export", p.stdout + p.stderr))
        p = subprocess.run([BINARY, "fingerprint", "--all", "--db", db], capture_output=True, timeout=120)
        outputs.append(("fingerprint --all", p.stdout + p.stderr))
        for f in sorted(os.listdir(work)):
            outputs.append((f, open(os.path.join(work, f), "rb").read()))
        for name, blob in outputs:
            for needle in needles:
                checks += 1
                if needle.encode().lower() in blob.lower():
                    failures.append(f"'{needle}' found in {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"searched {len(outputs)} outputs of {len(captures)} captures for {len(needles)} planted strings")
    for f in failures:
        print("FAIL " + f)
    print(f"phi: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
