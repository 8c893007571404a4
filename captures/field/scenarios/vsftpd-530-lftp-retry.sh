# vsftpd-530-lftp-retry: a mirror job with an expired password, run by
# lftp, which retries: told (ftp:retry-530) to take vsftpd's "530 Login
# incorrect." as transient, as sites do for servers that refuse logins
# when busy, it reconnects and logs in again, at most net:max-retries
# times, net:reconnect-interval-base 1 s apart. vsftpd (delay_failed_login=2)
# holds each 530 back on purpose. Every session fails the same way: the
# next one is a retry, not a recovery of the one before.
field_scenario vsftpd-530-lftp-retry \
	"lftp retries a refused login: each reconnect fails again, none recovers the one before"

make_vsftpd_530_lftp_retry() {
	local w=$1
	fst_vsftpd_start "$w" local_enable=YES pam_service_name=vsftpd \
		delay_failed_login=2 idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	# lftp exits non-zero after its last failed attempt: expected.
	fst_ns timeout 60 lftp -c "set net:max-retries 2; set net:reconnect-interval-base 1; set net:reconnect-interval-multiplier 1; set ftp:retry-530 'Login incorrect'; set ftp:use-feat no; set ftp:ssl-allow no; open -u backup,expired-secret ftp://127.0.0.1; ls" \
		>"$w/lftp.out" 2>&1 || true
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_530_lftp_retry() {
	local sessions
	sessions=$(field_frames "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 21' | wc -l)
	if ((sessions < 2)); then
		say "$(basename "$1"): $sessions control connections, want at least 2 (a retry)" >&2
		return 1
	fi
	field_expect_count "$1" 'ftp.response.code == 230' 0 &&
		field_expect_count "$1" 'ftp.response.arg == "Login incorrect."' "$sessions" &&
		field_expect_count "$1" 'ftp.request.command == "PASS"' "$sessions"
}
