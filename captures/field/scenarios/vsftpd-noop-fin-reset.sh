# vsftpd-noop-fin-reset: the duplicity story with a client that shuts
# its side down at once. vsftpd (idle_session_timeout=3) sends "421
# Timeout." and closes; the client, a python socket that idles 5 s
# without reading, writes NOOP into the half-closed connection and
# shuts down its side in the same breath (TCP_CORK, send, shutdown):
# NOOP and the client's FIN travel together, and the server's kernel,
# whose socket is closed for good, answers with a reset after that FIN.
field_scenario vsftpd-noop-fin-reset \
	"vsftpd 421 and FIN; the client writes NOOP, FINs, and the server's RST follows"

make_vsftpd_noop_fin_reset() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=3
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 21), timeout=20)
f = s.makefile("rb")
def reply():
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line
assert reply().startswith(b"220")
s.sendall(b"USER anonymous\r\n"); assert reply().startswith(b"331")
s.sendall(b"PASS field@example.org\r\n"); assert reply().startswith(b"230")
time.sleep(5)  # idle, reading nothing: the 421 and FIN arrive meanwhile
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
s.send(b"NOOP\r\n")
s.shutdown(socket.SHUT_WR)
time.sleep(0.5)
s.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

# The server's 421 and FIN, then the client's NOOP and FIN, then the
# server's RST after the client's FIN.
check_vsftpd_noop_fin_reset() {
	local fin_c rst_s
	field_expect_count "$1" 'ftp.response.code == 421' 1 &&
		field_expect_count "$1" 'ftp.request.command == "NOOP"' 1 || return 1
	fin_c=$(field_frames "$1" 'tcp.dstport == 21 && tcp.flags.fin == 1' | head -1)
	rst_s=$(field_frames "$1" 'tcp.srcport == 21 && tcp.flags.reset == 1' | head -1)
	if [[ -z $fin_c || -z $rst_s ]] || ((rst_s < fin_c)); then
		say "$(basename "$1"): want the server's RST after the client's FIN (FIN '$fin_c', RST '$rst_s')" >&2
		return 1
	fi
}
