#!/usr/bin/env python3
"""ftp_scenarios.py - FTP client sessions for test_ftp_sessions.sh.

Runs five scenarios against vsftpd on loopback, each as its own control
connection, and prints on stdout, as JSON, what the client did and saw:

  passive     PASV: STOR of SIZE bytes, RETR of it back, LIST
  active      PORT: STOR and RETR
  ipv6        over ::1: EPSV STOR and RETR, then EPRT STOR and RETR
  failed      RETR of a missing file (550), STOR into a directory the
              server may not write (553)
  rest        REST OFFSET + RETR: resumes a download

For every session: the client's control port, the greeting code, every
command sent in order with every reply code read for it (the last one is
the final reply), and per transfer the verb, argument, mode, data bytes
moved (counted on the data socket, so a LIST counts raw listing bytes),
REST offset, expected outcome and final reply code.

Python 3 standard library only. Meant to run inside the test network
namespace (tests/integration/lib.sh); it talks to nothing else. Every
socket has a timeout, so it always ends.

Exit status: 0 when every scenario behaved as planned (the JSON is
printed either way; "problems" lists what went wrong), 1 otherwise,
2 on bad usage.
"""

import argparse
import ftplib
import hashlib
import json
import sys
import time

T0 = time.monotonic()


def log(msg):
    print(f"client t+{time.monotonic() - T0:7.3f} {msg}", file=sys.stderr, flush=True)


def payload(size, label):
    """SIZE deterministic bytes: SHA-256 in counter mode over LABEL, so
    every run moves the same data (and it does not compress)."""
    out = bytearray()
    block = 0
    while len(out) < size:
        out += hashlib.sha256(b"ftpstall %s %d" % (label.encode(), block)).digest()
        block += 1
    return bytes(out[:size])


class RecordingFTP(ftplib.FTP):
    """ftplib.FTP that records each command line it sends and each reply
    code it reads, in order. Replies read before the first command are the
    greeting."""

    def __init__(self, timeout):
        super().__init__(timeout=timeout)
        self.greeting = []
        self.commands = []

    def putcmd(self, line):
        verb, _, arg = line.partition(" ")
        self.commands.append({"verb": verb.upper(), "arg": arg, "replies": []})
        super().putcmd(line)

    def getmultiline(self):
        resp = super().getmultiline()
        code = int(resp[:3]) if resp[:3].isdigit() else None
        if self.commands:
            self.commands[-1]["replies"].append(code)
        else:
            self.greeting.append(code)
        return resp


class Session:
    """One control connection and what happened on it."""

    def __init__(self, name, host, args):
        self.name = name
        self.args = args
        self.ftp = RecordingFTP(args.timeout)
        self.transfers = []
        self.problems = []
        self.ftp.connect(host, args.port)
        self.local = self.ftp.sock.getsockname()
        self.peer = self.ftp.sock.getpeername()
        log(f"[{name}] connected {self.local[0]}:{self.local[1]} -> {self.peer[0]}:{self.peer[1]}")
        self.ftp.login("anonymous", args.password)

    def mode(self):
        return "passive" if self.ftp.passiveserver else "active"

    def _record(self, verb, arg, nbytes, rest, outcome, code):
        self.transfers.append({
            "command": verb,
            "file": arg,
            "mode": self.mode(),
            "bytes": nbytes,
            "rest_offset": rest or 0,
            "outcome": outcome,
            "reply_code": code,
        })
        log(f"[{self.name}] {verb} {arg} ({self.mode()}, rest {rest or 0}): "
            f"{nbytes} bytes, {outcome}, {code}")

    def _final_code(self):
        return self.ftp.commands[-1]["replies"][-1]

    def _transfer(self, cmd, type_, data=None, rest=None, expect_fail=False):
        """TYPE, then PASV/EPSV or PORT/EPRT, [REST], CMD; sends DATA (an
        upload) or reads to EOF (a download). Counts the data-socket bytes.
        With EXPECT_FAIL the server must refuse CMD with a 5xx; the
        transfer is recorded as failed with 0 bytes. Returns the bytes
        read (downloads) or b""."""
        verb, _, arg = cmd.partition(" ")
        self.ftp.voidcmd(f"TYPE {type_}")
        try:
            conn, _size = self.ftp.ntransfercmd(cmd, rest)
        except ftplib.error_perm as e:
            code = self._final_code()
            if not expect_fail:
                self.problems.append(f"{self.name}: {cmd} refused: {e}")
            self._record(verb, arg, 0, rest, "failed", code)
            return b""
        if expect_fail:
            self.problems.append(f"{self.name}: {cmd} was accepted, expected a refusal")
        got = bytearray()
        with conn:
            conn.settimeout(self.args.timeout)
            if data is not None:
                conn.sendall(data)
                nbytes = len(data)
            else:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                nbytes = len(got)
        resp = self.ftp.voidresp()
        self._record(verb, arg, nbytes, rest, "complete", int(resp[:3]))
        return bytes(got)

    def upload(self, name, data):
        self._transfer(f"STOR {name}", "I", data=data)

    def download(self, name, want, rest=None):
        got = self._transfer(f"RETR {name}", "I", rest=rest)
        if got != want:
            self.problems.append(
                f"{self.name}: RETR {name} (rest {rest}) got {len(got)} bytes that differ "
                f"from the {len(want)} expected")

    def listing(self, path=None):
        got = self._transfer("LIST" + (f" {path}" if path else ""), "A")
        if not got:
            self.problems.append(f"{self.name}: LIST returned nothing")

    def close(self):
        try:
            self.ftp.quit()
        except (OSError, EOFError, ftplib.Error) as e:
            self.problems.append(f"{self.name}: QUIT: {e}")
        self.ftp.close()

    def report(self):
        cmds = [dict(c, final=(c["replies"][-1] if c["replies"] else None))
                for c in self.ftp.commands]
        return {
            "name": self.name,
            "client": [self.local[0], self.local[1]],
            "server": [self.peer[0], self.peer[1]],
            "greeting": self.ftp.greeting,
            "commands": cmds,
            "transfers": self.transfers,
            "problems": self.problems,
        }


def scenario_passive(s, a):
    data = payload(a.size, "passive")
    s.ftp.set_pasv(True)
    s.upload("upload/passive.bin", data)
    s.download("upload/passive.bin", data)
    s.listing("upload")


def scenario_active(s, a):
    data = payload(a.size, "active")
    s.ftp.set_pasv(False)
    s.upload("upload/active.bin", data)
    s.download("upload/active.bin", data)


def scenario_ipv6(s, a):
    data = payload(a.size, "epsv")
    s.ftp.set_pasv(True)        # ftplib sends EPSV on an IPv6 connection
    s.upload("upload/epsv.bin", data)
    s.download("upload/epsv.bin", data)
    data = payload(a.size, "eprt")
    s.ftp.set_pasv(False)       # and EPRT
    s.upload("upload/eprt.bin", data)
    s.download("upload/eprt.bin", data)


def scenario_failed(s, a):
    s.ftp.set_pasv(True)
    s._transfer("RETR upload/no-such-file.bin", "I", expect_fail=True)
    s._transfer(f"STOR {a.readonly_dir}/denied.bin", "I",
                data=payload(4096, "denied"), expect_fail=True)


def scenario_rest(s, a):
    data = payload(a.size, "rest")
    s.ftp.set_pasv(True)
    s.upload("upload/rest.bin", data)
    s.download("upload/rest.bin", data[a.rest:], rest=a.rest)


SCENARIOS = [
    ("passive", "v4", scenario_passive),
    ("active", "v4", scenario_active),
    ("ipv6", "v6", scenario_ipv6),
    ("failed", "v4", scenario_failed),
    ("rest", "v4", scenario_rest),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host4", default="127.0.0.1")
    ap.add_argument("--host6", default="::1")
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--password", default="integration-secret@example.org")
    ap.add_argument("--size", type=int, default=200 * 1024, help="bytes per upload")
    ap.add_argument("--rest", type=int, default=50000, help="REST offset of the resume")
    ap.add_argument("--readonly-dir", default="readonly",
                    help="a directory the anonymous user may not write")
    ap.add_argument("--timeout", type=float, default=5.0, help="per-socket-operation timeout")
    ap.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    args = ap.parse_args()
    if args.size <= 0 or not 0 < args.rest < args.size or args.timeout <= 0:
        ap.error("need --size > 0, 0 < --rest < --size, --timeout > 0")

    out = {"password": args.password, "size": args.size, "sessions": []}
    ok = True
    for name, family, run in SCENARIOS:
        if args.only and name not in args.only:
            continue
        host = args.host4 if family == "v4" else args.host6
        try:
            s = Session(name, host, args)
        except (OSError, EOFError, ftplib.Error) as e:
            log(f"[{name}] cannot connect/login: {type(e).__name__}: {e}")
            out["sessions"].append({"name": name, "problems": [f"{name}: connect/login: {e}"]})
            ok = False
            continue
        try:
            run(s, args)
        except (OSError, EOFError, ftplib.Error) as e:
            s.problems.append(f"{name}: {type(e).__name__}: {e}")
        s.close()
        # Let the server's close reach the wire before the next session
        # starts, so sessions do not interleave in the capture.
        time.sleep(0.05)
        rep = s.report()
        ok = ok and not rep["problems"]
        for p in rep["problems"]:
            log(f"PROBLEM {p}")
        out["sessions"].append(rep)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
