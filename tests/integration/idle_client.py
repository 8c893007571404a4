#!/usr/bin/env python3
"""idle_client.py - an FTP client that logs in and then says nothing, for
the tests of `ftpstall watch` on a live interface.

    idle_client.py [--port PORT] PASSWORD IDLE_S [OUT.json]

Logs in to 127.0.0.1:PORT as anonymous with PASSWORD, then only reads for
IDLE_S seconds: it stamps (CLOCK_MONOTONIC, comparable with any other
process on the host) the moment it reads the server's first reply (the
421 of an idle timeout) and the server's close, then closes its end.
Writes the record as JSON to OUT.json (or stdout). Exit 0 when it logged
in, 1 otherwise. Every socket has a timeout. Python 3 standard library.
"""

import argparse
import ftplib
import json
import select
import sys
import time


def idle_client(port, password, idle_s):
    """Logs in, then sends nothing for idle_s seconds. Returns a dict with
    the client port and the monotonic times of the login, of reading the
    421 and of the server's close (None when they did not happen)."""
    rec = {"port": None, "login": None, "reply": None, "t_reply": None, "t_eof": None}
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=idle_s + 5)
    rec["port"] = ftp.sock.getsockname()[1]
    ftp.login("anonymous", password)
    rec["login"] = time.monotonic()
    end = rec["login"] + idle_s
    # Only read: the server's 421 and its FIN must come to us unprovoked.
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        readable, _, _ = select.select([ftp.sock], [], [], left)
        if not readable:
            break
        line = ftp.file.readline()
        now = time.monotonic()
        if not line:
            rec["t_eof"] = now
            break
        if rec["t_reply"] is None:
            rec["t_reply"] = now
            rec["reply"] = line.rstrip("\r\n")
    left = end - time.monotonic()
    if left > 0:
        time.sleep(left)
    ftp.close()
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("password")
    ap.add_argument("idle", type=float)
    ap.add_argument("out", nargs="?")
    args = ap.parse_args()
    try:
        rec = idle_client(args.port, args.password, args.idle)
    except (OSError, ftplib.Error) as e:
        print(f"idle_client: {e}", file=sys.stderr)
        return 1
    text = json.dumps(rec)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
