# vsftpd-port-blocked-curl: active mode through a firewall that drops
# the server's connection back. curl listens on 127.0.0.1:40100 and
# announces it with EPRT; an nftables rule drops every packet to that
# port, so vsftpd's SYNs go unanswered and after connect_timeout=3 it
# answers RETR with "425 Failed to establish connection."; curl QUITs.
field_scenario vsftpd-port-blocked-curl \
	"active mode: vsftpd's SYNs to the client's EPRT port dropped; 425"

make_vsftpd_port_blocked_curl() {
	local w=$1 rc=0
	fst_vsftpd_start "$w" connect_timeout=3 idle_session_timeout=30
	dd if=/dev/zero of="$w/root/big.bin" bs=1k count=64 status=none
	chmod 644 "$w/root/big.bin"
	fst_ns nft -f - <<'NFT'
table inet field {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 40100 drop
	}
}
NFT
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 curl -sS --local-port 40051 -P 127.0.0.1:40100-40100 \
		-o "$w/got.bin" ftp://127.0.0.1/big.bin || rc=$?
	fst_capture_stop
	if ((rc == 0)); then
		say "vsftpd-port-blocked-curl: the download worked" >&2
		return 1
	fi
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_port_blocked_curl() {
	local syns
	syns=$(field_frames "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 40100' | wc -l)
	if ((syns < 2)); then
		say "$(basename "$1"): $syns SYNs to the EPRT port, want 2 or more" >&2
		return 1
	fi
	field_expect_count "$1" 'tcp.srcport == 40100' 0 &&
		field_expect_count "$1" 'ftp.response.code == 425' 1 &&
		field_expect_count "$1" 'ftp.request.command == "RETR"' 1
}
