#!/usr/bin/env python3
"""FTPS with keys, on the real captures of captures/ftps and the key logs
their clients wrote: every control and data connection decrypts, the
commands and replies ftpstall reads are the ones tshark decrypts from the
same capture with the same key log, each decrypted transfer counts the
plaintext bytes tshark sees its sender send, and PASS stays masked; the
same key log embedded in the capture (pcapng secrets blocks) does the
same without --tls-keylog. Then
what a wrong or useless key log does: a one-line error for a file that is
no key log, and timing-only analysis with the reason for a wrong secret.

usage: test_ftps_decrypt.py FTPSTALL CAPTURES_FTPS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []
compared = {"commands": 0, "transfers": 0}
SKIP = 77


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def analyze(ftpstall, pcap, keys, *opts):
    out = run([ftpstall, "analyze", "-f", "json", "--tls-keylog", keys, *opts, pcap])
    if out.returncode not in (0, 1):
        failures.append("%s: exit %d: %s" % (pcap, out.returncode, out.stderr.strip()))
        return None
    return json.loads(out.stdout)


def endpoint_port(text):
    return int(text.rsplit(":", 1)[1])


def tcp_streams(pcap):
    """tcp.stream index of each connection, by its client port (the SYN's)."""
    out = run(["tshark", "-r", pcap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T",
               "fields", "-e", "tcp.stream", "-e", "tcp.srcport"])
    streams = {}
    for line in out.stdout.splitlines():
        stream, port = line.split("\t")
        streams.setdefault(int(port), int(stream))
    return streams


def tshark_plaintext(pcap, keys, stream, server_port, tls_port):
    """The decrypted bytes of one connection, (client, server), as tshark
    follows them. tls_port: a port tshark does not know for TLS (implicit
    FTPS, data connections, which its FTP dissector would otherwise
    claim as cleartext FTP-DATA)."""
    args = ["tshark", "-r", pcap, "-o", "tls.keylog_file:" + keys, "--disable-protocol",
            "ftp-data", "-q", "-z", "follow,tls,raw,%d" % stream]
    if tls_port:
        args[3:3] = ["-d", "tcp.port==%d,tls" % tls_port]
    out = run(args)
    sides = {"client": bytearray(), "server": bytearray()}
    node0_is_server = None
    for line in out.stdout.splitlines():
        if line.startswith("Node 0:"):
            node0_is_server = line.rstrip().endswith(":%d" % server_port)
            continue
        if not line.strip() or line.startswith(("=", "Follow", "Filter", "Node")):
            continue
        node1 = line.startswith("\t")
        from_server = node0_is_server != node1
        sides["server" if from_server else "client"] += bytes.fromhex(line.strip())
    return bytes(sides["client"]), bytes(sides["server"])


def text_lines(data):
    return [l.rstrip("\r") for l in data.decode("latin-1").split("\n")[:-1]]


def tshark_commands(client):
    commands = []
    for line in text_lines(client):
        verb, _, arg = line.partition(" ")
        commands.append((verb.upper(), arg))
    return commands


def tshark_replies(server):
    """(code, first line's text) of each reply, multi-line ones once."""
    replies, open_code = [], None
    for line in text_lines(server):
        if open_code:
            if line.startswith(open_code + " "):
                open_code = None
            continue
        code, sep, text = line[:3], line[3:4], line[4:]
        replies.append((int(code), text))
        if sep == "-":
            open_code = code
    return replies


# Decrypted, each scenario's verdict, stalled side and closing reply are
# read from the commands and replies as in cleartext.
VERDICTS = {
    "vsftpd-ftps-idle-tls12": ("idle_timeout", "client", 500),  # 500 OOPS after its alert
    "proftpd-ftps-idle-timeout": ("idle_timeout", "client", 421),
    "vsftpd-ftps-data-stall": ("data_timeout", "client", 421),
    "vsftpd-ftps-reuse-522": ("data_connection_failed", "none", None),
    "vsftpd-ftps-clean-tls13": ("clean", "none", 221),
    "vsftpd-ftps-aes128-sha": ("clean", "none", 221),
    "vsftpd-ftps-implicit-curl": ("clean", "none", 221),
    "vsftpd-ftps-implicit-port2990": ("clean", "none", 221),
    "proftpd-ftps-implicit-clean": ("clean", "none", 221),
    "proftpd-ftps-tickets-tls13": ("clean", "none", 221),
}


def check_capture(ftpstall, directory, name):
    pcap = os.path.join(directory, name + ".pcap")
    keys = os.path.join(directory, name + ".keys")
    implicit_port = 2990 if "port2990" in name else (990 if "implicit" in name else 0)
    opts = ["--ftps-port", "2990"] if implicit_port == 2990 else []
    report = analyze(ftpstall, pcap, keys, *opts)
    if report is None:
        return
    streams = tcp_streams(pcap)
    if not report["sessions"]:
        failures.append("%s: no session" % name)
    for s in report["sessions"]:
        where = "%s session %d" % (name, s["id"])
        got_verdict = (s["verdict"]["kind"], s["verdict"]["stalled_side"], s["close"]["reply_code"])
        if got_verdict != VERDICTS.get(name):
            failures.append("%s: verdict, stalled side, closing reply %r, want %r" %
                            (where, got_verdict, VERDICTS.get(name)))
        if s["tls"]["decryption"] != "decrypted":
            failures.append("%s: decryption %r" % (where, s["tls"]["decryption"]))
            continue
        server_port = endpoint_port(s["server"])
        client, server = tshark_plaintext(pcap, keys, streams[endpoint_port(s["client"])],
                                          server_port, implicit_port)
        want = tshark_commands(client)
        got = [(c["verb"], c["arg"]) for c in s["commands"]]
        got_replies = [(r["code"], r["text"].split("\n")[0]) for r in s["replies"]]
        # Explicit FTPS: what came before TLS (the greeting, AUTH TLS and
        # its 234) was cleartext, no TLS plaintext.
        if s["tls"]["mode"] == "explicit":
            auth = [i for i, c in enumerate(got) if c[0] == "AUTH"]
            started = [i for i, r in enumerate(got_replies) if r[0] == 234]
            if not auth or not started:
                failures.append("%s: explicit FTPS without AUTH and 234" % where)
                continue
            got, got_replies = got[auth[0] + 1:], got_replies[started[0] + 1:]
        for i, (verb, arg) in enumerate(want):
            if verb == "PASS":
                want[i] = (verb, "****")
        if got != want:
            failures.append("%s: commands %r, tshark decrypts %r" % (where, got, want))
        compared["commands"] += len(want)
        if any("PASS" in c[0] and c[1] != "****" for c in got):
            failures.append("%s: a password shown" % where)
        want_replies = tshark_replies(server)
        # Cleartext after the TLS layer (vsftpd's 500 OOPS, ProFTPD's 421)
        # is no TLS plaintext: ftpstall reads it too, after tshark's.
        if got_replies[:len(want_replies)] != want_replies:
            failures.append("%s: replies %r, tshark decrypts %r" %
                            (where, got_replies, want_replies))
        extra = got_replies[len(want_replies):]
        if extra and s["tls"]["server"]["tls_ended"] is None:
            failures.append("%s: replies beyond tshark's %r with no cleartext after TLS" %
                            (where, extra))
        for t in s["transfers"]:
            if not t["data_connection_seen"]:
                continue
            port = endpoint_port(t["data_client"])
            if port not in streams:
                continue
            if not t.get("decrypted"):
                failures.append("%s: transfer %s not decrypted" % (where, t["command"]))
                continue
            data_port = endpoint_port(t["data_server"])
            dclient, dserver = tshark_plaintext(pcap, keys, streams[port], data_port, data_port)
            sent = len(dclient) if t["command"] in ("STOR", "APPE", "STOU") else len(dserver)
            compared["transfers"] += 1
            if t["bytes"] != sent:
                failures.append("%s: %s %s counts %d bytes, tshark decrypts %d" %
                                (where, t["command"], t["file"], t["bytes"], sent))
    return report


def check_bad_keylogs(ftpstall, directory, tmp):
    pcap = os.path.join(directory, "vsftpd-ftps-clean-tls13.pcap")
    keys = os.path.join(directory, "vsftpd-ftps-clean-tls13.keys")

    out = run([ftpstall, "analyze", "--tls-keylog", os.path.join(tmp, "absent.keys"), pcap])
    lines = out.stderr.strip().splitlines()
    if out.returncode != 2 or len(lines) != 1 or "absent.keys" not in lines[0]:
        failures.append("missing key log: exit %d, %r" % (out.returncode, out.stderr))

    out = run([ftpstall, "analyze", "--tls-keylog", pcap, pcap])
    lines = out.stderr.strip().splitlines()
    if out.returncode != 2 or len(lines) != 1 or "no TLS secrets" not in lines[0]:
        failures.append("a capture as key log: exit %d, %r" % (out.returncode, out.stderr))

    # One hex digit of every secret changed: the records do not
    # authenticate, the session is read from timing, and says why.
    wrong = os.path.join(tmp, "wrong.keys")
    with open(keys) as src, open(wrong, "w") as dst:
        for line in src:
            parts = line.split()
            if len(parts) == 3 and not line.startswith("#"):
                last = "0" if parts[2][-1] != "0" else "1"
                line = "%s %s %s\n" % (parts[0], parts[1], parts[2][:-1] + last)
            dst.write(line)
    report = analyze(ftpstall, pcap, wrong)
    if report:
        s = report["sessions"][0]
        if s["tls"]["decryption"] != "bad_keys" or not s["tls"].get("not_decrypted_because"):
            failures.append("wrong secrets: decryption %r" % s["tls"]["decryption"])
        if s["verdict"]["kind"] != "clean" or s["commands"][1:]:
            failures.append("wrong secrets: verdict %r, commands %r" %
                            (s["verdict"]["kind"], s["commands"]))
    text = run([ftpstall, "analyze", "--tls-keylog", wrong, pcap]).stdout
    if "not decrypted" not in text:
        failures.append("wrong secrets: the text report does not say so")
    if any(len(w) >= 32 and all(c in "0123456789abcdef" for c in w) for w in text.split()):
        failures.append("wrong secrets: the text report shows a hex secret")


def check_secrets_blocks(ftpstall, directory, tmp):
    """The key log embedded in the capture (pcapng Decryption Secrets
    Blocks, editcap --inject-secrets) decrypts as the key log file does,
    without --tls-keylog."""
    if not shutil.which("editcap"):
        failures.append("editcap (wireshark-common) is missing: secrets blocks untested")
        return
    for name in ("vsftpd-ftps-idle-tls12", "vsftpd-ftps-clean-tls13"):
        pcap = os.path.join(directory, name + ".pcap")
        keys = os.path.join(directory, name + ".keys")
        embedded = os.path.join(tmp, name + ".pcapng")
        run(["editcap", "--inject-secrets", "tls," + keys, pcap, embedded]).check_returncode()
        with_file = analyze(ftpstall, pcap, keys)
        out = run([ftpstall, "analyze", "-f", "json", embedded])
        if out.returncode not in (0, 1) or not with_file:
            failures.append("%s with secrets blocks: exit %d %s" %
                            (name, out.returncode, out.stderr.strip()))
            continue
        got = json.loads(out.stdout)["sessions"]
        want = with_file["sessions"]
        for g, w in zip(got, want):
            if g["tls"]["decryption"] != "decrypted" or g["commands"] != w["commands"] or \
               g["verdict"] != w["verdict"] or g["transfers"] != w["transfers"]:
                failures.append("%s with secrets blocks: not as with --tls-keylog (%s)" %
                                (name, g["tls"]["decryption"]))
        if len(got) != len(want):
            failures.append("%s with secrets blocks: %d sessions, %d with the key log" %
                            (name, len(got), len(want)))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    ftpstall, directory = sys.argv[1:]
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (it decrypts the captures to compare)")
        return SKIP
    names = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".keys"))
    for name in names:
        check_capture(ftpstall, directory, name)
    with tempfile.TemporaryDirectory() as tmp:
        check_bad_keylogs(ftpstall, directory, tmp)
        check_secrets_blocks(ftpstall, directory, tmp)
    # The captures hold dozens of commands and several transfers: a
    # comparison that compared nothing is a failure too.
    if compared["commands"] < 50 or compared["transfers"] < 8:
        failures.append("compared too little: %r" % compared)
    for f in failures:
        print("FAIL:", f)
    print("%d captures decrypted and compared with tshark (%d commands, %d transfers), "
          "%d failures" % (len(names), compared["commands"], compared["transfers"],
                           len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
