#!/usr/bin/python3
"""The SIEM feed (docs/events.md) end to end, with the real binary and a real rsyslog (rsyslog_server.py):

- ECS NDJSON (--events): every document uses only the ECS fields of a checked list (ecs_fields.json, from the
  ECS 8.11 reference) with their types and allowed values, plus the custom wardwatch.* namespace; a first run
  discovers every device and raises each finding, a second run with the same traffic raises nothing again, and
  a device whose address changed gives one "asset-changed" event;
- no planted patient name from the lab capture reaches an event (file or syslog);
- CEF over syslog, received by rsyslog over UDP, TCP (octet counting) and TLS (OpenSSL driver, the server's
  certificate checked against --syslog-ca): as many messages as ECS documents, parsed by rsyslog as RFC 5424
  (local4, app wardwatch, msgid cef), the CEF header of 7 fields, extension keys from the CEF list, and text
  from the wire escaped ('|' '=' '\\' and a line break in a DHCP host name);
- --syslog-rate drops and counts; an unreachable server loses syslog messages with a warning, never the run;
- bad options: an unknown transport, --syslog-ca without --syslog, --events - with --json -, an unwritable file;
- a live agent (capture, as root) writes events on its interval.
"""
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LAB, hostile_dhcp_pcap, run, write_pcap  # noqa: E402
import rsyslog_server  # noqa: E402

LAB_PCAP = os.path.join(LAB, "hospital-lab.pcap")
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "ecs_fields.json")) as f:
    ECS = json.load(f)["fields"]
# CEF extension keys wardwatch uses, from the CEF specification's key dictionary (rev. 25).
CEF_KEYS = {"rt", "dvchost", "deviceExternalId", "src", "smac", "shost", "cat", "msg", "dst", "dmac", "dpt", "proto",
            "app"} | \
    {f"cs{i}" for i in range(1, 7)} | {f"cs{i}Label" for i in range(1, 7)}


def flatten(doc, prefix=""):
    out = {}
    for key, value in doc.items():
        name = prefix + key
        if isinstance(value, dict) and name not in ("labels",):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def check_ecs(test, doc):
    for name, value in flatten(doc).items():
        if name.startswith("wardwatch.") or name == "labels":
            continue
        test.assertIn(name, ECS, f"{name} is not in the checked ECS list")
        spec = ECS[name]
        values = value if spec.get("array") else [value]
        if spec.get("array"):
            test.assertIsInstance(value, list, name)
        for v in values:
            if spec["type"] == "long":
                test.assertIsInstance(v, int, name)
            elif spec["type"] == "ip":
                ipaddress.ip_address(v)
            elif spec["type"] == "date":
                test.assertRegex(v, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
            else:
                test.assertIsInstance(v, str, name)
            if "allowed" in spec:
                test.assertIn(v, spec["allowed"], name)
            if "pattern" in spec:
                test.assertRegex(v, spec["pattern"], name)
    for label in doc.get("labels", {}).values():
        test.assertIsInstance(label, str)


def split_cef(message):
    """CEF header fields (unescaped |) and the extension as a list of (key, raw value)."""
    fields, current, i = [], "", 0
    while len(fields) < 7:
        c = message[i]
        if c == "\\":
            current += message[i:i + 2]
            i += 2
            continue
        if c == "|":
            fields.append(current)
            current = ""
        else:
            current += c
        i += 1
    extension = message[i:]
    pairs = re.findall(r"(\w+)=((?:[^=\\]|\\.)*?)(?=\s\w+=|$)", extension)
    return fields, pairs


def arp_pcap(path, mac, ip):
    """One gratuitous ARP (RFC 5227) from `mac` for `ip`."""
    from scapy.all import ARP, Ether, raw
    frame = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=ip, pdst=ip)
    write_pcap(path, 1, [(1_700_000_000, raw(frame))])


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class EventFeed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ww-events-")
        cls.syslog = None
        if not rsyslog_server.available():
            cls.syslog = rsyslog_server.Rsyslog()

    @classmethod
    def tearDownClass(cls):
        if cls.syslog:
            cls.syslog.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def need_syslog(self):
        if not self.syslog:
            self.skipTest(rsyslog_server.available())

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_ecs_documents_first_run_and_second_run(self):
        db, first, second, inventory = (self.path(n) for n in ("ecs.db", "first.ndjson", "second.ndjson", "inv.json"))
        proc = run("read", LAB_PCAP, "--db", db, "--events", first, "--json", inventory, "--agent-id", "icu-span",
                   "--site", "st-luc", "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        docs = events(first)
        for doc in docs:
            check_ecs(self, doc)
            self.assertEqual(doc["observer"]["name"], "icu-span")
            self.assertEqual(doc["labels"], {"site": "st-luc"})
        with open(inventory) as f:
            assets = json.load(f)["assets"]
        discovered = [d for d in docs if d["event"]["action"] == "asset-discovered"]
        self.assertEqual(sorted(d["host"]["id"] for d in discovered), sorted(a["id"] for a in assets))
        for d in discovered:
            self.assertEqual((d["event"]["kind"], d["event"]["category"], d["event"]["type"]), ("asset", ["host"], ["info"]))
        raised = [d for d in docs if d["event"]["action"] == "finding-raised"]
        self.assertGreater(len(raised), 0)
        for d in raised:
            self.assertEqual(d["event"]["kind"], "alert")
            self.assertTrue(d["rule"]["id"])
        self.assertEqual(docs[-1]["event"]["action"], "agent-status")
        self.assertEqual(docs[-1]["wardwatch"]["status"]["assets"], len(assets))
        pacs = [d for d in discovered if d.get("wardwatch", {}).get("crown_jewel") == "pacs"]
        self.assertEqual(len(pacs), 1)
        # Who talks to the crown jewels: the CT's DICOM association with the archive, among others.
        talks = [d for d in docs if d["event"]["action"] == "conversation-started"]
        ct = [d for d in talks if d["destination"] == {"ip": "10.77.0.10", "port": 104, "mac": "02-77-00-00-00-10"}
              and d["source"]["ip"] == "10.77.0.21"]
        self.assertEqual(len(ct), 1, talks)
        self.assertEqual(ct[0]["network"]["transport"], "tcp")
        self.assertEqual(ct[0]["network"]["protocol"], "dicom")
        self.assertEqual(ct[0]["event"]["type"], ["connection", "start"])

        # The same traffic again: no device is new, no finding is raised twice.
        proc = run("read", LAB_PCAP, "--db", db, "--force", "--events", second, "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([d["event"]["action"] for d in events(second)], ["agent-status"])

    def test_an_address_change_is_one_change_event(self):
        db, a, b, out = (self.path(n) for n in ("move.db", "a.pcap", "b.pcap", "move.ndjson"))
        arp_pcap(a, "02:99:00:00:00:07", "10.99.0.7")
        arp_pcap(b, "02:99:00:00:00:07", "10.99.0.8")
        self.assertEqual(run("read", a, "--db", db, "--quiet").returncode, 0)
        proc = run("read", b, "--db", db, "--events", out, "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        changed = [d for d in events(out) if d["event"]["action"] == "asset-changed"]
        self.assertEqual(len(changed), 1, changed)
        self.assertEqual(changed[0]["event"]["type"], ["change"])
        self.assertEqual(changed[0]["wardwatch"]["change"], {"attribute": "ips", "added": ["10.99.0.8"], "removed": []})
        check_ecs(self, changed[0])

    def test_no_planted_patient_data_in_any_event(self):
        with open(os.path.join(LAB, "planted_phi.txt")) as f:
            planted = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        with open(LAB_PCAP, "rb") as f:
            self.assertIn(planted[1].encode(), f.read())  # positive control: the capture carries them
        out = self.path("phi.ndjson")
        args = ["read", LAB_PCAP, "--events", out, "--quiet"]
        if self.syslog:
            args += ["--syslog", self.syslog.url("tcp")]
        proc = run(*args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out) as f:
            texts = [f.read(), proc.stdout, proc.stderr]
        if self.syslog:
            texts.append("\n".join(self.syslog.lines("tcp", len(events(out)))))
        for needle in planted:
            for text in texts:
                self.assertNotIn(needle, text)

    def test_cef_over_udp_tcp_and_tls_reaches_rsyslog(self):
        self.need_syslog()
        for kind in ("udp", "tcp", "tls"):
            out = self.path(kind + ".ndjson")
            before = len(self.syslog.lines(kind))
            args = ["read", LAB_PCAP, "--events", out, "--syslog", self.syslog.url(kind), "--agent-id", "span 1",
                    "--site", "erasme", "--quiet"]
            if kind == "tls":
                args += ["--syslog-ca", self.syslog.cert]
            proc = run(*args)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stderr, "")
            expected = len(events(out))
            lines = self.syslog.lines(kind, before + expected)[before:]
            self.assertEqual(len(lines), expected, kind)
            for line in lines:
                pri, stamp, host, app, procid, msgid, msg = line.split("|", 6)
                self.assertEqual(int(pri) // 8, 20, line)  # local4
                self.assertEqual((app, msgid), ("wardwatch", "cef"))
                self.assertTrue(procid.isdigit())
                header, pairs = split_cef(msg)
                self.assertEqual(header[:3], ["CEF:0", "wardwatch", "wardwatch"])
                self.assertTrue(0 <= int(header[6]) <= 10)
                for key, _ in pairs:
                    self.assertIn(key, CEF_KEYS, line)
                self.assertIn(("deviceExternalId", "span 1"), pairs)
                self.assertIn(("cs5", "erasme"), pairs)
            classes = [split_cef(l.split("|", 6)[6])[0][4] for l in lines]
            self.assertEqual(classes.count("asset-discovered"),
                             sum(1 for d in events(out) if d["event"]["action"] == "asset-discovered"))

    def test_wire_text_is_escaped_in_cef(self):
        self.need_syslog()
        cap = self.path("hostile.pcap")
        hostile_dhcp_pcap(cap, "bed|7=a\\b\nc")
        before = len(self.syslog.lines("tcp"))
        proc = run("read", cap, "--syslog", self.syslog.url("tcp"), "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = self.syslog.lines("tcp", before + 2)[before:]
        discovered = [l for l in lines if "|asset-discovered|" in l]
        self.assertEqual(len(discovered), 1, lines)
        _, pairs = split_cef(discovered[0].split("|", 6)[6])
        # The DHCP parser already wrote the backslash and the line break as \x5c and \x0a (docs/observations.md);
        # CEF then escapes '=' and each backslash.
        self.assertIn(("shost", "bed|7\\=a\\\\x5cb\\\\x0ac"), pairs)

    def test_rate_limit_and_unreachable_server(self):
        self.need_syslog()
        before = len(self.syslog.lines("udp"))
        proc = run("read", LAB_PCAP, "--syslog", self.syslog.url("udp"), "--syslog-rate", "1", "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = len(self.syslog.lines("udp", before + 10, timeout=5)) - before
        self.assertIn(got, (10, 11))  # a bucket of ten seconds' worth, then one a second
        self.assertRegex(proc.stderr, r"warning: syslog: 0 events could not be sent .*, \d+ dropped over --syslog-rate")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]  # bound, never listening: connections are refused
            proc = run("read", LAB_PCAP, "--syslog", f"tcp://127.0.0.1:{closed}", "--quiet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stderr, r"warning: syslog: \d+ events could not be sent \(server unreachable\)")

    def test_bad_options(self):
        for args, code, text in (
                (["--syslog", "smtp://x:1"], 1, "unknown transport 'smtp'"),
                (["--syslog", "tcp://x:port"], 1, "expected HOST:PORT"),
                (["--syslog-ca", "/etc/hosts"], 2, "--syslog-ca needs --syslog"),
                (["--events", "-", "--json", "-"], 2, "would both write to standard output"),
                (["--events", "/nonexistent-dir/e.ndjson"], 1, "cannot write events to '/nonexistent-dir/e.ndjson'"),
                (["--syslog", "tcp://127.0.0.1:9", "--syslog-rate", "0"], 2, "--syslog-rate must be positive")):
            proc = run("read", LAB_PCAP, "--quiet", *args)
            self.assertEqual(proc.returncode, code, (args, proc.stderr))
            self.assertIn(text, proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1 if code == 1 else 2, proc.stderr)

    def test_live_agent_writes_events_on_its_interval(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to capture on lo (run the suite as root)")
        out, db = self.path("live.ndjson"), self.path("live.db")
        ping = subprocess.Popen(["ping", "-q", "-i", "0.2", "-c", "20", "127.0.0.1"], stdout=subprocess.DEVNULL)
        proc = run("capture", "-i", "lo", "--duration", "4", "--db", db, "--events", out, "--events-interval", "1",
                   "--flush-interval", "1", "--quiet", timeout=60)
        ping.wait()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        statuses = [d for d in events(out) if d["event"]["action"] == "agent-status"]
        self.assertGreaterEqual(len(statuses), 2)  # on the interval, and at exit
        self.assertGreater(statuses[-1]["wardwatch"]["status"]["packets"], 0)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    ok = len(result.failures) + len(result.errors) == 0
    print(f"e2e-events: {result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)} passed, "
          f"{len(result.failures) + len(result.errors)} failed, {len(result.skipped)} skipped")
    sys.exit(0 if ok else 1)
