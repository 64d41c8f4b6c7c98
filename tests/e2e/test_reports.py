#!/usr/bin/python3
"""`wardwatch report` end to end, on databases made from the project's own captures:

- the format table: --help lists every format, an unknown one is a usage error naming them;
- json: the contract for scripts ({"assets": [{"mac", "management"}], "stale"}), devices as the inventory
  classifies them, the summary's counts, the supply-chain roll-up;
- csv: one row per device, cells from the wire guarded against formula injection;
- cyclonedx: valid against the official CycloneDX 1.6 JSON schema (the CycloneDX npm library's res/schema,
  fetched by scripts/install-deps.sh --test), devices as components with nested firmware/OS;
- bad input: a missing database, an unwritable output (nothing written half);
- diff: two databases, a JSON export against a database, new/gone/changed devices, and bad inputs;
- html: in headless Chromium (Debian chromium, through the DevTools protocol; chromium_cdp.py) with the
  network off: the page loads with no console error, CSP violation or request beyond the file itself, the
  table has one row per device, a filter narrows it, a column sorts, a device's section opens, a device
  that names itself <script> runs nothing, and a screenshot is taken (build/tests/report-screenshot.png).
"""
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LAB, REPO, hostile_dhcp_pcap, read_json, run, write_pcap  # noqa: E402

LAB_PCAP = os.path.join(LAB, "hospital-lab.pcap")
IDENTITY_PCAP = os.path.join(REPO, "tests", "fixtures", "identity", "identity-lab.pcap")
CMDB = os.path.join(REPO, "tests", "fixtures", "cmdb")
CMDB_ARGS = [arg for name in ("netbox-devices.csv", "netbox-interfaces.csv", "netbox-mac-addresses.csv",
                              "servicenow-cmdb_ci_hardware.csv", "generic.csv", "netbox-ui-devices.csv",
                              "netbox-ui-interfaces.csv") for arg in ("--cmdb", os.path.join(CMDB, name))]
CDX_SCHEMAS = os.path.join(os.environ.get("WARDWATCH_TEST_DATA", "/var/cache/wardwatch-test"),
                           "cyclonedx-library-10.3.0", "package", "res", "schema")


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ww-report-")
        cls.db = os.path.join(cls.dir, "inv.db")
        p = run("read", LAB_PCAP, IDENTITY_PCAP, "--db", cls.db, "--quiet")
        assert p.returncode == 0, p.stderr
        cls.inventory = read_json(LAB_PCAP, IDENTITY_PCAP)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def report(self, fmt, *extra):
        p = run("report", "--db", self.db, "--format", fmt, *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_help_lists_every_format_and_an_unknown_one_is_a_usage_error(self):
        p = run("report", "--help")
        self.assertEqual(p.returncode, 0)
        for name in ("json", "csv", "cyclonedx", "html", "dot", "svg"):
            self.assertIn(f"  {name}: ", p.stdout)
        p = run("report", "--db", self.db, "--format", "xml")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown report format 'xml' (csv|cyclonedx|dot|html|json|svg)", p.stderr)

    def test_json_contract_and_devices(self):
        doc = json.loads(self.report("json"))
        self.assertEqual(doc["report_version"], 1)
        self.assertEqual(doc["stale"], [])
        by_id = {a["id"]: a for a in self.inventory["assets"]}
        self.assertEqual([a["id"] for a in doc["assets"]], [a["id"] for a in self.inventory["assets"]])
        for a in doc["assets"]:
            self.assertIn("mac", a)
            self.assertIsNone(a["management"])  # no CMDB given
            c = by_id[a["id"]]["classification"]
            self.assertEqual((a["category"], a["vendor"], a["model"], a["firmware"], a["os"]),
                             (c["category"], c["vendor"], c["model"], c["firmware"], c["os"]))
        pump = next(a for a in doc["assets"] if a["mac"] == "02:88:00:00:00:07")
        self.assertEqual((pump["category"], pump["vendor"], pump["medical"], pump["name"]),
                         ("infusion", "Baxter", True, "infusion-pump-07"))
        switch = next(a for a in doc["assets"] if a["mac"] == "02:88:00:00:00:03")
        self.assertEqual(switch["serial_number"], "SN-WW-0003")  # LLDP-MED inventory TLV
        s = doc["summary"]
        self.assertEqual(s["assets"], len(self.inventory["assets"]))
        self.assertEqual(sum(s["by_category"].values()), s["assets"])
        self.assertEqual(s["medical_devices"], sum(a["medical"] for a in doc["assets"]))
        self.assertEqual(s["crown_jewels"], sum(1 for a in self.inventory["assets"] if a.get("crown_jewel")))
        self.assertEqual(s["with"]["vendor"], sum(1 for a in doc["assets"] if a["vendor"]))

    def test_json_supply_chain_rolls_up_vendor_model_firmware(self):
        doc = json.loads(self.report("json"))
        chain = doc["supply_chain"]
        self.assertEqual(sum(v["devices"] for v in chain), sum(1 for a in doc["assets"] if a["vendor"]))
        baxter = next(v for v in chain if v["vendor"] == "Baxter")
        self.assertEqual(baxter["devices"], 2)   # the two lab pumps
        self.assertEqual(baxter["medical_devices"], 2)
        spectrum = next(m for m in baxter["models"] if m["model"] == "Spectrum")
        listed = sorted(x for f in spectrum["firmware"] for x in f["assets"])
        self.assertEqual(listed, sorted(a["id"] for a in doc["assets"]
                                        if a["vendor"] == "Baxter" and a["model"] == "Spectrum"))
        genhosp = next(v for v in chain if v["vendor"] == "GenHosp Networks")
        self.assertEqual(genhosp["models"][0]["firmware"][0]["firmware"], "FW-4.0.3")
        counts = [v["devices"] for v in chain]
        self.assertEqual(counts, sorted(counts, reverse=True))

    def test_csv_one_row_per_device(self):
        rows = list(csv.DictReader(io.StringIO(self.report("csv"))))
        self.assertEqual([r["id"] for r in rows], [a["id"] for a in self.inventory["assets"]])
        pump = next(r for r in rows if r["mac"] == "02:88:00:00:00:07")
        self.assertEqual((pump["category"], pump["vendor"], pump["medical"]), ("infusion", "Baxter", "true"))

    def test_cyclonedx_is_valid_against_the_official_1_6_schema(self):
        schema_path = os.path.join(CDX_SCHEMAS, "bom-1.6.SNAPSHOT.schema.json")
        if not os.path.exists(schema_path):
            if os.environ.get("CI") == "true":
                self.fail(f"CycloneDX schemas missing in CI: {CDX_SCHEMAS} (scripts/install-deps.sh --test)")
            self.skipTest(f"CycloneDX schemas not installed: {CDX_SCHEMAS} (scripts/install-deps.sh --test)")
        import jsonschema  # Debian: python3-jsonschema (4.10: references resolved through a RefResolver store)
        out = os.path.join(self.dir, "bom.cdx.json")
        self.report("cyclonedx", "-o", out, *CMDB_ARGS)  # with the CMDB properties too
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o640)
        with open(out) as f:
            bom = json.load(f)
        # The 1.6 schema refers to its neighbours by relative name ("spdx.SNAPSHOT.schema.json"): serve each
        # under that name beside the schema's $id and under its own $id, so nothing is fetched.
        with open(schema_path) as f:
            schema = json.load(f)
        base = schema["$id"].rsplit("/", 1)[0] + "/"
        store = {}
        for name in ("bom-1.6.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
            with open(os.path.join(CDX_SCHEMAS, name)) as f:
                contents = json.load(f)
            store[base + name] = contents
            if "$id" in contents:
                store[contents["$id"]] = contents
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        validator = jsonschema.Draft7Validator(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
        errors = [f"/{'/'.join(map(str, e.path))}: {e.message[:160]}" for e in validator.iter_errors(bom)]
        self.assertEqual(errors, [])
        self.assertEqual((bom["bomFormat"], bom["specVersion"]), ("CycloneDX", "1.6"))
        self.assertRegex(bom["serialNumber"], r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        devices = {c["bom-ref"]: c for c in bom["components"]}
        self.assertEqual(len(devices), len(self.inventory["assets"]))
        self.assertTrue(all(c["type"] == "device" for c in devices.values()))
        switch = devices["mac:02:88:00:00:00:03"]
        self.assertEqual((switch["manufacturer"]["name"], switch["name"]), ("GenHosp Networks", "WardSwitch 24"))
        firmware = next(c for c in switch["components"] if c["type"] == "firmware")
        self.assertEqual(firmware["version"], "FW-4.0.3")
        props = {(p["name"], p["value"]) for p in switch["properties"]}
        self.assertIn(("cdx:device:serialNumber", "SN-WW-0003"), props)
        self.assertIn(("cdx:device:macAddress", "02:88:00:00:00:03"), props)
        self.assertIn(("wardwatch:category", "network-infrastructure"), props)
        ws = devices["mac:02:88:00:00:00:30"]
        self.assertIn("operating-system", [c["type"] for c in ws.get("components", [])])
        # Two reports of one database are two BOMs: a new serial number each time.
        self.assertNotEqual(json.loads(self.report("cyclonedx"))["serialNumber"], bom["serialNumber"])

    def test_text_from_the_wire_is_guarded(self):
        work = tempfile.mkdtemp(prefix="ww-report-hostile-", dir=self.dir)
        cap, db = os.path.join(work, "hostile.pcap"), os.path.join(work, "h.db")
        name = "=HYPERLINK(\"http://x\",\"<script>alert(1)</script>\")"
        hostile_dhcp_pcap(cap, name)
        self.assertEqual(run("read", cap, "--db", db, "--quiet").returncode, 0)
        p = run("report", "--db", db, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(rows[0]["name"], "'" + name)   # a formula never starts a cell
        doc = json.loads(run("report", "--db", db, "--format", "json").stdout)
        self.assertEqual(doc["assets"][0]["name"], name)  # JSON keeps the text, escaped by the encoder

    def test_bad_database_and_unwritable_output(self):
        p = run("report", "--db", os.path.join(self.dir, "none.db"), "--format", "json")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read database", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)
        p = run("report", "--db", self.db, "--format", "json", "-o", "/nonexistent-dir/r.json")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot write json report to '/nonexistent-dir/r.json'", p.stderr)
        junk = os.path.join(self.dir, "junk.db")
        with open(junk, "w") as f:
            f.write("not a database\n" * 100)
        p = run("report", "--db", junk, "--format", "csv")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def diff(self, old, new, *extra):
        p = run("diff", old, new, *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_diff_of_two_databases(self):
        # The same lab, once without DHCP and SNMP and without the gateway, then whole: the pump gets its
        # identity (category, vendor, model) from DHCP, the printer its vendor from SNMP, the gateway is new.
        old, new = os.path.join(self.dir, "week1.db"), os.path.join(self.dir, "week2.db")
        p = run("read", IDENTITY_PCAP, "--db", old, "--quiet", "--filter",
                "not (udp port 67 or udp port 68 or udp port 161) and not ether host 02:88:00:00:00:01")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(run("read", IDENTITY_PCAP, "--db", new, "--quiet").returncode, 0)
        doc = self.diff(old, new)
        self.assertEqual(doc["diff_version"], 1)
        self.assertEqual([d["mac"] for d in doc["new"]], ["02:88:00:00:00:01"])
        self.assertEqual(doc["gone"], [])
        changed = {c["mac"]: {ch["attribute"]: ch for ch in c["changes"]} for c in doc["changed"]}
        pump = changed["02:88:00:00:00:07"]
        self.assertEqual((pump["category"]["old"], pump["category"]["new"]), ("unknown", "infusion"))
        self.assertEqual((pump["vendor"]["old"], pump["vendor"]["new"]), (None, "Baxter"))
        self.assertIn("vendor", changed["02:88:00:00:00:11"])
        for c in doc["changed"]:
            self.assertTrue(c["last_seen"] and c["previous_last_seen"])
        # Reversed, the new device is gone and the changes run the other way.
        back = self.diff(new, old)
        self.assertEqual([d["mac"] for d in back["gone"]], ["02:88:00:00:00:01"])
        pump_back = next(c for c in back["changed"] if c["mac"] == "02:88:00:00:00:07")
        self.assertIn({"attribute": "category", "old": "infusion", "new": "unknown"}, pump_back["changes"])
        # A database against itself: nothing.
        same = self.diff(new, new)
        self.assertEqual((same["new"], same["gone"], same["changed"]), ([], [], []))

    def test_diff_of_a_json_export_and_a_database(self):
        old_json = os.path.join(self.dir, "before.json")
        p = run("read", IDENTITY_PCAP, "--json", old_json, "--quiet", "--filter", "not tcp port 443")
        self.assertEqual(p.returncode, 0, p.stderr)
        new = os.path.join(self.dir, "after.db")
        self.assertEqual(run("read", IDENTITY_PCAP, "--db", new, "--quiet").returncode, 0)
        doc = self.diff(old_json, new)
        ehr = next(c for c in doc["changed"] if c["mac"] == "02:88:00:00:00:20")
        services = next(ch for ch in ehr["changes"] if ch["attribute"] == "services")
        self.assertEqual((services["added"], services["removed"]), (["tcp/443"], []))
        out = os.path.join(self.dir, "diff.json")
        p = run("diff", old_json, new, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            self.assertEqual(json.load(f)["changed"], doc["changed"])

    def test_diff_bad_input(self):
        not_inventory = os.path.join(self.dir, "other.json")
        with open(not_inventory, "w") as f:
            json.dump({"hello": 1}, f)
        for args, code, text in (([not_inventory, self.db], 1, "not a wardwatch inventory"),
                                 ([os.path.join(self.dir, "none.db"), self.db], 1, "cannot read"),
                                 ([self.dir, self.db], 1, "cannot read"),
                                 ([self.db], 2, "needs two inventories"),
                                 ([self.db, self.db, "--format", "csv"], 2, "--format must be json")):
            p = run("diff", *args)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            self.assertIn(text, p.stderr)
            self.assertEqual(p.stdout, "")

    def test_cmdb_comparison_in_every_format(self):
        # The CMDB fixtures (tests/fixtures/cmdb/README.md) describe the two labs' devices, with planted
        # differences: the gateway's model and the switch's firmware disagree with the wire, three entries
        # describe devices that are not on the wire.
        doc = json.loads(self.report("json", *CMDB_ARGS))
        m = doc["summary"]["management"]
        self.assertEqual(m["managed"] + m["unmanaged"] + m["mismatched"], len(doc["assets"]))
        self.assertEqual(sum(m["matched_by"].values()), m["managed"] + m["mismatched"])
        by_mac = {a["mac"]: a for a in doc["assets"]}
        for a in doc["assets"]:
            self.assertIn(a["management"], ("managed", "unmanaged", "mismatched"))
        gw = by_mac["02:88:00:00:00:01"]
        self.assertEqual((gw["management"], gw["cmdb"]["matched_by"]), ("mismatched", "mac"))
        self.assertIn({"attribute": "model", "wire": "WardGW", "cmdb": "WardRouter 5"},
                      [{k: x[k] for k in ("attribute", "wire", "cmdb")} for x in gw["cmdb"]["mismatches"]])
        sw = by_mac["02:88:00:00:00:03"]
        self.assertEqual([(x["attribute"], x["wire"], x["cmdb"]) for x in sw["cmdb"]["mismatches"]],
                         [("firmware", "FW-4.0.3", "FW-4.0.2")])
        # The printer is "HP" on the wire and "Hewlett Packard" / "Hewlett-Packard" in the CMDB: no mismatch.
        self.assertEqual(by_mac["02:88:00:00:00:11"]["management"], "managed")
        self.assertEqual(by_mac["02:88:00:00:00:05"]["management"], "unmanaged")
        self.assertEqual(len(doc["stale"]), m["stale"])
        self.assertIn("old-infusion-03", [s["name"] for s in doc["stale"]])
        self.assertTrue(all(s["reason"] in ("not-seen", "not-seen-recently") for s in doc["stale"]))
        rows = list(csv.DictReader(io.StringIO(self.report("csv", *CMDB_ARGS))))
        self.assertEqual(sum(r["management"] == "stale" for r in rows), m["stale"])
        gw_row = next(r for r in rows if r["mac"] == "02:88:00:00:00:01")
        self.assertEqual((gw_row["management"], gw_row["cmdb_matched_by"]), ("mismatched", "mac"))
        self.assertIn("model: wire 'WardGW', CMDB 'WardRouter 5'", gw_row["cmdb_mismatches"])
        bom = json.loads(self.report("cyclonedx", *CMDB_ARGS))
        meta = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
        self.assertEqual(meta["wardwatch:cmdb_stale"], str(m["stale"]))
        gw_props = {(p["name"], p["value"]) for c in bom["components"] if c["bom-ref"] == gw["id"] for p in c["properties"]}
        self.assertIn(("wardwatch:management", "mismatched"), gw_props)
        html = self.report("html", *CMDB_ARGS)
        self.assertIn("CMDB entries not seen", html)
        self.assertIn("old-infusion-03", html)

    def test_bad_cmdb_stops_the_report_before_anything_is_written(self):
        out = os.path.join(self.dir, "never.json")
        cases = {"not-csv.csv": b"\x00\x01\x02PK\x03\x04" * 50, "no-columns.csv": b"colour,size\nred,1\n",
                 "broken.csv": b'mac,hostname\n"02:88:00:00:00:01,gw\n', "empty.csv": b""}
        for name, content in cases.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(content)
            p = run("report", "--db", self.db, "--format", "json", "--cmdb", path, "-o", out)
            self.assertEqual(p.returncode, 1, (name, p.stderr))
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, (name, p.stderr))
            self.assertIn(name, p.stderr)
            self.assertFalse(os.path.exists(out), name)
        p = run("report", "--db", self.db, "--format", "json", "--cmdb", os.path.join(self.dir, "absent.csv"))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        p = run("report", "--db", self.db, "--format", "json", "--stale-days", "-1")
        self.assertEqual(p.returncode, 2)

    def test_findings_and_gap_analysis(self):
        doc = json.loads(self.report("json"))
        findings = doc["findings"]
        self.assertTrue(findings)
        by_id = {f["id"]: f for f in findings}
        self.assertEqual(doc["summary"]["findings"]["total"], len(findings))
        self.assertEqual(sum(doc["summary"]["findings"]["by_severity"].values()), len(findings))
        controls = {g["control"] for g in doc["gap_analysis"]}
        macs = {a["mac"] for a in doc["assets"]}
        for f in findings:
            # The contract for scripts, and no finding without evidence on the wire.
            self.assertTrue({"id", "title", "severity", "assets", "evidence", "references", "remediation"} <= set(f))
            self.assertIn(f["severity"], ("critical", "high", "medium", "low", "info"))
            self.assertTrue(f["assets"] and f["evidence"], f["id"])
            self.assertTrue(all(e["facts"] for e in f["evidence"]), f["id"])
            self.assertTrue(set(f["assets"]) <= macs | {a["id"] for a in doc["assets"]}, f["id"])
            self.assertTrue(set(f["reference_ids"]) <= controls, f["id"])
            # The contract's form: "PR.DS-2", "NIS2 21(2)(h)" — one per mapping-file id.
            self.assertEqual(len(f["references"]), len(f["reference_ids"]))
            for label, rid in zip(f["references"], f["reference_ids"]):
                self.assertEqual(label, ("NIS2 " if rid.startswith("NIS2:") else "") + rid.split(":", 1)[1], f["id"])
            for mac in f["assets"]:
                asset = next(a for a in doc["assets"] if a["mac"] == mac or a["id"] == mac)
                self.assertIn(f["id"], asset["findings"])
        # The hospital lab's PACS takes DICOM in clear, and its EHR sends HL7 in clear: both are findings on them.
        dicom = [f for f in findings if "02:77:00:00:00:10" in f["assets"] and "dicom" in f["id"]]
        self.assertTrue(dicom, sorted(by_id))
        hl7 = [f for f in findings if "02:77:00:00:00:40" in f["assets"] and "hl7" in f["id"]]
        self.assertTrue(hl7, sorted(by_id))
        self.assertTrue(any("public" in fact for f in findings if "02:88:00:00:00:11" in f["assets"]
                            for e in f["evidence"] for fact in e["facts"]), "SNMP default community on the printer")
        am1 = next(g for g in doc["gap_analysis"] if g["control"].endswith("ID.AM-1"))
        self.assertEqual(am1["inventory"]["devices seen"], str(len(doc["assets"])))
        html = self.report("html")
        self.assertIn("Gap analysis", html)
        self.assertIn(findings[0]["title"].replace("&", "&amp;").replace("<", "&lt;"), html)

    def test_dot_interface_map_renders_with_graphviz(self):
        dot = self.report("dot")
        self.assertIn("digraph communication_map", dot)
        self.assertIn('"EPIC@GENHOSP" -> "CLOVERLEAF@LAB"', dot)        # the lab's HL7 link
        self.assertIn('"AE RADWS01" -> "AE PACS_QR"', dot)               # a DICOM association
        # Crown jewels and who talks to them, from conversations: the CT stores to the PACS on 104.
        self.assertIn("subgraph cluster_jewels", dot)
        self.assertRegex(dot, r'"p\d+" \[label="GE HealthCare Revolution CT 10\.77\.0\.21"\]')
        self.assertRegex(dot, r'"p\d+" -> "cj\d+" \[label="dicom tcp/104, 42 packets"\]')
        if not shutil.which("dot"):
            if os.environ.get("CI") == "true":
                self.fail("graphviz is installed in CI (scripts/install-deps.sh --test)")
            self.skipTest("graphviz (dot) not installed")
        svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
        self.assertEqual(svg.returncode, 0, svg.stderr)
        self.assertIn("<svg", svg.stdout)
        self.assertIn("CLOVERLEAF@LAB", svg.stdout)

    def test_svg_map_needs_graphviz_and_says_so_without_it(self):
        out = os.path.join(self.dir, "map.svg")
        if shutil.which("dot"):
            p = run("report", "--db", self.db, "--format", "svg", "-o", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out) as f:
                svg = f.read()
            self.assertTrue(svg.startswith("<?xml"), svg[:80])
            self.assertIn("<svg", svg)
            self.assertIn("Crown jewels and who talks to them", svg)
            self.assertIn("CLOVERLEAF@LAB", svg)
            os.unlink(out)
        elif os.environ.get("CI") == "true":
            self.fail("graphviz is installed in CI (scripts/install-deps.sh --test)")
        # No dot on PATH: one error line naming Graphviz, exit 1, no file; the HTML report says so in place.
        empty = tempfile.mkdtemp(dir=self.dir)
        p = run("report", "--db", self.db, "--format", "svg", "-o", out, env={**os.environ, "PATH": empty})
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("graphviz", p.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith("map.svg")], [])  # no temporary left
        p = run("report", "--db", self.db, "--format", "html", env={**os.environ, "PATH": empty})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('<p class="note">No picture of the map: ', p.stdout)
        self.assertIn("Crown jewels and who talks to them", p.stdout)

    def test_the_classification_in_the_database_matches_the_report(self):
        doc = json.loads(self.report("json"))
        con = sqlite3.connect(self.db)
        stored = dict(con.execute("SELECT asset_id, category FROM classifications").fetchall())
        con.close()
        self.assertEqual(stored, {a["id"]: a["category"] for a in doc["assets"]})


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            import chromium_cdp  # noqa: F401  (needs python3-websocket)
            have = chromium_cdp.chromium_binary() is not None
        except ImportError:
            have = False
        if not have:
            if os.environ.get("CI") == "true":
                raise AssertionError("chromium and python3-websocket are installed in CI (scripts/install-deps.sh --test)")
            raise unittest.SkipTest("needs chromium and python3-websocket (scripts/install-deps.sh --test)")
        cls.dir = tempfile.mkdtemp(prefix="ww-html-")
        cls.db = os.path.join(cls.dir, "inv.db")
        assert run("read", LAB_PCAP, IDENTITY_PCAP, "--db", cls.db, "--quiet").returncode == 0
        cls.html = os.path.join(cls.dir, "report.html")
        p = run("report", "--db", cls.db, "--format", "html", "-o", cls.html)
        assert p.returncode == 0, p.stderr
        cls.report = json.loads(run("report", "--db", cls.db, "--format", "json").stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def open(self, path):
        import chromium_cdp
        browser = chromium_cdp.Browser().__enter__()
        self.addCleanup(browser.__exit__, None, None, None)
        page = browser.open(path)
        self.addCleanup(page.close)
        return page

    ROWS = "Array.prototype.slice.call(document.querySelectorAll('#assets tbody tr'))"

    def visible_rows(self, page):
        return page.evaluate(f"{self.ROWS}.filter(function (r) {{ return !r.hidden; }}).length")

    def test_loads_offline_with_no_error_and_one_row_per_device(self):
        page = self.open(self.html)
        self.assertEqual(page.errors, [])
        self.assertEqual(page.requests, ["file://" + self.html])
        self.assertEqual(page.evaluate("document.querySelectorAll('#assets tbody tr').length"), len(self.report["assets"]))
        csp = page.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
        self.assertIn("default-src 'none'", csp)
        out = os.path.join(os.environ.get("WARDWATCH_ARTIFACTS", self.dir), "report-screenshot.png")
        page.screenshot(out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print(f"html report: {os.path.getsize(self.html)} bytes, {len(self.report['assets'])} devices, "
              f"loaded in {page.load_seconds:.2f} s; screenshot {out}")

    def test_filter_narrows_and_sort_orders_the_table(self):
        page = self.open(self.html)
        total = len(self.report["assets"])
        infusion = sum(1 for a in self.report["assets"] if a["category"] == "infusion")
        self.assertGreater(infusion, 0)
        page.evaluate("(function () { var i = document.getElementById('filter'); i.value = 'infusion';"
                      " i.dispatchEvent(new Event('input')); })()")
        self.assertEqual(self.visible_rows(page), infusion)
        self.assertEqual(page.evaluate("document.getElementById('shown').textContent"), str(infusion))
        page.evaluate("(function () { var i = document.getElementById('filter'); i.value = '';"
                      " i.dispatchEvent(new Event('input')); })()")
        self.assertEqual(self.visible_rows(page), total)
        # A click on "category" sorts by it, a second click reverses.
        page.evaluate("document.querySelectorAll('#assets th')[3].click()")
        cats = page.evaluate(f"{self.ROWS}.map(function (r) {{ return r.cells[3].textContent; }})")
        self.assertEqual(cats, sorted(cats))
        page.evaluate("document.querySelectorAll('#assets th')[3].click()")
        cats = page.evaluate(f"{self.ROWS}.map(function (r) {{ return r.cells[3].textContent; }})")
        self.assertEqual(cats, sorted(cats, reverse=True))
        self.assertEqual(page.errors, [])

    def test_a_device_section_opens_with_its_evidence(self):
        page = self.open(self.html)
        pump = next(i for i, a in enumerate(self.report["assets"]) if a["mac"] == "02:88:00:00:00:07")
        page.evaluate(f"location.hash = '#d{pump}'")
        text = page.evaluate(f"getComputedStyle(document.getElementById('d{pump}')).display + '|' + "
                             f"document.getElementById('d{pump}').textContent")
        display, content = text.split("|", 1)
        self.assertEqual(display, "block")
        self.assertIn("infusion-pump-07", content)
        self.assertIn("dhcp.vendor_class", content)          # a fact
        self.assertIn("Baxter SIGMA Spectrum 8.01", content)  # its value
        self.assertIn("Why", content)                         # the evidence table

    def test_map_and_conversations_in_the_page(self):
        page = self.open(self.html)
        if shutil.which("dot"):
            self.assertGreater(page.evaluate("document.querySelectorAll('#map .map svg g.node').length"), 5)
        rows = page.evaluate("Array.prototype.slice.call(document.querySelectorAll('#map table tbody tr'))"
                             ".map(function (r) { return r.textContent; })")
        self.assertTrue(any("10.77.0.21" in r and "dicom tcp/104" in r for r in rows), rows)
        ct = next(i for i, a in enumerate(self.report["assets"]) if a["mac"] == "44:4b:5d:77:00:21")
        page.evaluate(f"location.hash = '#d{ct}'")
        content = page.evaluate(f"document.getElementById('d{ct}').textContent")
        self.assertIn("Conversations", content)
        self.assertIn("10.77.0.10", content)
        self.assertEqual(page.errors, [])

    def test_wire_text_is_shown_never_run(self):
        cap, db, html = (os.path.join(self.dir, n) for n in ("hostile.pcap", "hostile.db", "hostile.html"))
        name = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
        hostile_dhcp_pcap(cap, name)
        self.assertEqual(run("read", cap, "--db", db, "--quiet").returncode, 0)
        self.assertEqual(run("report", "--db", db, "--format", "html", "-o", html).returncode, 0)
        page = self.open(html)
        self.assertIsNone(page.evaluate("window.pwned === undefined ? null : window.pwned"))
        self.assertIn(name, page.evaluate("document.getElementById('assets').textContent"))
        self.assertEqual(page.requests, ["file://" + html])  # the <img> was text, not an image to fetch
        self.assertEqual(page.errors, [])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    ok = len(result.failures) + len(result.errors) == 0
    print(f"e2e-reports: {result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)} passed, "
          f"{len(result.failures) + len(result.errors)} failed, {len(result.skipped)} skipped")
    sys.exit(0 if ok else 1)
