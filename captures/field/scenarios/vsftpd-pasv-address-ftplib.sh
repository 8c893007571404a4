# vsftpd-pasv-address-ftplib: vsftpd announces pasv_address=10.99.99.99
# in its 227, an address nobody has (a NAT setting copied from another
# site). python ftplib, told to trust the 227's address
# (trust_server_pasv_ipv4_address, its behaviour before Python 3.7),
# connects there; 10.99.99.99 is routed into the loopback, where nothing
# answers, so the SYNs go unanswered. ftplib gives its connect up after
# 4 s, before it sends RETR, and QUITs.
field_scenario vsftpd-pasv-address-ftplib \
	"vsftpd announces pasv_address 10.99.99.99; ftplib's SYNs there go unanswered"

make_vsftpd_pasv_address_ftplib() {
	local w=$1
	fst_vsftpd_start "$w" pasv_address=10.99.99.99 idle_session_timeout=30
	dd if=/dev/zero of="$w/root/big.bin" bs=1k count=64 status=none
	chmod 644 "$w/root/big.bin"
	fst_ns ip route add 10.99.99.99/32 dev lo src 127.0.0.1
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib

ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=4)
ftp.trust_server_pasv_ipv4_address = True
ftp.login("anonymous", "field@example.com")
try:
    ftp.retrbinary("RETR big.bin", lambda block: None)
    raise SystemExit("RETR worked")
except OSError as e:
    print("ftplib:", repr(e))
ftp.quit()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_pasv_address_ftplib() {
	local syns
	syns=$(field_frames "$1" 'tcp.flags.syn == 1 && ip.dst == 10.99.99.99' | wc -l)
	if ((syns < 2)); then
		say "$(basename "$1"): $syns SYNs to 10.99.99.99, want 2 or more" >&2
		return 1
	fi
	field_expect_count "$1" 'ip.src == 10.99.99.99' 0 &&
		field_expect_count "$1" 'ftp.response.code == 227' 1 &&
		field_expect_count "$1" 'ftp.request.command == "RETR"' 0 &&
		field_expect_count "$1" 'ftp.request.command == "QUIT"' 1
}
