#!/usr/bin/env python3
"""seed_client.py - the FTP client side of the "duplicity story" capture.

Plays a backup client that uploads one volume, then goes quiet on the
control connection for longer than the server's idle timeout, then sends
its next command on the connection it still believes is open:

  1. connect, read the 220 greeting
  2. USER anonymous / PASS backup@example.org
  3. TYPE I, PASV, data connection, STOR upload/<name> with SIZE bytes
     of deterministic data, 226
  4. send nothing and read nothing for IDLE seconds; meanwhile the server
     says "421 Timeout." and closes (FIN), which this client ignores
  5. send one more command (NOOP by default) on the dead connection; the
     server's kernel answers with a reset
  6. read what is left (the unread 421, then the reset) and report it

Python 3 standard library only. Meant to run inside the test network
namespace (tests/integration/lib.sh) against vsftpd on loopback; it never
talks to anything else. Every socket has a timeout, so it always ends.

Exit status: 0 when the server's 421 was seen and the connection then
ended (reset or EOF), 1 on any other outcome, 2 on bad usage.
"""

import argparse
import ftplib
import hashlib
import socket
import sys
import time

T0 = time.monotonic()


def log(msg):
    print(f"client t+{time.monotonic() - T0:7.3f} {msg}", file=sys.stderr, flush=True)


def payload(size):
    """Returns SIZE deterministic bytes: SHA-256 in counter mode over a fixed
    label, so every run uploads the same file (and it does not compress)."""
    out = bytearray()
    block = 0
    while len(out) < size:
        out += hashlib.sha256(b"ftpstall seed volume %d" % block).digest()
        block += 1
    return bytes(out[:size])


def source(host, port):
    return (host, port) if port else None


def upload(ftp, args, data):
    """PASV + STOR with our own data socket, so its source port is ours to
    choose (ftplib would reuse the control connection's source address)."""
    host, port = ftp.makepasv()
    log(f"PASV -> {host}:{port}")
    conn = socket.create_connection(
        (host, port), args.timeout, source_address=source(args.host, args.data_source_port)
    )
    try:
        resp = ftp.sendcmd(f"STOR {args.name}")
        log(f"STOR -> {resp}")
        if not resp.startswith("1"):
            raise ftplib.error_reply(resp)
        conn.sendall(data)
    finally:
        conn.close()
    resp = ftp.voidresp()
    log(f"transfer done -> {resp}")


def after_idle(sock, line, timeout):
    """Writes LINE on the control socket, then drains it until EOF, reset or
    timeout. Returns (bytes read, name of how it ended)."""
    sock.sendall(line.encode("ascii") + b"\r\n")
    log(f"sent {line!r} after the idle period")
    sock.settimeout(timeout)
    got = b""
    end = "timeout"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            end = "reset"
            break
        except socket.timeout:
            break
        if not chunk:
            end = "eof"
            break
        got += chunk
    return got, end


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--user", default="anonymous")
    ap.add_argument("--password", default="backup@example.org")
    ap.add_argument("--name", default="upload/duplicity-full.vol1.difftar.gz")
    ap.add_argument("--size", type=int, default=64 * 1024, help="bytes to upload")
    ap.add_argument("--idle", type=float, default=7.0,
                    help="seconds of silence after the upload (longer than the server's idle timeout)")
    ap.add_argument("--after", default="NOOP", help="command sent on the dead connection")
    ap.add_argument("--source-port", type=int, default=0, help="control source port (0: any)")
    ap.add_argument("--data-source-port", type=int, default=0, help="data source port (0: any)")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-socket-operation timeout")
    args = ap.parse_args()
    if args.idle <= 0 or args.size < 0 or args.timeout <= 0:
        ap.error("--idle and --timeout must be > 0, --size >= 0")

    data = payload(args.size)
    ftp = ftplib.FTP(timeout=args.timeout)
    welcome = ftp.connect(args.host, args.port, source_address=source(args.host, args.source_port))
    log(f"connected -> {welcome}")
    log(f"login -> {ftp.login(args.user, args.password)}")
    log(f"TYPE I -> {ftp.voidcmd('TYPE I')}")
    ftp.set_pasv(True)
    upload(ftp, args, data)

    log(f"idle for {args.idle:.1f} s, sending and reading nothing")
    time.sleep(args.idle)

    got, end = after_idle(ftp.sock, args.after, min(args.timeout, 3.0))
    for line in got.decode("ascii", "replace").splitlines():
        log(f"read {line!r}")
    log(f"connection ended by {end}")
    ftp.sock.close()
    ftp.file.close()

    ok = got.startswith(b"421") and end in ("reset", "eof")
    log("result: " + ("421 seen, then the connection was gone" if ok else "unexpected outcome"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ftplib.Error) as e:
        log(f"error: {type(e).__name__}: {e}")
        sys.exit(1)
