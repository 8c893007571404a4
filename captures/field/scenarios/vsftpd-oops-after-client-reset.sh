# vsftpd-oops-after-client-reset: the server's "500 OOPS" crosses the
# client's reset. Client, router and server in three namespaces; the
# router's link to the server is a slow uplink (htb, 16 kbit/s). vsftpd's
# anonymous root is writable by ftp, so vsftpd refuses the login with
# "500 OOPS: vsftpd: refusing to run with writable root inside
# chroot()". The client (a python socket) sends PASS and gives up 5 ms
# later with a reset (SO_LINGER 0). The capture, on the client's side of
# the link, shows the client's reset and then the server's 500 OOPS,
# which left the server before the reset reached it, and the client's
# second reset that answers it.
field_scenario vsftpd-oops-after-client-reset \
	"client resets after PASS; vsftpd's 500 OOPS crosses the reset on a slow link"

# oops_netns_del NAME — kills what runs in namespace NAME, deletes it.
oops_netns_del() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	[[ -n ${pids// /} ]] && kill -KILL $pids 2>/dev/null
	ip netns del "$1" 2>/dev/null || say "could not delete namespace $1" >&2
}

make_vsftpd_oops_after_client_reset() {
	local w=$1 cns=$FST_NS rns=$FST_NS-router sns=$FST_NS-server
	# client 10.78.1.2 -- 10.78.1.1 router 10.78.2.1 -- 10.78.2.2 server
	ip netns add "$rns"
	fst_on_exit oops_netns_del "$rns"
	ip netns add "$sns"
	fst_on_exit oops_netns_del "$sns"
	fst_netns_routed "$cns" "$rns" "$sns" 10.78
	# The slow uplink: the router sends towards the server at 16 kbit/s.
	ip netns exec "$rns" tc qdisc add dev r1 root handle 1: htb default 10 r2q 1
	ip netns exec "$rns" tc class add dev r1 parent 1: classid 1:10 htb \
		rate 16kbit burst 100 cburst 100
	fst_vsftpd_root "$w"
	# A root the ftp user may write to: vsftpd refuses to chroot there.
	chown ftp "$w/root"
	_fst_vsftpd_conf "$w" vsftpd listen_address=10.78.2.2 idle_session_timeout=30
	FST_NS=$sns _fst_vsftpd_launch "$w" vsftpd 10.78.2.2:21
	fst_capture_start c0 "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import socket, struct, time
s = socket.create_connection(("10.78.2.2", 21), timeout=20, source_address=("10.78.1.2", 0))
f = s.makefile("rb")
def reply():
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line
assert reply().startswith(b"220")
s.sendall(b"USER anonymous\r\n"); assert reply().startswith(b"331")
s.sendall(b"PASS field@example.org\r\n")
time.sleep(0.005)  # the client's patience runs out: it resets
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
f.close()
s.close()
time.sleep(1)
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

# The client's first reset, then the server's 500 OOPS after it.
check_vsftpd_oops_after_client_reset() {
	local rst oops
	rst=$(field_frames "$1" 'tcp.dstport == 21 && tcp.flags.reset == 1' | head -1)
	oops=$(field_frames "$1" 'ftp.response.code == 500' | head -1)
	if [[ -z $rst || -z $oops ]] || ((oops < rst)); then
		say "$(basename "$1"): want the server's 500 after the client's reset (RST '$rst', 500 '$oops')" >&2
		return 1
	fi
	field_frames "$1" 'ftp.response.code == 500' >/dev/null &&
		[[ $(tshark_q -r "$1" -Y 'ftp.response.code == 500' -T fields -e ftp.response.arg) == *OOPS* ]]
}
