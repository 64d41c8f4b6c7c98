#!/usr/bin/python3
"""The clinical lab afresh: runs tests/fixtures/clinical/make_capture.sh (ASTM instruments and a LIS in
network namespaces, recorded from a mirror port) into a temporary file, then holds the new capture to the
same assertions as the committed one (tests/cases/astm-lab/test.yaml: facts, classification, planted patient
data and password absent, link baseline). So the committed fixture is what the script makes, and the parser
reads a capture that was not tuned for it. Needs root (network namespaces); exits 77 (skipped) otherwise."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, REPO  # noqa: E402


def main():
    if os.geteuid() != 0:
        print("SKIP e2e_clinical_lab: needs root (network namespaces)")
        return 77
    for tool in ("tcpdump", "ip", "tc", "ss"):
        if shutil.which(tool) is None:
            print(f"SKIP e2e_clinical_lab: {tool} not installed (scripts/install-deps.sh --test)")
            return 77
    work = tempfile.mkdtemp(prefix="ww-clinical-")
    try:
        pcap = os.path.join(work, "clinical-lab.pcap")
        p = subprocess.run(["bash", os.path.join(REPO, "tests", "fixtures", "clinical", "make_capture.sh"), pcap],
                           capture_output=True, text=True, timeout=120)
        print(p.stdout + p.stderr, end="")
        if p.returncode != 0:
            print("FAIL e2e_clinical_lab: make_capture.sh failed")
            return 1
        case = os.path.join(work, "astm-lab")
        shutil.copytree(os.path.join(REPO, "tests", "cases", "astm-lab"), case)
        yaml_path = os.path.join(case, "test.yaml")
        with open(yaml_path) as f:
            text = f.read()
        committed = "capture: tests/fixtures/clinical/clinical-lab.pcap"
        if committed not in text:
            print("FAIL e2e_clinical_lab: the case no longer names the committed capture")
            return 1
        with open(yaml_path, "w") as f:
            f.write(text.replace(committed, f"capture: {pcap}"))
        r = subprocess.run([sys.executable, os.path.join(REPO, "tests", "cases", "run_case.py"), "--binary", BINARY,
                            case], capture_output=True, text=True, timeout=120)
        print(r.stdout + r.stderr, end="")
        if r.returncode != 0:
            print("FAIL e2e_clinical_lab: the fresh capture does not satisfy tests/cases/astm-lab")
            return 1
        print("PASS e2e_clinical_lab")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
