# proftpd-stalled-upload: ftpstall's own upload client, as a backup job,
# stores a 128 KiB volume and stops sending on the data connection for
# 6 s after 32 KiB (--pause-at); ProFTPD with TimeoutStalled 3 gives up
# on the stalled transfer. ftpstall upload then reconnects, asks SIZE and
# resumes the partial file with REST + STOR, and verifies its size.
field_scenario proftpd-stalled-upload \
	"ProFTPD TimeoutStalled 3 ends a stalled STOR; ftpstall upload reconnects and resumes"

make_proftpd_stalled_upload() {
	local w=$1 rc=0
	fst_proftpd_start "$w" "TimeoutStalled 3" "TimeoutIdle 30" "TimeoutNoTransfer 30" || {
		echo "make-field: ProFTPD cannot be run here (see above); no capture made" >&2
		return 1
	}
	head -c 131072 /dev/zero | tr '\0' 'v' >"$w/volume.difftar"
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 60 "$top/build/ftpstall" upload --no-progress --no-netrc \
		--pause-at 32768 --pause 6 --retry-delay 0.5 -t 20 -f json \
		"$w/volume.difftar" ftp://127.0.0.1/upload/ >"$w/upload.json" || rc=$?
	fst_capture_stop
	if ((rc != 0)); then
		echo "make-field: ftpstall upload exited $rc:" >&2
		cat "$w/upload.json" >&2
		return 1
	fi
	cmp "$w/volume.difftar" "$w/root/upload/volume.difftar"
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_proftpd_stalled_upload() {
	# Two sessions, two STORs (the second after REST).
	field_expect_count "$1" 'tcp.dstport == 21 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 2 &&
		field_expect_count "$1" 'ftp.request.command == "STOR"' 2 &&
		field_expect_count "$1" 'ftp.request.command == "REST"' 1
}
