# vsftpd-ftps-clean-tls13: explicit FTPS (AUTH TLS, TLS 1.3) with vsftpd;
# python ftplib logs in, PROT P, LIST, RETR of 20 kB, QUIT: a clean end.
field_scenario vsftpd-ftps-clean-tls13 \
	"vsftpd explicit FTPS, TLS 1.3, ftplib LIST+RETR+QUIT: clean"

make_vsftpd_ftps_clean_tls13() {
	local w=$1
	ftps_vsftpd_start "$w" require_ssl_reuse=NO
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" clean
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_clean_tls13() {
	field_expect_count "$1" 'ftp.request.command == "AUTH"' 1 &&
		field_expect_count "$1" 'tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304' 6
}
