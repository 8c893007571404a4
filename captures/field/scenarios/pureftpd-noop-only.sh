# pureftpd-noop-only: Pure-FTPd lets NOOP keep a session for at most twice
# its idle time. Started with -I 1 (a minute, its smallest unit on the
# command line); the client logs in, shortens its own idle time with
# "SITE IDLE 3" (seconds: Pure-FTPd's only smaller unit) and then sends
# only NOOP, once a second. The NOOP that comes more than 2 x 3 s after
# the first one is answered "421 Timeout (no operation for 6 seconds)"
# and the session closed: the client was never idle for even a second.
field_scenario pureftpd-noop-only \
	"Pure-FTPd closes a session that sends only NOOP after twice its idle time"

make_pureftpd_noop_only() {
	local w=$1
	fst_pureftpd_start "$w" -I 1 || {
		echo "make-field: Pure-FTPd cannot be run here (see above); no capture made" >&2
		return 1
	}
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 40 python3 - <<'PY'
import ftplib, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("backup", "backup-secret")
ftp.sendcmd("SITE IDLE 3")
try:
    for i in range(20):
        time.sleep(1)
        ftp.sendcmd("NOOP")
    raise SystemExit("Pure-FTPd never closed the session")
except ftplib.error_temp as e:
    assert str(e).startswith("421 Timeout (no operation"), e
ftp.sock.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_pureftpd_noop_only() {
	field_expect_count "$1" 'ftp.response.code == 421 && ftp.response.arg contains "no operation"' 1 &&
		field_expect_count "$1" 'ftp.response.code == 220 && frame contains "disconnected after 60 seconds of inactivity"' 1 &&
		(($(field_frames "$1" 'ftp.request.command == "NOOP"' | wc -l) >= 4)) &&
		field_expect_count "$1" 'ftp.request.command == "RETR" || ftp.request.command == "STOR" || ftp.request.command == "LIST" || ftp.request.command == "NLST" || ftp.request.command == "PASV" || ftp.request.command == "EPSV"' 0
}
