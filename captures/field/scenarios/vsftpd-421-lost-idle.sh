# vsftpd-421-lost-idle: vsftpd (idle_session_timeout=3) ends two idle
# python ftplib sessions one after the other with "421 Timeout." and its
# FIN. The first is captured whole and gives the server's idle timeout
# (3 s); from the second, editcap deletes the segment of the 421. The
# client's ACK of the server's FIN shows the bytes were sent; the client
# sent nothing during its 3 s of idle, which matches the estimate: still
# idle_timeout, "the 421 itself was not captured".
field_scenario vsftpd-421-lost-idle \
	"two vsftpd idle timeouts, the second's 421 cut out: still idle_timeout"

make_vsftpd_421_lost_idle() {
	local w=$1 frames
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 40 python3 "$here/idle_client.py" 40051 40053
	fst_capture_stop
	frames=$(field_frames "$w/raw.pcap" 'ftp.response.code == 421 && tcp.dstport == 40053')
	if [[ $(wc -w <<<"$frames") != 1 ]]; then
		say "expected one 421 segment to port 40053, found: $frames" >&2
		return 1
	fi
	say "deleting frame $frames (the second session's 421)"
	editcap -F pcap "$w/raw.pcap" "$w/out.pcap" "$frames"
}

check_vsftpd_421_lost_idle() {
	field_expect_count "$1" 'ftp.response.code == 421' 1 &&
		field_expect_count "$1" 'tcp.srcport == 21 && tcp.dstport == 40053 && tcp.flags.fin == 1' 1
}
