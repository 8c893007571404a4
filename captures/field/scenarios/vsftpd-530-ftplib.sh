# vsftpd-530-ftplib: a backup job with an expired password. python ftplib
# logs in as a local user with the wrong password; vsftpd, with
# delay_failed_login=3, waits 3 s on purpose before "530 Login
# incorrect."; the client then closes without QUIT, as a backup tool
# does when its login raises.
field_scenario vsftpd-530-ftplib \
	"vsftpd delays 530 Login incorrect by 3 s; ftplib closes without QUIT"

make_vsftpd_530_ftplib() {
	local w=$1
	fst_vsftpd_start "$w" local_enable=YES pam_service_name=vsftpd \
		delay_failed_login=3 idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", 40021))
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

check_vsftpd_530_ftplib() {
	field_expect_count "$1" 'ftp.response.code == 530' 1 &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 0 &&
		field_expect_count "$1" 'ftp.request.command == "PASS"' 1
}
