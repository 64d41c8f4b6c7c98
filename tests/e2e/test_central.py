#!/usr/bin/python3
"""The central store (docs/central.md) end to end, against a real PostgreSQL server started here
(pg_cluster.py: initdb/pg_ctl in a temporary directory, as `nobody` when root, a Unix socket only, password
authentication with the password in a pgpass file):

- three agents push three captures (two of them share devices: the lab capture and its truncated copy, as two
  SPAN ports of one hospital) into one central database; the central JSON export has one asset per device,
  each carrying the agents and sites that saw it, with the counters of both, and validates against the schema;
- --site on export, report, fingerprint --explain and diff;
- a second push sends no device row again (idempotent), a push after new traffic sends only what changed;
- a push cut off by stopping PostgreSQL in its middle (immediate shutdown while it waits on a table lock) is
  rolled back whole, and the next push completes it: every table of that agent then holds exactly the local
  rows, and the central export of its site equals the local export;
- bad input: an unreachable server, a password in the URL, a wrong password (never echoed), a damaged local
  database (nothing pushed), a central schema newer than this wardwatch;
- a live agent (capture --push-to, as root) pushes on its interval and once more at exit.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, LAB, REPO, hostile_dhcp_pcap, schema_validator  # noqa: E402
import pg_cluster  # noqa: E402

LAB_PCAP = os.path.join(LAB, "hospital-lab.pcap")
LAB_TRUNCATED = os.path.join(LAB, "hospital-lab-truncated.pcap")
IDENTITY_PCAP = os.path.join(REPO, "tests", "fixtures", "identity", "identity-lab.pcap")
DEVICE_TABLES = ("macs", "mac_vlans", "bindings", "services", "conversations", "observations")
AGENTS = (("icu-span", "st-luc", LAB_PCAP), ("core-span", "st-luc", LAB_TRUNCATED),
          ("erasme-span", "erasme", IDENTITY_PCAP))


def mac_ids(inventory):
    return {a["id"] for a in inventory["assets"] if a["mac"]}


class Central(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = pg_cluster.available()
        if why:
            raise unittest.SkipTest(why)
        cls.dir = tempfile.mkdtemp(prefix="ww-central-")
        cls.pg = pg_cluster.PgCluster()
        cls.local = {}
        for agent, site, capture in AGENTS:
            db = os.path.join(cls.dir, agent + ".db")
            proc = cls.ww("read", capture, "--db", db, "--quiet")
            assert proc.returncode == 0, proc.stderr
            proc = cls.ww("push", "--db", db, "--to", cls.pg.url(), "--agent-id", agent, "--site", site)
            assert proc.returncode == 0, proc.stderr
            cls.local[agent] = (db, cls.export(db))
        cls.central = cls.export(cls.pg.url())

    @classmethod
    def tearDownClass(cls):
        cls.pg.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def ww(cls, *args, env=None, timeout=120):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout,
                              env=env or cls.pg.env())

    @classmethod
    def export(cls, db, *extra):
        proc = cls.ww("export", "--db", db, "--format", "json", *extra)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def agent_rows(self, agent, table):
        return int(self.pg.psql(f"SELECT count(*) FROM {table} WHERE agent_id = '{agent}'"))

    def local_rows(self, db, table):
        con = sqlite3.connect(db)
        try:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            con.close()

    # --- three agents, one inventory -----------------------------------------------------------------

    def test_one_asset_per_device_with_every_agent_that_saw_it(self):
        icu, core, erasme = (self.local[a][1] for a, _, _ in AGENTS)
        self.assertEqual(mac_ids(self.central), mac_ids(icu) | mac_ids(core) | mac_ids(erasme))
        shared = mac_ids(icu) & mac_ids(core)
        self.assertGreaterEqual(len(shared), 5)  # the truncated copy still holds most lab devices
        by_id = {a["id"]: a for a in self.central["assets"]}
        icu_by_id = {a["id"]: a for a in icu["assets"]}
        core_by_id = {a["id"]: a for a in core["assets"]}
        for asset_id in shared:
            a = by_id[asset_id]
            self.assertEqual(a["seen_by"], [{"agent_id": "core-span", "site": "st-luc"},
                                            {"agent_id": "icu-span", "site": "st-luc"}], asset_id)
            # The evidence of both: counters add up, facts of either are kept.
            for counter in ("packets", "bytes"):
                self.assertEqual(a[counter]["sent"],
                                 icu_by_id[asset_id][counter]["sent"] + core_by_id[asset_id][counter]["sent"])
            facts = {(o["key"], o["value"]) for o in a["observations"]}
            for side in (icu_by_id[asset_id], core_by_id[asset_id]):
                self.assertLessEqual({(o["key"], o["value"]) for o in side["observations"]}, facts)
        for asset_id in mac_ids(erasme) - mac_ids(icu) - mac_ids(core):
            self.assertEqual(by_id[asset_id]["seen_by"], [{"agent_id": "erasme-span", "site": "erasme"}])
        self.assertEqual(sorted((s["agent_id"], s["name"]) for s in self.central["sources"]),
                         [("core-span", "hospital-lab-truncated.pcap"), ("erasme-span", "identity-lab.pcap"),
                          ("icu-span", "hospital-lab.pcap")])
        schema_validator().validate(self.central)

    def test_an_agents_own_export_carries_no_provenance(self):
        icu = self.local["icu-span"][1]
        self.assertTrue(all("seen_by" not in a for a in icu["assets"]))
        self.assertTrue(all("agent_id" not in s for s in icu["sources"]))

    def test_classification_survives_the_trip(self):
        # One agent's database, pushed and read back from the centre, classifies as the local file does.
        erasme = self.export(self.pg.url(), "--site", "erasme")
        local = self.local["erasme-span"][1]
        self.assertEqual({a["id"]: a["classification"]["category"] for a in erasme["assets"]},
                         {a["id"]: a["classification"]["category"] for a in local["assets"]})

    # --- --site ----------------------------------------------------------------------------------------

    def test_site_filter_on_export_report_explain_and_diff(self):
        st_luc = self.export(self.pg.url(), "--site", "st-luc")
        self.assertEqual(mac_ids(st_luc), mac_ids(self.local["icu-span"][1]) | mac_ids(self.local["core-span"][1]))
        self.assertEqual({s["site"] for s in st_luc["sources"]}, {"st-luc"})
        nowhere = self.export(self.pg.url(), "--site", "no-such-site")
        self.assertEqual(nowhere["assets"], [])

        proc = self.ww("report", "--db", self.pg.url(), "--site", "st-luc", "--format", "csv")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(proc.stdout.strip().splitlines()) - 1, len(st_luc["assets"]))

        shared = sorted(mac_ids(self.local["icu-span"][1]) & mac_ids(self.local["core-span"][1]))[0]
        proc = self.ww("fingerprint", "--explain", shared[4:], "--db", self.pg.url(), "--site", "st-luc")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("seen by: core-span (site st-luc) icu-span (site st-luc)", proc.stdout)
        proc = self.ww("fingerprint", "--explain", shared[4:], "--db", self.pg.url(), "--site", "erasme")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no asset", proc.stderr)

        proc = self.ww("diff", self.pg.url(), self.pg.url(), "--site", "erasme")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        diff = json.loads(proc.stdout)
        self.assertEqual((diff["new"], diff["gone"], diff["changed"]), ([], [], []))
        proc = self.ww("diff", self.local["icu-span"][0], self.pg.url())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        diff = json.loads(proc.stdout)
        self.assertEqual({d["id"] for d in diff["new"]} & mac_ids(self.central),
                         mac_ids(self.central) - mac_ids(self.local["icu-span"][1]))
        self.assertEqual(diff["gone"], [])

        proc = self.ww("export", "--db", self.local["icu-span"][0], "--site", "st-luc")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("--site selects rows of a central store", proc.stderr)

    # --- idempotent, incremental, interrupted ----------------------------------------------------------

    def test_a_second_push_sends_no_device_row(self):
        db = self.local["icu-span"][0]
        before = {t: self.agent_rows("icu-span", t) for t in DEVICE_TABLES}
        proc = self.ww("push", "--db", db, "--to", self.pg.url(), "--agent-id", "icu-span", "--site", "st-luc")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("(changes, clock", proc.stderr)
        for table in DEVICE_TABLES:
            self.assertNotRegex(proc.stderr, rf" {table} \d")
        self.assertEqual({t: self.agent_rows("icu-span", t) for t in DEVICE_TABLES}, before)
        self.assertEqual(before["observations"], self.local_rows(db, "observations"))

    def test_interrupted_push_is_completed_by_the_next(self):
        db = os.path.join(self.dir, "fault.db")
        shutil.copy(self.local["icu-span"][0], db)
        push = ("push", "--db", db, "--to", self.pg.url(), "--agent-id", "fault", "--site", "lab")
        self.assertEqual(self.ww(*push).returncode, 0)
        first = {t: self.agent_rows("fault", t) for t in DEVICE_TABLES}
        # New traffic: the identity lab's devices join this agent's database.
        self.assertEqual(self.ww("read", IDENTITY_PCAP, "--db", db, "--quiet").returncode, 0)
        local = {t: self.local_rows(db, t) for t in DEVICE_TABLES}
        self.assertGreater(local["observations"], first["observations"])

        # Hold a lock on the central observations table, so that the push stops there, then stop the server.
        locker = subprocess.Popen(["psql", "-X", "-q", "-At", "-d", self.pg.url()], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=self.pg.env())
        self.addCleanup(locker.stdout.close)
        self.addCleanup(locker.stdin.close)
        self.addCleanup(locker.wait)
        self.addCleanup(locker.kill)
        locker.stdin.write("BEGIN; LOCK TABLE observations IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
        locker.stdin.flush()
        self.assertEqual(locker.stdout.readline().strip(), "locked")
        pusher = subprocess.Popen([BINARY, *push, "--verbose"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  text=True, env=self.pg.env())
        seen = []
        for line in pusher.stderr:
            seen.append(line)
            if "pushing observations" in line:
                break
        time.sleep(0.5)  # it now waits on the lock, its transaction holding the other tables' rows
        self.pg.stop("immediate")
        rest = pusher.stderr.read()
        pusher.stderr.close()
        self.assertEqual(pusher.wait(timeout=60), 1, "".join(seen) + rest)
        errors = [l for l in rest.splitlines() if l.startswith("wardwatch: error:")]
        self.assertEqual(len(errors), 1, rest)
        self.assertNotIn(self.pg.password, rest)
        self.pg.start()
        # Nothing of the cut-off push is there: the central rows are those of the first push.
        self.assertEqual({t: self.agent_rows("fault", t) for t in DEVICE_TABLES}, first)

        proc = self.ww(*push)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual({t: self.agent_rows("fault", t) for t in DEVICE_TABLES}, local)
        central = self.export(self.pg.url(), "--site", "lab")
        mine = self.export(db)
        for inv in (central, mine):
            for a in inv["assets"]:
                a.pop("seen_by", None)
            for s in inv["sources"]:
                s.pop("agent_id", None)
                s.pop("site", None)
        self.assertEqual(central["assets"], mine["assets"])
        self.assertEqual(central["stats"], mine["stats"])

    def test_wire_text_and_odd_names_cross_unchanged(self):
        # COPY's text format escapes tab, newline and backslash; quotes go as parameters or quoted literals.
        cap, db = (os.path.join(self.dir, n) for n in ("odd.pcap", "odd.db"))
        hostile_dhcp_pcap(cap, "ward\t7\\bed\n3'; DROP TABLE macs;--")
        self.assertEqual(self.ww("read", cap, "--db", db, "--quiet").returncode, 0)
        site = "site\twith 'quotes'\\"
        proc = self.ww("push", "--db", db, "--to", self.pg.url(), "--agent-id", "odd'agent", "--site", site)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        central = self.export(self.pg.url(), "--site", site)
        local = self.export(db)
        self.assertEqual([a["observations"] for a in central["assets"]], [a["observations"] for a in local["assets"]])
        self.assertEqual(central["assets"][0]["seen_by"], [{"agent_id": "odd'agent", "site": site}])
        self.assertIn("macs", self.pg.psql("SELECT string_agg(tablename, ' ') FROM pg_tables"))

    # --- bad input -----------------------------------------------------------------------------------

    def test_unreachable_server(self):
        db = self.local["icu-span"][0]
        proc = self.ww("push", "--db", db, "--to", "postgresql://wwadmin@/wardwatch?host=/nonexistent-ww",
                       "--agent-id", "x")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("cannot connect to the central store postgresql://wwadmin@/wardwatch", proc.stderr)
        self.assertEqual(self.local_rows(db, "macs"), self.agent_rows("icu-span", "macs"))  # local data kept

    def test_password_in_url_is_refused_and_never_echoed(self):
        url = self.pg.url().replace("wwadmin@", f"wwadmin:{self.pg.password}@")
        for args in (("push", "--db", self.local["icu-span"][0], "--to", url), ("export", "--db", url)):
            proc = self.ww(*args)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn("carries a password", proc.stderr)
            self.assertNotIn(self.pg.password, proc.stderr)

    def test_wrong_password(self):
        wrong = os.path.join(self.dir, "wrong-pgpass")
        with open(wrong, "w") as f:
            f.write("*:*:*:wwadmin:not-the-Password-42\n")
        os.chmod(wrong, 0o600)
        proc = self.ww("push", "--db", self.local["icu-span"][0], "--to", self.pg.url(),
                       env=self.pg.env(PGPASSFILE=wrong))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("password authentication failed", proc.stderr)
        self.assertNotIn("not-the-Password-42", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_damaged_local_database_pushes_nothing(self):
        agents_before = self.pg.psql("SELECT count(*) FROM agents")
        damaged = os.path.join(self.dir, "damaged.db")
        shutil.copy(self.local["icu-span"][0], damaged)
        size = os.path.getsize(damaged)
        with open(damaged, "r+b") as f:  # a page in the middle overwritten (the header stays valid)
            f.seek(size // 2 // 4096 * 4096)
            f.write(b"\xa5" * 4096)
        not_db = os.path.join(self.dir, "not.db")
        with open(not_db, "wb") as f:
            f.write(b"this is not a database" * 100)
        for path in (damaged, not_db):
            proc = self.ww("push", "--db", path, "--to", self.pg.url(), "--agent-id", "damaged")
            self.assertEqual(proc.returncode, 1, path)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM agents"), agents_before)

    def test_newer_central_schema_is_refused(self):
        self.pg.psql("UPDATE wardwatch_schema SET version = 99")
        try:
            for args in (("push", "--db", self.local["icu-span"][0], "--to", self.pg.url()),
                         ("export", "--db", self.pg.url())):
                proc = self.ww(*args)
                self.assertEqual(proc.returncode, 1, args)
                self.assertIn("schema version 99, newer than this wardwatch supports", proc.stderr)
        finally:
            self.pg.psql("UPDATE wardwatch_schema SET version = 1")

    def test_empty_central_store(self):
        self.pg.psql("CREATE DATABASE empty", db="postgres")
        proc = self.ww("export", "--db", self.pg.url(db="empty"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("holds no inventory", proc.stderr)

    # --- a live agent ----------------------------------------------------------------------------------

    def test_live_agent_pushes_on_its_interval(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to capture on lo (run the suite as root)")
        db = os.path.join(self.dir, "live.db")
        ping = subprocess.Popen(["ping", "-q", "-i", "0.2", "-c", "25", "127.0.0.1"], stdout=subprocess.DEVNULL)
        proc = self.ww("capture", "-i", "lo", "--duration", "4", "--db", db, "--push-to", self.pg.url(),
                       "--push-interval", "1", "--agent-id", "live", "--site", "lab", "--quiet", timeout=60)
        ping.wait()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        pushes = int(self.pg.psql("SELECT pushes FROM agents WHERE agent_id = 'live'"))
        self.assertGreaterEqual(pushes, 3)  # about one a second, and the last one at exit
        # The last push carried the finished run.
        self.assertEqual(self.pg.psql("SELECT state FROM runs WHERE agent_id = 'live'"), "complete")
        self.assertEqual(self.agent_rows("live", "bindings"), self.local_rows(db, "bindings"))

    def test_push_to_needs_a_database(self):
        proc = self.ww("capture", "-i", "lo", "--push-to", self.pg.url(), "--duration", "1")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--push-to needs --db", proc.stderr)


if __name__ == "__main__":
    why = pg_cluster.available()
    if why:
        print(f"e2e-central: skipped: {why}")
        sys.exit(77)
    result = unittest.main(exit=False, verbosity=1).result
    ok = len(result.failures) + len(result.errors) == 0
    print(f"e2e-central: {result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)} passed, "
          f"{len(result.failures) + len(result.errors)} failed, {len(result.skipped)} skipped")
    sys.exit(0 if ok else 1)
