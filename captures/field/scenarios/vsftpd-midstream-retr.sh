# vsftpd-midstream-retr: tcpdump started late, during a slow download.
# python ftplib logs in and RETRs a 256 KiB file from vsftpd
# (anon_max_rate=65536, so the download takes about 4 s); the capture
# starts 1.5 s into the transfer, after the login and after the data
# connection's handshake, and holds the rest of the data, the 226 and a
# QUIT. The session and its data connection are both mid-stream.
field_scenario vsftpd-midstream-retr \
	"capture started during a slow vsftpd RETR: no handshakes, no login, the tail of the data"

make_vsftpd_midstream_retr() {
	local w=$1 pid
	fst_vsftpd_start "$w" anon_max_rate=65536 idle_session_timeout=30
	head -c $((256 << 10)) /dev/zero | tr '\0' 'x' >"$w/root/slow.bin"
	ip netns exec "$FST_NS" timeout 30 python3 - <<'PY' &
import ftplib
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("anonymous", "field@example.org")
got = []
ftp.retrbinary("RETR slow.bin", got.append)
assert sum(map(len, got)) == 256 << 10
ftp.quit()
PY
	pid=$!
	sleep 1.5
	fst_capture_start lo "$w/raw.pcap" tcp
	wait "$pid"
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

# No SYN and no login in the capture; data, then the 226 and the QUIT.
check_vsftpd_midstream_retr() {
	field_expect_count "$1" 'tcp.flags.syn == 1' 0 &&
		field_expect_count "$1" 'ftp.request.command == "USER"' 0 &&
		field_expect_count "$1" 'ftp.response.code == 226' 1 &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 1 &&
		[[ $(field_frames "$1" 'tcp.srcport >= 30000 && tcp.srcport <= 30009 && tcp.len > 0' | wc -l) -gt 0 ]]
}
