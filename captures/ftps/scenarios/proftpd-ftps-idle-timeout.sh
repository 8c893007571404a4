# proftpd-ftps-idle-timeout: ProFTPD (mod_tls, TimeoutIdle 3), explicit
# FTPS with TLS 1.3; ftplib logs in, PWD, then says nothing. ProFTPD sends
# its TLS close_notify, then "421 Idle timeout (3 seconds): closing
# control connection" in cleartext, then its FIN.
field_scenario proftpd-ftps-idle-timeout \
	"ProFTPD mod_tls TimeoutIdle 3: close_notify, then a cleartext 421, then FIN"

make_proftpd_ftps_idle_timeout() {
	local w=$1
	ftps_proftpd_start "$w" "TimeoutIdle 3" "TimeoutNoTransfer 30"
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" idle 5
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_ftps_idle_timeout() {
	field_expect_count "$1" 'ftp.response.code == 421' 1 &&
		field_expect_count "$1" 'ftp.request.command == "AUTH"' 1
}
