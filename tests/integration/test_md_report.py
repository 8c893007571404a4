#!/usr/bin/env python3
"""The Markdown report tells the text report's account, arranged as the
HTML page is.

usage: test_md_report.py FTPSTALL CAPTURES_DIR [EXTERNAL_DIR]

`-f md` is written from the analysis results, not from the text report,
yet it must say the same things in the same words.  For every bundled
capture (and every capture under EXTERNAL_DIR when it exists), with the
default gap threshold and with -g 0.05:

- the exit status is the text report's;
- the headline "**N FTP sessions, M incidents**" has the text report's
  numbers, and the counts by verdict add up to N;
- every incident of the text report is in the Markdown report with its
  heading and its facts in the same words (Markdown's special characters
  escaped), each under a "#### Session ID: ..." heading of plain words,
  and each with a text ladder of its last seconds ("clock (UTC)" ... in
  a fenced block); the full event list of the text report is not there;
- the incidents come before the sessions without incident, the glossary
  is last;
- every server line and every capture statistics line is there.

Exit status: 0 pass, 1 failure.  Python 3 standard library only.
"""

import os
import re
import subprocess
import sys

SPECIAL = set("\\`*_[]<>#|~&")
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def escape(text):
    return "".join("\\" + c if c in SPECIAL else c for c in text)


def report(ftpstall, capture, fmt, options):
    run = subprocess.run([ftpstall, "analyze", *options, "-f", fmt, capture],
                         capture_output=True, text=True, errors="replace", check=False)
    return run.returncode, run.stdout


def text_blocks(text):
    """The text report's incident blocks (heading, items without the
    timeline) and its other paragraph lines."""
    incidents, paras = [], []
    block = None
    for line in text.split("\n"):
        if line.startswith("session ") and "(stalled: " in line:
            block = [line]
            incidents.append(block)
        elif block is not None and line.startswith("  ") and not line.startswith("    "):
            if not line.startswith("  timeline (UTC"):
                block.append(line[2:])
        elif not line:
            block = None
        elif not line.startswith(" "):
            block = None
            paras.append(line)
    return incidents, paras


def check(ftpstall, capture, options):
    problems = []
    status_text, text = report(ftpstall, capture, "text", options)
    status_md, md = report(ftpstall, capture, "md", options)
    if status_md != status_text:
        return [f"exit status {status_md} (md) vs {status_text} (text)"]
    head = re.match(r"(?:INCOMPLETE[^\n]*\n)?ftpstall: (\d+) FTP sessions?, (\d+) incidents?", text)
    if not head:
        return ["no headline in the text report"]
    sessions, incidents = int(head.group(1)), int(head.group(2))
    want = f"**{sessions} FTP session{'' if sessions == 1 else 's'}, " \
           f"{incidents} incident{'' if incidents == 1 else 's'}** in "
    if want not in md:
        problems.append(f"headline {want!r} missing")
    top = md.split("\n## ")[0]
    counted = sum(int(n) for n in re.findall(r"^- (\d+) (?:incidents?|sessions?): ", top, re.M))
    if sessions and counted != sessions:
        problems.append(f"counts by verdict add up to {counted}, not {sessions}")
    blocks, paras = text_blocks(text)
    if len(blocks) != incidents:
        problems.append(f"{len(blocks)} incident blocks in the text report for {incidents}")
    if md.count("\n#### Session ") != incidents:
        problems.append(f"{md.count(chr(10) + '#### Session ')} incident headings, want {incidents}")
    if md.count("\nclock (UTC)") != incidents:
        problems.append(f"{md.count(chr(10) + 'clock (UTC)')} ladders, want {incidents}")
    for block in blocks:
        if "\n" + escape(block[0]) + "\n" not in md:
            problems.append(f"incident heading missing: {block[0]!r}")
        for item in block[1:]:
            if "\n- " + escape(item) + "\n" not in md:
                problems.append(f"fact missing: {item!r}")
    for para in paras:
        if para.startswith(("server ", "path ", "capture: ")) and "\n" + escape(para) + "\n" not in md:
            problems.append(f"line missing: {para!r}")
    if "\n    " in text:
        stats = text[text.rindex("\ncapture: "):].split("\n")[2:]
        for line in stats:
            if line.startswith("  ") and "\n- " + escape(line[2:]) + "\n" not in md:
                problems.append(f"statistics line missing: {line!r}")
    if incidents and sessions > incidents:
        first, others = md.find("## Incidents ("), md.find("## Sessions without incident (")
        if first < 0 or others < 0 or first > others:
            problems.append("no incidents section before the sessions without incident")
    if not md.rstrip().split("\n## ")[-1].startswith("Glossary"):
        problems.append("the glossary is not last")
    if re.search(r"^\d\d:\d\d:\d\d\.\d{6} +\+\d+\.\d{6}  (client|server)  ", md, re.M):
        problems.append("the text report's full event list is in the Markdown report")
    return problems


def main():
    ftpstall, captures = sys.argv[1], sys.argv[2]
    external = sys.argv[3] if len(sys.argv) > 3 else ""
    files = sorted(os.path.join(captures, f) for f in os.listdir(captures)
                   if f.endswith(".pcap"))
    if external and os.path.isdir(external):
        for root, _, names in sorted(os.walk(external)):
            files += sorted(os.path.join(root, n) for n in names
                            if n.endswith(CAPTURE_SUFFIXES))
    failures = checked = 0
    for capture in files:
        for options in ([], ["-g", "0.05"]):
            checked += 1
            problems = check(ftpstall, capture, options)
            for p in problems[:10]:
                print(f"FAIL: {capture} {options}: {p}")
            failures += bool(problems)
    if failures:
        return 1
    print(f"PASS: test_md_report ({checked} reports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
