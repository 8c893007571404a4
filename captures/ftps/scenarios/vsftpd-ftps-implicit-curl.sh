# vsftpd-ftps-implicit-curl: implicit FTPS (implicit_ssl=YES) on port 990;
# curl fetches hello.txt over ftps:// (TLS from the first byte; its data
# connection resumes the control connection's session), key log from
# SSLKEYLOGFILE.
field_scenario vsftpd-ftps-implicit-curl \
	"vsftpd implicit FTPS on port 990, curl RETR: clean"

make_vsftpd_ftps_implicit_curl() {
	local w=$1
	ftps_vsftpd_start "$w" implicit_ssl=YES listen_port=990 require_ssl_reuse=YES
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns env SSLKEYLOGFILE="$w/out.keys" timeout 30 curl -sS -k --ftp-pasv \
		-o "$w/got.txt" ftps://127.0.0.1:990/hello.txt
	fst_capture_stop
	cmp "$w/got.txt" "$w/root/hello.txt"
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_ftps_implicit_curl() {
	field_expect_count "$1" 'tcp.dstport == 990 && tls.handshake.type == 1' 2
}
