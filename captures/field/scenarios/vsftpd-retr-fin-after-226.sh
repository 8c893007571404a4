# vsftpd-retr-fin-after-226: a download whose data FIN comes after its
# 226 and after the session's end. A python socket client RETRs a
# 256 KiB file from vsftpd in passive mode, reads the data to its end,
# reads the 226, sends QUIT, and only closes its data socket when it
# cleans up after the 221, as clients that read the final reply before
# closing the data connection do. vsftpd lingers on its data socket, so
# its own data FIN is ACKed before it writes the 226; the client's data
# FIN follows the 226, the 221 and the control connection's close.
field_scenario vsftpd-retr-fin-after-226 \
	"vsftpd RETR: the client's data FIN after the 226 and after the control connection closed"

make_vsftpd_retr_fin_after_226() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=30
	head -c $((256 << 10)) /dev/zero | tr '\0' 'x' >"$w/root/file.bin"
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import re, socket, time
c = socket.create_connection(("127.0.0.1", 21), timeout=20)
f = c.makefile("rb")
def reply():
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line
def cmd(text, want):
    c.sendall(text + b"\r\n")
    line = reply()
    assert line.startswith(want), line
    return line
assert reply().startswith(b"220")
cmd(b"USER anonymous", b"331")
cmd(b"PASS field@example.org", b"230")
cmd(b"TYPE I", b"200")
nums = re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", cmd(b"PASV", b"227")).groups()
d = socket.create_connection(("127.0.0.1", int(nums[4]) * 256 + int(nums[5])), timeout=20)
cmd(b"RETR file.bin", b"150")
got = 0
while True:
    chunk = d.recv(65536)
    if not chunk:
        break
    got += len(chunk)
assert got == 256 << 10, got
assert reply().startswith(b"226")
cmd(b"QUIT", b"221")
f.close()
c.close()
time.sleep(0.2)
d.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

# The client's data FIN (to the passive port) comes after the 226 and
# after the control connection's FINs.
check_vsftpd_retr_fin_after_226() {
	local t226 tfin tctl
	t226=$(field_frames "$1" 'ftp.response.code == 226' | head -1)
	tfin=$(field_frames "$1" 'tcp.dstport >= 30000 && tcp.dstport <= 30009 && tcp.flags.fin == 1' | tail -1)
	tctl=$(field_frames "$1" 'tcp.port == 21 && tcp.flags.fin == 1' | tail -1)
	if [[ -z $t226 || -z $tfin || -z $tctl ]] || ((tfin < t226 || tfin < tctl)); then
		say "$(basename "$1"): want the client's data FIN after the 226 and the control FINs (226 '$t226', data FIN '$tfin', control FIN '$tctl')" >&2
		return 1
	fi
}
