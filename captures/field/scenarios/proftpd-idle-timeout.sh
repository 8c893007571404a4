# proftpd-idle-timeout: ProFTPD with TimeoutIdle 3 (TimeoutNoTransfer 30)
# and a client that logs in, asks PWD and then says nothing: "421 Idle
# timeout (3 seconds): closing control connection" and a FIN; the
# client's NOOP 2 s later goes into the closed connection.
field_scenario proftpd-idle-timeout \
	"ProFTPD TimeoutIdle 3 closes a quiet session with 421 Idle timeout"

make_proftpd_idle_timeout() {
	local w=$1
	fst_proftpd_start "$w" "TimeoutIdle 3" "TimeoutNoTransfer 30" || {
		echo "make-field: ProFTPD cannot be run here (see above); no capture made" >&2
		return 1
	}
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("anonymous", "backup@example.com")
ftp.pwd()
time.sleep(5)
try:
    ftp.sendcmd("NOOP")
    raise SystemExit("ProFTPD answered the NOOP")
except ftplib.error_temp as e:
    assert str(e).startswith("421 Idle timeout"), e
except (EOFError, OSError):
    pass
ftp.sock.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_idle_timeout() {
	field_expect_count "$1" 'ftp.response.code == 421 && ftp.response.arg contains "Idle timeout"' 1 &&
		field_expect_count "$1" 'ftp.request.command == "PWD"' 1
}
