#!/usr/bin/env python3
"""FTPS without keys, on the real captures of captures/ftps: the verdict,
the stalled side, who closed and after how long idle, the TLS facts, the
server's timeout estimates, and --ftps-port. Unlike the goldens, each
check names the fact it is about, so a regenerated golden cannot hide a
regression of one of them.

usage: test_ftps_keyless.py FTPSTALL CAPTURES_FTPS_DIR
"""
import json
import os
import subprocess
import sys

failures = []


def analyze(ftpstall, pcap, *opts):
    out = subprocess.run([ftpstall, "analyze", "-f", "json", *opts, pcap],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        failures.append("%s: exit %d: %s" % (pcap, out.returncode, out.stderr.strip()))
        return None
    return json.loads(out.stdout)


def expect(name, what, got, want):
    ok = want(got) if callable(want) else got == want
    if not ok:
        failures.append("%s: %s is %r" % (name, what, got))


def between(lo, hi):
    return lambda v: v is not None and lo <= v <= hi


# capture: (verdict, stalled side, closed by, close after idle s (range),
#           tls mode, tls version, transfers matched by timing)
CASES = {
    "vsftpd-ftps-idle-tls12": ("idle_timeout", "client", "server", (2.9, 3.2), "explicit",
                               "TLS 1.2", 0),
    "proftpd-ftps-idle-timeout": ("idle_timeout", "client", "server", (2.9, 3.6), "explicit",
                                  "TLS 1.3", 0),
    "vsftpd-ftps-data-stall": ("data_timeout", "unknown", "server", (2.9, 3.2), "explicit",
                               "TLS 1.3", 1),
    "vsftpd-ftps-clean-tls13": ("clean", "none", "server", (0, 0.5), "explicit", "TLS 1.3", 2),
    "vsftpd-ftps-aes128-sha": ("clean", "none", "server", (0, 0.5), "explicit", "TLS 1.2", 2),
    "vsftpd-ftps-reuse-522": ("data_connection_failed", "none", "server", (0, 0.5), "explicit",
                              "TLS 1.3", 1),
    "vsftpd-ftps-implicit-curl": ("clean", "none", "server", (0, 0.5), "implicit", "TLS 1.3", 1),
    "proftpd-ftps-implicit-clean": ("clean", "none", "client", (0, 0.5), "implicit", "TLS 1.3",
                                    2),
    "proftpd-ftps-tickets-tls13": ("clean", "none", "client", (0, 0.5), "explicit", "TLS 1.3",
                                   2),
}


def main():
    ftpstall, folder = sys.argv[1], sys.argv[2]
    for name, (verdict, stalled, by, idle, mode, version, timed) in CASES.items():
        report = analyze(ftpstall, os.path.join(folder, name + ".pcap"))
        if report is None:
            continue
        sessions = report["sessions"]
        expect(name, "session count", len(sessions), 1)
        if not sessions:
            continue
        s = sessions[0]
        expect(name, "verdict", s["verdict"]["kind"], verdict)
        expect(name, "stalled side", s["verdict"]["stalled_side"], stalled)
        expect(name, "closed by", s["close"]["by"], by)
        expect(name, "close after idle", s["close"]["after_idle_s"], between(*idle))
        expect(name, "tls mode", s["tls"]["mode"], mode)
        expect(name, "tls version", s["tls"]["version"], version)
        expect(name, "transfers by timing",
               sum(1 for t in s["transfers"] if t.get("by_timing")), timed)
        # Never "tolerated" the idle that the server's close ended.
        for server in report["servers"]:
            if verdict == "idle_timeout":
                expect(name, "longest survived idle", server["longest_survived_idle_s"],
                       between(0, 1))
                expect(name, "idle timeout estimate", server["idle_timeout_estimate_s"],
                       between(2.9, 3.5))
            if verdict == "data_timeout":
                expect(name, "data timeout estimate", server["data_timeout_estimate_s"],
                       between(2.9, 3.1))

    # Data connections matched by timing: did they resume the control
    # connection's TLS session? curl does; python ftplib never does, which
    # is what vsftpd's require_ssl_reuse refuses with 522, unless told to
    # (the tickets capture: each data connection resumes with the ticket).
    for name, want in (("vsftpd-ftps-implicit-curl", [True]),
                       ("vsftpd-ftps-reuse-522", [False]),
                       ("proftpd-ftps-implicit-clean", [False, False]),
                       ("proftpd-ftps-tickets-tls13", [True, True])):
        report = analyze(ftpstall, os.path.join(folder, name + ".pcap"))
        if report and report["sessions"]:
            expect(name, "data connections resumed",
                   [t.get("tls_resumed") for t in report["sessions"][0]["transfers"]], want)

    # The 522 itself is encrypted, but the data connection that did not
    # resume carried nothing after its handshake (two tickets and a
    # close_notify each way), closed at once, and the server's next
    # control record came 0.1 ms later: probably refused. No other
    # capture's data connection looks so: they carried data, resumed,
    # or (the data stall) sat idle until the server's timer closed them.
    for name in CASES:
        report = analyze(ftpstall, os.path.join(folder, name + ".pcap"))
        if report and report["sessions"]:
            s = report["sessions"][0]
            refused = [bool(t.get("tls_refused_probably")) for t in s["transfers"]]
            expect(name, "data connections probably refused", refused,
                   [True] if name == "vsftpd-ftps-reuse-522" else [False] * len(refused))
            if name == "vsftpd-ftps-reuse-522":
                expect(name, "refusal summary", s["verdict"]["summary"],
                       lambda v: "probably refused" in v and "encrypted" in v)
                expect(name, "refusal advice", s["verdict"]["recommendation"] or "",
                       lambda v: "require_ssl_reuse" in v)

    report = analyze(ftpstall, os.path.join(folder, "vsftpd-ftps-aes128-sha.pcap"))
    if report and report["sessions"]:
        expect("vsftpd-ftps-aes128-sha", "cipher", report["sessions"][0]["tls"]["cipher"],
               "TLS_RSA_WITH_AES_128_CBC_SHA")

    # The cleartext after the TLS layer ended is read as FTP.
    report = analyze(ftpstall, os.path.join(folder, "proftpd-ftps-idle-timeout.pcap"))
    if report:
        s = report["sessions"][0]
        expect("proftpd-ftps-idle-timeout", "close reply", s["close"]["reply_code"], 421)
        expect("proftpd-ftps-idle-timeout", "stated timeout",
               s["verdict"]["stated_timeout_s"], 3)
        expect("proftpd-ftps-idle-timeout", "server TLS end",
               s["tls"]["server"]["tls_ended"], lambda v: v is not None)
    report = analyze(ftpstall, os.path.join(folder, "vsftpd-ftps-idle-tls12.pcap"))
    if report:
        s = report["sessions"][0]
        expect("vsftpd-ftps-idle-tls12", "server alerts", s["tls"]["server"]["alerts"], 1)
        expect("vsftpd-ftps-idle-tls12", "replies after TLS",
               [r["code"] for r in s["replies"]][-2:], [500, 500])

    # Implicit FTPS on a port of its own: found only when named.
    port2990 = os.path.join(folder, "vsftpd-ftps-implicit-port2990.pcap")
    report = analyze(ftpstall, port2990)
    if report:
        expect("port2990", "sessions without --ftps-port", len(report["sessions"]), 0)
    report = analyze(ftpstall, port2990, "--ftps-port", "2990")
    if report:
        expect("port2990", "sessions with --ftps-port", len(report["sessions"]), 1)
        if report["sessions"]:
            expect("port2990", "mode", report["sessions"][0]["tls"]["mode"], "implicit")

    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    print("PASS: test_ftps_keyless (%d captures)" % len(CASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
