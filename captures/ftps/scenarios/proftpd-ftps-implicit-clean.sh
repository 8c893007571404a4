# proftpd-ftps-implicit-clean: ProFTPD (mod_tls, TLSOptions
# UseImplicitSSL) on port 990: TLS from the first byte; ftplib logs in,
# LIST, RETR, QUIT. ftplib never resumes the control connection's TLS
# session on a data connection, so ProFTPD is told not to demand it
# (NoSessionReuseRequired).
field_scenario proftpd-ftps-implicit-clean \
	"ProFTPD implicit FTPS on port 990, ftplib LIST+RETR+QUIT: clean"

make_proftpd_ftps_implicit_clean() {
	local w=$1
	ftps_proftpd_start "$w" "Port 990" "TLSOptions UseImplicitSSL NoSessionReuseRequired"
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" --port 990 --implicit clean
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_ftps_implicit_clean() {
	field_expect_count "$1" 'tcp.dstport == 990 && tls.handshake.type == 1' 1
}
