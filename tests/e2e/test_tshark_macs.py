#!/usr/bin/python3
"""Every unicast Ethernet source MAC that tshark sees in a capture is an asset in wardwatch's inventory,
and wardwatch invents no MAC asset that tshark did not see (as source, destination, DHCP client
hardware address, ARP or NDP link-layer address).

Runs over every capture in ../shared/pcaps (read in place) and the project's lab capture.
Exit 77 (skipped) when tshark is missing."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LAB, SHARED, read_json  # noqa: E402


def unicast(mac):
    return mac and int(mac.split(":")[0], 16) & 1 == 0 and mac != "00:00:00:00:00:00"


SOURCE_FIELDS = ("eth.src", "sll.src.eth")
# MACs named inside payloads are devices too: DHCP chaddr (relayed requests), ARP and NDP addresses.
OTHER_FIELDS = ("eth.dst", "dhcp.hw.mac_addr", "arp.src.hw_mac", "arp.dst.hw_mac", "icmpv6.opt.linkaddr")


def tshark_macs(path):
    """One tshark pass: (unicast source MACs, every unicast MAC named anywhere)."""
    fields = SOURCE_FIELDS + OTHER_FIELDS
    cmd = ["tshark", "-r", path, "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    sources, named = set(), set()
    for line in out.splitlines():
        for i, column in enumerate(line.split("|")):
            for mac in column.split(","):
                mac = mac.strip().lower()
                if unicast(mac):
                    named.add(mac)
                    if i < len(SOURCE_FIELDS):
                        sources.add(mac)
    return sources, named


def main():
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed (scripts/install-deps.sh --test installs it)")
        return 77
    captures = sorted(glob.glob(os.path.join(SHARED, "*.pcap*"))) + [
        os.path.join(LAB, "hospital-lab.pcap"),
        os.path.join(os.path.dirname(LAB), "identity", "identity-lab.pcap")]
    if not os.path.isdir(SHARED):
        print(f"note: {SHARED} absent; checking only the project's own captures")
    passed = failed = 0
    for path in captures:
        sources, everything = tshark_macs(path)
        inventory = {a["mac"] for a in read_json(path)["assets"] if a["mac"]}
        missing = sources - inventory
        invented = inventory - everything - sources
        name = os.path.basename(path)
        if missing or invented:
            print(f"FAIL {name}: missing {sorted(missing)[:10]} invented {sorted(invented)[:10]}")
            failed += 1
        else:
            print(f"PASS {name}: {len(sources)} source MACs, {len(inventory)} MAC assets")
            passed += 1
    print(f"tshark-macs: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
