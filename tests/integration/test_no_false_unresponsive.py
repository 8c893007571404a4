#!/usr/bin/env python3
"""No server_unresponsive whose owed reply came: ftpstall's JSON only.

usage: test_no_false_unresponsive.py FTPSTALL CAPTURES_DIR EXTERNAL_DIR

Runs `ftpstall analyze -f json` on every capture in CAPTURES_DIR
(captures/*.pcap), CAPTURES_DIR/field (captures/field/*.pcap) and, when it
exists, EXTERNAL_DIR (../shared/external: every .pcap, .pcapng and .pcap.gz
under it, kept outside the repository).  A session with the verdict
`server_unresponsive` fails the test when the reply it was waiting for
arrived before the close (docs/verdicts.md: "a reply that came is not
unresponsiveness").  The reply is found from the JSON alone:

  the decisive gap      the member of gaps[] with "decisive": true (a
                        server_unresponsive session without one fails);
  the awaited command   for a control gap, the last command of commands[]
                        sent at or before the gap's start; for a data gap,
                        the last command with the verb of its transfer
                        (transfers[transfer - 1].command) sent by then;
  its reply time        the command's time + response_s, when it has a
                        reply_code;
  the close             close.time; with close.by "none" (the capture ended
                        first) every reply in the capture came "before".

Without an awaited command (the gap began before any command) the
greeting was owed: any reply after the gap's start and by the close came.

Exit status: 0 pass, 1 a false server_unresponsive (or ftpstall failed),
77 the bundled captures pass but EXTERNAL_DIR is absent (so the public
captures were not checked; the message says so).
Python 3 standard library only.
"""

import concurrent.futures
import datetime
import glob
import json
import os
import subprocess
import sys

SKIP = 77
EXTERNAL_SUFFIXES = (".pcap", ".pcapng", ".pcap.gz")


def usec(text):
    """An ISO-8601 UTC time of the report ("...T05:29:46.613610Z") in µs."""
    when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    when = when.replace(tzinfo=datetime.timezone.utc)
    delta = when - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def awaited_command(session, gap):
    """The command the server-owed gap waited on, or None (the greeting)."""
    start = usec(gap["start"])
    verb = None
    if gap["channel"] == "data":
        verb = session["transfers"][gap["transfer"] - 1]["command"]
    found = None
    for command in session["commands"]:
        if usec(command["time"]) > start:
            break
        if verb is None or command["verb"] == verb:
            found = command
    return found


def false_unresponsive(session):
    """Why this server_unresponsive session is false, or None if it holds."""
    gaps = [g for g in session["gaps"] if g["decisive"]]
    if len(gaps) != 1:
        return "server_unresponsive without a decisive gap"
    gap = gaps[0]
    close = session["close"]
    until = usec(close["time"]) if close["by"] != "none" else None
    command = awaited_command(session, gap)
    if command is not None:
        if command["reply_code"] is None:
            return None
        reply = usec(command["time"]) + round(command["response_s"] * 1e6)
        if until is None or reply <= until:
            return "%s got its %d %.6f s after it, %s" % (
                command["verb"], command["reply_code"], command["response_s"],
                "before the close" if until is not None else "within the capture")
        return None
    start = usec(gap["start"])
    for reply in session["replies"]:
        at = usec(reply["time"])
        if at > start and (until is None or at <= until):
            return "the greeting was owed and %d came at %s, before the close" % (
                reply["code"], reply["time"])
    return None


def check(ftpstall, capture):
    """Returns (capture, [problem lines])."""
    run = subprocess.run([ftpstall, "analyze", "-f", "json", capture],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        return capture, ["ftpstall exited %d: %s" % (run.returncode, run.stderr.strip())]
    try:
        report = json.loads(run.stdout)
    except ValueError as err:
        return capture, ["not JSON: %s" % err]
    problems = []
    for session in report["sessions"]:
        if session["verdict"]["kind"] != "server_unresponsive":
            continue
        why = false_unresponsive(session)
        if why:
            problems.append("session %d: server_unresponsive, but %s"
                            % (session["id"], why))
    return capture, problems


def external_captures(top):
    found = []
    for folder, _, files in os.walk(top):
        for name in files:
            if name.endswith(EXTERNAL_SUFFIXES):
                found.append(os.path.join(folder, name))
    return sorted(found)


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    ftpstall, captures, external = argv[1], argv[2], argv[3]
    bundled = sorted(glob.glob(os.path.join(captures, "*.pcap")) +
                     glob.glob(os.path.join(captures, "field", "*.pcap")))
    if not bundled:
        print("FAIL: no captures in %s" % captures)
        return 1
    has_external = os.path.isdir(external)
    todo = bundled + (external_captures(external) if has_external else [])
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for capture, problems in pool.map(lambda c: check(ftpstall, c), todo):
            for line in problems:
                print("FAIL: %s: %s" % (capture, line))
                failures += 1
    if failures:
        return 1
    if not has_external:
        print("SKIP: %s is absent: the public captures were not checked "
              "(the %d bundled captures passed)" % (external, len(bundled)))
        return SKIP
    print("PASS: no false server_unresponsive in %d captures (%d bundled, %d in %s)"
          % (len(todo), len(bundled), len(todo) - len(bundled), external))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
