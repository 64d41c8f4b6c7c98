#!/usr/bin/env python3
"""Writes a hostile capture (classic pcap, Ethernet) for the flood benchmark and tests.

    gen_flood.py OUT --kind syn|arp|macof|scan|churn [--count N] [--pps R] [--mix FILE] [--seed S]

  syn    N TCP SYNs from random source MACs and IPv4 addresses to one server (10.66.0.10:443), like
         `hping3 --flood --rand-source -S`.
  arp    N ARP requests from random source MACs (an ARP storm; RFC 826 layout).
  macof  N TCP SYNs between random source and destination MACs and addresses, as dsniff's macof sends them.
  scan   N TCP SYNs from one scanner (10.66.0.99) to N addresses of 10.67.0.0/16 and above, port 80.
  churn  N/3 real-looking devices (not a flood: each comes back), 3 packets each a thousand packets apart:
         an ARP request, a DNS query (UDP) and a TCP SYN to the server, from 10.64.0.0/10.

Packets are spaced 1/R s apart (default 1,000,000 per second). With --mix, the packets of FILE (a classic
pcap, Ethernet) are merged in by timestamp and the flood starts at FILE's first packet: a real network with
a flood running through it. Frames follow IEEE 802.3 / RFC 791 / RFC 9293 / RFC 826 field by field; the IPv4
header checksum is computed, the TCP checksum left 0 (wardwatch does not check it, as a passive sensor that
sees offloaded frames must not). Random MACs have the group bit clear. Written with struct, no scapy.
"""
import argparse
import random
import struct
import sys

SERVER_MAC = bytes.fromhex("02000a42000a")
SERVER_IP = bytes([10, 66, 0, 10])
SCANNER_MAC = bytes.fromhex("02000a420063")
SCANNER_IP = bytes([10, 66, 0, 99])


def ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def random_mac(rng: random.Random) -> bytes:
    first = rng.randrange(256) & 0xFE  # unicast (IEEE 802 group bit clear)
    return bytes([first]) + rng.randbytes(5)


def tcp_syn(src_mac, dst_mac, src_ip, dst_ip, sport, dport, seq) -> bytes:
    eth = dst_mac + src_mac + b"\x08\x00"
    # IPv4: version 4, IHL 5, total length 40, DF, TTL 64, protocol 6.
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src_ip, dst_ip)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    # TCP: data offset 5 words, SYN, window 512 (hping3's default), no options.
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 512, 0, 0)
    return eth + hdr + tcp


def udp_dns(src_mac, dst_mac, src_ip, dst_ip, sport) -> bytes:
    # A DNS query for "a.example" (RFC 1035 4.1): header, one question, type A, class IN.
    dns = struct.pack("!HHHHHH", sport & 0xFFFF, 0x0100, 1, 0, 0, 0) + b"\x01a\x07example\x00" + struct.pack("!HH", 1, 1)
    udp = struct.pack("!HHHH", sport, 53, 8 + len(dns), 0) + dns
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src_ip, dst_ip)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return dst_mac + src_mac + b"\x08\x00" + hdr + udp


def arp_request(src_mac, sender_ip, target_ip) -> bytes:
    eth = b"\xff" * 6 + src_mac + b"\x08\x06"
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src_mac, sender_ip, b"\x00" * 6, target_ip)
    return eth + arp + b"\x00" * 18  # padded to the 60-byte minimum frame


def flood_frames(kind: str, count: int, rng: random.Random):
    for i in range(count):
        if kind == "syn":
            yield tcp_syn(random_mac(rng), SERVER_MAC, rng.randbytes(4), SERVER_IP, rng.randrange(1024, 65536), 443,
                          rng.getrandbits(32))
        elif kind == "arp":
            yield arp_request(random_mac(rng), rng.randbytes(4), rng.randbytes(4))
        elif kind == "macof":
            yield tcp_syn(random_mac(rng), random_mac(rng), rng.randbytes(4), rng.randbytes(4), rng.randrange(65536),
                          rng.randrange(65536), rng.getrandbits(32))
        elif kind == "churn":
            # Device d's packets are at positions d*3-ish spread: packet k of device d at index (d // 1000) * 3000
            # + k * 1000 + d % 1000, so each device speaks again 1,000 packets later.
            block, slot = divmod(i, 3000)
            k, d_in = divmod(slot, 1000)
            d = block * 1000 + d_in
            mac = bytes([0x02, 0xCC]) + d.to_bytes(4, "big")
            ip = bytes([10, 64 + ((d >> 16) & 63), (d >> 8) & 0xFF, d & 0xFF])
            if k == 0:
                yield arp_request(mac, ip, SERVER_IP)
            elif k == 1:
                yield udp_dns(mac, SERVER_MAC, ip, SERVER_IP, 30000 + (d & 0x7FFF))
            else:
                yield tcp_syn(mac, SERVER_MAC, ip, SERVER_IP, 40000 + (d & 0x3FFF), 443, d)
        else:  # scan
            target = bytes([10, 67 + (i >> 16), (i >> 8) & 0xFF, i & 0xFF])
            yield tcp_syn(SCANNER_MAC, SERVER_MAC, SCANNER_IP, target, 40000 + (i & 0x3FFF), 80, rng.getrandbits(32))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f"gen_flood: {path}: not a pcap file")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian, nanos = "<", magic == b"\x4d\x3c\xb2\xa1"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian, nanos = ">", magic == b"\xa1\xb2\x3c\x4d"
    else:
        sys.exit(f"gen_flood: {path}: not a classic pcap file")
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        sys.exit(f"gen_flood: {path}: not an Ethernet capture")
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[at:at + 16])
        at += 16
        usec = frac // 1000 if nanos else frac
        yield sec * 1_000_000 + usec, data[at:at + incl], orig
        at += incl


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--kind", choices=["syn", "arp", "macof", "scan", "churn"], default="syn")
    ap.add_argument("--count", type=int, default=2_000_000)
    ap.add_argument("--pps", type=int, default=1_000_000)
    ap.add_argument("--mix")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    real = list(read_pcap(args.mix)) if args.mix else []
    start_us = real[0][0] if real else 1_700_000_000_000_000
    with open(args.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        rec = struct.Struct("<IIII")
        r = 0
        for i, frame in enumerate(flood_frames(args.kind, args.count, rng)):
            ts = start_us + i * 1_000_000 // args.pps
            while r < len(real) and real[r][0] <= ts:
                t, data, orig = real[r]
                out.write(rec.pack(t // 1_000_000, t % 1_000_000, len(data), orig) + data)
                r += 1
            out.write(rec.pack(ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)) + frame)
        for t, data, orig in real[r:]:
            out.write(rec.pack(t // 1_000_000, t % 1_000_000, len(data), orig) + data)


if __name__ == "__main__":
    main()
