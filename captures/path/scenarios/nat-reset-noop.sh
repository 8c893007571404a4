# shellcheck shell=bash
# nat-reset-noop: as nat-drop-noop, but the router answers a packet of a
# forgotten connection with a reset (nftables "reject with tcp reset"):
# the client's NOOP after its 5 s pause is reset in the server's name,
# with the router's TTL (64) where the server's packets arrive with 63.
path_scenario nat-reset-noop \
	"NAT forgets the idle control connection and resets the client's NOOP in the server's name"

make_nat_reset_noop() {
	local w=$1
	path_build reset 3
	path_vsftpd_start "$w"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client noop-after-idle --pause 5 --user-timeout 5 --expect reset
	path_capture_stop
}

check_nat_reset_noop() {
	path_expect_forgotten 1
}
