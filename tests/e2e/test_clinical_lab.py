#!/usr/bin/python3
"""A clinical capture afresh: runs its script in tests/fixtures/clinical into a temporary file, then holds the
new capture to the same assertions as the committed one. So the committed fixture is what the script makes,
and the parser reads a capture that was not tuned for it. Needs root (network namespaces); exits 77
(skipped) otherwise.

    test_clinical_lab.py [lab|web|consumer]
  lab: make_capture.sh (ASTM instruments and a LIS, python peers) -> tests/cases/astm-lab (facts,
       classification, planted patient data and password absent, link baseline)
  web: make_web_capture.sh (Orthanc + DICOMweb plugin, curl, a FHIR R4 stub) -> tests/cases/clinical-web
       (API codes, crown jewels, planted patient data absent)
  consumer: tests/fixtures/consumer/make_capture.sh (Debian's MiniDLNA and a searching client) ->
       tests/cases/dlna-minidlna (software defaults are not a vendor; a media server is consumer IoT)
  interfaces: tests/fixtures/interfaces/make_capture.sh (python3-hl7's mllp_send, OpenSSL s_server and
       s_client) -> tests/cases/hl7-tls-openssl (HL7 over TLS linked to the clear-text interface)"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, REPO  # noqa: E402


# name -> (fixture directory, script, committed capture, case, tools beyond the namespaces' own)
CAPTURES = {
    "lab": ("clinical", "make_capture.sh", "clinical-lab.pcap", "astm-lab", ()),
    "web": ("clinical", "make_web_capture.sh", "clinical-web.pcap", "clinical-web",
            ("Orthanc", "curl", "storescu", "tshark")),
    "consumer": ("consumer", "make_capture.sh", "consumer-media.pcap", "dlna-minidlna", ("minidlnad", "curl", "tshark")),
    "interfaces": ("interfaces", "make_capture.sh", "hl7-tls.pcap", "hl7-tls-openssl", ("mllp_send", "openssl", "tshark")),
}


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "lab"
    fixture, script, capture, case_name, tools = CAPTURES[which]
    name = {"consumer": "e2e_consumer_media", "interfaces": "e2e_hl7_tls"}.get(which, "e2e_clinical_" + which)
    if os.geteuid() != 0:
        print(f"SKIP {name}: needs root (network namespaces)")
        return 77
    for tool in ("tcpdump", "ip", "tc", "ss", *tools):
        if shutil.which(tool) is None:
            print(f"SKIP {name}: {tool} not installed (scripts/install-deps.sh --test)")
            return 77
    work = tempfile.mkdtemp(prefix="ww-clinical-")
    try:
        pcap = os.path.join(work, capture)
        p = subprocess.run(["bash", os.path.join(REPO, "tests", "fixtures", fixture, script), pcap],
                           capture_output=True, text=True, timeout=120)
        print(p.stdout + p.stderr, end="")
        if p.returncode != 0:
            print(f"FAIL {name}: {script} failed")
            return 1
        case = os.path.join(work, case_name)
        shutil.copytree(os.path.join(REPO, "tests", "cases", case_name), case)
        yaml_path = os.path.join(case, "test.yaml")
        with open(yaml_path) as f:
            text = f.read()
        committed = f"capture: tests/fixtures/{fixture}/{capture}"
        if committed not in text:
            print(f"FAIL {name}: the case no longer names the committed capture")
            return 1
        with open(yaml_path, "w") as f:
            f.write(text.replace(committed, f"capture: {pcap}"))
        r = subprocess.run([sys.executable, os.path.join(REPO, "tests", "cases", "run_case.py"), "--binary", BINARY,
                            case], capture_output=True, text=True, timeout=120)
        print(r.stdout + r.stderr, end="")
        if r.returncode != 0:
            print(f"FAIL {name}: the fresh capture does not satisfy tests/cases/{case_name}")
            return 1
        print(f"PASS {name}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
