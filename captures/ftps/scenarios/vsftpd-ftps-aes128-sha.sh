# vsftpd-ftps-aes128-sha: explicit FTPS with the legacy suite a backup
# appliance may insist on: vsftpd ssl_ciphers=AES128-SHA, TLS 1.2 (RSA key
# exchange, AES-CBC, HMAC-SHA1); python ftplib LIST, RETR, QUIT.
field_scenario vsftpd-ftps-aes128-sha \
	"vsftpd explicit FTPS, TLS 1.2 with AES128-SHA (CBC + HMAC-SHA1), ftplib: clean"

make_vsftpd_ftps_aes128_sha() {
	local w=$1
	ftps_vsftpd_start "$w" require_ssl_reuse=NO ssl_ciphers=AES128-SHA
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" --tls12 --cipher AES128-SHA clean
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_aes128_sha() {
	field_expect_count "$1" 'tls.handshake.type == 2 && tls.handshake.ciphersuite == 0x002f' 3
}
