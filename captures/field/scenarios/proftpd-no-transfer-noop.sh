# proftpd-no-transfer-noop: a client that keeps its session alive with
# NOOP and PWD but never transfers anything. ProFTPD with
# TimeoutNoTransfer 3 (and TimeoutIdle 30, so the idle timer cannot be
# the one) sends "421 No transfer timeout (3 seconds): closing control
# connection" about 3 s after the login, although the client wrote a
# command every second: NOOP keepalives do not reset this timer.
field_scenario proftpd-no-transfer-noop \
	"ProFTPD TimeoutNoTransfer 3 closes a session that sends NOOP/PWD every second"

make_proftpd_no_transfer_noop() {
	local w=$1
	fst_proftpd_start "$w" "TimeoutNoTransfer 3" "TimeoutIdle 30" || {
		echo "make-field: ProFTPD cannot be run here (see above); no capture made" >&2
		return 1
	}
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("anonymous", "backup@example.com")
try:
    for i in range(20):
        time.sleep(1)
        ftp.sendcmd("NOOP" if i % 2 == 0 else "PWD")
    raise SystemExit("ProFTPD never closed the session")
except ftplib.error_temp as e:
    assert str(e).startswith("421 No transfer timeout"), e
ftp.sock.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_no_transfer_noop() {
	field_expect_count "$1" 'ftp.response.code == 421 && ftp.response.arg contains "No transfer timeout"' 1 &&
		(($(field_frames "$1" 'ftp.request.command == "NOOP"' | wc -l) >= 1)) &&
		(($(field_frames "$1" 'ftp.request.command == "PWD"' | wc -l) >= 1)) &&
		field_expect_count "$1" 'ftp.request.command == "RETR" || ftp.request.command == "STOR" || ftp.request.command == "LIST" || ftp.request.command == "NLST" || ftp.request.command == "PASV" || ftp.request.command == "EPSV"' 0
}
