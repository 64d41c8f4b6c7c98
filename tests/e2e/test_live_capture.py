#!/usr/bin/python3
"""Live capture end to end: two hosts behind a bridge in network namespaces, wardwatch listening on a
mirror port. Checks the inventory, the clean stop on SIGTERM (flush, libpcap counters), --duration, and
that the agent never transmitted a frame on the capture interface.

Needs root and `ip netns`; exits 77 (skipped) with a clear message otherwise. Only namespace addresses
(10.99.0.0/24) are used; everything is removed on exit."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY  # noqa: E402

NS = {"sw": "wwlive-sw", "a": "wwlive-a", "b": "wwlive-b", "s": "wwlive-s"}
MAC = {"a": "02:99:00:00:00:0a", "b": "02:99:00:00:00:0b"}
IP = {"a": "10.99.0.10", "b": "10.99.0.11"}


def sh(*cmd, check=True, ns=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    return subprocess.run(full, check=check, capture_output=True, text=True, timeout=30)


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
    # The sensor port has no address and no IPv6: nothing on it may ever transmit.
    sh("sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1", ns=NS["s"])
    sh("ip", "link", "set", "eth0", "up", ns=NS["s"])
    time.sleep(0.5)


def tx_packets():
    return int(sh("cat", "/sys/class/net/eth0/statistics/tx_packets", ns=NS["s"]).stdout.strip())


def traffic():
    sh("ping", "-c", "2", "-i", "0.2", IP["b"], ns=NS["a"])
    server = subprocess.Popen(["ip", "netns", "exec", NS["b"], "python3", "-m", "http.server", "8080", "--bind", IP["b"]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The server may take a while to listen on a busy machine: retry for up to 10 s, not a fixed sleep.
        fetch = ("import time, urllib.request\n"
                 "for attempt in range(50):\n"
                 "    try:\n"
                 f"        urllib.request.urlopen('http://{IP['b']}:8080/', timeout=5).read()\n"
                 "        break\n"
                 "    except OSError:\n"
                 "        time.sleep(0.2)\n"
                 "else:\n"
                 "    raise SystemExit('the test HTTP server never answered')\n")
        sh("python3", "-c", fetch, ns=NS["a"])
    finally:
        server.terminate()
        server.wait(timeout=10)


PASSED = []


def check(cond, what, failures):
    print(("PASS " if cond else "FAIL ") + what)
    if cond:
        PASSED.append(what)
    if not cond:
        failures.append(what)


def main():
    if os.geteuid() != 0:
        print("SKIP: live capture test needs root (network namespaces); CI runs it as root")
        return 77
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        print("SKIP: `ip netns` is not available here")
        return 77
    failures = []
    out_dir = tempfile.mkdtemp(prefix="ww-live-")
    try:
        setup()
        tx_before = tx_packets()
        json_path = os.path.join(out_dir, "live.json")
        db_path = os.path.join(out_dir, "live.db")
        agent = subprocess.Popen(["ip", "netns", "exec", NS["s"], BINARY, "capture", "-i", "eth0", "--json", json_path,
                                  "--db", db_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        traffic()
        time.sleep(0.5)
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=30)
        check(agent.returncode == 0, f"capture stops cleanly on SIGTERM (exit {agent.returncode}: {err.strip()[:300]})", failures)
        check("libpcap counters:" in err and "received" in err, "libpcap received/dropped counters printed at exit", failures)
        check(tx_packets() == tx_before, f"no frame transmitted on the capture interface ({tx_before} -> {tx_packets()})", failures)
        doc = json.load(open(json_path)) if os.path.exists(json_path) else {"assets": [], "sources": []}
        by_mac = {a["mac"]: a for a in doc["assets"]}
        for host in ("a", "b"):
            a = by_mac.get(MAC[host])
            check(a is not None and IP[host] in a["ips"], f"host {host} {MAC[host]} with {IP[host]} in the inventory", failures)
        b = by_mac.get(MAC["b"], {"services": {"offered": []}})
        check(any(s["proto"] == "tcp" and s["port"] == 8080 for s in b["services"]["offered"]),
              "host b offers tcp/8080", failures)
        check(doc["sources"] and doc["sources"][0]["format"] == "live", "source recorded as live", failures)
        # --duration stops by itself.
        started = time.monotonic()
        p = subprocess.run(["ip", "netns", "exec", NS["s"], BINARY, "capture", "-i", "eth0", "--duration", "1", "--quiet"],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and time.monotonic() - started < 15, "--duration 1 ends the capture", failures)
        p = subprocess.run(["ip", "netns", "exec", NS["s"], BINARY, "capture", "-i", "nosuchif0", "--duration", "1"],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 1 and "nosuchif0" in p.stderr, "unknown interface: exit 1 with a clear message", failures)
    finally:
        cleanup()
    print(f"live-capture: {len(PASSED)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
