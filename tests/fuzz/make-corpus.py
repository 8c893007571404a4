#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/.

Deterministic: running it again rewrites the same files. Seeds come from
the sample captures in captures/ (cut down: data packets reduced to their
headers, as a short snaplen would, so the files stay small) and from
hand-made inputs: malformed and truncated capture files, every supported
link type, pcapng, FTP dialogues in the stream harness's record format,
TCP segment sequences, and reply/command text.

usage: tests/fuzz/make-corpus.py [REPO_ROOT]
"""
import gzip
import os
import random
import shutil
import struct
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def out_dir(name):
    d = os.path.join(CORPUS, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def write(d, name, data):
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- packets

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(last):
    return bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [last])


def tcp_hdr(sport, dport, seq, ack, flags, window=65535, opts=b""):
    while len(opts) % 4:
        opts += b"\0"
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       off << 4, flags, window, 0, 0) + opts


def ipv4_pkt(src, dst, l4, proto=6, ttl=64, opts=b"", frag=0x4000, total_len=None):
    ihl = 5 + len(opts) // 4
    tl = total_len if total_len is not None else ihl * 4 + len(l4)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, 1, frag, ttl, proto, 0,
                    ip4(src), ip4(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ipv6_pkt(src, dst, l4, nh=6, hlim=64, ext=b""):
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(l4), nh, hlim,
                       src, dst) + ext + l4


def eth(payload, ethertype=0x0800, vlans=()):
    h = b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa"
    for vid in vlans:
        h += struct.pack("!HH", 0x8100, vid)
    return h + struct.pack("!H", ethertype) + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Conv:
    """A TCP conversation producing IPv4 packets (bare IP)."""

    def __init__(self, c="192.0.2.10", cport=50000, s="198.51.100.20", sport=21):
        self.ep = [(c, cport), (s, sport)]
        self.nxt = [1000, 900000]

    def seg(self, d, flags, data=b"", opts=b""):
        (sa, sp), (da, dp) = self.ep[d], self.ep[1 - d]
        t = tcp_hdr(sp, dp, self.nxt[d], self.nxt[1 - d], flags, opts=opts) + data
        self.nxt[d] += len(data) + (1 if flags & (SYN | FIN) else 0)
        return ipv4_pkt(sa, da, t, ttl=64 if d == 0 else 50)

    def handshake(self):
        return [self.seg(0, SYN, opts=b"\x02\x04\x05\xb4\x04\x02\x01\x03\x03\x07"),
                self.seg(1, SYN | ACK, opts=b"\x02\x04\x05\xb4\x04\x02\x01\x03\x03\x07"),
                self.seg(0, ACK)]


def ftp_dialogue():
    c = Conv()
    pkts = c.handshake()
    for d, text in [(1, "220 (vsFTPd 3.0.3)\r\n"), (0, "USER alice\r\n"),
                    (1, "331 Please specify the password.\r\n"), (0, "PASS secret\r\n"),
                    (1, "230 Login successful.\r\n"), (0, "PASV\r\n"),
                    (1, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n"),
                    (0, "STOR f.bin\r\n"), (1, "150 Ok to send data.\r\n")]:
        pkts.append(c.seg(d, PSH | ACK, text.encode()))
    dconn = Conv(cport=50001, sport=50000)
    pkts += dconn.handshake()
    pkts.append(dconn.seg(0, PSH | ACK, b"x" * 200))
    pkts.append(c.seg(1, PSH | ACK, b"421 Timeout.\r\n"))
    pkts.append(c.seg(1, RST | ACK))
    return pkts


# --------------------------------------------------------------- pcap files

def pcap_header(linktype, snaplen=262144, magic=0xa1b2c3d4, endian="<", major=2, minor=4):
    return struct.pack(endian + "IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def pcap_record(ts_us, frame, caplen=None, wirelen=None, endian="<", nano=False):
    caplen = len(frame) if caplen is None else caplen
    wirelen = len(frame) if wirelen is None else wirelen
    sec, frac = divmod(ts_us, 1000000)
    if nano:
        frac *= 1000
    return struct.pack(endian + "IIII", sec, frac, caplen, wirelen) + frame


def pcap_file(linktype, frames, t0=1700000000000000, step=1000, **kw):
    out = pcap_header(linktype, **{k: v for k, v in kw.items() if k in ("snaplen", "endian", "magic")})
    for i, f in enumerate(frames):
        out += pcap_record(t0 + i * step, f, endian=kw.get("endian", "<"),
                           nano=kw.get("magic") == 0xa1b23c4d)
    return out


def read_pcap(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xa1b2c3d4, path
    linktype, = struct.unpack("<I", data[20:24])
    recs, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[pos:pos + 16])
        recs.append((sec, usec, data[pos + 16:pos + 16 + caplen], wirelen))
        pos += 16 + caplen
    return linktype, recs


def write_pcap(linktype, recs, snaplen=262144):
    out = pcap_header(linktype, snaplen)
    for sec, usec, frame, wirelen in recs:
        out += struct.pack("<IIII", sec, usec, len(frame), wirelen) + frame
    return out


def cut_data_packets(recs, keep=96):
    """Keeps control packets (port 21) whole; cuts the others to keep bytes."""
    out = []
    for sec, usec, frame, wirelen in recs:
        ports = set()
        if len(frame) >= 38 and frame[12:14] == b"\x08\x00":
            ihl = (frame[14] & 0x0f) * 4
            if len(frame) >= 14 + ihl + 4:
                ports = set(struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4]))
        if 21 not in ports and len(frame) > keep:
            frame = frame[:keep]
        out.append((sec, usec, frame, wirelen))
    return out


# ---------------------------------------------------------------- pcapng

def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def ng_block(btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_file(linktype, frames, t0=1700000000000000):
    out = ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += ng_block(1, struct.pack("<HHI", linktype, 0, 262144))
    for i, f in enumerate(frames):
        ts = t0 + i * 1000
        out += ng_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + pad4(f))
    return out


# ------------------------------------------------------- fuzz_capture_file

def capture_corpus():
    d = out_dir("fuzz_capture_file")
    capdir = os.path.join(ROOT, "captures")
    for name in sorted(os.listdir(capdir)):
        if not name.endswith(".pcap"):
            continue
        linktype, recs = read_pcap(os.path.join(capdir, name))
        base = name[:-5]
        write(d, base + "-snap96.pcap", write_pcap(linktype, cut_data_packets(recs), 96))
        if len(recs) > 24:
            write(d, base + "-first24.pcap", write_pcap(linktype, cut_data_packets(recs[:24], 300)))

    dia = ftp_dialogue()
    write(d, "synthetic-eth.pcap", pcap_file(1, [eth(p) for p in dia]))
    write(d, "synthetic-vlan.pcap", pcap_file(1, [eth(p, vlans=(100, 200)) for p in dia]))
    write(d, "synthetic-raw.pcap", pcap_file(101, dia))
    write(d, "synthetic-ipv4-dlt.pcap", pcap_file(228, dia))
    write(d, "synthetic-null.pcap", pcap_file(0, [struct.pack("<I", 2) + p for p in dia]))
    write(d, "synthetic-loop.pcap", pcap_file(108, [struct.pack("!I", 2) + p for p in dia]))
    sll = struct.pack("!HHH8sH", 0, 1, 6, b"\0\x11\x22\x33\x44\x55\0\0", 0x0800)
    write(d, "synthetic-sll.pcap", pcap_file(113, [sll + p for p in dia]))
    sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, b"\0\x11\x22\x33\x44\x55\0\0")
    write(d, "synthetic-sll2.pcap", pcap_file(276, [sll2 + p for p in dia]))
    write(d, "synthetic-bigendian.pcap", pcap_file(1, [eth(p) for p in dia[:8]], endian=">"))
    write(d, "synthetic-nanosec.pcap", pcap_file(1, [eth(p) for p in dia[:8]], magic=0xa1b23c4d))
    write(d, "synthetic.pcapng", pcapng_file(1, [eth(p) for p in dia]))

    # IPv6 control connection, with extension headers on one packet.
    c6, s6 = ip6(10), ip6(20)
    v6 = []
    nxt = [5000, 7000]
    for i, (dd, fl, text) in enumerate([(0, SYN, b""), (1, SYN | ACK, b""), (0, ACK, b""),
                                        (1, PSH | ACK, b"220-Welcome\r\n220 ready\r\n"),
                                        (0, PSH | ACK, b"EPSV\r\n"),
                                        (1, PSH | ACK, b"229 Entering Extended Passive Mode (|||6446|)\r\n"),
                                        (0, FIN | ACK, b""), (1, FIN | ACK, b""), (0, ACK, b"")]):
        sp, dp = (50000, 21) if dd == 0 else (21, 50000)
        t = tcp_hdr(sp, dp, nxt[dd], nxt[1 - dd], fl) + text
        nxt[dd] += len(text) + (1 if fl & (SYN | FIN) else 0)
        if i == 4:  # hop-by-hop + destination options before TCP
            ext = bytes([60, 0]) + b"\x01\x04\0\0\0\0" + bytes([6, 0]) + b"\x01\x04\0\0\0\0"
            v6.append(ipv6_pkt(c6, s6, t, nh=0, ext=ext))
        else:
            src, dst = (c6, s6) if dd == 0 else (s6, c6)
            v6.append(ipv6_pkt(src, dst, t))
    write(d, "synthetic-ipv6.pcap", pcap_file(1, [eth(p, 0x86DD) for p in v6]))

    # Tunnels: IP in IP (protocol 4, "ipip") and IPv6 in IPv4 (41, "sit"),
    # two levels, one level too many, and an outer length that lies.
    outer = ("203.0.113.1", "203.0.113.2")
    write(d, "tunnel-ipip.pcap", pcap_file(1, [eth(ipv4_pkt(*outer, p, proto=4)) for p in dia]))
    write(d, "tunnel-sit.pcap", pcap_file(1, [eth(ipv4_pkt(*outer, p, proto=41)) for p in v6]))
    write(d, "tunnel-nested.pcap", pcap_file(1, [eth(ipv4_pkt(*outer, ipv4_pkt(*outer, p, proto=41), proto=4))
                                                 for p in v6[:6]]))
    deep = dia[3]
    for _ in range(3):
        deep = ipv4_pkt(*outer, deep, proto=4)
    inner = dia[3]
    write(d, "tunnel-bad.pcap", pcap_file(1, [eth(deep),
                                              eth(ipv4_pkt(*outer, inner[:30], proto=4)),
                                              eth(ipv4_pkt(*outer, inner, proto=4, total_len=28)),
                                              eth(ipv4_pkt(*outer, b"", proto=41))]))

    # Malformed and truncated files.
    good = pcap_file(1, [eth(p) for p in dia])
    write(d, "empty-records.pcap", pcap_header(1))
    write(d, "short-global-header.pcap", pcap_header(1)[:13])
    write(d, "cut-mid-record.pcap", good[:len(good) - 37])
    write(d, "cut-record-header.pcap", good[:24 + 16 + len(eth(dia[0])) + 9])
    write(d, "bad-magic.pcap", b"\xde\xad\xbe\xef" + good[4:200])
    write(d, "unsupported-linktype.pcap", pcap_file(147, [eth(p) for p in dia[:3]]))

    # Gzip-compressed (tcpdump -z gzip), whole, cut and with a wrong CRC;
    # mtime 0 keeps the bytes the same from run to run.
    gz = gzip.compress(good, mtime=0)
    write(d, "synthetic.pcap.gz", gz)
    write(d, "synthetic.pcapng.gz", gzip.compress(pcapng_file(1, [eth(p) for p in dia]), mtime=0))
    write(d, "gzip-cut.pcap.gz", gz[:len(gz) * 2 // 3])
    write(d, "gzip-bad-crc.pcap.gz", gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:-4]) + gz[-4:])
    write(d, "caplen-huge.pcap", pcap_header(1) + struct.pack("<IIII", 1, 0, 0xFFFFFFF0, 60) + b"\0" * 60)
    write(d, "caplen-over-snaplen.pcap", pcap_header(1, snaplen=64) + pcap_record(0, eth(dia[3])))
    write(d, "wirelen-lt-caplen.pcap", pcap_header(1) + pcap_record(0, eth(dia[3]), wirelen=20))
    bad = eth(dia[3])
    write(d, "ip-total-len-lies.pcap", pcap_file(1, [bad[:14] + bad[14:16] + b"\xff\xff" + bad[18:]]))
    write(d, "ip-ihl-too-small.pcap", pcap_file(1, [bad[:14] + b"\x43" + bad[15:]]))
    write(d, "tcp-doff-past-end.pcap", pcap_file(1, [bad[:14 + 20 + 12] + b"\xf0" + bad[14 + 20 + 13:]]))
    write(d, "tcp-option-overrun.pcap", pcap_file(1, [eth(ipv4_pkt("192.0.2.1", "192.0.2.2",
          tcp_hdr(1, 21, 1, 0, SYN, opts=b"\x02\x04\x05\xb4\x03\x09\x01\x01"))[:-2] + b"\x08\x0a")]))
    write(d, "ipv4-fragment.pcap", pcap_file(1, [eth(ipv4_pkt("192.0.2.1", "192.0.2.2", dia[3][20:], frag=0x2000))]))
    write(d, "time-backwards.pcap", pcap_header(1) + b"".join(
        pcap_record(1700000000000000 - i * 5000000, eth(p)) for i, p in enumerate(dia)))
    write(d, "udp-and-arp.pcap", pcap_file(1, [eth(ipv4_pkt("192.0.2.1", "192.0.2.2", b"\0" * 16, proto=17)),
                                               eth(b"\0" * 28, 0x0806), eth(dia[0])]))
    ng = pcapng_file(1, [eth(p) for p in dia])
    write(d, "pcapng-cut.pcapng", ng[:len(ng) - 50])
    # Interface statistics (kernel drops): a whole one, one without
    # times, and one whose option runs past its block.
    t0 = 1700000000000000
    def isb(ts, opts):
        return ng_block(5, struct.pack("<III", 0, ts >> 32, ts & 0xFFFFFFFF) + opts + struct.pack("<HH", 0, 0))
    def opt64(code, v):
        return struct.pack("<HHII", code, 8, v >> 32, v & 0xFFFFFFFF)
    write(d, "pcapng-isb-drops.pcapng", ng + isb(t0 + 5000, opt64(2, t0) + opt64(3, t0 + 5000) + opt64(5, 3))
          + isb(t0 + 9000, opt64(7, 9)) + isb(t0, struct.pack("<HH", 5, 200) + b"\0" * 8))
    write(d, "pcapng-bad-block-len.pcapng", ng[:28 + 20] + struct.pack("<I", 0x7FFFFFF0) + ng[28 + 24:])
    # Decryption secrets blocks (as editcap --inject-secrets writes
    # them): a TLS key log before the packets, one of another type, one
    # whose secrets length overruns its block, one cut by the file's end,
    # and a big-endian section.
    keylog = open(os.path.join(capdir, "ftps", "vsftpd-ftps-idle-tls12.keys"), "rb").read()
    def dsb(stype, secrets, length=None, endian="<"):
        body = pad4(struct.pack(endian + "II", stype, len(secrets) if length is None else length) + secrets)
        n = 12 + len(body)
        return struct.pack(endian + "II", 0x0A, n) + body + struct.pack(endian + "I", n)
    shb, rest = ng[:28], ng[28:]
    write(d, "pcapng-dsb-tls.pcapng", shb + dsb(0x544c534b, keylog) + rest)
    write(d, "pcapng-dsb-other-type.pcapng", shb + dsb(0x57474b4c, b"a WireGuard key\n") + rest)
    write(d, "pcapng-dsb-length-lies.pcapng", shb + dsb(0x544c534b, keylog[:40], length=0x7FFFFF00) + rest)
    write(d, "pcapng-dsb-cut.pcapng", shb + dsb(0x544c534b, keylog)[:60])
    be_shb = struct.pack(">II", 0x0A0D0D0A, 28) + struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack(">I", 28)
    write(d, "pcapng-dsb-bigendian.pcapng", be_shb + dsb(0x544c534b, keylog, endian=">"))


# --------------------------------------------------------- fuzz_ftp_stream

STEP = {"1ms": 0, "20ms": 1, "300ms": 2, "1.5s": 3, "12s": 4, "65s": 5, "400s": 6, "3700s": 7}


class Stream:
    def __init__(self, header=0x41):
        self.b = bytearray([header])

    def rec(self, ctl, payload=b""):
        self.b += bytes([ctl, len(payload)]) + payload
        return self

    def text(self, server, text, step="20ms", fin=False, rst=False, lost=False):
        data = text.encode("latin-1")
        chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
        for i, ch in enumerate(chunks):
            last = i == len(chunks) - 1
            ctl = (1 if server else 0) | (STEP[step] << 5 if i == 0 else 0)
            ctl |= (0x04 if fin and last else 0) | (0x08 if rst and last else 0)
            ctl |= 0x10 if lost else 0
            self.rec(ctl, ch)
        return self

    def c(self, text, **kw):
        return self.text(False, text, **kw)

    def s(self, text, **kw):
        return self.text(True, text, **kw)

    def data(self, from_server, units, step="20ms", fin=False, rst=False, lost=False):
        ctl = 0x02 | (1 if from_server else 0) | (STEP[step] << 5)
        ctl |= (0x04 if fin else 0) | (0x08 if rst else 0) | (0x10 if lost else 0)
        self.b += bytes([ctl, units])
        return self

    def reconnect(self, step="1.5s"):
        self.b += bytes([0x0c | (STEP[step] << 5), 0])
        return self

    def checkpoint(self, step="1ms"):
        """watch's 'w' key: finish and every report, then go on."""
        self.b += bytes([0x10 | (STEP[step] << 5), 0])
        return self

    def bytes(self):
        return bytes(self.b)


def login(st, banner="220 (vsFTPd 3.0.3)\r\n"):
    return (st.s(banner).c("USER alice\r\n").s("331 Please specify the password.\r\n")
            .c("PASS hunter2\r\n").s("230 Login successful.\r\n"))


def stream_corpus():
    d = out_dir("fuzz_ftp_stream")
    st = login(Stream())
    st.c("TYPE I\r\n").s("200 Switching to Binary mode.\r\n").c("PASV\r\n")
    st.s("227 Entering Passive Mode (192,0,2,20,156,64).\r\n").c("STOR big.iso\r\n")
    st.s("150 Ok to send data.\r\n")
    for _ in range(6):
        st.data(False, 200)
    st.data(False, 0, step="400s")
    st.s("421 Data timeout. Reconnect. Sorry.\r\n", step="1ms", fin=True)
    st.c("", step="1ms", fin=True)
    write(d, "stor-data-timeout-421", st.bytes())

    st = login(Stream())
    st.c("PWD\r\n").s('257 "/home/alice" is the current directory\r\n')
    st.s("421 Timeout.\r\n", step="400s").s("", rst=True)
    write(d, "idle-timeout-421-rst", st.bytes())

    st = login(Stream(0x01 | 0x20), "220-Welcome to the test server\r\n220-Second line\r\n220 Ready\r\n")
    st.c("FEAT\r\n").s("211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End\r\n")
    st.c("SYST\r\n").s("215 UNIX Type: L8\r\n").c("EPSV\r\n")
    st.s("229 Entering Extended Passive Mode (|||6446|)\r\n").c("RETR a.txt\r\n")
    st.s("150 Opening BINARY mode data connection for a.txt (12345 bytes).\r\n")
    st.data(True, 100).data(True, 93, fin=True).data(False, 0, fin=True)
    st.s("226 Transfer complete.\r\n").c("QUIT\r\n").s("221 Goodbye.\r\n", fin=True).c("", fin=True)
    write(d, "multiline-feat-epsv-retr-quit", st.bytes())

    st = login(Stream())
    st.c("PORT 192,0,2,10,200,10\r\n").s("200 PORT command successful.\r\n")
    st.c("LIST\r\n").s("150 Here comes the directory listing.\r\n")
    st.data(True, 3, fin=True).data(False, 0, fin=True).s("226 Directory send OK.\r\n")
    st.c("EPRT |1|192.0.2.10|51000|\r\n").s("200 EPRT command successful.\r\n")
    st.c("NLST\r\n").s("150 ok\r\n").data(True, 1, fin=True).s("226 ok\r\n")
    st.c("LPRT 4,4,192,0,2,10,2,200,20\r\n").s("200 LPRT ok\r\n")
    st.c("LPSV\r\n").s("228 Entering Long Passive Mode (4,4,192,0,2,20,2,19,137)\r\n")
    st.c("RETR x\r\n").s("150 ok\r\n").data(True, 10, rst=True).s("426 Connection closed; transfer aborted.\r\n")
    write(d, "active-port-eprt-lprt", st.bytes())

    st = login(Stream())
    st.c("SIZE f.bin\r\n").s("213 1048576\r\n").c("REST 524288\r\n")
    st.s("350 Restart position accepted (524288).\r\n").c("PASV\r\n")
    st.s("227 Entering Passive Mode (192,0,2,20,200,1)\r\n").c("STOR f.bin\r\n").s("150 Ok\r\n")
    st.data(False, 50).data(False, 50, rst=True).s("", rst=True)
    st.reconnect()
    login(st).c("APPE f.bin\r\n").s("150 ok\r\n").s("226 ok\r\n", step="1.5s")
    write(d, "reconnect-rest-appe", st.bytes())

    st = Stream(0x00)  # mid-stream: no handshake
    st.c("NOOP\r\n").s("200 NOOP ok.\r\n").c("STAT\r\n").s("211-Status\r\n no end here\r\n")
    st.s("more\r\n" * 20)
    write(d, "midstream-open-multiline", st.bytes())

    st = Stream(0x03)  # port 2121: found by its greeting
    login(st, "220 ProFTPD Server ready.\r\n").c("CWD /tmp\r\n").s("250 CWD ok\r\n")
    write(d, "autodetect-2121", st.bytes())

    st = Stream(0x01 | 0x10)  # small caps
    login(st).c("A" * 300 + "\r\n").s("500 " + "B" * 400 + "\r\n")
    for i in range(12):
        st.c("NOOP\r\n")
    for i in range(12):
        st.s("200 ok\r\n")
    write(d, "small-caps-long-lines-pipelined", st.bytes())

    st = Stream()
    st.s("220 FileZilla Server\r\n").c("AUTH TLS\r\n").s("234 Using authentication type TLS\r\n")
    st.c("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + "\x00" * 40).s("\x16\x03\x03\x00\x5d" + "\x02" * 30)
    write(d, "auth-tls-encrypted", st.bytes())

    # ProFTPD at its idle timeout inside TLS: records, 3 s of silence, a
    # close_notify and the cleartext 421 in one segment, FIN.
    st = Stream()
    st.s("220 ProFTPD Server\r\n").c("AUTH TLS\r\n").s("234 AUTH TLS successful\r\n")
    st.c("\x16\x03\x01\x00\x08\x01\x00\x00\x04abcd").s("\x17\x03\x03\x00\x04wxyz")
    st.s("\x15\x03\x03\x00\x02\x01\x00421 Idle timeout (3 seconds)\r\n", step="1.5s", fin=True)
    write(d, "auth-tls-close-notify-421", st.bytes())

    st = login(Stream())
    st.c("\xff\xf4\xff\xf2ABOR\r\n").s("426 Transfer aborted\r\n226 ABOR ok\r\n")
    st.c("STOR lost\r\n", lost=True).s("150 ok\r\n").s("226 done\r\n")
    st.c("QUIT\r\n", step="3700s")
    write(d, "telnet-abor-capture-loss-evict", st.bytes())

    st = Stream(0x05)  # IPv6
    login(st).c("EPSV\r\n").s("229 Extended (!!!5000!)\r\n").c("STOR v6\r\n").s("150 ok\r\n")
    st.data(False, 5).data(False, 0, step="65s").s("451 Timeout\r\n")
    write(d, "ipv6-epsv-451", st.bytes())

    st = Stream()
    st.s("220 ok\n").c("USER x\n").s("530 Login incorrect.\n").c("USER y\rPASS z\n").s("230 ok\n")
    write(d, "bare-lf-and-cr", st.bytes())

    # As watch sees it: checkpoints every 2 s (header bit 7) and on
    # request, while data still flows after the server's 421 and FIN.
    st = login(Stream(0x01 | 0x40 | 0x80)).c("PASV\r\n")
    st.s("227 Entering Passive Mode (192,0,2,20,195,80).\r\n").c("STOR f\r\n")
    st.s("150 Ok to send data.\r\n").data(False, 16)
    for _ in range(6):
        st.data(False, 16, step="1.5s")
    st.checkpoint()
    st.s("421 Data timeout. Reconnect. Sorry.\r\n", step="1.5s", fin=True)
    st.data(False, 16, step="1.5s").checkpoint().data(False, 16, step="12s")
    write(d, "watch-checkpoints-data-after-421", st.bytes())


# --------------------------------------------------------- fuzz_reassembly

def seg_rec(dirn, tuple_=0, step=2, zw=False, v6=False, flags=ACK, seq_off=0, length=0,
            caplen=None, ack_off=0):
    b0 = dirn | tuple_ << 1 | step << 3 | (0x40 if zw else 0) | (0x80 if v6 else 0)
    b5 = 0 if caplen is None else 0x80 | caplen
    return struct.pack("<BBhBBh", b0, flags, seq_off, length, b5, ack_off)


def reassembly_corpus():
    d = out_dir("fuzz_reassembly")
    hs = [seg_rec(0, flags=SYN), seg_rec(1, flags=SYN | ACK), seg_rec(0, flags=ACK)]
    inorder = hs + [seg_rec(1, flags=PSH | ACK, length=40), seg_rec(0, flags=PSH | ACK, length=12),
                    seg_rec(1, flags=PSH | ACK, length=100), seg_rec(0, flags=FIN | ACK),
                    seg_rec(1, flags=FIN | ACK), seg_rec(0, flags=ACK)]
    write(d, "in-order", bytes([0xff, 0x18]) + b"".join(inorder))
    # A hole, held segments, then the hole filled.
    ooo = hs + [seg_rec(1, flags=PSH | ACK, seq_off=50, length=30),
                seg_rec(1, flags=PSH | ACK, seq_off=40, length=30),
                seg_rec(1, flags=PSH | ACK, seq_off=-150, length=50),
                seg_rec(1, flags=PSH | ACK, seq_off=-50, length=20)]
    write(d, "hole-filled", bytes([0x55, 0x18]) + b"".join(ooo))
    # Overlapping retransmissions and a keep-alive.
    ov = hs + [seg_rec(0, flags=PSH | ACK, length=20), seg_rec(0, flags=PSH | ACK, seq_off=-10, length=30),
               seg_rec(0, flags=ACK, seq_off=-1, length=1), seg_rec(0, flags=PSH | ACK, seq_off=-40, length=60)]
    write(d, "overlap-keepalive", bytes([0xaa, 0x18]) + b"".join(ov))
    # Sequence wrap near 2^32 with caps tiny: limit hits and gaps.
    wrap = [seg_rec(0, flags=PSH | ACK, length=100)] + [
        seg_rec(0, flags=PSH | ACK, seq_off=200, length=120, step=1) for _ in range(6)] + [
        seg_rec(1, flags=ACK, ack_off=2000), seg_rec(0, flags=PSH | ACK, length=80, caplen=10)]
    write(d, "wrap-caps-acked-hole", bytes([0x00, 0x02]) + b"".join(wrap))
    # Several flows, table full, zero window, RST, idle eviction.
    many = []
    for t in range(4):
        many += [seg_rec(0, tuple_=t, flags=SYN), seg_rec(1, tuple_=t, flags=SYN | ACK),
                 seg_rec(0, tuple_=t, flags=PSH | ACK, length=10)]
    many += [seg_rec(1, tuple_=1, flags=ACK, zw=True), seg_rec(1, tuple_=1, flags=ACK),
             seg_rec(0, tuple_=2, flags=RST | ACK), seg_rec(0, tuple_=2, flags=PSH | ACK, length=5),
             seg_rec(0, tuple_=3, step=7, flags=PSH | ACK, length=5),
             seg_rec(0, tuple_=0, v6=True, flags=PSH | ACK, length=9)]
    write(d, "many-flows-evict", bytes([0x80, 0x3b]) + b"".join(many))
    # FIN with data beyond it, SYN after data.
    odd = [seg_rec(0, flags=PSH | ACK, length=10), seg_rec(0, flags=SYN, seq_off=500),
           seg_rec(0, flags=FIN | PSH | ACK, length=5), seg_rec(0, flags=PSH | ACK, length=7)]
    write(d, "syn-after-data-fin", bytes([0x15, 0x00]) + b"".join(odd))


# ------------------------------------------------------- fuzz_reply_parser

def reply_corpus():
    d = out_dir("fuzz_reply_parser")
    write(d, "login", "220 (vsFTPd 3.0.3)\r\nUSER alice\r\n331 Please specify the password.\r\n"
                      "PASS secret\r\n230 Login successful.\r\n")
    write(d, "multiline", "211-Features:\r\n EPRT\r\n EPSV\r\n211-not the end\r\n211 End\r\n")
    write(d, "multiline-unended", "220-Welcome\r\n" + "220-more\r\n" * 30 + "221 wrong code\r\n")
    write(d, "pasv-forms", "227 Entering Passive Mode (192,168,1,2,195,80).\r\n"
                           "227 Entering Passive Mode 10,0,0,1,4,1\r\n"
                           "227 =127,0,0,1,0,21\r\n227 (1,2,3,4,5,6,7)\r\n"
                           "227 (256,1,1,1,1,1)\r\n227 (1,2,3,4,0,0)\r\n")
    write(d, "epsv-forms", "229 Entering Extended Passive Mode (|||6446|)\r\n"
                           "229 (!!!65535!)\r\n229 (|||65536|)\r\n229 (|||0|)\r\n229 (|||)\r\n")
    write(d, "port-eprt-lprt", "PORT 192,0,2,10,200,10\r\nEPRT |1|132.235.1.2|6275|\r\n"
                               "EPRT |2|1080::8:800:200C:417A|5282|\r\nLPRT 4,4,192,0,2,10,2,200,20\r\n"
                               "LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,4,1\r\n"
                               "228 Entering Long Passive Mode (4,4,1,2,3,4,2,0,21)\r\n")
    write(d, "commands", "user Alice\r\nXPWD\r\nSTOR a b c\r\nRETR\r\nTOOLONGVERBXXXXXX x\r\n"
                         "AUTH TLS\r\nREST 100\r\nABOR\r\n\xff\xf4\xff\xf2ABOR\r\n")
    write(d, "bad-codes", "099 x\r\n600 x\r\n160 x\r\n12\r\n123\r\n123x\r\n550-\r\n550\r\n")


# ------------------------------------------------------- fuzz_client_reply

def client_corpus():
    d = out_dir("fuzz_client_reply")
    login = ("220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\r\n230 Login successful.\r\n"
             "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n"
             " HASH SHA-256*;SHA-1;MD5\r\n XCRC\r\n UTF8\r\n211 End\r\n200 Switching to Binary mode.\r\n")
    write(d, "passive-epsv", "\x00" + login + "229 Entering Extended Passive Mode (|||6446|)\r\n")
    write(d, "passive-pasv-fallback", "\x00" + login + "500 EPSV not understood\r\n"
          "227 Entering Passive Mode (10,0,0,1,195,80).\r\n")
    write(d, "active-eprt", "\x01" + login + "200 EPRT command successful.\r\n150 ok\r\n")
    write(d, "active-port-fallback", "\x01" + login + "502 no EPRT\r\n200 PORT ok\r\n425 no\r\n")
    write(d, "cwd-user", "\x06" + login + "250 Directory successfully changed.\r\n"
          "229 (!!!1!)\r\n421 Timeout.\r\n")
    write(d, "120-then-220", "\x00120 ready in 5 minutes\r\n120-more\r\n120 still\r\n" + login[0:])
    write(d, "login-530", "\x04220 hi\r\n331 pw\r\n530 Login incorrect.\r\n")
    write(d, "login-332", "\x00220 hi\r\n331 pw\r\n332 Need account\r\n")
    write(d, "multiline-unended", "\x00220-hello\r\n" + "220-and more\r\n" * 1005)
    write(d, "long-line", "\x00220 " + "A" * 9000 + "\r\n")
    write(d, "not-a-reply", "\x00220 hi\r\nHTTP/1.1 400 Bad Request\r\n")
    write(d, "bare-lf-eof-mid-line", "\x00220 hi\n331 pw\n230 ok\n211 no feat\n200 ok\n229 (|||65536|)\n22")
    write(d, "control-bytes", "\x00220 \x1b[31mred\x07\x00\r\n331 \xff\xfe\r\n230 ok\r\n")


# ---------------------------------------------------------- fuzz_correlate

def correlate_corpus():
    """Records of tests/fuzz/fuzz_correlate.c: a handshake seen at A (inside
    the NAT, TTL 64) and B (the masquerade, TTL 63), the server's reply
    lost after B twice, a reset forged before A, a PASS that must come out
    masked; the same under the tiniest caps; and noise."""
    d = out_dir("fuzz_correlate")

    def rec(point, hi, nat, ttl, flags, seq, ack, ln=0, pv=0, step=1, win=0x10):
        b0 = point | hi << 3 | nat << 5 | ttl << 6
        return bytes([b0, flags, seq & 255, seq >> 8 & 255, ack & 255, ack >> 8 & 255, ln, pv,
                      step, win])

    r = b""
    for point, nat, ttl in ((0, 0, 2), (1, 1, 1)):
        r += rec(point, 0, nat, ttl, 0x02, 100, 0)
        r += rec(point, 1, nat, ttl, 0x12, 500, 101)
        r += rec(point, 0, nat, ttl, 0x10, 101, 501)
    r += rec(1, 1, 1, 2, 0x18, 501, 101, 24, ord("2"), 30) * 2
    r += rec(0, 1, 0, 2, 0x04, 525, 0, step=40, win=0)
    r += rec(0, 0, 0, 2, 0x18, 101, 501, 11, 0x80, 5)
    write(d, "nat-lost-forged", bytes([0x4f, 0]) + r)
    write(d, "tiny-caps", bytes([0x00, 0]) + r * 3)
    rng = random.Random(7)
    write(d, "random", bytes([0xb6, 0]) + bytes(rng.randrange(256) for _ in range(600)))


# ----------------------------------------------------------- regressions

REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")


def decisive_gap_realloc_uaf():
    """The capture of the decisive-gap use-after-free (see regressions/README.md):
    STOR, seven 1000-byte data segments 2 s apart, 421 and FIN on control,
    one more segment 2 s later, then 6 s of quiet before the server's ACK, so
    that watch's 2 s refreshes run while the provisional verdict stands."""
    c = Conv(cport=54321)
    d = Conv(cport=54400, sport=50000)
    t = 1700000000000000
    recs = []

    def add(frame, pause_s=0):
        nonlocal t
        t += pause_s * 1000000
        recs.append((t, frame))
        t += 1000

    for f in c.handshake():
        add(f)
    for dirn, text in [(1, "220 (vsFTPd 3.0.3)\r\n"), (0, "USER anonymous\r\n"),
                       (1, "331 Please specify the password.\r\n"),
                       (0, "PASS anonymous@\r\n"), (1, "230 Login successful.\r\n"),
                       (0, "PASV\r\n"),
                       (1, "227 Entering Passive Mode (198,51,100,20,195,80).\r\n")]:
        add(c.seg(dirn, PSH | ACK, text.encode()))
    for f in d.handshake():
        add(f)
    add(c.seg(0, PSH | ACK, b"STOR f\r\n"))
    add(c.seg(1, PSH | ACK, b"150 Ok to send data.\r\n"))
    add(d.seg(0, PSH | ACK, b"x" * 1000))
    for _ in range(6):
        add(d.seg(0, PSH | ACK, b"x" * 1000), pause_s=2)
    add(c.seg(1, PSH | ACK, b"421 Data timeout. Reconnect. Sorry.\r\n"), pause_s=2)
    add(c.seg(1, FIN | ACK))
    add(d.seg(0, PSH | ACK, b"x" * 1000), pause_s=2)
    add(d.seg(1, ACK), pause_s=6)
    data = pcap_header(101)  # LINKTYPE_RAW: bare IPv4
    for ts, frame in recs:
        data += pcap_record(ts, frame)
    write(os.path.join(REGRESSIONS, "fuzz_capture_file"), "decisive-gap-realloc-uaf.pcap", data)


# -------------------------------------------------------- fuzz_tls_records

def tls_record(ctype, body, version=0x0303, length=None):
    n = len(body) if length is None else length
    return struct.pack(">BHH", ctype, version, n) + body


def tls_handshake(htype, body, length=None):
    n = len(body) if length is None else length
    return struct.pack(">B", htype) + n.to_bytes(3, "big") + body


def tls_client_hello(sni=b"ftp.example.org", sid=b"\x07" * 32, exts_extra=b""):
    name = struct.pack(">BH", 0, len(sni)) + sni
    exts = struct.pack(">HHH", 0, len(name) + 2, len(name)) + name
    exts += struct.pack(">HH", 35, 3) + b"tkt" + exts_extra
    body = struct.pack(">H", 0x0303) + b"\x00" * 32 + bytes([len(sid)]) + sid
    body += struct.pack(">HHH", 4, 0x1301, 0xc02f) + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    return tls_record(22, tls_handshake(1, body), version=0x0301)


def tls_server_hello(version=0x0304, random=b"\x01" * 32, cipher=0x1302):
    exts = struct.pack(">HHH", 43, 2, version) if version == 0x0304 else b""
    body = struct.pack(">H", 0x0303) + random + b"\x20" + b"\x07" * 32
    body += struct.pack(">HB", cipher, 0) + struct.pack(">H", len(exts)) + exts
    return tls_record(22, tls_handshake(2, body))


def tls_corpus():
    """Header byte (tests/fuzz/fuzz_tls_records.c), then both directions."""
    d = out_dir("fuzz_tls_records")
    hello, server = tls_client_hello(), tls_server_hello()
    app = tls_record(23, b"\xaa" * 40)
    write(d, "handshake-tls13", bytes([0x0f]) + hello + server + app)
    write(d, "handshake-bytewise", bytes([0x00]) + hello + server)
    retry = b"\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91" \
            b"\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"
    write(d, "hello-retry", bytes([0x1f]) + hello + tls_server_hello(random=retry) + hello + server)
    write(d, "tls12-ccs-encrypted-alert", bytes([0x03]) + hello + tls_server_hello(0x0303, cipher=0xc030)
          + tls_record(20, b"\x01") + tls_record(21, b"\x01\x00" + b"z" * 24))
    write(d, "close-notify-then-421", bytes([0x07]) + tls_record(21, b"\x01\x00")
          + b"421 Idle timeout (3 seconds): closing control connection\r\n")
    write(d, "alert-then-500-oops", bytes([0x1b]) + tls_record(21, b"\x02\x32" + b"x" * 24)
          + b"500 OOPS: vsf_sysutil_recv_peek\r\n500 OOPS: priv_sock_get_int\r\n")
    write(d, "lying-record-length", bytes([0x02]) + tls_record(23, b"short", length=0x4801) + b"more")
    write(d, "lying-hello-length", bytes([0x04])
          + tls_record(22, tls_handshake(1, b"\x03\x03" + b"\x00" * 10, length=0xfff0)))
    write(d, "truncated-hello", bytes([0x05]) + hello[:60])
    write(d, "huge-record", bytes([0x0f]) + tls_record(23, b"\x55" * 18432))
    write(d, "huge-hello", bytes([0x0e]) + tls_record(22, tls_handshake(1, b"\x41" * 5000)))
    write(d, "sni-control-bytes", bytes([0x09]) + tls_client_hello(sni=b"a\x00b\x1b[31mc\xff"))
    write(d, "bad-version-zero-length", bytes([0x01]) + b"\x16\x02\x00\x00\x00" + tls_record(22, b""))
    write(d, "lost-server", bytes([0x3f]) + hello + server + app)
    tls_decrypt_corpus(d)


def tcp_frames(pcap, stream):
    """The segments of one TCP connection as tshark follows them:
    [(from_server, bytes)], from the client's ClientHello on."""
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % stream],
                         capture_output=True, text=True, check=True).stdout
    frames, started = [], False
    for line in out.splitlines():
        if not line.strip() or not all(c in "0123456789abcdef" for c in line.strip()):
            continue
        server = line.startswith("\t")
        data = bytes.fromhex(line.strip())
        # Node 0 is the client here (the connection's first SYN).
        started = started or (not server and data[:1] == b"\x16")
        if started:
            frames.append((server, data))
    return frames


def framed(header, frames):
    """The decrypting input of fuzz_tls_records (bit 6): frames."""
    out = bytes([0x40 | header])
    for server, data in frames:
        for at in range(0, len(data), 0xffff):
            part = data[at:at + 0xffff]
            out += struct.pack(">BH", 1 if server else 0, len(part)) + part
    return out


def tls_decrypt_corpus(d):
    """Seeds that decrypt with the harness's fixed key log (the control
    connections of three captures/ftps captures), and hostile variants."""
    if shutil.which("tshark") is None:
        print("make-corpus: no tshark: fuzz_tls_records decryption seeds not written")
        return
    ftps = os.path.join(ROOT, "captures", "ftps")
    seeds = {}
    for name in ("vsftpd-ftps-clean-tls13", "vsftpd-ftps-aes128-sha", "vsftpd-ftps-idle-tls12"):
        seeds[name] = tcp_frames(os.path.join(ftps, name + ".pcap"), 0)
        write(d, "decrypt-" + name, framed(0x0f, seeds[name]))
    tls13 = seeds["vsftpd-ftps-clean-tls13"]
    write(d, "decrypt-tls12-cbc-bytewise", framed(0x00, seeds["vsftpd-ftps-aes128-sha"][:8]))
    write(d, "decrypt-lost-server", framed(0x2f, tls13))
    # A flipped byte in the last record of each side: authentication fails.
    flipped = [(server, data[:-1] + bytes([data[-1] ^ 1])) for server, data in tls13]
    write(d, "decrypt-flipped-tag", framed(0x0f, flipped))
    # The handshake, then a record that lies about its length, a record
    # longer than any TLS allows, and one cut short.
    handshake = tls13[:6]
    write(d, "decrypt-lying-length", framed(0x0f, handshake + [
        (True, tls_record(23, b"\x01" * 40, length=0x4801)), (False, tls_record(23, b"", length=0))]))
    write(d, "decrypt-huge-record", framed(0x0f, handshake + [
        (True, tls_record(23, b"\x55" * 18432)), (False, tls_record(23, b"\x66" * 16401))]))
    write(d, "decrypt-truncated-record", framed(0x07, handshake + [(True, tls_record(23, b"\x77" * 300)[:150])]))
    # The hellos cut short; a second ServerHello; records without hellos.
    write(d, "decrypt-truncated-hello", framed(0x0f, [tls13[0], (True, tls13[1][1][:70])]))
    write(d, "decrypt-second-server-hello", framed(0x0f, tls13[:3] + [tls13[1]] + tls13[3:]))
    write(d, "decrypt-no-handshake", framed(0x0f, tls13[6:]))


def main():
    capture_corpus()
    client_corpus()
    correlate_corpus()
    stream_corpus()
    reassembly_corpus()
    reply_corpus()
    tls_corpus()
    decisive_gap_realloc_uaf()
    total = 0
    for dirpath, _, files in os.walk(CORPUS):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    print("corpus: %d bytes in %s" % (total, CORPUS))


if __name__ == "__main__":
    main()
