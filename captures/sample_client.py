#!/usr/bin/env python3
"""sample_client.py - the FTP client side of the sample captures.

Each scenario is one way an FTP session ends; make-samples.sh runs one of
them against vsftpd in a private network namespace while tcpdump records
loopback. Every scenario logs in as anonymous with the password
sample-secret@example.org and then:

  login-idle        sends nothing more; waits for the server's
                    "421 Timeout." and end-of-file, then closes (FIN)
  upload-stall      TYPE I, PASV, STOR of --size bytes, then sends nothing
                    more on the data connection (keeps it open) until the
                    server gives up with 421 and closes; then closes both
  unresponsive      writes its control port to --ready-file, waits for
                    --go-file (meanwhile the server is frozen with
                    SIGSTOP), sends --command, waits --wait s for a reply
                    that does not come, then closes (FIN, no QUIT)
  clean             PASV LIST, TYPE I, PASV RETR of --name, QUIT, 221
  mid-stream        pauses --pause s, TYPE I, PASV STOR of --size bytes,
                    then waits for the server's idle 421 and end-of-file
  commands          pauses --pause s before each of NOOP, PWD, NOOP, then
                    QUIT, 221
  reconnect-resume  session A: TYPE I, STOR of --name (complete), STOR of
                    --name2 stalled after --partial bytes until the
                    server's data timeout (421); session B, --reconnect s
                    later: SIZE --name2, REST <that size>, STOR of the rest,
                    QUIT
  hold              PWD, writes its control port to --ready-file, sends
                    nothing until --go-file appears (meanwhile the capture
                    is stopped), then QUIT
  abort-retr        TYPE I, PASV RETR of --name (--size bytes) with a
                    small receive buffer; after --partial bytes it resets
                    the control connection (SO_LINGER 0) and closes the
                    data connection with data unread
  noop-idle         pauses --pause s, NOOP, then sends nothing and waits
                    for the server's idle 421 and end-of-file
  firewall-idle     pauses --pause s, NOOP, expects a reset and no reply
                    (the router has forgotten the connection)

Source ports are fixed (--source-port, --source-port2 for a second
session, --data-source-port for the first data connection and one more for
each next one) so a remade capture reads the same in tshark. They are bound
on --host, or on --source-host when the client has an address of its own
(firewall-idle, where a router lies between client and server).

Python 3 standard library only. It talks only to --host (127.0.0.1 in the
namespace, or the server's private address behind the namespaced router).
Every socket has a timeout and every wait has a bound, so it always ends.

Exit status: 0 when the scenario went as planned, 1 otherwise, 2 on bad
usage.
"""

import argparse
import ftplib
import hashlib
import os
import socket
import struct
import sys
import time

T0 = time.monotonic()
PASSWORD = "sample-secret@example.org"


def log(msg):
    print(f"client t+{time.monotonic() - T0:7.3f} {msg}", file=sys.stderr, flush=True)


def payload(size, label):
    """SIZE deterministic bytes: SHA-256 in counter mode over LABEL, so
    every run moves the same data (and it does not compress)."""
    out = bytearray()
    block = 0
    while len(out) < size:
        out += hashlib.sha256(b"ftpstall sample %s %d" % (label.encode(), block)).digest()
        block += 1
    return bytes(out[:size])


class Client:
    """One control connection plus the data connections it opens, each
    from the next fixed source port."""

    def __init__(self, args, source_port):
        self.args = args
        self.next_data_port = args.data_source_port
        self.ftp = ftplib.FTP(timeout=args.timeout)
        src = (self.source_host(), source_port) if source_port else None
        welcome = self.ftp.connect(args.host, args.port, source_address=src)
        log(f"connected from port {self.ftp.sock.getsockname()[1]} -> {welcome}")

    def source_host(self):
        return self.args.source_host or self.args.host

    def login(self):
        log(f"login -> {self.ftp.login(self.args.user, self.args.password)}")

    def cmd(self, line):
        resp = self.ftp.sendcmd(line)
        log(f"{line} -> {resp}")
        return resp

    def data_conn(self, rcvbuf=0):
        """PASV, then a data connection from our next source port (ftplib
        would bind the control connection's source address), with a
        receive buffer of RCVBUF bytes if not 0."""
        host, port = self.ftp.makepasv()
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            conn.settimeout(self.args.timeout)
            if rcvbuf:
                # Before connect, so the window it advertises is small.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if self.next_data_port:
                conn.bind((self.source_host(), self.next_data_port))
                self.next_data_port += 1
            conn.connect((host, port))
        except BaseException:
            conn.close()
            raise
        log(f"PASV -> {host}:{port}, data from port {conn.getsockname()[1]}")
        return conn

    def transfer_cmd(self, line):
        resp = self.ftp.sendcmd(line)
        log(f"{line} -> {resp}")
        if not resp.startswith("1"):
            raise ftplib.error_reply(resp)

    def store(self, name, data, rest=None):
        conn = self.data_conn()
        try:
            if rest is not None:
                log(f"REST {rest} -> {self.ftp.sendcmd(f'REST {rest}')}")
            self.transfer_cmd(f"STOR {name}")
            conn.sendall(data)
        finally:
            conn.close()
        log(f"STOR done -> {self.ftp.voidresp()}")

    def receive(self, line):
        conn = self.data_conn()
        got = b""
        try:
            self.transfer_cmd(line)
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
        finally:
            conn.close()
        log(f"{line}: {len(got)} bytes -> {self.ftp.voidresp()}")
        return got

    def wait_end(self, limit):
        """Reads the control connection until end-of-file, reset or LIMIT
        seconds. Returns (lines read, how it ended)."""
        lines, end = [], "timeout"
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.ftp.sock.settimeout(left)
            try:
                line = self.ftp.file.readline()
            except ConnectionResetError:
                end = "reset"
                break
            except (socket.timeout, TimeoutError):
                break
            if not line:
                end = "eof"
                break
            lines.append(line.rstrip("\r\n"))
            log(f"read {lines[-1]!r}")
        log(f"control connection: {end}")
        return lines, end

    def close(self):
        """Closes the control connection without QUIT (FIN)."""
        self.ftp.file.close()
        self.ftp.sock.close()
        log("closed the control connection")

    def reset(self):
        """Closes the control connection with a reset: SO_LINGER on with a
        zero timeout makes close() send RST instead of FIN."""
        self.ftp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.ftp.file.close()
        self.ftp.sock.close()
        log("reset the control connection")


def got_421(lines, end):
    return any(x.startswith("421") for x in lines) and end in ("eof", "reset")


def sc_login_idle(args):
    c = Client(args, args.source_port)
    c.login()
    log("sending nothing")
    lines, end = c.wait_end(args.wait)
    c.close()
    return got_421(lines, end)


def stalled_store(c, name, data, sent, limit):
    """STOR NAME, sends the first SENT bytes of DATA, then nothing more
    while keeping the data connection open, until the server ends the
    session (or LIMIT s). Returns (control lines, how it ended)."""
    conn = c.data_conn()
    try:
        c.transfer_cmd(f"STOR {name}")
        conn.sendall(data[:sent])
        log(f"sent {sent} of {len(data)} bytes; data connection now silent")
        lines, end = c.wait_end(limit)
        conn.settimeout(0.5)
        try:
            rest = conn.recv(1)
            log("data connection: " + ("eof" if not rest else "unexpected bytes"))
        except (socket.timeout, TimeoutError):
            log("data connection: still open")
        except ConnectionResetError:
            log("data connection: reset")
    finally:
        conn.close()
        log("closed the data connection")
    c.close()
    return lines, end


def sc_upload_stall(args):
    c = Client(args, args.source_port)
    c.login()
    c.cmd("TYPE I")
    data = payload(args.size * 2, args.name)
    lines, end = stalled_store(c, args.name, data, args.size, args.wait)
    return any(x.startswith("421") for x in lines) and end in ("eof", "reset")


def wait_go(args, c):
    """Writes the control port to --ready-file, then waits up to 10 s for
    --go-file. Returns False (and closes) if it does not come."""
    with open(args.ready_file + ".tmp", "w") as f:
        f.write(f"{c.ftp.sock.getsockname()[1]}\n")
    os.rename(args.ready_file + ".tmp", args.ready_file)
    log("ready; waiting for the go file")
    deadline = time.monotonic() + 10
    while not os.path.exists(args.go_file):
        if time.monotonic() > deadline:
            log("no go file within 10 s")
            c.close()
            return False
        time.sleep(0.05)
    return True


def sc_unresponsive(args):
    if not args.ready_file or not args.go_file:
        log("unresponsive needs --ready-file and --go-file")
        return False
    c = Client(args, args.source_port)
    c.login()
    if not wait_go(args, c):
        return False
    c.ftp.sock.sendall(args.command.encode("ascii") + b"\r\n")
    log(f"sent {args.command!r}; waiting {args.wait:.1f} s for its reply")
    lines, end = c.wait_end(args.wait)
    c.close()
    return not lines and end == "timeout"


def sc_clean(args):
    c = Client(args, args.source_port)
    c.login()
    listing = c.receive("LIST")
    for line in listing.decode("ascii", "replace").splitlines():
        log(f"  {line}")
    c.cmd("TYPE I")
    got = c.receive(f"RETR {args.name}")
    log(f"QUIT -> {c.ftp.quit()}")
    return len(got) == args.size


def sc_mid_stream(args):
    c = Client(args, args.source_port)
    c.login()
    log(f"pausing {args.pause:.1f} s")
    time.sleep(args.pause)
    c.cmd("TYPE I")
    c.store(args.name, payload(args.size, args.name))
    log("sending nothing")
    lines, end = c.wait_end(args.wait)
    c.close()
    return got_421(lines, end)


def sc_commands(args):
    c = Client(args, args.source_port)
    c.login()
    for line in ("NOOP", "PWD", "NOOP"):
        time.sleep(args.pause)
        c.cmd(line)
    time.sleep(args.pause)
    log(f"QUIT -> {c.ftp.quit()}")
    return True


def sc_reconnect_resume(args):
    vol1 = payload(args.size, args.name)
    vol2 = payload(args.size2, args.name2)
    a = Client(args, args.source_port)
    a.login()
    a.cmd("TYPE I")
    a.store(args.name, vol1)
    lines, end = stalled_store(a, args.name2, vol2, args.partial, args.wait)
    if not any(x.startswith("421") for x in lines):
        log("session A: no 421")
        return False
    log(f"session A is gone ({end}); reconnecting in {args.reconnect:.1f} s")
    time.sleep(args.reconnect)
    b = Client(args, args.source_port2)
    b.next_data_port = a.next_data_port
    b.login()
    b.cmd("TYPE I")
    resp = b.cmd(f"SIZE {args.name2}")
    have = int(resp.split()[1])
    log(f"server has {have} of {len(vol2)} bytes of {args.name2}")
    if have > len(vol2):
        return False
    b.store(args.name2, vol2[have:], rest=have)
    log(f"QUIT -> {b.ftp.quit()}")
    return have == args.partial


def sc_hold(args):
    if not args.ready_file or not args.go_file:
        log("hold needs --ready-file and --go-file")
        return False
    c = Client(args, args.source_port)
    c.login()
    c.cmd("PWD")
    if not wait_go(args, c):
        return False
    log(f"QUIT -> {c.ftp.quit()}")
    return True


def sc_abort_retr(args):
    c = Client(args, args.source_port)
    c.login()
    c.cmd("TYPE I")
    conn = c.data_conn(rcvbuf=args.rcvbuf)
    got = 0
    try:
        c.transfer_cmd(f"RETR {args.name}")
        while got < args.partial:
            chunk = conn.recv(min(65536, args.partial - got))
            if not chunk:
                break
            got += len(chunk)
        log(f"read {got} of {args.size} bytes; giving up")
        c.reset()
    finally:
        # Unread bytes are waiting, so the kernel resets this one too.
        conn.close()
        log("closed the data connection")
    return got == args.partial < args.size


def sc_noop_idle(args):
    c = Client(args, args.source_port)
    c.login()
    log(f"pausing {args.pause:.1f} s")
    time.sleep(args.pause)
    c.cmd("NOOP")
    log("sending nothing")
    lines, end = c.wait_end(args.wait)
    c.close()
    return got_421(lines, end)


def sc_firewall_idle(args):
    c = Client(args, args.source_port)
    c.login()
    log(f"pausing {args.pause:.1f} s")
    time.sleep(args.pause)
    c.ftp.sock.sendall(b"NOOP\r\n")
    log("sent 'NOOP'")
    lines, end = c.wait_end(args.wait)
    c.ftp.file.close()
    c.ftp.sock.close()
    return not lines and end == "reset"


SCENARIOS = {
    "login-idle": sc_login_idle,
    "upload-stall": sc_upload_stall,
    "unresponsive": sc_unresponsive,
    "clean": sc_clean,
    "mid-stream": sc_mid_stream,
    "commands": sc_commands,
    "reconnect-resume": sc_reconnect_resume,
    "hold": sc_hold,
    "abort-retr": sc_abort_retr,
    "noop-idle": sc_noop_idle,
    "firewall-idle": sc_firewall_idle,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--user", default="anonymous")
    ap.add_argument("--password", default=PASSWORD)
    ap.add_argument("--name", default="upload/sample.bin", help="file stored or fetched")
    ap.add_argument("--size", type=int, default=64 * 1024, help="bytes stored or expected")
    ap.add_argument("--name2", default="upload/sample2.bin", help="reconnect-resume: resumed file")
    ap.add_argument("--size2", type=int, default=96 * 1024, help="reconnect-resume: its size")
    ap.add_argument("--partial", type=int, default=40 * 1024,
                    help="reconnect-resume: bytes sent before the stall; "
                    "abort-retr: bytes read before the reset")
    ap.add_argument("--rcvbuf", type=int, default=16 * 1024,
                    help="abort-retr: the data connection's SO_RCVBUF")
    ap.add_argument("--pause", type=float, default=2.0,
                    help="mid-stream, commands, noop-idle, firewall-idle: pause (s)")
    ap.add_argument("--wait", type=float, default=10.0,
                    help="longest wait for the server to end the session / for a reply (s)")
    ap.add_argument("--reconnect", type=float, default=0.5, help="delay before session B (s)")
    ap.add_argument("--command", default="PWD", help="unresponsive: the unanswered command")
    ap.add_argument("--ready-file", help="unresponsive, hold: written (control port) after login")
    ap.add_argument("--go-file", help="unresponsive: waited for before the command; "
                    "hold: before QUIT")
    ap.add_argument("--source-host", help="address the client binds (default: --host)")
    ap.add_argument("--source-port", type=int, default=0, help="control source port (0: any)")
    ap.add_argument("--source-port2", type=int, default=0, help="second session's (0: any)")
    ap.add_argument("--data-source-port", type=int, default=0,
                    help="first data connection's source port, +1 for each next (0: any)")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-socket-operation timeout")
    args = ap.parse_args()
    if min(args.wait, args.timeout) <= 0 or min(args.pause, args.reconnect) < 0:
        ap.error("--wait and --timeout must be > 0, --pause and --reconnect >= 0")
    if min(args.size, args.size2, args.partial, args.rcvbuf) < 0 or args.partial > args.size2:
        ap.error("sizes must be >= 0 and --partial <= --size2")
    ok = SCENARIOS[args.scenario](args)
    log("result: " + ("as planned" if ok else "unexpected outcome"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ftplib.Error, ValueError, IndexError) as e:
        log(f"error: {type(e).__name__}: {e}")
        sys.exit(1)
