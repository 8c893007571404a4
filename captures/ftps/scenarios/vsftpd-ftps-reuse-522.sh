# vsftpd-ftps-reuse-522: vsftpd with require_ssl_reuse=YES (its default);
# python ftplib never resumes the control connection's TLS session on a
# data connection, so vsftpd refuses it: "522 SSL connection failed;
# session reuse required" (encrypted on the control connection).
field_scenario vsftpd-ftps-reuse-522 \
	"vsftpd require_ssl_reuse=YES, ftplib's data connection starts a new TLS session: 522"

make_vsftpd_ftps_reuse_522() {
	local w=$1
	ftps_vsftpd_start "$w" require_ssl_reuse=YES
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" reuse
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_reuse_522() {
	field_expect_count "$1" 'tls.handshake.type == 1' 4
}
