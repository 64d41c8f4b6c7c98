#!/usr/bin/python3
"""Crash safety of the database, end to end with the real binary:

- kill -9 at eight moments of a `read --db` (including during periodic flushes and the final one): the
  database passes `PRAGMA integrity_check`, a capture file is recorded as read only if every row read from
  it landed (its source row commits in the same transaction as its last rows), the next run opens the same
  database and works, and the killed run is shown as interrupted (`runs.state`, `wardwatch status`);
- two `read --db` started at once on a new file: both succeed (the second waits for the first's lock);
- a disk that fills (a 300 KiB tmpfs, root only): a clear one-line error, exit 1, an intact database.

The input is the project's own generator (bench/gen_flood.py): 100,000 real-looking devices (300,000 packets)
merged with the hospital-lab capture, so that a run lasts long enough to be killed in the middle and writes
many rows at each flush."""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY, LAB, REPO  # noqa: E402

GEN = os.path.join(REPO, "bench", "gen_flood.py")
LAB_PCAP = os.path.join(LAB, "hospital-lab.pcap")
RESULTS = {"passed": 0, "failed": []}


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"].append(what)


def read_db(db, capture, *extra, timeout=300):
    return subprocess.run([BINARY, "read", capture, "--db", db, "--quiet", *extra], capture_output=True, text=True,
                          timeout=timeout)


def totals(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*), coalesce(sum(packets_sent), 0) FROM macs").fetchone()
    finally:
        con.close()


def integrity(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def first_flush_seen(db, proc, limit_s=60):
    """Waits until a flush of the run has committed (runs.last_flush_at is set) or the process ended."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
            try:
                row = con.execute("SELECT last_flush_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            finally:
                con.close()
            if row and row[0]:
                return True
        except sqlite3.Error:
            pass
        time.sleep(0.005)
    return False


def kill_runs(out, capture, clean_totals, clean_seconds):
    # Eight moments: four spread over the run by time, four just after a flush has committed (the first
    # periodic one, or the final one), so that some always fall on committed data and near the final flush
    # whatever the machine's load.
    moments = [("time", 0.1), ("time", 0.3), ("time", 0.5), ("time", 0.7),
               ("after-flush", 0.0), ("after-flush", 0.05), ("after-flush", 0.15), ("after-flush", 0.3)]
    landed = []
    for i, (kind, value) in enumerate(moments):
        frac = f"{kind} {value}"
        db = os.path.join(out, f"kill{i}.db")
        p = subprocess.Popen([BINARY, "read", capture, "--db", db, "--quiet", "--flush-interval", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kind == "time":
            time.sleep(clean_seconds * value)
        else:
            first_flush_seen(db, p)
            time.sleep(value)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if not os.path.exists(db):
            check(True, f"kill at {frac}: killed before the database existed")
            continue
        check(integrity(db) == "ok", f"kill at {frac} (rc {p.returncode}): integrity_check ok")
        con = sqlite3.connect(db)
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
        con.close()
        now = totals(db)
        landed.append("complete" if sources else ("partial" if now[0] else "empty"))
        check(sources == 0 or now == clean_totals,
              f"kill at {frac}: a source is recorded ({sources}) only with all its data ({now} vs {clean_totals})")
        nxt = read_db(db, LAB_PCAP)
        check(nxt.returncode == 0, f"kill at {frac}: the next run uses the same database ({nxt.stderr.strip()[:200]})")
        con = sqlite3.connect(db)
        states = [r[0] for r in con.execute("SELECT state FROM runs ORDER BY id")]
        con.close()
        # The killed run is "interrupted", unless it was killed after it had completed (its source recorded).
        killed_ok = states[0] == "interrupted" or (states[0] == "complete" and sources > 0)
        check(len(states) == 2 and states[-1] == "complete" and killed_ok,
              f"kill at {frac}: runs recorded as {states} (source recorded: {sources > 0})")
        status = subprocess.run([BINARY, "status", "--db", db], capture_output=True, text=True, timeout=60)
        expect = "1 earlier runs" if "interrupted" in states else "0 earlier runs"
        check(status.returncode == 0 and expect in status.stdout, f"kill at {frac}: `status` counts it ({expect})")
    # The property above must have been exercised: some kill fell after a flush had landed.
    check(any(what != "empty" for what in landed), f"some kills fell after a flush had committed: {landed}")


def two_writers(out):
    db = os.path.join(out, "two.db")
    procs = [subprocess.Popen([BINARY, "read", LAB_PCAP, "--db", db, "--quiet"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    check(codes == [0, 0], f"two read --db on a new file at once both succeed ({codes}: {[r[1][:120] for r in results]})")
    con = sqlite3.connect(db)
    runs = con.execute("SELECT count(*) FROM runs WHERE state='complete'").fetchone()[0]
    sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    con.close()
    # The second to get the writer lock finds the capture already read (same content hash) and skips it, saying so.
    skipped = sum("already read into this database" in r[1] for r in results)
    check(runs == 2 and sources == 1 and skipped == 1 and integrity(db) == "ok",
          f"both runs completed, the capture recorded once ({runs} runs, {sources} sources, {skipped} skipped)")


def disk_full(out, capture):
    if os.geteuid() != 0:
        print("SKIP (part): the full-disk check needs root to mount a tmpfs")
        return
    mnt = os.path.join(out, "tiny")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", mnt], capture_output=True).returncode != 0:
        print("SKIP (part): cannot mount a tmpfs here")
        return
    try:
        db = os.path.join(mnt, "full.db")
        p = read_db(db, capture)
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        check(p.returncode == 1 and any("full" in line for line in lines) and len(lines) == 1,
              f"a full disk: exit {p.returncode} with one clear line: {p.stderr.strip()[:300]}")
        check(integrity(db) == "ok", "the database on the full disk is intact")
    finally:
        subprocess.run(["umount", mnt], capture_output=True)


def main():
    out = tempfile.mkdtemp(prefix="ww-crash-")
    capture = os.path.join(out, "mix.pcap")
    subprocess.run(["/usr/bin/python3", GEN, capture, "--kind", "churn", "--count", "300000", "--mix", LAB_PCAP],
                   check=True, capture_output=True, timeout=300)
    clean_db = os.path.join(out, "clean.db")
    started = time.monotonic()
    p = read_db(clean_db, capture, "--flush-interval", "1")
    clean_seconds = time.monotonic() - started
    check(p.returncode == 0, f"clean run: {clean_seconds:.2f} s")
    clean_totals = totals(clean_db)
    kill_runs(out, capture, clean_totals, clean_seconds)
    two_writers(out)
    disk_full(out, capture)
    print(f"crash-safety: {RESULTS['passed']} passed, {len(RESULTS['failed'])} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
