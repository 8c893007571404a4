#!/usr/bin/env python3
"""test_correlate.py FTPSTALL CAPTURES_DIR [--update | --shift]

Every NAME.client.pcap + NAME.server.pcap pair of CAPTURES_DIR (the path
captures of captures/path/make-path.sh: one FTP session across a real NAT
router, captured at the client's and at the server's interface at once)
through `ftpstall correlate`:

- default: the JSON and text reports equal expected/NAME.correlate.json
  and .txt (the "version" member aside), and the acceptance facts hold
  for the scenarios that show them (a dropped 226, a black-holed NOOP, a
  forged reset, the server's own timer with a clear path); inputs that
  share no connection give one line and exit 2.
- --shift: the server's capture shifted by +3.7 s (editcap -t 3.7, into
  a temporary directory) gives the same answers (verdicts, rules, what was
  lost, injected and rewritten, the nearer point) with the clock offset
  within 0.1 s of the unshifted one plus 3.7; and a server capture begun
  1 s late (editcap -A) still proves the dropped 226. Exit 77 without
  editcap.
- --update: rewrites the expected files (review the diff).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ftpstall = os.path.realpath(sys.argv[1])
captures = os.path.realpath(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else ""
expected_dir = os.path.join(captures, "expected")
failures = []


def pairs():
    names = sorted(f[: -len(".client.pcap")] for f in os.listdir(captures)
                   if f.endswith(".client.pcap"))
    return [n for n in names if os.path.exists(os.path.join(captures, n + ".server.pcap"))]


def correlate(a, b, fmt, cwd=captures):
    return subprocess.run([ftpstall, "correlate", "-f", fmt, a, b], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def strip_version(text):
    return "".join(l for l in text.splitlines(True) if not l.startswith('  "version": '))


def answers(report):
    """What must not depend on the clocks: per session and connection."""
    sessions = [(s["verdict"]["kind"], s["verdict"]["rule"], s["verdict"]["stalled_side"],
                 s["verdict"]["close_by"], tuple(sorted(s["path"].items())))
                for s in report["sessions"]]
    conns = [(c["client"]["a"], c["translation"], tuple(sorted(c["path"]["counts"].items())),
              tuple((k, x["from"], x["seq"], x["len"], x["flags"], x.get("retransmissions"))
                    for k in ("lost", "injected", "rewritten") for x in c["path"][k]))
             for c in report["connections"]]
    return sessions, conns, report["clock"]["nearer_client"]


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


# The acceptance facts: (scenario, verdict of its first session, which of
# path.lost / path.injected must be non-empty, which must be empty).
ACCEPTANCE = {
    "nat-drop-226": ("middlebox_drop", ["lost"], ["injected"]),
    "nat-drop-noop": ("middlebox_drop", ["lost"], ["injected"]),
    "nat-reset-noop": ("middlebox_reset", ["injected"], []),
    "server-idle-first": ("idle_timeout", [], ["lost", "injected"]),
    "nat-keepalive": ("clean", [], ["lost", "injected"]),
    "nat-alg-port": ("clean", ["rewritten"], ["lost", "injected"]),
}


def run_goldens():
    checked = 0
    for name in pairs():
        a, b = name + ".client.pcap", name + ".server.pcap"
        outs = {}
        for fmt, ext in (("json", "json"), ("text", "txt")):
            r = correlate(a, b, fmt)
            if r.returncode != 0:
                check(False, f"{name}: correlate -f {fmt} exited {r.returncode}: {r.stderr.strip()}")
                continue
            outs[ext] = strip_version(r.stdout) if ext == "json" else r.stdout
            path = os.path.join(expected_dir, f"{name}.correlate.{ext}")
            if mode == "--update":
                with open(path, "w") as f:
                    f.write(outs[ext])
                print("updated " + path)
            elif not os.path.exists(path):
                check(False, f"{name}: no expected report {path}")
            else:
                with open(path) as f:
                    check(f.read() == outs[ext], f"{name}: {fmt} report differs from {path}")
        if "json" not in outs:
            continue
        report = json.loads(outs["json"])
        check(report["clock"]["nearer_client"] == "a",
              f"{name}: the client's capture (A) is not found nearer the client")
        check(abs(report["clock_offset_s"]) < 0.1,
              f"{name}: clock offset {report['clock_offset_s']} s between captures of one host")
        want = ACCEPTANCE.get(name)
        if want:
            s = report["sessions"][0]
            check(s["verdict"]["kind"] == want[0],
                  f"{name}: combined verdict {s['verdict']['kind']}, want {want[0]}")
            for k in want[1]:
                check(s["path"][k] > 0, f"{name}: path.{k} is empty")
            for k in want[2]:
                check(s["path"][k] == 0, f"{name}: path.{k} is {s['path'][k]}, want empty")
            check(all(v["verdict"] for v in s["views"].values() if v),
                  f"{name}: a view without its verdict")
        # The other formats: JSON Lines parse, one line per session after
        # the first; the HTML ladder draws a lost segment with a cross and
        # an injected one dashed, as well-formed SVG.
        r = correlate(a, b, "jsonl")
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        check(r.returncode == 0 and lines[0].get("type") == "correlation"
              and len(lines) == 1 + len(report["sessions"]), f"{name}: jsonl report")
        r = correlate(a, b, "md")
        check(r.returncode == 0 and r.stdout.startswith("# ftpstall correlate"), f"{name}: md report")
        r = correlate(a, b, "html")
        svgs = re.findall(r"<svg.*?</svg>", r.stdout, re.S)
        for svg in svgs:
            try:
                ET.fromstring(svg)
            except ET.ParseError as e:
                check(False, f"{name}: html ladder is not well-formed: {e}")
        incidents = [s for s in report["sessions"] if s["verdict"]["kind"] not in ("clean", "incomplete")]
        check(r.returncode == 0 and len(svgs) == len(incidents), f"{name}: {len(svgs)} ladders, "
              f"{len(incidents)} incidents")
        if name == "nat-reset-noop":
            check("&#x2715;" in svgs[0] and "stroke-dasharray" in svgs[0],
                  f"{name}: the ladder does not draw the lost NOOP and the forged reset")
        if name == "nat-alg-port":
            rewritten = report["connections"][0]["path"]["rewritten"]
            check(len(rewritten) == 1 and rewritten[0]["text"].startswith("PORT 10,88,1,2,")
                  and rewritten[0]["text_after"].startswith("PORT 10,88,2,1,"),
                  f"{name}: the helper's PORT rewrite is not in path.rewritten: {rewritten}")
        checked += 1
    # Inputs that share no connection: one line, exit 2.
    seed = os.path.join(captures, "..", "idle-timeout-421-reset.pcap")
    if os.path.exists(seed):
        r = correlate(seed, "nat-drop-226.client.pcap", "text")
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and "share no TCP connection" in r.stderr
              and r.stdout == "",
              f"unrelated captures: exit {r.returncode}, stderr {r.stderr!r}")
    r = correlate("no-such.pcap", "nat-drop-226.client.pcap", "text")
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "no-such.pcap" in r.stderr,
          f"a missing input: exit {r.returncode}, stderr {r.stderr!r}")
    return checked


def run_shift():
    editcap = shutil.which("editcap")
    if not editcap:
        print("SKIP: editcap (wireshark-common) is not installed")
        sys.exit(77)
    checked = 0
    with tempfile.TemporaryDirectory(prefix="ftpstall-shift.") as tmp:
        for name in pairs():
            a = os.path.join(captures, name + ".client.pcap")
            b = os.path.join(captures, name + ".server.pcap")
            shifted = os.path.join(tmp, name + ".server.pcap")
            subprocess.run([editcap, "-t", "3.7", b, shifted], check=True, capture_output=True)
            base, moved = correlate(a, b, "json"), correlate(a, shifted, "json")
            if base.returncode or moved.returncode:
                check(False, f"{name}: correlate exited {base.returncode}/{moved.returncode}")
                continue
            rb, rm = json.loads(base.stdout), json.loads(moved.stdout)
            check(answers(rb) == answers(rm), f"{name}: other answers with B shifted by 3.7 s")
            delta = rm["clock_offset_s"] - (rb["clock_offset_s"] + 3.7)
            check(abs(delta) <= 0.1,
                  f"{name}: offset {rm['clock_offset_s']} s shifted, {rb['clock_offset_s']} s not")
            print(f"ok: {name}: offset {rb['clock_offset_s']:+.6f} s, shifted "
                  f"{rm['clock_offset_s']:+.6f} s (off by {delta:+.6f} s)")
            checked += 1
        # Partial overlap: the server's capture of nat-drop-226-upload begun
        # 1 s late, in the middle of the upload: the control connection at
        # the server shows only the 226 and its retransmissions, which never
        # crossed, and is bound by its endpoints; the drop is still proven.
        name = "nat-drop-226-upload"
        b = os.path.join(captures, name + ".server.pcap")
        first = subprocess.run(["tcpdump", "-tt", "-c", "1", "-nr", b], capture_output=True,
                               text=True).stdout.split()
        if first:
            late = os.path.join(tmp, "late.pcap")
            start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(first[0]) + 1.0))
            start += ".%06d" % int((float(first[0]) % 1) * 1e6)
            subprocess.run([editcap, "-F", "pcap", "-A", start, b, late], check=True,
                           capture_output=True)
            r = correlate(os.path.join(captures, name + ".client.pcap"), late, "json")
            report = json.loads(r.stdout) if r.returncode == 0 else {"sessions": []}
            s = report["sessions"][0] if report["sessions"] else {}
            check(s.get("verdict", {}).get("kind") == "middlebox_drop"
                  and s["path"]["lost"] > 0 and s["control_connection"] is not None,
                  f"{name}: server capture begun 1 s late: {r.returncode} {s.get('verdict')}")
            conn = report["connections"][0] if report.get("connections") else {}
            check(conn.get("matched_by") == "endpoints",
                  f"{name}: late capture: control connection matched by {conn.get('matched_by')}")
            print(f"ok: {name}: server capture begun 1 s late: {s.get('verdict', {}).get('proof')}")
    return checked


checked = run_shift() if mode == "--shift" else run_goldens()
if checked == 0:
    check(False, "no capture pair checked")
if failures:
    sys.exit(1)
print(f"PASS: test_correlate{' ' + mode if mode else ''} ({checked} pairs)")
