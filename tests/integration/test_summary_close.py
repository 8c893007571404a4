#!/usr/bin/env python3
"""test_summary_close.py FTPSTALL DIR... — the summary sentence of every
session of every capture in DIRs (the bundled and the field captures)
agrees with its close: a summary that says the server sent 421 needs
close.reply_code 421; one that says the client closed (or reset, or gave
up and closed) needs close.by client; one that says the server closed
needs close.by server; "gave no reason" and "without answering" need no
closing reply. Exit 0 when all agree, 1 otherwise."""
import glob
import json
import os
import subprocess
import sys

CLIENT_CLOSED = ("the client closed", "The client closed", "The client reset",
                 "client gave up and closed")
SERVER_CLOSED = ("the server closed", "the server then closed", "and closed the connection",
                 "and closed the control connection")
NO_REPLY = ("gave no reason", "without answering")


def problems(session):
    summary = session["verdict"]["summary"]
    close = session["close"]
    found = []
    if '"421 ' in summary and close["reply_code"] != 421:
        found.append("says 421 but close.reply_code is %r" % close["reply_code"])
    if any(p in summary for p in NO_REPLY) and close["reply_code"] is not None:
        found.append("says no reply but close.reply_code is %r" % close["reply_code"])
    if any(p in summary for p in CLIENT_CLOSED):
        if close["by"] != "client":
            found.append("says the client closed but close.by is %s" % close["by"])
    elif any(p in summary for p in SERVER_CLOSED) and close["by"] != "server":
        found.append("says the server closed but close.by is %s" % close["by"])
    return found


def main():
    ftpstall, dirs = sys.argv[1], sys.argv[2:]
    failed = checked = 0
    for d in dirs:
        for pcap in sorted(glob.glob(os.path.join(d, "*.pcap"))):
            out = subprocess.run([ftpstall, "analyze", "-f", "json", pcap], check=False,
                                 capture_output=True, text=True)
            if not out.stdout:
                print("FAIL %s: no report (%s)" % (pcap, out.stderr.strip()))
                failed += 1
                continue
            for s in json.loads(out.stdout)["sessions"]:
                checked += 1
                for p in problems(s):
                    print("FAIL %s session %d: %s: %s" % (pcap, s["id"], p,
                                                          s["verdict"]["summary"]))
                    failed += 1
    print("%d sessions checked, %d problems" % (checked, failed))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
