#!/usr/bin/env python3
"""check_ftp_sessions.py - compares three views of the same FTP sessions.

  CLIENT   what ftp_scenarios.py sent and received (its JSON on stdout)
  REPORT   `ftpstall analyze -f json` of the capture
  TSHARK   `tshark -r CAP -Y ftp -T fields -e tcp.stream
            -e ftp.request.command -e ftp.response.code -e tcp.srcport
            -e tcp.dstport` of the same capture (tab separated)

Sessions are matched by the client's control port. For each one it checks
that ftpstall has the client's command verbs in order, each with the
client's final reply; the client's reply codes in order; its transfers
(command, file, mode, rest_offset, bytes, outcome, reply_code, nothing
missing from the capture); and that tshark's per-connection command and
reply sequences agree with ftpstall's. Also: PASS is shown as ****.

Prints one "MISMATCH: ..." line per difference (all of them, not only the
first) and exits 1 if there was any, else 0. Exit 2 on unreadable input.

Python 3 standard library only.
"""

import argparse
import json
import sys

FTP_PORT = 21


class Checker:
    def __init__(self):
        self.mismatches = []

    def bad(self, msg):
        self.mismatches.append(msg)
        print(f"MISMATCH: {msg}")

    def eq(self, what, want, got):
        if want != got:
            self.bad(f"{what}: expected {want!r}, got {got!r}")
            return False
        return True


def port_of(addr):
    """'127.0.0.1:53176' or '[::1]:33520' -> 53176 / 33520 (None if odd)."""
    if not isinstance(addr, str) or ":" not in addr:
        return None
    tail = addr.rsplit(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def host_of(addr):
    host = addr.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def read_tshark(path):
    """Returns {client_port: {"commands": [verb...], "replies": [code...],
    "events": [("C", verb) | ("R", code) ...], "stream": n}}."""
    conns = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5:
                raise ValueError(f"{path}:{lineno}: expected 5 fields, got {fields!r}")
            stream, cmds, codes, sport, dport = fields[:5]
            sport, dport = int(sport), int(dport)
            cport = dport if sport == FTP_PORT else sport
            c = conns.setdefault(cport, {"commands": [], "replies": [], "events": [],
                                         "stream": int(stream)})
            # Several lines in one segment come out comma separated.
            for v in filter(None, cmds.split(",")):
                c["commands"].append(v.upper())
                c["events"].append(("C", v.upper()))
            for v in filter(None, codes.split(",")):
                c["replies"].append(int(v))
                c["events"].append(("R", int(v)))
    return conns


def final_replies(events):
    """Per command, the last reply code seen before the next command (None
    when there was none)."""
    out = []
    for kind, val in events:
        if kind == "C":
            out.append(None)
        elif out:
            out[-1] = val
    return out


TRANSFER_KEYS = ("command", "file", "mode", "rest_offset", "bytes", "outcome", "reply_code")


def check_session(ck, name, cs, rs, ts):
    """CS: the client's record; RS: ftpstall's session (or None); TS:
    tshark's view of the connection (or None)."""
    want_verbs = [c["verb"] for c in cs["commands"]]
    want_final = [c["final"] for c in cs["commands"]]
    want_replies = cs["greeting"] + [r for c in cs["commands"] for r in c["replies"]]

    if rs is None:
        ck.bad(f"{name}: ftpstall has no session for client port {cs['client'][1]}")
    else:
        ck.eq(f"{name}: server address", f"{cs['server'][0]}:{cs['server'][1]}",
              f"{host_of(rs['server'])}:{port_of(rs['server'])}")
        ck.eq(f"{name}: client address", cs["client"][0], host_of(rs["client"]))
        got_cmds = rs.get("commands", [])
        got_verbs = [c.get("verb") for c in got_cmds]
        ck.eq(f"{name}: ftpstall command verbs", want_verbs, got_verbs)
        for i, c in enumerate(cs["commands"]):
            if i >= len(got_cmds):
                break
            g = got_cmds[i]
            if g.get("verb") != c["verb"]:
                continue        # already reported as a verb-order mismatch
            ck.eq(f"{name}: ftpstall command {i + 1} ({c['verb']}) reply_code",
                  c["final"], g.get("reply_code"))
            want_arg = "****" if c["verb"] == "PASS" else c["arg"]
            ck.eq(f"{name}: ftpstall command {i + 1} ({c['verb']}) arg", want_arg, g.get("arg"))
        ck.eq(f"{name}: ftpstall reply codes", want_replies,
              [r.get("code") for r in rs.get("replies", [])])

        got_tr = rs.get("transfers", [])
        ck.eq(f"{name}: ftpstall transfer count", len(cs["transfers"]), len(got_tr))
        for i, (w, g) in enumerate(zip(cs["transfers"], got_tr)):
            label = f"{name}: transfer {i + 1} ({w['command']} {w['file']})"
            for k in TRANSFER_KEYS:
                ck.eq(f"{label} {k}", w[k], g.get(k))
            ck.eq(f"{label} bytes_missing_from_capture", 0, g.get("bytes_missing_from_capture"))
            if w["outcome"] == "complete":
                ck.eq(f"{label} data_connection_seen", True, g.get("data_connection_seen"))

    if ts is None:
        ck.bad(f"{name}: tshark shows no FTP control connection from client port "
               f"{cs['client'][1]}")
        return
    # tshark against the client: says whether a disagreement is ftpstall's.
    ck.eq(f"{name}: tshark (stream {ts['stream']}) command verbs vs client", want_verbs,
          ts["commands"])
    ck.eq(f"{name}: tshark (stream {ts['stream']}) reply codes vs client", want_replies,
          ts["replies"])
    if rs is not None:
        got_cmds = rs.get("commands", [])
        ck.eq(f"{name}: ftpstall vs tshark (stream {ts['stream']}) command verbs",
              ts["commands"], [c.get("verb") for c in got_cmds])
        ck.eq(f"{name}: ftpstall vs tshark (stream {ts['stream']}) final reply per command",
              final_replies(ts["events"]), [c.get("reply_code") for c in got_cmds])
        ck.eq(f"{name}: ftpstall vs tshark (stream {ts['stream']}) reply codes",
              ts["replies"], [r.get("code") for r in rs.get("replies", [])])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("client", help="ftp_scenarios.py output (JSON)")
    ap.add_argument("report", help="ftpstall analyze -f json output")
    ap.add_argument("tshark", help="tshark fields output (see the module doc)")
    ap.add_argument("--expect", type=int, required=True, help="number of sessions expected")
    args = ap.parse_args()
    try:
        with open(args.client, encoding="utf-8") as f:
            client = json.load(f)
        with open(args.report, encoding="utf-8") as f:
            report = json.load(f)
        tshark = read_tshark(args.tshark)
    except (OSError, ValueError) as e:
        print(f"check_ftp_sessions: {e}", file=sys.stderr)
        return 2

    ck = Checker()
    sessions = report.get("sessions", [])
    ck.eq("number of client sessions", args.expect, len(client["sessions"]))
    ck.eq("number of ftpstall sessions", args.expect, len(sessions))
    ck.eq("number of tshark FTP control connections", args.expect, len(tshark))
    by_port = {}
    for s in sessions:
        p = port_of(s.get("client"))
        if p in by_port:
            ck.bad(f"two ftpstall sessions from client port {p}")
        by_port[p] = s
    seen = set()
    for cs in client["sessions"]:
        if "client" not in cs:
            ck.bad(f"{cs['name']}: the client never got a session ({cs.get('problems')})")
            continue
        port = cs["client"][1]
        seen.add(port)
        check_session(ck, cs["name"], cs, by_port.get(port), tshark.get(port))
    for p in sorted(set(by_port) - seen, key=str):
        ck.bad(f"ftpstall reports a session from client port {p} that the client never made")
    return 1 if ck.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
