# vsftpd-ftps-idle-tls12: explicit FTPS, TLS 1.2; vsftpd with
# idle_session_timeout=3; ftplib logs in, PWD, then says nothing. vsftpd
# sends no 421 a client could read: the capture shows what it does send
# (its alert, a cleartext 500 OOPS, its FIN) after 3 s of client silence.
field_scenario vsftpd-ftps-idle-tls12 \
	"vsftpd explicit FTPS, TLS 1.2, idle_session_timeout=3: the server closes"

make_vsftpd_ftps_idle_tls12() {
	local w=$1
	ftps_vsftpd_start "$w" require_ssl_reuse=NO idle_session_timeout=3
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" --tls12 idle 5
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_idle_tls12() {
	field_expect_count "$1" 'tls.handshake.type == 2' 1 &&
		field_expect_count "$1" 'tcp.srcport == 21 && tcp.flags.fin == 1' 1
}
