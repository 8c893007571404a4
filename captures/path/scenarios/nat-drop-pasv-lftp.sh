# shellcheck shell=bash
# nat-drop-pasv-lftp: nat-drop-noop with lftp as the client. lftp logs
# in, lists the directory, then sleeps 5 s (the router's conntrack
# forgets the idle control connection after 3 s) and lists it again (its
# cache off): its
# next command on the control connection is dropped and retransmitted
# until lftp's own net:timeout (4 s, no retries) gives up on it.
path_scenario nat-drop-pasv-lftp \
	"lftp: after a 5 s pause its next command is dropped by the NAT and retransmitted"

make_nat_drop_pasv_lftp() {
	local w=$1 rc=0
	path_build drop 3
	path_vsftpd_start "$w"
	path_capture_start "$w/client.pcap" "$w/server.pcap"
	fst_ns timeout -k 2 30 lftp -c "set net:timeout 4; set net:max-retries 1; \
set net:persist-retries 0; set cache:enable no; set ftp:passive-mode on; set ftp:prefer-epsv no; \
open -u anonymous,path@example.org ftp://$PATH_NET.2.2; cls; sleep 5; cls" \
		>"$w/lftp.out" 2>&1 || rc=$?
	sleep 1
	path_capture_stop
	sed 's/^/make-path: lftp: /' "$w/lftp.out"
	if ((rc != 0)); then
		say "lftp exited $rc: it did not get its second listing" >&2
		return 1
	fi
}

check_nat_drop_pasv_lftp() {
	path_expect_forgotten +
}
