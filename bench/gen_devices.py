#!/usr/bin/env python3
"""Writes a capture (classic pcap, Ethernet) of N devices joining a flat network, for the scale benchmark.

    gen_devices.py OUT --devices N [--first F] [--profile three|full] [--pps R]

  three  3 packets a device: an ARP request for the gateway, a DHCPREQUEST with its host name (option 12),
         and a TCP SYN to a server on 443 — the flat network of issue 15's cost table.
  full   6 packets a device: the three above, an mDNS response announcing "<host>.local" (A record), and
         the server's SYN+ACK and the device's ACK (a whole TCP handshake, so the server offers tcp/443).

Devices come in blocks of 1,000: packet k of every device of a block, then packet k+1, so that each device
speaks again 1,000 packets later (as it would on a real network, not all at once and never again). Device d
has MAC 02:dd:<d, 4 bytes> and address 10.128.0.0/9 + 16 + d; packets are 1/R s apart (default 100,000 a
second). --first F numbers the devices from F (distinct sites of a hospital group: site s with --first s*N).
Frames follow IEEE 802.3, RFC 826 (ARP), RFC 791 (IPv4, header checksum computed), RFC 768 (UDP,
checksum 0: optional in IPv4), RFC 2131/2132 (DHCP), RFC 6762 / RFC 1035 (mDNS), RFC 9293 (TCP, checksum 0:
wardwatch does not check it) field by field; written with struct, no scapy.
"""
import argparse
import struct
import sys

GATEWAY_MAC = bytes.fromhex("02000a800001")
GATEWAY_IP = bytes([10, 128, 0, 1])
SERVER_MAC = bytes.fromhex("02000a800002")
SERVER_IP = bytes([10, 128, 0, 2])
BLOCK = 1000


def ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src_ip, dst_ip, proto, payload, ttl=64) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, ttl, proto, 0, src_ip, dst_ip)
    return hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:] + payload


def ether(dst, src, ethertype, payload) -> bytes:
    frame = dst + src + struct.pack("!H", ethertype) + payload
    return frame + b"\x00" * max(0, 60 - len(frame))  # the 60-byte minimum frame (802.3)


def udp(sport, dport, payload) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def arp_request(mac, ip) -> bytes:
    # RFC 826: hardware Ethernet (1), protocol IPv4, lengths 6 and 4, request (1), asking for the gateway.
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip, b"\x00" * 6, GATEWAY_IP)
    return ether(b"\xff" * 6, mac, 0x0806, arp)


def dhcp_request(mac, ip, host, xid) -> bytes:
    # RFC 2131 §2: op 1, htype 1, hlen 6, hops 0, xid, secs, flags (broadcast), ciaddr 0 (INIT-REBOOT asks
    # for its address in option 50), yiaddr, siaddr, giaddr 0, chaddr padded to 16, sname and file empty.
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4,
                        b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    # RFC 2132: magic cookie, 53 message type 3 (REQUEST), 50 requested address, 12 host name,
    # 55 parameter request list (subnet mask, router, DNS, domain name), 255 end.
    options = (b"\x63\x82\x53\x63" + bytes([53, 1, 3]) + bytes([50, 4]) + ip +
               bytes([12, len(host)]) + host + bytes([55, 4, 1, 3, 6, 15]) + b"\xff")
    payload = udp(68, 67, bootp + options)
    return ether(b"\xff" * 6, mac, 0x0800, ipv4(b"\0" * 4, b"\xff" * 4, 17, payload))


def dns_name(name: bytes) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in name.split(b".")) + b"\x00"


def mdns_announcement(mac, ip, host) -> bytes:
    # RFC 6762 §8.3: an unsolicited response (QR and AA set, id 0) with one A record <host>.local, class IN
    # with the cache-flush bit (0x8001), TTL 120, to 224.0.0.251:5353 from port 5353, IP TTL 255.
    dns = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0) + dns_name(host + b".local") + \
        struct.pack("!HHIH", 1, 0x8001, 120, 4) + ip
    payload = udp(5353, 5353, dns)
    return ether(bytes.fromhex("01005e0000fb"), mac, 0x0800, ipv4(ip, bytes([224, 0, 0, 251]), 17, payload, ttl=255))


def tcp(src_mac, dst_mac, src_ip, dst_ip, sport, dport, seq, ack, flags) -> bytes:
    # RFC 9293 §3.1: data offset 5 words, no options, window 64240.
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    return ether(dst_mac, src_mac, 0x0800, ipv4(src_ip, dst_ip, 6, segment))


def device_packets(d: int, profile: str):
    mac = bytes([0x02, 0xDD]) + d.to_bytes(4, "big")
    a = d + 16  # past the gateway (.1) and the server (.2)
    ip = bytes([10, 128 + ((a >> 16) & 127), (a >> 8) & 0xFF, a & 0xFF])
    host = b"dev-%06d" % d
    sport = 32768 + (d & 0x3FFF)
    packets = [arp_request(mac, ip), dhcp_request(mac, ip, host, d), tcp(mac, SERVER_MAC, ip, SERVER_IP, sport, 443, d, 0, 0x02)]
    if profile == "full":
        packets.insert(2, mdns_announcement(mac, ip, host))
        packets.append(tcp(SERVER_MAC, mac, SERVER_IP, ip, 443, sport, 7, d + 1, 0x12))
        packets.append(tcp(mac, SERVER_MAC, ip, SERVER_IP, sport, 443, d + 1, 8, 0x10))
    return packets


def frames(devices: int, profile: str, first: int = 0):
    per_device = 3 if profile == "three" else 6
    for start in range(first, first + devices, BLOCK):
        block = [device_packets(d, profile) for d in range(start, min(first + devices, start + BLOCK))]
        for k in range(per_device):
            for packets in block:
                yield packets[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--devices", type=int, required=True)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--profile", choices=["three", "full"], default="three")
    ap.add_argument("--pps", type=int, default=100_000)
    args = ap.parse_args()
    if args.devices < 1 or args.first < 0 or args.first + args.devices > 8_000_000 - 16:
        sys.exit("gen_devices: --devices must be 1 to 8,000,000 (the 10.128.0.0/9 block)")
    step_us = max(1, 1_000_000 // args.pps)
    ts = 1_700_000_000 * 1_000_000
    with open(args.out, "wb") as out:
        # Classic pcap header (microseconds): magic, version 2.4, zone 0, sigfigs 0, snaplen, Ethernet (1).
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for frame in frames(args.devices, args.profile, args.first):
            out.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
            out.write(frame)
            ts += step_us


if __name__ == "__main__":
    main()
