# curl-unreachable-refused: no FTP session at all. curl tries
# ftp://127.0.0.1/ twice: first while an nftables rule drops every
# packet to port 21 (its SYN and the retransmissions go unanswered:
# the server is unreachable), then with the rule gone and nothing
# listening (the kernel refuses with a reset). The report must say what
# the capture held instead of just "0 sessions".
field_scenario curl-unreachable-refused \
	"curl to port 21: unanswered SYNs (dropped), then a refused connection"

make_curl_unreachable_refused() {
	local w=$1
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns nft -f - <<'NFT'
table inet fst_field {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 21 drop
	}
}
NFT
	# curl exits 28 (timeout) and then 7 (refused): both are the point.
	fst_ns timeout 20 curl -sS --connect-timeout 3 --local-port 40081 ftp://127.0.0.1/ || true
	fst_ns nft delete table inet fst_field
	fst_ns timeout 20 curl -sS --connect-timeout 3 --local-port 40083 ftp://127.0.0.1/ || true
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_curl_unreachable_refused() {
	field_expect_count "$1" 'tcp.dstport == 21 && tcp.srcport == 40081 && tcp.flags.syn == 1' \
		"$(field_frames "$1" 'tcp.srcport == 40081' | wc -l)" &&
		field_expect_count "$1" 'tcp.srcport == 21 && tcp.dstport == 40081' 0 &&
		field_expect_count "$1" 'tcp.srcport == 21 && tcp.dstport == 40083 && tcp.flags.reset == 1' 1
}
