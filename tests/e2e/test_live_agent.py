#!/usr/bin/python3
"""The live agent as a SPAN-port service runs it (issue: a live agent that runs for months), end to end in
network namespaces:

- a silent interface: SIGTERM and --duration are honoured within a second (poll on the capture descriptor
  and a signalfd, not libpcap's read timeout);
- -Z USER: while capturing, the process's Uid is not 0 and CapEff/CapPrm are 0;
- the JSON is rewritten atomically every --json-interval, status lines every --status-interval;
- two interfaces in one process (-i twice); an interface deleted while capturing: clear error, last
  flush written, exit 1;
- the configuration file: values used, command line wins, unknown/malformed lines exit 2 naming the line;
- `wardwatch status --db` shows the run.

Needs root and `ip netns`; exits 77 (skipped) with a clear message otherwise. Addresses 10.97.0.0/24, only
inside the namespaces made here; everything is removed on exit."""
import json
import os
import pwd
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY  # noqa: E402

NS = {"sw": "wwagent-sw", "a": "wwagent-a", "b": "wwagent-b", "s": "wwagent-s"}
MAC = {"a": "02:97:00:00:00:0a", "b": "02:97:00:00:00:0b"}
IP = {"a": "10.97.0.10", "b": "10.97.0.11"}
RESULTS = {"passed": 0, "failed": []}


def sh(*cmd, check=True, ns=None, timeout=30):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(full, check=check, capture_output=True, text=True, timeout=timeout)


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"].append(what)


def cleanup():
    for ns in NS.values():
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def setup():
    cleanup()
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", "br0", "type", "bridge", "ageing_time", "0", ns=NS["sw"])  # ageing 0: a hub
    sh("ip", "link", "set", "br0", "up", ns=NS["sw"])
    for host in ("a", "b", "s"):
        sh("ip", "link", "add", "p-" + host, "netns", NS["sw"], "type", "veth", "peer", "name", "eth0", "netns", NS[host])
        sh("ip", "link", "set", "p-" + host, "master", "br0", "up", ns=NS["sw"])
    for host in ("a", "b"):
        sh("ip", "link", "set", "eth0", "address", MAC[host], ns=NS[host])
        sh("ip", "addr", "add", IP[host] + "/24", "dev", "eth0", ns=NS[host])
        sh("ip", "link", "set", "eth0", "up", ns=NS[host])
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=NS["s"])
    sh("ip", "link", "set", "eth0", "up", ns=NS["s"])
    # A second, silent port on the sensor (a veth pair inside it): for -i twice and for deletion.
    sh("ip", "link", "add", "quiet0", "type", "veth", "peer", "name", "quiet1", ns=NS["s"])
    sh("ip", "link", "set", "quiet0", "up", ns=NS["s"])
    sh("ip", "link", "set", "quiet1", "up", ns=NS["s"])
    time.sleep(0.5)


def ping(count=3):
    sh("ping", "-c", str(count), "-i", "0.2", IP["b"], ns=NS["a"], check=False)


def agent(*args):
    return subprocess.Popen(["ip", "netns", "exec", NS["s"], BINARY, "capture", "--config", "/dev/null", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc, sig=signal.SIGTERM, timeout=30):
    started = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=timeout)
    return time.monotonic() - started, err


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def test_silent_interface(out):
    # quiet1 carries nothing at all: a blocking libpcap read would never return.
    p = agent("-i", "quiet1", "--db", os.path.join(out, "silent.db"), "--quiet")
    time.sleep(1.5)
    took, err = stop(p)
    check(p.returncode == 0 and took < 1.5, f"SIGTERM on a silent interface: exit {p.returncode} in {took:.2f} s {err.strip()[:200]}")
    p = agent("-i", "quiet1", "--db", os.path.join(out, "silent.db"), "--quiet")
    time.sleep(1.0)
    took, _ = stop(p, signal.SIGINT)
    check(p.returncode == 0 and took < 1.5, f"SIGINT on a silent interface: exit {p.returncode} in {took:.2f} s")
    # Timed from the "capturing on" line, so that a slow start on a busy machine (loading the OUI registry
    # and the rules) does not count: what is checked is that the loop ends on time on a silent interface.
    p = subprocess.Popen(["ip", "netns", "exec", NS["s"], BINARY, "capture", "--config", "/dev/null", "-i", "quiet1",
                          "--duration", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = p.stderr.readline()
    started = time.monotonic()
    p.stderr.read()
    p.wait(timeout=30)
    took = time.monotonic() - started
    check(p.returncode == 0 and "capturing on quiet1" in first and 1.9 < took < 3.0,
          f"--duration 2 on a silent interface ends {took:.2f} s after capture started")


def test_privileges_and_periodic_outputs(out):
    # The database and the JSON live in a directory that `nobody` may write (as /var/lib/wardwatch is the
    # wardwatch user's).
    state = os.path.join(out, "state")
    os.mkdir(state)
    nobody = pwd.getpwnam("nobody")
    os.chown(state, nobody.pw_uid, nobody.pw_gid)
    db, js = os.path.join(state, "inv.db"), os.path.join(state, "inv.json")
    p = agent("-i", "eth0", "-i", "quiet1", "-Z", "nobody", "--db", db, "--json", js, "--json-interval", "1",
              "--flush-interval", "1", "--status-interval", "1")
    time.sleep(1.0)
    st = proc_status(p.pid)
    uid = st.get("Uid", "0").split()
    check(p.poll() is None and uid[0] != "0" and uid[1] != "0", f"-Z nobody: the capturing process runs as uid {uid}")
    check(int(st.get("CapEff", "f"), 16) == 0 and int(st.get("CapPrm", "f"), 16) == 0,
          f"no capability left while capturing (CapEff {st.get('CapEff')}, CapPrm {st.get('CapPrm')})")
    ping(4)
    time.sleep(2.5)
    doc = None
    try:
        with open(js) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"  JSON not readable while capturing: {e}")
    macs = {a["mac"] for a in doc["assets"]} if doc else set()
    check(MAC["a"] in macs and MAC["b"] in macs, "the JSON is rewritten while capturing (--json-interval 1) and holds both hosts")
    check(not [n for n in os.listdir(state) if ".tmp." in n], "no temporary JSON file left beside it")
    status = subprocess.run([BINARY, "status", "--db", db], capture_output=True, text=True, timeout=60)
    check(status.returncode == 0 and ": running" in status.stdout and "live:eth0" not in status.stdout,
          f"status while capturing: the run is running, sources not yet recorded\n{status.stdout}{status.stderr}")
    took, err = stop(p)
    check(p.returncode == 0, f"-Z run stops cleanly (exit {p.returncode}: {err.strip()[-300:]})")
    check(err.count("wardwatch: status:") >= 2 and "medical devices" in err, "status lines every --status-interval")
    status = subprocess.run([BINARY, "status", "--db", db], capture_output=True, text=True, timeout=60)
    check(status.returncode == 0 and ": complete" in status.stdout and "live:eth0" in status.stdout
          and "live:quiet1" in status.stdout, f"status after the stop: complete, both interfaces recorded\n{status.stdout}")
    mode = os.stat(db).st_mode & 0o777
    check(mode & 0o007 == 0, f"the database is not world-readable (mode {mode:o})")
    check(os.stat(db).st_uid == nobody.pw_uid, "the database files belong to the -Z user")


def test_interface_deleted(out):
    db = os.path.join(out, "gone.db")
    sh("ip", "link", "add", "gone0", "type", "veth", "peer", "name", "gone1", ns=NS["s"])
    sh("ip", "link", "set", "gone0", "up", ns=NS["s"])
    sh("ip", "link", "set", "gone1", "up", ns=NS["s"])
    p = agent("-i", "gone0", "-i", "eth0", "--db", db, "--flush-interval", "1")
    time.sleep(1.0)
    ping(2)
    sh("ip", "link", "del", "gone0", ns=NS["s"])
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    check(p.returncode == 1 and "gone0" in err, f"a deleted interface: exit {p.returncode} with a clear error: {err.strip()[-200:]}")
    con = sqlite3.connect(db)
    macs = {r[0] for r in con.execute("SELECT mac FROM macs")}
    state = con.execute("SELECT state FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    check(MAC["a"] in macs and state == "failed", f"the last flush was written (hosts stored, run state {state})")


def test_kill_9_loses_at_most_one_flush_interval(out):
    db = os.path.join(out, "killed.db")
    p = agent("-i", "eth0", "--db", db, "--flush-interval", "1", "--quiet")
    time.sleep(1.0)
    ping(3)
    time.sleep(2.0)  # two flush intervals after the traffic
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=10)
    con = sqlite3.connect(db)
    macs = {r[0] for r in con.execute("SELECT mac FROM macs")}
    sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    check(integrity == "ok" and MAC["a"] in macs and sources == 0,
          f"kill -9 of a capture: what was flushed a second earlier is there ({len(macs)} MACs), no source claimed, intact")
    q = subprocess.run(["ip", "netns", "exec", NS["s"], BINARY, "capture", "--config", "/dev/null", "-i", "quiet1",
                        "--db", db, "--duration", "1", "--quiet"], capture_output=True, text=True, timeout=30)
    con = sqlite3.connect(db)
    states = [r[0] for r in con.execute("SELECT state FROM runs ORDER BY id")]
    con.close()
    check(q.returncode == 0 and states == ["interrupted", "complete"], f"the next run reopens it; runs: {states}")


def test_disk_fills_while_capturing(out):
    mnt = os.path.join(out, "tiny")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], capture_output=True).returncode != 0:
        print("SKIP (part): cannot mount a tmpfs here")
        return
    try:
        db = os.path.join(mnt, "inv.db")
        # Room for the schema and a few flushes, not for many: fill the rest.
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/filler", "bs=1k", "count=900"], capture_output=True)
        p = agent("-i", "eth0", "--db", db, "--flush-interval", "1", "--max-observations", "4096",
                  "--max-values-per-key", "4096")
        deadline = time.monotonic() + 40
        while p.poll() is None and time.monotonic() < deadline:
            # Many distinct facts: DNS-like names would need a server; distinct ping sizes and TTLs are
            # enough to make each flush write new pages.
            sh("ping", "-c", "20", "-i", "0.05", "-s", str(int(time.monotonic() * 1000) % 1400), IP["b"],
               ns=NS["a"], check=False)
        if p.poll() is None:
            p.kill()
        _, err = p.communicate(timeout=10)
        lines = [line for line in err.splitlines() if line.startswith("wardwatch: error")]
        check(p.returncode == 1 and any("full" in line for line in lines),
              f"a disk that fills while capturing: exit {p.returncode}, {lines[:1]}")
        con = sqlite3.connect(db)
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        check(integrity == "ok", "the database on the full disk is intact")
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)


def test_config_file(out):
    conf = os.path.join(out, "wardwatch.conf")
    db = os.path.join(out, "conf.db")
    with open(conf, "w") as f:
        f.write(f"# a comment\ninterface = quiet1\ndb = {db}\nduration = 5\nquiet = true\n")
    started = time.monotonic()
    p = subprocess.run(["ip", "netns", "exec", NS["s"], BINARY, "capture", "--config", conf, "--duration", "1"],
                       capture_output=True, text=True, timeout=30)
    took = time.monotonic() - started
    check(p.returncode == 0 and took < 3 and os.path.exists(db),
          f"configuration file read (interface, db from it; --duration 1 on the command line wins: {took:.1f} s)")
    with open(conf, "a") as f:
        f.write("max-flowz = 10\n")
    p = subprocess.run([BINARY, "capture", "--config", conf], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and f"{conf}:6: unknown option 'max-flowz'" in p.stderr, f"unknown option: exit 2 naming the line: {p.stderr.strip()}")
    with open(conf, "w") as f:
        f.write("interface = eth0\njust some words\n")
    p = subprocess.run([BINARY, "capture", "--config", conf], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and f"{conf}:2:" in p.stderr, f"malformed line: exit 2 naming the line: {p.stderr.strip()}")
    with open(conf, "w") as f:
        f.write("interface = eth0\nmax-flows = lots\n")
    p = subprocess.run([BINARY, "capture", "--config", conf], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and f"{conf}:2:" in p.stderr and "max-flows" in p.stderr,
          f"bad value: exit 2 naming the line and the option: {p.stderr.strip()[:200]}")


def test_sd_notify(out):
    # systemd's notification protocol (sd_notify(3)): a datagram socket named by NOTIFY_SOCKET, as systemd
    # gives a Type=notify service with WatchdogSec= (WATCHDOG_USEC).
    path = os.path.join(out, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    p = subprocess.Popen(["ip", "netns", "exec", NS["s"], BINARY, "capture", "--config", "/dev/null", "-i", "quiet1",
                          "--db", os.path.join(out, "notify.db"), "--status-interval", "1", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    messages = []
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        try:
            messages.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    stop(p)
    for _ in range(20):
        try:
            messages.append(sock.recv(4096).decode())
        except socket.timeout:
            break
    sock.close()
    ready = [i for i, m in enumerate(messages) if "READY=1" in m]
    check(bool(ready) and "STATUS=capturing on quiet1" in messages[ready[0]],
          f"READY=1 with its status: {messages[:2]}")
    watchdog = sum(m.count("WATCHDOG=1") for m in messages)
    check(watchdog >= 5, f"WATCHDOG=1 at a quarter of WATCHDOG_USEC (400 ms) for 2.5 s: {watchdog} pings")
    check(any(m.startswith("STATUS=") and "packets" in m for m in messages),
          f"the status line as STATUS=: {[m for m in messages if m.startswith('STATUS=')][:2]}")
    stopping = [i for i, m in enumerate(messages) if "STOPPING=1" in m]
    check(bool(stopping) and ready and stopping[-1] > ready[0] and p.returncode == 0,
          f"STOPPING=1 after READY on SIGTERM, exit {p.returncode}")


def main():
    if os.geteuid() != 0:
        print("SKIP: the live agent test needs root (network namespaces, -Z); CI runs it as root")
        return 77
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        print("SKIP: `ip netns` is not available here")
        return 77
    out = tempfile.mkdtemp(prefix="ww-agent-")
    os.chmod(out, 0o755)
    try:
        setup()
        test_silent_interface(out)
        test_privileges_and_periodic_outputs(out)
        test_interface_deleted(out)
        test_kill_9_loses_at_most_one_flush_interval(out)
        test_disk_fills_while_capturing(out)
        test_config_file(out)
        test_sd_notify(out)
    finally:
        cleanup()
    print(f"live-agent: {RESULTS['passed']} passed, {len(RESULTS['failed'])} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
