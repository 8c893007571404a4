# vsftpd-ftps-data-stall: vsftpd with data_connection_timeout=3; ftplib
# opens the data connection of a STOR (TLS handshake done) and sends
# nothing: vsftpd gives up on the data connection and then on the session.
field_scenario vsftpd-ftps-data-stall \
	"vsftpd explicit FTPS, data_connection_timeout=3, a STOR that sends nothing"

make_vsftpd_ftps_data_stall() {
	local w=$1
	ftps_vsftpd_start "$w" require_ssl_reuse=NO data_connection_timeout=3 idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" data-stall 6
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_data_stall() {
	field_expect_count "$1" 'tls.handshake.type == 1' 4
}
