# vsftpd-zero-window-retr: a client that stops reading. A python client
# (ftplib for the control connection) opens the passive data connection
# with a 4 KiB receive buffer, sends RETR of an 8 MiB file and then
# reads nothing: its receive window falls to zero and stays there, and
# vsftpd, unable to send, fires data_connection_timeout=3 with "421 Data
# timeout. Reconnect. Sorry." and closes. The client, the receiver, held
# the transfer up.
field_scenario vsftpd-zero-window-retr \
	"RETR stalled by the client's zero window until vsftpd's data timeout"

make_vsftpd_zero_window_retr() {
	local w=$1
	fst_vsftpd_start "$w" data_connection_timeout=3 idle_session_timeout=30
	dd if=/dev/zero of="$w/root/big.bin" bs=1M count=8 status=none
	chmod 644 "$w/root/big.bin"
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
import socket

ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", 40071))
ftp.login("anonymous", "field@example.com")
ftp.voidcmd("TYPE I")
host, port = ftplib.parse227(ftp.sendcmd("PASV"))
data = socket.socket()
# Set before the connect, so the window it offers is this small.
data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
data.connect((host, port))
assert ftp.sendcmd("RETR big.bin").startswith("150")
try:
    ftp.getresp()
    raise SystemExit("the transfer ended without a 421")
except ftplib.error_temp as e:
    assert str(e).startswith("421"), e
data.close()
ftp.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_zero_window_retr() {
	local zero
	zero=$(field_frames "$1" 'tcp.window_size_value == 0 && tcp.dstport != 21 && tcp.srcport != 21 && tcp.flags.reset == 0 && tcp.flags.syn == 0' | wc -l)
	if ((zero < 1)); then
		say "$(basename "$1"): no zero window on the data connection" >&2
		return 1
	fi
	field_expect_count "$1" 'ftp.response.code == 421' 1 &&
		field_expect_count "$1" 'ftp.request.command == "RETR"' 1
}
