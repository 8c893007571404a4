#!/usr/bin/env python3
"""Writes the malformed-capture corpus of test_malformed.sh.

    make_malformed.py OUTDIR [CASE...]   write OUTDIR/CASE.pcap (default: all)
    make_malformed.py --list             print the case names, one a line

Every capture is a classic little-endian pcap (v2.4, Ethernet) written with
struct.pack. Apart from its malformed part, each holds one ordinary FTP
login on its own 4-tuple, 192.0.2.10:40000 -> 198.51.100.20:21:

    220 greeting, USER alice / 331, PASS corpus-secret / 230, QUIT / 221,
    then FINs from both sides

so that the test can check the rest of the capture is still analysed.
Where the malformed part is a frame that can be skipped, it sits in the
middle of that session (after the PASS, while it waits for its 230); where it ends the
file (a truncated record, a record libpcap refuses), the session comes
first, since nothing after such a record can be read by anyone.

Checksums are computed for IPv4 headers (ftpstall does not check them;
Wireshark does). Timestamps only ever go forward. Python 3 standard library
only.
"""

import ipaddress
import os
import struct
import sys

BASE_TS_US = 1_700_000_000 * 1_000_000
SNAPLEN = 262144
LINKTYPE_ETHERNET = 1

FLAG_FIN, FLAG_SYN, FLAG_RST, FLAG_PSH, FLAG_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

PASSWORD = b"corpus-secret"

MAC_CLIENT = bytes.fromhex("020000000001")
MAC_SERVER = bytes.fromhex("020000000002")

# ---- encoders --------------------------------------------------------------


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def ip6(text):
    return ipaddress.IPv6Address(text).packed


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ether(payload, ethertype=0x0800):
    return MAC_SERVER + MAC_CLIENT + struct.pack("!H", ethertype) + payload


def tcp_header(sport, dport, seq, ack, flags, window=65535, options=b"", doff=None):
    """A TCP header. doff (in 32-bit words) defaults to the true one."""
    if doff is None:
        assert len(options) % 4 == 0
        doff = 5 + len(options) // 4
    return (
        struct.pack(
            "!HHIIBBHHH",
            sport,
            dport,
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF,
            (doff & 0x0F) << 4,
            flags,
            window,
            0,
            0,
        )
        + options
    )


def ipv4(src, dst, payload, proto=6, ihl=5, total_len=None, options=b"", ttl=64):
    """An IPv4 packet; ihl and total_len default to the true values."""
    if total_len is None:
        total_len = 20 + len(options) + len(payload)
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | (ihl & 0x0F),
        0,
        total_len & 0xFFFF,
        0,
        0x4000,  # don't fragment
        ttl,
        proto,
        0,
        ip4(src),
        ip4(dst),
    ) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, payload, payload_len=None, hop_limit=64):
    if payload_len is None:
        payload_len = len(payload)
    return (
        struct.pack("!IHBB16s16s", 6 << 28, payload_len, next_header, hop_limit, ip6(src), ip6(dst))
        + payload
    )


class Pcap:
    """Writes records with timestamps that only go forward."""

    def __init__(self, path, snaplen=SNAPLEN, magic=0xA1B2C3D4):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))
        self.ts_us = BASE_TS_US

    def record(self, frame, dt_us=1000, caplen=None, wirelen=None, data=None):
        """One record. caplen/wirelen default to len(frame); data (the bytes
        actually written) defaults to frame[:caplen]."""
        self.ts_us += dt_us
        if caplen is None:
            caplen = len(frame)
        if wirelen is None:
            wirelen = len(frame)
        if data is None:
            data = frame[:caplen]
        sec, usec = divmod(self.ts_us, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, caplen, wirelen))
        self.f.write(data)

    def raw(self, data):
        self.f.write(data)

    def close(self):
        self.f.close()


class Conn:
    """One TCP connection over IPv4/Ethernet; tracks both sides' seq."""

    def __init__(self, client, cport, server, sport, isn_c=1000, isn_s=500000):
        self.client, self.cport, self.server, self.sport = client, cport, server, sport
        self.seq = {"c": isn_c, "s": isn_s}

    def frame(self, side, flags, payload=b"", seq=None, ack=None):
        src, sport, dst, dport = (
            (self.client, self.cport, self.server, self.sport)
            if side == "c"
            else (self.server, self.sport, self.client, self.cport)
        )
        other = "s" if side == "c" else "c"
        seq = self.seq[side] if seq is None else seq
        ack = self.seq[other] if ack is None else ack
        tcp = tcp_header(sport, dport, seq, ack, flags) + payload
        return ether(ipv4(src, dst, tcp))

    def send(self, side, payload=b"", flags=FLAG_PSH | FLAG_ACK):
        f = self.frame(side, flags, payload)
        self.seq[side] += len(payload) + (1 if flags & (FLAG_SYN | FLAG_FIN) else 0)
        return f

    def handshake(self):
        return [
            self.send("c", flags=FLAG_SYN),
            self.send("s", flags=FLAG_SYN | FLAG_ACK),
            self.send("c", flags=FLAG_ACK),
        ]


def normal_session():
    """The ordinary login every capture also holds, as a list of frames."""
    c = Conn("192.0.2.10", 40000, "198.51.100.20", 21)
    frames = c.handshake()
    for side, line in [
        ("s", b"220 corpus FTP server ready\r\n"),
        ("c", b"USER alice\r\n"),
        ("s", b"331 Password required for alice\r\n"),
        ("c", b"PASS " + PASSWORD + b"\r\n"),
        ("s", b"230 User alice logged in\r\n"),
        ("c", b"QUIT\r\n"),
        ("s", b"221 Goodbye\r\n"),
    ]:
        frames.append(c.send(side, line))
    frames.append(c.send("s", flags=FLAG_FIN | FLAG_ACK))
    frames.append(c.send("c", flags=FLAG_FIN | FLAG_ACK))
    frames.append(c.send("s", flags=FLAG_ACK))
    return frames


# Where malformed frames go into the session: after PASS, before 230.
MIDDLE = 7


def with_session_around(pcap, bad_records):
    """Session start, the malformed records (callables taking the pcap),
    session end."""
    session = normal_session()
    for f in session[:MIDDLE]:
        pcap.record(f)
    for write in bad_records:
        write(pcap)
    for f in session[MIDDLE:]:
        pcap.record(f)


def rec(frame, **kw):
    return lambda pcap: pcap.record(frame, **kw)


# A side flow for single malformed frames (not FTP, not the session's).
def side_tcp(payload=b"", flags=FLAG_PSH | FLAG_ACK, doff=None, options=b"", sport=50000):
    return tcp_header(sport, 8080, 1, 1, flags, options=options, doff=doff) + payload


SIDE_SRC, SIDE_DST = "203.0.113.5", "198.51.100.20"

# ---- the cases ---------------------------------------------------------------


def case_bad_magic(path):
    """Magic number 0xdeadbeef, otherwise a good file: unreadable."""
    p = Pcap(path, magic=0xDEADBEEF)
    for f in normal_session():
        p.record(f)
    p.close()


def case_truncated_global_header(path):
    """The first 10 of the 24 global header bytes: unreadable."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, 1)[:10])


def case_truncated_record(path):
    """The session, then a record header promising 100 bytes and only 30
    of them before the end of the file."""
    p = Pcap(path)
    for f in normal_session():
        p.record(f)
    frame = ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(b"x" * 46)))
    p.record(frame, data=frame[:30])
    p.close()


def case_truncated_record_header(path):
    """The session, then 8 of a record header's 16 bytes."""
    p = Pcap(path)
    for f in normal_session():
        p.record(f)
    p.raw(struct.pack("<IIII", 1_700_000_100, 0, 60, 60)[:8])
    p.close()


def case_caplen_gt_snaplen(path):
    """snaplen 128 in the file header; a record with caplen = len = 400
    (libpcap keeps 128 bytes and skips the rest)."""
    p = Pcap(path, snaplen=128)
    frame = ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(b"y" * (400 - 54))))
    assert len(frame) == 400
    with_session_around(p, [rec(frame)])
    p.close()


def case_caplen_zero(path):
    """caplen 0 with len 60, and caplen 0 with len 0."""
    p = Pcap(path)
    with_session_around(p, [rec(b"", wirelen=60), rec(b"", wirelen=0)])
    p.close()


def case_caplen_1gib(path):
    """The session, then a record header with caplen = len = 1 GiB followed
    by only 64 bytes, then a good record nobody can reach."""
    p = Pcap(path)
    for f in normal_session():
        p.record(f)
    frame = ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(b"z" * 10)))
    p.record(frame, caplen=1 << 30, wirelen=1 << 30, data=frame)
    p.record(frame)
    p.close()


def case_ipv4_bad_ihl(path):
    """IPv4 IHL 0, 4 (< 5) and 15 (60 bytes, past the 40-byte packet)."""
    seg = side_tcp()
    p = Pcap(path)
    with_session_around(
        p,
        [
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, ihl=0))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, ihl=4))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, ihl=15))),
        ],
    )
    p.close()


def case_ipv4_total_length_lies(path):
    """Total length 1500 in a 54-byte frame, 10 (< the header), 30 (too
    short for a TCP header), and 65535 with a 64 KiB-long wire length
    but a short capture."""
    seg = side_tcp()
    p = Pcap(path)
    big = ether(ipv4(SIDE_SRC, SIDE_DST, seg, total_len=0xFFFF))
    with_session_around(
        p,
        [
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, total_len=1500))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, total_len=10))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, seg, total_len=30))),
            rec(big, wirelen=0xFFFF + 13),  # wire one byte short of the claim
        ],
    )
    p.close()


def case_tcp_bad_data_offset(path):
    """TCP data offset 0 and 4 (< 5), and 15 (60 bytes) in a 20-byte
    segment."""
    p = Pcap(path)
    with_session_around(
        p,
        [
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(doff=0)))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(doff=4)))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(doff=15)))),
            rec(ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(b"abcd", doff=15)))),
        ],
    )
    p.close()


def case_tcp_options_overrun(path):
    """Options that overrun the header: MSS with length 8 in 4 bytes,
    timestamps with length 0 (a parser that trusts it never advances),
    window scale with length 1, and a last option cut by the header end."""
    p = Pcap(path)
    bad_options = [
        bytes([2, 8, 5, 0xB4]),  # MSS claims 8 bytes, 4 left
        bytes([8, 0, 0, 0]),  # length 0
        bytes([3, 1, 1, 1]),  # length 1
        bytes([1, 1, 3, 3]),  # NOP NOP, then wscale needing 3 bytes with 2
        bytes([1] * 36 + [8, 10, 0, 0]),  # 40 bytes: timestamps cut at the end
    ]
    with_session_around(
        p,
        [rec(ether(ipv4(SIDE_SRC, SIDE_DST, side_tcp(options=o)))) for o in bad_options],
    )
    p.close()


def case_ipv6_ext_loop(path):
    """IPv6 extension header chains: 9 hop-by-hop headers in a row, 200
    destination-options headers each naming another (a loop as far as a
    naive parser can tell), and a routing header whose length (255: 2048
    bytes) runs past the packet."""
    src, dst = "2001:db8::5", "2001:db8::20"
    tcp = tcp_header(50000, 8080, 1, 1, FLAG_ACK)

    def chain(kind, count):
        body = tcp
        for i in range(count):
            nxt = 6 if i == 0 else kind
            body = bytes([nxt, 0, 1, 4, 0, 0, 0, 0]) + body  # PadN filling 6 bytes
        return ether(ipv6(src, dst, kind, body), 0x86DD)

    overrun = ether(ipv6(src, dst, 43, bytes([6, 255, 0, 0, 0, 0, 0, 0]) + tcp), 0x86DD)
    p = Pcap(path)
    with_session_around(p, [rec(chain(0, 9)), rec(chain(60, 200)), rec(overrun)])
    p.close()


SYN_FLOOD_FLOWS = 1_000_000


def syn_flood(path, port):
    """1 000 000 SYNs from distinct clients (10.x.y.z:1024+) to port of
    198.51.100.20, 10 us apart, never answered. The session's 14 packets
    are spread through the flood, one every 50 000 SYNs (far fewer than the
    flow table holds, so an active session is never the least recently
    used flow), starting after 100 000."""
    session = normal_session()
    p = Pcap(path)
    server = ip4("198.51.100.20")
    ip_part = struct.Struct("!BBHHHBBH4s4s")
    rec_hdr = struct.Struct("<IIII")
    tcp_part = struct.Struct("!HHIIBBHHH")
    write = p.f.write
    ts = p.ts_us
    next_session = 0
    for i in range(SYN_FLOOD_FLOWS):
        if i >= 100_000 and i % 50_000 == 0 and next_session < len(session):
            p.ts_us = ts
            p.record(session[next_session], dt_us=10)
            ts = p.ts_us
            next_session += 1
        src = bytes((10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF))
        ip = ip_part.pack(0x45, 0, 40, i & 0xFFFF, 0x4000, 64, 6, 0, src, server)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        seq = (i * 7919) & 0xFFFFFFFF
        tcp = tcp_part.pack(1024 + (i % 60000), port, seq, 0, 0x50, FLAG_SYN, 64240, 0, 0)
        ts += 10
        write(rec_hdr.pack(ts // 1_000_000, ts % 1_000_000, 54, 54))
        write(MAC_SERVER + MAC_CLIENT + b"\x08\x00" + ip + tcp)
    p.ts_us = ts
    for f in session[next_session:]:
        p.record(f)
    p.close()


def case_syn_flood(path):
    """The SYN flood aimed at a port nobody analyses (8080)."""
    syn_flood(path, 8080)


def case_syn_flood_ftp(path):
    """The SYN flood aimed at the FTP server's control port 21, as a flood
    against an FTP server would be."""
    syn_flood(path, 21)


OOO_SEGMENTS = 100_000


def case_ooo_hole(path):
    """Two control connections (port 21) whose clients send 50 000
    segments each beyond a 1000-byte hole that never fills and that the
    server never ACKs past: 40-byte segments on the first (the per-flow
    segment cap, 4096, is reached first) and 1000-byte ones on the second
    (the 1 MiB per-flow byte cap is). Without caps the second alone would
    hold 50 MB. The payload is CRLFs (empty lines) only, so what is
    delivered adds nothing else to count. Then the session."""
    p = Pcap(path)
    flows = [
        (Conn("192.0.2.30", 41000, "198.51.100.20", 21), b"\r\n" * 20),
        (Conn("192.0.2.31", 41001, "198.51.100.20", 21), b"\r\n" * 500),
    ]
    for c, _ in flows:
        for f in c.handshake():
            p.record(f)
        p.record(c.send("s", b"220 corpus FTP server ready\r\n"))
    for c, payload in flows:
        base = c.seq["c"] + 1000
        for i in range(OOO_SEGMENTS // len(flows)):
            p.record(c.frame("c", FLAG_PSH | FLAG_ACK, payload, seq=base + i * len(payload)),
                     dt_us=10)
    for f in normal_session():
        p.record(f)
    p.close()


LONG_LINE_BYTES = 100 * 1000 * 1000
LONG_LINE_SEGMENT = 65000


def case_line_100mb(path):
    """A control connection (port 21): greeting, then the client sends
    100 MB without a newline in 65000-byte segments, each ACKed. Then the
    session."""
    c = Conn("192.0.2.40", 42000, "198.51.100.20", 21)
    p = Pcap(path)
    for f in c.handshake():
        p.record(f)
    p.record(c.send("s", b"220 corpus FTP server ready\r\n"))
    chunk = b"A" * LONG_LINE_SEGMENT
    sent = 0
    while sent < LONG_LINE_BYTES:
        n = min(LONG_LINE_SEGMENT, LONG_LINE_BYTES - sent)
        p.record(c.send("c", chunk[:n]), dt_us=100)
        p.record(c.send("s", flags=FLAG_ACK), dt_us=10)
        sent += n
    for f in normal_session():
        p.record(f)
    p.close()


MULTILINE_LINES = 500_000


def case_multiline_reply_never_ends(path):
    """A control connection (port 21) whose greeting "220-" is followed by
    500 000 continuation lines (some with other codes, some "220-") and
    never by "220 ". The client logs in meanwhile; its commands wait for
    replies forever. Then the session."""
    c = Conn("192.0.2.50", 43000, "198.51.100.20", 21)
    p = Pcap(path)
    for f in c.handshake():
        p.record(f)
    p.record(c.send("s", b"220-corpus FTP server, a long story follows\r\n"))
    p.record(c.send("c", b"USER bob\r\n"))
    lines = [b"220-still the greeting\r\n", b"230 not the end: another code\r\n",
             b" indented text\r\n", b"\r\n", b"220-and more\r\n"]
    block = b"".join(lines[i % len(lines)] for i in range(2000))
    for _ in range(MULTILINE_LINES // 2000):
        p.record(c.send("s", block), dt_us=100)
        p.record(c.send("c", flags=FLAG_ACK), dt_us=10)
    for f in normal_session():
        p.record(f)
    p.close()


def tls_record(content_type, body, version=0x0303, length=None):
    return struct.pack("!BHH", content_type, version,
                       len(body) if length is None else length) + body


def case_tls_records_lie(path):
    """FTPS control connections whose TLS lies. Implicit (port 990): a
    ClientHello whose handshake length claims 60000 bytes in a record of
    100; 5 MB of maximum-size application-data records from the server
    (huge, but legal), then a record header of length 65535 (over the
    limit). Explicit (port 21, AUTH TLS answered 234): a ClientHello cut
    after its version, then a server record header claiming 40000 bytes.
    Then the session."""
    p = Pcap(path)
    c = Conn("192.0.2.60", 44000, "198.51.100.20", 990)
    for f in c.handshake():
        p.record(f)
    hello = struct.pack("!B", 1) + (60000).to_bytes(3, "big") + b"\x03\x03" + bytes(94)
    p.record(c.send("c", tls_record(22, hello, version=0x0301)))
    big = tls_record(23, bytes(16384 + 256))
    for _ in range(5 * 1024 * 1024 // len(big)):
        p.record(c.send("s", big), dt_us=50)
        p.record(c.send("c", flags=FLAG_ACK), dt_us=10)
    p.record(c.send("s", tls_record(23, bytes(64), length=65535)))
    e = Conn("192.0.2.61", 44001, "198.51.100.20", 21)
    for f in e.handshake():
        p.record(f)
    for side, payload in [("s", b"220 corpus FTPS server\r\n"), ("c", b"AUTH TLS\r\n"),
                          ("s", b"234 Proceed\r\n"),
                          ("c", tls_record(22, struct.pack("!B", 1) + (200).to_bytes(3, "big") +
                                           b"\x03\x03", length=200)[:11]),
                          ("s", tls_record(23, bytes(32), length=40000))]:
        p.record(e.send(side, payload))
    for f in normal_session():
        p.record(f)
    p.close()


CASES = {
    "bad_magic": case_bad_magic,
    "truncated_global_header": case_truncated_global_header,
    "truncated_record": case_truncated_record,
    "truncated_record_header": case_truncated_record_header,
    "caplen_gt_snaplen": case_caplen_gt_snaplen,
    "caplen_zero": case_caplen_zero,
    "caplen_1gib": case_caplen_1gib,
    "ipv4_bad_ihl": case_ipv4_bad_ihl,
    "ipv4_total_length_lies": case_ipv4_total_length_lies,
    "tcp_bad_data_offset": case_tcp_bad_data_offset,
    "tcp_options_overrun": case_tcp_options_overrun,
    "ipv6_ext_loop": case_ipv6_ext_loop,
    "syn_flood": case_syn_flood,
    "syn_flood_ftp": case_syn_flood_ftp,
    "ooo_hole": case_ooo_hole,
    "line_100mb": case_line_100mb,
    "multiline_reply_never_ends": case_multiline_reply_never_ends,
    "tls_records_lie": case_tls_records_lie,
}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(argv) < 2:
        print("usage: make_malformed.py OUTDIR [CASE...] | --list", file=sys.stderr)
        return 2
    outdir, names = argv[1], argv[2:] or list(CASES)
    for name in names:
        if name not in CASES:
            print("make_malformed.py: unknown case %r" % name, file=sys.stderr)
            return 2
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        CASES[name](os.path.join(outdir, name + ".pcap"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
