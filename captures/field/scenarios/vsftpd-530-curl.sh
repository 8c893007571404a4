# vsftpd-530-curl: a download job with an expired password, run by curl.
# vsftpd (delay_failed_login=3) waits on purpose before "530 Login
# incorrect."; curl then gives up and closes the connection.
field_scenario vsftpd-530-curl \
	"vsftpd delays 530 Login incorrect by 3 s; curl closes after it"

make_vsftpd_530_curl() {
	local w=$1 rc=0
	fst_vsftpd_start "$w" local_enable=YES pam_service_name=vsftpd \
		delay_failed_login=3 idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 curl -sS --user backup:expired-secret \
		ftp://127.0.0.1/backup.tar -o "$w/backup.tar" 2>"$w/curl.err" || rc=$?
	fst_capture_stop
	# 67: "the user name, password, or similar was not accepted".
	if ((rc != 67)); then
		say "vsftpd-530-curl: curl exited $rc, want 67: $(cat "$w/curl.err")" >&2
		return 1
	fi
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_530_curl() {
	field_expect_count "$1" 'ftp.response.code == 530' 1 &&
		field_expect_count "$1" 'ftp.request.command == "PASS"' 1 &&
		field_expect_count "$1" 'ftp.response.code == 230' 0
}
