# vsftpd-no-handshake: a capture that lost only the control connection's
# handshake. python ftplib logs in to vsftpd, lists the directory and
# quits; editcap then drops the first three frames (SYN, SYN/ACK, ACK)
# and keeps everything else, the 220 greeting included, as a capture
# started a moment after the connection does.
field_scenario vsftpd-no-handshake \
	"a vsftpd session whose capture lacks only the handshake: the 220 is there"

make_vsftpd_no_handshake() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=30
	fst_capture_start lo "$w/raw.pcap" 'tcp port 21'
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("anonymous", "field@example.org")
ftp.pwd()
ftp.quit()
PY
	fst_capture_stop
	editcap -F pcap "$w/raw.pcap" "$w/out.pcap" 1-3
}

# No SYN, and the first FTP frame is the 220.
check_vsftpd_no_handshake() {
	field_expect_count "$1" 'tcp.flags.syn == 1' 0 &&
		field_expect_count "$1" 'ftp.response.code == 220' 1 &&
		[[ $(field_frames "$1" 'ftp' | head -1) == $(field_frames "$1" 'ftp.response.code == 220') ]]
}
