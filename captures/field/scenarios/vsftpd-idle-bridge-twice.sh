# vsftpd-idle-bridge-twice: every packet captured twice. The client and
# the server sit in namespaces of their own, joined by a Linux bridge in
# a third; tcpdump -i any in the bridge's namespace sees each frame on
# the port it came in by and again on the port it leaves by (two
# interfaces, the same IP packet, microseconds apart). python ftplib logs
# in, fetches a small file, then stays idle; vsftpd
# (idle_session_timeout=3) sends "421 Timeout." and closes, and the
# client's late NOOP is refused. Once the copies are known, the report is
# the single-copy one: idle_timeout, stalled client.
field_scenario vsftpd-idle-bridge-twice \
	"tcpdump -i any on a bridge: every packet twice; vsftpd idle 421 after a RETR"

make_vsftpd_idle_bridge_twice() {
	local w=$1 bns=$FST_NS cns=$FST_NS-client sns=$FST_NS-server link
	# client 10.78.0.2 (c0) -- bc [br0] bs -- (s0) 10.78.0.3 server
	# Deleted at exit, after the cleanup has ended vsftpd (the client
	# has ended by then, or its timeout has).
	ip netns add "$cns"
	fst_on_exit ip netns del "$cns"
	ip netns add "$sns"
	fst_on_exit ip netns del "$sns"
	ip -n "$cns" link add c0 type veth peer name bc netns "$bns"
	ip -n "$sns" link add s0 type veth peer name bs netns "$bns"
	ip -n "$bns" link add br0 type bridge
	ip -n "$bns" link set bc master br0
	ip -n "$bns" link set bs master br0
	ip -n "$cns" addr add 10.78.0.2/24 dev c0
	ip -n "$sns" addr add 10.78.0.3/24 dev s0
	for link in bc bs br0; do
		ip -n "$bns" link set "$link" up
	done
	ip -n "$cns" link set lo up
	ip -n "$cns" link set c0 up
	ip -n "$sns" link set lo up
	ip -n "$sns" link set s0 up
	# The ARP exchange before the SYN teaches the bridge both addresses,
	# so no segment is flooded (a third copy); the check makes sure.

	fst_vsftpd_root "$w"
	printf 'a small file, fetched before the idle\n' >"$w/root/small.txt"
	chmod 644 "$w/root/small.txt"
	_fst_vsftpd_conf "$w" vsftpd listen_address=10.78.0.3 idle_session_timeout=3 \
		data_connection_timeout=30
	FST_NS=$sns _fst_vsftpd_launch "$w" vsftpd 10.78.0.3:21
	fst_capture_start any "$w/raw.pcap" tcp
	ip netns exec "$cns" timeout 30 python3 - <<'PY'
import ftplib
import io
import time

ftp = ftplib.FTP()
ftp.connect("10.78.0.3", 21, timeout=20)
ftp.login("anonymous", "backup@example.com")
data = io.BytesIO()
ftp.retrbinary("RETR small.txt", data.write)
assert data.getvalue().startswith(b"a small file"), data.getvalue()
time.sleep(5)  # idle past vsftpd's idle_session_timeout=3
try:
    ftp.voidcmd("NOOP")
    raise SystemExit("NOOP answered after the idle timeout")
except ftplib.error_temp as e:
    assert str(e).startswith("421"), e
ftp.sock.close()
PY
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

check_vsftpd_idle_bridge_twice() {
	local twice
	# Every TCP segment twice, from two interfaces, and nothing thrice.
	twice=$(tshark_q -r "$1" -Y tcp -T fields -e sll.ifindex -e ip.src -e ip.id \
		-e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len |
		awk -F'\t' '{ k = $2 " " $3 " " $4 " " $5 " " $6 " " $7; n[k]++; i[k] = i[k] " " $1 }
			END { for (k in n) if (n[k] != 2) { print "not twice: " k; bad = 1 }
			      for (k in i) { split(i[k], v, " "); if (v[1] == v[2]) { print "one interface: " k; bad = 1 } }
			      exit bad }') || {
		say "$(basename "$1"): $twice" >&2
		return 1
	}
	# tshark takes each second copy for a retransmission and leaves its
	# FTP undecoded: look for the bytes.
	field_expect_count "$1" 'tcp.payload contains "421 Timeout."' 2 &&
		field_expect_count "$1" 'tcp.payload contains "RETR small.txt"' 2 &&
		field_expect_count "$1" 'tcp.payload contains "226 Transfer complete."' 2 &&
		field_expect_count "$1" 'tcp.payload contains "NOOP"' 2
}
