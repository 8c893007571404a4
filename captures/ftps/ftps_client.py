#!/usr/bin/env python3
"""ftps_client.py — the python ftplib (FTP_TLS) client of the FTPS
captures. It writes its TLS key log (NSS format) to --keylog.

  ftps_client.py [--port N] [--implicit] [--tls12] [--cipher C] --keylog F SCENARIO

SCENARIO:
  clean       log in, PROT P, LIST and RETR hello.txt, QUIT
  idle N      log in, PWD, then wait N seconds and try a NOOP
  data-stall  log in, PROT P, STOR with a data connection that sends
              nothing until the server gives up on it
  reuse       log in, PROT P, LIST: the data connection does not resume
              the control connection's TLS session (ftplib never does)
  resume F    log in, PROT P, STOR of file F as upload/up.bin, RETR
              hello.txt, QUIT, each data connection resuming the control
              connection's TLS session (TLS 1.3: with its ticket)
Exits non-zero when the server does not answer as the scenario expects.
"""
import argparse
import ftplib
import socket
import ssl
import sys
import time


class ImplicitFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose control connection is TLS from its first byte."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        self.host, self.port, self.timeout = host, port, timeout
        raw = socket.create_connection((host, port), timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=host)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session, as servers that require session reuse want."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
            if not conn.session_reused:
                conn.close()
                sys.exit("the data connection did not resume the session")
        return conn, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--implicit", action="store_true")
    ap.add_argument("--tls12", action="store_true")
    ap.add_argument("--cipher")
    ap.add_argument("--keylog", required=True)
    ap.add_argument("scenario")
    ap.add_argument("arg", nargs="?")
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # a certificate made for the capture
    ctx.keylog_filename = a.keylog
    if a.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if a.cipher:
        ctx.set_ciphers(a.cipher)
    cls = ImplicitFTP_TLS if a.implicit else ftplib.FTP_TLS
    if a.scenario == "resume":
        cls = ResumingFTP_TLS
    ftp = cls(context=ctx)
    ftp.connect("127.0.0.1", a.port, timeout=20)
    if not a.implicit:
        ftp.auth()
    ftp.login("anonymous", "backup@example.com")
    if a.scenario == "clean":
        ftp.prot_p()
        ftp.retrlines("LIST", lambda line: None)
        ftp.retrbinary("RETR hello.txt", lambda b: None)
        ftp.quit()
    elif a.scenario == "idle":
        ftp.pwd()
        time.sleep(float(a.arg))
        try:
            ftp.sendcmd("NOOP")
            sys.exit("the server answered the NOOP")
        except (ftplib.Error, EOFError, OSError, ssl.SSLError):
            pass
        ftp.sock.close()
    elif a.scenario == "data-stall":
        ftp.prot_p()
        conn = ftp.transfercmd("STOR upload/stalled.bin")
        time.sleep(float(a.arg))
        try:
            conn.close()
            resp = ftp.getresp()
            sys.exit("the server answered %r" % resp)
        except (ftplib.Error, EOFError, OSError, ssl.SSLError):
            pass
        ftp.sock.close()
    elif a.scenario == "reuse":
        ftp.prot_p()
        try:
            ftp.retrlines("LIST", lambda line: None)
            sys.exit("the server accepted a data connection without session reuse")
        except (ftplib.Error, OSError, ssl.SSLError, EOFError) as e:
            print("refused as expected: %s" % e)
        try:
            ftp.quit()
        except (ftplib.Error, EOFError, OSError, ssl.SSLError):
            pass  # vsftpd may end the session after the 522
        ftp.sock and ftp.sock.close()
    elif a.scenario == "resume":
        ftp.prot_p()
        with open(a.arg, "rb") as f:
            ftp.storbinary("STOR upload/up.bin", f)
        ftp.retrbinary("RETR hello.txt", lambda b: None)
        ftp.quit()
    else:
        sys.exit("unknown scenario " + a.scenario)


if __name__ == "__main__":
    main()
