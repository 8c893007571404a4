# vsftpd-pasv-blocked-ftplib: a firewall drops every packet to vsftpd's
# passive ports (pasv_min_port..pasv_max_port, nftables in the
# namespace). The client, python ftplib for the control connection,
# starts its connect to the port of the 227 and sends RETR at once, as
# clients that do not wait for the connect do; the SYNs go unanswered and
# vsftpd (accept_timeout=3) answers "425 Failed to establish
# connection."; the client gives its connect up and QUITs.
field_scenario vsftpd-pasv-blocked-ftplib \
	"SYNs to the passive port dropped by a firewall; vsftpd answers RETR with 425"

make_vsftpd_pasv_blocked_ftplib() {
	local w=$1
	fst_vsftpd_start "$w" accept_timeout=3 idle_session_timeout=30
	dd if=/dev/zero of="$w/root/big.bin" bs=1k count=64 status=none
	chmod 644 "$w/root/big.bin"
	fst_ns nft -f - <<'NFT'
table inet field {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 30000-30009 drop
	}
}
NFT
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import errno
import ftplib
import socket

ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20, source_address=("127.0.0.1", 40031))
ftp.login("anonymous", "field@example.com")
ftp.voidcmd("TYPE I")
host, port = ftplib.parse227(ftp.sendcmd("PASV"))
data = socket.socket()
data.setblocking(False)
rc = data.connect_ex((host, port))
assert rc == errno.EINPROGRESS, rc
ftp.putcmd("RETR big.bin")
try:
    ftp.getresp()
    raise SystemExit("RETR was accepted")
except ftplib.error_temp as e:
    assert str(e).startswith("425"), e
data.close()
ftp.quit()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_pasv_blocked_ftplib() {
	local syns
	syns=$(field_frames "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport >= 30000 && tcp.dstport <= 30009' | wc -l)
	if ((syns < 2)); then
		say "$(basename "$1"): $syns SYNs to the passive ports, want 2 or more" >&2
		return 1
	fi
	field_expect_count "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport >= 30000 && tcp.srcport <= 30009' 0 &&
		field_expect_count "$1" 'ftp.response.code == 425' 1 &&
		field_expect_count "$1" 'ftp.request.command == "RETR"' 1 &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 1
}
