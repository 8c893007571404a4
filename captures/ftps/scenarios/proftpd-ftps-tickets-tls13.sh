# proftpd-ftps-tickets-tls13: ProFTPD (mod_tls, TLS 1.3 only,
# TLSSessionTickets on, session reuse required for data connections, its
# default) and python ftplib, explicit FTPS: one control connection
# uploads a file (STOR) and downloads hello.txt (RETR); each data
# connection resumes the control connection's session with its ticket
# (pre_shared_key), so ProFTPD accepts it. A clean upload and download.
# (curl 7.88 with --next, one session: ProFTPD took its first data
# connection as resumed and refused the second, "client did not reuse
# TLS session".)
field_scenario proftpd-ftps-tickets-tls13 \
	"ProFTPD mod_tls TLS 1.3 with session tickets, ftplib STOR+RETR, data connections resumed: clean"

make_proftpd_ftps_tickets_tls13() {
	local w=$1
	ftps_proftpd_start "$w" "TLSProtocol TLSv1.3" "TLSSessionTickets on" || return 1
	head -c 100000 /dev/urandom >"$w/up.bin"
	fst_capture_start lo "$w/raw.pcap" tcp
	ftps_client "$w" resume "$w/up.bin"
	fst_capture_stop
	cmp "$w/up.bin" "$w/root/upload/up.bin"
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_ftps_tickets_tls13() {
	# One control connection and two data connections, each a TLS 1.3
	# handshake; both data ones offer a ticket (pre_shared_key, extension
	# 41) and the server takes it.
	field_expect_count "$1" 'ftp.request.command == "AUTH"' 1 &&
		field_expect_count "$1" 'tls.handshake.type == 1' 3 &&
		field_expect_count "$1" 'tls.handshake.type == 1 && tls.handshake.extension.type == 41' 2 &&
		field_expect_count "$1" 'tls.handshake.type == 2 && tls.handshake.extension.type == 41' 2
}
