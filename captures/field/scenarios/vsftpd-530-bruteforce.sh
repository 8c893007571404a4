# vsftpd-530-bruteforce: a password-guessing series, five python ftplib
# sessions one after another, each with another wrong password for the
# same user. vsftpd (delay_failed_login=1, max_login_fails=1) holds each
# 530 back, then ends the session itself (FIN); the client's QUIT after
# the 530 goes into the closed connection and is reset. Five failed logins: none recovers
# the one before.
field_scenario vsftpd-530-bruteforce \
	"five ftplib sessions guess a password; vsftpd refuses each (530) and closes (max_login_fails=1)"

make_vsftpd_530_bruteforce() {
	local w=$1
	fst_vsftpd_start "$w" local_enable=YES pam_service_name=vsftpd \
		delay_failed_login=1 max_login_fails=1 idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 60 python3 - <<'PY'
import ftplib
for i, guess in enumerate(["123456", "password", "backup", "qwerty", "letmein"]):
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", 40031 + 2 * i))
    try:
        ftp.login("backup", guess)
        raise SystemExit("the login was accepted")
    except ftplib.error_perm as e:
        assert str(e).startswith("530"), e
    try:
        ftp.quit()
    except (EOFError, OSError, ftplib.Error):
        pass
    ftp.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_530_bruteforce() {
	field_expect_count "$1" 'ftp.response.code == 530' 5 &&
		field_expect_count "$1" 'ftp.request.command == "PASS"' 5 &&
		field_expect_count "$1" 'ftp.response.code == 230' 0 &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 5 &&
		field_expect_count "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 21' 5
}
