# shellcheck shell=bash
# nat-keepalive: TCP keepalives keep the NAT entry alive. The client
# turns on SO_KEEPALIVE with TCP_KEEPIDLE and TCP_KEEPINTVL of 1 s and
# pauses 6 s (the router's conntrack forgets an idle connection after
# 3 s); each probe and its ACK refresh the entry, so the NOOP after the
# pause gets its 200 and the session ends with QUIT and 221.
path_scenario nat-keepalive \
	"TCP keepalives every 1 s keep the NAT entry alive through a 6 s pause"

make_nat_keepalive() {
	local w=$1
	path_build drop 3
	path_vsftpd_start "$w"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client keepalive --pause 6
	path_capture_stop
}

check_nat_keepalive() {
	path_expect_forgotten 0
}
