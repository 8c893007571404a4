# vsftpd-ftps-implicit-port2990: implicit FTPS on port 2990, no well-known
# port: python ftplib logs in, LIST, RETR, QUIT. Without --ftps-port 2990
# (or -p 2990) it is no FTP session at all; with it, an implicit one.
field_scenario vsftpd-ftps-implicit-port2990 \
	"vsftpd implicit FTPS on port 2990 (needs --ftps-port 2990), ftplib: clean"

make_vsftpd_ftps_implicit_port2990() {
	local w=$1
	ftps_vsftpd_start "$w" implicit_ssl=YES listen_port=2990 require_ssl_reuse=NO
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" --port 2990 --implicit clean
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_implicit_port2990() {
	field_expect_count "$1" 'tcp.dstport == 2990 && tls.handshake.type == 1' 2
}
