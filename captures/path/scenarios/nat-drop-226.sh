# shellcheck shell=bash
# nat-drop-226: the NAT forgets the control connection during a slow
# passive download. vsftpd (anon_max_rate=30000) sends 100,000 bytes in
# about 5 s while the control connection sits idle; the router's conntrack
# forgets it after 3 s, so vsftpd's 226 is dropped (and retransmitted into
# the black hole); the client, its data complete and ACKed, waits 6 s for
# the final reply, gives up and closes (its FIN is dropped too).
path_scenario nat-drop-226 \
	"NAT forgets the idle control connection during a slow RETR; the 226 is dropped"

make_nat_drop_226() {
	local w=$1
	path_build drop 3
	path_vsftpd_start "$w" anon_max_rate=30000
	python3 -c "import sys; sys.stdout.write(('ftpstall path capture\\n' * 9000)[:196608])" >"$w/root/file.bin"
	chmod 644 "$w/root/file.bin"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	path_client slow-retr --file file.bin --size 196608 --wait 6
	sleep 1
	path_capture_stop
}

check_nat_drop_226() {
	path_expect_forgotten +
}
