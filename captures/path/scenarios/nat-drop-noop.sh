# shellcheck shell=bash
# nat-drop-noop: after a 5 s pause (the router's conntrack forgets an
# established connection after 3 s) the client's NOOP is dropped
# silently and retransmitted until TCP_USER_TIMEOUT (5 s) ends the
# connection on the client: no reply, no reset, no FIN. The server never
# sees the NOOP.
path_scenario nat-drop-noop \
	"NAT forgets the idle control connection; the client's NOOP is dropped and retransmitted"

make_nat_drop_noop() {
	local w=$1
	path_build drop 3
	path_vsftpd_start "$w"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client noop-after-idle --pause 5 --user-timeout 5 --expect timeout
	path_capture_stop
}

check_nat_drop_noop() {
	path_expect_forgotten +
}
