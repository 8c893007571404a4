#!/usr/bin/env python3
"""Packets captured twice change nothing.

usage: test_duplicates.py FTPSTALL CAPTURES_DIR...

For every capture in each CAPTURES_DIR (captures/ and captures/field/),
two doubled copies are made with mergecap:

* interleaved (`mergecap -w OUT A A`): every packet twice, with equal
  timestamps, as "-i any" on a bridge or a SPAN port shows them;
* concatenated (`mergecap -a -w OUT A A`): the whole capture twice in one
  file, time stepping back at the join.

Each must give the original's sessions: the same verdicts, stalled sides
and timers, the same gaps (channel, whom they waited on, start and end
within 1 ms), the same transfers and reconnects, and no retransmission
more. The copies are counted in stats.duplicates, the interleaved
sessions carry the capture note duplicates_removed, and the concatenated
file gets exactly one warning that names it.

Exit status: 0 pass, 1 failure, 77 skipped (no mergecap).
Python 3 standard library only.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOLERANCE_S = 0.001


def analyze(ftpstall, pcap):
    out = subprocess.run(
        [ftpstall, "analyze", "-f", "json", pcap],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{pcap}: ftpstall exited {out.returncode}: {out.stderr.decode()}")
    return json.loads(out.stdout)


def seconds(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def near(a, b):
    if a is None or b is None:
        return a == b
    return abs(seconds(a) - seconds(b)) <= TOLERANCE_S


def gap_facts(g):
    return (g["channel"], g.get("transfer"), g["waiting_on"], g["before_close"], g["decisive"])


def transfer_facts(t):
    return {k: v for k, v in t.items() if k not in ("start", "end", "throughput_Bps")}


def compare_session(where, a, b, problems):
    for key in ("kind", "stalled_side", "timer"):
        if a["verdict"][key] != b["verdict"][key]:
            problems.append(f"{where}: verdict.{key} {b['verdict'][key]!r}, "
                            f"not {a['verdict'][key]!r}")
    for key in ("client", "server", "state", "reconnect"):
        if a[key] != b[key]:
            problems.append(f"{where}: {key} {b[key]!r}, not {a[key]!r}")
    for key in ("by", "how", "reply_code"):
        if a["close"].get(key) != b["close"].get(key):
            problems.append(f"{where}: close.{key} {b['close'].get(key)!r}, "
                            f"not {a['close'].get(key)!r}")
    if len(a["gaps"]) != len(b["gaps"]):
        problems.append(f"{where}: {len(b['gaps'])} gaps, not {len(a['gaps'])}")
    else:
        for i, (ga, gb) in enumerate(zip(a["gaps"], b["gaps"])):
            if gap_facts(ga) != gap_facts(gb) or not near(ga["start"], gb["start"]) \
                    or not near(ga["end"], gb["end"]):
                problems.append(f"{where}: gap {i} {gb}, not {ga}")
    if len(a["transfers"]) != len(b["transfers"]):
        problems.append(f"{where}: {len(b['transfers'])} transfers, "
                        f"not {len(a['transfers'])}")
    else:
        for i, (ta, tb) in enumerate(zip(a["transfers"], b["transfers"])):
            if transfer_facts(ta) != transfer_facts(tb) or not near(ta["start"], tb["start"]) \
                    or not near(ta["end"], tb["end"]):
                problems.append(f"{where}: transfer {i} {tb}, not {ta}")


def compare(where, orig, doubled, problems):
    if len(orig["sessions"]) != len(doubled["sessions"]):
        problems.append(f"{where}: {len(doubled['sessions'])} sessions, "
                        f"not {len(orig['sessions'])}")
        return
    for a, b in zip(orig["sessions"], doubled["sessions"]):
        compare_session(f"{where}: session {a['id']}", a, b, problems)
    so, sd = orig["stats"], doubled["stats"]
    for key in ("retransmissions", "capture_gaps", "flows", "ftp_sessions",
                "data_connections"):
        if so[key] != sd[key]:
            problems.append(f"{where}: stats.{key} {sd[key]}, not {so[key]}")
    if sd.get("duplicates", 0) != so["tcp_packets"] + so.get("duplicates", 0):
        problems.append(f"{where}: stats.duplicates {sd.get('duplicates')}, "
                        f"not {so['tcp_packets']}")


def check_capture(ftpstall, pcap, work, problems):
    name = os.path.basename(pcap)
    orig = analyze(ftpstall, pcap)

    twice = os.path.join(work, "twice-" + name)
    subprocess.run(["mergecap", "-F", "pcap", "-w", twice, pcap, pcap], check=True)
    doubled = analyze(ftpstall, twice)
    compare(f"{name} interleaved", orig, doubled, problems)
    for s in doubled["sessions"]:
        if "duplicates_removed" not in s["capture_notes"]:
            problems.append(f"{name} interleaved: session {s['id']} lacks the note "
                            "duplicates_removed")
    if doubled["stats"]["capture_warnings"] != orig["stats"]["capture_warnings"]:
        problems.append(f"{name} interleaved: warnings {doubled['stats']['capture_warnings']}")

    joined = os.path.join(work, "joined-" + name)
    subprocess.run(["mergecap", "-F", "pcap", "-a", "-w", joined, pcap, pcap], check=True)
    doubled = analyze(ftpstall, joined)
    compare(f"{name} concatenated", orig, doubled, problems)
    new = [w for w in doubled["stats"]["capture_warnings"]
           if w not in orig["stats"]["capture_warnings"]]
    if len(new) != 1 or not new[0].startswith(joined + ": ") or "repeat" not in new[0]:
        problems.append(f"{name} concatenated: want one warning about the repeat, got {new}")
    if doubled["stats"]["timestamps_clamped"] != orig["stats"]["timestamps_clamped"]:
        problems.append(f"{name} concatenated: {doubled['stats']['timestamps_clamped']} "
                        "timestamps clamped")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 1
    if not shutil.which("mergecap"):
        print("SKIP: mergecap not installed")
        return 77
    ftpstall = os.path.realpath(sys.argv[1])
    pcaps = []
    for folder in sys.argv[2:]:
        pcaps += sorted(os.path.join(folder, f) for f in os.listdir(folder)
                        if f.endswith(".pcap"))
    problems = []
    with tempfile.TemporaryDirectory(prefix="ftpstall-dups.") as work:
        for pcap in pcaps:
            check_capture(ftpstall, pcap, work, problems)
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"PASS: test_duplicates ({len(pcaps)} captures, interleaved and concatenated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
