#!/usr/bin/python3
"""End-to-end tests of the wardwatch command line: contract, exit codes, bad input, DB and exports."""
import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, LAB, REPO, SHARED, read_json, run, schema_validator, write_pcap  # noqa: E402

LAB_PCAP = os.path.join(LAB, "hospital-lab.pcap")
IDENTITY_PCAP = os.path.join(REPO, "tests", "fixtures", "identity", "identity-lab.pcap")


def frame(src_mac, dst_mac, payload=b"\x45" + b"\x00" * 19):
    return bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", "")) + b"\x08\x00" + payload


class CliContract(unittest.TestCase):
    def test_version(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^wardwatch \d+\.\d+\.\d+")

    def test_help_on_every_subcommand(self):
        for cmd in (["--help"], ["read", "--help"], ["capture", "--help"], ["export", "--help"]):
            p = run(*cmd)
            self.assertEqual(p.returncode, 0, cmd)
            self.assertIn("usage", p.stdout.lower(), cmd)

    def test_usage_errors_exit_2(self):
        for cmd in ([], ["frobnicate"], ["read"], ["read", LAB_PCAP, "--no-such-flag"], ["capture"],
                    ["export"], ["export", "--db", "x.db", "--format", "xml"], ["read", LAB_PCAP, "--max-flows", "many"],
                    ["read", LAB_PCAP, "--max-flows", "0"], ["read", LAB_PCAP, "--max-assets", "-1"],
                    ["capture", "-i", "lo", "--flush-interval", "0"]):
            p = run(*cmd)
            self.assertEqual(p.returncode, 2, f"{cmd}: {p.stderr}")
            self.assertIn("usage", p.stderr.lower(), cmd)


class BadInput(unittest.TestCase):
    """Each bad input: one clear line on stderr, the documented exit code, never a crash."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ww-e2e-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_one_line_error(self, proc, code, needle):
        self.assertEqual(proc.returncode, code, proc.stderr)
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn("wardwatch: error:", lines[0])
        self.assertIn(needle, lines[0])
        self.assertEqual(proc.stdout, "")

    def test_missing_file(self):
        self.assert_one_line_error(run("read", self.path("nope.pcap")), 1, "No such file")

    def test_directory(self):
        self.assert_one_line_error(run("read", self.dir), 1, "is a directory")

    def test_not_a_capture(self):
        with open(self.path("notes.txt"), "w") as f:
            f.write("patient list\n" * 20)
        self.assert_one_line_error(run("read", self.path("notes.txt")), 1, "not a pcap or pcapng")

    def test_empty_file(self):
        open(self.path("empty.pcap"), "w").close()
        self.assert_one_line_error(run("read", self.path("empty.pcap")), 1, "empty file")

    def test_unsupported_link_type(self):
        write_pcap(self.path("radiotap.pcap"), 127, [(1, b"\x00" * 32)])
        self.assert_one_line_error(run("read", self.path("radiotap.pcap")), 1, "unsupported link type")

    def test_bad_file_among_good_ones_fails_before_writing(self):
        db = self.path("inv.db")
        p = run("read", LAB_PCAP, self.path("missing.pcap"), "--db", db)
        self.assert_one_line_error(p, 1, "missing.pcap")
        self.assertFalse(os.path.exists(db))

    def test_unwritable_db_path(self):
        self.assert_one_line_error(run("read", LAB_PCAP, "--db", "/nonexistent-dir/x.db"), 1, "cannot open database")

    def test_db_that_is_not_a_database(self):
        with open(self.path("junk.db"), "w") as f:
            f.write("x" * 4096)
        self.assert_one_line_error(run("read", LAB_PCAP, "--db", self.path("junk.db")), 1, "junk.db")

    def test_unwritable_json_path(self):
        p = run("read", LAB_PCAP, "--json", "/nonexistent-dir/out.json", "--quiet")
        self.assert_one_line_error(p, 1, "cannot write JSON")

    def test_truncated_capture_keeps_what_was_read(self):
        records = [(i + 1, frame("00:00:00:00:00:%02x" % (i + 1), "00:00:00:00:00:99")) for i in range(5)]
        write_pcap(self.path("cut.pcap"), 1, records, truncate_last=10)
        p = run("read", self.path("cut.pcap"), "--json", self.path("cut.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning", p.stderr)
        self.assertIn("truncated", p.stderr)
        with open(self.path("cut.json")) as f:
            doc = json.load(f)
        self.assertTrue(doc["sources"][0]["truncated"])
        self.assertEqual(doc["sources"][0]["packets"], 4)
        macs = {a["mac"] for a in doc["assets"]}
        self.assertEqual(macs, {"00:00:00:00:00:01", "00:00:00:00:00:02", "00:00:00:00:00:03",
                                "00:00:00:00:00:04", "00:00:00:00:00:99"})

    def test_garbage_frames_are_counted_not_fatal(self):
        records = [(1, os.urandom(7)), (2, frame("00:00:00:00:00:01", "00:00:00:00:00:02", b"\x46\x00"))]
        write_pcap(self.path("junk.pcap"), 1, records)
        doc = read_json(self.path("junk.pcap"))
        self.assertEqual(doc["stats"]["malformed"], 2)
        self.assertEqual(doc["stats"]["malformed_by_reason"],
                         {"truncated_link_header": 1, "truncated_ipv4_header": 1})


class Outputs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ww-e2e-")
        self.validator = schema_validator()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_json_is_schema_valid_stable_and_lowercase(self):
        first = read_json(LAB_PCAP)
        second = read_json(LAB_PCAP)
        self.assertEqual(first, second)
        self.validator.validate(first)
        ids = [a["id"] for a in first["assets"]]
        self.assertEqual(ids, sorted(ids))
        for a in first["assets"]:
            if a["mac"]:
                self.assertEqual(a["mac"], a["mac"].lower())

    def test_several_files_in_one_run(self):
        dhcp = os.path.join(SHARED, "arkime_wireshark-dhcp.pcap")
        if not os.path.exists(dhcp):
            self.skipTest("../shared/pcaps absent")
        doc = read_json(LAB_PCAP, dhcp)
        self.assertEqual([s["name"] for s in doc["sources"]], ["hospital-lab.pcap", "arkime_wireshark-dhcp.pcap"])
        self.assertEqual(doc["stats"]["packets"], sum(s["packets"] for s in doc["sources"]))
        macs = {a["mac"] for a in doc["assets"]}
        self.assertIn("00:0b:82:01:fc:42", macs)
        self.assertIn("58:46:e1:77:00:07", macs)

    def test_read_db_json_is_the_database_export(self):
        # read --db --json resolves the inventory from a snapshot of the database plus the run's last rows
        # while a second thread writes them (docs/performance.md): it must equal what the database holds after.
        # A second run with few device records in memory flushes evicted records (and its statistics) during
        # the run, so the snapshot already holds part of this run.
        db, out = os.path.join(self.dir, "snap.db"), os.path.join(self.dir, "snap.json")
        self.assertEqual(run("read", LAB_PCAP, "--db", db, "--quiet").returncode, 0)
        p = run("read", IDENTITY_PCAP, "--db", db, "--json", out, "--quiet", "--max-assets", "16")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("export", "--db", db, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        exported = json.loads(p.stdout)
        with open(out) as f:
            written = json.load(f)
        self.assertGreater(written["stats"]["evicted"]["assets"], 0)  # the run did flush part of itself early
        for key in written:
            if key != "generator":
                self.assertEqual(written[key], exported[key], key)
        self.assertEqual(len(written["sources"]), 2)

    def test_explain_one_device_from_its_rows_equals_the_whole_inventory(self):
        # fingerprint --explain MAC --db reads only that device's rows (and every binding of its addresses);
        # its explanation must be the one --all gives from the whole inventory, for every device of the labs.
        db = os.path.join(self.dir, "explain.db")
        self.assertEqual(run("read", LAB_PCAP, IDENTITY_PCAP, "--db", db, "--quiet").returncode, 0)
        p = run("fingerprint", "--all", "--db", db)
        self.assertEqual(p.returncode, 0, p.stderr)
        blocks, current = {}, None
        for line in p.stdout.splitlines(keepends=True):
            if line.startswith(("mac:", "ip:")):
                current = line.split()[0]
                blocks[current] = ""
            blocks[current] += line
        macs = [k for k in blocks if k.startswith("mac:")]
        self.assertGreaterEqual(len(macs), 19)
        for asset in macs:
            one = run("fingerprint", "--explain", asset[4:], "--db", db)
            self.assertEqual(one.returncode, 0, one.stderr)
            self.assertEqual(one.stdout.rstrip("\n"), blocks[asset].rstrip("\n"), asset)
        missing = run("fingerprint", "--explain", "02:00:00:00:99:99", "--db", db)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no asset mac:02:00:00:00:99:99", missing.stderr)

    def test_db_accumulates_and_exports_match(self):
        db = os.path.join(self.dir, "inv.db")
        for extra in ([], ["--force"]):   # --force: the same capture again, counted again
            p = run("read", LAB_PCAP, "--db", db, "--quiet", *extra)
            self.assertEqual(p.returncode, 0, p.stderr)
        p = run("export", "--db", db, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        twice = json.loads(p.stdout)
        self.validator.validate(twice)
        once = read_json(LAB_PCAP)
        self.assertEqual(twice["stats"]["packets"], 2 * once["stats"]["packets"])
        by_id = {a["id"]: a for a in once["assets"]}
        for a in twice["assets"]:
            b = by_id[a["id"]]
            self.assertEqual(a["packets"]["sent"], 2 * b["packets"]["sent"])
            self.assertEqual((a["first_seen"], a["last_seen"]), (b["first_seen"], b["last_seen"]))
            self.assertEqual(a["ips"], b["ips"])
            # Conversations accumulate as device counters do: the same keys, twice the packets.
            key = lambda c: (c["peer"], c["transport"], c["port"], c["role"], c["application"])
            self.assertEqual([key(c) for c in a["conversations"]], [key(c) for c in b["conversations"]])
            for c, d in zip(a["conversations"], b["conversations"]):
                self.assertEqual(c["packets"]["sent"], 2 * d["packets"]["sent"])
                self.assertEqual(c["bytes"]["received"], 2 * d["bytes"]["received"])
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 6)
        # The communication map in SQL (docs/output.md): who talks DICOM to the archive 10.77.0.10.
        talkers = con.execute("SELECT DISTINCT ip FROM conversations WHERE peer='10.77.0.10' AND app='dicom' "
                              "AND role='client' ORDER BY ip").fetchall()
        self.assertEqual([r[0] for r in talkers], ["10.77.0.21", "10.77.0.22", "10.77.0.30"])
        self.assertEqual([r[0] for r in con.execute("SELECT state FROM runs")], ["complete", "complete"])
        self.assertEqual(con.execute("SELECT count(*) FROM sources").fetchone()[0], 2)
        self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        self.assertEqual(con.execute("SELECT count(*) FROM runs").fetchone()[0], 2)

    def test_same_capture_twice_is_skipped(self):
        db = os.path.join(self.dir, "inv.db")
        self.assertEqual(run("read", LAB_PCAP, "--db", db, "--quiet").returncode, 0)
        con = sqlite3.connect(db)
        before = con.execute("SELECT sum(packets_sent), count(*) FROM macs").fetchone()
        con.close()
        # The same file, then a copy under another name: the content hash says "already read".
        copy = os.path.join(self.dir, "renamed.pcap")
        shutil.copyfile(LAB_PCAP, copy)
        for path in (LAB_PCAP, copy):
            p = run("read", path, "--db", db, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("already read into this database", p.stderr)
            self.assertIn("--force", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        # Named twice in one run: read once.
        other = os.path.join(self.dir, "other.db")
        p = run("read", LAB_PCAP, copy, "--db", other, "--quiet")
        self.assertIn("same content as a capture named before it", p.stderr)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT sum(packets_sent), count(*) FROM macs").fetchone(), before)
        self.assertEqual(con.execute("SELECT count(*) FROM sources").fetchone()[0], 1)
        self.assertRegex(con.execute("SELECT content_hash FROM sources").fetchone()[0], r"^xxh3-128:[0-9a-f]{32}$")
        self.assertEqual(con.execute("SELECT state FROM runs ORDER BY id DESC").fetchone()[0], "complete")
        con.close()
        self.assertEqual(sqlite3.connect(other).execute("SELECT count(*) FROM sources").fetchone()[0], 1)
        # --force reads it again, and counts it again; its hash (computed while the packets were read, as for the
        # first run into the empty database) is stored with the new source too.
        self.assertEqual(run("read", copy, "--db", db, "--quiet", "--force").returncode, 0)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT sum(packets_sent) FROM macs").fetchone()[0], 2 * before[0])
        self.assertEqual(con.execute("SELECT count(*), count(DISTINCT content_hash) FROM sources").fetchone(), (2, 1))
        con.close()

    def test_classification_is_in_the_database(self):
        db = os.path.join(self.dir, "inv.db")
        self.assertEqual(run("read", LAB_PCAP, "--db", db, "--quiet").returncode, 0)
        doc = read_json(LAB_PCAP)
        con = sqlite3.connect(db)
        # The query docs/output.md shows: the infusion pumps, with vendor and model.
        rows = con.execute("SELECT mac, vendor, model FROM classifications WHERE category='infusion'").fetchall()
        want = sorted((a["mac"], a["classification"]["vendor"], a["classification"]["model"]) for a in doc["assets"]
                      if a["classification"]["category"] == "infusion")
        self.assertTrue(want)
        self.assertEqual(sorted(rows), want)
        by_id = {a["id"]: a for a in doc["assets"]}
        stored = con.execute("SELECT asset_id, category, os, crown_jewel, confidence, rules_version FROM classifications")
        n = 0
        for asset_id, category, os_name, jewel, confidence, rules_version in stored:
            a = by_id[asset_id]
            self.assertEqual(category, a["classification"]["category"])
            self.assertEqual(os_name, a["classification"]["os"])
            self.assertEqual(jewel, (a.get("crown_jewel") or {}).get("kind"))
            self.assertAlmostEqual(confidence, a["classification"]["confidence"], places=6)
            self.assertEqual(rules_version, doc["generator"]["rules"]["version"])
            n += 1
        self.assertEqual(n, len(doc["assets"]))
        # Each winning claim's rules, as in the JSON's evidence.
        rules = {(r[0], r[1], r[2]) for r in con.execute("SELECT asset_id, attribute, rule_id FROM classification_rules")}
        for a in doc["assets"]:
            for e in a["classification"]["evidence"]:
                for r in e["rules"]:
                    self.assertIn((a["id"], e["attribute"], r["id"]), rules)
        plan = " ".join(r[3] for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT mac FROM classifications WHERE category='infusion'"))
        self.assertIn("classifications_category", plan)
        con.close()

    def test_csv_export(self):
        db = os.path.join(self.dir, "inv.db")
        self.assertEqual(run("read", LAB_PCAP, "--db", db, "--quiet").returncode, 0)
        out = os.path.join(self.dir, "inv.csv")
        p = run("export", "--db", db, "--format", "csv", "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
        doc = read_json(LAB_PCAP)
        self.assertEqual([r["id"] for r in rows], [a["id"] for a in doc["assets"]])
        pump = next(r for r in rows if r["mac"] == "58:46:e1:77:00:07")
        self.assertEqual(pump["vendor"], "Baxter International Inc")
        self.assertIn("10.77.0.143", pump["ips"].split(";"))
        self.assertIn("dhcp.hostname=infusion-pump-07", pump["observations"].split(";"))

    def test_export_of_missing_db(self):
        p = run("export", "--db", os.path.join(self.dir, "none.db"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read database", p.stderr)


class HeapHugePages(unittest.TestCase):
    """A batch command re-executes itself once with glibc.malloc.hugetlb=1 (agent/cli/huge_pages.hpp)."""

    def setUp(self):
        try:
            with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
                mode = f.read()
        except OSError:
            mode = ""
        if "[madvise]" not in mode:
            self.skipTest(f"the kernel's transparent huge page mode is {mode.strip() or 'unknown'}, not madvise: "
                          "wardwatch asks for nothing there")

        # Inputs of at least 32 MiB (kHugePagesFromInputBytes): the lab capture, then 560 frames of 60,000
        # bytes (an Ethernet header and zeros: counted as malformed, skipped).
        self.dir = tempfile.mkdtemp(prefix="ww-e2e-huge-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.big = os.path.join(self.dir, "big.pcap")
        big_frame = frame("02:00:00:00:00:01", "02:00:00:00:00:02", b"\x45" + bytes(59985))
        write_pcap(self.big, 1, [(1700000000 + i, big_frame) for i in range(560)])
        self.assertGreaterEqual(os.path.getsize(self.big), 32 << 20)

    def phases(self, *args, tunables=None):
        env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
        env["WARDWATCH_PHASE_TIMES"] = "1"
        if tunables is not None:
            env["GLIBC_TUNABLES"] = tunables
        proc = run(*args, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        line = [l for l in proc.stderr.splitlines() if l.startswith("wardwatch: phases:")]
        self.assertEqual(len(line), 1, proc.stderr)
        return proc.stdout, line[0].split("; heap huge pages: ")[1]

    def test_small_inputs_run_as_they_are(self):
        _, state = self.phases("read", LAB_PCAP, "--json", "-", "--quiet")
        self.assertTrue(state.startswith("off"), state)

    def test_read_asks_and_keeps_the_users_tunables_and_choice(self):
        args = ("read", LAB_PCAP, self.big, "--json", "-", "--quiet")
        out, state = self.phases(*args)
        self.assertTrue(state.startswith("glibc.malloc.hugetlb=1"), state)
        out_kept, state = self.phases(*args, tunables="glibc.malloc.check=0")
        self.assertTrue(state.startswith("glibc.malloc.hugetlb=1"), state)
        out_off, state = self.phases(*args, tunables="glibc.malloc.hugetlb=0")
        self.assertTrue(state.startswith("glibc.malloc.hugetlb=0"), state)
        self.assertIn("anon huge pages 0 MiB", state)
        # The same inventory either way (generated_at aside).
        docs = [json.loads(o) for o in (out, out_kept, out_off)]
        for d in docs:
            d.pop("generated_at", None)
        self.assertEqual(docs[0], docs[1])
        self.assertEqual(docs[0], docs[2])

    def test_the_re_executed_process_keeps_its_name(self):
        # The exec of /proc/self/exe would call the process "exe" in ps, top and pgrep. The read is held on its
        # second capture, standard input (a pipe this test keeps open), after it re-executed itself and opened
        # its first capture.
        env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
        proc = subprocess.Popen([BINARY, "read", self.big, "-", "--json", os.path.join(self.dir, "o.json"), "--quiet"],
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def has_big_open():
            fds = f"/proc/{proc.pid}/fd"
            try:
                return any(os.readlink(os.path.join(fds, fd)) == self.big for fd in os.listdir(fds))
            except OSError:
                return False

        try:
            deadline = time.monotonic() + 60
            while not has_big_open() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertTrue(has_big_open(), "the read never opened its first capture")
            with open(f"/proc/{proc.pid}/environ", "rb") as f:
                self.assertIn(b"glibc.malloc.hugetlb=1", f.read(), "the read did not re-execute itself")
            with open(f"/proc/{proc.pid}/comm") as f:
                self.assertEqual(f.read().strip(), "wardwatch")
        finally:
            proc.communicate(timeout=60)  # standard input closed empty: the read ends (its error, not this test's)


class TcpdumpHabits(unittest.TestCase):
    """read -r FILE, '-' for standard input (pcap and pcapng), --filter."""

    def test_dash_r_equals_positional(self):
        self.assertEqual(read_json("-r", LAB_PCAP)["assets"], read_json(LAB_PCAP)["assets"])

    def test_standard_input_pcap_and_pcapng(self):
        with open(LAB_PCAP, "rb") as f:
            data = f.read()
        p = subprocess.run([BINARY, "read", "-", "--json", "-", "--quiet"], input=data, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["sources"][0]["format"], "pcap")
        self.assertEqual(doc["assets"], read_json(LAB_PCAP)["assets"])
        if shutil.which("editcap"):
            with tempfile.TemporaryDirectory() as d:
                ng = os.path.join(d, "lab.pcapng")
                subprocess.run(["editcap", "-F", "pcapng", LAB_PCAP, ng], check=True, capture_output=True)
                with open(ng, "rb") as f:
                    p = subprocess.run([BINARY, "read", "-", "--json", "-", "--quiet"], stdin=f, capture_output=True,
                                       timeout=60)
                self.assertEqual(json.loads(p.stdout)["sources"][0]["format"], "pcapng")

    def test_empty_standard_input_is_an_error(self):
        p = subprocess.run([BINARY, "read", "-"], input=b"", capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"standard input", p.stderr)

    def test_filter_keeps_only_matching_packets(self):
        everything = read_json(LAB_PCAP)["stats"]["packets"]
        arp = read_json(LAB_PCAP, extra=("--filter", "arp"))["stats"]["packets"]
        self.assertGreater(arp, 0)
        self.assertLess(arp, everything)
        p = run("read", LAB_PCAP, "--filter", "not a (filter")
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad filter", p.stderr)


class LabGroundTruth(unittest.TestCase):
    """Every simulated host of the lab capture is in the inventory with its MAC, addresses and vendor."""

    def test_every_lab_host(self):
        with open(os.path.join(LAB, "expected_hosts.json")) as f:
            truth = json.load(f)
        doc = read_json(LAB_PCAP)
        by_mac = {a["mac"]: a for a in doc["assets"] if a["mac"]}
        for host in truth["hosts"]:
            self.assertIn(host["mac"], by_mac, host["name"])
            asset = by_mac[host["mac"]]
            self.assertEqual(asset["vendor"], host["mac_vendor"], host["name"])
            for ip in host["ips"]:
                if ip.startswith("fe80") and ip not in asset["ips"]:
                    continue  # link-local addresses appear only if the host spoke from them
                self.assertIn(ip, asset["ips"], host["name"])
        self.assertEqual(len(by_mac), len(truth["hosts"]))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print(f"e2e-cli: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(1 if failed else 0)
