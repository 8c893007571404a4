# shellcheck shell=bash
# nat-alg-port: the router's FTP helper rewrites an active-mode PORT. The
# client (python ftplib, active mode) announces its own private address,
# PORT 10,88,1,2,...; the router's nf_conntrack_ftp with nf_nat_ftp
# (nftables `ct helper`) rewrites it to the masquerade address, PORT
# 10,88,2,1,..., which vsftpd accepts as the client's; the server's data
# connection from port 20 is let through as related and sent on to the
# client. At the client the PORT carries 10,88,1,2, at the server
# 10,88,2,1: `ftpstall correlate` shows it in path.rewritten.
path_scenario nat-alg-port \
	"the router's FTP helper rewrites the client's PORT 10,88,1,2 to 10,88,2,1; LIST and QUIT pass"

make_nat_alg_port() {
	local w=$1
	path_build drop 60
	path_ftp_helper
	path_vsftpd_start "$w" connect_from_port_20=YES
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client active-list
	path_capture_stop
}

check_nat_alg_port() {
	path_expect_forgotten 0 &&
		tcpdump -A -r "$1/client.pcap" 2>/dev/null | grep -q 'PORT 10,88,1,2,' &&
		tcpdump -A -r "$1/server.pcap" 2>/dev/null | grep -q 'PORT 10,88,2,1,'
}
