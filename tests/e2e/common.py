"""Helpers shared by the end-to-end tests (they run the real wardwatch binary)."""
import json
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "pcaps")
LAB = os.path.join(REPO, "tests", "fixtures", "lab")
BINARY = os.environ.get("WARDWATCH_BIN", os.path.join(REPO, "build", "wardwatch"))


def run(*args, **kw):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def read_json(*captures, extra=()):
    proc = run("read", *captures, "--json", "-", "--quiet", *extra)
    if proc.returncode != 0:
        raise AssertionError(f"wardwatch read failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def schema_validator():
    import jsonschema
    with open(os.path.join(REPO, "docs", "schema", "inventory.schema.json")) as f:
        return jsonschema.Draft202012Validator(json.load(f))


def write_pcap(path, linktype, records, truncate_last=0):
    """A classic pcap (microsecond) file with the given link type and (ts, bytes) records."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, (ts, data) in enumerate(records):
            f.write(struct.pack("<IIII", int(ts), 0, len(data), len(data)))
            if truncate_last and i == len(records) - 1:
                data = data[: len(data) - truncate_last]
            f.write(data)


def hostile_dhcp_pcap(path, hostname):
    """One DHCPDISCOVER (RFC 2131) whose option 12 host name is `hostname`, from 02:99:00:00:00:01."""
    from scapy.all import BOOTP, DHCP, IP, UDP, Ether, raw  # Debian: python3-scapy
    frame = (Ether(src="02:99:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
             UDP(sport=68, dport=67) / BOOTP(chaddr=bytes.fromhex("029900000001"), xid=7) /
             DHCP(options=[("message-type", "discover"), ("hostname", hostname.encode()), "end"]))
    write_pcap(path, 1, [(1_700_000_000, raw(frame))])
