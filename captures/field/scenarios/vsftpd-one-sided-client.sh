# vsftpd-one-sided-client: a capture that holds one direction only, as a
# SPAN port or an asymmetric route gives it. vsftpd (idle_session_timeout=3)
# ends an idle python ftplib session with "421 Timeout." and its FIN; the
# real capture is then filtered to the client's packets (tcpdump -r raw
# 'dst port 21'). The client's PWD looks unanswered and its close looks
# like giving up, but the server's packets are simply not there: the
# verdict must be unknown (one_sided), never a blame.
field_scenario vsftpd-one-sided-client \
	"only the client's packets of a vsftpd idle timeout: one-sided, no blame"

make_vsftpd_one_sided_client() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 "$here/idle_client.py" --pwd 40041
	fst_capture_stop
	tcpdump -r "$w/raw.pcap" -w "$w/out.pcap" 'dst port 21' 2>/dev/null
}

check_vsftpd_one_sided_client() {
	field_expect_count "$1" 'tcp.srcport == 21' 0 &&
		field_expect_count "$1" 'ftp.request.command == "PWD"' 1 &&
		field_expect_count "$1" 'tcp.flags.fin == 1' 1
}
