# vsftpd-pasv-refused-curl: a firewall rejects every connection to
# vsftpd's passive ports with a TCP reset (nftables "reject with tcp
# reset" in the namespace). curl tries EPSV, is refused, falls back to
# PASV, is refused again and gives up before it sends RETR, closing the
# control connection without QUIT:
# no 425 ever comes, the resets are the evidence.
field_scenario vsftpd-pasv-refused-curl \
	"SYNs to the passive port reset by a firewall; curl gives up before RETR"

make_vsftpd_pasv_refused_curl() {
	local w=$1 rc=0
	fst_vsftpd_start "$w" idle_session_timeout=30
	dd if=/dev/zero of="$w/root/big.bin" bs=1k count=64 status=none
	chmod 644 "$w/root/big.bin"
	fst_ns nft -f - <<'NFT'
table inet field {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 30000-30009 reject with tcp reset
	}
}
NFT
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 curl -sS --connect-timeout 5 \
		-o "$w/got.bin" ftp://127.0.0.1/big.bin || rc=$?
	fst_capture_stop
	# 7: curl could not connect (the data connection).
	if ((rc != 7)); then
		say "vsftpd-pasv-refused-curl: curl exited $rc, want 7" >&2
		return 1
	fi
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_pasv_refused_curl() {
	field_expect_count "$1" 'tcp.flags.reset == 1 && tcp.srcport >= 30000 && tcp.srcport <= 30009' 2 &&
		field_expect_count "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport >= 30000 && tcp.srcport <= 30009' 0 &&
		field_expect_count "$1" 'ftp.request.command == "RETR"' 0 &&
		field_expect_count "$1" 'ftp.response.code == 425' 0
}
