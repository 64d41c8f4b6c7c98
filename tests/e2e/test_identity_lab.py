#!/usr/bin/python3
"""Identity lab, live: a small hospital LAN in network namespaces where real software (dnsmasq, ISC dhclient,
busybox udhcpc/nslookup, lldpd, snmpd + snmpget/snmpwalk, avahi-daemon, python3 http.server, openssl s_server,
curl, openssl s_client, OpenSSH, rsyslog + logger, ntpdig, wsdd, Samba nmbd + nmblookup, miniupnpd + upnpc)
talks while `wardwatch capture` listens LIVE on a mirror port. After SIGTERM the JSON inventory must hold each
device's identity observations on the right MAC. See IDENTITY_LAB.md beside this file for the host table.

Needs root, `ip netns`, tc and the lab software (scripts/install-deps.sh --test installs it all); exits 77 with
a `SKIP:` line otherwise. An optional part whose software is missing prints `SKIP <part>` and is not counted.
Only 10.88.0.0/24, fd88::/64 and link-local addresses are used; namespaces are named wwid-*; everything is
removed on exit, even on failure. Env: WARDWATCH_BIN (binary), WWID_PCAP=path (also record the mirror port
with tcpdump, for investigation), WWID_KEEP=1 (keep the work dir with logs)."""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ beside the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BINARY  # noqa: E402

PFX = "wwid-"
SWITCH, SENSOR = PFX + "sw", PFX + "sensor"
# name: (MAC, IPv4 or None for DHCP, static ULA or None)
HOSTS = {
    "gw":      ("02:88:00:00:00:01", "10.88.0.1", None),      # miniupnpd (UPnP IGD, SSDP)
    "dhcpsrv": ("02:88:00:00:00:02", "10.88.0.2", "fd88::2"),  # dnsmasq DHCPv4/DHCPv6/DNS
    "sw1":     ("02:88:00:00:00:03", "10.88.0.3", None),      # lldpd: LLDP + LLDP-MED + CDP
    "nms":     ("02:88:00:00:00:05", "10.88.0.5", None),      # snmpget/snmpwalk, rsyslogd, nmblookup, wsdd -D
    "pump":    ("02:88:00:00:00:07", None, None),             # ISC dhclient -4/-6, logger (syslog)
    "monitor": ("02:88:00:00:00:08", None, None),             # busybox udhcpc, ntpdig (NTP client)
    "pacs":    ("02:88:00:00:00:10", "10.88.0.10", None),     # avahi (_dicom._tcp), sshd
    "printer": ("02:88:00:00:00:11", "10.88.0.11", None),     # avahi (_ipp._tcp), snmpd
    "ehr":     ("02:88:00:00:00:20", "10.88.0.20", None),     # python3 http.server, openssl s_server
    "ws":      ("02:88:00:00:00:30", "10.88.0.30", None),     # curl, openssl s_client, ssh, wsdd, nmbd, upnpc
}
SENSOR_MAC = "02:88:00:00:00:fd"
ALL_NS = [SWITCH, SENSOR] + [PFX + h for h in HOSTS]
DAEMON_LIFETIME = 90   # every daemon runs under timeout(1)
CLIENT_TIMEOUT = 15    # every client too

PUMP_NAME, PUMP_VENDOR = "infusion-pump-07", "Baxter SIGMA Spectrum 8.01"
MON_NAME, MON_VENDOR = "icu-monitor-12", "Philips IntelliVue MX450"
SW_NAME, SW_DESCR, SW_PLATFORM = "ward3-sw1", "GenHosp Ward 3 access switch (lldpd lab)", "WW-LAB-SW24"
SNMP = {"sys_descr": "Ward 3 LaserJet M507 printer (net-snmp lab)", "sys_name": "ward3-printer",
        "sys_location": "Ward 3 nurse station", "sys_contact": "biomed@genhosp.local",
        "sys_object_id": "1.3.6.1.4.1.11.2.3.9.1"}
SECRET_COMMUNITY = "wwidS3cretComm"
UA = "GenHosp-EHR-Client/2.4"
EHR_NAME = "ehr.genhosp.local"
PLANTED = "ZZPLANTED-PATIENT-4711"   # in a syslog message text: must never reach the inventory
WS_NAME, WORKGROUP = "RADWS01", "GENHOSP"
WS_UUID = "8d1f3b52-5a6e-4b8f-9a58-0d2a77000030"
UPNP = {"friendly_name": "GenHosp Ward3 Gateway", "manufacturer": "GenHosp Biomed", "model_name": "WardGW",
        "model_number": "3", "serial_number": "WG-0003"}

PY = sys.executable or "/usr/bin/python3"   # Debian's interpreter (wsdd's `env python3` could find another)
WSDD = shutil.which("wsdd") or "/usr/sbin/wsdd"
WORK = None
PROCS = []          # background daemons (Popen)
PASSED, FAILED, SKIPPED = [], [], []


def log(msg):
    print(f"[identity-lab {time.monotonic() - T0:5.1f}s] {msg}", flush=True)


T0 = time.monotonic()


def run(*cmd, check=True, timeout=30):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[:500]}")
    return p


def nsx(host, *cmd, **kw):
    ns = host if host.startswith(PFX) else PFX + host
    return run("ip", "netns", "exec", ns, *cmd, **kw)


# A process in a lab namespace, with its own UTS namespace (host name) and a private /run (pid files, lldpd's
# and sshd's privilege-separation dirs, avahi's socket) so it cannot clash with the machine or other tests.
WRAP = ('hostname "$WWID_HOSTNAME"; mount --bind "$WWID_RUN" /run || exit 1; '
        'mkdir -p /run/lldpd /run/sshd /run/avahi-daemon /run/samba; '
        'for b in $WWID_BINDS; do mount --bind "${b%%=*}" "${b#*=}" || exit 1; done; '
        'exec timeout -k 2 "$WWID_TIMEOUT" "$@"')


def wrapped(host, cmd, hostname=None, binds=(), timeout=DAEMON_LIFETIME):
    run_dir = os.path.join(WORK, "run", host)
    os.makedirs(run_dir, exist_ok=True)
    env = dict(os.environ, WWID_HOSTNAME=hostname or host, WWID_RUN=run_dir, WWID_TIMEOUT=str(timeout),
               WWID_BINDS=" ".join(f"{s}={d}" for s, d in binds), MIBS="", SNMP_PERSISTENT_DIR=run_dir)
    return ["ip", "netns", "exec", PFX + host, "unshare", "--uts", "--", "sh", "-c", WRAP, "sh", *cmd], env


def start(name, host, cmd, **kw):
    argv, env = wrapped(host, cmd, **kw)
    path = os.path.join(WORK, "log", name + ".log")
    f = open(path, "w")
    p = subprocess.Popen(argv, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    p.wwid_name = name
    PROCS.append(p)
    return p


def client(name, host, cmd, hostname=None, timeout=CLIENT_TIMEOUT, stdin=None):
    """Runs a client to completion (bounded); returns (rc, output)."""
    argv, env = wrapped(host, cmd, hostname=hostname, timeout=timeout)
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout + 10,
                           input=stdin if stdin is not None else "")
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = f"python timeout: {e}", -1
    with open(os.path.join(WORK, "log", name + ".log"), "a") as f:
        f.write(f"$ {' '.join(cmd)}\n{out}\n[rc={rc}]\n")
    return rc, out


def client_bg(name, host, cmd, hostname=None, timeout=CLIENT_TIMEOUT):
    argv, env = wrapped(host, cmd, hostname=hostname, timeout=timeout)
    f = open(os.path.join(WORK, "log", name + ".log"), "w")
    p = subprocess.Popen(argv, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    p.wwid_name = name
    PROCS.append(p)
    return p


def wait_all(procs, limit):
    deadline = time.monotonic() + limit
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def wait_listen(host, proto, port, limit=5.0):
    flag = "-Hltn" if proto == "tcp" else "-Hlun"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if nsx(host, "ss", flag, f"sport = :{port}", check=False).stdout.strip():
            return True
        time.sleep(0.1)
    return False


def leased(host):
    out = nsx(host, "ip", "-4", "-o", "addr", "show", "dev", "eth0", "scope", "global", check=False).stdout
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    return m.group(1) if m else None


def wait_until(cond, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def ns_exists(ns):
    return ns in run("ip", "netns", "list", check=False).stdout.split()


def kill_namespaces(sig):
    for ns in ALL_NS:
        if ns_exists(ns):
            for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
                try:
                    os.kill(int(pid), sig)
                except (ProcessLookupError, ValueError):
                    pass


def cleanup():
    global WORK
    for p in PROCS:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    kill_namespaces(signal.SIGTERM)
    time.sleep(0.3)
    kill_namespaces(signal.SIGKILL)
    for p in PROCS:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    for ns in ALL_NS:
        if ns_exists(ns):
            run("ip", "netns", "del", ns, check=False)
    # Namespaces left behind by a crashed earlier run.
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PFX):
            run("ip", "netns", "del", name, check=False)
    if WORK and os.path.isdir(WORK):
        if os.environ.get("WWID_KEEP") == "1":
            print(f"identity-lab: work dir kept in {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    WORK = None


# ----------------------------------------------------------------------------------------------- topology
def build_topology():
    for ns in ALL_NS:
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
    for ns in (SWITCH, SENSOR):   # nothing created there may speak IPv6
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    run("ip", "-n", SWITCH, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
    run("ip", "-n", SWITCH, "link", "set", "br0", "up")
    # Mirror port: every frame a host sends (ingress on its switch port) is copied to mirror0 -> sensor eth0.
    # LLDP (01:80:c2:00:00:0e) is never forwarded by a bridge, so a hub would not show it; a mirror does.
    run("ip", "-n", SWITCH, "link", "add", "mirror0", "type", "veth", "peer", "name", "eth0", "netns", SENSOR)
    # The sensor port: no address, no IPv6, no ARP, no GRO (frames as on the wire).
    run("ip", "-n", SENSOR, "link", "set", "eth0", "address", SENSOR_MAC, "arp", "off")
    nsx(SENSOR, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1")
    nsx(SENSOR, "ethtool", "-K", "eth0", "gro", "off", check=False)
    run("ip", "-n", SWITCH, "link", "set", "mirror0", "up")
    run("ip", "-n", SENSOR, "link", "set", "eth0", "up")
    for h, (mac, ip4, ula) in HOSTS.items():
        ns = PFX + h
        run("ip", "-n", SWITCH, "link", "add", "p-" + h, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "-n", ns, "link", "set", "eth0", "address", mac)
        nsx(h, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0", "net.ipv6.conf.eth0.dad_transmits=0")
        # No offloads: frames on the wire are <= MTU with real checksums, as from a NIC.
        nsx(h, "ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off", "gro", "off", check=False)
        run("ip", "-n", SWITCH, "link", "set", "p-" + h, "master", "br0", "up")
        nsx(SWITCH, "tc", "qdisc", "add", "dev", "p-" + h, "ingress")
        if nsx(SWITCH, "tc", "filter", "add", "dev", "p-" + h, "parent", "ffff:", "protocol", "all", "prio", "1",
               "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", "mirror0",
               check=False).returncode != 0:
            nsx(SWITCH, "tc", "filter", "add", "dev", "p-" + h, "parent", "ffff:", "protocol", "all", "prio", "1",
                "matchall", "action", "mirred", "egress", "mirror", "dev", "mirror0")
        if ip4:
            run("ip", "-n", ns, "addr", "add", ip4 + "/24", "dev", "eth0")
        if ula:
            run("ip", "-n", ns, "-6", "addr", "add", ula + "/64", "dev", "eth0", "nodad")
    # The UPnP gateway's "WAN" side: a veth pair inside its namespace, without any address, going nowhere
    # (not every kernel has the dummy driver).
    run("ip", "-n", PFX + "gw", "link", "add", "wan0", "type", "veth", "peer", "name", "wan0-peer")
    nsx("gw", "sysctl", "-qw", "net.ipv6.conf.wan0.disable_ipv6=1", "net.ipv6.conf.wan0-peer.disable_ipv6=1")
    run("ip", "-n", PFX + "gw", "link", "set", "wan0-peer", "up")
    run("ip", "-n", PFX + "gw", "link", "set", "wan0", "up")


def links_up():
    for h in HOSTS:
        run("ip", "-n", PFX + h, "link", "set", "eth0", "up")


def tx_packets():
    return int(nsx(SENSOR, "cat", "/sys/class/net/eth0/statistics/tx_packets").stdout.strip())


# ------------------------------------------------------------------------------------------- config files
def write(name, text, mode=0o644):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def write_configs(opt):
    w = {}
    w["dhclient.conf"] = write("dhclient.conf", f'send host-name "{PUMP_NAME}";\n'
                               f'send vendor-class-identifier "{PUMP_VENDOR}";\n'
                               "request subnet-mask, broadcast-address, routers, domain-name, "
                               "domain-name-servers, host-name, ntp-servers;\n")
    w["dhclient6.conf"] = write("dhclient6.conf", "request dhcp6.name-servers, dhcp6.domain-search, "
                                "dhcp6.sntp-servers;\n")
    # Our own scripts apply the lease (the stock ones would rewrite the machine's /etc/resolv.conf).
    w["dhclient-script"] = write("dhclient-script", """#!/bin/sh
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT) ip -4 addr flush dev "$interface" scope global
    ip -4 addr add "$new_ip_address/24" broadcast + dev "$interface" ;;
esac
exit 0
""", 0o755)
    w["udhcpc-script"] = write("udhcpc-script", """#!/bin/sh
case "$1" in
  bound|renew) ip -4 addr flush dev "$interface" scope global
    ip -4 addr add "$ip/${mask:-24}" broadcast + dev "$interface" ;;
esac
exit 0
""", 0o755)
    w["lldpd.conf"] = write("lldpd.conf", f"""configure system hostname {SW_NAME}
configure system description "{SW_DESCR}"
configure system platform {SW_PLATFORM}
configure lldp tx-interval 1
configure inventory hardware-revision "HW-2.1"
configure inventory software-revision "SW-11.2"
configure inventory firmware-revision "FW-4.0.3"
configure inventory serial-number "SN-WW-0003"
configure inventory manufacturer "GenHosp Networks"
configure inventory model "WardSwitch 24"
""")
    w["snmpd.conf"] = write("snmpd.conf", f"""agentaddress udp:10.88.0.11:161
rocommunity public 10.88.0.0/24
rocommunity {SECRET_COMMUNITY} 10.88.0.0/24
sysdescr {SNMP['sys_descr']}
sysname {SNMP['sys_name']}
syslocation {SNMP['sys_location']}
syscontact {SNMP['sys_contact']}
sysobjectid {SNMP['sys_object_id']}
sysservices 72
""")
    avahi = """[server]
host-name={name}
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
enable-reflector=no
[rlimits]
"""
    w["avahi-pacs.conf"] = write("avahi-pacs.conf", avahi.format(name="pacs1"))
    w["avahi-printer.conf"] = write("avahi-printer.conf", avahi.format(name="ward3-printer"))
    svc = """<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>{name}</name>
  <service><type>{type}</type><port>{port}</port>{txt}</service>
</service-group>
"""
    write("avahi-pacs/dicom.service", svc.format(name="PACS1 DICOM Archive", type="_dicom._tcp", port=104,
                                                  txt="<txt-record>aet=PACS1</txt-record>"))
    write("avahi-printer/ipp.service", svc.format(
        name="Ward3 LaserJet", type="_ipp._tcp", port=631,
        txt="<txt-record>txtvers=1</txt-record><txt-record>ty=HP LaserJet M507</txt-record>"
            "<txt-record>product=(HP LaserJet M507)</txt-record><txt-record>rp=ipp/print</txt-record>"
            "<txt-record>note=Ward 3 nurse station</txt-record>"))
    w["avahi-pacs"] = os.path.join(WORK, "avahi-pacs")
    w["avahi-printer"] = os.path.join(WORK, "avahi-printer")
    os.makedirs(os.path.join(WORK, "www"), exist_ok=True)
    write("www/index.html", "<html><body>EHR portal</body></html>\n")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "30", "-subj", f"/CN={EHR_NAME}/O=General Hospital", "-keyout", os.path.join(WORK, "ehr.key"),
        "-out", os.path.join(WORK, "ehr.crt"))
    if opt.get("ssh"):
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(WORK, "ssh_host_ed25519_key"))
        w["sshd_config"] = write("sshd_config", f"""Port 22
ListenAddress 10.88.0.10
HostKey {WORK}/ssh_host_ed25519_key
PidFile /run/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
""")
    if opt.get("syslog"):
        w["rsyslog.conf"] = write("rsyslog.conf", f"""global(workDirectory="{WORK}/run/nms")
module(load="imudp")
input(type="imudp" address="10.88.0.5" port="514")
*.* action(type="omfile" file="{WORK}/log/syslog-received.log")
""")
    if opt.get("nbns"):
        d = os.path.join(WORK, "samba")
        for sub in ("lock", "state", "cache", "private", "pid", "ncalrpc"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        w["smb.conf"] = write("smb.conf", f"""[global]
netbios name = {WS_NAME}
workgroup = {WORKGROUP}
server string = Radiology Workstation 01
interfaces = eth0
bind interfaces only = yes
disable netbios = no
local master = yes
preferred master = no
domain master = no
os level = 2
lock directory = {d}/lock
state directory = {d}/state
cache directory = {d}/cache
private dir = {d}/private
pid directory = {d}/pid
ncalrpc dir = {d}/ncalrpc
log file = {WORK}/log/nmbd-samba.log
""")
    if opt.get("upnp"):
        w["miniupnpd.conf"] = write("miniupnpd.conf", f"""ext_ifname=wan0
listening_ip=eth0
http_port=5000
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
system_uptime=yes
notify_interval=60
uuid=8d1f3b52-5a6e-4b8f-9a58-0d2a77000001
friendly_name={UPNP['friendly_name']}
manufacturer_name={UPNP['manufacturer']}
model_name={UPNP['model_name']}
model_number={UPNP['model_number']}
serial={UPNP['serial_number']}
allow 1024-65535 10.88.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
""")
    return w


# -------------------------------------------------------------------------------------------------- checks
def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    (PASSED if cond else FAILED).append(what)


def skip(part, why):
    print(f"SKIP {part}: {why}", flush=True)
    SKIPPED.append(part)


class Inventory:
    def __init__(self, doc):
        self.doc = doc
        self.by_mac = {a["mac"]: a for a in doc.get("assets", []) if a.get("mac")}

    def obs(self, host):
        a = self.by_mac.get(HOSTS[host][0], {})
        out = {}
        for o in a.get("observations", []):
            out.setdefault(o["key"], set()).add(o["value"])
        return out

    def ips(self, host):
        return set(self.by_mac.get(HOSTS[host][0], {}).get("ips", []))

    def offered(self, host):
        a = self.by_mac.get(HOSTS[host][0], {"services": {"offered": []}})
        return {(s["proto"], s["port"]) for s in a["services"]["offered"]}


def expect(inv, host, key, want):
    """want: a string (must be among the key's values), a callable on the value set, or None (key present)."""
    vals = inv.obs(host).get(key, set())
    if want is None:
        ok, what = bool(vals), "present"
    elif callable(want):
        ok, what = bool(vals) and want(vals), "as expected"
    else:
        ok, what = want in vals, repr(want)
    shown = sorted(vals)[:4]
    check(ok, f"{host}: {key} {what}" + ("" if ok else f" (got {shown})"))


def starts(prefix):
    return lambda vals: any(v.startswith(prefix) for v in vals)


# ------------------------------------------------------------------------------------------------------ main
def main():
    global WORK
    if os.geteuid() != 0:
        print("SKIP: identity lab needs root (network namespaces, tc, mounts); CI runs it as root")
        return 77
    if not os.path.exists(BINARY):
        print(f"SKIP: wardwatch binary not found at {BINARY} (set WARDWATCH_BIN)")
        return 77
    # Daemons live in sbin, which a non-login root shell may not have on its PATH.
    path = os.environ.get("PATH", "").split(":")
    os.environ["PATH"] = ":".join(path + [d for d in ("/usr/local/sbin", "/usr/sbin", "/sbin") if d not in path])
    # In CI (CI=true) scripts/install-deps.sh --test has installed everything: a missing tool there is a failure,
    # not a skip that would hide a broken install step.
    in_ci = os.environ.get("CI") == "true"
    required = ["ip", "tc", "ss", "unshare", "timeout", "openssl", "curl", "dnsmasq", "dhclient",
                "udhcpc", "busybox", "lldpd", "lldpcli", "snmpd", "snmpget", "snmpwalk", "avahi-daemon"]
    missing = [t for t in required if not shutil.which(t)]
    if missing:
        why = f"missing tools: {' '.join(missing)} (scripts/install-deps.sh --test installs them)"
        if in_ci:
            check(False, f"lab software installed in CI ({why})")
            return 1
        print("SKIP: " + why)
        return 77
    probe = f"{PFX}probe-{os.getpid()}"
    if run("ip", "netns", "add", probe, check=False).returncode != 0:
        print("SKIP: `ip netns` is not available here (no CAP_SYS_ADMIN / netns support?)")
        return 77
    run("ip", "netns", "del", probe, check=False)
    optional = {"ssh": ["sshd", "ssh", "ssh-keygen"], "syslog": ["rsyslogd", "logger"], "wsd": ["wsdd"],
                "nbns": ["nmbd", "nmblookup"], "upnp": ["miniupnpd", "upnpc"], "ntp": ["ntpdig"]}
    opt = {}
    for part, tools in optional.items():
        gone = [t for t in tools if not shutil.which(t)]
        opt[part] = not gone
        if gone:
            why = f"not installed: {' '.join(gone)} (scripts/install-deps.sh --test)"
            if in_ci:
                check(False, f"{part}: lab software installed in CI ({why})")
            else:
                skip(part, why)

    WORK = tempfile.mkdtemp(prefix="wwid-lab-")
    os.chmod(WORK, 0o755)   # lldpd runs lldpcli on its config as an unprivileged user; nothing here is secret
    os.makedirs(os.path.join(WORK, "log"))
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cleanup_stale()
    cfg = write_configs(opt)
    json_path, db_path = os.path.join(WORK, "inventory.json"), os.path.join(WORK, "inventory.db")

    log("building namespaces, bridge and mirror port")
    build_topology()
    tx_before = tx_packets()
    tcpdump = None
    if os.environ.get("WWID_PCAP"):
        tcpdump = subprocess.Popen(["ip", "netns", "exec", SENSOR, "timeout", str(DAEMON_LIFETIME), "tcpdump", "-i",
                                    "eth0", "-n", "-s", "0", "-U", "--immediate-mode", "-Z", "root", "-w",
                                    os.environ["WWID_PCAP"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log(f"starting {BINARY} capture on {SENSOR}/eth0")
    # --flush-interval 1: wait_for_observations() follows the database while the capture runs.
    agent = subprocess.Popen(["ip", "netns", "exec", SENSOR, "timeout", "-s", "KILL", "150", BINARY, "capture", "-i",
                              "eth0", "--json", json_path, "--db", db_path, "--flush-interval", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    links_up()   # after the agent is listening: the first announcements (mDNS, LLDP, MLD) are seen
    time.sleep(0.3)

    log("starting daemons")
    start("dnsmasq", "dhcpsrv", [
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--user=root", "--group=root", "--interface=eth0",
        "--bind-interfaces", "--except-interface=lo", "--dhcp-authoritative", "--no-ping", "--log-dhcp",
        "--log-queries", "--no-resolv", "--no-hosts", "--domain=genhosp.local", "--local=/genhosp.local/",
        "--dhcp-range=10.88.0.100,10.88.0.150,255.255.255.0,1h", "--dhcp-range=fd88::100,fd88::1ff,64,1h",
        "--dhcp-option=option:router,10.88.0.1", "--dhcp-option=option:domain-name,genhosp.local",
        "--dhcp-option=option:ntp-server,10.88.0.2",
        f"--host-record={EHR_NAME},10.88.0.20", "--host-record=pacs1.genhosp.local,10.88.0.10",
        f"--dhcp-leasefile={WORK}/dnsmasq.leases", "--pid-file=/run/dnsmasq.pid"])
    # -l -c -c: LLDP and CDPv1 both forced (lldpd otherwise speaks a second protocol only to a neighbour that
    # does, and forcing CDP alone would silence LLDP); -M 4: LLDP-MED network connectivity device + inventory.
    start("lldpd", "sw1", ["lldpd", "-d", "-l", "-c", "-c", "-M", "4", "-I", "eth0", "-u", "/run/lldpd.socket",
                           "-O", cfg["lldpd.conf"], "-m", "10.88.0.3"], hostname=SW_NAME)
    start("snmpd", "printer", ["snmpd", "-f", "-Lo", "-C", "-c", cfg["snmpd.conf"], "-p", "/run/snmpd.pid"],
          hostname=SNMP["sys_name"])
    for host, conf, services in (("pacs", cfg["avahi-pacs.conf"], cfg["avahi-pacs"]),
                                 ("printer", cfg["avahi-printer.conf"], cfg["avahi-printer"])):
        start("avahi-" + host, host, ["avahi-daemon", "-f", conf, "--no-chroot", "--no-drop-root", "--no-rlimits",
                                      "--no-proc-title"], binds=[(services, "/etc/avahi/services")])
    start("http-server", "ehr", [PY, "-m", "http.server", "8080", "--bind", "10.88.0.20", "--directory",
                                 os.path.join(WORK, "www")])
    start("s_server", "ehr", ["openssl", "s_server", "-accept", "10.88.0.20:443", "-cert",
                              os.path.join(WORK, "ehr.crt"), "-key", os.path.join(WORK, "ehr.key"), "-www",
                              "-no_tls1_3"])
    if opt["ssh"]:
        start("sshd", "pacs", ["/usr/sbin/sshd", "-D", "-e", "-f", cfg["sshd_config"]], hostname="pacs1")
    if opt["syslog"]:
        start("rsyslogd", "nms", ["rsyslogd", "-n", "-f", cfg["rsyslog.conf"], "-i", "/run/rsyslogd.pid"])
    if opt["wsd"]:
        start("wsdd", "ws", [PY, WSDD, "-i", "eth0", "-n", WS_NAME, "-w", WORKGROUP, "-U", WS_UUID, "-p"],
              hostname=WS_NAME.lower())
    if opt["nbns"]:
        start("nmbd", "ws", ["nmbd", "-F", "--no-process-group", "--debug-stdout", "-d", "1", "-s", cfg["smb.conf"]],
              hostname=WS_NAME.lower())
    if opt["upnp"]:
        start("miniupnpd", "gw", ["miniupnpd", "-d", "-f", cfg["miniupnpd.conf"], "-P", "/run/miniupnpd.pid"])

    waits = [("dhcpsrv", "udp", 67), ("dhcpsrv", "udp", 53), ("printer", "udp", 161),
             ("ehr", "tcp", 8080), ("ehr", "tcp", 443)]
    if opt["ssh"]:
        waits.append(("pacs", "tcp", 22))
    if opt["syslog"]:
        waits.append(("nms", "udp", 514))
    if opt["upnp"]:
        waits.append(("gw", "tcp", 5000))
    if opt["nbns"]:
        waits.append(("ws", "udp", 137))
    for host, proto, port in waits:
        if not wait_listen(host, proto, port):
            log(f"WARNING: nothing listening on {host} {proto}/{port}")

    log("clients: DHCP (dhclient, udhcpc), DHCPv6, SNMP, HTTP, TLS, SSH, DNS")
    # dhclient in the foreground (-d) as a bounded daemon: left alone it would fork away from timeout(1).
    start("dhclient", "pump", ["dhclient", "-4", "-d", "-v", "-cf", cfg["dhclient.conf"], "-lf",
                               f"{WORK}/dhclient.leases", "-pf", "/run/dhclient.pid", "-sf", cfg["dhclient-script"],
                               "eth0"], hostname=PUMP_NAME)
    start("dhclient6", "pump", ["dhclient", "-6", "-d", "-v", "-cf", cfg["dhclient6.conf"], "-lf",
                                f"{WORK}/dhclient6.leases", "-pf", "/run/dhclient6.pid", "-sf", cfg["dhclient-script"],
                                "eth0"], hostname=PUMP_NAME)
    bg = [
        client_bg("udhcpc", "monitor", ["udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-A", "1",
                                        "-x", f"hostname:{MON_NAME}", "-V", MON_VENDOR, "-s",
                                        cfg["udhcpc-script"]], hostname=MON_NAME),
        client_bg("snmpget", "nms", ["sh", "-c",
                                     "snmpget -v2c -c public -On -t 2 -r 1 10.88.0.11 1.3.6.1.2.1.1.1.0 "
                                     "1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.4.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.6.0 && "
                                     "snmpwalk -v2c -c public -On -t 2 -r 1 10.88.0.11 1.3.6.1.2.1.1 && "
                                     f"snmpget -v1 -c {SECRET_COMMUNITY} -On -t 2 -r 1 10.88.0.11 "
                                     "1.3.6.1.2.1.1.5.0"]),
        client_bg("curl-http", "ws", ["curl", "-sS", "-m", "5", "-A", UA, "-o", "/dev/null", "-w",
                                      "%{http_code}\n", "http://10.88.0.20:8080/"]),
        client_bg("curl-https", "ws", ["curl", "-sS", "-k", "-m", "5", "--tlsv1.2", "--tls-max", "1.2", "-A", UA,
                                       "--resolve", f"{EHR_NAME}:443:10.88.0.20", "-o", "/dev/null", "-w",
                                       "%{http_code}\n", f"https://{EHR_NAME}/"]),
        client_bg("nslookup", "ws", ["busybox", "nslookup", EHR_NAME, "10.88.0.2"]),
    ]
    if opt["ssh"]:
        bg.append(client_bg("ssh", "ws", ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                                          "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                                          "ConnectTimeout=5", "nurse@10.88.0.10", "true"]))
    wait_all(bg, CLIENT_TIMEOUT + 5)
    # s_client after curl: one TLS server, one connection at a time.
    client("s_client", "ws", ["openssl", "s_client", "-connect", "10.88.0.20:443", "-servername", EHR_NAME,
                              "-tls1_2"], stdin="")

    # The pump (syslog sender) needs its DHCP lease first.
    if not wait_until(lambda: leased("pump"), 10):
        log("WARNING: the pump has no DHCPv4 lease after 10 s")
    log("clients: NTP, syslog, NetBIOS, WS-Discovery, UPnP")
    bg = []
    if opt["ntp"]:
        bg.append(client_bg("ntpdig", "monitor", ["ntpdig", "-t", "1", "10.88.0.2"], timeout=4))
    if opt["syslog"]:
        bg.append(client_bg("logger", "pump", ["sh", "-c",
                                               f"logger --udp -n 10.88.0.5 -P 514 --rfc5424 -t pumpd -p local3.notice "
                                               f"'infusion started for {PLANTED}' && "
                                               f"logger --udp -n 10.88.0.5 -P 514 --rfc3164 -t pumpd -p local3.info "
                                               f"'occlusion alarm cleared'"], hostname=PUMP_NAME))
    if opt["upnp"]:
        bg.append(client_bg("upnpc", "ws", ["upnpc", "-m", "eth0", "-l"], timeout=8))
    if opt["wsd"]:
        bg.append(client_bg("wsdd-discovery", "nms", [PY, WSDD, "-D", "-o", "-i", "eth0", "-4"], timeout=4))
    if opt["nbns"]:
        bg.append(client_bg("nmblookup", "nms", ["sh", "-c", f"sleep 3; nmblookup -B 10.88.0.255 {WS_NAME}; "
                                                           "nmblookup -A 10.88.0.30"], timeout=10))
    wait_all(bg, 15)
    # Until every protocol has shown up in the database (flushed each second) or 25 s have passed: a loaded
    # CI machine gets more time, a quick one stops early.
    waited = wait_for_observations(db_path, opt, limit=25.0)
    log(f"observations complete: {waited}")

    log("stopping wardwatch (SIGTERM)")
    agent.send_signal(signal.SIGTERM)
    try:
        _, err = agent.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        agent.kill()
        _, err = agent.communicate()
    if tcpdump:
        tcpdump.terminate()
        tcpdump.wait(timeout=10)
    with open(os.path.join(WORK, "log", "wardwatch.log"), "w") as f:
        f.write(err)

    # ------------------------------------------------------------------------------------------ verification
    print()
    check(agent.returncode == 0, f"wardwatch capture exits 0 on SIGTERM (exit {agent.returncode}: "
                                 f"{err.strip().splitlines()[-1:] if err.strip() else ''})")
    check("libpcap counters:" in err and "received" in err, "libpcap counters printed at exit")
    tx_after = tx_packets()
    addrs = nsx(SENSOR, "ip", "-o", "addr", "show", "dev", "eth0", check=False).stdout.strip()
    check(not addrs, f"sensor interface has no IPv4/IPv6 address ({addrs[:120]!r})")
    check(tx_after == tx_before, f"sensor interface transmitted nothing (tx_packets {tx_before} -> {tx_after})")
    doc = {"assets": []}
    if os.path.exists(json_path):
        with open(json_path) as f:
            doc = json.load(f)
    check(bool(doc["assets"]), "inventory JSON written")
    try:
        from common import schema_validator
        errors = sorted(schema_validator().iter_errors(doc), key=str)
        check(not errors, "inventory validates against docs/schema/inventory.schema.json"
                          + ("" if not errors else f" ({str(errors[0])[:200]})"))
    except ImportError:
        skip("schema", "python3-jsonschema not installed")
    inv = Inventory(doc)
    for h, (mac, _, _) in HOSTS.items():
        check(mac in inv.by_mac, f"{h} {mac} is an asset")
    check(SENSOR_MAC not in inv.by_mac, "the sensor's own MAC is not an asset")

    # DHCP
    pump_ip, mon_ip = leased("pump"), leased("monitor")
    check(pump_ip is not None, f"dhclient got a lease ({pump_ip})")
    check(mon_ip is not None, f"udhcpc got a lease ({mon_ip})")
    expect(inv, "pump", "dhcp.hostname", PUMP_NAME)
    expect(inv, "pump", "dhcp.vendor_class", PUMP_VENDOR)
    expect(inv, "pump", "dhcp.parameter_request_list", None)
    expect(inv, "pump", "dhcp.message_type", "REQUEST")
    check(pump_ip is not None and pump_ip in inv.ips("pump"), f"pump: leased {pump_ip} bound to its MAC")
    expect(inv, "monitor", "dhcp.hostname", MON_NAME)
    expect(inv, "monitor", "dhcp.vendor_class", MON_VENDOR)
    expect(inv, "monitor", "dhcp.parameter_request_list", None)
    check(mon_ip is not None and mon_ip in inv.ips("monitor"), f"monitor: leased {mon_ip} bound to its MAC")
    plists = inv.obs("pump").get("dhcp.parameter_request_list", set()) | \
        inv.obs("monitor").get("dhcp.parameter_request_list", set())
    check(len(plists) >= 2, f"dhclient and udhcpc parameter request lists differ ({sorted(plists)})")
    expect(inv, "dhcpsrv", "dhcp.server_id", "10.88.0.2")
    expect(inv, "dhcpsrv", "dhcp.router", "10.88.0.1")
    expect(inv, "dhcpsrv", "dhcp.domain", "genhosp.local")
    expect(inv, "dhcpsrv", "dhcp.lease_time", "3600")
    expect(inv, "dhcpsrv", "dhcp.message_type", "ACK")
    check("dhcp.hostname" not in inv.obs("dhcpsrv"), "dhcpsrv: no client host name attributed to the server")
    # DHCPv6
    expect(inv, "pump", "dhcpv6.message_type", "SOLICIT")
    expect(inv, "pump", "dhcpv6.duid", lambda v: any(HOSTS["pump"][0].replace(":", "") in d for d in v))
    expect(inv, "pump", "dhcpv6.option_request", None)
    expect(inv, "dhcpsrv", "dhcpv6.server_duid", None)
    # DNS
    expect(inv, "ws", "dns.query", EHR_NAME)
    expect(inv, "dhcpsrv", "dns.answered_query", EHR_NAME)
    # LLDP / LLDP-MED / CDP
    expect(inv, "sw1", "lldp.system_name", SW_NAME)
    expect(inv, "sw1", "lldp.system_description", SW_DESCR)
    expect(inv, "sw1", "lldp.chassis_id", "mac:" + HOSTS["sw1"][0])
    expect(inv, "sw1", "lldp.port_id", None)
    expect(inv, "sw1", "lldp.management_address", "10.88.0.3")
    expect(inv, "sw1", "lldp.med.device_class", "network_connectivity")
    for key, value in (("hardware_revision", "HW-2.1"), ("software_revision", "SW-11.2"),
                       ("firmware_revision", "FW-4.0.3"), ("serial_number", "SN-WW-0003"),
                       ("manufacturer", "GenHosp Networks"), ("model", "WardSwitch 24")):
        expect(inv, "sw1", "lldp.med." + key, value)
    expect(inv, "sw1", "cdp.device_id", SW_NAME)
    expect(inv, "sw1", "cdp.platform", SW_PLATFORM)
    expect(inv, "sw1", "cdp.software_version", None)
    expect(inv, "sw1", "cdp.address", "10.88.0.3")
    # SNMP
    for key, value in SNMP.items():
        expect(inv, "printer", "snmp." + key, value)
    expect(inv, "printer", "snmp.version", "2c")
    expect(inv, "printer", "snmp.default_community", "public")
    check(not any(k.startswith("snmp.sys") for k in inv.obs("nms")), "nms: SNMP requests attribute nothing to it")
    text = json.dumps(doc)
    n_public = len(re.findall(r"\bpublic\b", text))
    n_default = sum(1 for a in doc["assets"] for o in a.get("observations", [])
                    if o["key"] == "snmp.default_community" and o["value"] == "public")
    check(n_public == n_default == 1, f"community 'public' appears only as the default-community finding "
                                      f"({n_public} occurrences, {n_default} findings)")
    check(SECRET_COMMUNITY not in text, "a non-default community string never appears in the inventory")
    # mDNS
    expect(inv, "pacs", "mdns.hostname", "pacs1")
    expect(inv, "pacs", "mdns.service_type", "_dicom._tcp")
    expect(inv, "pacs", "mdns.service_instance", "PACS1 DICOM Archive")
    expect(inv, "pacs", "mdns.txt.aet", "PACS1")
    expect(inv, "printer", "mdns.hostname", "ward3-printer")
    expect(inv, "printer", "mdns.service_type", "_ipp._tcp")
    expect(inv, "printer", "mdns.txt.ty", "HP LaserJet M507")
    expect(inv, "printer", "mdns.txt.product", "(HP LaserJet M507)")
    expect(inv, "printer", "mdns.txt.note", "Ward 3 nurse station")
    check("mdns.txt.rp" not in inv.obs("printer"), "printer: TXT keys outside the allow-list are not stored")
    # HTTP / TLS
    expect(inv, "ws", "http.user_agent", UA)
    expect(inv, "ehr", "http.server", starts("SimpleHTTP/"))
    expect(inv, "ehr", "http.host", "10.88.0.20:8080")
    expect(inv, "ehr", "tls.sni", EHR_NAME)
    expect(inv, "ehr", "tls.cert.subject_cn", EHR_NAME)
    expect(inv, "ehr", "tls.cert.subject_o", "General Hospital")
    expect(inv, "ehr", "tls.cert.self_signed", "true")
    expect(inv, "ehr", "tls.server_version", "TLS 1.2")
    expect(inv, "ws", "tls.ja3", lambda v: len(v) >= 2 and all(re.fullmatch(r"[0-9a-f]{32}", x) for x in v))
    expect(inv, "ws", "tls.ja4", starts("t1"))
    check({("tcp", 8080), ("tcp", 443)} <= inv.offered("ehr"), "ehr offers tcp/8080 and tcp/443")
    # SSH
    if opt["ssh"]:
        expect(inv, "pacs", "ssh.banner", starts("SSH-2.0-OpenSSH_"))
        expect(inv, "ws", "ssh.banner", starts("SSH-2.0-OpenSSH_"))
        check(("tcp", 22) in inv.offered("pacs"), "pacs offers tcp/22")
    # NTP
    if opt["ntp"]:
        expect(inv, "monitor", "ntp.mode", "client")
        expect(inv, "monitor", "ntp.version", "4")
    # syslog
    if opt["syslog"]:
        expect(inv, "pump", "syslog.hostname", PUMP_NAME)
        expect(inv, "pump", "syslog.app_name", "pumpd")
        expect(inv, "pump", "syslog.facility", "local3")
        got = os.path.exists(os.path.join(WORK, "log", "syslog-received.log")) and \
            PLANTED in open(os.path.join(WORK, "log", "syslog-received.log")).read()
        check(got, "rsyslogd received the planted message (it was on the wire)")
        check(PLANTED not in text, "syslog message text never appears in the inventory")
    # WS-Discovery
    if opt["wsd"]:
        expect(inv, "ws", "wsd.message", "Hello")
        expect(inv, "ws", "wsd.types", "pub:Computer")
        expect(inv, "ws", "wsd.endpoint", "urn:uuid:" + WS_UUID)
        expect(inv, "ws", "wsd.xaddrs", starts("http://10.88.0.30:5357/"))
        expect(inv, "nms", "wsd.message", "Probe")
        check("wsd.endpoint" not in inv.obs("nms"), "nms: a Probe gives no endpoint")
    # NetBIOS
    if opt["nbns"]:
        expect(inv, "ws", "nbns.name", WS_NAME + "<00>")
        expect(inv, "ws", "nbns.workgroup", WORKGROUP)
        expect(inv, "ws", "browser.hostname", WS_NAME)
        expect(inv, "ws", "browser.comment", "Radiology Workstation 01")
    # SSDP / UPnP
    if opt["upnp"]:
        expect(inv, "gw", "ssdp.server", None)
        expect(inv, "gw", "ssdp.location", starts("http://10.88.0.1:5000/"))
        expect(inv, "gw", "ssdp.usn", starts("uuid:8d1f3b52-5a6e-4b8f-9a58-0d2a77000001"))
        expect(inv, "gw", "ssdp.nt", None)
        expect(inv, "ws", "ssdp.search_target", None)
        for key, value in UPNP.items():
            expect(inv, "gw", "upnp." + key, value)
    return 0


# One observation per protocol (the ones that come last: announcements, configured LLDP, later clients).
SENTINELS = [("pump", "dhcp.hostname", None), ("monitor", "dhcp.hostname", None),
             ("pump", "dhcpv6.option_request", None), ("sw1", "lldp.med.model", None),
             ("sw1", "cdp.platform", None), ("printer", "snmp.sys_name", None),
             ("pacs", "mdns.txt.aet", None), ("printer", "mdns.txt.product", None), ("ws", "dns.query", None),
             ("ehr", "http.server", None), ("ehr", "tls.cert.subject_cn", None), ("ws", "tls.ja3", None),
             ("pacs", "ssh.banner", "ssh"), ("monitor", "ntp.mode", "ntp"), ("pump", "syslog.app_name", "syslog"),
             ("ws", "wsd.types", "wsd"), ("nms", "wsd.message", "wsd"), ("ws", "browser.hostname", "nbns"),
             ("ws", "nbns.name", "nbns"), ("gw", "upnp.friendly_name", "upnp"), ("gw", "ssdp.nt", "upnp")]


def wait_for_observations(db_path, opt, limit):
    import sqlite3
    want = {(HOSTS[h][0], k) for h, k, part in SENTINELS if part is None or opt.get(part)}
    deadline = time.monotonic() + limit
    have = set()
    while time.monotonic() < deadline:
        try:
            con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
            have = set(con.execute("SELECT DISTINCT mac, key FROM observations"))
            con.close()
        except sqlite3.Error:
            pass
        if want <= have:
            time.sleep(1.2)   # one more flush period: the values that came with the last sentinel
            return "yes"
        time.sleep(0.5)
    return f"no, still missing after {limit:.0f} s: {sorted(want - have)}"


def cleanup_stale():
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PFX):
            for pid in run("ip", "netns", "pids", name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run("ip", "netns", "del", name, check=False)


if __name__ == "__main__":
    rc = 1
    try:
        rc = main()
    except Exception as e:  # a lab that cannot be built is a failure, with the reason
        import traceback
        traceback.print_exc()
        check(False, f"lab ran to completion ({type(e).__name__}: {e})")
    finally:
        if FAILED and WORK and os.path.isdir(os.path.join(WORK, "log")):
            # What the lab's software said, for a failure seen only in CI (WWID_KEEP=1 keeps everything).
            for name in sorted(os.listdir(os.path.join(WORK, "log"))):
                with open(os.path.join(WORK, "log", name), errors="replace") as f:
                    lines = f.read().splitlines()[-8:]
                print(f"--- {name} (last {len(lines)} lines)")
                print("\n".join("    " + line[:200] for line in lines))
        if rc != 77:
            cleanup()
    if rc == 77:
        sys.exit(77)
    print(f"identity-lab: {len(PASSED)} passed, {len(FAILED)} failed")
    sys.exit(1 if FAILED else 0)
