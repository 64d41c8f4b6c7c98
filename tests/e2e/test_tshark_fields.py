#!/usr/bin/python3
"""wardwatch's identity facts agree with Wireshark's dissectors (tshark), capture by capture and asset by asset.

For every capture of tests/fixtures/lab/*.pcap and of ../shared/pcaps (read in place; skipped when the directory is
absent), tshark and `wardwatch read --json` are run and, per asset, these facts are compared as sets of values:

  dicom  dicom.ae_title, dicom.calling_ae, dicom.called_ae (A-ASSOCIATE-RQ; the AC only when the RQ is missing),
         dicom.implementation_class_uid, dicom.implementation_version_name (RQ and AC, each its sender),
         dicom.command (DIMSE commands named in tshark's Info column, each its sender)
  hl7    hl7.sending_application/facility (MSH-3/4), hl7.receiving_application/facility (MSH-5/6),
         hl7.message_type (MSH-9), hl7.version (MSH-12) on the sender; hl7.application/facility on both ends
  lldp   lldp.system_name, lldp.chassis_id              (on the source MAC)
  cdp    cdp.device_id, cdp.platform                    (on the source MAC)
  dhcp   dhcp.hostname (option 12), dhcp.parameter_request_list (option 55)   (on chaddr)
  snmp   snmp.sys_descr, snmp.sys_name (agent = sender of Response/Trap/Report PDUs)
  tls    tls.sni (on the server), tls.ja3 (on the client; tshark 4.0's tls.handshake.ja3)
  http   http.user_agent (client), http.server (server), TCP only
  mdns   mdns.hostname (owners of A/AAAA records in mDNS responses, on the responder)
  nbns   nbns.name (unique names the sender registers, answers for itself, or lists in an NBSTAT response)

Facts are mapped to assets by MAC (eth.src, chaddr) or by IP (the asset whose `ips` hold the address; when two
assets hold it, the one with the frame's MAC). Where the two tools differ by design the tshark value is normalised
and a comment says why; any other difference fails and is printed with the capture, asset, key and both values.

Decode-as: DICOM and HL7 run on non-standard ports here (11112, 4242, 11113, 4006, 2575, 6661), a capture that
starts mid-association has no A-ASSOCIATE-RQ for tshark's heuristic, and wardwatch reads HTTP on any port while
tshark only half-detects it off its registered ports (a P2P client's request but not the response). A first tshark
pass over every capture finds the TCP streams whose first payload is a DICOM PDU header, an MLLP block or an HTTP/1.x
request or status line, and passes `-d tcp.port==N,dicom|hl7|http` for their server ports (both ports when the SYN
is missing) to a second pass. SNMP varbinds, NBNS and mDNS records need the order of fields inside a packet (an SRV
owner is not a dns.resp.name, NSEC bitmaps repeat dns.resp.type, NBSTAT name suffixes only appear in display text),
so captures with SNMP, NBNS or mDNS get a PDML pass restricted to those protocols. Fields are separated with ASCII
US (0x1f) and repeated values joined with RS (0x1e) rather than `|` and `,`: HL7 raw segments are `|`-delimited
and user agents contain commas.

Exit 77 (skipped) when tshark is missing; 1 when any comparison fails."""
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LAB, SHARED, read_json  # noqa: E402

SEP, AGG = "\x1f", "\x1e"
MAX_VALUE = 256  # wardwatch's kMaxValueLength (parsers/include/wardwatch/text.hpp)

GROUPS = {
    "dicom": ("dicom.ae_title", "dicom.calling_ae", "dicom.called_ae", "dicom.implementation_class_uid",
              "dicom.implementation_version_name", "dicom.command"),
    "hl7": ("hl7.sending_application", "hl7.sending_facility", "hl7.receiving_application",
            "hl7.receiving_facility", "hl7.message_type", "hl7.version", "hl7.application", "hl7.facility"),
    "lldp": ("lldp.system_name", "lldp.chassis_id"),
    "cdp": ("cdp.device_id", "cdp.platform"),
    "dhcp": ("dhcp.hostname", "dhcp.parameter_request_list"),
    "snmp": ("snmp.sys_descr", "snmp.sys_name"),
    "tls": ("tls.sni", "tls.ja3"),
    "http": ("http.user_agent", "http.server"),
    "mdns": ("mdns.hostname",),
    "nbns": ("nbns.name",),
}

BASE_FIELDS = ("frame.number", "eth.src", "eth.dst", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
               "udp.srcport", "udp.dstport", "icmp.type", "icmpv6.type")
SCAN_FIELDS = BASE_FIELDS + (
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.payload",
    "dhcp.hw.type", "dhcp.hw.len", "dhcp.hw.mac_addr", "dhcp.option.hostname", "dhcp.option.request_list_item",
    "lldp.chassis.subtype", "lldp.chassis.id", "lldp.chassis.id.mac", "lldp.chassis.id.ip4", "lldp.chassis.id.ip6",
    "lldp.tlv.system.name", "cdp.deviceid", "cdp.platform",
    "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.ja3",
    "http.request", "http.response.code", "http.user_agent", "http.server",
    "nbns.id", "snmp.data", "mdns")
APP_FIELDS = BASE_FIELDS + (
    "tcp.stream", "tcp.srcport", "tcp.dstport", "dicom.pdu.type", "dicom.assoc.ae.calling", "dicom.assoc.ae.called",
    "dicom.userinfo.uid", "dicom.userinfo.version", "hl7.raw.segment", "_ws.col.Info",
    "http.request", "http.response.code", "http.user_agent", "http.server")


# ------------------------------------------------------------------------------------------------ tshark runs
# wardwatch reads HTTP message heads and skips bodies without waiting for them; tshark by default reassembles a
# body before dissecting the message, so a response whose body the capture does not hold in full (a 206 of a large
# file in ndpi_gnutella.pcap) would show no headers at all.
COMMON_ARGS = ("-o", "http.desegment_body:FALSE")


def tshark(path, args, fields=()):
    cmd = ["tshark", "-n", "-r", path, *COMMON_ARGS, *args]
    if fields:
        cmd += ["-T", "fields", "-E", f"separator={SEP}", "-E", "occurrence=a", "-E", f"aggregator={AGG}"]
        for f in fields:
            cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    # A capture cut short in a record (hospital-lab-truncated.pcap): tshark prints every complete frame, then
    # exits 2 - as wardwatch keeps the frames read before the cut.
    if proc.returncode != 0 and b"cut short in the middle of a packet" not in proc.stderr:
        raise RuntimeError(f"tshark failed ({proc.returncode}) on {path}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def rows(path, args, fields):
    """One dict per frame: field -> list of values (empty list when absent)."""
    out = []
    for line in tshark(path, args, fields).decode("utf-8", errors="surrogateescape").split("\n"):
        if not line:
            continue
        cols = line.split(SEP)
        if len(cols) != len(fields):
            raise RuntimeError(f"{path}: tshark line has {len(cols)} columns, expected {len(fields)}: {line[:200]!r}")
        out.append({f: (c.split(AGG) if c else []) for f, c in zip(fields, cols)})
    return out


def first(row, field):
    v = row.get(field) or []
    return v[0] if v else ""


def truthy(v):
    # Booleans print as 1/0 in tshark 4.0 and as True/False in later versions.
    return v in ("1", "True")


# ------------------------------------------------------------------------------------- value normalisation
def printable(raw):
    """wardwatch's printable() (parsers/net_types.cpp): trailing NULs/spaces dropped, bytes outside 0x20..0x7e and
    the backslash shown as \\xHH, capped at 256 characters. tshark shows the same bytes as (UTF-8) text."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogateescape")
    raw = raw.rstrip(b"\0 ")
    out = []
    n = 0
    for c in raw:
        piece = chr(c) if 0x20 <= c < 0x7F and c != 0x5C else f"\\x{c:02x}"
        if n + len(piece) > MAX_VALUE:
            return "".join(out)[: MAX_VALUE - 3] + "..."
        out.append(piece)
        n += len(piece)
    return "".join(out)


def dicom_text(s):
    # AE titles and UIDs are space/NUL padded on the wire (PS3.5 §6.2: leading and trailing spaces of AE are not
    # significant; UIDs are NUL-padded to even length). tshark shows the padding (`CT_SCANNER1     `), wardwatch
    # trims it.
    return printable(s.strip(" \0"))


def unicast(mac):
    # Group MACs and the all-zero MAC are never assets (docs/output.md), so facts sent from them are not kept:
    # tcpdump_lldp-app-priority.pcap sends LLDP from 00:00:00:00:00:00.
    return bool(mac) and int(mac.split(":")[0], 16) & 1 == 0 and mac != "00:00:00:00:00:00"


# --------------------------------------------------------------------------------------------- attribution
class Facts:
    """tshark facts per (asset id, key), mapped with the wardwatch inventory's MACs and addresses."""

    def __init__(self, inventory):
        self.assets = {a["id"]: a for a in inventory["assets"]}
        self.by_ip = {}
        for a in inventory["assets"]:
            for ip in a["ips"]:
                self.by_ip.setdefault(ip, []).append(a["id"])
        self.values = {}
        self.unmapped = []  # (key, value, where) that no single wardwatch asset holds

    def asset(self, ip=None, mac=None):
        if ip and ip in self.by_ip:
            ids = self.by_ip[ip]
            if len(ids) == 1:
                return ids[0]
            if mac and f"mac:{mac}" in ids:
                return f"mac:{mac}"
            return None
        if mac and f"mac:{mac}" in self.assets:
            return f"mac:{mac}"
        return None

    def add(self, key, value, ip=None, mac=None):
        if value == "":
            return
        aid = self.asset(ip, mac)
        if aid is None:
            where = ip or mac
            if ip and len(self.by_ip.get(ip, ())) > 1:
                where = f"{ip} (in {len(self.by_ip[ip])} assets, none with MAC {mac})"
            self.unmapped.append((key, value, where))
            return
        self.values.setdefault((aid, key), set()).add(value)


def src(row):
    return first(row, "ip.src") or first(row, "ipv6.src")


def quoted(row):
    # An ICMP error quotes the datagram that caused it, and tshark dissects the quoted UDP/TCP payload (an NBNS
    # query inside a port unreachable) - which the ICMP sender did not send. wardwatch reads no ICMP payloads.
    return bool(row["icmp.type"] or row["icmpv6.type"])


def dst(row):
    return first(row, "ip.dst") or first(row, "ipv6.dst")


# --------------------------------------------------------------------------- pass 1: scan + identity fields
def is_dicom_pdu(b):
    # PS3.8 §9.3: type 1..7, reserved 0, 4-byte length; A-ASSOCIATE-RQ/AC carry protocol version 0x0001; a
    # P-DATA-TF starts with a PDV item whose length fits the PDU, an odd context ID and control bits <= 3.
    if len(b) < 10 or not 1 <= b[0] <= 7 or b[1] != 0:
        return False
    length = int.from_bytes(b[2:6], "big")
    if b[0] in (1, 2):
        return 68 <= length <= 131072 and b[6:8] == b"\x00\x01"
    if b[0] == 4:
        pdv = int.from_bytes(b[6:10], "big")
        return len(b) >= 12 and 2 <= pdv <= length - 4 and b[10] & 1 == 1 and b[11] <= 3
    return length == 4 and len(b) == 10  # RJ, RELEASE-RQ/RP, ABORT


def is_hl7(b):
    return b.startswith(b"\x0bMSH") or b.startswith(b"MSH|")


HTTP_START = re.compile(rb"^(?:(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) \S+ HTTP/1\.[01]\r?\n"
                        rb"|HTTP/1\.[01] \d{3}[ \r\n])")


def stream_kind(b):
    return "dicom" if is_dicom_pdu(b) else "hl7" if is_hl7(b) else "http" if HTTP_START.match(b) else None


def http_facts(frames, facts):
    """HTTP over TCP only: SSDP (HTTPU, udp/1900) uses the same tshark fields but is wardwatch's ssdp parser with
    ssdp.* keys. wardwatch reads the first 4 requests and the first 4 responses (not counting 1xx) of a connection
    (docs/protocols/http.md), so later messages of a keep-alive connection are not compared."""
    count = {}  # (tcp.stream, direction) -> HTTP messages seen so far
    for r in frames:
        stream = first(r, "tcp.stream")
        if not stream or quoted(r):
            continue
        s, mac_s = src(r), first(r, "eth.src")
        if r["http.request"]:
            key = (stream, "rq")
            count[key] = count.get(key, 0) + len(r["http.request"])
            if count[key] <= 4:
                for v in r["http.user_agent"]:
                    facts.add("http.user_agent", printable(v), ip=s, mac=mac_s)
        codes = [c for c in r["http.response.code"] if not c.startswith("1")]
        if codes:
            key = (stream, "rsp")
            count[key] = count.get(key, 0) + len(codes)
            if count[key] <= 4:
                for v in r["http.server"]:
                    facts.add("http.server", printable(v), ip=s, mac=mac_s)


def scan(path, frames, facts):
    """Identity facts from the first pass; returns (decode-as args, needs a PDML pass)."""
    streams = {}  # tcp.stream -> {"server": port or None, "ports": {..}, "kind": None|dicom|hl7|http, "seen": bool}
    needs_pdml = False
    for r in frames:
        mac_s, mac_d = first(r, "eth.src"), first(r, "eth.dst")
        s, d = src(r), dst(r)
        needs_pdml |= bool(r["snmp.data"] or r["nbns.id"] or r["mdns"])
        if quoted(r):
            continue

        stream = first(r, "tcp.stream")
        if stream:
            st = streams.setdefault(stream, {"server": None, "ports": set(), "kind": None, "seen": False})
            sport, dport = first(r, "tcp.srcport"), first(r, "tcp.dstport")
            st["ports"] |= {sport, dport}
            if truthy(first(r, "tcp.flags.syn")) and not truthy(first(r, "tcp.flags.ack")):
                st["server"] = dport
            payload = first(r, "tcp.payload")
            if payload and not st["seen"]:
                st["seen"] = True
                b = bytes.fromhex(payload.replace(":", ""))
                st["kind"] = stream_kind(b)

        # DHCP: facts about the client hardware address (chaddr), whoever sent the message (a relay or the server
        # may). Only Ethernet chaddrs (htype 1, hlen 6) name an asset: wardwatch skips the others.
        chaddr = first(r, "dhcp.hw.mac_addr")
        if chaddr and first(r, "dhcp.hw.type") in ("0x01", "1") and first(r, "dhcp.hw.len") == "6":
            for h in r["dhcp.option.hostname"]:
                facts.add("dhcp.hostname", printable(h), mac=chaddr)
            prl = r["dhcp.option.request_list_item"]
            if prl:
                facts.add("dhcp.parameter_request_list", ",".join(prl), mac=chaddr)

        if unicast(mac_s):
            # LLDP chassis ID: wardwatch shows "<802.1AB subtype name>:<value>" (MAC as a MAC, network address as an
            # IP), so it cannot be confused with an interface name; tshark gives the subtype number and the value.
            sub = first(r, "lldp.chassis.subtype")
            if sub:
                names = {"1": "chassis_component", "2": "interface_alias", "3": "port_component", "4": "mac",
                         "5": "network_address", "6": "interface_name", "7": "local"}
                kind = names.get(sub, f"subtype{sub}")
                value = (first(r, "lldp.chassis.id.mac") or first(r, "lldp.chassis.id.ip4")
                         or first(r, "lldp.chassis.id.ip6"))
                if not value and first(r, "lldp.chassis.id"):
                    value = printable(bytes.fromhex(first(r, "lldp.chassis.id").replace(":", "")))
                facts.add("lldp.chassis_id", f"{kind}:{value}", mac=mac_s)
            for v in r["lldp.tlv.system.name"]:
                facts.add("lldp.system_name", printable(v), mac=mac_s)
            for v in r["cdp.deviceid"]:
                facts.add("cdp.device_id", printable(v), mac=mac_s)
            for v in r["cdp.platform"]:
                facts.add("cdp.platform", printable(v), mac=mac_s)

        # TLS ClientHello: the SNI names the server (the receiver), the JA3 fingerprints the client (the sender).
        if "1" in r["tls.handshake.type"]:
            for v in r["tls.handshake.extensions_server_name"]:
                facts.add("tls.sni", printable(v), ip=d, mac=mac_d)
            for v in r["tls.handshake.ja3"]:
                facts.add("tls.ja3", v, ip=s, mac=mac_s)

    decode = []
    for st in streams.values():
        if st["kind"]:
            ports = [st["server"]] if st["server"] else sorted(p for p in st["ports"] if p)
            decode += [f"tcp.port=={p},{st['kind']}" for p in ports]
    return sorted(set(decode)), needs_pdml


# ------------------------------------------------------------------------------------ pass 2: DICOM and HL7
DIMSE = re.compile(r"\b([CN]-[A-Z]+-(?:RQ|RSP))(?![-\w])")


def hl7_display(value, seps):
    """wardwatch's display of an HL7 field (docs/protocols/hl7.md): the message's own separators shown as the
    standard `^ ~ &`, delimiter escapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ decoded, other escapes dropped, trailing empty
    components removed, then printable()."""
    field, comp, rep, esc, sub = seps

    def unescape(text):
        out, i = [], 0
        while i < len(text):
            if text[i] == esc:
                j = text.find(esc, i + 1)
                if j < 0:
                    out.append(text[i:])
                    break
                code = text[i + 1:j]
                out.append({"F": field, "S": comp, "T": sub, "R": rep, "E": esc}.get(code, ""))
                i = j + 1
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    reps = []
    for r in value.split(rep):
        comps = [("&".join(unescape(x) for x in c.split(sub))).rstrip("&") for c in r.split(comp)]
        while comps and comps[-1] == "":
            comps.pop()
        reps.append("^".join(comps))
    return printable("~".join(reps))


def app_facts(path, decode, facts):
    frames = rows(path, [x for d in decode for x in ("-d", d)] + ["-o", "hl7.display_raw:TRUE",
                                                                  "-Y", "dicom || hl7 || http"], APP_FIELDS)
    http_facts(frames, facts)
    rq_streams = set()
    for r in frames:
        if "0x01" in r["dicom.pdu.type"]:
            rq_streams.add(first(r, "tcp.stream"))
    for r in frames:
        if quoted(r):
            continue
        s, d, mac_s, mac_d = src(r), dst(r), first(r, "eth.src"), first(r, "eth.dst")
        types = r["dicom.pdu.type"]
        for t in types:
            # The RQ states who calls whom. The AC echoes both AE titles, but PS3.8 §9.3.3 says they "shall not be
            # tested": wardwatch uses them only when the RQ was not captured (and so does this test).
            if t not in ("0x01", "0x02") or (t == "0x02" and first(r, "tcp.stream") in rq_streams):
                continue
            calling = dicom_text(first(r, "dicom.assoc.ae.calling"))
            called = dicom_text(first(r, "dicom.assoc.ae.called"))
            if not calling or not called:
                continue  # wardwatch emits AE facts only when both titles are present
            rq_ip, rq_mac, ac_ip, ac_mac = (s, mac_s, d, mac_d) if t == "0x01" else (d, mac_d, s, mac_s)
            facts.add("dicom.ae_title", calling, ip=rq_ip, mac=rq_mac)
            facts.add("dicom.called_ae", called, ip=rq_ip, mac=rq_mac)
            facts.add("dicom.ae_title", called, ip=ac_ip, mac=ac_mac)
            facts.add("dicom.calling_ae", calling, ip=ac_ip, mac=ac_mac)
        if "0x01" in types or "0x02" in types:
            # Each side's own implementation, from its RQ or AC.
            for v in r["dicom.userinfo.uid"]:
                facts.add("dicom.implementation_class_uid", dicom_text(v), ip=s, mac=mac_s)
            for v in r["dicom.userinfo.version"]:
                facts.add("dicom.implementation_version_name", dicom_text(v), ip=s, mac=mac_s)
        if types:
            for cmd in DIMSE.findall(first(r, "_ws.col.Info")):
                facts.add("dicom.command", cmd, ip=s, mac=mac_s)

        for seg in r["hl7.raw.segment"]:
            # tshark shows the segment terminator (CR) escaped, as the two characters `\r`.
            seg = re.sub(r"(\\r|\\n|[\r\n])+$", "", seg)
            if not seg.startswith("MSH") or len(seg) < 8:
                continue
            field_sep = seg[3]
            enc = seg[4:].split(field_sep, 1)[0]
            if len(enc) < 3:
                continue
            seps = (field_sep, enc[0], enc[1], enc[2], enc[3] if len(enc) > 3 else "&")
            f = seg.split(field_sep)  # f[0] = "MSH", f[1] = MSH-2, so MSH-n is f[n-1]

            def msh(n):
                return f[n - 1] if len(f) >= n else ""

            # MSH-9: wardwatch keeps components 1-2 (`ADT^A01`), dropping the message structure (`ADT_A01`), which
            # adds nothing for asset identity. MSH-12: component 1 (the version ID, without internationalisation).
            msg_type = hl7_display(seps[1].join(msh(9).split(seps[1])[:2]), seps)
            version = hl7_display(msh(12).split(seps[1])[0], seps)
            for key, value in (("hl7.sending_application", hl7_display(msh(3), seps)),
                               ("hl7.sending_facility", hl7_display(msh(4), seps)),
                               ("hl7.receiving_application", hl7_display(msh(5), seps)),
                               ("hl7.receiving_facility", hl7_display(msh(6), seps)),
                               ("hl7.message_type", msg_type), ("hl7.version", version),
                               ("hl7.application", hl7_display(msh(3), seps)),
                               ("hl7.facility", hl7_display(msh(4), seps))):
                facts.add(key, value, ip=s, mac=mac_s)
            # The receiver is named by MSH-5/6 (hl7.application / hl7.facility on the receiving end).
            facts.add("hl7.application", hl7_display(msh(5), seps), ip=d, mac=mac_d)
            facts.add("hl7.facility", hl7_display(msh(6), seps), ip=d, mac=mac_d)


# ------------------------------------------------------------------------- pass 3: mDNS, SNMP, NBNS (PDML)
SNMP_SYSTEM = {"1.3.6.1.2.1.1.1.0": "snmp.sys_descr", "1.3.6.1.2.1.1.5.0": "snmp.sys_name"}
NB_NAME = re.compile(r"^Name: (.*<[0-9a-fA-F]{2}>)(?: \(.*\))?$")
MDNS_RR = re.compile(r"^(.*): type (A|AAAA), class ")
RR_SECTIONS = ("Answers", "Authoritative nameservers", "Additional records")


def pdml_facts(path, facts):
    xml = tshark(path, ["-Y", "snmp || nbns || mdns", "-T", "pdml", "-J", "eth ip ipv6 snmp nbns mdns"])
    for packet in ET.fromstring(xml).iter("packet"):
        if packet.find("proto[@name='icmp']") is not None or packet.find("proto[@name='icmpv6']") is not None:
            continue  # see quoted()
        fields = list(packet.iter("field"))
        get = {}
        for f in fields:
            get.setdefault(f.get("name"), f.get("show"))
        ip, mac = get.get("ip.src") or get.get("ipv6.src"), get.get("eth.src")

        # mDNS responses: every A/AAAA record whose owner ends in .local names the responder, in any section
        # (RFC 6762 §6: the additional section carries the host's addresses). wardwatch emits the owner without
        # ".local"; queries (their known answers are about other hosts) are not used. tshark summarises each
        # record as "<owner>: type A, class IN, ...".
        mdns = packet.find("proto[@name='mdns']")
        if mdns is not None and truthy(get.get("dns.flags.response")):
            for section in mdns.findall("field[@name='']"):
                if section.get("show") not in RR_SECTIONS:
                    continue
                for rr in section.findall("field[@name='']"):
                    m = MDNS_RR.match(rr.get("show", ""))
                    if m and m.group(1).lower().endswith(".local") and len(m.group(1)) > 6:
                        facts.add("mdns.hostname", printable(m.group(1)[:-6]), ip=ip, mac=mac)

        # SNMP: the agent is the sender of a Response (2), v1 Trap (4), v2 Trap (7) or Report (8); a Set or an
        # Inform carries values for the receiver, Get* requests carry none (docs/protocols/snmp.md).
        if get.get("snmp.data") in ("2", "4", "7", "8"):
            name = None
            for f in fields:
                n = f.get("name")
                if n == "snmp.name":
                    name = f.get("show")
                elif n and n.startswith("snmp.value.") and name in SNMP_SYSTEM:
                    if n == "snmp.value.octets":
                        facts.add(SNMP_SYSTEM[name], printable(bytes.fromhex(f.get("value", ""))), ip=ip, mac=mac)
                    name = None

        # NBNS unique names the sender claims: NB records of registration/refresh requests (opcodes 5, 8, 9),
        # NB records of positive name query responses whose address is the sender's own (a WINS server answers
        # for other nodes), and NBSTAT node name tables. '*' and __MSBROWSE__ are not names.
        if "nbns.id" in get:
            response = truthy(get.get("nbns.flags.response"))
            opcode = get.get("nbns.flags.opcode")
            rcode = get.get("nbns.flags.rcode", "0")
            registration = not response and opcode in ("5", "8", "9")
            positive = response and opcode == "0" and rcode == "0"
            section, rr_name, rr_type, nb_group, nbstat_name = None, None, None, False, None
            for f in fields:
                n, show = f.get("name"), f.get("show")
                if n == "" and show in ("Queries", "Answers", "Authoritative nameservers", "Additional records"):
                    section = show
                elif n == "nbns.name":
                    m = NB_NAME.match(f.get("showname", ""))
                    rr_name, rr_type, nb_group = (m.group(1) if m else None), None, False
                elif n == "nbns.type":
                    rr_type = show
                elif n == "nbns.nb_flags.group" and section != "Queries":
                    nb_group = truthy(show)
                elif n == "nbns.addr" and section != "Queries" and rr_type == "32" and rr_name:
                    if nb_group or not (registration or (positive and show == ip)):
                        continue
                    if not rr_name.startswith(("*", "\x01")):
                        facts.add("nbns.name", rr_name, ip=ip, mac=mac)
                elif n == "nbns.netbios_name" and response and rcode == "0":
                    m = NB_NAME.match(f.get("showname", ""))
                    nbstat_name = m.group(1) if m else None
                elif n == "nbns.name_flags.group" and response and rcode == "0":
                    if not truthy(show) and nbstat_name and not nbstat_name.startswith(("*", "\x01")):
                        facts.add("nbns.name", nbstat_name, ip=ip, mac=mac)
                    nbstat_name = None


# ----------------------------------------------------------------------------------------------- comparison
def check(path):
    name = os.path.basename(path)
    inventory = read_json(path)
    facts = Facts(inventory)
    frames = rows(path, [], SCAN_FIELDS)
    decode, needs_pdml = scan(path, frames, facts)
    if decode:
        app_facts(path, decode, facts)  # HTTP facts come from this pass (with decode-as) when there is one
    else:
        http_facts(frames, facts)
    if needs_pdml:
        pdml_facts(path, facts)

    ww = {}
    for a in inventory["assets"]:
        for o in a["observations"]:
            ww.setdefault((a["id"], o["key"]), set()).add(o["value"])

    lines, passed, failed = [], 0, 0
    for group, keys in GROUPS.items():
        diffs, assets, values = [], set(), 0
        for key in keys:
            for aid in sorted({a for (a, k) in facts.values if k == key} | {a for (a, k) in ww if k == key}):
                t, w = facts.values.get((aid, key), set()), ww.get((aid, key), set())
                assets.add(aid)
                values += len(t & w)
                if t != w:
                    diffs.append(f"    {aid} {key}: tshark-only {sorted(t - w)} wardwatch-only {sorted(w - t)}")
        lost = [u for u in facts.unmapped if u[0] in keys]
        for key, value, where in lost:
            diffs.append(f"    no asset in the inventory for {where}: {key} = {value!r} (tshark)")
        if not assets and not lost:
            continue
        how = f"-d {' -d '.join(decode)}" if group in ("dicom", "hl7", "http") and decode else ""
        if diffs:
            failed += 1
            lines.append(f"FAIL {name} {group}: {len(diffs)} difference(s) {how}".rstrip())
            lines += diffs
        else:
            passed += 1
            lines.append(f"PASS {name} {group}: {len(assets)} asset(s), {values} value(s) agree")
    return lines, passed, failed


def safe_check(path):
    try:
        return check(path)
    except Exception as e:  # a tool failure is a failed check of that capture, not a crash of the whole run
        return [f"FAIL {os.path.basename(path)}: {type(e).__name__}: {e}"], 0, 1


def main():
    if not shutil.which("tshark"):
        print("SKIP: tshark not installed (scripts/install-deps.sh --test installs it)")
        return 77
    captures = sorted(glob.glob(os.path.join(LAB, "*.pcap")))
    if os.path.isdir(SHARED):
        captures += sorted(glob.glob(os.path.join(SHARED, "*.pcap*")))
    else:
        print(f"note: {SHARED} absent; checking only the lab captures")
    passed = failed = 0
    # Two captures at a time (the build machines have 2 cores); output stays in capture order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for lines, p, f in pool.map(safe_check, captures):
            passed += p
            failed += f
            for line in lines:
                print(line)
    print(f"tshark-fields: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
