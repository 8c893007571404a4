# vsftpd-gap-cut-unknown: vsftpd (idle_session_timeout=3); python ftplib
# logs in, sends CWD / after 1.5 s, then stays idle until the 421. editcap
# then deletes every frame of the 1.5 s to 4.5 s stretch but the 421
# (the CWD, its 250 and their ACKs): the decisive gap before the 421 lost
# bytes of both sides, so nobody can be blamed: unknown.
field_scenario vsftpd-gap-cut-unknown \
	"an editcap cut inside the decisive idle before a vsftpd 421: unknown"

make_vsftpd_gap_cut_unknown() {
	local w=$1 frames
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 "$here/idle_client.py" --cwd-after 1.5 40061
	fst_capture_stop
	# Everything after the 230's ACK and before the 421: the CWD
	# exchange inside the idle.
	frames=$(field_frames "$w/raw.pcap" \
		'frame.time_relative > 1.0 && frame.time_relative < 4.0 && tcp.port == 40061')
	if [[ -z $frames ]]; then
		say "no frames inside the idle to delete" >&2
		return 1
	fi
	say "deleting frames ${frames//$'\n'/ } (the CWD exchange inside the idle)"
	# shellcheck disable=SC2086
	editcap -F pcap "$w/raw.pcap" "$w/out.pcap" $frames
}

check_vsftpd_gap_cut_unknown() {
	field_expect_count "$1" 'ftp.request.command == "CWD"' 0 &&
		field_expect_count "$1" 'ftp.response.code == 250' 0 &&
		field_expect_count "$1" 'ftp.response.code == 421' 1
}
