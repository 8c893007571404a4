#!/usr/bin/env python3
"""The Markdown report tells the text report's account, dressed for Markdown.

usage: test_md_report.py FTPSTALL CAPTURES_DIR [EXTERNAL_DIR]

`-f md` is written from the analysis results, not from the text report,
yet it must say the same things in the same words.  For every bundled
capture (and every capture under EXTERNAL_DIR when it exists), with the
default gap threshold and with -g 0.05, `-f md` must equal `-f text`
dressed as docs/report-format.md says: a "# ftpstall report" title, each
"session" line a "##" heading, the indented lines a bullet list, the
timeline (lines indented by four) a fenced code block with backticks
turned into quotes, other lines paragraphs, and Markdown's special
characters escaped.

Exit status: 0 pass, 1 failure.  Python 3 standard library only.
"""

import difflib
import os
import subprocess
import sys

SPECIAL = set("\\`*_[]<>#|~&")
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")


def escape(text):
    return "".join("\\" + c if c in SPECIAL else c for c in text)


def dress(text):
    """The text report as docs/report-format.md says Markdown shows it."""
    out = ["# ftpstall report\n\n"]
    in_code = False
    for line in text.split("\n")[:-1]:
        code = line.startswith("    ")
        if in_code and not code:
            out.append("```\n")
            in_code = False
        if code:
            if not in_code:
                out.append("```\n")
            in_code = True
            out.append(line[4:].replace("`", "'") + "\n")
        elif line.startswith("session "):
            out.append("## " + escape(line) + "\n\n")
        elif line.startswith("  "):
            out.append("- " + escape(line[2:]) + "\n")
        elif line:
            out.append(escape(line) + "\n\n")
        else:
            out.append("\n")
    if in_code:
        out.append("```\n")
    return "".join(out)


def report(ftpstall, capture, fmt, options):
    run = subprocess.run([ftpstall, "analyze", *options, "-f", fmt, capture],
                         capture_output=True, text=True, errors="replace", check=False)
    return run.returncode, run.stdout


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
            status_text, text = report(ftpstall, capture, "text", options)
            status_md, md = report(ftpstall, capture, "md", options)
            checked += 1
            if status_md != status_text:
                print(f"FAIL: {capture} {options}: exit status {status_md} (md) "
                      f"vs {status_text} (text)")
                failures += 1
                continue
            want = dress(text)
            if md != want:
                print(f"FAIL: {capture} {options}: -f md is not -f text dressed:")
                diff = difflib.unified_diff(want.splitlines(True), md.splitlines(True),
                                            "text dressed", "md")
                sys.stdout.writelines(list(diff)[:20])
                failures += 1
    if failures:
        return 1
    print(f"PASS: test_md_report ({checked} reports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
