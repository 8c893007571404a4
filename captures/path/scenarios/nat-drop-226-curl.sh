# shellcheck shell=bash
# nat-drop-226-curl: nat-drop-226 with curl as the client. vsftpd
# (anon_max_rate=30000) sends 192 KiB passively in about 6 s while the
# control connection sits idle; the router's conntrack forgets it after
# 3 s, so vsftpd's 226 is dropped (and retransmitted into the black
# hole). curl, its data complete, waits for the final reply until its
# --max-time (12 s) ends it (exit 28).
path_scenario nat-drop-226-curl \
	"curl: NAT forgets the idle control connection during a slow RETR; the 226 is dropped"

make_nat_drop_226_curl() {
	local w=$1 rc=0
	path_build drop 3
	path_vsftpd_start "$w" anon_max_rate=30000
	python3 -c "import sys; sys.stdout.write(('ftpstall path capture\\n' * 9000)[:196608])" >"$w/root/file.bin"
	chmod 644 "$w/root/file.bin"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	fst_ns timeout -k 2 30 curl -sS --max-time 12 -o "$w/file.out" \
		"ftp://$PATH_NET.2.2/file.bin" 2>"$w/curl.err" || rc=$?
	sleep 1
	path_capture_stop
	sed 's/^/make-path: curl: /' "$w/curl.err"
	if ((rc != 28)); then
		say "curl exited $rc, want 28 (its --max-time while it waited for the 226)" >&2
		return 1
	fi
	cmp -s "$w/file.out" "$w/root/file.bin"
}

check_nat_drop_226_curl() {
	path_expect_forgotten +
}
