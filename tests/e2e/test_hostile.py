#!/usr/bin/python3
"""Hostile captures through the real binary (issue 17): a SYN flood through a real network leaves the real
devices and their facts as they are without it, reported once as a flood; an ARP storm leaves no asset; a
pcapng that libpcap cannot read on fails with exit 1 and one line, never an empty inventory."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LAB, REPO, read_json, run, schema_validator  # noqa: E402

GEN = os.path.join(REPO, "bench", "gen_flood.py")
FLOOD_SERVER_MAC = "02:00:0a:42:00:0a"  # gen_flood.py's target: a real receiver of the flood


def generate(out, *args):
    subprocess.run([sys.executable, GEN, out, *args], check=True, timeout=120)


def devices(inv):
    return {(a["mac"], tuple(sorted(a["ips"]))) for a in inv["assets"]}


def facts(inv):
    return {(a["mac"], o["key"], o["value"]) for a in inv["assets"] for o in a["observations"]}


class Floods(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory(prefix="ww-hostile-")
        cls.lab = os.path.join(LAB, "hospital-lab.pcap")
        cls.mixed = os.path.join(cls.work.name, "mixed.pcap")
        generate(cls.mixed, "--kind", "syn", "--count", "200000", "--pps", "100000", "--mix", cls.lab)

    @classmethod
    def tearDownClass(cls):
        cls.work.cleanup()

    def test_syn_flood_through_a_real_network_leaves_the_real_inventory(self):
        alone = read_json(self.lab)
        mixed = read_json(self.mixed)
        schema_validator().validate(mixed)
        self.assertEqual(devices(mixed) - {(FLOOD_SERVER_MAC, ("10.66.0.10",))}, devices(alone))
        self.assertEqual(facts(mixed) - {f for f in facts(mixed) if f[0] == FLOOD_SERVER_MAC}, facts(alone))
        floods = mixed["stats"]["floods"]
        self.assertEqual(len(floods), 1, floods)
        self.assertEqual(floods[0]["kind"], "syn_flood")
        self.assertGreaterEqual(floods[0]["sources"], 190000)
        self.assertLess(floods[0]["admitted"], 100)
        self.assertGreaterEqual(floods[0]["peak_per_second"], 90000)
        self.assertEqual(len(floods[0]["sample"]), 8)
        self.assertEqual(mixed["stats"]["anomalies"].get("flood.syn_flood"), 1)
        self.assertEqual(alone["stats"]["floods"], [])

    def test_the_summary_says_so_and_the_database_keeps_it(self):
        db = os.path.join(self.work.name, "f.db")
        p = run("read", self.mixed, "--db", db)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("wardwatch: syn_flood: ", p.stderr)
        self.assertIn("new sources held, not inventoried", p.stderr)
        self.assertIn("limits reached: ", p.stderr)  # the probation table overflowed: said, not only counted
        e = run("export", "--db", db, "--format", "json", "-o", "-")
        self.assertEqual(e.returncode, 0, e.stderr)
        self.assertEqual([f["kind"] for f in json.loads(e.stdout)["stats"]["floods"]], ["syn_flood"])

    def test_an_arp_storm_is_no_inventory(self):
        storm = os.path.join(self.work.name, "arp.pcap")
        generate(storm, "--kind", "arp", "--count", "100000")
        inv = read_json(storm)
        self.assertEqual(inv["assets"], [])
        self.assertEqual([f["kind"] for f in inv["stats"]["floods"]], ["arp_storm"])
        self.assertGreaterEqual(inv["stats"]["admission"]["held"] + inv["stats"]["admission"]["purged"], 99000)

    def test_many_real_devices_without_a_database_stay_within_the_memory_store(self):
        # 3,000 devices of three packets each, past --max-assets: evicted records go to the in-memory store,
        # which keeps at most --max-memory-store of them; what it did not keep is counted and said.
        churn = os.path.join(self.work.name, "churn.pcap")
        generate(churn, "--kind", "churn", "--count", "9000")
        whole = read_json(churn)
        bounded_args = ("--max-assets", "1000", "--max-memory-store", "1200")
        bounded = read_json(churn, extra=bounded_args)
        schema_validator().validate(bounded)
        self.assertEqual(len(whole["assets"]), 3001)  # the devices and the server they all talk to
        self.assertEqual(whole["stats"]["limited"]["assets"], 0)
        dropped = bounded["stats"]["limited"]["assets"]
        self.assertGreater(dropped, 0)
        self.assertLess(len(bounded["assets"]), 3001)
        # Every record (a MAC or an address binding) is either in the store, in memory or counted.
        records = sum(1 + len(a["ips"]) for a in bounded["assets"] if a["mac"])
        self.assertLessEqual(records, 1200 + 1000 + 4)
        # A device the store kept is whole: its MAC and its address with the DNS fact it sent.
        kept = [a for a in bounded["assets"] if a["ips"] and a["observations"]]
        self.assertGreater(len(kept), 500)
        p = run("read", churn, *bounded_args)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"{dropped} evicted device records not kept, the in-memory store full (--max-memory-store",
                      p.stderr)


def pcapng_block(kind, body):
    # pcapng (draft-ietf-opsawg-pcapng): type, total length, body padded to 32 bits, total length again.
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


class UnreadablePcapng(unittest.TestCase):
    def test_two_link_types_fail_with_one_line(self):
        with tempfile.TemporaryDirectory(prefix="ww-pcapng-") as work:
            path = os.path.join(work, "two-links.pcapng")
            frame = bytes.fromhex("ffffffffffff0200000000010806") + bytes(46)  # a broadcast ARP-typed frame
            with open(path, "wb") as f:
                f.write(pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))  # section header
                f.write(pcapng_block(1, struct.pack("<HHI", 1, 0, 65535)))    # interface 0: Ethernet
                f.write(pcapng_block(1, struct.pack("<HHI", 101, 0, 65535)))  # interface 1: raw IP
                f.write(pcapng_block(6, struct.pack("<IIIII", 0, 0, 0, len(frame), len(frame)) + frame))
            p = run("read", path)
            self.assertEqual(p.returncode, 1, p.stderr)
            lines = [l for l in p.stderr.splitlines() if l.strip()]
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("cannot read", lines[0])
            self.assertIn("two-links.pcapng", lines[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
