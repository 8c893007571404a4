#!/usr/bin/env python3
"""check_sample.py NAME PCAP - checks with tshark that PCAP shows the packet
sequence of sample capture NAME (see make-samples.sh and README.md).

For each control connection (TCP port 21) it compares the FTP commands and
reply codes, in order, with the scenario's, and then checks the facts the
scenario is about: who closed with FIN and when, that nothing was reset
(or who reset, and with which TTL), the length of the silence before the
close, the data bytes moved, the deleted segments of capture-loss and
idle-gap-lost, the REST offset of reconnect-resume.

Prints the FTP frames and every FIN and RST with their time since the
first packet (the figures README.md quotes), then "ok" or each failed
check. Exit status: 0 all checks passed, 1 a check failed, 2 bad usage or
tshark could not read PCAP.
"""

import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_relative", "tcp.stream", "tcp.srcport", "tcp.dstport",
    "tcp.flags", "tcp.len", "tcp.seq", "tcp.ack", "tcp.analysis.lost_segment",
    "tcp.analysis.ack_lost_segment", "ftp.request.command", "ftp.request.arg",
    "ftp.response.code", "ftp.response.arg", "ip.ttl",
]
FIN, SYN, RST = 0x01, 0x02, 0x04
PASSWORD = "sample-secret@example.org"


class Frame:
    def __init__(self, row):
        v = dict(zip(FIELDS, row + [""] * (len(FIELDS) - len(row))))
        self.no = int(v["frame.number"])
        self.t = float(v["frame.time_relative"])
        self.stream = int(v["tcp.stream"])
        self.sport = int(v["tcp.srcport"])
        self.dport = int(v["tcp.dstport"])
        self.flags = int(v["tcp.flags"], 16)
        self.len = int(v["tcp.len"] or 0)
        self.seq = int(v["tcp.seq"] or 0)
        self.ack = int(v["tcp.ack"] or 0)
        self.lost = bool(v["tcp.analysis.lost_segment"])
        self.ack_lost = bool(v["tcp.analysis.ack_lost_segment"])
        self.cmds = [c for c in v["ftp.request.command"].split(",") if c]
        self.cmd_arg = v["ftp.request.arg"]
        self.codes = [int(c) for c in v["ftp.response.code"].split(",") if c.isdigit()]
        self.reply_arg = v["ftp.response.arg"]
        self.ttl = int(v["ip.ttl"] or 0)

    def side(self, server_port):
        return "server" if self.sport == server_port else "client"

    def what(self):
        if self.cmds:
            arg = "****" if self.cmds[0] == "PASS" else self.cmd_arg
            return " ".join(self.cmds) + (f" {arg}" if arg else "")
        if self.codes:
            return f"{','.join(map(str, self.codes))} {self.reply_arg}"
        names = [n for b, n in ((SYN, "SYN"), (FIN, "FIN"), (RST, "RST")) if self.flags & b]
        return "/".join(names) + (f" {self.len} B" if self.len else "")


def read(pcap):
    cmd = ["tshark", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        err = "\n".join(x for x in res.stderr.splitlines() if "Running as user" not in x)
        print(f"check_sample: tshark could not read {pcap}: {err}", file=sys.stderr)
        sys.exit(2)
    return [Frame(line.split("\t")) for line in res.stdout.splitlines() if line]


class Check:
    def __init__(self, frames):
        self.frames = frames
        self.failed = []
        self.ctrl = sorted({f.stream for f in frames if 21 in (f.sport, f.dport)})
        self.data = sorted({f.stream for f in frames} - set(self.ctrl))

    def expect(self, ok, what):
        if not ok:
            self.failed.append(what)
        return ok

    def of(self, stream):
        return [f for f in self.frames if f.stream == stream]

    def commands(self, stream):
        return [c for f in self.of(stream) for c in f.cmds]

    def codes(self, stream):
        return [c for f in self.of(stream) for c in f.codes]

    def first(self, stream, pred):
        return next((f for f in self.of(stream) if pred(f)), None)

    def last(self, stream, pred):
        got = [f for f in self.of(stream) if pred(f)]
        return got[-1] if got else None

    def dialogue(self, stream, cmds, codes):
        self.expect(self.commands(stream) == cmds,
                    f"stream {stream}: commands {self.commands(stream)}, want {cmds}")
        self.expect(self.codes(stream) == codes,
                    f"stream {stream}: replies {self.codes(stream)}, want {codes}")

    def reply(self, stream, code):
        return self.first(stream, lambda f: code in f.codes)

    def fin(self, stream, side):
        port = self.server_port(stream)
        return self.first(stream, lambda f: f.flags & FIN and f.side(port) == side)

    def server_port(self, stream):
        """21 for a control connection; for a data connection the port
        that answered the SYN (the passive port)."""
        if stream in self.ctrl:
            return 21
        synack = self.first(stream, lambda f: f.flags & SYN and f.flags & 0x10)
        return synack.sport if synack else min(f.sport for f in self.of(stream))

    def no_rst(self):
        rst = [f.no for f in self.frames if f.flags & RST]
        self.expect(not rst, f"unexpected RST in frames {rst}")

    def data_bytes(self, stream, side):
        port = self.server_port(stream)
        return sum(f.len for f in self.of(stream) if f.side(port) == side)

    def between(self, a, b, lo, hi, what):
        if self.expect(a is not None and b is not None, f"{what}: frame missing"):
            d = b.t - a.t
            self.expect(lo <= d <= hi, f"{what}: {d:.3f} s, want {lo}-{hi} s")

    def show(self):
        for f in self.frames:
            if f.cmds or f.codes or f.flags & (FIN | RST) or (f.flags & SYN and not f.flags & 0x10):
                port = self.server_port(f.stream)
                kind = "ctrl" if f.stream in self.ctrl else "data"
                print(f"  {f.no:3d} {f.t:10.6f} {kind} {f.stream} {f.side(port):6s} "
                      f"{f.sport}>{f.dport} {f.what()}")


def login_idle_timeout(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS"], [220, 331, 230, 421])
    c.between(c.reply(s, 230), c.reply(s, 421), 2.5, 4.0, "230 -> 421 (idle_session_timeout=3)")
    c.between(c.reply(s, 421), c.fin(s, "server"), 0, 0.1, "421 -> server FIN")
    c.between(c.fin(s, "server"), c.fin(s, "client"), 0, 0.5, "server FIN -> client FIN")


def upload_stall_data_timeout(c):
    s, d = c.ctrl[0], c.data[0]
    c.dialogue(s, ["USER", "PASS", "TYPE", "PASV", "STOR"], [220, 331, 230, 200, 227, 150, 421])
    c.expect(c.data_bytes(d, "client") == 102400, f"data bytes {c.data_bytes(d, 'client')}, want 102400")
    last = c.last(d, lambda f: f.len > 0)
    # vsftpd checks for progress every data_connection_timeout (3 s): the
    # 421 comes 3-6 s after the last data byte.
    c.between(last, c.reply(s, 421), 2.9, 6.6, "last data byte -> 421")
    c.between(c.fin(d, "server"), c.reply(s, 421), 0, 0.1, "server data FIN -> 421")
    c.between(c.reply(s, 421), c.fin(s, "server"), 0, 0.1, "421 -> server FIN")
    c.expect(c.fin(s, "client") is not None, "no client FIN on the control connection")


def server_unresponsive(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "PWD"], [220, 331, 230])
    pwd = c.first(s, lambda f: "PWD" in f.cmds)
    c.between(pwd, c.fin(s, "client"), 3.8, 4.5, "PWD -> client FIN")
    c.expect(c.fin(s, "server") is None, "the frozen server sent a FIN")
    c.expect(not any(f.len for f in c.of(s) if f.side(21) == "server" and pwd and f.no > pwd.no),
             "the server sent bytes after PWD")


def clean_session(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "PASV", "LIST", "TYPE", "PASV", "RETR", "QUIT"],
               [220, 331, 230, 227, 150, 226, 200, 227, 150, 226, 221])
    c.expect(len(c.data) == 2, f"{len(c.data)} data connections, want 2")
    if len(c.data) == 2:
        c.expect(c.data_bytes(c.data[1], "server") == 1840, "RETR did not carry 1840 bytes")
    c.expect(c.fin(s, "server") is not None and c.fin(s, "client") is not None,
             "control connection not closed by both sides")


def mid_stream(c):
    s = c.ctrl[0]
    c.dialogue(s, ["TYPE", "PASV", "STOR"], [200, 227, 150, 226, 421])
    c.expect(c.first(s, lambda f: f.flags & SYN) is None, "the control handshake is still there")
    c.expect(c.frames[0].stream == s and "TYPE" in c.frames[0].cmds, "the capture does not start with TYPE I")
    c.expect(c.data_bytes(c.data[0], "client") == 65536, "the upload did not carry 65536 bytes")
    c.between(c.reply(s, 226), c.reply(s, 421), 2.5, 4.0, "226 -> 421 (idle_session_timeout=3)")
    c.between(c.reply(s, 421), c.fin(s, "server"), 0, 0.1, "421 -> server FIN")


def capture_loss(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "NOOP", "NOOP", "QUIT"], [220, 331, 230, 200, 257, 200, 221])
    r257 = c.reply(s, 257)
    c.expect(r257 is not None and r257.ack_lost, "257 is not marked as ACKing an uncaptured segment")
    # The client's next segment (its ACK of the 257) starts 5 bytes
    # ("PWD\r\n") after the end of the last client bytes captured.
    nxt = c.first(s, lambda f: f.side(21) == "client" and r257 and f.no > r257.no)
    c.expect(nxt is not None and nxt.lost, "no 'previous segment not captured' on the next client segment")
    before = c.last(s, lambda f: f.side(21) == "client" and f.len and r257 and f.no < r257.no)
    if before and nxt:
        hole = nxt.seq - (before.seq + before.len)
        c.expect(hole == 5, f"client bytes missing: {hole}, want 5 (PWD\\r\\n)")
        c.expect(r257.ack == nxt.seq, "the 257 does not ACK up to the client's next sequence number")
    c.expect(c.fin(s, "server") is not None and c.fin(s, "client") is not None,
             "control connection not closed by both sides")


def reconnect_resume(c):
    c.expect(len(c.ctrl) == 2, f"{len(c.ctrl)} control connections, want 2")
    if len(c.ctrl) != 2:
        return
    a, b = c.ctrl
    c.dialogue(a, ["USER", "PASS", "TYPE", "PASV", "STOR", "PASV", "STOR"],
               [220, 331, 230, 200, 227, 150, 226, 227, 150, 421])
    c.dialogue(b, ["USER", "PASS", "TYPE", "SIZE", "PASV", "REST", "STOR", "QUIT"],
               [220, 331, 230, 200, 213, 227, 350, 150, 226, 221])
    size = c.reply(b, 213)
    rest = c.first(b, lambda f: "REST" in f.cmds)
    if size and rest:
        c.expect(size.reply_arg == rest.cmd_arg == "40960",
                 f"SIZE says {size.reply_arg}, REST {rest.cmd_arg}, want 40960")
    c.expect([c.data_bytes(d, "client") for d in c.data] == [65536, 40960, 57344],
             f"data bytes {[c.data_bytes(d, 'client') for d in c.data]}, want 65536, 40960, 57344")
    last = c.last(c.data[1], lambda f: f.len > 0) if len(c.data) > 1 else None
    c.between(last, c.reply(a, 421), 1.9, 4.6, "last vol2 byte -> 421 (data_connection_timeout=2)")
    syn_b = c.first(b, lambda f: f.flags & SYN)
    c.between(c.fin(a, "server"), syn_b, 0.2, 1.5, "session A's server FIN -> session B's SYN")


def capture_stopped(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "PWD"], [220, 331, 230, 257])
    c.expect(c.fin(s, "server") is None and c.fin(s, "client") is None,
             "the control connection was closed before the capture stopped")
    c.expect(not c.data, f"data streams {c.data}, want none")


def client_abort_retr(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "TYPE", "PASV", "RETR"], [220, 331, 230, 200, 227, 150])
    c.expect(len(c.data) == 1, f"{len(c.data)} data connections, want 1")
    rst = c.first(s, lambda f: f.flags & (RST | FIN))
    if c.expect(rst is not None, "the control connection was not closed"):
        c.expect(rst.flags & RST and rst.side(21) == "client",
                 f"the first close on control is frame {rst.no} ({rst.side(21)} {rst.what()}), "
                 "want the client's RST")
    if c.data:
        got = c.data_bytes(c.data[0], "server")
        # The client read 65,536 bytes; no more than its small receive
        # window can have followed them, and far from the 1 MiB file.
        c.expect(65536 <= got < 65536 + 131072, f"RETR carried {got} bytes, want 65536 + a window")
        c.expect(c.fin(c.data[0], "server") is None, "the server finished the download")
    c.expect(c.reply(s, 226) is None, "the RETR got a 226")


def idle_gap_lost(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS"], [220, 331, 230, 421])
    r421 = c.reply(s, 421)
    # The 421 comes 4.5 s after the 230 in the file: the NOOP at 1.5 s
    # (deleted) restarted vsftpd's 3 s idle timer.
    c.between(c.reply(s, 230), r421, 4.3, 5.0, "230 -> 421 (NOOP at +1.5 s, idle_session_timeout=3)")
    c.expect(r421 is not None and r421.lost, "the 421 is not marked 'previous segment not captured'")
    r230 = c.reply(s, 230)
    if r230 and r421:
        hole = r421.seq - (r230.seq + r230.len)
        c.expect(hole == len("200 NOOP ok.\r\n"), f"server bytes missing: {hole}, want 14 (200 NOOP ok.)")
        last = c.last(s, lambda f: f.side(21) == "client" and f.len and f.no < r421.no)
        if c.expect(last is not None, "no client bytes before the 421"):
            hole = r421.ack - (last.seq + last.len)
            c.expect(hole == len("NOOP\r\n"), f"client bytes missing: {hole}, want 6 (NOOP)")
    c.between(r421, c.fin(s, "server"), 0, 0.1, "421 -> server FIN")


def firewall_idle_reset(c):
    s = c.ctrl[0]
    c.dialogue(s, ["USER", "PASS", "NOOP"], [220, 331, 230])
    noop = c.first(s, lambda f: "NOOP" in f.cmds)
    c.between(c.reply(s, 230), noop, 4.8, 6.0, "230 -> NOOP (the client's 5 s pause)")
    rst = c.first(s, lambda f: f.flags & RST)
    c.between(noop, rst, 0, 0.1, "NOOP -> RST")
    c.expect(c.fin(s, "server") is None and c.fin(s, "client") is None, "a FIN on the control connection")
    if rst:
        c.expect(rst.side(21) == "server", "the reset does not claim to come from the server")
        # The server is one hop away (TTL 64 - 1); the router that made
        # up the reset is the client's neighbour (64).
        ttls = sorted({f.ttl for f in c.of(s) if f.side(21) == "server" and f.no != rst.no})
        c.expect(ttls == [63], f"server TTLs {ttls}, want [63]")
        c.expect(rst.ttl == 64, f"the reset's TTL is {rst.ttl}, want 64")
    c.expect(not any(f.flags & RST for f in c.frames if rst and f.no != rst.no), "more than one RST")


SCENARIOS = {
    "login-idle-timeout": login_idle_timeout,
    "upload-stall-data-timeout": upload_stall_data_timeout,
    "server-unresponsive": server_unresponsive,
    "clean-session": clean_session,
    "mid-stream": mid_stream,
    "capture-loss": capture_loss,
    "reconnect-resume": reconnect_resume,
    "capture-stopped": capture_stopped,
    "client-abort-retr": client_abort_retr,
    "idle-gap-lost": idle_gap_lost,
    "firewall-idle-reset": firewall_idle_reset,
}
# The captures whose story is a reset; every other one must have none.
RESETS = {"client-abort-retr", "firewall-idle-reset"}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        print(f"usage: {sys.argv[0]} {{{','.join(SCENARIOS)}}} PCAP", file=sys.stderr)
        return 2
    name, pcap = sys.argv[1:]
    c = Check(read(pcap))
    print(f"check_sample: {name}: {len(c.frames)} frames, control streams {c.ctrl}, data streams {c.data}")
    c.show()
    if not c.ctrl:
        c.failed.append("no control connection (port 21)")
    else:
        SCENARIOS[name](c)
        if name not in RESETS:
            c.no_rst()
    with open(pcap, "rb") as f:
        raw = f.read()
    # Classic libpcap, microsecond timestamps, like tcpdump -w writes
    # (editcap must be told -F pcap, or it writes pcapng).
    c.expect(raw[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"), "not a libpcap (microsecond) file")
    # The password is in the capture (cleartext FTP); it must be the
    # sample one, never a real one.
    c.expect(PASSWORD.encode() in raw or name == "mid-stream", "the sample password is not in the capture")
    for what in c.failed:
        print(f"check_sample: {name}: FAILED: {what}")
    if not c.failed:
        print(f"check_sample: {name}: ok")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
