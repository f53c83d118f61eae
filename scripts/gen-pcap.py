#!/usr/bin/env python3
"""Writes a pcap of N mixed Ethernet frames for the capture benchmark: ARP, ICMP echo, TCP,
UDP (a DNS query and its answer), 802.1Q-tagged UDP, VXLAN (UDP 4789) carrying inner TCP and
Geneve (UDP 6081, with an option) carrying inner ICMP. Usage: gen-pcap.py FILE [N]"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(dst, src, etype, payload):
    return bytes(dst) + bytes(src) + struct.pack("!H", etype) + payload


A, B = [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]
IA, IB = [10, 0, 0, 1], [10, 0, 0, 2]


def tcp(sport, dport, seq, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def frames():
    arp = eth([0xFF] * 6, A, 0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(A), bytes(IA), bytes(6), bytes(IB)))
    icmp = eth(B, A, 0x0800, ipv4(IA, IB, 1, struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"x" * 56))
    t = eth(B, A, 0x0800, ipv4(IA, IB, 6, tcp(40000, 80, 1000, 0x18, b"GET / HTTP/1.1\r\n\r\n")))
    qname = b"\x07example\x03com\x00"
    dq = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
    da = struct.pack("!HHHHHH", 0x1234, 0x8580, 1, 1, 0, 0) + qname + struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 1])
    u = eth(B, A, 0x0800, ipv4(IA, IB, 17, udp(5353, 53, dq)))
    ua = eth(A, B, 0x0800, ipv4(IB, IA, 17, udp(53, 5353, da)))
    gin = eth(B, A, 0x0800, ipv4([10, 43, 0, 1], [10, 43, 0, 2], 1, struct.pack("!BBHHH", 8, 0, 0, 9, 1) + b"g" * 32))
    gopt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\0" * 4
    gv = eth(B, A, 0x0800, ipv4(IA, IB, 17, udp(52000, 6081, struct.pack("!BBHI", 2, 0x40, 0x6558, 10 << 8) + gopt + gin)))
    vl = bytes(B) + bytes(A) + struct.pack("!HH", 0x8100, 100) + struct.pack("!H", 0x0800) + ipv4(IA, IB, 17, udp(1000, 2000, b"v" * 20))
    inner = eth(B, A, 0x0800, ipv4([10, 42, 0, 1], [10, 42, 0, 2], 6, tcp(50000, 443, 7, 0x10, b"d" * 40)))
    vx = eth(B, A, 0x0800, ipv4(IA, IB, 17, udp(51000, 4789, struct.pack("!BBHI", 0x08, 0, 0, 42 << 8) + inner)))
    return [arp, icmp, t, u, ua, vl, vx, gv]


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    fs = frames()
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        recs = []
        for i in range(n):
            fr = fs[i % len(fs)]
            recs.append(struct.pack("<IIII", 1_700_000_000 + i // 100_000, i % 1_000_000, len(fr), len(fr)) + fr)
            if len(recs) >= 10000:
                f.write(b"".join(recs))
                recs = []
        f.write(b"".join(recs))


main()
