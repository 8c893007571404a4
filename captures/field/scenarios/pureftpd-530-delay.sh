# pureftpd-530-delay: a backup job with an expired password against
# Pure-FTPd (-I 1). python ftplib logs in with the wrong password; Pure-FTPd
# waits on purpose before "530 Login authentication failed"; the client
# then closes without QUIT, as a backup tool does when its login raises.
field_scenario pureftpd-530-delay \
	"Pure-FTPd delays 530 Login authentication failed; ftplib closes without QUIT"

make_pureftpd_530_delay() {
	local w=$1
	fst_pureftpd_start "$w" -I 1 || {
		echo "make-field: Pure-FTPd cannot be run here (see above); no capture made" >&2
		return 1
	}
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
try:
    ftp.login("backup", "expired-secret")
    raise SystemExit("the login was accepted")
except ftplib.error_perm as e:
    assert str(e).startswith("530"), e
ftp.sock.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_pureftpd_530_delay() {
	(($(field_frames "$1" 'ftp.response.code == 530' | wc -l) >= 1)) &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 0 &&
		field_expect_count "$1" 'ftp.request.command == "PASS"' 1
}
