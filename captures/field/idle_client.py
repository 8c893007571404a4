#!/usr/bin/env python3
"""idle_client.py - the python ftplib client of the field scenarios that
end in a server's idle timeout.

    idle_client.py [--pwd] [--cwd-after S] PORT...

For each client PORT in turn: connects from 127.0.0.1:PORT to
127.0.0.1:21, logs in as anonymous, optionally sends PWD at once and CWD /
after S seconds, then waits for the server's 421 and closes without QUIT.
Exit 0 when every session got its 421. Python 3 standard library.
"""

import argparse
import ftplib
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pwd", action="store_true")
    ap.add_argument("--cwd-after", type=float)
    ap.add_argument("ports", type=int, nargs="+")
    args = ap.parse_args()
    for port in args.ports:
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", port))
        ftp.login("anonymous", "field@example.com")
        if args.pwd:
            ftp.pwd()
        if args.cwd_after is not None:
            time.sleep(args.cwd_after)
            ftp.cwd("/")
        try:
            ftp.getresp()
            raise SystemExit("no 421 came")
        except ftplib.error_temp as e:
            assert str(e).startswith("421"), e
        ftp.sock.close()


if __name__ == "__main__":
    main()
