#!/usr/bin/env python3
"""fault_relay.py — a TCP relay for FTP that cuts connections on cue.

    fault_relay.py --listen 127.0.0.1:0 --server 127.0.0.1:21 \\
        [--fault SPEC]... [--events FILE] [--ready FILE] [--hold-max SECONDS]

It sits between an FTP client and server (Python 3 standard library only,
one thread, one selectors loop) and relays the control connection and the
passive data connections, then cuts one of them at a chosen byte offset
with a reset (SO_LINGER 0, then close) or a FIN (shutdown(SHUT_WR)).

Passive data connections. The client must use passive mode (EPSV or
PASV). The relay reads the server's replies line by line and rewrites
every 229 (RFC 2428) and 227 (RFC 959) reply: for each it opens a new
listener on the relay's own address (an ephemeral port), puts that port
(and, in a 227, the relay's address) in the reply, and relays the one
connection it accepts there to the port the server named, on the server's
address. So every data byte also passes through the relay, and the client
needs no configuration beyond the relay's control port. Active mode
(PORT/EPRT) is not relayed, and the relay listens on IPv4 only.

Fault SPEC: CHANNEL:DIR:OFFSET:KIND[:TARGET]

  CHANNEL  ctrl or data
  DIR      c2s (client to server bytes) or s2c (server to client bytes):
           the stream whose byte count places the cut
  OFFSET   N: relay bytes [0, N) of that stream, then cut when byte N
           arrives; if the stream ends (EOF) at exactly N bytes, cut
           instead of passing the EOF on. Counts are per connection; in
           s2c control streams they count the bytes the client receives
           (after the 227/229 rewriting).
           open: cut as soon as both ends of the connection are up,
           before any byte (DIR is then ignored).
  KIND     rst (SO_LINGER 0 + close: a reset) or fin (shutdown: a FIN,
           then whatever still arrives from that side is read and
           dropped until it closes)
  TARGET   both (default): both ends get KIND.
           client: the client end gets KIND, the server end gets a FIN
           (to the server it looks like an orderly end: a STOR so cut
           leaves a short file that the server calls complete).
           server: the server end gets KIND; the client end is held:
           nothing more is sent to it and what it sends is dropped, until
           it closes or --hold-max passes (then it gets a FIN).

Each fault fires once, on the first connection of its CHANNEL that
reaches its OFFSET; several faults may be given. A reset received from
either end is passed on as a reset to the other end; a FIN as a FIN.

--events FILE gets one line per event, flushed at once:
  accept ctrl#1 127.0.0.1:40000
  line ctrl#1 s2c 0 20 220 (vsFTPd 3.0.3)     (channel, dir, offset, length, text)
  pasv ctrl#1 229 server-port 30001 relay-port 41234
  data data#2 relay-port 41234 -> server-port 30001
  fire data#2 c2s 1048576 rst both
  close data#2 c2s=1048576 s2c=0
  armed run7 1
PASS arguments are logged as ****. --ready FILE gets the relay's control
port once it listens. SIGTERM or SIGINT ends the relay.

--commands FIFO: one relay can serve many runs. Each line "arm TAG
SPEC..." replaces the faults (none: disarm; "unfired SPEC" is logged for
each that never fired) and is answered with the event "armed TAG N". The
new faults apply only to connections accepted after that line, so a
connection still draining from an earlier run cannot trigger them.

FTPS (RFC 4217): the control connection is encrypted, so its replies
cannot be rewritten. --opaque relays the control bytes unread (offsets
count the TLS bytes; no "line" or "pasv" events), and --data-ports LO-HI
listens on the relay's address at each port of the server's passive
range (the server's pasv_min_port-pasv_max_port): the client, which
connects its data connections to the control connection's peer at the
port the 229 names, then reaches the relay, which relays to the same
port on the server. Relay and server then need addresses of their own
(127.0.0.2 and 127.0.0.1).

Exit status: 0 after a signal, 2 on bad arguments.
"""

import argparse
import fcntl
import os
import re
import selectors
import signal
import socket
import struct
import sys
import termios
import time

BUF = 256 * 1024
OUT_CAP = 4 * 1024 * 1024  # stop reading a side while its peer's queue is this full
LINE_CAP = 16 * 1024  # a server "line" longer than this is passed on unparsed
DRAIN_WAIT_S = 1.0  # before a reset: let relayed bytes be acked first
CUT_FLUSH_MAX_S = 2.0  # a cut waits at most this long for queued bytes to go
LISTENER_MAX_S = 60.0  # a passive listener nobody connects to is closed

RE_229 = re.compile(rb"\((.)\1\1(\d{1,5})\1\)")
RE_227 = re.compile(rb"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")


class Fault:
    def __init__(self, spec):
        parts = spec.split(":")
        if len(parts) not in (4, 5):
            raise ValueError("want CHANNEL:DIR:OFFSET:KIND[:TARGET]")
        self.channel, self.direction, off, self.kind = parts[:4]
        self.target = parts[4] if len(parts) == 5 else "both"
        if self.channel not in ("ctrl", "data"):
            raise ValueError(f"channel {self.channel!r}: ctrl or data")
        if self.direction not in ("c2s", "s2c"):
            raise ValueError(f"direction {self.direction!r}: c2s or s2c")
        if self.kind not in ("rst", "fin"):
            raise ValueError(f"kind {self.kind!r}: rst or fin")
        if self.target not in ("both", "client", "server"):
            raise ValueError(f"target {self.target!r}: both, client or server")
        if off == "open":
            self.offset = None
        elif off.isdigit():
            self.offset = int(off)
        else:
            raise ValueError(f"offset {off!r}: a byte count or 'open'")
        self.fired = False
        self.generation = 0

    def __str__(self):
        off = "open" if self.offset is None else str(self.offset)
        return f"{self.direction} {off} {self.kind} {self.target}"


class Side:
    """One end of a relayed connection: the socket and the bytes queued
    for it."""

    def __init__(self, sock, name):
        self.sock = sock
        self.name = name  # "client" or "server"
        self.out = bytearray()
        self.reading = True  # we still read from it
        self.shut_wanted = False  # send FIN once out is empty
        self.shut_done = False
        self.dropping = False  # after a cut: read and drop, close at EOF
        self.deadline = None  # monotonic: close a held/dropping side then
        self.closed = False


class Pair:
    def __init__(self, relay, channel, num, client, server):
        self.relay = relay
        self.channel = channel
        self.id = f"{channel}#{num}"
        self.client = Side(client, "client")
        self.server = Side(server, "server")
        self.count = {"c2s": 0, "s2c": 0}
        self.generation = relay.generation  # faults armed later do not apply
        self.cutting = None  # the fault waiting for the queues to drain
        self.cut_deadline = None
        self.cut_done = False
        self.s2c_line = bytearray()  # control: a server line not yet complete
        self.c2s_line = bytearray()  # control: for the event log only
        self.c2s_line_start = 0
        self.finished = False

    def peer(self, side):
        return self.server if side is self.client else self.client

    def direction_from(self, side):
        return "c2s" if side is self.client else "s2c"


class Relay:
    def __init__(self, args):
        self.listen_host, self.listen_port = args.listen
        self.server_host, self.server_port = args.server
        self.faults = args.fault
        self.generation = 0
        self.fifo = None
        self.hold_max = args.hold_max
        self.sel = selectors.DefaultSelector()
        self.events = open(args.events, "a", buffering=1) if args.events else None
        self.pairs = []
        self.listeners = {}  # socket -> (ctrl pair id, server port, deadline)
        self.nums = {"ctrl": 0, "data": 0}
        self.stop = False
        self.opaque = args.opaque
        self.fixed = {}  # --data-ports: listening socket -> the server's port
        for port in args.data_ports or ():
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((self.listen_host, port))
            ls.listen(8)
            ls.setblocking(False)
            self.fixed[ls] = port
            self.sel.register(ls, selectors.EVENT_READ, ("listen-fixed", ls))
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((self.listen_host, self.listen_port))
        self.lsock.listen(64)
        self.lsock.setblocking(False)
        self.sel.register(self.lsock, selectors.EVENT_READ, ("listen-ctrl", None))
        if args.commands:
            # Read-write, so that the FIFO never reads as EOF between writers.
            self.fifo = os.open(args.commands, os.O_RDWR | os.O_NONBLOCK)
            self.fifo_buf = bytearray()
            self.sel.register(self.fifo, selectors.EVENT_READ, ("commands", None))
        if args.ready:
            tmp = args.ready + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{self.lsock.getsockname()[1]}\n")
            os.rename(tmp, args.ready)

    def log(self, text):
        if self.events:
            self.events.write(text + "\n")

    # ---- registration ----

    def side_mask(self, pair, side):
        if side.closed:
            return 0
        mask = 0
        peer = pair.peer(side)
        if side.dropping:
            mask |= selectors.EVENT_READ
        elif side.reading and pair.cutting is None and len(peer.out) < OUT_CAP:
            mask |= selectors.EVENT_READ
        if side.out:
            mask |= selectors.EVENT_WRITE
        return mask

    def update(self, pair):
        for side in (pair.client, pair.server):
            if side.closed:
                continue
            mask = self.side_mask(pair, side)
            key = self.sel.get_map().get(side.sock)
            if mask == 0:
                if key:
                    self.sel.unregister(side.sock)
            elif key is None:
                self.sel.register(side.sock, mask, ("side", (pair, side)))
            elif key.events != mask:
                self.sel.modify(side.sock, mask, ("side", (pair, side)))

    # ---- closing ----

    def close_side(self, pair, side, reset=False):
        if side.closed:
            return
        if side.sock in self.sel.get_map():
            self.sel.unregister(side.sock)
        if reset:
            try:
                side.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        try:
            side.sock.close()
        except OSError:
            pass
        side.closed = True
        side.out.clear()
        if pair.client.closed and pair.server.closed and not pair.finished:
            pair.finished = True
            self.log(f"close {pair.id} c2s={pair.count['c2s']} s2c={pair.count['s2c']}")

    def wait_drained(self, side):
        """Before a reset: the bytes relayed to side should be acked (a
        reset throws away what is still in our send queue)."""
        deadline = time.monotonic() + DRAIN_WAIT_S
        while time.monotonic() < deadline:
            try:
                buf = bytearray(4)
                fcntl.ioctl(side.sock.fileno(), termios.TIOCOUTQ, buf)
                if struct.unpack("i", buf)[0] == 0:
                    return
            except OSError:
                return
            time.sleep(0.001)

    def shut(self, pair, side):
        """FIN to side (once its queue is empty)."""
        side.shut_wanted = True
        if side.out or side.shut_done or side.closed:
            return
        try:
            side.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        side.shut_done = True
        self.maybe_finish(pair)

    def maybe_finish(self, pair):
        """Both directions ended in an orderly way: close both."""
        c, s = pair.client, pair.server
        if pair.cut_done:
            return
        if not c.reading and not s.reading and c.shut_done and s.shut_done:
            self.close_side(pair, c)
            self.close_side(pair, s)

    # ---- faults ----

    def fault_at(self, pair, direction, start, length):
        """The armed fault that cuts inside bytes [start, start+length) of
        this direction (or, with length None, at the EOF after start)."""
        for f in self.faults:
            if f.fired or f.offset is None or f.generation != pair.generation:
                continue
            if f.channel != pair.channel or f.direction != direction:
                continue
            if length is None:
                if f.offset == start:
                    return f
            elif start <= f.offset < start + length:
                return f
        return None

    def arm_cut(self, pair, fault):
        fault.fired = True
        pair.cutting = fault
        pair.cut_deadline = time.monotonic() + CUT_FLUSH_MAX_S
        self.log(f"fire {pair.id} {fault}")
        self.try_cut(pair)

    def try_cut(self, pair):
        f = pair.cutting
        if f is None or pair.cut_done:
            return
        if (pair.client.out or pair.server.out) and time.monotonic() < pair.cut_deadline:
            return  # the bytes before the cut still have to go
        pair.cut_done = True
        for side in (pair.client, pair.server):
            if side.closed:
                continue
            if f.target == "both" or f.target == side.name:
                action = f.kind
            elif side.name == "server":  # target client: the server sees an orderly end
                action = "fin"
            else:  # target server: the client is held
                action = "hold"
            side.out.clear()
            if action == "rst":
                self.wait_drained(side)
                self.close_side(pair, side, reset=True)
                continue
            if action == "fin" and not side.shut_done:
                try:
                    side.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                side.shut_done = True
            side.dropping = True
            side.deadline = time.monotonic() + self.hold_max
        self.update(pair)

    # ---- control-line handling ----

    def rewrite_server_line(self, pair, line):
        if line[:4] == b"229 " or line[:4] == b"229-":
            m = RE_229.search(line)
            if m:
                port = int(m.group(2))
                lport = self.open_listener(pair, port, "229")
                if lport:
                    d = m.group(1)
                    new = b"(" + d * 3 + str(lport).encode() + d + b")"
                    line = line[: m.start()] + new + line[m.end() :]
        elif line[:4] == b"227 " or line[:4] == b"227-":
            m = RE_227.search(line)
            if m:
                port = int(m.group(5)) * 256 + int(m.group(6))
                lport = self.open_listener(pair, port, "227")
                if lport:
                    h = self.listen_host.split(".")
                    new = ",".join(h + [str(lport >> 8), str(lport & 255)]).encode()
                    line = line[: m.start()] + new + line[m.end() :]
        return line

    def log_line(self, pair, direction, start, line):
        text = line.rstrip(b"\r\n").decode("latin-1")
        if direction == "c2s" and text[:5].upper() == "PASS ":
            text = "PASS ****"
        text = "".join(ch if " " <= ch <= "~" else "." for ch in text)[:80]
        self.log(f"line {pair.id} {direction} {start} {len(line)} {text}")

    def server_lines(self, pair, data):
        """Control s2c: the complete lines received so far, with 227/229
        rewritten (a partial line waits for its end)."""
        pair.s2c_line += data
        lines = []
        while True:
            nl = pair.s2c_line.find(b"\n")
            if nl < 0:
                if len(pair.s2c_line) > LINE_CAP:
                    lines.append(bytes(pair.s2c_line))
                    pair.s2c_line.clear()
                break
            line = bytes(pair.s2c_line[: nl + 1])
            del pair.s2c_line[: nl + 1]
            lines.append(self.rewrite_server_line(pair, line))
        return lines

    def client_lines(self, pair, data):
        """Control c2s: log the command lines (the bytes pass unchanged)."""
        for b in data:
            pair.c2s_line.append(b)
            if b == 0x0A or len(pair.c2s_line) > LINE_CAP:
                self.log_line(pair, "c2s", pair.c2s_line_start, bytes(pair.c2s_line))
                pair.c2s_line_start += len(pair.c2s_line)
                pair.c2s_line.clear()

    # ---- data listeners ----

    def open_listener(self, pair, server_port, what):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            ls.bind((self.listen_host, 0))
            ls.listen(1)
        except OSError as e:
            self.log(f"error {pair.id} cannot open a data listener: {e}")
            ls.close()
            return None
        ls.setblocking(False)
        lport = ls.getsockname()[1]
        self.listeners[ls] = (pair.id, server_port, time.monotonic() + LISTENER_MAX_S)
        self.sel.register(ls, selectors.EVENT_READ, ("listen-data", ls))
        self.log(f"pasv {pair.id} {what} server-port {server_port} relay-port {lport}")
        return lport

    def close_listener(self, ls):
        self.sel.unregister(ls)
        del self.listeners[ls]
        ls.close()

    # ---- accepting ----

    def connect_server(self, port):
        s = socket.create_connection((self.server_host, port), timeout=3)
        s.setblocking(False)
        return s

    def new_pair(self, channel, client, server_port, note):
        client.setblocking(False)
        try:
            server = self.connect_server(server_port)
        except OSError as e:
            self.log(f"error {channel} cannot connect to the server port {server_port}: {e}")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return
        self.nums[channel] += 1
        pair = Pair(self, channel, self.nums[channel], client, server)
        self.pairs.append(pair)
        self.log(f"{'accept' if channel == 'ctrl' else 'data'} {pair.id} {note}")
        for f in self.faults:
            if f.fired or f.offset is not None or f.generation != pair.generation:
                continue
            if f.channel == channel:
                self.arm_cut(pair, f)
                break
        self.update(pair)

    def accept_ctrl(self):
        try:
            client, addr = self.lsock.accept()
        except OSError:
            return
        self.new_pair("ctrl", client, self.server_port, f"{addr[0]}:{addr[1]}")

    def accept_fixed(self, ls):
        try:
            client, _ = ls.accept()
        except OSError:
            return
        port = self.fixed[ls]
        self.new_pair("data", client, port, f"relay-port {port} -> server-port {port} (fixed)")

    def accept_data(self, ls):
        try:
            client, _ = ls.accept()
        except OSError:
            return
        ctrl_id, server_port, _ = self.listeners[ls]
        lport = ls.getsockname()[1]
        self.close_listener(ls)
        note = f"relay-port {lport} -> server-port {server_port} ({ctrl_id})"
        self.new_pair("data", client, server_port, note)

    # ---- moving bytes ----

    def on_readable(self, pair, side):
        peer = pair.peer(side)
        direction = pair.direction_from(side)
        try:
            data = side.sock.recv(BUF)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            # A reset (or another error) from this end: reset the other.
            self.log(f"reset-from {pair.id} {side.name} {e.strerror or e}")
            self.close_side(pair, side)
            if not pair.cut_done:
                pair.cut_done = True
                self.close_side(pair, peer, reset=True)
            return
        if side.dropping:
            if not data:
                self.close_side(pair, side)
            return
        if not data:
            side.reading = False
            if pair.channel == "ctrl" and direction == "s2c" and pair.s2c_line:
                rest = bytes(pair.s2c_line)
                pair.s2c_line.clear()
                self.relay_bytes(pair, side, peer, direction, rest)
                if pair.cutting:
                    return
            f = self.fault_at(pair, direction, pair.count[direction], None)
            if f:
                self.arm_cut(pair, f)
                return
            self.shut(pair, peer)
            self.maybe_finish(pair)
            return
        if pair.channel == "ctrl" and direction == "s2c" and not self.opaque:
            for line in self.server_lines(pair, data):
                self.relay_bytes(pair, side, peer, direction, line)
                if pair.cutting:
                    break
        else:
            self.relay_bytes(pair, side, peer, direction, data)

    def relay_bytes(self, pair, side, peer, direction, data):
        start = pair.count[direction]
        f = self.fault_at(pair, direction, start, len(data))
        if f:
            data = data[: f.offset - start]
        if self.opaque:
            pass
        elif pair.channel == "ctrl" and direction == "c2s":
            self.client_lines(pair, data)
        elif pair.channel == "ctrl" and data:
            self.log_line(pair, "s2c", start, data)
        peer.out += data
        pair.count[direction] += len(data)
        self.flush(pair, peer)
        if f:
            self.arm_cut(pair, f)

    def flush(self, pair, side):
        while side.out and not side.closed:
            try:
                n = side.sock.send(side.out)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self.log(f"send-error {pair.id} {side.name} {e.strerror or e}")
                other = pair.peer(side)
                self.close_side(pair, side)
                if not pair.cut_done:
                    pair.cut_done = True
                    self.close_side(pair, other, reset=True)
                return
            del side.out[:n]
        if not side.out and side.shut_wanted and not side.shut_done and not side.closed:
            self.shut(pair, side)

    # ---- commands ----

    def read_commands(self):
        try:
            data = os.read(self.fifo, 65536)
        except (BlockingIOError, InterruptedError):
            return
        self.fifo_buf += data
        while b"\n" in self.fifo_buf:
            line, _, rest = bytes(self.fifo_buf).partition(b"\n")
            self.fifo_buf = bytearray(rest)
            words = line.decode("ascii", "replace").split()
            if not words:
                continue
            if words[0] != "arm" or len(words) < 2:
                self.log(f"bad-command {line!r}")
                continue
            try:
                faults = [Fault(w) for w in words[2:]]
            except ValueError as e:
                self.log(f"bad-command {e}")
                continue
            for f in self.faults:
                if not f.fired:
                    self.log(f"unfired {f}")
            self.generation += 1
            for f in faults:
                f.generation = self.generation
            self.faults = faults
            self.log(f"armed {words[1]} {len(faults)}")

    # ---- the loop ----

    def housekeeping(self):
        now = time.monotonic()
        for ls, (_, _, deadline) in list(self.listeners.items()):
            if now > deadline:
                self.close_listener(ls)
        for pair in self.pairs:
            if pair.finished:
                continue
            if pair.cutting and not pair.cut_done:
                self.try_cut(pair)
            for side in (pair.client, pair.server):
                if side.dropping and not side.closed and side.deadline and now > side.deadline:
                    self.log(f"hold-expired {pair.id} {side.name}")
                    self.close_side(pair, side)
        self.pairs = [p for p in self.pairs if not p.finished]

    def run(self):
        while not self.stop:
            for key, mask in self.sel.select(timeout=0.05):
                kind, obj = key.data
                if kind == "listen-ctrl":
                    self.accept_ctrl()
                elif kind == "commands":
                    self.read_commands()
                elif kind == "listen-fixed":
                    self.accept_fixed(obj)
                elif kind == "listen-data":
                    if obj in self.listeners:
                        self.accept_data(obj)
                else:
                    pair, side = obj
                    if side.closed:
                        continue
                    if mask & selectors.EVENT_WRITE:
                        self.flush(pair, side)
                    if mask & selectors.EVENT_READ and not side.closed:
                        self.on_readable(pair, side)
                    if pair.cutting and not pair.cut_done:
                        self.try_cut(pair)
                    if not pair.finished:
                        self.update(pair)
            self.housekeeping()
        self.log("exit")


def hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: want HOST:PORT")
    return host, int(port)


def portrange(text):
    lo, _, hi = text.partition("-")
    if not lo.isdigit() or not hi.isdigit() or not 0 < int(lo) <= int(hi) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: want LO-HI")
    return range(int(lo), int(hi) + 1)


def fault(text):
    try:
        return Fault(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--fault {text!r}: {e}")


def main():
    ap = argparse.ArgumentParser(description="TCP relay for FTP that cuts connections on cue")
    ap.add_argument("--listen", type=hostport, required=True, help="HOST:PORT (PORT 0: any)")
    ap.add_argument("--server", type=hostport, required=True, help="HOST:PORT of the FTP server")
    ap.add_argument(
        "--fault", type=fault, action="append", default=[], help="CHANNEL:DIR:OFFSET:KIND[:TARGET]"
    )
    ap.add_argument("--events", help="append event lines to FILE")
    ap.add_argument("--ready", help="write the control port to FILE once listening")
    ap.add_argument("--commands", help="FIFO to read 'arm TAG SPEC...' lines from")
    ap.add_argument(
        "--opaque", action="store_true", help="relay the control bytes unread (FTPS)"
    )
    ap.add_argument("--data-ports", type=portrange, help="LO-HI: relay these data ports as they are")
    ap.add_argument("--hold-max", type=float, default=5.0, help="seconds a held end stays open")
    args = ap.parse_args()
    relay = Relay(args)

    def stop(signum, frame):
        relay.stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
