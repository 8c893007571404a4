#!/bin/bash
# test_incident_passwords.sh FTPSTALL — `analyze --write-incidents` masks
# the passwords of the sessions it writes, and keeps the packets valid.
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 and
# [::1]:21 with idle_session_timeout=2, so every session that logs in and
# then idles ends in "421 Timeout." (an incident). Three logins with their
# own passwords, captured on lo:
#   1. ftplib over IPv4: "PASS <secret1>" in one segment;
#   2. a raw socket over IPv4: "pass <secret2>" in lowercase, cut into
#      three segments inside the verb and inside the password;
#   3. ftplib over IPv6: "PASS <secret3>".
# The capture's TCP checksums are recomputed first (lo saves offload's
# partial sums), then analyze writes the incidents masked and, with
# --keep-passwords, as captured. Checks: no password (nor its pieces) in the
# masked file, its PASS lines read '*' of the password's length, tshark
# finds every TCP checksum good in it, it differs from the kept file only
# in '*' bytes and checksums (same records, timestamps and lengths), and
# the kept file holds all three passwords. About 10 s.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
FST_CAPTURE_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup incident_passwords "${1:-}" tcpdump tshark
fst_vsftpd_start "$WORK" idle_session_timeout=2 || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}
fst_vsftpd_start6 "$WORK" idle_session_timeout=2 || {
	echo "FAIL: vsftpd did not start on [::1]:21"
	exit 1
}
fst_capture_start lo "$WORK/raw.pcap" 'tcp port 21' || {
	echo "FAIL: tcpdump did not start"
	exit 1
}

S1="fst-One-$$-k7Q"
S2="fst-Two-$$-Zm3"
S3="fst-Six-$$-p9W"
# Each client waits for the server's 421 and close, at most 10 s.
fst_ns timeout -k 2 20 "$FST_PYTHON" - "$S1" "$S2" "$S3" >"$WORK/clients.out" 2>&1 <<'PY'
import ftplib, socket, sys, threading, time

s1, s2, s3 = sys.argv[1:4]

def wait_close(sock):
    sock.settimeout(10)
    got = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return got
        got += chunk

def with_ftplib(host, password):
    ftp = ftplib.FTP()
    ftp.connect(host, 21, timeout=10)
    ftp.login("anonymous", password)
    print(host, "ftplib:", wait_close(ftp.sock))

def split_lowercase(password):
    s = socket.create_connection(("127.0.0.1", 21), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    f.readline()  # 220
    s.sendall(b"USER anonymous\r\n")
    f.readline()  # 331
    for piece in (b"pa", b"ss " + password[:5].encode(), password[5:].encode() + b"\r\n"):
        s.sendall(piece)
        time.sleep(0.2)  # its own segment: the peer has ACKed the last one
    print("split:", f.readline(), wait_close(s))

threads = [threading.Thread(target=with_ftplib, args=("127.0.0.1", s1)),
           threading.Thread(target=split_lowercase, args=(s2,)),
           threading.Thread(target=with_ftplib, args=("::1", s3))]
for t in threads:
    t.start()
for t in threads:
    t.join()
PY
rc=$?
fst_capture_stop
[[ $rc == 0 ]] || fst_fail "the clients: status $rc: $(cat "$WORK/clients.out")"
[[ $(grep -c '421' "$WORK/clients.out") == 3 ]] ||
	fst_fail "not every session timed out: $(cat "$WORK/clients.out")"

"$FST_PYTHON" "$here/masked_pcap.py" fix-checksums "$WORK/raw.pcap" "$WORK/in.pcap" ||
	fst_fail "fix-checksums"
"$FTPSTALL" analyze -f json -o "$WORK/report.json" --write-incidents "$WORK/masked.pcap" \
	"$WORK/in.pcap" 2>"$WORK/masked.err" || fst_fail "analyze --write-incidents: status $?"
"$FTPSTALL" analyze -o "$WORK/report2.txt" --write-incidents "$WORK/kept.pcap" \
	--keep-passwords "$WORK/in.pcap" 2>"$WORK/kept.err" ||
	fst_fail "analyze --write-incidents --keep-passwords: status $?"
fst_expect "three incident sessions" test \
	"$(fst_jq "$WORK/report.json" 'sum(1 for s in j["sessions"] if s["verdict"]["kind"] == "idle_timeout")')" = 3

# has FILE TEXT / lacks FILE TEXT — whether the bytes of TEXT occur in FILE
# (called through fst_expect).
# shellcheck disable=SC2317
has() { grep -qaF -- "$2" "$1"; }
# shellcheck disable=SC2317
lacks() { ! has "$@"; }
# The split password is in two segments: look for each piece.
for s in "$S1" "${S2:0:5}" "${S2:5}" "$S3"; do
	fst_expect "the input holds $s" has "$WORK/in.pcap" "$s"
	fst_expect "--keep-passwords keeps $s" has "$WORK/kept.pcap" "$s"
	fst_expect "the masked extract lacks $s" lacks "$WORK/masked.pcap" "$s"
done
stars=$(printf '%*s' ${#S1} '' | tr ' ' '*')
fst_expect "PASS $stars in the masked extract" has "$WORK/masked.pcap" "PASS $stars"
fst_expect "'ss *****' (the split lowercase pass) in the masked extract" \
	has "$WORK/masked.pcap" "ss *****"
fst_expect "the masked extract and the kept one differ only in '*' and checksums" \
	"$FST_PYTHON" "$here/masked_pcap.py" compare "$WORK/masked.pcap" "$WORK/kept.pcap"

# tshark: tcp.checksum.status 0 is bad, 1 good, 2 unverified.
for f in masked kept; do
	frames=$(tshark -r "$WORK/$f.pcap" 2>/dev/null | wc -l)
	good=$(tshark -r "$WORK/$f.pcap" -o tcp.check_checksum:TRUE \
		-Y 'tcp.checksum.status == 1' 2>/dev/null | wc -l)
	bad=$(tshark -r "$WORK/$f.pcap" -o tcp.check_checksum:TRUE \
		-Y 'tcp.checksum.status == 0' 2>/dev/null | wc -l)
	echo "  $f.pcap: $frames frames, tshark: $good good checksums, $bad bad"
	fst_expect "$f.pcap has frames" test "$frames" -gt 20
	fst_expect "tshark: no bad TCP checksum in $f.pcap" test "$bad" = 0
	fst_expect "tshark: every TCP checksum of $f.pcap verified good" test "$good" = "$frames"
done
fst_finish
