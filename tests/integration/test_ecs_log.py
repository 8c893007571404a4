#!/usr/bin/env python3
"""test_ecs_log.py FTPSTALL CAPTURE_DIR... — `analyze --format ecs` on every
bundled capture (docs/fleet.md):

- every line is one JSON object, one per session of the JSON report, with
  the ECS fields ftpstall promises (event.*, source/destination/client/
  server, network.*, observer, related, ftpstall.*) and their values tied
  to the JSON report's (endpoints, verdict, close, user);
- network.community_id equals what Wireshark's own Community ID
  implementation (tshark's communityid dissector) computes for the control
  connection, an independent reference of the spec;
- event.kind is alert exactly for incidents, event.duration is in ns.

Exit 0 pass, 1 fail, 77 skip (no tshark with a communityid dissector). A
few seconds.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

INCIDENT_FREE = {"clean", "incomplete"}


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def tshark_ids(pcaps, work):
    """{frozenset of two (ip, port) endpoints: community id} by tshark, over
    all captures merged into one pcapng (tshark starts once: its start
    dominates otherwise). The ID depends on the tuple alone, so a tuple
    seen in several captures has one."""
    merged = os.path.join(work, "all.pcapng")
    r = run(["mergecap", "-F", "pcapng", "-w", merged] + pcaps)
    if r.returncode:
        print(f"mergecap failed: {r.stderr}")
        return {}
    r = run(["tshark", "-r", merged, "--enable-protocol", "communityid", "-T", "fields",
             "-E", "separator=/t", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
             "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "communityid"])
    ids = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 7 or not f[6] or not f[2]:
            continue
        src = (f[0] or f[1]).split(",")[-1]
        dst = (f[3] or f[4]).split(",")[-1]
        ids.setdefault(frozenset({(src, int(f[2])), (dst, int(f[5]))}), f[6])
    return ids


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main():
    ftpstall, dirs = sys.argv[1], sys.argv[2:]
    if not shutil.which("tshark") or not shutil.which("mergecap"):
        print("SKIP: tshark or mergecap not installed (the Community ID reference)")
        return 77
    probe = run(["tshark", "-G", "protocols"])
    if "communityid" not in probe.stdout:
        print("SKIP: this tshark has no communityid dissector")
        return 77
    failures = []
    documents = checked_ids = 0
    pcaps = sorted(p for d in dirs for p in glob.glob(os.path.join(d, "*.pcap*")))
    with tempfile.TemporaryDirectory() as work:
        ids = tshark_ids(pcaps, work)
        for pcap in pcaps:
            name = os.path.basename(pcap)
            ecs_path = os.path.join(work, "out.ecs")
            json_path = os.path.join(work, "out.json")
            r1 = run([ftpstall, "analyze", "--format", "ecs", "-o", ecs_path, pcap])
            r2 = run([ftpstall, "analyze", "--format", "json", "-o", json_path, pcap])
            if r1.returncode or r2.returncode:
                failures.append(f"{name}: exit {r1.returncode}/{r2.returncode}: {r1.stderr}")
                continue
            with open(json_path) as f:
                report = json.load(f)
            with open(ecs_path) as f:
                lines = f.read().splitlines()
            if len(lines) != len(report["sessions"]):
                failures.append(f"{name}: {len(lines)} documents for "
                                f"{len(report['sessions'])} sessions")
                continue
            for line, s in zip(lines, report["sessions"]):
                documents += 1
                try:
                    d = json.loads(line)
                except ValueError as e:
                    failures.append(f"{name}: not JSON: {e}: {line[:80]}")
                    continue
                where = f"{name} session {s['id']}"
                client, server = endpoint(s["client"]), endpoint(s["server"])
                expect = {
                    ("network", "protocol"): "ftp",
                    ("network", "transport"): "tcp",
                    ("source", "ip"): client[0], ("source", "port"): client[1],
                    ("destination", "ip"): server[0], ("destination", "port"): server[1],
                    ("client", "ip"): client[0], ("server", "port"): server[1],
                    ("ftpstall", "session_id"): s["id"],
                    ("ftpstall", "verdict"): s["verdict"]["kind"],
                    ("ftpstall", "stalled_side"): s["verdict"]["stalled_side"],
                    ("ftpstall", "timer"): s["verdict"]["timer"],
                    ("ftpstall", "close", "by"): s["close"]["by"],
                    ("ftpstall", "close", "mechanism"): s["close"]["how"],
                    ("event", "kind"): "event" if s["verdict"]["kind"] in INCIDENT_FREE
                    else "alert",
                    ("event", "category"): ["network"],
                    ("event", "start"): s["start"],
                    ("ftpstall", "capture_notes"): s["capture_notes"],
                }
                for path, want in expect.items():
                    got = d
                    for key in path:
                        got = got.get(key) if isinstance(got, dict) else None
                    if got != want:
                        failures.append(f"{where}: {'.'.join(path)} = {got!r}, want {want!r}")
                for key in ("@timestamp", "message"):
                    if not d.get(key):
                        failures.append(f"{where}: no {key}")
                if s["user"] and d.get("user", {}).get("name") != s["user"]:
                    failures.append(f"{where}: user.name {d.get('user')} != {s['user']}")
                if s["close"]["reply_code"] and s["close"]["reply_code"] >= 400:
                    if d.get("error", {}).get("message") != s["close"]["reply_text"]:
                        failures.append(f"{where}: error.message {d.get('error')}")
                if s["close"]["after_idle_s"] is not None and \
                        abs(d["ftpstall"].get("idle_before_close_s", -1) -
                            s["close"]["after_idle_s"]) > 1e-6:
                    failures.append(f"{where}: idle_before_close_s")
                ev = d["event"]
                if not isinstance(ev.get("duration"), int) or ev["duration"] < 0 or \
                        ev["duration"] % 1000:
                    failures.append(f"{where}: event.duration {ev.get('duration')} not ns")
                related = d.get("related", {}).get("ip", [])
                if client[0] not in related or server[0] not in related:
                    failures.append(f"{where}: related.ip {related}")
                if "hostname" not in d.get("observer", {}):
                    failures.append(f"{where}: no observer.hostname")
                ref = ids.get(frozenset({client, server}))
                cid = d["network"].get("community_id")
                if ref is None and report["stats"].get("tunnelled_packets"):
                    pass  # tshark hashes the tunnel's outer flow
                elif ref is None:
                    failures.append(f"{where}: tshark has no Community ID for the flow")
                elif cid != ref:
                    failures.append(f"{where}: community_id {cid} != tshark's {ref}")
                else:
                    checked_ids += 1
    for f in failures[:40]:
        print("FAIL:", f)
    print(f"{len(pcaps)} captures, {documents} documents, {checked_ids} Community IDs "
          f"equal to tshark's, {len(failures)} failures")
    return 1 if failures or not documents else 0


if __name__ == "__main__":
    sys.exit(main())
