# shellcheck shell=bash
# nat-drop-226-upload: the upload variant, with ftpstall's own client.
# `ftpstall upload --limit-rate 16k --timeout 5` sends 64 KiB in about
# 4 s while the control connection sits idle; the router's conntrack
# forgets it after 3 s, so vsftpd's 226 is dropped (and retransmitted).
# The client, its data sent and ACKed to the end, waits 5 s for the
# reply, gives up, reconnects (a new connection the router lets through),
# finds the whole file there with SIZE and ends with QUIT.
path_scenario nat-drop-226-upload \
	"NAT forgets the idle control connection during a slow STOR; ftpstall upload reconnects"

# path_ftpstall: set by make-path.sh.
# shellcheck disable=SC2154
make_nat_drop_226_upload() {
	local w=$1 rc=0
	if [[ ! -x $path_ftpstall ]]; then
		say "no ftpstall binary at $path_ftpstall (build it, or set FTPSTALL)" >&2
		return 1
	fi
	path_build drop 3
	path_vsftpd_start "$w"
	python3 -c "import sys; sys.stdout.write(('ftpstall path upload\\n' * 9000)[:65536])" >"$w/vol1.dat"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	fst_ns timeout -k 2 40 "$path_ftpstall" upload --no-progress --no-netrc --limit-rate 16k \
		--timeout 5 --retry-delay 1 "$w/vol1.dat" "ftp://$PATH_NET.2.2/upload/" \
		>"$w/upload.out" 2>&1 || rc=$?
	sleep 1
	path_capture_stop
	sed 's/^/make-path: upload: /' "$w/upload.out"
	if ((rc != 0)); then
		say "ftpstall upload exited $rc" >&2
		return 1
	fi
}

check_nat_drop_226_upload() {
	path_expect_forgotten + &&
		cmp -s "$1/vol1.dat" "$1/root/upload/vol1.dat"
}
