#!/usr/bin/env python3
"""FTP client scenarios across the NAT router of tests/path/path.sh.

usage: client.py SCENARIO --host ADDR [options]

  slow-retr     logs in, RETRs --file passively (the server sends it
                slowly), then waits up to --wait s for the final reply;
                succeeds when every byte arrived and no final reply did
  noop-after-idle
                logs in, pauses --pause s, writes NOOP with
                TCP_USER_TIMEOUT --user-timeout s on the socket; succeeds
                when the connection then fails as --expect says: "timeout"
                (nothing ever came back) or "reset"
  idle-421      logs in, pauses --pause s, then reads: succeeds on the
                server's 421 followed by end-of-file
  active-list   logs in, lists the directory in active mode (PORT with
                the client's own address), QUIT: succeeds on the listing's
                226 and 221 (across a NAT only when its FTP helper
                rewrites the PORT: the server refuses a foreign address)
  keepalive     logs in with SO_KEEPALIVE (TCP_KEEPIDLE and TCP_KEEPINTVL
                1 s), pauses --pause s, NOOP, QUIT: succeeds on 200 and 221

Python 3 standard library only. Every socket has a timeout and every wait
has a bound, so it always ends. Exit status 0 when the scenario went as
planned, 1 otherwise, 2 on bad usage.
"""

import argparse
import errno
import ftplib
import socket
import sys
import time

T0 = time.monotonic()
PASSWORD = "path-test@example.org"


def log(msg):
    print(f"client t+{time.monotonic() - T0:7.3f} {msg}", file=sys.stderr, flush=True)


def login(args):
    ftp = ftplib.FTP(timeout=args.timeout)
    ftp.connect(args.host, 21)
    ftp.login("anonymous", PASSWORD)
    log("logged in")
    return ftp


def sc_slow_retr(args):
    ftp = login(args)
    got = bytearray()
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR " + args.file)
    while True:
        block = conn.recv(65536)
        if not block:
            break
        got += block
    conn.close()
    log(f"data connection done: {len(got)} bytes; waiting {args.wait:.1f} s for the reply")
    ftp.sock.settimeout(args.wait)
    try:
        line = ftp.getresp()
        log(f"final reply came: {line!r}")
        ok = False
    except (socket.timeout, TimeoutError):
        log("no final reply: giving up")
        ok = True
    ftp.sock.close()
    return ok and len(got) == args.size


def sc_noop_after_idle(args):
    ftp = login(args)
    ftp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                        int(args.user_timeout * 1000))
    log(f"pausing {args.pause:.1f} s")
    time.sleep(args.pause)
    ftp.sock.sendall(b"NOOP\r\n")
    log("sent NOOP")
    outcome = "reply"
    try:
        line = ftp.sock.recv(512)
        outcome = "reply" if line else "eof"
        log(f"got {line!r}")
    except ConnectionResetError:
        outcome = "reset"
    except (socket.timeout, TimeoutError):
        outcome = "timeout"
    except OSError as e:
        outcome = "timeout" if e.errno == errno.ETIMEDOUT else f"error {e}"
    log(f"outcome: {outcome}")
    ftp.sock.close()
    return outcome == args.expect


def sc_idle_421(args):
    ftp = login(args)
    log(f"pausing {args.pause:.1f} s")
    time.sleep(args.pause)
    reply = ftp.file.readline()
    end = ftp.file.readline()
    log(f"got {reply!r}, then {end!r}")
    ftp.sock.close()
    return reply.startswith("421") and end == ""


def sc_keepalive(args):
    ftp = login(args)
    s = ftp.sock
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    log(f"pausing {args.pause:.1f} s with TCP keepalives every 1 s")
    time.sleep(args.pause)
    noop = ftp.voidcmd("NOOP")
    bye = ftp.quit()
    log(f"got {noop!r} and {bye!r}")
    s.close()
    return noop.startswith("200") and bye.startswith("221")


def sc_active_list(args):
    ftp = login(args)
    ftp.set_pasv(False)
    lines = []
    done = ftp.retrlines("LIST", lines.append)
    bye = ftp.quit()
    log(f"listed {len(lines)} lines: {done!r}, then {bye!r}")
    return done.startswith("226") and bye.startswith("221")


SCENARIOS = {
    "active-list": sc_active_list,
    "slow-retr": sc_slow_retr,
    "noop-after-idle": sc_noop_after_idle,
    "idle-421": sc_idle_421,
    "keepalive": sc_keepalive,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--host", required=True)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--pause", type=float, default=5.0)
    ap.add_argument("--wait", type=float, default=6.0)
    ap.add_argument("--file", default="file.bin")
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--user-timeout", type=float, default=5.0)
    ap.add_argument("--expect", default="timeout")
    args = ap.parse_args()
    try:
        ok = SCENARIOS[args.scenario](args)
    except (OSError, EOFError, ftplib.Error) as e:
        log(f"failed: {e!r}")
        ok = False
    log("as planned" if ok else "NOT as planned")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
