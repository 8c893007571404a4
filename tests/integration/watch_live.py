#!/usr/bin/env python3
"""watch_live.py - `ftpstall watch --no-tui --format jsonl -i lo` against a
real idle timeout, for test_watch_live.sh.

Runs inside the test network namespace, where vsftpd listens on
127.0.0.1:21 with a short idle_session_timeout:

 1. starts watch, its stdout read by a thread that stamps every line with
    its arrival time (CLOCK_MONOTONIC, shared by every process on the
    host);
 2. waits until watch captures: short probe sessions (connect, read the
    greeting, QUIT) until watch reports one of them opening;
 3. the client (idle_client.py): ftplib logs in as anonymous with
    PASSWORD and then sends nothing for IDLE seconds, stamping the moment
    it reads the server's 421 and the server's close;
 4. checks the stream for the client's session: an "idle" event waiting
    on the client, then "close" by the server (421) and a verdict
    idle_timeout, the verdict arriving within LATENCY seconds of the close
    line and the close line within LATENCY seconds of the client's 421;
 5. stops watch with SIGINT and checks that it prints the final text
    report (on stderr: in JSON Lines mode stdout holds JSON only) and exits 0, and that PASSWORD appears nowhere in its output.

Writes WORKDIR/watch.out (watch's stdout), WORKDIR/watch.err and
WORKDIR/watch.timed (each line with its arrival time relative to the
client's 421). Prints "FAIL: ..." lines; exit status 0 pass, 1 fail,
2 bad usage. Every wait is bounded; Python 3 standard library only.
"""

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from idle_client import idle_client

T0 = time.monotonic()


def log(msg):
    print(f"driver t+{time.monotonic() - T0:6.3f} {msg}", file=sys.stderr, flush=True)


class Stream:
    """watch's stdout, line by line, each with its arrival time."""

    def __init__(self, pipe):
        self.lines = []  # (monotonic arrival, text without newline)
        self.cond = threading.Condition()
        self.done = False
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for raw in iter(pipe.readline, b""):
            now = time.monotonic()
            with self.cond:
                self.lines.append((now, raw.decode("utf-8", "replace").rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def events(self):
        """The JSON lines so far: (arrival, object)."""
        out = []
        with self.cond:
            lines = list(self.lines)
        for when, text in lines:
            if text.startswith("{"):
                try:
                    out.append((when, json.loads(text)))
                except ValueError:
                    pass
        return out

    def wait_for(self, pred, timeout):
        """Waits until pred(arrival, event) holds for some JSON line;
        returns that (arrival, event) or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            for item in self.events():
                if pred(*item):
                    return item
            left = end - time.monotonic()
            if left <= 0:
                return None
            with self.cond:
                if self.done:
                    return None
                self.cond.wait(min(left, 0.05))


def session_of(stream, port, timeout):
    """The id of the session whose client is 127.0.0.1:PORT."""
    found = stream.wait_for(
        lambda _, e: e.get("event") == "open" and e.get("client") == f"127.0.0.1:{port}", timeout)
    return found[1]["session"] if found else None


def probe(port):
    """One short session: greeting, QUIT. Returns its client port."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        local = s.getsockname()[1]
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"QUIT\r\n")
        f.readline()
        return local


def observe(args, watch, stream, fail):
    """Steps 2 to 4. Returns the client's record, or None if it never ran."""
    # 2. Capturing? A probe session shows it; a probe made before the
    # capture began is never seen, so probe again until one is.
    ready = False
    deadline = time.monotonic() + 5
    while not ready and time.monotonic() < deadline and watch.poll() is None:
        try:
            local = probe(args.port)
        except OSError as e:
            fail(f"probe connection to 127.0.0.1:{args.port}: {e}")
            return None
        ready = session_of(stream, local, 0.5) is not None
    if not ready:
        if watch.poll() is not None:
            fail(f"watch exited with status {watch.returncode} before capturing")
        else:
            fail("watch reported none of its probe sessions within 5 s")
        return None
    log("watch is capturing")

    # 3. The client.
    rec = idle_client(args.port, args.password, args.idle)
    log(f"client port {rec['port']}: read {rec['reply']!r} "
        f"{(rec['t_reply'] or rec['login']) - rec['login']:.3f} s after login")
    if not rec["reply"] or not rec["reply"].startswith("421"):
        fail(f"the client read no 421 within {args.idle} s of idle (got {rec['reply']!r})")
        return rec
    if rec["t_eof"] is None:
        fail("the server did not close the connection after its 421")

    # 4. The stream for the client's session.
    sid = session_of(stream, rec["port"], 2)
    if sid is None:
        fail(f"no open event for client 127.0.0.1:{rec['port']}")
        return rec
    verdict = stream.wait_for(
        lambda _, e: e.get("session") == sid and e.get("event") == "verdict", 3)
    close = stream.wait_for(
        lambda _, e: e.get("session") == sid and e.get("event") == "close", 0)
    events = [(t, e) for t, e in stream.events() if e.get("session") == sid]
    idles = [(t, e) for t, e in events if e.get("event") == "idle"]
    if verdict is None:
        fail(f"no verdict line for session {sid} within 3 s of the client's idle end")
    elif verdict[1].get("kind") != "idle_timeout":
        fail(f"session {sid}: verdict {verdict[1].get('kind')!r}, expected idle_timeout")
    if close is None:
        fail(f"no close line for session {sid}")
    else:
        c = close[1]
        if c.get("by") != "server" or c.get("reply_code") != 421:
            fail(f"session {sid}: close line {json.dumps(c)}: expected by server, reply_code 421")
        late = close[0] - rec["t_reply"]
        log(f"close line {late:+.3f} s after the client read the 421")
        if late > args.latency:
            fail(f"close line arrived {late:.3f} s after the client read the 421 "
                 f"(at most {args.latency} s)")
    if verdict is not None and close is not None:
        late = verdict[0] - close[0]
        log(f"verdict line {late:+.3f} s after the close line")
        if late > args.latency:
            fail(f"verdict line arrived {late:.3f} s after the close line "
                 f"(at most {args.latency} s)")
        if events.index(verdict) < events.index(close):
            fail("the verdict line came before the close line")
    if verdict is not None:
        late = verdict[0] - rec["t_reply"]
        if late > args.latency:
            fail(f"verdict line arrived {late:.3f} s after the client read the 421 "
                 f"(at most {args.latency} s)")
    before = [e for t, e in idles
              if e.get("waiting_on") == "client" and (verdict is None or t <= verdict[0])]
    if not before:
        fail(f"session {sid}: no idle event waiting_on client before the verdict "
             f"(idle events: {[e for _, e in idles]})")
    elif not any(e.get("idle_s", 0) >= 1.0 for e in before):
        fail(f"session {sid}: idle events report under 1 s: {before}")
    return rec


def stop(watch, stream, fail):
    """Step 5's SIGINT. Returns watch's exit status (None if killed)."""
    time.sleep(0.3)  # the client's own close reaches watch
    if watch.poll() is not None:
        fail(f"watch ended by itself with status {watch.returncode}")
        return watch.returncode
    watch.send_signal(signal.SIGINT)
    try:
        status = watch.wait(timeout=5)
    except subprocess.TimeoutExpired:
        fail("watch did not exit within 5 s of SIGINT")
        watch.kill()
        watch.wait()
        status = None
    stream.thread.join(timeout=3)
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ftpstall")
    ap.add_argument("workdir")
    ap.add_argument("password")
    ap.add_argument("--idle", type=float, default=4.0, help="client silence after login (s)")
    ap.add_argument("--latency", type=float, default=1.0, help="allowed delay of a line (s)")
    ap.add_argument("--port", type=int, default=21)
    args = ap.parse_args()
    problems = []

    def fail(msg):
        problems.append(msg)
        print(f"FAIL: {msg}", flush=True)

    with open(f"{args.workdir}/watch.err", "wb") as err:
        watch = subprocess.Popen(
            [args.ftpstall, "watch", "--no-tui", "--format", "jsonl", "-i", "lo"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    stream = Stream(watch.stdout)
    rec = None
    try:
        rec = observe(args, watch, stream, fail)
    finally:
        status = stop(watch, stream, fail)
        t_ref = rec["t_reply"] if rec and rec["t_reply"] else T0
        with open(f"{args.workdir}/watch.out", "w") as out, \
                open(f"{args.workdir}/watch.timed", "w") as timed:
            for when, text in stream.lines:
                out.write(text + "\n")
                timed.write(f"{when - t_ref:+9.3f} {text}\n")

    # 5. The final report, the status, no password.
    if status != 0:
        fail(f"watch exited with status {status} after SIGINT, expected 0")
    text = "\n".join(t for _, t in stream.lines)
    # In JSON Lines mode the final report goes to stderr: stdout is JSON only.
    with open(f"{args.workdir}/watch.err", "rb") as f:
        errtext = f.read().decode("utf-8", "replace")
    if not re.search(r"^ftpstall: \d+ FTP sessions?", errtext, re.M):
        fail("no final report ('ftpstall: N FTP sessions') on stderr after SIGINT")
    if rec and rec["port"] and not re.search(
            rf"^session \d+: idle_timeout \(stalled: client\) 127\.0\.0\.1:{rec['port']} -> "
            r"127\.0\.0\.1:21", errtext, re.M):
        fail(f"the final report has no 'session N: idle_timeout (stalled: client) "
             f"127.0.0.1:{rec['port']} -> 127.0.0.1:21'")
    for name, data in (("stdout", text), ("stderr", errtext)):
        if args.password in data:
            fail(f"the password appears in watch's {name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
