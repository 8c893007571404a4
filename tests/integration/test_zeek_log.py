#!/usr/bin/env python3
"""test_zeek_log.py FTPSTALL CAPTURE_DIR... — `analyze --format zeek`
(docs/fleet.md) read back by a reader that follows the Zeek ASCII log rules
(as zeek-cut and Zeek's own reader do): the header lines (#separator,
#set_separator, #empty_field, #unset_field, #path, #open, #fields, #types,
#close), tab-separated rows with exactly as many columns as #fields, "-" for
unset and "(empty)" for an empty set or text, \\xHH escapes for bytes.

Checked on every bundled capture and on a hostile one this script writes
(Python standard library, the packet encoders of make_malformed.py): file
names and a 421 text with backslashes, tabs, commas, bytes above 0x7e, a
file named "-" and a user named "(empty)". Every row must parse, every
column must hold a value of its #types type, and the unescaped values must
equal the JSON report's (user, 421 text, file names, verdict, endpoints,
Community ID of the ECS output). A few seconds.

Exit 0 pass, 1 fail.
"""
import glob
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_malformed as mm  # noqa: E402

HEADER_KEYS = ["separator", "set_separator", "empty_field", "unset_field", "path", "open",
               "fields", "types"]


def unescape(text):
    """Zeek's \\xHH escapes back to bytes; any other backslash is an error
    (the writer escapes the backslash itself)."""
    out = bytearray()
    i = 0
    raw = text.encode("latin-1")
    while i < len(raw):
        if raw[i] == 0x5C:
            m = re.match(rb"\\x([0-9a-f]{2})", raw[i:i + 4])
            if not m:
                raise ValueError(f"bare backslash in {text!r}")
            out.append(int(m.group(1), 16))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def parse_zeek(data):
    """(meta, rows): rows as dicts of column -> None (unset), bytes, or a
    list of bytes for set/vector types. Raises ValueError on a broken log."""
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise ValueError("the log does not end with a newline")
    lines = [ln.decode("latin-1") for ln in lines[:-1]]
    if not lines or lines[0] != "#separator \\x09":
        raise ValueError(f"first line {lines[:1]!r}")
    sep = "\t"
    meta, rows, i = {}, [], 1
    while i < len(lines) and lines[i].startswith("#") and "fields" not in meta or \
            (i < len(lines) and lines[i].startswith("#types")):
        key, _, value = lines[i][1:].partition(sep)
        meta[key] = value
        i += 1
    for key in HEADER_KEYS[1:]:
        if key not in meta:
            raise ValueError(f"no #{key}")
    fields = meta["fields"].split(sep)
    types = meta["types"].split(sep)
    if len(fields) != len(types):
        raise ValueError("#fields and #types differ in length")
    setsep = unescape(meta["set_separator"]).decode("latin-1")
    for line in lines[i:]:
        if line.startswith("#"):
            key, _, value = line[1:].partition(sep)
            meta[key] = value
            continue
        cols = line.split(sep)
        if len(cols) != len(fields):
            raise ValueError(f"{len(cols)} columns for {len(fields)} fields: {line!r}")
        row = {}
        for name, typ, col in zip(fields, types, cols):
            if col == meta["unset_field"]:
                row[name] = None
            elif typ.startswith(("set[", "vector[")):
                row[name] = [] if col == meta["empty_field"] else \
                    [unescape(e) for e in col.split(setsep)]
            elif col == meta["empty_field"]:
                row[name] = b""
            else:
                row[name] = unescape(col)
            check_type(name, typ, row[name])
        rows.append(row)
    if "close" not in meta:
        raise ValueError("no #close")
    for key in ("open", "close"):
        if not re.fullmatch(r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d", meta[key]):
            raise ValueError(f"#{key} {meta[key]!r}")
    return meta, rows


def check_type(name, typ, value):
    if value is None or typ.startswith(("set[", "vector[")) or typ == "string":
        return
    text = value.decode("latin-1")
    ok = {
        "time": lambda t: re.fullmatch(r"\d+\.\d{6}", t),
        "interval": lambda t: re.fullmatch(r"-?\d+\.\d{6}", t),
        "count": lambda t: re.fullmatch(r"\d+", t),
        "port": lambda t: re.fullmatch(r"\d+", t) and int(t) < 65536,
        "addr": lambda t: ipaddress.ip_address(t),
    }[typ](text)
    if not ok:
        raise ValueError(f"{name} ({typ}) = {text!r}")


def latin1(s):
    """A JSON report string as the bytes the capture held (the JSON writer
    escapes bytes above 0x7e as \\u00XX)."""
    return None if s is None else s.encode("latin-1")


def hostile_capture(path):
    """Two sessions whose texts stress the escaping."""
    pcap = mm.Pcap(path)
    sessions = [
        (40100, b"bob", [b"STOR we\tird\\dir,a-\xe9t\xe9.bin", b"STOR -"],
         b"421 Idle\\timeout, bye \xe9\t- (empty)\r\n"),
        (40101, b"(empty)", [b"RETR (empty)"], b"421 -\r\n"),
    ]
    for cport, user, stors, goodbye in sessions:
        c = mm.Conn("192.0.2.10", cport, "198.51.100.20", 21)
        for f in c.handshake():
            pcap.record(f)
        script = [("s", b"220 hostile test server\r\n"), ("c", b"USER " + user + b"\r\n"),
                  ("s", b"331 Password please\r\n"), ("c", b"PASS not-shown\r\n"),
                  ("s", b"230 Logged in\r\n"), ("c", b"PASV\r\n"),
                  ("s", b"227 Entering Passive Mode (198,51,100,20,200,1)\r\n")]
        for stor in stors:
            script += [("c", stor + b"\r\n"), ("s", b"425 Can't open data connection\r\n")]
        for side, line in script:
            pcap.record(c.send(side, line))
        pcap.record(c.send("s", goodbye), dt_us=3_000_000)
        pcap.record(c.send("s", flags=mm.FLAG_FIN | mm.FLAG_ACK))
        pcap.record(c.send("c", flags=mm.FLAG_FIN | mm.FLAG_ACK))
        pcap.record(c.send("s", flags=mm.FLAG_ACK))
    pcap.close()


def run(cmd):
    return subprocess.run(cmd, capture_output=True, timeout=120)


def check_capture(ftpstall, pcap, work, failures):
    name = os.path.basename(pcap)
    out = {}
    for fmt in ("zeek", "json", "ecs"):
        path = os.path.join(work, "out." + fmt)
        r = run([ftpstall, "analyze", "-f", fmt, "-o", path, pcap])
        if r.returncode:
            failures.append(f"{name}: -f {fmt} exit {r.returncode}: {r.stderr!r}")
            return 0
        with open(path, "rb") as f:
            out[fmt] = f.read()
    try:
        meta, rows = parse_zeek(out["zeek"])
    except ValueError as e:
        failures.append(f"{name}: {e}")
        return 0
    report = json.loads(out["json"])
    ecs = [json.loads(line) for line in out["ecs"].splitlines()]
    if meta["path"] != "ftpstall" or len(rows) != len(report["sessions"]):
        failures.append(f"{name}: #path {meta['path']}, {len(rows)} rows for "
                        f"{len(report['sessions'])} sessions")
        return 0
    uids = set()
    for row, s, doc in zip(rows, report["sessions"], ecs):
        where = f"{name} session {s['id']}"
        host, _, port = s["client"].rpartition(":")
        want = {
            "id.orig_h": host.strip("[]").encode(), "id.orig_p": port.encode(),
            "id.resp_p": s["server"].rpartition(":")[2].encode(),
            "verdict": s["verdict"]["kind"].encode(),
            "user": latin1(s["user"]),
            "reply_code": str(s["close"]["reply_code"]).encode() if s["close"]["reply_code"]
            else None,
            "reply_msg": latin1(s["close"]["reply_text"]),
            "files": [latin1(t["file"]) or b"-" for t in s["transfers"]],
            "community_id": doc["network"]["community_id"].encode(),
            "capture_notes": [n.encode() for n in s["capture_notes"]],
        }
        for key, value in want.items():
            got = row[key]
            if key == "reply_msg" and value == b"":
                value = b""  # an empty text is (empty)
            if got != value:
                failures.append(f"{where}: {key} = {got!r}, want {value!r}")
        if not re.fullmatch(rb"C[0-9A-Za-z]{10,24}", row["uid"]):
            failures.append(f"{where}: uid {row['uid']!r}")
        uids.add(row["uid"])
    if len(uids) != len(rows):
        failures.append(f"{name}: uids repeat")
    return len(rows)


def main():
    ftpstall, dirs = sys.argv[1], sys.argv[2:]
    failures = []
    rows = 0
    pcaps = sorted(p for d in dirs for p in glob.glob(os.path.join(d, "*.pcap*")))
    with tempfile.TemporaryDirectory() as work:
        hostile = os.path.join(work, "hostile.pcap")
        hostile_capture(hostile)
        n = check_capture(ftpstall, hostile, work, failures)
        if n != 2:
            failures.append(f"hostile capture: {n} rows, want 2")
        with open(os.path.join(work, "out.zeek"), "rb") as f:
            raw = f.read()
        # The writer's escapes themselves, not only what a reader makes of them.
        for needle in (rb"we.ird\x5cdir\x2ca-\xe9t\xe9.bin,\x2d", rb"Idle\x5ctimeout, bye \xe9.",
                       b"\t\\x28empty)\t", b"\t\\x2d\t"):
            if needle not in raw:
                failures.append(f"hostile capture: {needle!r} not in the log")
        rows += n
        for pcap in pcaps:
            rows += check_capture(ftpstall, pcap, work, failures)
    for f in failures[:40]:
        print("FAIL:", f)
    print(f"{len(pcaps) + 1} captures, {rows} rows, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
