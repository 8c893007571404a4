#!/usr/bin/env python3
"""test_metrics_http.py FTPSTALL DOCS_DIR — `watch --metrics` (docs/fleet.md)
without root: watch replays a capture from a pipe that stays open, so its
HTTP server stays up while the test looks at it.

- GET /metrics answers 200 with the text exposition, which `promtool check
  metrics` accepts (when promtool is installed); HEAD and POST get 405, any
  other path 404: nothing but GET /metrics is served;
- the capture (written here with make_malformed.py's encoders) holds five
  FTP sessions still running, to five servers; with --metrics-max-servers 2
  the open-session gauge has two servers of its own and server="other"
  with the other three, and nothing else;
- a second ftpstall asked for the same port fails at once with a one-line
  error and exit status 2; a bad --metrics value likewise;
- every metric the alert rules (DOCS_DIR/fleet-alerts.yml, also checked by
  `promtool check rules`) and the Grafana dashboard
  (DOCS_DIR/fleet-grafana-dashboard.json) query is one the exposition has.

Exit 0 pass, 1 fail. About 2 s.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_malformed as mm  # noqa: E402

failures = []


def fail(msg):
    failures.append(msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_sessions_capture(path, servers):
    pcap = mm.Pcap(path)
    for i in range(servers):
        c = mm.Conn("192.0.2.10", 41000 + i, f"198.51.100.{20 + i}", 21)
        for f in c.handshake():
            pcap.record(f)
        for side, line in [("s", b"220 ready\r\n"), ("c", b"USER anonymous\r\n"),
                           ("s", b"331 Password please\r\n")]:
            pcap.record(c.send(side, line))
    pcap.close()


def feed(pipe, stop):
    """Writes bare ACKs of a flow that is no FTP, 1024 every 10 ms, until
    stop is set: reading a pipe, watch blocks in the read of the next TCP
    packet, and it ticks (publishing the metrics) only between rounds of
    up to 4096 packets."""
    ts_us = mm.BASE_TS_US + 10_000_000
    frame = mm.ether(mm.ipv4(mm.SIDE_SRC, mm.SIDE_DST, mm.side_tcp(flags=mm.FLAG_ACK)))
    while not stop.is_set():
        burst = bytearray()
        for _ in range(1024):
            ts_us += 10
            sec, usec = divmod(ts_us, 1_000_000)
            burst += mm.struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
        try:
            pipe.write(burst)
            pipe.flush()
        except (BrokenPipeError, ValueError):
            return
        time.sleep(0.01)


def http(port, method="GET", path="/metrics"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, "", ""


def main():
    ftpstall, docs = sys.argv[1], sys.argv[2]
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        pcap = os.path.join(work, "open.pcap")
        open_sessions_capture(pcap, 5)
        watch = subprocess.Popen(
            [ftpstall, "watch", "--no-tui", "--speed", "0", "--metrics",
             f"127.0.0.1:{port}", "--metrics-max-servers", "2", "-r", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            with open(pcap, "rb") as f:
                watch.stdin.write(f.read())
            watch.stdin.flush()
            stop = threading.Event()
            feeder = threading.Thread(target=feed, args=(watch.stdin, stop))
            feeder.start()
            text = ""
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.2)
                try:
                    status, ctype, text = http(port)
                except OSError:
                    continue
                if 'server="other"' in text:
                    break
            open_lines = sorted(ln for ln in text.splitlines()
                                if ln.startswith("ftpstall_sessions_open{"))
            want = ['ftpstall_sessions_open{server="198.51.100.20:21"} 1',
                    'ftpstall_sessions_open{server="198.51.100.21:21"} 1',
                    'ftpstall_sessions_open{server="other"} 3']
            if open_lines != want:
                fail(f"sessions_open with --metrics-max-servers 2: {open_lines}")
            if status != 200 or not ctype.startswith("text/plain; version=0.0.4"):
                fail(f"GET /metrics: {status} {ctype!r}")
            for method, path, want_status in (("POST", "/metrics", 405), ("HEAD", "/metrics", 405),
                                              ("GET", "/", 404), ("GET", "/metrics/x", 404)):
                got = http(port, method, path)[0]
                if got != want_status:
                    fail(f"{method} {path}: {got}, want {want_status}")
            if shutil.which("promtool"):
                r = subprocess.run(["promtool", "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=30)
                if r.returncode:
                    fail(f"promtool check metrics: {r.stdout}{r.stderr}")
                r = subprocess.run(["promtool", "check", "rules",
                                    os.path.join(docs, "fleet-alerts.yml")],
                                   capture_output=True, text=True, timeout=30)
                if r.returncode:
                    fail(f"promtool check rules: {r.stdout}{r.stderr}")
            else:
                print("note: promtool not installed; exposition and rules not checked by it")
            # The port is taken: a second ftpstall says so and exits 2.
            r = subprocess.run([ftpstall, "watch", "--no-tui", "--metrics", f"127.0.0.1:{port}",
                                "-r", pcap], capture_output=True, text=True, timeout=30)
            if r.returncode != 2 or len(r.stderr.strip().splitlines()) != 1 or \
                    "--metrics" not in r.stderr:
                fail(f"second listener: exit {r.returncode}, stderr {r.stderr!r}")
        finally:
            stop.set()
            feeder.join()
            watch.stdin.close()
            try:
                rc = watch.wait(timeout=15)
            except subprocess.TimeoutExpired:
                watch.kill()
                rc = watch.wait()
            err = watch.stderr.read().decode()
            if rc != 0:
                fail(f"watch exited {rc}: {err}")
    for bad in ("1:2:3", "127.0.0.1:0", "127.0.0.1:70000", "localhost:9187", "[::1]9187"):
        r = subprocess.run([ftpstall, "watch", "--no-tui", "--metrics", bad, "-r", pcap],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 2 or len(r.stderr.strip().splitlines()) != 1:
            fail(f"--metrics {bad}: exit {r.returncode}, stderr {r.stderr!r}")
    families = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    with open(os.path.join(docs, "fleet-grafana-dashboard.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    if not exprs:
        fail("the dashboard has no queries")
    with open(os.path.join(docs, "fleet-alerts.yml")) as f:
        exprs += re.findall(r"ftpstall_\w+", f.read())
    for e in exprs:
        for name in re.findall(r"(?<![:\w])ftpstall_\w+", e):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in families and base not in families:
                fail(f"{name} (in {e[:60]!r}) is no metric ftpstall exposes")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(families)} metric families, {len(exprs)} queries checked, "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
