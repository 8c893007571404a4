#!/usr/bin/env python3
"""ftpstall against the captures and baselines of other analyzers' test suites.

usage: test_external_baselines.py FTPSTALL EXTERNAL_DIR

EXTERNAL_DIR is ../shared/external (see its INDEX.md): public captures kept
outside the repository, never copied into it.  Two checks:

1. Every capture in EXTERNAL_DIR goes through `ftpstall analyze -f json` and
   `-f text`: exit status 0, nothing on stderr, stdout a JSON document
   (json) or a non-empty report (text).

2. Every Zeek ftp.log baseline (`<capture>.baseline.<btest>.ftp.log`) is
   compared line by line with ftpstall's JSON for that capture.  Zeek logs
   one line per command of interest, written when the command is done:

     command, arg        the verb and its argument.  For the file commands
                         (RETR, STOR, CWD, SIZE, ...) Zeek logs the URL
                         ftp://<server>/<cwd>/<arg> instead, with the cwd
                         it tracks from PWD/CWD/CDUP replies; the URL is
                         rebuilt here from ftpstall's own commands, so the
                         CWD arguments and reply codes are checked too.
     reply_code/_msg     the code and text of the reply Zeek paired with it.
     user, password      the last USER and PASS arguments of the session.
     file_size           the size announced by a 213 (SIZE) or a 150 reply.
     mime_type, fuid     content sniffing / file analysis (not ftpstall's job).
     data_channel.*      the data connection a PORT/EPRT (passive=F) or a
                         PASV/EPSV (passive=T) reply announced: orig_h is
                         the side that connects, resp_h:resp_p the listener.
     <init>              a pseudo-command that stands for the greeting.

   Each line must have a matching ftpstall command (same verb, in order) with
   the same argument, reply code and reply text; data_channel.passive must
   match the mode of the transfer that used the channel.  A disagreement where
   Zeek is at fault, or that is a difference of design, is listed in ALLOWLIST
   (and in docs/baseline-differences.md) with what ftpstall must say instead.

Exit status: 0 pass, 1 failure, 77 EXTERNAL_DIR absent (captures are local).
Python 3 standard library only.
"""

import concurrent.futures
import ipaddress
import json
import os
import re
import subprocess
import sys

SKIP = 77

# Capture files: what libpcap-style readers open.  A gzip'd capture is not
# one (tcpdump cannot read it either); its decompressed twin is tested.
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")
COMPRESSED_SUFFIXES = (".pcap.gz", ".pcapng.gz")

# ---- Zeek's FTP script semantics (scripts/base/protocols/ftp/main.zeek) ----

# Commands whose argument Zeek rewrites into an ftp:// URL (main.zeek file_cmds).
ZEEK_FILE_CMDS = {
    "APPE", "CWD", "DELE", "MKD", "RETR", "RMD", "RNFR", "RNTO",
    "STOR", "STOU", "REST", "SIZE", "MDTM",
}
# Zeek only changes its cwd on these (command, final reply code) pairs.
ZEEK_DIRECTORY_CMDS = {("CWD", 250), ("CDUP", 200), ("CDUP", 250), ("PWD", 257), ("XPWD", 257)}
ZEEK_INITIAL_CWD = "."
ZEEK_ABSOLUTE_PATH = re.compile(r"(/|[A-Za-z]:[\\/])")

# Non-default settings of the btests whose baselines are compared.  The test
# scripts (`*.test-script.txt`) named in INDEX.md are parsed when present;
# this table, read off zeek/zeek testing/btest/scripts/base/protocols/ftp/,
# is the fallback and agrees with the truncated values in the baselines.
ZEEK_TEST_SETTINGS = {
    "scripts.base.protocols.ftp.ftp-max-arg-length": {
        "max_arg_length": 13,
        "max_reply_msg_length": 17,
    },
    "scripts.base.protocols.ftp.ftp-max-user-length": {
        "max_user_length": 4,
        "max_password_length": 2,
    },
}
ZEEK_DEFAULT_SETTINGS = {
    "max_arg_length": 4096,
    "max_reply_msg_length": 4096,
    "max_user_length": 128,
    "max_password_length": 128,
}

# ftpstall's view of a data channel.
CHANNEL_VERBS = {"PORT", "EPRT", "LPRT", "PASV", "EPSV", "LPSV"}
TRANSFER_VERBS = {"RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"}

# ---- Allowlist ------------------------------------------------------------
#
# One entry per (capture, btest, Zeek line, field) where ftpstall and Zeek
# disagree and ftpstall is right or the difference is by design.  `zeek` is
# what the baseline says, `ftpstall` what ftpstall must say (a list: any of
# them).  An entry that stops matching fails the test, so the list stays
# exact.  Lines are named by command and occurrence among the Zeek lines of
# that command for the connection (1 = first).  btest "*" = every baseline
# of the capture.  Documented in docs/baseline-differences.md.

Z = "zeek/testing_btest_Traces_"

ALLOWLIST = [
    # Zeek keeps a command "current" until the next command arrives, so a
    # later reply overwrites its reply_code/reply_msg.
    dict(capture=Z + "ftp_ipv6-multiline-reply.pcap", btest="*", command="RETR", nth=1,
         field="reply_code", zeek=221, ftpstall=[550],
         reason="Zeek overwrote RETR's 550 with the unsolicited 221 that followed it"),
    dict(capture=Z + "ftp_ipv6-multiline-reply.pcap", btest="*", command="RETR", nth=1,
         field="reply_msg", zeek="You could at least say goodbye.",
         ftpstall=["libssh-0.5.2.tar.gz: No such file or directory."],
         reason="Zeek overwrote RETR's 550 with the unsolicited 221 that followed it"),
    dict(capture=Z + "ftp_fake-long-commands.pcap", btest="*", command="SYST", nth=1,
         field="reply_code", zeek=200, ftpstall=[215],
         reason="Zeek dropped the overlong TYPEEE... command; its 200 overwrote SYST's 215"),
    dict(capture=Z + "ftp_fake-long-commands.pcap", btest="*", command="SYST", nth=1,
         field="reply_msg", zeek="Response to TYPEEEEEEEEEEEEE command",
         ftpstall=["Response to SYST command"],
         reason="Zeek dropped the overlong TYPEEE... command; its 200 overwrote SYST's 215"),
    dict(capture=Z + "ftp_fake-long-commands.pcap", btest="*", command="PASV", nth=1,
         field="reply_code", zeek=215, ftpstall=[227],
         reason="Zeek dropped the overlong SYSTTT... command; its 215 overwrote PASV's 227"),
    dict(capture=Z + "ftp_fake-long-commands.pcap", btest="*", command="PASV", nth=1,
         field="reply_msg", zeek="Response to SYSTTTTTTTTTTTTT command",
         ftpstall=["Response to PASV command"],
         reason="Zeek dropped the overlong SYSTTT... command; its 215 overwrote PASV's 227"),
    # A server line without a valid reply code: Zeek flags a protocol
    # violation, stops parsing, and logs the pending command with the code
    # and text of the previous reply (230 PASS OK).  The command got no valid
    # reply; the 221 that follows answers QUIT (see EXTRA_EXPECTATIONS).
    dict(capture=Z + "ftp_ftp-invalid-reply-code.pcap", btest="*", command="PASV", nth=1,
         field="reply_code", zeek=230, ftpstall=[None],
         reason="'99 PASV invalid' is no reply; Zeek logs the stale 230 of PASS"),
    dict(capture=Z + "ftp_ftp-invalid-reply-code.pcap", btest="*", command="PASV", nth=1,
         field="reply_msg", zeek="PASS OK", ftpstall=[None],
         reason="'99 PASV invalid' is no reply; Zeek logs the stale text of PASS"),
    dict(capture=Z + "ftp_ftp-missing-reply-code.pcap", btest="*", command="SYST", nth=1,
         field="reply_code", zeek=230, ftpstall=[None],
         reason="'SYST not supported' has no code; Zeek logs the stale 230 of PASS"),
    dict(capture=Z + "ftp_ftp-missing-reply-code.pcap", btest="*", command="SYST", nth=1,
         field="reply_msg", zeek="PASS OK", ftpstall=[None],
         reason="'SYST not supported' has no code; Zeek logs the stale text of PASS"),
    dict(capture=Z + "ftp_ftp-missing-space-after-reply-code.pcap", btest="*", command="RETR",
         nth=1, field="reply_code", zeek=230, ftpstall=[None],
         reason="'230_no_space' is no valid reply; Zeek logs the stale 230 of PASS"),
    dict(capture=Z + "ftp_ftp-missing-space-after-reply-code.pcap", btest="*", command="RETR",
         nth=1, field="reply_msg", zeek="PASS OK", ftpstall=[None],
         reason="'230_no_space' is no valid reply; Zeek logs the stale text of PASS"),
    # The RETR after these PASVs fell into a hole in the capture (conn.log:
    # missed_bytes 233): Zeek pinned its 150/226 on the PASV, ftpstall keeps
    # PASV's 227 and lists the 150/226 as unsolicited replies.
    dict(capture=Z + "ftp_cwd-navigation.pcap", btest="*", command="PASV", nth=56,
         field="reply_code", zeek=226, ftpstall=[227],
         reason="the RETR was lost in a capture gap; Zeek gave its 226 to the PASV"),
    dict(capture=Z + "ftp_cwd-navigation.pcap", btest="*", command="PASV", nth=56,
         field="reply_msg", zeek="Transfer complete",
         ftpstall=["Entering Passive Mode (205,167,25,101,241,103)."],
         reason="the RETR was lost in a capture gap; Zeek gave its 226 to the PASV"),
    dict(capture=Z + "ftp_cwd-navigation.pcap", btest="*", command="PASV", nth=298,
         field="reply_code", zeek=226, ftpstall=[227],
         reason="the RETR was lost in a capture gap; Zeek gave its 226 to the PASV"),
    dict(capture=Z + "ftp_cwd-navigation.pcap", btest="*", command="PASV", nth=298,
         field="reply_msg", zeek="Transfer complete",
         ftpstall=["Entering Passive Mode (205,167,25,101,248,59)."],
         reason="the RETR was lost in a capture gap; Zeek gave its 226 to the PASV"),
    # Multi-line replies: Zeek keeps the text of the last line, ftpstall the
    # first (where servers put the message; the last line is often filler).
    dict(capture=Z + "ftp_ipv6-multiline-reply.pcap", btest="*", command="<init>", nth=1,
         field="reply_msg", zeek="FTP server ready.",
         ftpstall=["     Welcome to FTP.JPIX.ad.jp,"],
         reason="multi-line 220: Zeek logs the last line's text, ftpstall the first"),
]

# Rules that apply to every line of every baseline (by design, not a bug).
RULE_PASS_ARG = "ftpstall never keeps passwords: PASS's argument is always '****'"
RULE_PASSWORD = "ftpstall has no password field (it never keeps passwords)"

# Facts the baselines cannot give (Zeek stopped parsing) but that follow
# from the same captures: (capture, "commands" or "transfers", verb,
# occurrence, field, "==" or "!=", value, why).
EXTRA_EXPECTATIONS = [
    (Z + "ftp_ftp-invalid-reply-code.pcap", "commands", "QUIT", 1, "reply_code", "==", 221,
     "'221 Bye' answers QUIT, not the PASV before it"),
    (Z + "ftp_ftp-missing-reply-code.pcap", "commands", "QUIT", 1, "reply_code", "==", 221,
     "'221 Bye' answers QUIT, not the SYST before it"),
    (Z + "ftp_ftp-missing-space-after-reply-code.pcap", "commands", "QUIT", 1, "reply_code",
     "==", 221, "'221 Bye' answers QUIT, not the RETR before it"),
    (Z + "ftp_ftp-missing-space-after-reply-code.pcap", "transfers", "RETR", 1, "outcome",
     "!=", "complete", "the RETR got '230_no_space', never a 226"),
]


class Report:
    """Collects results; every failure is printed as it is found."""

    def __init__(self):
        self.failures = 0
        self.counts = {}
        self.allowed = []
        self.not_comparable = {}

    def fail(self, msg):
        self.failures += 1
        print("FAIL: " + msg)

    def count(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def cannot_compare(self, field, why):
        self.not_comparable.setdefault((field, why), 0)
        self.not_comparable[(field, why)] += 1


# ---- running ftpstall -------------------------------------------------------

def run_ftpstall(ftpstall, capture, fmt):
    """Returns (exit status, stdout, stderr) of `ftpstall analyze -f fmt`.

    A run that hangs is killed after 60 s and reported as exit status -1.
    """
    try:
        proc = subprocess.run([ftpstall, "analyze", "-f", fmt, capture],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                              check=False)
    except subprocess.TimeoutExpired:
        return -1, b"", b"timed out after 60 s"
    return proc.returncode, proc.stdout, proc.stderr


def find_captures(external):
    captures = []
    for root, _dirs, files in os.walk(external):
        for name in files:
            if ".baseline." in name:
                continue
            if name.endswith(CAPTURE_SUFFIXES) or name.endswith(COMPRESSED_SUFFIXES):
                captures.append(os.path.join(root, name))
    return sorted(captures)


def check_capture(ftpstall, external, capture):
    """Runs one capture in both formats; returns (messages, parsed JSON or None)."""
    rel = os.path.relpath(capture, external)
    problems = []
    doc = None
    compressed = capture.endswith(COMPRESSED_SUFFIXES)
    for fmt in ("json", "text"):
        rc, out, err = run_ftpstall(ftpstall, capture, fmt)
        if compressed and rc == 2:
            # Not a capture format ftpstall claims to read: it must refuse
            # cleanly, one line on stderr, nothing on stdout.
            if out or len(err.splitlines()) != 1:
                problems.append(f"{rel} ({fmt}): refused without a clean one-line error: "
                                f"stdout {len(out)} bytes, stderr {err[:200]!r}")
            continue
        if rc != 0:
            problems.append(f"{rel} ({fmt}): exit status {rc}, stderr {err[:300]!r}")
        if err:
            problems.append(f"{rel} ({fmt}): wrote to stderr: {err[:300]!r}")
        if fmt == "json":
            try:
                doc = json.loads(out.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                problems.append(f"{rel} (json): not a valid JSON document: {e}")
                doc = None
            else:
                if not isinstance(doc, dict) or not isinstance(doc.get("sessions"), list):
                    problems.append(f"{rel} (json): no 'sessions' array")
                    doc = None
        elif rc == 0 and not out.strip():
            problems.append(f"{rel} (text): empty report")
    return problems, doc


# ---- Zeek logs --------------------------------------------------------------

def zeek_unescape(value):
    """Undoes the ASCII writer's \\xHH escapes (applied to bytes)."""
    if "\\x" not in value:
        return value
    raw = value.encode("utf-8", "surrogateescape")
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
    return raw.decode("utf-8", "replace")


def read_zeek_log(path):
    """Parses a Zeek ASCII log by its own header lines; returns a list of dicts.

    Values: None for the unset field ('-'), '' for the empty field
    ('(empty)'), otherwise the unescaped string.
    """
    sep, unset, empty, fields = "\t", "-", "(empty)", None
    rows = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#separator "):
                sep = zeek_unescape(line[len("#separator "):])
                continue
            if line.startswith("#"):
                parts = line[1:].split(sep)
                if parts[0] == "fields":
                    fields = parts[1:]
                elif parts[0] == "unset_field" and len(parts) > 1:
                    unset = parts[1]
                elif parts[0] == "empty_field" and len(parts) > 1:
                    empty = parts[1]
                continue
            if not line or fields is None:
                continue
            values = line.split(sep)
            row = {}
            for name, v in zip(fields, values):
                if v == unset:
                    row[name] = None
                elif v == empty:
                    row[name] = ""
                else:
                    row[name] = zeek_unescape(v)
            rows.append(row)
    return rows


def zeek_settings(btest, script_path):
    """Zeek FTP:: options of one btest: defaults, table, then the script's redefs."""
    settings = dict(ZEEK_DEFAULT_SETTINGS)
    settings.update(ZEEK_TEST_SETTINGS.get(btest, {}))
    if os.path.exists(script_path):
        with open(script_path, encoding="utf-8", errors="replace") as f:
            for m in re.finditer(r"redef\s+FTP::(max_\w+_length)\s*=\s*(\d+)\s*;", f.read()):
                settings[m.group(1)] = int(m.group(2))
    return settings


def zeek_baselines(external):
    """Yields (capture, btest, ftp.log path, test-script path) for every Zeek ftp.log."""
    for root, _dirs, files in os.walk(external):
        for name in sorted(files):
            if ".baseline." not in name or not name.endswith(".ftp.log"):
                continue
            capture, _, rest = name.partition(".baseline.")
            btest = rest[: -len(".ftp.log")]
            script = os.path.join(root, f"{capture}.baseline.{btest}.test-script.txt")
            yield os.path.join(root, capture), btest, os.path.join(root, name), script


# ---- Zeek's path handling, re-done from ftpstall's commands -----------------

def zeek_compress_path(path):
    """compress_path() as Zeek's btest scripts/base/utils/paths pins it down."""
    absolute = path.startswith("/")
    dotted = path == "." or path.startswith("./")
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        # '..' climbs out of a name, never out of '..', '~' or the root.
        home = len(out) == 1 and out[0].startswith("~")
        if seg == ".." and out and out[-1] != ".." and not home:
            out.pop()
            continue
        out.append(seg)
    joined = "/".join(out)
    if absolute:
        return "/" + joined
    if dotted and (not out or out[0] != ".."):
        return "./" + joined if out else "."
    return joined


def zeek_build_path(directory, name):
    if ZEEK_ABSOLUTE_PATH.match(name) or directory == "":
        return name
    return directory + ("" if directory.endswith("/") else "/") + name


def zeek_extract_path(msg):
    quoted = re.search(r'"(/|[A-Za-z]:[\\/])[^"]*"', msg)
    if quoted:
        return quoted.group(0)[1:-1]
    plain = re.search(r'(/|[A-Za-z]:[\\/])([^" ]|(\\ ))*', msg)
    return plain.group(0) if plain else ""


def zeek_url(server_addr, cwd, arg):
    path = zeek_compress_path(zeek_build_path(cwd, arg))
    if not path.startswith("/"):
        path = "/" + path
    host = f"[{server_addr}]" if server_addr.version == 6 else str(server_addr)
    return f"ftp://{host}{path}"


def zeek_cwds(commands):
    """Zeek's cwd before each of ftpstall's commands, tracked from their replies."""
    cwd = ZEEK_INITIAL_CWD
    before = []
    for c in commands:
        before.append(cwd)
        verb, code = c["verb"].upper(), c.get("reply_code")
        if (verb, code) not in ZEEK_DIRECTORY_CMDS:
            continue
        if verb == "CWD":
            cwd = zeek_compress_path(zeek_build_path(cwd, c["arg"]))
        elif verb == "CDUP":
            cwd = zeek_compress_path(zeek_build_path(cwd, "/.."))
        else:
            cwd = zeek_extract_path(c.get("reply_text") or "")
    return before


# ---- ftpstall's JSON ----------------------------------------------------------

def endpoint(text):
    """'1.2.3.4:21' or '[v6]:21' -> (ip_address, port)."""
    m = re.fullmatch(r"\[(.+)\]:(\d+)|([^:]+):(\d+)", text)
    if not m:
        raise ValueError(f"bad endpoint {text!r}")
    host = m.group(1) or m.group(3)
    port = m.group(2) or m.group(4)
    return ipaddress.ip_address(host), int(port)


def link_transfers(commands, transfers):
    """Maps command index -> the transfer it started (same verb and file, in order)."""
    links = {}
    start = 0
    for t in transfers:
        for i in range(start, len(commands)):
            c = commands[i]
            if c["verb"].upper() == t["command"].upper() and c["arg"] == t["file"]:
                links[i] = t
                start = i + 1
                break
    return links


def channel_transfer(commands, links, index):
    """The transfer that used the data channel set up by commands[index], or None."""
    for j in range(index + 1, len(commands)):
        if j in links:
            return links[j]
        if commands[j]["verb"].upper() in CHANNEL_VERBS:
            return None
    return None


# ---- comparison -------------------------------------------------------------

def allow_entry(rel, btest, command, nth, field):
    for e in ALLOWLIST:
        if (e["capture"] == rel and e["btest"] in ("*", btest) and e["command"] == command
                and e["nth"] == nth and e["field"] == field):
            return e
    return None


def compare_field(rep, used, ctx, field, zeek_value, ftpstall_value):
    """One field of one line: equal, allowlisted, or a failure."""
    rel, btest, command, nth = ctx[:4]
    rep.count("fields compared")
    entry = allow_entry(rel, btest, command, nth, field)
    if entry is not None:
        used.add(id(entry))
        if zeek_value != entry["zeek"]:
            rep.fail(f"{rel} [{btest}] {command}#{nth} {field}: allowlist expects Zeek "
                     f"{entry['zeek']!r}, baseline says {zeek_value!r}")
        elif ftpstall_value not in entry["ftpstall"]:
            rep.fail(f"{rel} [{btest}] {command}#{nth} {field}: ftpstall says "
                     f"{ftpstall_value!r}, expected one of {entry['ftpstall']!r} "
                     f"(Zeek {zeek_value!r} is allowlisted: {entry['reason']})")
        else:
            rep.count("fields allowlisted")
            rep.allowed.append(f"{rel} [{btest}] {command}#{nth} {field}: Zeek "
                               f"{zeek_value!r}, ftpstall {ftpstall_value!r} -- {entry['reason']}")
        return
    if zeek_value == ftpstall_value:
        rep.count("fields matched")
        return
    rep.fail(f"{rel} [{btest}] {command}#{nth} {field}: Zeek {zeek_value!r}, "
             f"ftpstall {ftpstall_value!r}")


def truncate(value, limit):
    if value is None:
        return None
    raw = value.encode("utf-8", "surrogateescape")
    return raw[:limit].decode("utf-8", "replace") if len(raw) > limit else value


def compare_line(rep, used, ctx, row, session, settings, cwds, links):
    rel, btest, command = ctx[:3]
    commands = session["commands"]
    server_addr, _ = endpoint(session["server"])
    # Zeek's user: the last USER argument up to this command ('<unknown>'
    # before the first); ftpstall's: the same, from its USER commands.
    index = ctx[4]
    users = [c["arg"] for c in commands[: index + 1 if index is not None else 0]
             if c["verb"].upper() == "USER"]
    compare_field(rep, used, ctx, "user", row.get("user"),
                  truncate(users[-1], settings["max_user_length"]) if users else "<unknown>")
    if row.get("password") is not None:
        rep.cannot_compare("password", RULE_PASSWORD)

    if command == "<init>":
        banner = next((r for r in session["replies"] if r.get("unsolicited")), None)
        if banner is None:
            rep.fail(f"{rel} [{btest}] <init>: Zeek logs greeting "
                     f"{row.get('reply_code')} {row.get('reply_msg')!r}, ftpstall has none")
            return
        compare_field(rep, used, ctx, "reply_code", to_int(row.get("reply_code")), banner["code"])
        compare_field(rep, used, ctx, "reply_msg", row.get("reply_msg"),
                      truncate(banner["text"], settings["max_reply_msg_length"]))
        return

    c = commands[index]
    arg = c["arg"]
    if command == "PASS":
        # By design: Zeek logs the password (or <hidden>), ftpstall masks it.
        rep.count("fields compared")
        if arg == "****":
            rep.count("fields allowlisted")
            rep.allowed.append(f"{rel} [{btest}] PASS arg: Zeek {row.get('arg')!r}, "
                               f"ftpstall '****' -- {RULE_PASS_ARG}")
        else:
            rep.fail(f"{rel} [{btest}] PASS arg: ftpstall shows {arg!r}, expected '****'")
    else:
        expected = zeek_url(server_addr, cwds[index], arg) if command in ZEEK_FILE_CMDS else arg
        expected = truncate(expected, settings["max_arg_length"])
        compare_field(rep, used, ctx, "arg", row.get("arg"), expected if expected != "" else None)

    compare_field(rep, used, ctx, "reply_code", to_int(row.get("reply_code")), c.get("reply_code"))
    text = c.get("reply_text") if c.get("reply_code") is not None else None
    compare_field(rep, used, ctx, "reply_msg", row.get("reply_msg"),
                  truncate(text, settings["max_reply_msg_length"]))

    passive = row.get("data_channel.passive")
    if passive is not None:
        t = channel_transfer(commands, links, index)
        if t is None:
            rep.cannot_compare("data_channel.passive", "no transfer used the channel")
        else:
            compare_field(rep, used, ctx, "data_channel.passive", passive,
                          {"passive": "T", "active": "F"}.get(t["mode"], t["mode"]))
            nat = ipaddress.ip_address(row["data_channel.resp_h"]) != server_addr
            if passive == "T" and t.get("data_connection_seen"):
                compare_field(rep, used, ctx, "data_channel.resp_h != server (nat_address)",
                              nat, t.get("nat_address"))
            elif passive == "T":
                rep.cannot_compare("data_channel.resp_h != server (nat_address)",
                                   "data connection not in the capture")
        for field in ("data_channel.orig_h", "data_channel.resp_h", "data_channel.resp_p"):
            rep.cannot_compare(field, "ftpstall's JSON has no data-connection endpoints")

    size = row.get("file_size")
    if size is not None and index in links:
        t = links[index]
        if (t.get("data_connection_seen") and t.get("outcome") == "complete"
                and not t.get("bytes_missing_from_capture") and not t.get("rest_offset")):
            compare_field(rep, used, ctx, "file_size (= bytes of a complete transfer)",
                          int(size), t.get("bytes"))
        else:
            rep.cannot_compare("file_size", "transfer not seen complete in the capture")
    elif size is not None:
        rep.cannot_compare("file_size", "no transfer for the command")
    if row.get("mime_type") is not None:
        rep.cannot_compare("mime_type", "ftpstall does not sniff file contents")


def to_int(value):
    return int(value) if value is not None else None


def compare_baseline(rep, used, external, capture, btest, log, script, doc):
    rel = os.path.relpath(capture, external)
    rows = read_zeek_log(log)
    settings = zeek_settings(btest, script)
    sessions = {}
    for s in doc["sessions"]:
        sessions[endpoint(s["client"]) + endpoint(s["server"])] = s
    rep.count("baselines")
    by_conn = {}
    for row in rows:
        key = (ipaddress.ip_address(row["id.orig_h"]), int(row["id.orig_p"]),
               ipaddress.ip_address(row["id.resp_h"]), int(row["id.resp_p"]))
        by_conn.setdefault(key, []).append(row)
    for key, conn_rows in by_conn.items():
        session = sessions.get(key)
        if session is None:
            rep.fail(f"{rel} [{btest}]: Zeek logs connection {key[0]}:{key[1]} -> "
                     f"{key[2]}:{key[3]}, ftpstall has no such session")
            continue
        commands = session["commands"]
        cwds = zeek_cwds(commands)
        links = link_transfers(commands, session.get("transfers", []))
        cursor = 0
        seen = {}
        for row in conn_rows:
            command = row.get("command") or ""
            if not command.startswith("<"):
                command = command.upper()
            seen[command] = seen.get(command, 0) + 1
            rep.count("lines")
            if command == "<init>":
                rep.count("greeting lines")
                ctx = (rel, btest, command, seen[command], None)
                compare_line(rep, used, ctx, row, session, settings, cwds, links)
                continue
            index = next((i for i in range(cursor, len(commands))
                          if commands[i]["verb"].upper() == command), None)
            if index is None:
                rep.fail(f"{rel} [{btest}]: Zeek logs {command} #{seen[command]} "
                         f"(arg {row.get('arg')!r}), ftpstall has no matching command")
                continue
            cursor = index + 1
            rep.count("lines matched to a command")
            ctx = (rel, btest, command, seen[command], index)
            compare_line(rep, used, ctx, row, session, settings, cwds, links)
        # The session's user is the user of Zeek's last line.
        last = conn_rows[-1].get("user")
        user = session.get("user")
        compare_field(rep, used, (rel, btest, "session", 1), "user", last,
                      truncate(user, settings["max_user_length"]) if user is not None
                      else "<unknown>")


def check_extra(rep, external, docs):
    for rel, kind, verb, nth, field, op, value, why in EXTRA_EXPECTATIONS:
        doc = docs.get(os.path.join(external, rel))
        if doc is None:
            continue
        key = "verb" if kind == "commands" else "command"
        found = [r for s in doc["sessions"] for r in s.get(kind, [])
                 if r[key].upper() == verb]
        rep.count("extra expectations")
        if len(found) < nth:
            rep.fail(f"{rel}: no {verb} #{nth} in {kind} ({why})")
            continue
        got = found[nth - 1].get(field)
        if (got == value) != (op == "=="):
            rep.fail(f"{rel}: {kind} {verb} #{nth} {field} is {got!r}, expected "
                     f"{'' if op == '==' else 'not '}{value!r} ({why})")


def main(argv):
    if len(argv) != 3:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    ftpstall, external = argv[1], argv[2]
    if not os.path.isdir(external):
        print("SKIPPED: ../shared/external not present (external captures are local-only)")
        return SKIP
    external = os.path.abspath(external)
    rep = Report()

    captures = find_captures(external)
    if not captures:
        rep.fail(f"{external}: no captures found")
    docs = {}
    workers = min(8, (os.cpu_count() or 2) * 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda c: (c, check_capture(ftpstall, external, c)), captures)
        for capture, (problems, doc) in results:
            rep.count("captures run")
            for p in problems:
                rep.fail(p)
            if doc is not None:
                docs[capture] = doc

    used = set()
    baselined = set()
    for capture, btest, log, script in zeek_baselines(external):
        doc = docs.get(capture)
        if doc is None:
            rep.fail(f"{os.path.relpath(log, external)}: no ftpstall JSON for its capture")
            continue
        baselined.add(capture)
        before = (dict(rep.counts), rep.failures)
        compare_baseline(rep, used, external, capture, btest, log, script, doc)
        delta = {k: v - before[0].get(k, 0) for k, v in rep.counts.items()}
        print(f"{os.path.relpath(capture, external)} [{btest}]: {delta.get('lines', 0)} "
              f"lines, {delta.get('fields compared', 0)} fields, "
              f"{delta.get('fields matched', 0)} equal, "
              f"{delta.get('fields allowlisted', 0)} allowlisted, "
              f"{rep.failures - before[1]} failed")
    for e in ALLOWLIST:
        if id(e) not in used and os.path.join(external, e["capture"]) in baselined:
            rep.fail(f"allowlist entry no longer needed: {e['capture']} {e['command']}"
                     f"#{e['nth']} {e['field']} ({e['reason']})")
    check_extra(rep, external, docs)

    print(f"captures run (json + text): {rep.counts.get('captures run', 0)}")
    print(f"captures with a Zeek ftp.log: {len(baselined)}, "
          f"baselines: {rep.counts.get('baselines', 0)}, "
          f"lines: {rep.counts.get('lines', 0)} "
          f"({rep.counts.get('lines matched to a command', 0)} matched to a command, "
          f"{rep.counts.get('greeting lines', 0)} <init> matched to the greeting)")
    print(f"fields compared: {rep.counts.get('fields compared', 0)}, "
          f"equal: {rep.counts.get('fields matched', 0)}, "
          f"allowlisted: {rep.counts.get('fields allowlisted', 0)}")
    for (field, why), n in sorted(rep.not_comparable.items()):
        print(f"not compared: {field} x{n}: {why}")
    if os.environ.get("VERBOSE"):
        for line in rep.allowed:
            print("allowed: " + line)
    if rep.failures:
        print(f"FAILED: {rep.failures} problem(s)")
        return 1
    print("PASS: test_external_baselines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
