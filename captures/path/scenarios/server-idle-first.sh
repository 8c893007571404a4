# shellcheck shell=bash
# server-idle-first: the server's idle timer fires before the router's.
# vsftpd (idle_session_timeout=2) sends "421 Timeout." and closes while
# the router (conntrack established timeout 6 s) still knows the
# connection; the client, idle for 4 s, reads the 421 and end-of-file.
# No path fault: the router drops nothing.
path_scenario server-idle-first \
	"vsftpd's idle timeout (2 s) fires before the NAT's (6 s): 421 and FIN pass"

make_server_idle_first() {
	local w=$1
	path_build drop 6
	path_vsftpd_start "$w" idle_session_timeout=2
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client idle-421 --pause 4
	path_capture_stop
}

check_server_idle_first() {
	path_expect_forgotten 0
}
