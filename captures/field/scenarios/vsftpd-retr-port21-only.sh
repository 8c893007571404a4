# vsftpd-retr-port21-only: a capture filtered to the control port, as
# `tcpdump port 21` makes it. python ftplib downloads a 200 KiB file
# (PASV, RETR, 150, 226) and quits; the data connection on vsftpd's
# passive port is not in the capture, so nothing can be said of it:
# data_connections_missing ("capture `host SERVER`, not `port 21`").
field_scenario vsftpd-retr-port21-only \
	"RETR captured with 'port 21': the data connection is not in the capture"

make_vsftpd_retr_port21_only() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	head -c 204800 /dev/zero | tr '\0' 'f' >"$w/root/backup.tar"
	chmod 644 "$w/root/backup.tar"
	fst_capture_start lo "$w/raw.pcap" 'port 21'
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", 40031))
ftp.source_address = None  # the data connection: any port
ftp.login("anonymous", "field@example.com")
got = []
ftp.retrbinary("RETR backup.tar", got.append)
assert sum(len(b) for b in got) == 204800
ftp.quit()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_retr_port21_only() {
	field_expect_count "$1" 'ftp.response.code == 150' 1 &&
		field_expect_count "$1" 'ftp.response.code == 226' 1 &&
		field_expect_count "$1" 'tcp.port != 21' 0
}
